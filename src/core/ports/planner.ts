// Core's planner port: what a plan is asked for and what it gives, and the plan in force as the read side sees it.
// agent.ts binds `PlanFn` to src/allocator (core/allocator-plan.ts); tests may bind any planner.
import type { AllocationBlock, AllocationInput, AllocationSession, FixedLoad, Reason } from '../../allocator';
import type { CapacitySource } from '../../domain/capacity';
import type { GroupLayout } from '../../domain/group';

/** A block of the plan: the allocator's block, and where its capacity comes from. */
export interface PlanBlock extends AllocationBlock {
  readonly source: CapacitySource;
  /** What the grid (or fallback, or safe limit) grants in the block, before an operator's cap; = capacityA without one. */
  readonly gridCapacityA?: AllocationBlock['capacityA'];
  /** The operator's group cap that applies in this block (it applies only until it expires). */
  readonly operatorCapA?: number;
}

/** A session the planner may give 0 or [minA, maxA] per block: the allocator's session, named by its transaction, on its EVSE. */
export interface PlanSession extends Omit<AllocationSession, 'id' | 'fixedA'> {
  readonly transactionId: string;
  readonly evseId: number;
}

/** The allocator's input, with the group's layout in one piece and core's blocks and sessions. */
export interface PlanRequest {
  readonly nowMs: number;
  readonly group: GroupLayout;
  readonly blocks: readonly PlanBlock[];
  readonly sessions: readonly PlanSession[];
  /** Load the planner must count but cannot change (uncontrollable or unreachable stations, leases in force), by station. */
  readonly fixedLoads: readonly FixedLoad[];
  /** Per-phase supply limit of each station with sessions (shared by its EVSEs). */
  readonly stationMaxA: AllocationInput['stationMaxA'];
  /** The plan in force (its block starts, end and limits per session), to keep the new plan stable. */
  readonly previous?: AllocationInput['previous'];
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

/** The plan in force, as the read side and the next reallocation see it. */
export interface AppliedPlan {
  readonly computedAtMs: number;
  readonly blocks: readonly PlanBlock[];
  /** The sessions it was computed for: which station each planned limit belongs to. */
  readonly sessions: readonly PlanSession[];
  readonly result: PlanResult;
  readonly source: CapacitySource;
}

export type { Reason };
