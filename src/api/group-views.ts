// Group answers of the operator API: capacity in force, allocation, headroom, the plan over the horizon and the
// forecast book, computed from core's plan in force and lease ledger (read only) and the OSCP forecast port.
import type { FlexibilityProvider } from '../core/flexibility-provider';
import type { AppliedPlan } from '../core/group-controller';
import type { FleetStation } from '../core/fleet';
import type { ForecastSource } from '../core/ports';
import { CAPACITY_FORECAST_TYPES } from '../domain/capacity';
import type { PhaseCurrentsA } from '../domain/electrical';
import type { GroupConfig } from '../config/schema';
import { REASON_TEXT, type ForecastSeries, type GroupSummary, type Plan } from './schemas';
import type { SessionBook } from './session-book';

const iso = (ms: number): string => new Date(ms).toISOString();
const same = (a: number): PhaseCurrentsA => [a, a, a];
const round = (a: number): number => Math.round(a * 1000) / 1000;
const copy = (a: PhaseCurrentsA): [number, number, number] => [a[0], a[1], a[2]];

export function blockIndexAt(plan: AppliedPlan, atMs: number): number {
  return plan.blocks.findIndex((b) => b.startMs <= atMs && atMs < b.endMs);
}

/** Sum of the session limits in a block; a single-phase EV counts on every phase, as the allocator counts it. */
export function allocatedIn(plan: AppliedPlan, index: number): PhaseCurrentsA {
  let sum = 0;
  for (const limits of plan.result.limitsA.values()) sum += limits[index] ?? 0;
  return same(round(sum));
}

const allocatable = (s: FleetStation): boolean => s.connected && s.controllable && s.profileStackLevel >= 1;

/** What the stations core does not allocate may draw in [startMs, endMs), counted as the group controller counts it. */
export function uncontrolledIn(core: FlexibilityProvider, groupId: string, startMs: number, endMs: number): PhaseCurrentsA {
  const { ledger } = core;
  let sum = 0;
  for (const station of core.fleet.stationsOf(groupId)) {
    if (allocatable(station)) continue;
    if (!station.controllable) {
      sum += station.stationMaxCurrentA;
      continue;
    }
    let most = ledger.assumedLimitA(station.stationId, startMs);
    for (
      let t = ledger.nextChangeMs(station.stationId, startMs);
      t !== undefined && t < endMs;
      t = ledger.nextChangeMs(station.stationId, t)
    )
      most = Math.max(most, ledger.assumedLimitA(station.stationId, t));
    sum += Math.min(most, station.stationMaxCurrentA);
  }
  return same(round(sum));
}

function headroom(capacityA: PhaseCurrentsA, marginA: number, allocatedA: PhaseCurrentsA, uncontrolledA: PhaseCurrentsA): PhaseCurrentsA {
  const h = (p: 0 | 1 | 2): number => round(capacityA[p] - marginA - allocatedA[p] - uncontrolledA[p]);
  return [h(0), h(1), h(2)];
}

export interface GroupContext {
  readonly core: FlexibilityProvider;
  readonly nowMs: number;
  readonly peerState: (peerId: string) => GroupSummary['peerState'];
  readonly measuredA: (groupId: string) => PhaseCurrentsA;
  readonly stationCount: (groupId: string) => number;
  readonly sessionCount: (groupId: string) => number;
}

export function groupSummary(context: GroupContext, group: GroupConfig): GroupSummary {
  const { core, nowMs } = context;
  const plan = core.plan(group.id);
  const index = plan ? blockIndexAt(plan, nowMs) : -1;
  const block = plan?.blocks[index];
  const capacityA = block?.capacityA ?? same(group.safeLimitA);
  const allocatedA = plan && block ? allocatedIn(plan, index) : same(0);
  const uncontrolledA = uncontrolledIn(core, group.id, nowMs, block?.endMs ?? nowMs + 1);
  const peerState = group.peerId === undefined ? undefined : context.peerState(group.peerId);
  return {
    id: group.id,
    ...(group.name !== undefined && { name: group.name }),
    ...(group.peerId !== undefined && { peerId: group.peerId }),
    ...(peerState !== undefined && { peerState }),
    source: core.controller(group.id)?.capacitySource ?? block?.source ?? 'safe-default',
    capacityA: copy(capacityA),
    safetyMarginA: group.safetyMarginA,
    allocatedA: copy(allocatedA),
    uncontrolledA: copy(uncontrolledA),
    measuredA: copy(context.measuredA(group.id)),
    headroomA: copy(headroom(capacityA, group.safetyMarginA, allocatedA, uncontrolledA)),
    stations: context.stationCount(group.id),
    sessions: context.sessionCount(group.id),
  };
}

export function planView(core: FlexibilityProvider, group: GroupConfig, plan: AppliedPlan, book: SessionBook): Plan {
  const { result } = plan;
  return {
    computedAt: iso(plan.computedAtMs),
    source: plan.source,
    safetyMarginA: group.safetyMarginA,
    blocks: plan.blocks.map((block, index) => {
      const allocatedA = allocatedIn(plan, index);
      const uncontrolledA = uncontrolledIn(core, group.id, block.startMs, block.endMs);
      return {
        start: iso(block.startMs),
        end: iso(block.endMs),
        source: block.source,
        capacityA: copy(block.capacityA),
        allocatedA: copy(allocatedA),
        uncontrolledA: copy(uncontrolledA),
        headroomA: copy(headroom(block.capacityA, group.safetyMarginA, allocatedA, uncontrolledA)),
      };
    }),
    sessions: [...result.limitsA].flatMap(([transactionId, limitsA]) => {
      const session = core.fleet.session(transactionId) ?? book.get(transactionId)?.session;
      if (!session) return [];
      const reason = result.reasons.get(transactionId);
      return [
        {
          transactionId,
          stationId: session.stationId,
          evseId: session.evseId,
          limitsA: [...limitsA],
          ...(reason !== undefined && { reason: REASON_TEXT[reason] }),
        },
      ];
    }),
  };
}

/** The forecast book of a group in [fromMs, toMs): one series per type that has blocks there. */
export function forecastView(forecasts: ForecastSource, groupId: string, fromMs: number, toMs: number, nowMs: number): ForecastSeries[] {
  return CAPACITY_FORECAST_TYPES.flatMap((type) => {
    const blocks = forecasts.blocks(groupId, type, fromMs, toMs).map((b) => ({
      start: iso(b.startMs),
      end: iso(b.endMs),
      limitA: copy(b.limitA),
      requestId: forecasts.requestIdAt(groupId, type, b.startMs) ?? '',
    }));
    if (blocks.length === 0) return [];
    const requestId = forecasts.requestIdAt(groupId, type, nowMs) ?? blocks[blocks.length - 1]?.requestId;
    return [{ type, ...(requestId ? { requestId } : {}), blocks }];
  });
}
