// Station → CSMS messages (OCPP digest §3): every action a station sends gets a valid answer; the ones that matter
// for smart charging update the station registry and the sessions. Registered synchronously on connect (§9.4 #4).
import { createRPCError } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { z } from 'zod';
import type { EvChargingNeeds } from '../domain/session';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import {
  AuthorizeRequest,
  BootNotificationRequest,
  MeterValuesRequest,
  NotifyChargingLimitRequest,
  NotifyEVChargingNeedsRequest,
  NotifyReportRequest,
  ReportChargingProfilesRequest,
  StatusNotificationRequest,
  TransactionEventRequest,
} from './payloads';
import type { SessionTracker } from './session-tracker';
import type { StationRuntime } from './station-registry';

export interface StationHandlerContext {
  readonly runtime: StationRuntime;
  readonly sessions: SessionTracker;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly heartbeatIntervalS: number;
  readonly authorize: 'accept-all' | 'reject-all';
  readonly nowMs: () => number;
  /** BootNotification: Pending while the station's smart-charging limits are still unknown, else Accepted. */
  readonly booted: (runtime: StationRuntime) => 'Pending' | 'Accepted';
  /** The station sent something other than BootNotification (it may have been accepted before and not booted). */
  readonly spoke: (runtime: StationRuntime) => void;
  /** The station reported an EVSE beyond its known count. */
  readonly evseSeen: (runtime: StationRuntime, evseId: number) => void;
  readonly maxProfilesReported: (runtime: StationRuntime, maxProfiles: number) => void;
  readonly chargingProfilesReported: (requestId: number, profiles: readonly unknown[], tbc: boolean) => void;
}

const BOOT_PENDING_INTERVAL_S = 10;

/** Actions answered with their minimal valid response: logged, nothing else to do for a Flexibility Provider. */
const ACKNOWLEDGED: Record<string, object> = {
  SecurityEventNotification: {},
  NotifyEvent: {},
  FirmwareStatusNotification: {},
  LogStatusNotification: {},
  PublishFirmwareStatusNotification: {},
  NotifyMonitoringReport: {},
  NotifyCustomerInformation: {},
  NotifyDisplayMessages: {},
  ReservationStatusUpdate: {},
  ClearedChargingLimit: {},
  NotifyEVChargingSchedule: { status: 'Accepted' },
  SignCertificate: { status: 'Rejected' },
  DataTransfer: { status: 'UnknownVendorId' },
};

