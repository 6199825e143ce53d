// One connector of a simulated OCPP 1.6 station (1.6 has no EVSE level: connector = EVSE): its state, the
// transaction on it, the status it reports (1.6 §4.9) and the meter reading it is sampled from.
import type { ActiveTransaction } from './composite';
import { evDemandA } from './ev';
import type { DrawingEvse } from './evse-draw';
import { LimitLog } from './limit-log';
import type { EvseReading } from './meter-values';
import type { meterValueV16 } from './meter-values-v16';
import type { CsmsTransactionRef } from './transactions-v16';

export type ConnectorStatusV16 =
  'Available' | 'Preparing' | 'Charging' | 'SuspendedEV' | 'SuspendedEVSE' | 'Finishing' | 'Unavailable' | 'Faulted';

export interface ConnectorTransaction extends ActiveTransaction, CsmsTransactionRef {
  readonly idTag: string;
  /** The Transaction.Begin sample, repeated in StopTransaction.transactionData. */
  readonly begin: ReturnType<typeof meterValueV16>;
}

/** One connector (1.6 has no EVSE level: connector = EVSE); `evseId` is its connectorId, as the shared draw step reads it. */
export interface ConnectorState extends DrawingEvse {
  transaction: ConnectorTransaction | undefined;
  /** Last status sent (undefined: none yet on this connection). */
  status: ConnectorStatusV16 | undefined;
  operative: boolean;
  /** ChangeAvailability Inoperative arrived during a transaction: applied when it ends. */
  inoperativeWhenIdle: boolean;
}

export type StopReasonV16 = 'EVDisconnected' | 'HardReset' | 'SoftReset' | 'Remote' | 'UnlockCommand' | 'Local';

export function newConnector(connectorId: number, logCapacity: number): ConnectorState {
  return {
    evseId: connectorId,
    ev: undefined,
    transaction: undefined,
    energyWh: 0,
    offeredA: 0,
    offeredPhases: 0,
    drawnA: [0, 0, 0],
    log: new LimitLog(logCapacity),
    status: undefined,
    operative: true,
    inoperativeWhenIdle: false,
  };
}

/** What the connector reports now; the charging states follow from what the EV draws, as 2.0.1's chargingState does. */
export function statusOf(c: ConnectorState, stationOperative: boolean): ConnectorStatusV16 {
  if (!c.operative || !stationOperative) return 'Unavailable';
  if (c.transaction === undefined) return c.ev ? 'Finishing' : 'Available';
  if (c.ev === undefined) return 'Preparing';
  if (c.drawnA[0] > 0) return 'Charging';
  return evDemandA(c.ev) === 0 ? 'SuspendedEV' : 'SuspendedEVSE';
}

export function readingOf(c: ConnectorState, voltageV: number): EvseReading {
  return {
    energyWh: c.energyWh,
    drawnA: c.drawnA,
    offeredA: c.offeredA,
    voltageV,
    ...(c.ev ? { socPercent: c.ev.socPercent } : {}),
  };
}
