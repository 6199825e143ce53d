// Station answers of the operator API, built from the CSMS's records, core's fleet and lease ledger, and the
// overrides in force. Passwords and their hashes never leave here.
import type { CoreQueries, LeasedSchedule, OperatorCommands } from '../../core/ports';
import type { StationView } from '../backend';
import type { SessionSummary, StationDetail, StationSummary } from '../response-schemas';

const iso = (ms: number): string => new Date(ms).toISOString();

function schedule(live: LeasedSchedule): { leaseEnd: string; periods: { start: string; limitA: number }[] } {
  return { leaseEnd: iso(live.leaseEndMs), periods: live.periods.map((p) => ({ start: iso(p.startMs), limitA: p.limitA })) };
}

export interface StationContext {
  readonly core: CoreQueries & OperatorCommands;
  readonly nowMs: number;
  /** When this run last saw each station connect or disconnect. */
  readonly connectionChangedAt: ReadonlyMap<string, number>;
}

export function stationSummary(context: StationContext, view: StationView, sessions: number): StationSummary {
  const { record } = view;
  const { core, nowMs } = context;
  const fleet = core.fleet.station(record.stationId);
  const standingA = core.ledger.standingA(record.stationId);
  const live = core.ledger.liveSchedule(record.stationId);
  const inForceA = core.ledger.assumedLimitA(record.stationId, nowMs);
  const changedAt = context.connectionChangedAt.get(record.stationId);
  const smart = record.smartCharging;
  return {
    id: record.stationId,
    groupId: record.groupId,
    connected: fleet?.connected ?? false,
    ...(changedAt !== undefined && { connectionChangedAt: iso(changedAt) }),
    ...(record.protocol !== undefined && { protocol: record.protocol }),
    ...(record.bootInfo !== undefined && { boot: { ...record.bootInfo } }),
    bootStatus: view.bootStatus,
    ...(view.pendingReason !== undefined && view.bootStatus === 'Pending' && { pendingReason: view.pendingReason }),
    ...(view.backoffUntilMs > nowMs && { unresponsive: { timeouts: view.consecutiveTimeouts, retryAt: iso(view.backoffUntilMs) } }),
    ...(view.relay && { upstream: upstreamOf(view.relay.upstream) }),
    controllable: record.controllable,
    paused: core.overrides.stationPaused(record.stationId),
    evseCount: record.evseCount,
    phases: record.phases,
    evseMaxCurrentA: record.evseMaxCurrentA,
    stationMaxCurrentA: record.stationMaxCurrentA,
    hasPassword: record.passwordHash !== undefined,
    ...(smart && {
      smartCharging: {
        profileStackLevel: smart.profileStackLevel,
        periodsPerSchedule: smart.periodsPerSchedule,
        ...(smart.maxProfiles !== undefined && { maxProfiles: smart.maxProfiles }),
        rateUnits: [...smart.rateUnits],
      },
    }),
    limits: {
      ...(standingA !== undefined && { standingA }),
      ...(live !== undefined && live.leaseEndMs > nowMs && { live: schedule(live) }),
      ...(Number.isFinite(inForceA) && { inForceA: Math.min(inForceA, record.stationMaxCurrentA) }),
    },
    sessions,
  };
}

export function stationDetail(context: StationContext, view: StationView, sessions: readonly SessionSummary[]): StationDetail {
  return {
    ...stationSummary(context, view, sessions.length),
    sessions: [...sessions],
    connectors: [...view.connectors].map(([id, status]) => ({ id, status })),
    externalLimits: [...view.externalLimits].map(([evseId, source]) => ({ evseId, source })),
  };
}

function upstreamOf(upstream: NonNullable<StationView['relay']>['upstream']): NonNullable<StationSummary['upstream']> {
  return {
    state: upstream.state,
    ...(upstream.reason !== undefined && { reason: upstream.reason }),
    since: iso(upstream.sinceMs),
    queueDepth: upstream.queueDepth,
    ...(upstream.replayLagMs !== undefined && { replayLagMs: upstream.replayLagMs }),
  };
}
