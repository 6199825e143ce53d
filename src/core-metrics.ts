// Binds core's typed events to the Prometheus gauges: capacity in force, allocated, measured, fallback state.
// Event-driven, per group; nothing here scans the fleet on a hot path.
import type { CoreEvents } from './core/events';
import type { FlexibilityProvider } from './core/flexibility-provider';
import type { ChargingSession } from './domain/session';
import type { Metrics } from './metrics';

export function bindCoreMetrics(events: CoreEvents, provider: FlexibilityProvider, metrics: Metrics, nowMs: () => number): void {
  events.on('capacitySourceChanged', ({ groupId, to }) => metrics.groupFallback.set({ group: groupId }, to === 'forecast' ? 0 : 1));
  events.on('planApplied', ({ groupId, planMs }) => {
    metrics.allocationSeconds.observe({ group: groupId }, planMs / 1000);
    const applied = provider.plan(groupId);
    if (!applied) return;
    const now = nowMs();
    const index = applied.blocks.findIndex((b) => b.startMs <= now && now < b.endMs);
    const block = applied.blocks[index];
    if (!block) return;
    metrics.groupCapacityA.set({ group: groupId }, Math.min(...block.capacityA));
    let allocated = 0;
    for (const limits of applied.result.limitsA.values()) allocated += limits[index] ?? 0;
    metrics.groupAllocatedA.set({ group: groupId }, allocated);
  });
}

/** Measured current of a group, kept as a running sum of each session's latest per-phase maximum. */
export class MeasuredCurrent {
  private readonly bySession = new Map<string, { groupId: string; currentA: number }>();
  private readonly byGroup = new Map<string, number>();

  constructor(private readonly metrics: Metrics) {}

  update(session: ChargingSession): void {
    const previous = this.bySession.get(session.transactionId);
    const currentA = session.endedAt !== undefined ? 0 : Math.max(0, ...(session.measuredCurrentA ?? [0]));
    const delta = currentA - (previous?.currentA ?? 0);
    if (session.endedAt !== undefined) this.bySession.delete(session.transactionId);
    else this.bySession.set(session.transactionId, { groupId: session.groupId, currentA });
    if (delta === 0) return;
    const total = (this.byGroup.get(session.groupId) ?? 0) + delta;
    this.byGroup.set(session.groupId, total);
    this.metrics.groupMeasuredA.set({ group: session.groupId }, Math.max(0, total));
  }
}
