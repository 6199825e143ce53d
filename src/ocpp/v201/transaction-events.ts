// Turns TransactionEvent and MeterValues payloads into ChargingSession updates (OCPP digest §3.2–§3.3).
// Pure: idempotent on replays (transactionId + seqNo), lenient about timestamps, explicit about units.
import { DateTime } from 'luxon';
import type { ChargingSession, ChargingState } from '../../domain/session';
import type { GroupId } from '../../domain/group';
import type { StationId } from '../../domain/station';
import type { MeterValue, SampledValue, TransactionEventRequest } from './payloads';

export interface MeterReading {
  /** Energy.Active.Import.Register, Wh. */
  readonly energyWh?: number;
  /** Current.Import per phase, A. */
  readonly currentA?: readonly [number, number, number];
}

const ZERO_A: readonly [number, number, number] = [0, 0, 0];

const PHASE_INDEX: Record<string, 0 | 1 | 2> = { L1: 0, L2: 1, L3: 2, 'L1-N': 0, 'L2-N': 1, 'L3-N': 2 };

/** Wh from an energy sample: unit Wh (default) or kWh, times 10^multiplier. */
function energyWh(sample: SampledValue): number | undefined {
  const unit = sample.unitOfMeasure?.unit ?? 'Wh';
  const scale = 10 ** (sample.unitOfMeasure?.multiplier ?? 0);
  if (unit === 'Wh') return sample.value * scale;
  if (unit === 'kWh') return sample.value * scale * 1000;
  return undefined;
}

/**
 * The latest energy register and per-phase current of a list of meter values. A Current.Import sample without a
 * phase is read as the current on every phase the EV uses (the conservative reading for allocation).
 */
export function readMeter(values: readonly MeterValue[]): MeterReading {
  let energy: number | undefined;
  let current: [number, number, number] | undefined;
  // One value per message is the common case (periodic samples): no copy, no timestamp parsing to order it.
  const ordered = values.length > 1 ? [...values].sort((a, b) => parseTimeMs(a.timestamp) - parseTimeMs(b.timestamp)) : values;
  for (const value of ordered) {
    let phaseCurrent: [number, number, number] | undefined;
    for (const sample of value.sampledValue) {
      const measurand = sample.measurand ?? 'Energy.Active.Import.Register';
      if (measurand === 'Energy.Active.Import.Register' && sample.phase === undefined) {
        const wh = energyWh(sample);
        if (wh !== undefined && Number.isFinite(wh)) energy = wh;
      } else if (measurand === 'Current.Import' && Number.isFinite(sample.value)) {
        phaseCurrent ??= [0, 0, 0];
        const index = sample.phase === undefined ? undefined : PHASE_INDEX[sample.phase];
        if (sample.phase === undefined) phaseCurrent = [sample.value, sample.value, sample.value];
        else if (index !== undefined) phaseCurrent[index] = sample.value;
      }
    }
    if (phaseCurrent) current = phaseCurrent;
  }
  return { ...(energy !== undefined && { energyWh: energy }), ...(current && { currentA: current }) };
}

/** OCPP timestamps as epoch ms; values without a zone (seen in the field) are read as UTC, unreadable ones as "now". */
export function parseTimeMs(timestamp: string, nowMs = Date.now()): number {
  const parsed = DateTime.fromISO(timestamp, { zone: 'utc', setZone: false });
  return parsed.isValid ? parsed.toMillis() : nowMs;
}

export interface TransactionContext {
  readonly stationId: StationId;
  readonly groupId: GroupId;
  readonly nowMs: number;
}

export type TransactionOutcome =
  /** Nothing new: the same seqNo again, or an event older than what we hold that adds nothing. */
  | { readonly kind: 'duplicate' }
  /** An event after the transaction ended (a second Ended, a late Updated): answered, never applied (E06). */
  | { readonly kind: 'after-end' }
  | { readonly kind: 'applied'; readonly session: ChargingSession; readonly started: boolean; readonly ended: boolean };

/**
 * Applies one TransactionEvent to the session it belongs to (or starts one: an Updated for an unknown id too).
 *
 * The result depends on the set of events received, not on their order or repetition (E-block: events may be
 * replayed after an outage, duplicated, or overtake each other): a field that only grows (meter register, seqNo) or
 * only shrinks (start time, start register) merges by max/min; a field that follows the latest state (charging state,
 * measured current, phases) is taken only from an event newer than every one applied. An ended transaction is final:
 * an event numbered after its end is refused as `after-end`, and older ones may only fill in what it lacks.
 */
