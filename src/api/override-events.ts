// Overrides as operator events: `override.set` and `override.removed` when an operator changes one, and
// `override.expired` at its expiry instant — one keyed deadline per target on the API's scope of the scheduler.
import type { Override } from '../core/overrides';
import type { OverrideQueries } from '../core/ports';
import type { ScheduleScope } from '../core/scheduler';
import type { OperatorEvents } from './operator-events';
import type { OverrideView } from './response-schemas';

export const overrideView = (o: Override): OverrideView => ({ ...o, expiresAt: new Date(o.expiresAtMs).toISOString() });

const targetOf = (o: Pick<Override, 'kind'> & Partial<Record<'groupId' | 'stationId' | 'transactionId', string>>): string =>
  `${o.kind}:${o.kind === 'group-cap' ? o.groupId : o.kind === 'station-pause' ? o.stationId : o.transactionId}`;

export class OverrideEvents {
  constructor(
    private readonly overrides: OverrideQueries,
    private readonly events: OperatorEvents,
    private readonly timers: ScheduleScope,
  ) {}

  /** Overrides restored from the store expire as events too. */
  start(): void {
    for (const o of this.overrides.list()) this.watch(o);
  }

  set(o: Override, by: string): void {
    this.events.publish('override.set', { ...overrideView(o), by });
    // A new override for the same target replaces the deadline of the one it replaces.
    this.watch(o);
  }

  removed(o: Override, by: string): void {
    this.timers.cancel(this.key(o));
    this.events.publish('override.removed', { ...overrideView(o), by });
  }

  private watch(o: Override): void {
    this.timers.schedule(this.key(o), o.expiresAtMs, () => this.events.publish('override.expired', overrideView(o)));
  }

  private key(o: Override): string {
    return `override-expiry:${targetOf(o)}`;
  }
}
