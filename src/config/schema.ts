// The whole flexbridge configuration as one zod schema, with cross-field rules.
// `FlexbridgeConfig` (the type) is inferred from it; there is no hand-written twin.
import { z } from 'zod';
import {
  ApiConfig,
  AuthThrottleConfig,
  GroupConfig,
  HttpConfig,
  HeapConfig,
  LogConfig,
  OcppConfig,
  OscpConfig,
  StationConfig,
  StoreConfig,
} from './sections';

export const FlexbridgeConfigSchema = z
  .strictObject({
    http: HttpConfig.default(HttpConfig.parse({})),
    store: StoreConfig.default(StoreConfig.parse({})),
    log: LogConfig.default(LogConfig.parse({})),
    heap: HeapConfig.default(HeapConfig.parse({})),
    oscp: OscpConfig.default(OscpConfig.parse({})),
    ocpp: OcppConfig.default(OcppConfig.parse({})),
    groups: z.array(GroupConfig).min(1, 'at least one group is needed'),
    stations: z.array(StationConfig).default([]),
    api: ApiConfig.default(ApiConfig.parse({})),
    authThrottle: AuthThrottleConfig.default(AuthThrottleConfig.parse({})),
  })
  .superRefine((config, ctx) => {
    const groupIds = new Set<string>();
    config.groups.forEach((group, i) => {
      if (groupIds.has(group.id))
        ctx.addIssue({ code: 'custom', path: ['groups', i, 'id'], message: `duplicate group id "${group.id}"`, input: group.id });
      groupIds.add(group.id);
      if (group.safetyMarginA >= group.safeLimitA)
        ctx.addIssue({
          code: 'custom',
          path: ['groups', i, 'safetyMarginA'],
          message: `safetyMarginA ${group.safetyMarginA} A leaves nothing of safeLimitA ${group.safeLimitA} A: the margin must be below it`,
          input: group.safetyMarginA,
        });
      if (group.safeLimitA > group.maxCapacityA)
        ctx.addIssue({
          code: 'custom',
          path: ['groups', i, 'safeLimitA'],
          message: `safeLimitA ${group.safeLimitA} A is above maxCapacityA ${group.maxCapacityA} A, the group's physical maximum`,
          input: group.safeLimitA,
        });
      if (group.peerId && !config.oscp.peers.some((p) => p.id === group.peerId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['groups', i, 'peerId'],
          message: `no OSCP peer with id "${group.peerId}" in oscp.peers`,
          input: group.peerId,
        });
      }
    });
    const stationIds = new Set<string>();
    config.stations.forEach((station, i) => {
      if (stationIds.has(station.id))
        ctx.addIssue({ code: 'custom', path: ['stations', i, 'id'], message: `duplicate station id "${station.id}"`, input: station.id });
      stationIds.add(station.id);
      if (station.stationMaxCurrentA !== undefined && station.stationMaxCurrentA < station.evseMaxCurrentA)
        ctx.addIssue({
          code: 'custom',
          path: ['stations', i, 'stationMaxCurrentA'],
          message: `stationMaxCurrentA ${station.stationMaxCurrentA} A is below evseMaxCurrentA ${station.evseMaxCurrentA} A: one EVSE cannot draw more than its station`,
          input: station.stationMaxCurrentA,
        });
      if (!groupIds.has(station.groupId))
        ctx.addIssue({
          code: 'custom',
          path: ['stations', i, 'groupId'],
          message: `no group with id "${station.groupId}" in groups`,
          input: station.groupId,
        });
    });
    if (config.ocpp.autoRegisterGroup && !groupIds.has(config.ocpp.autoRegisterGroup)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ocpp', 'autoRegisterGroup'],
        message: `no group with id "${config.ocpp.autoRegisterGroup}" in groups`,
        input: config.ocpp.autoRegisterGroup,
      });
    }
    const upstream = config.ocpp.upstream;
    if (upstream) {
      const secure = upstream.url.startsWith('wss://');
      if (upstream.securityProfile === 2 && !secure)
        ctx.addIssue({
          code: 'custom',
          path: ['ocpp', 'upstream', 'url'],
          message: 'security profile 2 needs a wss:// URL',
          input: upstream.url,
        });
      if (upstream.securityProfile === 1 && secure)
        ctx.addIssue({
          code: 'custom',
          path: ['ocpp', 'upstream', 'securityProfile'],
          message: 'a wss:// URL is security profile 2: set securityProfile 2',
          input: upstream.securityProfile,
        });
      if (upstream.credentials === 'stored') {
        config.stations.forEach((station, i) => {
          if (station.upstreamPassword === undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['stations', i, 'upstreamPassword'],
              message: `credentials "stored" needs an upstreamPassword for station "${station.id}"`,
              input: undefined,
            });
        });
        if (config.ocpp.autoRegisterGroup)
          ctx.addIssue({
            code: 'custom',
            path: ['ocpp', 'autoRegisterGroup'],
            message: 'auto-registration cannot be combined with stored upstream credentials (a new station has none)',
            input: config.ocpp.autoRegisterGroup,
          });
      }
    }
    if (config.ocpp.securityProfile > 1 && !config.ocpp.tls) {
      ctx.addIssue({
        code: 'custom',
        path: ['ocpp', 'tls'],
        message: `security profile ${config.ocpp.securityProfile} needs ocpp.tls (certFile, keyFile)`,
        input: undefined,
      });
    }
    if (config.ocpp.securityProfile === 3 && !config.ocpp.tls?.caFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['ocpp', 'tls', 'caFile'],
        message: 'security profile 3 needs ocpp.tls.caFile to verify station certificates',
        input: undefined,
      });
    }
    uniqueIn(ctx, ['api', 'tokens'], config.api.tokens, 'name', (t) => t.name);
    uniqueIn(ctx, ['api', 'tokens'], config.api.tokens, 'token', (t) => t.token, 'the same token is given twice');
    uniqueIn(ctx, ['api', 'users'], config.api.users, 'username', (u) => u.username);
    config.oscp.peers.forEach((peer, i) => {
      if (!peer.bootstrapToken && !(peer.registerUrl && peer.registerToken)) {
        ctx.addIssue({
          code: 'custom',
          path: ['oscp', 'peers', i],
          message: 'give bootstrapToken (the peer registers with us) or registerUrl + registerToken (we register with the peer)',
          input: undefined,
        });
      }
    });
  });

