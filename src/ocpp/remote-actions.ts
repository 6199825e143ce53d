// Operator remote actions on one station (Reset, TriggerMessage, Get/SetVariables, …) and the raw call: mapped to the
// station's OCPP version, checked against the action's schema, never touching flexbridge's own profiles, then queued.
import { createValidator, RPCError } from 'ocpp-rpc';
import schemas201 from 'ocpp-rpc/lib/schemas/ocpp2_0_1.json';
import schemas16 from 'ocpp-rpc/lib/schemas/ocpp1_6.json';
import type { RemoteAction, RemoteActionOutcome } from '../domain/station-actions';
import type { OcppVersion } from './protocol';
import type { CallResult } from './station-call';
import type { StationRegistry, StationRuntime } from './station-registry';
import { DIRECT_LAYOUT, isFlexbridgeProfileId, type ProfileLayout } from './v201/limit-profiles';

/** CSMS → station actions of each version (OCPP 2.0.1 Part 2 §1, 1.6 §3 and its security whitepaper). */
const CSMS_INITIATED: Readonly<Record<OcppVersion, ReadonlySet<string>>> = {
  '2.0.1': new Set(
    'CancelReservation CertificateSigned ChangeAvailability ClearCache ClearChargingProfile ClearDisplayMessage ClearVariableMonitoring CostUpdated CustomerInformation DataTransfer DeleteCertificate GetBaseReport GetChargingProfiles GetCompositeSchedule GetDisplayMessages GetInstalledCertificateIds GetLocalListVersion GetLog GetMonitoringReport GetReport GetTransactionStatus GetVariables InstallCertificate PublishFirmware RequestStartTransaction RequestStopTransaction ReserveNow Reset SendLocalList SetChargingProfile SetDisplayMessage SetMonitoringBase SetMonitoringLevel SetNetworkProfile SetVariableMonitoring SetVariables TriggerMessage UnlockConnector UnpublishFirmware UpdateFirmware'.split(
      ' ',
    ),
  ),
  '1.6': new Set(
    'CancelReservation ChangeAvailability ChangeConfiguration ClearCache ClearChargingProfile DataTransfer GetCompositeSchedule GetConfiguration GetDiagnostics GetLocalListVersion RemoteStartTransaction RemoteStopTransaction ReserveNow Reset SendLocalList SetChargingProfile TriggerMessage UnlockConnector UpdateFirmware ExtendedTriggerMessage CertificateSigned DeleteCertificate GetInstalledCertificateIds GetLog InstallCertificate SignedUpdateFirmware'.split(
      ' ',
    ),
  ),
};

type Validator = ReturnType<typeof createValidator>;
const VALIDATORS: Readonly<Record<OcppVersion, Validator>> = {
  '2.0.1': createValidator('ocpp2.0.1', schemas201),
  '1.6': createValidator('ocpp1.6', schemas16),
};

/** 2.0.1 Get/SetVariables items per message when the station does not say (DeviceDataCtrlr.ItemsPerMessage). */
const DEFAULT_ITEMS_PER_MESSAGE = 8;

export interface RemoteActionDeps {
  readonly registry: StationRegistry;
  /** One call through the station's command queue. */
  readonly call: (stationId: string, action: string, payload: object) => Promise<CallResult>;
  /** GetChargingProfiles with the ReportChargingProfiles that follow it collected. */
  readonly chargingProfiles: (stationId: string, evseId?: number) => Promise<{ status: string; profiles: unknown[] }>;
  readonly layoutFor?: (runtime: StationRuntime) => ProfileLayout;
}

type Prepared = { readonly action: string; readonly payload: object } | { readonly refused: string };

export class RemoteActions {
  /** ItemsPerMessage of each connection, read once (the client object is per connection). */
  private readonly itemsPerMessage = new WeakMap<object, { get: number; set: number }>();

  constructor(private readonly deps: RemoteActionDeps) {}

