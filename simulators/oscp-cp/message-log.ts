// Everything the simulated CP received and sent, with headers, bodies, status and time, plus counters by
// direction/type/status for the CLI summary and `waitFor` so tests can wait for a message instead of sleeping.
import type { DateTime } from 'luxon';
import type { HttpMethod, ReceivedBody, ReceivedKind, SentKind } from './wire';

interface ReceivedBase {
  method: string;
  path: string;
  /** Request headers, names in lower case. */
  headers: Record<string, string>;
  requestId: string | undefined;
  correlationId: string | undefined;
  receivedAt: DateTime;
}

/** A message the CP answered with 204: its body passed the schema and the protocol checks. */
export type AcceptedMessage<K extends ReceivedKind> = ReceivedBase & {
  accepted: true;
  kind: K;
  method: HttpMethod;
  status: 204;
  /** Parsed by the endpoint's zod schema; `register` on DELETE may carry no body. */
  body: ReceivedBody<K>;
};

/** A message the CP refused (4xx/5xx); `body` is whatever arrived (parsed JSON if it parsed, else the text). */
export type RejectedMessage = ReceivedBase & {
  accepted: false;
  kind: ReceivedKind | 'unknown';
  status: number;
  body: unknown;
  error: string;
};

export type ReceivedMessage = AcceptedMessage<ReceivedKind> | RejectedMessage;

export interface SentMessage {
  kind: SentKind | 'raw';
  method: HttpMethod;
  url: string;
  requestId: string | undefined;
  correlationId: string | undefined;
  body: unknown;
  /** HTTP status of the last attempt; 0 when no HTTP answer came (connection refused, timeout, aborted). */
  status: number;
  error: string | undefined;
  attempts: number;
  sentAt: DateTime;
}

export interface MessageCount {
  direction: 'in' | 'out';
  kind: string;
  status: number;
  count: number;
}

export class WaitTimeoutError extends Error {}

interface Waiter {
  matches(message: ReceivedMessage): boolean;
  resolve(message: ReceivedMessage): void;
  cancel(reason: Error): void;
}

export function isAccepted<K extends ReceivedKind>(message: ReceivedMessage, kind: K): message is AcceptedMessage<K> {
  return message.accepted && message.kind === kind;
}

export class MessageLog {
  private readonly receivedLog: ReceivedMessage[] = [];
  private readonly sentLog: SentMessage[] = [];
  private readonly counts = new Map<string, MessageCount>();
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly capacity: number) {}

  recordReceived(message: ReceivedMessage): void {
    push(this.receivedLog, message, this.capacity);
    this.count('in', message.kind, message.status);
    for (const waiter of this.waiters) if (waiter.matches(message)) waiter.resolve(message);
  }

  recordSent(message: SentMessage): void {
    push(this.sentLog, message, this.capacity);
    this.count('out', message.kind, message.status);
  }

  /** Received messages, oldest first (the log keeps the last `logCapacity`); all kinds or one. */
  received(kind?: ReceivedKind | 'unknown'): ReceivedMessage[] {
    return kind === undefined ? [...this.receivedLog] : this.receivedLog.filter((m) => m.kind === kind);
  }

  /** Accepted (204) messages of one kind, typed by kind. */
  accepted<K extends ReceivedKind>(kind: K): AcceptedMessage<K>[] {
    return this.receivedLog.filter((m): m is AcceptedMessage<K> => isAccepted(m, kind));
  }

  sent(kind?: SentKind | 'raw'): SentMessage[] {
    return kind === undefined ? [...this.sentLog] : this.sentLog.filter((m) => m.kind === kind);
  }

  /** Counts by direction, kind and status since start (not limited by the log capacity). */
  summary(): MessageCount[] {
    return [...this.counts.values()].sort(
      (a, b) => a.direction.localeCompare(b.direction) || a.kind.localeCompare(b.kind) || a.status - b.status,
    );
  }

  /**
   * Resolves with the first accepted message of `kind` that matches `predicate`, looking at messages already
   * received first; rejects with WaitTimeoutError after `timeoutMs`.
   */
  waitFor<K extends ReceivedKind>(
    kind: K,
    predicate: (message: AcceptedMessage<K>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<AcceptedMessage<K>> {
    const matches = (message: ReceivedMessage): message is AcceptedMessage<K> => isAccepted(message, kind) && predicate(message);
    const already = this.receivedLog.find(matches);
    if (already !== undefined) return Promise.resolve(already);
    return new Promise<AcceptedMessage<K>>((resolve, reject) => {
      const waiter: Waiter = {
        matches,
        resolve: (message) => {
          if (!matches(message)) return;
          settle();
          resolve(message);
        },
        cancel: (reason) => {
          settle();
          reject(reason);
        },
      };
      const settle = (): void => {
        this.waiters.delete(waiter);
        clearTimeout(timer);
      };
      const timer = setTimeout(
        () => waiter.cancel(new WaitTimeoutError(`no accepted ${kind} matching the predicate within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.add(waiter);
    });
  }

  /** Rejects all pending waits; called on close so no timer keeps the process alive. */
  dispose(): void {
    for (const waiter of [...this.waiters]) waiter.cancel(new WaitTimeoutError('the simulator was closed while waiting'));
  }

  private count(direction: 'in' | 'out', kind: string, status: number): void {
    const key = `${direction} ${kind} ${status}`;
    const entry = this.counts.get(key) ?? { direction, kind, status, count: 0 };
    entry.count += 1;
    this.counts.set(key, entry);
  }
}

function push<T>(list: T[], item: T, capacity: number): void {
  list.push(item);
  if (list.length > capacity) list.splice(0, list.length - capacity);
}
