// How each station of a group is counted against its capacity, in one place: the controller plans with these rules
// and the read side (operator API, metrics) asks `groupView` and `planCounts`, so no adapter recomputes them.
import type { CapacitySource } from '../domain/capacity';
import type { PhaseCurrentsA } from '../domain/electrical';
import type { GroupLayout } from '../domain/group';
import type { StationId } from '../domain/station';
import type { Fleet, FleetStation } from './fleet';
import type { LeaseLedger } from './lease-ledger';
import type { AppliedPlan } from './ports';

/**
 * Why a station is counted as it is. `plan`: at its sessions' limits in the plan (allocated). The others at what they
 * may draw (uncontrolled): `unacknowledged` — allocated, but it has acknowledged no limit in force, so the ledger counts
 * its hardware maximum (or a change in flight, if higher); `uncontrollable` — refused or ignored profiles, at its
 * maximum; `offline` — at its lease, then its standing limit; `standing-only` — takes no leased cap above its standing
 * limit (ProfileStackLevel < 1, or not read yet), at what the ledger allows.
 */
export const COUNTED_AS = ['plan', 'unacknowledged', 'uncontrollable', 'offline', 'standing-only'] as const;
export type CountedAs = (typeof COUNTED_AS)[number];

export interface StationCount {
  readonly stationId: StationId;
  /** Does the controller allocate its sessions (and give it a leased cap above its standing limit)? */
  readonly allocatable: boolean;
  readonly countedAs: CountedAs;
  /** Amps per phase counted for it (on every phase, as the allocator counts an EV of unknown phase). */
  readonly countedA: number;
}

/** A stretch of the group's capacity and everything counted against it, amps per phase. */
export interface GroupCount {
  readonly startMs: number;
  readonly endMs: number;
  readonly source: CapacitySource;
  /** Capacity in force, before the safety margin. */
  readonly capacityA: PhaseCurrentsA;
  readonly safetyMarginA: number;
  /** Limits of the plan's sessions at stations counted as `plan`. */
  readonly allocatedA: PhaseCurrentsA;
  /** What every other station may draw. */
  readonly uncontrolledA: PhaseCurrentsA;
  /** capacity − margin − allocated − uncontrolled; negative when the group may be over its capacity. */
  readonly headroomA: PhaseCurrentsA;
}

/** The group now, with how each station is counted. */
export interface GroupView extends GroupCount {
  readonly stations: readonly StationCount[];
}

/** The controller allocates only stations it can reach and that take a leased cap above the standing one. */
export function allocatable(station: FleetStation): boolean {
  return station.connected && station.controllable && station.profileStackLevel >= 1;
}

/**
 * The most a station may draw in [startMs, endMs): an uncontrollable one its maximum, any other the most the lease
 * ledger allows anywhere in the span (acknowledged, in flight, expired into standing), never above its maximum.
 */
export function mayDrawA(station: FleetStation, ledger: LeaseLedger, startMs: number, endMs: number): number {
  if (!station.controllable) return station.stationMaxCurrentA;
  let most = ledger.assumedLimitA(station.stationId, startMs);
  for (let t = ledger.nextChangeMs(station.stationId, startMs); t !== undefined && t < endMs; t = ledger.nextChangeMs(station.stationId, t))
    most = Math.max(most, ledger.assumedLimitA(station.stationId, t));
  return Math.min(most, station.stationMaxCurrentA);
}

function countedAs(station: FleetStation, ledger: LeaseLedger, atMs: number): CountedAs {
  if (!station.controllable) return 'uncontrollable';
  if (!station.connected) return 'offline';
  if (station.profileStackLevel < 1) return 'standing-only';
  return ledger.acknowledgedAt(station.stationId, atMs) ? 'plan' : 'unacknowledged';
}

export function blockIndexAt(plan: AppliedPlan, atMs: number): number {
  return plan.blocks.findIndex((b) => b.startMs <= atMs && atMs < b.endMs);
}

