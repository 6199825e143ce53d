// Group answers of the operator API: capacity in force, allocation, headroom and how each station is counted, the plan
// over the horizon and the forecast book. Every count comes from core's read side; nothing here recomputes a rule.
import type { CoreQueries, OperatorCommands } from '../../core/ports';
import { blockIndexAt, type CountedAs, type GroupView, type StationCount } from '../../core/group-load';
import type { AppliedPlan } from '../../core/ports';
import type { ForecastSource } from '../../core/ports';
import { CAPACITY_FORECAST_TYPES } from '../../domain/capacity';
import type { PhaseCurrentsA } from '../../domain/electrical';
import type { GroupConfig } from '../../config/schema';
import { REASON_TEXT, type ForecastSeries, type GroupSummary, type Plan, type StationCounted } from '../response-schemas';
import type { SessionBook } from '../session-book';

const iso = (ms: number): string => new Date(ms).toISOString();
const copy = (a: PhaseCurrentsA): [number, number, number] => [a[0], a[1], a[2]];

export interface GroupContext {
  readonly core: CoreQueries & OperatorCommands;
  readonly nowMs: number;
  readonly peerState: (peerId: string) => GroupSummary['peerState'];
  readonly measuredA: (groupId: string) => PhaseCurrentsA;
  readonly stationCount: (groupId: string) => number;
  readonly sessionCount: (groupId: string) => number;
}

/** Core's view of a configured group now; every configured group has a controller, so a miss is a wiring fault. */
export function groupViewOf(context: GroupContext, group: GroupConfig): GroupView {
  const view = context.core.view(group.id, context.nowMs);
  if (!view) throw new Error(`group ${group.id} is configured but core has no controller for it`);
  return view;
}

function stationsCounted(stations: readonly StationCount[]): Record<CountedAs, number> {
  const counts: Record<CountedAs, number> = { plan: 0, unacknowledged: 0, uncontrollable: 0, offline: 0, 'standing-only': 0 };
  for (const station of stations) counts[station.countedAs] += 1;
  return counts;
}

export function stationCounted(count: StationCount): StationCounted {
  return { allocatable: count.allocatable, as: count.countedAs, limitA: count.countedA };
}

/** The operator's cap on the group while it is in force. */
function operatorCapOf(core: CoreQueries, groupId: string): GroupSummary['operatorCap'] {
  const cap = core.overrides.list().find((o) => o.kind === 'group-cap' && o.groupId === groupId);
  return cap?.kind === 'group-cap' ? { limitA: cap.limitA, expiresAt: iso(cap.expiresAtMs) } : undefined;
}

export function groupSummary(context: GroupContext, group: GroupConfig, view = groupViewOf(context, group)): GroupSummary {
  const peerState = group.peerId === undefined ? undefined : context.peerState(group.peerId);
  const plan = context.core.plan(group.id);
  const block = plan?.blocks[plan ? blockIndexAt(plan, context.nowMs) : -1];
  const operatorCap = operatorCapOf(context.core, group.id);
  return {
    id: group.id,
    ...(group.name !== undefined && { name: group.name }),
    ...(group.peerId !== undefined && { peerId: group.peerId }),
    ...(peerState !== undefined && { peerState }),
    source: view.source,
    capacityA: copy(view.capacityA),
    gridCapacityA: copy(block?.gridCapacityA ?? view.capacityA),
    ...(operatorCap !== undefined && { operatorCap }),
    safetyMarginA: view.safetyMarginA,
    allocatedA: copy(view.allocatedA),
    uncontrolledA: copy(view.uncontrolledA),
    measuredA: copy(context.measuredA(group.id)),
    headroomA: copy(view.headroomA),
    stationsCounted: stationsCounted(view.stations),
    stations: context.stationCount(group.id),
    sessions: context.sessionCount(group.id),
  };
}

export function planView(core: CoreQueries & OperatorCommands, group: GroupConfig, plan: AppliedPlan, book: SessionBook): Plan {
  const { result } = plan;
  return {
    computedAt: iso(plan.computedAtMs),
    source: plan.source,
    safetyMarginA: group.safetyMarginA,
    // planCounts follows the plan's blocks one for one.
    blocks: core.planCounts(group.id).map((count, i) => {
      const block = plan.blocks[i];
      return {
        start: iso(count.startMs),
        end: iso(count.endMs),
        source: count.source,
        capacityA: copy(count.capacityA),
        gridCapacityA: copy(block?.gridCapacityA ?? count.capacityA),
        ...(block?.operatorCapA !== undefined && { operatorCapA: block.operatorCapA }),
        allocatedA: copy(count.allocatedA),
        uncontrolledA: copy(count.uncontrolledA),
        headroomA: copy(count.headroomA),
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