/** One issue per repeated value; a secret (`message` given) is neither shown in the message nor as the input. */
function uniqueIn<T>(
  ctx: z.RefinementCtx,
  path: readonly (string | number)[],
  items: readonly T[],
  field: string,
  key: (item: T) => string,
  message?: string,
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const value = key(item);
    if (seen.has(value))
      ctx.addIssue({
        code: 'custom',
        path: [...path, i, field],
        message: message ?? `duplicate ${field} "${value}"`,
        input: message ? '…' : value,
      });
    seen.add(value);
  });
}

export type FlexbridgeConfig = z.infer<typeof FlexbridgeConfigSchema>;
export type GroupConfig = FlexbridgeConfig['groups'][number];
export type StationConfig = FlexbridgeConfig['stations'][number];
export type OscpPeerConfig = FlexbridgeConfig['oscp']['peers'][number];
export type OcppConfig = FlexbridgeConfig['ocpp'];
export type UpstreamConfig = NonNullable<OcppConfig['upstream']>;
export type OscpConfig = FlexbridgeConfig['oscp'];
export type ApiConfig = FlexbridgeConfig['api'];
export type ApiTokenConfig = ApiConfig['tokens'][number];
export type WebhookConfig = ApiConfig['webhooks'][number];
export type AuthThrottleConfig = FlexbridgeConfig['authThrottle'];
export type OcppAdmissionConfig = OcppConfig['admission'];
