// What a simulated EVSE is (EV, transaction, meter, limit log) and the OCPP payloads it reports:
// TransactionEvent bodies with meter values, NotifyEVChargingNeeds from the EV model.
import type { ActiveTransaction } from './composite';
import type { EvModel } from './ev';
import type { LimitLog } from './limit-log';
import { isoAt, meterValue, type EvseReading, type ReadingContext } from './meter-values';

export type ChargingState = 'Charging' | 'EVConnected' | 'SuspendedEV' | 'SuspendedEVSE' | 'Idle';

export interface Transaction extends ActiveTransaction {
  seqNo: number;
  chargingState: ChargingState;
}

export interface EvseState {
  readonly evseId: number;
  ev: EvModel | undefined;
  transaction: Transaction | undefined;
  energyWh: number;
  offeredA: number;
  offeredPhases: number;
  drawnA: [number, number, number];
  readonly log: LimitLog;
}

export function evseReading(evse: EvseState, voltageV: number): EvseReading {
  return {
    energyWh: evse.energyWh,
    drawnA: evse.drawnA,
    offeredA: evse.offeredA,
    voltageV,
    ...(evse.ev ? { socPercent: evse.ev.socPercent } : {}),
  };
}

export interface TransactionEventKind {
  readonly eventType: 'Started' | 'Updated' | 'Ended';
  readonly triggerReason: string;
  readonly context: ReadingContext;
  readonly stoppedReason?: string;
}

/** One TransactionEvent; consumes the transaction's next seqNo. */
export function transactionEventPayload(
  evse: EvseState,
  transaction: Transaction,
  atMs: number,
  kind: TransactionEventKind,
  reading: EvseReading,
): Record<string, unknown> {
  return {
    eventType: kind.eventType,
    timestamp: isoAt(atMs),
    triggerReason: kind.triggerReason,
    seqNo: transaction.seqNo++,
    transactionInfo: {
      transactionId: transaction.transactionId,
      chargingState: kind.eventType === 'Ended' ? 'Idle' : transaction.chargingState,
      ...(kind.stoppedReason === undefined ? {} : { stoppedReason: kind.stoppedReason }),
    },
    evse: { id: evse.evseId, connectorId: 1 },
    ...(evse.ev ? { numberOfPhasesUsed: evse.ev.phases } : {}),
    meterValue: [meterValue(atMs, reading, kind.context)],
  };
}

/** ISO 15118 charging needs of an AC EV (K15): energy to its target, current range, departure time. */
export function chargingNeedsPayload(evseId: number, ev: EvModel, atMs: number): Record<string, unknown> {
  const energyAmount = Math.max(0, Math.round(((ev.targetSocPercent - ev.socPercent) / 100) * ev.batteryWh));
  return {
    evseId,
    chargingNeeds: {
      requestedEnergyTransfer: ev.phases === 1 ? 'AC_single_phase' : 'AC_three_phase',
      ...(ev.departureAfterS === undefined ? {} : { departureTime: isoAt(atMs + ev.departureAfterS * 1000) }),
      acChargingParameters: {
        energyAmount,
        evMinCurrent: Math.round(ev.minCurrentA),
        evMaxCurrent: Math.round(ev.maxCurrentA),
        evMaxVoltage: 400,
      },
    },
  };
}