  /** A remote action in the station's version. */
  async run(stationId: string, request: RemoteAction): Promise<RemoteActionOutcome> {
    const runtime = this.deps.registry.get(stationId);
    if (!runtime?.client) return { kind: 'offline', action: request.action };
    if (request.action === 'GetChargingProfiles') {
      if (runtime.protocol === '1.6')
        return refused(request.action, 'OCPP 1.6 cannot read installed profiles back: use GetCompositeSchedule');
      return { kind: 'result', action: request.action, response: await this.deps.chargingProfiles(stationId, request.evseId) };
    }
    if (request.action === 'GetVariables' || request.action === 'SetVariables') {
      if (runtime.protocol === '1.6')
        return refused(request.action, `station ${stationId} speaks OCPP 1.6: use GetConfiguration / ChangeConfiguration`);
      return this.batched(runtime, request);
    }
    const prepared = prepare(runtime.protocol, request);
    if ('refused' in prepared) return refused(request.action, `station ${stationId}: ${prepared.refused}`);
    return this.raw(stationId, prepared.action, prepared.payload);
  }

  /** Any CSMS → station action with a payload checked against the version's JSON schema. */
  async raw(stationId: string, action: string, payload: unknown): Promise<RemoteActionOutcome> {
    const runtime = this.deps.registry.get(stationId);
    if (!runtime?.client) return { kind: 'offline', action };
    const version = runtime.protocol;
    if (!CSMS_INITIATED[version].has(action))
      return refused(action, `${action} is not an action a CSMS sends a station in OCPP ${version}`);
    const errors = schemaErrors(version, action, payload);
    if (errors.length > 0 || typeof payload !== 'object' || payload === null) return { kind: 'invalid', action, errors };
    const layout = this.deps.layoutFor?.(runtime) ?? DIRECT_LAYOUT;
    const problem = touchesOwnProfiles(action, payload, layout);
    if (problem) return refused(action, `station ${stationId}: ${action} not sent: ${problem}`);
    return outcomeOf(action, await this.deps.call(stationId, action, payload));
  }

  /** 2.0.1 Get/SetVariables split by the station's ItemsPerMessage; the answers' result lists joined. */
  private async batched(
    runtime: StationRuntime,
    request: Extract<RemoteAction, { action: 'GetVariables' | 'SetVariables' }>,
  ): Promise<RemoteActionOutcome> {
    const stationId = runtime.record.stationId;
    const limits = await this.limitsOf(runtime);
    const size = request.action === 'GetVariables' ? limits.get : limits.set;
    const [dataKey, resultKey] =
      request.action === 'GetVariables' ? ['getVariableData', 'getVariableResult'] : ['setVariableData', 'setVariableResult'];
    const results: unknown[] = [];
    for (let i = 0; i < request.variables.length; i += size) {
      const outcome = await this.raw(stationId, request.action, { [dataKey]: request.variables.slice(i, i + size) });
      if (outcome.kind !== 'result') return outcome;
      const part = outcome.response;
      if (typeof part === 'object' && part !== null && resultKey in part) {
        const list: unknown = Reflect.get(part, resultKey);
        if (Array.isArray(list)) results.push(...list);
      }
    }
    return { kind: 'result', action: request.action, response: { [resultKey]: results } };
  }

  private async limitsOf(runtime: StationRuntime): Promise<{ get: number; set: number }> {
    const client = runtime.client;
    const known = client && this.itemsPerMessage.get(client);
    if (known) return known;
    const read = await this.deps.call(runtime.record.stationId, 'GetVariables', {
      getVariableData: ['GetVariables', 'SetVariables'].map((instance) => ({
        component: { name: 'DeviceDataCtrlr' },
        variable: { name: 'ItemsPerMessage', instance },
      })),
    });
    const found = { get: DEFAULT_ITEMS_PER_MESSAGE, set: DEFAULT_ITEMS_PER_MESSAGE };
    const list: unknown =
      read.kind === 'result' && typeof read.payload === 'object' && read.payload ? Reflect.get(read.payload, 'getVariableResult') : [];
    for (const item of Array.isArray(list) ? (list as unknown[]) : []) {
      if (typeof item !== 'object' || item === null) continue;
      const value = Number(Reflect.get(item, 'attributeValue'));
      const variable: unknown = Reflect.get(item, 'variable');
      const instance = typeof variable === 'object' && variable !== null ? Reflect.get(variable, 'instance') : undefined;
      if (Reflect.get(item, 'attributeStatus') !== 'Accepted' || !Number.isInteger(value) || value < 1) continue;
      if (instance === 'GetVariables') found.get = value;
      if (instance === 'SetVariables') found.set = value;
    }
    if (client && (read.kind === 'result' || read.kind === 'error')) this.itemsPerMessage.set(client, found);
    return found;
  }
}

function refused(action: string, reason: string): RemoteActionOutcome {
  return { kind: 'refused', action, reason };
}

