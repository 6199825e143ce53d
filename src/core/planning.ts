// The contract between the group controller and the allocator: what a plan is asked for and what it gives.
// main.ts binds `PlanFn` to src/allocator; keeping the shape here lets core be tested with any planner.
import type { Reason } from '../allocator';
import type { CapacitySource } from '../domain/capacity';
import type { PhaseCurrentsA, PhaseIndex } from '../domain/electrical';
import type { GroupLayout } from '../domain/group';
import type { StationId } from '../domain/station';

export interface PlanBlock {
  readonly startMs: number;
  readonly endMs: number;
  /** Capacity in force, per phase, before the safety margin. */
  readonly capacityA: PhaseCurrentsA;
  readonly source: CapacitySource;
}

/** A session the planner may give 0 or [minA, maxA] per block. */
export interface PlanSession {
  readonly transactionId: string;
  readonly stationId: StationId;
  readonly evseId: number;
  readonly phasesUsed: 1 | 3;
  /** Grid phase a single-phase EV sits on, when known; unknown ⇒ counted on every phase. */
  readonly phase?: PhaseIndex;
  readonly minA: number;
  readonly maxA: number;
  readonly priority: number;
  readonly energyWantedWh?: number;
  readonly departureMs?: number;
  readonly measuredA?: number;
  /** Since when the measured draw has stayed well below the limit in force (lets the planner lend it out). */
  readonly belowLimitSinceMs?: number;
  /** Since when it has been paused for lack of capacity: it gets its turn before those never paused. */
  readonly pausedSinceMs?: number;
}

/** Load the planner must count but cannot change: uncontrollable or unreachable stations, leases in force. */
export interface PlanFixedLoad {
  readonly stationId: StationId;
  readonly phases: 1 | 3;
  /** Amps per phase in each block, aligned with `PlanRequest.blocks`. */
  readonly limitsA: readonly number[];
}

export interface PlanRequest {
  readonly nowMs: number;
  readonly group: GroupLayout;
  readonly blocks: readonly PlanBlock[];
  readonly sessions: readonly PlanSession[];
  readonly fixedLoads: readonly PlanFixedLoad[];
  /** Per-phase supply limit of each station with sessions (shared by its EVSEs). */
  readonly stationMaxA: ReadonlyMap<StationId, number>;
  /** The plan in force (its block starts, end and limits per session), to keep the new plan stable. */
  readonly previous?: {
    readonly blockStartsMs: readonly number[];
    readonly endMs: number;
    readonly limitsA: ReadonlyMap<string, readonly number[]>;
  };
}

export interface PlanResult {
  /** Amps per phase for each session in each block (0 = paused). */
  readonly limitsA: ReadonlyMap<string, readonly number[]>;
  /** Why a session got what it got now: core acts on it, the API renders it. */
  readonly reasons: ReadonlyMap<string, Reason>;
  /** Indices of blocks where the fixed load alone exceeds capacity − margin: the group cannot comply there. */
  readonly overloadedBlocks: readonly number[];
}

export type PlanFn = (request: PlanRequest) => PlanResult;

export type { Reason };
