// Station and session answers of the operator API, built from the CSMS's records, core's fleet and lease ledger,
// the overrides in force and the session book. Passwords and their hashes never leave here.
import type { CoreQueries, OperatorCommands } from '../core/ports';
import type { LeasedSchedule } from '../core/ports';
import type { ChargingSession } from '../domain/session';
import type { StationView } from './backend';
import type { SessionEntry } from './session-book';
import { REASON_TEXT, type SessionDetail, type SessionSummary, type StationDetail, type StationSummary } from './schemas';

const iso = (ms: number): string => new Date(ms).toISOString();

/** Energy a session has used: meter now − meter at start, once both are known; the summary and the events agree on it. */
export function energyWhOf(session: ChargingSession): number | undefined {
  return session.meterWh !== undefined && session.meterStartWh !== undefined
    ? Math.max(0, session.meterWh - session.meterStartWh)
    : undefined;
}

export function sessionSummary(session: ChargingSession, entry?: SessionEntry): SessionSummary {
  const energyWh = energyWhOf(session);
  return {
    transactionId: session.transactionId,
    stationId: session.stationId,
    groupId: session.groupId,
    evseId: session.evseId,
    ...(session.connectorId !== undefined && { connectorId: session.connectorId }),
    state: session.endedAt === undefined ? 'active' : 'ended',
    chargingState: session.chargingState,
    ...(session.phasesUsed !== undefined && { phasesUsed: session.phasesUsed }),
    startedAt: session.startedAt,
    ...(session.endedAt !== undefined && { endedAt: session.endedAt }),
    ...(energyWh !== undefined && { energyWh }),
    ...(session.measuredCurrentA !== undefined && { measuredA: [...session.measuredCurrentA] }),
    priority: session.priority,
    ...(session.evNeeds !== undefined && { evNeeds: { ...session.evNeeds } }),
    ...(entry?.limitA !== undefined && session.endedAt === undefined && { limitA: entry.limitA }),
    ...(entry?.reason !== undefined && session.endedAt === undefined && { reason: REASON_TEXT[entry.reason] }),
  };
}

export function sessionDetail(session: ChargingSession, entry?: SessionEntry): SessionDetail {
  return {
    ...sessionSummary(session, entry),
    ...(session.meterStartWh !== undefined && { meterStartWh: session.meterStartWh }),
    ...(session.meterWh !== undefined && { meterWh: session.meterWh }),
    limitHistory: (entry?.history ?? []).map((h) => ({
      at: iso(h.atMs),
      limitA: h.limitA,
      ...(h.reason !== undefined && { reason: REASON_TEXT[h.reason] }),
    })),
  };
}

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
    bootStatus: view.bootStatus,
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
