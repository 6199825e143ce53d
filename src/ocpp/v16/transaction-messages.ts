// OCPP 1.6 StartTransaction, StopTransaction and connector states as ChargingSession updates (1.6 digest §2.2, §7):
// pure. A 1.6 connector is a 2.0.1 EVSE; the charging state comes from StatusNotification, there is no seqNo.
import type { ChargingSession, ChargingState } from '../../domain/session';
import { parseTimeMs, readMeter, type TransactionContext } from '../v201/transaction-events';
import type { ConnectorStatus } from '../station-registry';
import { asMeterValues, type ChargePointStatus, type StartTransaction16, type StopTransaction16 } from './payloads';

/** 1.6 StartTransaction's transactionId as the session key; `-1` (E16 3.18: the start never got through) is none. */
export const NO_TRANSACTION = -1;

/** What a connector's 1.6 status says of the session on it; undefined: says nothing (no session, or a fault). */
export function chargingStateOf(status: ChargePointStatus): ChargingState | undefined {
  switch (status) {
    case 'Charging':
      return 'Charging';
    case 'SuspendedEV':
      return 'SuspendedEV';
    case 'SuspendedEVSE':
      return 'SuspendedEVSE';
    case 'Preparing':
    case 'Finishing':
      return 'EVConnected';
    default:
      return undefined;
  }
}

/** 1.6's nine connector states in 2.0.1's five (the API shows one vocabulary). */
export function connectorStatusOf(status: ChargePointStatus): ConnectorStatus {
  switch (status) {
    case 'Available':
    case 'Reserved':
    case 'Unavailable':
    case 'Faulted':
      return status;
    default:
      return 'Occupied';
  }
}

/** The session a StartTransaction opens: the meter starts at meterStart (Wh), charging until a status says otherwise. */
export function startedSession(
  start: StartTransaction16,
  transactionId: number,
  context: TransactionContext,
  state: ChargingState | undefined,
): ChargingSession {
  return {
    transactionId: String(transactionId),
    stationId: context.stationId,
    groupId: context.groupId,
    evseId: start.connectorId,
    chargingState: state ?? 'Charging',
    startedAt: new Date(parseTimeMs(start.timestamp, context.nowMs)).toISOString(),
    lastSeqNo: 0,
    priority: 0,
    meterStartWh: start.meterStart,
    meterWh: start.meterStart,
  };
}

/** A repeated StartTransaction (its answer was lost and the station sent it again): same connector, time and meter. */
export function isSameStart(session: ChargingSession, start: StartTransaction16, nowMs: number): boolean {
  return (
    session.endedAt === undefined &&
    session.evseId === start.connectorId &&
    session.meterStartWh === start.meterStart &&
    Date.parse(session.startedAt) === parseTimeMs(start.timestamp, nowMs)
  );
}

/**
 * The session a StopTransaction ends: final time and register from meterStop (or a later transactionData reading),
 * no current drawn. A stop for a session whose end was only inferred (its connector went Available first, as a
 * queued StopTransaction may arrive after the status that overtook it) replaces that end with the station's own.
 */
export function stoppedSession(session: ChargingSession, stop: StopTransaction16, nowMs: number): ChargingSession {
  const reading = readMeter(asMeterValues(stop.transactionData ?? []));
  const meterWh = Math.max(stop.meterStop, reading.energyWh ?? stop.meterStop, session.meterStartWh ?? 0);
  const { endInferred: _inferred, ...open } = session;
  return {
    ...open,
    chargingState: 'Idle',
    endedAt: new Date(parseTimeMs(stop.timestamp, nowMs)).toISOString(),
    meterWh,
    measuredCurrentA: [0, 0, 0],
  };
}