export function applyTransactionEvent(
  held: ChargingSession | undefined,
  event: TransactionEventRequest,
  context: TransactionContext,
): TransactionOutcome {
  const previous = held?.endInferred ? reopened(held) : held;
  const seqNo = event.seqNo;
  const wasEnded = previous?.endedAt !== undefined;
  if (previous && seqNo === previous.lastSeqNo) return { kind: 'duplicate' };
  if (previous && wasEnded && seqNo > previous.lastSeqNo) return { kind: 'after-end' };
  const newest = previous === undefined || seqNo > previous.lastSeqNo;
  const atMs = parseTimeMs(event.timestamp, context.nowMs);
  const at = new Date(atMs).toISOString();
  const meter = readMeter(event.meterValue ?? []);
  const endsNow = !wasEnded && event.eventType === 'Ended';
  const phases = event.numberOfPhasesUsed;
  const reportedPhases = phases === 1 || phases === 2 || phases === 3 ? phases : undefined;
  const phasesUsed = (newest || previous?.phasesUsed === undefined ? reportedPhases : undefined) ?? previous?.phasesUsed;
  const chargingState: ChargingState = endsNow
    ? (event.transactionInfo.chargingState ?? 'Idle')
    : previous && (wasEnded || !newest)
      ? previous.chargingState
      : (event.transactionInfo.chargingState ?? previous?.chargingState ?? (event.eventType === 'Started' ? 'EVConnected' : 'Charging'));
  const meterWh = maxOf(previous?.meterWh, meter.energyWh);
  const meterStartWh = minOf(previous?.meterStartWh, meter.energyWh);
  const measuredCurrentA = wasEnded
    ? (previous?.measuredCurrentA ?? ZERO_A)
    : endsNow
      ? ZERO_A
      : newest
        ? (meter.currentA ?? previous?.measuredCurrentA)
        : (previous?.measuredCurrentA ?? meter.currentA);
  const connectorId = event.evse?.connectorId ?? previous?.connectorId;
  const startedAt = previous === undefined || atMs < Date.parse(previous.startedAt) ? at : previous.startedAt;
  const endedAt = wasEnded ? previous?.endedAt : endsNow ? at : undefined;
  const session: ChargingSession = {
    transactionId: event.transactionInfo.transactionId,
    stationId: context.stationId,
    groupId: context.groupId,
    evseId: event.evse?.id ?? previous?.evseId ?? 1,
    chargingState,
    startedAt,
    lastSeqNo: Math.max(seqNo, previous?.lastSeqNo ?? seqNo),
    priority: previous?.priority ?? 0,
    ...(connectorId !== undefined && { connectorId }),
    ...(phasesUsed !== undefined && { phasesUsed }),
    ...(meterWh !== undefined && { meterWh }),
    ...(meterStartWh !== undefined && { meterStartWh }),
    ...(measuredCurrentA !== undefined && { measuredCurrentA }),
    ...(previous?.evNeeds && { evNeeds: previous.evNeeds }),
    ...(endedAt !== undefined && { endedAt }),
  };
  if (held && !held.endInferred && !newest && sameSession(held, session)) return { kind: 'duplicate' };
  return { kind: 'applied', session, started: previous === undefined, ended: endsNow };
}

/** A session whose end was only inferred, as it was before: the station's own events decide. */
function reopened(session: ChargingSession): ChargingSession {
  const { endedAt: _endedAt, endInferred: _inferred, ...open } = session;
  return open;
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** The fields an older event may fill in: when none changed, the event was a replay. */
function sameSession(a: ChargingSession, b: ChargingSession): boolean {
  return (
    a.startedAt === b.startedAt &&
    a.meterWh === b.meterWh &&
    a.meterStartWh === b.meterStartWh &&
    a.phasesUsed === b.phasesUsed &&
    a.evseId === b.evseId &&
    a.connectorId === b.connectorId &&
    a.measuredCurrentA === b.measuredCurrentA &&
    a.chargingState === b.chargingState
  );
}

/** A session record its owner (the session tracker) may update in place. */
export type LiveSession = { -readonly [K in keyof ChargingSession]: ChargingSession[K] };

/**
 * A MeterValues message for an EVSE with an active session: the same reading rules, no seqNo. Applied to the record
 * in place (a reading every few seconds per session, 14,000 a second across a fleet: a record replaced per reading
 * would outlive the young generation). False when the values held no reading.
 */
export function applyMeterValues(session: LiveSession, values: readonly MeterValue[]): boolean {
  const meter = readMeter(values);
  if (meter.energyWh === undefined && meter.currentA === undefined) return false;
  if (meter.energyWh !== undefined) {
    session.meterWh = meter.energyWh;
    session.meterStartWh ??= meter.energyWh;
  }
  // The same currents keep the record's tuple: the new one dies young instead of outliving the next reading in the
  // old generation (the tuples are never changed in place; readers may keep them).
  if (meter.currentA && !samePhases(session.measuredCurrentA, meter.currentA)) session.measuredCurrentA = meter.currentA;
  return true;
}

function samePhases(a: readonly [number, number, number] | undefined, b: readonly [number, number, number]): boolean {
  return a !== undefined && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}
