// Active charging sessions of all stations: applies transaction events and meter values, tells core, and writes
// to the store in one batch per tick (starts and ends at once, so a crash right after the answer loses neither),
// the groups' energy totals in the same transaction.
import type { ChargingSession, EvChargingNeeds } from '../domain/session';
import { systemClock, type Clock } from '../core/scheduler';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { SessionRepository } from '../core/ports';
import { applyMeterValues, applyTransactionEvent, type LiveSession, type TransactionContext } from './v201/transaction-events';
import type { MeterValue, TransactionEventRequest } from './v201/payloads';

/** Ended sessions kept in memory to recognise late events without a store read. */
const RECENTLY_ENDED_KEPT = 4096;

export interface SessionSink {
  session(session: ChargingSession): void;
  /** A session read back from the store at start (its energy so far is counted already). */
  restored(session: ChargingSession): void;
}

/** One session's place in the next batch: its latest record, and whether it is queued. */
interface PendingWrite {
  session: ChargingSession;
  queued: boolean;
}

export interface SessionTrackerOptions {
  /** Meter-only changes are written in one batch per this many ms; starts and ends at once. */
  readonly flushMs?: number;
  /** The batch timer's clock (the system's by default). */
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /**
   * Written in the same transaction as each batch of sessions (the groups' energy registers): whatever ends the
   * process, even kill -9, the stored total then counts exactly up to each stored reading, so a session restored
   * after it neither counts energy twice nor loses any.
   */
  readonly withBatch?: { readonly transaction: <T>(work: () => T) => T; readonly write: () => void };
}

export class SessionTracker {
  private readonly active = new Map<string, LiveSession>();
  /**
   * The next batch: one slot per session written since the last flush, in `queue[0 .. queued)`. Slots stay (one per
   * active session) and the queue keeps its length, so a flush frees nothing and the next batch allocates nothing: a
   * table rebuilt per flush would live a flush interval, be promoted, and die old (every meter value lands here).
   */
  private readonly slots = new Map<string, PendingWrite>();
  private readonly queue: (PendingWrite | undefined)[] = [];
  private queued = 0;
  /** Insertion-ordered, bounded: the oldest is dropped first (it is still in the store). */
  private readonly recentlyEnded = new Map<string, ChargingSession>();
  private flushTimer: { cancel(): void } | undefined;

  private readonly flushMs: number;
  private readonly clock: Clock;
  private readonly metrics: Metrics | undefined;

  constructor(
    private readonly repository: SessionRepository,
    private readonly sink: SessionSink,
    private readonly logger: Logger,
    private readonly options: SessionTrackerOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 250;
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics;
  }

  /** Sessions that were running when the agent stopped; core gets them before any station reconnects. */
  restore(): ChargingSession[] {
    const sessions = this.repository.active();
    for (const session of sessions) {
      this.active.set(session.transactionId, session);
      this.sink.restored(session);
    }
    for (const session of sessions) this.metrics?.sessionsActive.inc({ group: session.groupId });
    return sessions;
  }

  get(transactionId: string): ChargingSession | undefined {
    return this.active.get(transactionId);
  }

  all(): IterableIterator<ChargingSession> {
    return this.active.values();
  }

  transactionEvent(event: TransactionEventRequest, context: TransactionContext): ChargingSession | undefined {
    const transactionId = event.transactionInfo.transactionId;
    const previous = this.active.get(transactionId) ?? this.ended(transactionId, context.stationId);
    const outcome = applyTransactionEvent(previous, event, context);
    if (outcome.kind === 'duplicate') {
      this.logger.debug('transaction event already processed', { stationId: context.stationId, transactionId, seqNo: event.seqNo });
      return previous;
    }
    if (outcome.kind === 'after-end') {
      this.logger.info('transaction event after Ended ignored: an ended transaction is final', {
        stationId: context.stationId,
        transactionId,
        eventType: event.eventType,
        seqNo: event.seqNo,
        endedSeqNo: previous?.lastSeqNo,
      });
      return previous;
    }
    return this.record(previous, outcome.session, outcome);
  }

  /**
   * A session the adapter computed (OCPP 1.6 StartTransaction and StopTransaction, or a 2.0.1 TransactionEvent):
   * kept in memory while active, told to core, and written — at once when it started or ended.
   */
  record(previous: ChargingSession | undefined, session: ChargingSession, change: { started: boolean; ended: boolean }): ChargingSession {
    const transactionId = session.transactionId;
    const wasActive = previous !== undefined && previous.endedAt === undefined;
    const isActive = session.endedAt === undefined;
    if (isActive) this.active.set(transactionId, session);
    else {
      this.active.delete(transactionId);
      this.rememberEnded(session);
    }
    this.sink.session(session);
    this.write(session, change.started || change.ended || wasActive !== isActive);
    if (!wasActive && isActive) this.metrics?.sessionsActive.inc({ group: session.groupId });
    if (wasActive && !isActive) this.metrics?.sessionsActive.dec({ group: session.groupId });
    if (change.started || change.ended) {
      this.logger.info(change.ended ? 'session ended' : 'session started', {
        stationId: session.stationId,
        groupId: session.groupId,
        transactionId: session.transactionId,
        evseId: session.evseId,
      });
    }
    return session;
  }