export function registerStationHandlers(client: RpcServerClient, context: StationHandlerContext): void {
  const { runtime, sessions } = context;
  const log = context.logger.child({ stationId: runtime.record.stationId });
  const stationId = runtime.record.stationId;

  /** Parses with zod (ocpp-rpc already validated against the schema), counts, and refuses while boot is Pending. */
  const on = <S extends z.ZodType>(action: string, schema: S, handler: (payload: z.infer<S>) => object): void => {
    client.handle(action, async ({ params }) => {
      if (action !== 'BootNotification' && runtime.bootStatus === 'Pending') {
        context.metrics?.ocppCalls.inc({ direction: 'in', action, result: 'SecurityError' });
        throw createRPCError('SecurityError', 'BootNotification is Pending: only BootNotification and triggered messages are allowed');
      }
      if (action !== 'BootNotification' && !runtime.callsAllowed) context.spoke(runtime);
      const parsed = schema.safeParse(params);
      if (!parsed.success) {
        context.metrics?.ocppCalls.inc({ direction: 'in', action, result: 'FormatViolation' });
        throw createRPCError('FormatViolation', `${action}: ${parsed.error.issues[0]?.message ?? 'invalid payload'}`);
      }
      const response = handler(parsed.data);
      context.metrics?.ocppCalls.inc({ direction: 'in', action, result: 'ok' });
      return response;
    });
  };

  on('BootNotification', BootNotificationRequest, (boot) => {
    const status = context.booted(runtime);
    log.info('boot notification', {
      reason: boot.reason,
      model: boot.chargingStation.model,
      vendor: boot.chargingStation.vendorName,
      status,
    });
    const interval = status === 'Accepted' ? context.heartbeatIntervalS : BOOT_PENDING_INTERVAL_S;
    return { currentTime: new Date(context.nowMs()).toISOString(), interval, status };
  });

  on('Heartbeat', z.object({}), () => ({ currentTime: new Date(context.nowMs()).toISOString() }));

  on('StatusNotification', StatusNotificationRequest, (status) => {
    runtime.connectors.set(`${status.evseId}/${status.connectorId}`, status.connectorStatus);
    context.evseSeen(runtime, status.evseId);
    const transactionId = runtime.transactionByEvse.get(status.evseId);
    if (status.connectorStatus === 'Available' && transactionId) {
      runtime.transactionByEvse.delete(status.evseId);
      sessions.endStale(transactionId, context.nowMs());
    }
    if (status.connectorStatus === 'Faulted') log.warn('connector faulted', { evseId: status.evseId, connectorId: status.connectorId });
    return {};
  });

  on('TransactionEvent', TransactionEventRequest, (event) => {
    if (event.evse) context.evseSeen(runtime, event.evse.id);
    const session = sessions.transactionEvent(event, { stationId, groupId: runtime.record.groupId, nowMs: context.nowMs() });
    if (session) {
      if (session.endedAt !== undefined) {
        if (runtime.transactionByEvse.get(session.evseId) === session.transactionId) runtime.transactionByEvse.delete(session.evseId);
      } else runtime.transactionByEvse.set(session.evseId, session.transactionId);
    }
    return event.idToken ? { idTokenInfo: { status: authorizationStatus(context.authorize) } } : {};
  });

  on('MeterValues', MeterValuesRequest, (meter) => {
    const transactionId = meter.evseId > 0 ? runtime.transactionByEvse.get(meter.evseId) : undefined;
    if (transactionId) sessions.meterValues(transactionId, meter.meterValue);
    return {};
  });

  on('Authorize', AuthorizeRequest, () => ({ idTokenInfo: { status: authorizationStatus(context.authorize) } }));

  on('NotifyEVChargingNeeds', NotifyEVChargingNeedsRequest, (request) => {
    const transactionId = runtime.transactionByEvse.get(request.evseId);
    if (!transactionId) return { status: 'Rejected' };
    const needs = evNeeds(request.chargingNeeds);
    sessions.evNeeds(transactionId, needs);
    log.info('EV charging needs', { evseId: request.evseId, transactionId, ...needs });
    return { status: 'Accepted' };
  });

  on('NotifyChargingLimit', NotifyChargingLimitRequest, (request) => {
    // An external limit only lowers what the station draws; core keeps counting our own (higher) limit.
    runtime.externalLimits.set(request.evseId ?? 0, request.chargingLimit.chargingLimitSource);
    log.info('external charging limit', { evseId: request.evseId ?? 0, source: request.chargingLimit.chargingLimitSource });
    return {};
  });

  on('ReportChargingProfiles', ReportChargingProfilesRequest, (report) => {
    context.chargingProfilesReported(report.requestId, report.chargingProfile, report.tbc ?? false);
    return {};
  });

  on('NotifyReport', NotifyReportRequest, (report) => {
    for (const data of report.reportData ?? []) {
      const isEntries = data.component.name.toLowerCase() === 'smartchargingctrlr' && data.variable.name.toLowerCase() === 'entries';
      const maxLimit = data.variableCharacteristics?.maxLimit;
      if (isEntries && maxLimit !== undefined) context.maxProfilesReported(runtime, maxLimit);
    }
    return {};
  });

  for (const [action, response] of Object.entries(ACKNOWLEDGED)) {
    client.handle(action, async ({ params }) => {
      if (!runtime.callsAllowed && runtime.bootStatus !== 'Pending') context.spoke(runtime);
      log.debug('acknowledged', { action, params });
      context.metrics?.ocppCalls.inc({ direction: 'in', action, result: 'ok' });
      return response;
    });
  }

  client.on('badMessage', ({ error }: { error: unknown }) => log.warn('malformed OCPP frame', { error: String(error) }));
  client.on('strictValidationFailure', ({ error, method, outbound }: { error: unknown; method: string; outbound: boolean }) =>
    log.warn('OCPP message failed schema validation', { action: method, outbound, error: String(error) }),
  );
}

function authorizationStatus(policy: 'accept-all' | 'reject-all'): 'Accepted' | 'Invalid' {
  return policy === 'accept-all' ? 'Accepted' : 'Invalid';
}

function evNeeds(needs: z.infer<typeof NotifyEVChargingNeedsRequest>['chargingNeeds']): EvChargingNeeds {
  const ac = needs.acChargingParameters;
  const dc = needs.dcChargingParameters;
  const energyAmountWh = ac?.energyAmount ?? dc?.energyAmount;
  const evMaxPowerW = dc?.evMaxPower;
  return {
    ...(energyAmountWh !== undefined && { energyAmountWh }),
    ...(needs.departureTime !== undefined && { departureTime: needs.departureTime }),
    ...(ac && { evMinCurrentA: ac.evMinCurrent, evMaxCurrentA: ac.evMaxCurrent }),
    ...(!ac && dc && { evMaxCurrentA: dc.evMaxCurrent }),
    ...(evMaxPowerW !== undefined && { evMaxPowerW }),
  };
}
