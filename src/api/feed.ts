// Feeds the operator API's read models and event stream: core's plans, capacity switches, session updates and
// station connections become history samples, session limit histories and operator events.
import type { CapacitySource } from '../domain/capacity';
import type { ChargingSession } from '../domain/session';
import type { CoreEvents } from '../core/events';
import type { CoreQueries } from '../core/ports';
import { blockIndexAt } from '../core/group-load';
import type { GroupHistory } from './history';
import type { RefusedConnection } from './backend';
import type { OperatorEvents } from './operator-events';
import type { SessionBook } from './session-book';
import { energyWhOf } from './bodies/sessions';

export interface FeedDeps {
  readonly core: CoreQueries;
  /** Groups whose sessions core already holds when the API starts (restored from the store). */
  readonly groupIds: readonly string[];
  readonly coreEvents: CoreEvents;
  readonly events: OperatorEvents;
  readonly history: GroupHistory;
  readonly book: SessionBook;
  readonly nowMs: () => number;
  /** Subscribes to refused station connections (`station.refused`); returns the unsubscribe. */
  readonly refusals?: (listener: (attempt: RefusedConnection) => void) => () => void;
}

const onFallback = (source: CapacitySource | undefined): boolean => source === 'fallback' || source === 'safe-default';
const iso = (ms: number): string => new Date(ms).toISOString();

export class OperatorFeed {
  /** When this run last saw each station connect or disconnect. */
  readonly connectionChangedAt = new Map<string, number>();
  private readonly connected = new Map<string, boolean>();
  /** Stations known to be uncontrollable, so each is reported once when core marks it (state at start is not news). */
  private readonly uncontrollable = new Set<string>();
  private readonly unsubscribe: (() => void)[];
  /** Sessions restored at start-up are state, not news: events are published only once live. */
  private live = false;

  constructor(private readonly deps: FeedDeps) {
    const { coreEvents, events } = deps;
    this.unsubscribe = [
      coreEvents.on('planApplied', (applied) => {
        this.planApplied(applied.groupId);
        // Core replans when it marks a station uncontrollable: the plan is where the change shows.
        this.noteUncontrollable(applied.groupId, applied.atMs);
        const { groupId, sessions, stationsChanged, failed, durationMs } = applied;
        events.publish('plan.applied', { groupId, at: iso(applied.atMs), sessions, stationsChanged, failed, durationMs });
      }),
      coreEvents.on('capacitySourceChanged', ({ groupId, from, to, atMs }) => {
        const data = { groupId, ...(from !== undefined && { from }), to, at: iso(atMs) };
        if (onFallback(to) && !onFallback(from)) events.publish('fallback.entered', data);
        else if (to === 'forecast' && onFallback(from)) events.publish('fallback.left', data);
      }),
      coreEvents.on('complianceErrorSent', ({ groupId, forecastRequestId, blocks, message }) =>
        events.publish('compliance.sent', { groupId, forecastRequestId, blocks, message }),
      ),
      coreEvents.on('sessionChanged', (session) => this.session(session)),
      coreEvents.on('stationConnectionChanged', ({ stationId, connected }) => this.stationConnection(stationId, connected)),
      deps.refusals?.(({ atMs, ...attempt }) => events.publish('station.refused', { at: iso(atMs), ...attempt })) ?? (() => undefined),
    ];
    // What core holds already (sessions restored, stations connected) is state, not news.
    for (const groupId of deps.groupIds) {
      for (const session of deps.core.fleet.sessionsOf(groupId)) this.session(session);
      for (const station of deps.core.fleet.stationsOf(groupId)) {
        if (station.connected) this.connected.set(station.stationId, true);
        if (!station.controllable) this.uncontrollable.add(station.stationId);
      }
    }
  }

  /** From now on session and station changes are published as events. */
  goLive(): void {
    this.live = true;
  }

  close(): void {
    for (const off of this.unsubscribe) off();
  }

  private session(session: ChargingSession): void {
    const { book, history, events, nowMs } = this.deps;
    const change = book.update(session);
    history.session(session, nowMs());
    if (!this.live || change === 'updated') return;
    const energyWh = energyWhOf(session);
    events.publish(change === 'started' ? 'session.started' : 'session.ended', {
      transactionId: session.transactionId,
      stationId: session.stationId,
      groupId: session.groupId,
      evseId: session.evseId,
      startedAt: session.startedAt,
      ...(session.endedAt !== undefined && { endedAt: session.endedAt }),
      ...(energyWh !== undefined && { energyWh }),
    });
  }

  private stationConnection(stationId: string, connected: boolean): void {
    if (this.connected.get(stationId) === connected) return;
    this.connected.set(stationId, connected);
    const atMs = this.deps.nowMs();
    this.connectionChangedAt.set(stationId, atMs);
    const groupId = this.deps.core.fleet.station(stationId)?.groupId;
    this.deps.events.publish(connected ? 'station.online' : 'station.offline', {
      stationId,
      ...(groupId !== undefined && { groupId }),
      at: iso(atMs),
    });
  }

  private noteUncontrollable(groupId: string, atMs: number): void {
    for (const station of this.deps.core.fleet.stationsOf(groupId)) {
      if (station.controllable) this.uncontrollable.delete(station.stationId);
      else if (!this.uncontrollable.has(station.stationId)) {
        this.uncontrollable.add(station.stationId);
        this.deps.events.publish('station.uncontrollable', { stationId: station.stationId, groupId, at: iso(atMs) });
      }
    }
  }

  /** The plan in force changed: the group's sample now (as core counts it) and every session's current limit. */
  private planApplied(groupId: string): void {
    const { core, history, book, nowMs } = this.deps;
    const plan = core.plan(groupId);
    const now = nowMs();
    const index = plan ? blockIndexAt(plan, now) : -1;
    const view = core.view(groupId, now);
    if (!plan || !view || index < 0) return;
    history.plan(groupId, view.capacityA, view.allocatedA, now, plan.blocks[index]?.source);
    for (const [transactionId, limitsA] of plan.result.limitsA)
      book.limit(transactionId, limitsA[index] ?? 0, plan.result.reasons.get(transactionId), now);
  }
}