function outcomeOf(action: string, result: CallResult): RemoteActionOutcome {
  switch (result.kind) {
    case 'result':
      return { kind: 'result', action, response: result.payload };
    case 'error':
      return { kind: 'error', action, code: result.code, message: result.message };
    case 'backed-off':
      return { kind: 'backed-off', action, untilMs: result.untilMs };
    default:
      return { kind: result.kind, action };
  }
}

/** The schema's complaints, each with the field it names ("" for the payload itself). */
export function schemaErrors(version: OcppVersion, action: string, payload: unknown): { path: string; message: string }[] {
  try {
    VALIDATORS[version].validate(`urn:${action}.req`, payload);
    return [];
  } catch (error) {
    if (!(error instanceof RPCError)) throw error;
    const details: unknown = Reflect.get(error, 'details');
    const list: unknown = typeof details === 'object' && details !== null ? Reflect.get(details, 'errors') : undefined;
    if (!Array.isArray(list) || list.length === 0) return [{ path: '', message: error.rpcErrorMessage || error.message }];
    return (list as unknown[]).map((e) => {
      const path = typeof e === 'object' && e !== null ? String(Reflect.get(e, 'instancePath') ?? '') : '';
      const message = typeof e === 'object' && e !== null ? String(Reflect.get(e, 'message') ?? 'invalid') : 'invalid';
      return { path: path.replace(/^\//, '').replace(/\//g, '.'), message };
    });
  }
}

/** The version's request for a protocol-neutral action, or why it has none. */
function prepare(version: OcppVersion, request: RemoteAction): Prepared {
  const v16 = version === '1.6';
  switch (request.action) {
    case 'Reset': {
      const type = v16
        ? request.type === 'Immediate' || request.type === 'Hard'
          ? 'Hard'
          : 'Soft'
        : request.type === 'Hard' || request.type === 'Immediate'
          ? 'Immediate'
          : 'OnIdle';
      return { action: 'Reset', payload: { type, ...(!v16 && request.evseId !== undefined && { evseId: request.evseId }) } };
    }
    case 'TriggerMessage': {
      const where = v16
        ? { ...((request.connectorId ?? request.evseId) !== undefined && { connectorId: request.connectorId ?? request.evseId }) }
        : {
            ...(request.evseId !== undefined && {
              evse: { id: request.evseId, ...(request.connectorId !== undefined && { connectorId: request.connectorId }) },
            }),
          };
      return { action: 'TriggerMessage', payload: { requestedMessage: request.requestedMessage, ...where } };
    }
    case 'ChangeAvailability': {
      const status = request.operational ? 'Operative' : 'Inoperative';
      if (v16) return { action: 'ChangeAvailability', payload: { connectorId: request.connectorId ?? request.evseId ?? 0, type: status } };
      const evse = request.evseId
        ? { evse: { id: request.evseId, ...(request.connectorId !== undefined && { connectorId: request.connectorId }) } }
        : {};
      return { action: 'ChangeAvailability', payload: { operationalStatus: status, ...evse } };
    }
    case 'UnlockConnector':
      return {
        action: 'UnlockConnector',
        payload: v16 ? { connectorId: request.connectorId } : { evseId: request.evseId, connectorId: request.connectorId },
      };
    case 'GetConfiguration':
      if (!v16) return { refused: 'speaks OCPP 2.0.1: use GetVariables' };
      return { action: 'GetConfiguration', payload: request.keys ? { key: request.keys } : {} };
    case 'ChangeConfiguration':
      if (!v16) return { refused: 'speaks OCPP 2.0.1: use SetVariables' };
      return { action: 'ChangeConfiguration', payload: { key: request.key, value: request.value } };
    case 'GetBaseReport':
      if (v16) return { refused: 'speaks OCPP 1.6, which has no GetBaseReport: use GetConfiguration' };
      return { action: 'GetBaseReport', payload: { requestId: Math.floor(Math.random() * 2 ** 31), reportBase: request.reportBase } };
    case 'GetCompositeSchedule':
      return {
        action: 'GetCompositeSchedule',
        payload: v16
          ? { connectorId: request.evseId, duration: request.durationS, chargingRateUnit: request.chargingRateUnit }
          : { evseId: request.evseId, duration: request.durationS, chargingRateUnit: request.chargingRateUnit },
      };
    case 'ClearChargingProfile': {
      const purpose =
        v16 && request.chargingProfilePurpose === 'ChargingStationMaxProfile' ? 'ChargePointMaxProfile' : request.chargingProfilePurpose;
      if (v16)
        return {
          action: 'ClearChargingProfile',
          payload: {
            ...(request.chargingProfileId !== undefined && { id: request.chargingProfileId }),
            ...(request.evseId !== undefined && { connectorId: request.evseId }),
            ...(purpose !== undefined && { chargingProfilePurpose: purpose }),
            ...(request.stackLevel !== undefined && { stackLevel: request.stackLevel }),
          },
        };
      const criteria = {
        ...(request.evseId !== undefined && { evseId: request.evseId }),
        ...(purpose !== undefined && { chargingProfilePurpose: purpose }),
        ...(request.stackLevel !== undefined && { stackLevel: request.stackLevel }),
      };
      return {
        action: 'ClearChargingProfile',
        payload: {
          ...(request.chargingProfileId !== undefined && { chargingProfileId: request.chargingProfileId }),
          ...(Object.keys(criteria).length > 0 && { chargingProfileCriteria: criteria }),
        },
      };
    }
    default:
      return { refused: `${request.action} is not prepared here` };
  }
}

const num = (o: unknown, key: string): number | undefined => {
  const v: unknown = typeof o === 'object' && o !== null ? Reflect.get(o, key) : undefined;
  return typeof v === 'number' ? v : undefined;
};
const str = (o: unknown, key: string): string | undefined => {
  const v: unknown = typeof o === 'object' && o !== null ? Reflect.get(o, key) : undefined;
  return typeof v === 'string' ? v : undefined;
};

/** The (purpose, stack level) pairs flexbridge's standing and live limits occupy on this station. */
function ownSlots(layout: ProfileLayout): Set<string> {
  const slot = (purpose: string, stack: number): string => `${purpose}@${stack}`;
  return new Set([
    slot('ChargingStationMaxProfile', layout.standingStack),
    slot('TxDefaultProfile', layout.standingStack),
    slot('ChargingStationMaxProfile', layout.liveStack),
    slot('TxProfile', layout.liveStack),
  ]);
}

/**
 * Why a Set/ClearChargingProfile would replace or remove flexbridge's standing or leased limits, or undefined.
 * A clear by criteria must name both purpose and stack level: fewer criteria match more (1.6's empty clear: all).
 */
export function touchesOwnProfiles(action: string, payload: object, layout: ProfileLayout): string | undefined {
  const normal = (purpose: string | undefined): string | undefined =>
    purpose === 'ChargePointMaxProfile' ? 'ChargingStationMaxProfile' : purpose;
  const own = ownSlots(layout);
  if (action === 'SetChargingProfile') {
    const profile: unknown = Reflect.get(payload, 'chargingProfile') ?? Reflect.get(payload, 'csChargingProfiles');
    const id = num(profile, 'id') ?? num(profile, 'chargingProfileId');
    if (id !== undefined && isFlexbridgeProfileId(id)) return `profile id ${id} is one of flexbridge's own (9100000–9100999)`;
    const purpose = normal(str(profile, 'chargingProfilePurpose'));
    const stack = num(profile, 'stackLevel');
    if (purpose !== undefined && stack !== undefined && own.has(`${purpose}@${stack}`))
      return `${purpose} at stack level ${stack} would replace flexbridge's own limit there: use another stack level`;
    return undefined;
  }
  if (action !== 'ClearChargingProfile') return undefined;
  const id = num(payload, 'chargingProfileId') ?? num(payload, 'id');
  if (id !== undefined && isFlexbridgeProfileId(id)) return `profile id ${id} is one of flexbridge's own standing or leased limits`;
  const criteria: unknown = Reflect.get(payload, 'chargingProfileCriteria') ?? payload;
  const purpose = normal(str(criteria, 'chargingProfilePurpose'));
  const stack = num(criteria, 'stackLevel');
  const hasCriteria =
    purpose !== undefined || stack !== undefined || num(criteria, 'evseId') !== undefined || num(criteria, 'connectorId') !== undefined;
  if (id !== undefined && !hasCriteria) return undefined;
  if (purpose === undefined || stack === undefined)
    return "a clear by criteria must name chargingProfilePurpose and stackLevel (fewer criteria would also clear flexbridge's own limits)";
  if (own.has(`${purpose}@${stack}`)) return `${purpose} at stack level ${stack} holds flexbridge's own limit`;
  return undefined;
}
