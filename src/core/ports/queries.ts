// Core's read side for the operator API and the metrics, and the few operator commands: they ask core, never
// recompute a safety rule (who is allocatable, what a station is counted at) of their own.
import type { GroupId } from '../../domain/group';
import type { StationId } from '../../domain/station';
import type { FleetStation } from '../fleet';
import type { GroupCount, GroupView } from '../group-load';
import type { LeasedSchedule } from './stations';
import type { Override } from '../overrides';
import type { AppliedPlan } from './planner';
import type { ChargingSession } from '../../domain/session';

export interface FleetQueries {
  station(stationId: StationId): FleetStation | undefined;
  stationsOf(groupId: GroupId): readonly FleetStation[];
  session(transactionId: string): ChargingSession | undefined;
  sessionsOf(groupId: GroupId): readonly ChargingSession[];
}

export interface LedgerQueries {
  standingA(stationId: StationId): number | undefined;
  liveSchedule(stationId: StationId): LeasedSchedule | undefined;
  assumedLimitA(stationId: StationId, atMs: number): number;
}

export interface OverrideQueries {
  stationPaused(stationId: StationId): boolean;
  groupCapA(groupId: GroupId): number | undefined;
  list(): readonly Override[];
}

export interface CoreQueries {
  readonly fleet: FleetQueries;
  readonly ledger: LedgerQueries;
  readonly overrides: OverrideQueries;
  plan(groupId: GroupId): AppliedPlan | undefined;
  view(groupId: GroupId, atMs: number): GroupView | undefined;
  planCounts(groupId: GroupId): GroupCount[];
}

/** What an admin may change through the API. */
export interface OperatorCommands {
  setOverride(override: Override): void;
  removeOverride(override: Override): boolean;
  /** A station deleted by the operator leaves the fleet and the ledger at once. */
  removeStation(stationId: StationId): void;
}
