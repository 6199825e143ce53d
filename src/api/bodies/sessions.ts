// Session answers of the operator API: a session's summary and detail (energy, EV needs, the history of its limits),
// from core's session and the session book.
import type { ChargingSession } from '../../domain/session';
import type { SessionEntry } from '../session-book';
import { REASON_TEXT, type SessionDetail, type SessionSummary } from '../response-schemas';

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
