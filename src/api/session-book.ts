// Sessions as the operator API shows them: the active ones, the most recently ended ones (bounded), and for each
// a short history of the limits the applied plans gave it. Fed by the CSMS's session updates and core's plans.
import type { Reason } from '../core/ports';
import type { ChargingSession } from '../domain/session';

export interface LimitChange {
  readonly atMs: number;
  readonly limitA: number;
  readonly reason?: Reason;
}

export interface SessionEntry {
  session: ChargingSession;
  limitA?: number;
  reason?: Reason;
  readonly history: LimitChange[];
}

export type SessionChange = 'started' | 'ended' | 'updated';

export interface SessionBookOptions {
  /** Ended sessions kept in memory (older ones are read from the store). */
  readonly recentLimit: number;
  /** Limit changes kept per session. */
  readonly historyLimit: number;
}

export class SessionBook {
  private readonly active = new Map<string, SessionEntry>();
  /** Insertion order is end order: the first key is the oldest, dropped first. */
  private readonly recent = new Map<string, SessionEntry>();

  constructor(private readonly options: SessionBookOptions) {}

  update(session: ChargingSession): SessionChange {
    const id = session.transactionId;
    const entry = this.active.get(id) ?? this.recent.get(id);
    const change: SessionChange = !entry ? (session.endedAt === undefined ? 'started' : 'ended') : this.transition(entry.session, session);
    const next: SessionEntry = entry ?? { session, history: [] };
    next.session = session;
    if (session.endedAt === undefined) {
      this.recent.delete(id);
      this.active.set(id, next);
      return change;
    }
    this.active.delete(id);
    this.recent.delete(id);
    this.recent.set(id, next);
    if (this.recent.size > this.options.recentLimit) {
      const oldest = this.recent.keys().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
    return change;
  }

  /** The limit the plan in force gives a session now; a change is appended to its history. */
  limit(transactionId: string, limitA: number, reason: Reason | undefined, atMs: number): void {
    const entry = this.active.get(transactionId);
    if (!entry) return;
    entry.limitA = limitA;
    entry.reason = reason;
    const last = entry.history[entry.history.length - 1];
    if (last && last.limitA === limitA && last.reason === reason) return;
    entry.history.push({ atMs, limitA, reason });
    if (entry.history.length > this.options.historyLimit) entry.history.shift();
  }

  get(transactionId: string): SessionEntry | undefined {
    return this.active.get(transactionId) ?? this.recent.get(transactionId);
  }

  activeSessions(): IterableIterator<SessionEntry> {
    return this.active.values();
  }

  /** Ended sessions, newest first. */
  recentSessions(): SessionEntry[] {
    return [...this.recent.values()].reverse();
  }

  private transition(before: ChargingSession, after: ChargingSession): SessionChange {
    return before.endedAt === undefined && after.endedAt !== undefined ? 'ended' : 'updated';
  }
}