  /** The session of this station's transaction, active or ended (ended ones as `ended` finds them). */
  find(transactionId: string, stationId: string): ChargingSession | undefined {
    const active = this.active.get(transactionId);
    return active?.stationId === stationId ? active : this.ended(transactionId, stationId);
  }

  /**
   * An ended transaction, so that a late or repeated event for it is recognised instead of starting it anew: the
   * recently ended ones from memory (late events come within seconds), older ones from the store.
   */
  private ended(transactionId: string, stationId: string): ChargingSession | undefined {
    const found = this.recentlyEnded.get(transactionId) ?? this.pending(transactionId) ?? this.repository.get(transactionId);
    return found?.endedAt !== undefined && found.stationId === stationId ? found : undefined;
  }

  private rememberEnded(session: ChargingSession): void {
    this.recentlyEnded.delete(session.transactionId);
    this.recentlyEnded.set(session.transactionId, session);
    if (this.recentlyEnded.size > RECENTLY_ENDED_KEPT) {
      const oldest = this.recentlyEnded.keys().next();
      if (!oldest.done) this.recentlyEnded.delete(oldest.value);
    }
  }

  /**
   * A meter reading updates the active session's record in place, the one record the tracker owns: core, the store's
   * batch and the API read it when told, and none keeps it to compare with the next (the reading fields only).
   */
  meterValues(transactionId: string, values: readonly MeterValue[]): void {
    const session = this.active.get(transactionId);
    if (!session || !applyMeterValues(session, values)) return;
    this.sink.session(session);
    this.write(session, false);
  }

  /** OCPP 1.6: the connector's StatusNotification tells the charging state (2.0.1 carries it in TransactionEvent). */
  chargingStateChanged(transactionId: string, chargingState: ChargingSession['chargingState']): void {
    const previous = this.active.get(transactionId);
    if (!previous || previous.chargingState === chargingState) return;
    const session = { ...previous, chargingState };
    this.active.set(transactionId, session);
    this.sink.session(session);
    this.write(session, false);
  }

  evNeeds(transactionId: string, needs: EvChargingNeeds): ChargingSession | undefined {
    const previous = this.active.get(transactionId);
    if (!previous) return undefined;
    const session = { ...previous, evNeeds: needs };
    this.active.set(transactionId, session);
    this.sink.session(session);
    this.write(session, false);
    return session;
  }

  /**
   * The connector went Available while we still held a transaction on it (its Ended was lost, or the station was
   * replaced): end it so it stops holding capacity. A station that goes on with it simply starts it again.
   */
  endStale(transactionId: string, atMs: number): void {
    const previous = this.active.get(transactionId);
    if (!previous) return;
    const session: ChargingSession = {
      ...previous,
      endedAt: new Date(atMs).toISOString(),
      endInferred: true,
      chargingState: 'Idle' as const,
      measuredCurrentA: [0, 0, 0] as const,
    };
    this.active.delete(transactionId);
    this.rememberEnded(session);
    this.metrics?.sessionsActive.dec({ group: session.groupId });
    this.sink.session(session);
    this.write(session, true);
    this.logger.info('session ended: connector available again', { stationId: session.stationId, transactionId });
  }

  /** Writes everything pending, and what goes with each batch, in one transaction. */
  flush(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    if (this.queued === 0) return;
    const batch = new Array<ChargingSession>(this.queued);
    for (let i = 0; i < this.queued; i++) {
      const slot = this.queue[i]!;
      batch[i] = slot.session;
      slot.queued = false;
      if (slot.session.endedAt !== undefined) {
        // An ended session is written once more only if an event reopens it: its slot goes, and the queue lets go of it.
        this.slots.delete(slot.session.transactionId);
        this.queue[i] = undefined;
      }
    }
    this.queued = 0;
    const withBatch = this.options.withBatch;
    if (!withBatch) return this.repository.upsertMany(batch);
    withBatch.transaction(() => {
      this.repository.upsertMany(batch);
      withBatch.write();
    });
  }

  stop(): void {
    this.flush();
  }

  /** A session written since the last flush, not yet in the store. */
  private pending(transactionId: string): ChargingSession | undefined {
    const slot = this.slots.get(transactionId);
    return slot?.queued ? slot.session : undefined;
  }

  private write(session: ChargingSession, now: boolean): void {
    let slot = this.slots.get(session.transactionId);
    if (slot) slot.session = session;
    else this.slots.set(session.transactionId, (slot = { session, queued: false }));
    if (!slot.queued) {
      slot.queued = true;
      this.queue[this.queued++] = slot;
    }
    if (now) this.flush();
    else this.flushTimer ??= this.clock.setTimer(() => this.flush(), this.flushMs);
  }
}
