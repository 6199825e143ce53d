// Turns TransactionEvent and MeterValues payloads into ChargingSession updates (OCPP digest §3.2–§3.3).
// Pure: idempotent on replays (transactionId + seqNo), lenient about timestamps, explicit about units.
import { DateTime } from 'luxon';
import type { ChargingSession } from '../domain/session';
import type { GroupId } from '../domain/group';
import type { StationId } from '../domain/station';
import type { MeterValue, SampledValue, TransactionEventRequest } from './payloads';

export interface MeterReading {
  /** Energy.Active.Import.Register, Wh. */
  readonly energyWh?: number;
  /** Current.Import per phase, A. */
  readonly currentA?: readonly [number, number, number];
}

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
  const ordered = [...values].sort((a, b) => parseTime(a.timestamp).toMillis() - parseTime(b.timestamp).toMillis());
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

/** OCPP timestamps in UTC; values without a zone (seen in the field) are read as UTC, unreadable ones as "now". */
export function parseTime(timestamp: string, nowMs = Date.now()): DateTime {
  const parsed = DateTime.fromISO(timestamp, { zone: 'utc', setZone: false });
  return parsed.isValid ? parsed.toUTC() : DateTime.fromMillis(nowMs, { zone: 'utc' });
}

export interface TransactionContext {
  readonly stationId: StationId;
  readonly groupId: GroupId;
  readonly nowMs: number;
}

export type TransactionOutcome =
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'applied'; readonly session: ChargingSession; readonly started: boolean; readonly ended: boolean };

/** Applies one TransactionEvent to the session it belongs to (or starts one: an Updated for an unknown id too). */
export function applyTransactionEvent(
  previous: ChargingSession | undefined,
  event: TransactionEventRequest,
  context: TransactionContext,
): TransactionOutcome {
  if (previous && (previous.endedAt !== undefined || event.seqNo <= previous.lastSeqNo)) return { kind: 'duplicate' };
  const at = parseTime(event.timestamp, context.nowMs);
  const meter = readMeter(event.meterValue ?? []);
  const phases = event.numberOfPhasesUsed;
  const phasesUsed = phases === 1 || phases === 2 || phases === 3 ? phases : previous?.phasesUsed;
  const ended = event.eventType === 'Ended';
  const chargingState =
    event.transactionInfo.chargingState ??
    (ended ? 'Idle' : (previous?.chargingState ?? (event.eventType === 'Started' ? 'EVConnected' : 'Charging')));
  const meterWh = meter.energyWh ?? previous?.meterWh;
  const meterStartWh = previous?.meterStartWh ?? meter.energyWh;
  const measuredCurrentA = ended ? ([0, 0, 0] as const) : (meter.currentA ?? previous?.measuredCurrentA);
  const connectorId = event.evse?.connectorId ?? previous?.connectorId;
  const session: ChargingSession = {
    transactionId: event.transactionInfo.transactionId,
    stationId: context.stationId,
    groupId: context.groupId,
    evseId: event.evse?.id ?? previous?.evseId ?? 1,
    chargingState,
    startedAt: previous?.startedAt ?? at.toISO() ?? new Date(context.nowMs).toISOString(),
    lastSeqNo: event.seqNo,
    priority: previous?.priority ?? 0,
    ...(connectorId !== undefined && { connectorId }),
    ...(phasesUsed !== undefined && { phasesUsed }),
    ...(meterWh !== undefined && { meterWh }),
    ...(meterStartWh !== undefined && { meterStartWh }),
    ...(measuredCurrentA !== undefined && { measuredCurrentA }),
    ...(previous?.evNeeds && { evNeeds: previous.evNeeds }),
    ...(ended && { endedAt: at.toISO() ?? new Date(context.nowMs).toISOString() }),
  };
  return { kind: 'applied', session, started: previous === undefined, ended };
}

/** A MeterValues message for an EVSE with an active session: the same reading rules, no seqNo. */
export function applyMeterValues(session: ChargingSession, values: readonly MeterValue[]): ChargingSession {
  const meter = readMeter(values);
  if (meter.energyWh === undefined && meter.currentA === undefined) return session;
  return {
    ...session,
    ...(meter.energyWh !== undefined && { meterWh: meter.energyWh }),
    ...(session.meterStartWh === undefined && meter.energyWh !== undefined && { meterStartWh: meter.energyWh }),
    ...(meter.currentA && { measuredCurrentA: meter.currentA }),
  };
}