/** Sums of tenths of amps carry binary noise (59.99999…); a milliamp is finer than anything counted. */
const toMilliamps = (a: number): number => Math.round(a * 1000) / 1000;
const same = (a: number): PhaseCurrentsA => [a, a, a];

export interface CountInput {
  readonly layout: GroupLayout;
  readonly stations: readonly FleetStation[];
  readonly ledger: LeaseLedger;
  readonly plan: AppliedPlan | undefined;
  /** Block of the plan the span lies in (−1: none; the capacity then is the safe limit). */
  readonly blockIndex: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly source: CapacitySource;
  /** Called with each station's count, for the views that show them. */
  readonly onStation?: (count: StationCount) => void;
}

/**
 * Counts the group over one span: stations counted as `plan` at their sessions' planned limits, every other one at
 * what it may draw (and its planned sessions not again). Sessions of stations no longer in the group stay counted.
 */
export function countGroup(input: CountInput): GroupCount {
  const { layout, ledger, plan, blockIndex, startMs, endMs } = input;
  const block = plan?.blocks[blockIndex];
  const plannedA = new Map<StationId, number>();
  for (const session of block ? (plan?.sessions ?? []) : []) {
    const limitA = plan?.result.limitsA.get(session.transactionId)?.[blockIndex] ?? 0;
    plannedA.set(session.stationId, (plannedA.get(session.stationId) ?? 0) + limitA);
  }
  let allocated = 0;
  let uncontrolled = 0;
  for (const station of input.stations) {
    const as = countedAs(station, ledger, startMs);
    const counted = as === 'plan' ? (plannedA.get(station.stationId) ?? 0) : mayDrawA(station, ledger, startMs, endMs);
    plannedA.delete(station.stationId);
    if (as === 'plan') allocated += counted;
    else uncontrolled += counted;
    input.onStation?.({ stationId: station.stationId, allocatable: allocatable(station), countedAs: as, countedA: toMilliamps(counted) });
  }
  for (const orphanA of plannedA.values()) allocated += orphanA;
  const capacityA = block?.capacityA ?? same(layout.safeLimitA);
  const allocatedA = same(toMilliamps(allocated));
  const uncontrolledA = same(toMilliamps(uncontrolled));
  const headroom = (p: 0 | 1 | 2): number => toMilliamps(capacityA[p] - layout.safetyMarginA - allocatedA[p] - uncontrolledA[p]);
  return {
    startMs,
    endMs,
    source: input.source,
    capacityA,
    safetyMarginA: layout.safetyMarginA,
    allocatedA,
    uncontrolledA,
    headroomA: [headroom(0), headroom(1), headroom(2)],
  };
}

/** What the read-side queries read: the group's layout and plan in force, core's fleet and lease ledger. */
export interface GroupState {
  readonly layout: GroupLayout;
  readonly fleet: Fleet;
  readonly ledger: LeaseLedger;
  readonly plan: AppliedPlan | undefined;
  /** The controller's capacity source now (undefined before its first reallocation). */
  readonly source: CapacitySource | undefined;
}

/** The group at `atMs`, from now to the end of the plan's block, with how each station is counted and why. */
export function groupView(state: GroupState, atMs: number): GroupView {
  const { plan } = state;
  const blockIndex = plan ? blockIndexAt(plan, atMs) : -1;
  const block = plan?.blocks[blockIndex];
  const stations: StationCount[] = [];
  const count = countGroup({
    ...state,
    stations: state.fleet.stationsOf(state.layout.id),
    blockIndex,
    startMs: atMs,
    endMs: block?.endMs ?? atMs + 1,
    source: state.source ?? block?.source ?? 'safe-default',
    onStation: (s) => stations.push(s),
  });
  return { ...count, stations };
}

/** The same count for every block of the plan in force, aligned with its blocks (no per-station detail). */
export function planCounts(state: GroupState): GroupCount[] {
  const stations = state.fleet.stationsOf(state.layout.id);
  return (state.plan?.blocks ?? []).map((block, blockIndex) =>
    countGroup({ ...state, stations, blockIndex, startMs: block.startMs, endMs: block.endMs, source: block.source }),
  );
}
