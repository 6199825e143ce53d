// Input and output of the allocator: capacity blocks, sessions with their bounds and needs, fixed loads,
// and the plan (limits per session per block in one typed array, headroom per block and phase, reasons).
import type { PhaseCurrentsA } from '../domain/electrical';

export interface AllocationBlock {
  readonly startMs: number;
  readonly endMs: number;
  /** Capacity in force per phase, before the safety margin. */
  readonly capacityA: PhaseCurrentsA;
}

export interface AllocationSession {
  readonly id: string;
  readonly stationId: string;
  /**
   * Phases the EV draws on, for the current its energy need takes. Which grid phase a 1-phase EV loads is not known
   * (stations do not report their phase rotation), so every EV is counted on every phase of the group.
   */
  readonly phasesUsed: 1 | 3;
  /** Lowest useful current (≥ 6 A, IEC 61851) and the highest the EVSE, cable and EV allow, A per phase. */
  readonly minA: number;
  readonly maxA: number;
  /** OCPP chargingPriority −9..9; a weight in the fair share and an order when not everyone fits. */
  readonly priority: number;
  readonly energyWantedWh?: number;
  readonly departureMs?: number;
  /** Measured draw (highest phase) and since when it has stayed well below its limit. */
  readonly measuredA?: number;
  readonly belowLimitSinceMs?: number;
  /** Paused since (for lack of capacity): the longer, the sooner it gets its turn. */
  readonly pausedSinceMs?: number;
  /** Pinned: counted at exactly this value in every block (unacknowledged or uncontrollable). */
  readonly fixedA?: number;
}

/** Load we count but do not control, per block (aligned with `blocks`), on every phase of the group. */
export interface FixedLoad {
  readonly id: string;
  readonly limitsA: readonly number[];
}

export interface AllocationOptions {
  /** Suppress increases smaller than this against the previous plan (anti-flapping); decreases always go. */
  readonly hysteresisA: number;
  /** A session measured below its limit for this long lends the difference to others... */
  readonly lendAfterMs: number;
  /** ...keeping measured + this buffer... */
  readonly lendBufferA: number;
  /** ...in blocks that start within this horizon (the car may ramp up later). */
  readonly lendHorizonMs: number;
  /** A session paused this long before the plan counts one block of credit toward its turn. */
  readonly rotationPeriodMs: number;
}

export const DEFAULT_ALLOCATION_OPTIONS: AllocationOptions = {
  hysteresisA: 1,
  lendAfterMs: 5 * 60_000,
  lendBufferA: 2,
  lendHorizonMs: 30 * 60_000,
  rotationPeriodMs: 15 * 60_000,
};

export interface AllocationInput {
  readonly nowMs: number;
  readonly blocks: readonly AllocationBlock[];
  readonly safetyMarginA: number;
  /** 1: everything loads L1; 3: per-phase accounting. */
  readonly groupPhases: 1 | 3;
  readonly phaseVoltageV: number;
  readonly sessions: readonly AllocationSession[];
  /** Per-phase supply limit of each station, shared by its sessions. */
  readonly stationMaxA: ReadonlyMap<string, number>;
  readonly fixedLoads: readonly FixedLoad[];
  /** The plan in force, for stability: limits by session id over its own blocks. */
  readonly previous?: {
    readonly blockStartsMs: readonly number[];
    readonly endMs: number;
    readonly limitsA: ReadonlyMap<string, readonly number[]>;
  };
  readonly options?: Partial<AllocationOptions>;
}

/**
 * Why a session got what it got in a block: a code core can act on (rotation of paused EVs, lending back) and the
 * operator API renders as text; never matched by its wording.
 */
export const REASONS = [
  'fair-share',
  /** capped by the EVSE's or the EV's maximum */
  'capped-by-ev',
  'capped-by-station',
  'capped-by-phase',
  /** paused: the capacity left is below the minimum (it gets its turn by rotation) */
  'paused-for-capacity',
  /** paused: the EV's maximum is below the IEC 61851 minimum */
  'paused-ev-below-minimum',
  /** measured well below its limit: the difference is lent to others */
  'lending',
  /** pinned (unacknowledged or uncontrollable) */
  'fixed',
  /** an increase smaller than the hysteresis is not sent */
  'kept-by-hysteresis',
] as const;
export type Reason = (typeof REASONS)[number];

/** A reason's code in `Plan.reasons`. */
export const reasonCode = (r: Reason): number => REASONS.indexOf(r);

export interface Plan {
  readonly blocks: readonly AllocationBlock[];
  readonly sessionIds: readonly string[];
  /** limitsA[b * sessions + s]: amps per phase of session s in block b (0 or ≥ its minimum, one decimal). */
  readonly limitsA: Float64Array;
  /** headroomA[b * 3 + p]: capacity − margin − everything counted, per block and phase (negative = overloaded). */
  readonly headroomA: Float64Array;
  /** reasons[b * sessions + s]: index into REASONS. */
  readonly reasons: Uint8Array;
  /** Blocks where fixed load alone exceeds capacity − margin: the group cannot comply there. */
  readonly overloadedBlocks: readonly number[];
}

export function limitOf(plan: Plan, session: number, block: number): number {
  return plan.limitsA[block * plan.sessionIds.length + session] ?? 0;
}

export function reasonOf(plan: Plan, session: number, block: number): Reason {
  return REASONS[plan.reasons[block * plan.sessionIds.length + session] ?? 0] ?? 'fair-share';
}
