// Active charging sessions of all stations: applies transaction events and meter values, tells core, and writes
// to the store in one batch per tick (starts and ends at once, so a crash right after the answer loses neither).
import type { ChargingSession, EvChargingNeeds } from '../domain/session';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { SessionRepository } from '../store/store';
import { applyMeterValues, applyTransactionEvent, type TransactionContext } from './sessions';
import type { MeterValue, TransactionEventRequest } from './payloads';

export interface SessionSink {
  session(session: ChargingSession): void;
}

export class SessionTracker {
  private readonly active = new Map<string, ChargingSession>();
  private readonly dirty = new Map<string, ChargingSession>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: SessionRepository,
    private readonly sink: SessionSink,
    private readonly logger: Logger,
    private readonly flushMs = 250,
    private readonly metrics?: Metrics,
  ) {}

  /** Sessions that were running when the agent stopped; core gets them before any station reconnects. */
  restore(): ChargingSession[] {
    const sessions = this.repository.active();
    for (const session of sessions) {
      this.active.set(session.transactionId, session);
      this.sink.session(session);
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
    const previous = this.active.get(event.transactionInfo.transactionId);
    const outcome = applyTransactionEvent(previous, event, context);
    if (outcome.kind === 'duplicate') {
      this.logger.debug('transaction event already processed', { stationId: context.stationId, seqNo: event.seqNo });
      return previous;
    }
    const { session } = outcome;
    if (outcome.ended) this.active.delete(session.transactionId);
    else this.active.set(session.transactionId, session);
    this.sink.session(session);
    this.write(session, outcome.started || outcome.ended);
    if (outcome.started && !outcome.ended) this.metrics?.sessionsActive.inc({ group: session.groupId });
    if (outcome.ended && previous) this.metrics?.sessionsActive.dec({ group: session.groupId });
    if (outcome.started || outcome.ended) {
      this.logger.info(outcome.ended ? 'session ended' : 'session started', {
        stationId: session.stationId,
        groupId: session.groupId,
        transactionId: session.transactionId,
        evseId: session.evseId,
      });
    }
    return session;
  }

  meterValues(transactionId: string, values: readonly MeterValue[]): void {
    const previous = this.active.get(transactionId);
    if (!previous) return;
    const session = applyMeterValues(previous, values);
    if (session === previous) return;
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
    const session = {
      ...previous,
      endedAt: new Date(atMs).toISOString(),
      chargingState: 'Idle' as const,
      measuredCurrentA: [0, 0, 0] as const,
    };
    this.active.delete(transactionId);
    this.metrics?.sessionsActive.dec({ group: session.groupId });
    this.sink.session(session);
    this.write(session, true);
    this.logger.info('session ended: connector available again', { stationId: session.stationId, transactionId });
  }

  /** Writes everything pending in one transaction. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty.values()];
    this.dirty.clear();
    this.repository.upsertMany(batch);
  }

  stop(): void {
    this.flush();
  }

  private write(session: ChargingSession, now: boolean): void {
    this.dirty.set(session.transactionId, session);
    if (now) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), this.flushMs);
  }
}
