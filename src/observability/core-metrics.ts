// Binds core's typed events to the Prometheus gauges: capacity in force, allocated, measured, fallback state.
// Event-driven, per group: one count of the group (core's read side) per plan applied, never a fleet-wide scan.
import type { CoreEvents } from '../core/events';
import type { CoreQueries } from '../core/ports';
import type { ChargingSession } from '../domain/session';
import { readableNumber } from './log';
import type { Metrics } from './metrics';

export function bindCoreMetrics(events: CoreEvents, provider: CoreQueries, metrics: Metrics, nowMs: () => number): void {
  events.on('capacitySourceChanged', ({ groupId, to }) => metrics.groupFallback.set({ group: groupId }, to === 'forecast' ? 0 : 1));
  events.on('planApplied', ({ groupId, planMs }) => {
    metrics.allocationSeconds.observe({ group: groupId }, planMs / 1000);
    // The same count the operator API shows, from core's read side.
    const view = provider.view(groupId, nowMs());
    if (!view) return;
    metrics.groupCapacityA.set({ group: groupId }, readableNumber(Math.min(...view.capacityA)));
    metrics.groupAllocatedA.set({ group: groupId }, readableNumber(Math.max(...view.allocatedA)));
  });
  const measured = new MeasuredCurrent(metrics);
  events.on('sessionChanged', (session) => measured.update(session));
}

/** Measured current of a group, kept as a running sum of each session's latest per-phase maximum. */
export class MeasuredCurrent {
  private readonly bySession = new Map<string, { groupId: string; currentA: number }>();
  private readonly byGroup = new Map<string, number>();

  constructor(private readonly metrics: Metrics) {}

  update(session: ChargingSession): void {
    const previous = this.bySession.get(session.transactionId);
    const ended = session.endedAt !== undefined;
    const currentA = ended ? 0 : Math.max(0, ...(session.measuredCurrentA ?? [0]));
    if (previous && previous.groupId !== session.groupId) {
      // The station moved to another group: what the session drew leaves the old group's sum.
      this.add(previous.groupId, -previous.currentA);
      previous.groupId = session.groupId;
      previous.currentA = 0;
    }
    const delta = currentA - (previous?.currentA ?? 0);
    if (ended) this.bySession.delete(session.transactionId);
    // In place: a record replaced per reading would outlive the young generation at fleet scale.
    else if (previous) previous.currentA = currentA;
    else this.bySession.set(session.transactionId, { groupId: session.groupId, currentA });
    this.add(session.groupId, delta);
  }

  private add(groupId: string, deltaA: number): void {
    if (deltaA === 0) return;
    const total = (this.byGroup.get(groupId) ?? 0) + deltaA;
    this.byGroup.set(groupId, total);
    this.metrics.groupMeasuredA.set({ group: groupId }, readableNumber(Math.max(0, total)));
  }
}
