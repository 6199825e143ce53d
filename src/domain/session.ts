// A charging session (OCPP transaction) and what we know of the EV: phases, needs, measured draw.
// Shared by the OCPP adapter (which fills it), the store (which keeps it) and core (which allocates).
import type { GroupId } from './group';
import type { StationId } from './station';

/** OCPP ChargingStateEnumType. */
export const CHARGING_STATES = ['Charging', 'EVConnected', 'SuspendedEV', 'SuspendedEVSE', 'Idle'] as const;
export type ChargingState = (typeof CHARGING_STATES)[number];

/** What the EV told us through NotifyEVChargingNeeds (ISO 15118). */
export interface EvChargingNeeds {
  readonly energyAmountWh?: number;
  /** ISO 8601 UTC. */
  readonly departureTime?: string;
  readonly evMinCurrentA?: number;
  readonly evMaxCurrentA?: number;
  readonly evMaxPowerW?: number;
}

export interface ChargingSession {
  readonly transactionId: string;
  readonly stationId: StationId;
  readonly groupId: GroupId;
  readonly evseId: number;
  readonly connectorId?: number;
  readonly chargingState: ChargingState;
  /** Phases the EV draws on (OCPP numberOfPhasesUsed); undefined until known. */
  readonly phasesUsed?: 1 | 2 | 3;
  /** ISO 8601 UTC. */
  readonly startedAt: string;
  /** ISO 8601 UTC; set once the transaction has ended. */
  readonly endedAt?: string;
  /**
   * The end was inferred (the connector went Available with no Ended from the station): provisional, so the
   * station's own Ended, arriving later, still sets the final time and meter reading.
   */
  readonly endInferred?: true;
  /** Energy.Active.Import.Register at the last reading, Wh. */
  readonly meterWh?: number;
  /** Meter register at session start, Wh, so energy used = meterWh − meterStartWh. */
  readonly meterStartWh?: number;
  /** Latest measured Current.Import per phase, A. */
  readonly measuredCurrentA?: readonly [number, number, number];
  /** Highest TransactionEvent seqNo processed, for idempotent replays. */
  readonly lastSeqNo: number;
  readonly evNeeds?: EvChargingNeeds;
  /** OCPP chargingPriority −9..9 (0 default). */
  readonly priority: number;
}
