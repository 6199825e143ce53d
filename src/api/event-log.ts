// The operator's event log: the events a person wants a line for (fallback, compliance errors, overrides, stations
// online/offline/refused/uncontrollable), kept from the event stream in a bounded ring, newest first, filterable.
import type { ApiEventName, OperatorEvents } from './operator-events';
import type { ApiEventEnvelope } from './response-schemas';

/** Plans and sessions are the stream's bulk (thousands an hour): the log keeps what changes an operator's picture. */
export const LOGGED_EVENTS = [
  'fallback.entered',
  'fallback.left',
  'compliance.sent',
  'override.set',
  'override.removed',
  'override.expired',
  'station.online',
  'station.offline',
  'station.refused',
  'station.uncontrollable',
] as const satisfies readonly ApiEventName[];
export type LoggedEvent = (typeof LOGGED_EVENTS)[number];

export interface EventLogFilter {
  /** Only these events (all logged ones when empty or undefined). */
  readonly events?: readonly string[];
  /** Only events about this group. */
  readonly groupId?: string;
  /** Only events about this station (its id, or the identity a refused connection gave). */
  readonly stationId?: string;
  /** Only events older than this id (the next page of a log read newest first). */
  readonly beforeId?: number;
  readonly limit: number;
}

const LOGGED = new Set<string>(LOGGED_EVENTS);
const text = (data: Record<string, unknown>, key: string): string | undefined => {
  const value = data[key];
  return typeof value === 'string' ? value : undefined;
};

export class EventLog {
  private readonly ring: ApiEventEnvelope[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    events: OperatorEvents,
    private readonly capacity = 2000,
  ) {
    this.unsubscribe = events.subscribe((event) => {
      if (!LOGGED.has(event.event)) return;
      this.ring.push(event);
      if (this.ring.length > this.capacity) this.ring.shift();
    });
  }

  /** Newest first. */
  list(filter: EventLogFilter): ApiEventEnvelope[] {
    const wanted = filter.events && filter.events.length > 0 ? new Set(filter.events) : undefined;
    const out: ApiEventEnvelope[] = [];
    for (let i = this.ring.length - 1; i >= 0 && out.length < filter.limit; i--) {
      const event = this.ring[i] as ApiEventEnvelope;
      if (filter.beforeId !== undefined && event.id >= filter.beforeId) continue;
      if (wanted && !wanted.has(event.event)) continue;
      if (filter.groupId !== undefined && text(event.data, 'groupId') !== filter.groupId) continue;
      if (filter.stationId !== undefined && (text(event.data, 'stationId') ?? text(event.data, 'identity')) !== filter.stationId) continue;
      out.push(event);
    }
    return out;
  }

  close(): void {
    this.unsubscribe();
  }
}
