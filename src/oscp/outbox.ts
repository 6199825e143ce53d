// Delivers the persistent outbox (store.outbox): per peer in order, one request in flight per peer, jittered
// exponential back-off on 5xx/timeouts/network errors, 4xx final. Driven by one deadline, never a timer per message.
import crypto from 'node:crypto';
import type { Backoff, BackoffOptions } from '../core/backoff';
import type { ScheduleScope } from '../core/scheduler';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { OutboxMessage, OutboxRepository } from '../core/ports';
import type { PeerClient, SendOutcome } from './peer-client';

/** Where and how a queued message goes right now (token and base URL are read at send time: they rotate). */
export type ResolvedMessage =
  { readonly url: string; readonly token: string; readonly body: unknown; readonly timeoutMs: number } | { readonly error: string };

/** Digest §3 "retry with back-off": 1 s doubling to 5 min, each wait drawn between 50 % and 100 % of that. */
export const OUTBOX_RETRY: BackoffOptions = { minMs: 1000, maxMs: 300_000 };

export interface OutboxOptions {
  readonly backoff: Backoff;
  readonly random?: () => number;
}

export interface OutboxDeps {
  readonly repo: OutboxRepository;
  readonly client: PeerClient;
  /** The adapter's share of the agent's scheduler: the loop's one deadline and the stop's grace period. */
  readonly timers: ScheduleScope;
  readonly resolve: (message: OutboxMessage) => ResolvedMessage;
  /** Called once a message leaves the queue (delivered or failed for good). */
  readonly onSettled?: (message: OutboxMessage, outcome: SendOutcome) => void;
  readonly nowMs: () => number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly options: OutboxOptions;
}

export interface NewOutboxMessage {
  readonly peerId: string;
  /** Path under the peer's base URL, or an absolute URL (the first Register, direction b). */
  readonly path: string;
  readonly method?: OutboxMessage['method'];
  readonly body?: unknown;
  readonly requestId?: string;
  readonly correlationId?: string;
  /** Not before now + delayMs: follow-ups wait until our 204 is out (digest §3). */
  readonly delayMs?: number;
}

const KEY = 'outbox';

/** Type label for metrics: the path's last segment (`register`, `heartbeat`, …). */
export const messageType = (path: string): string => path.replace(/\/+$/, '').split('/').pop() ?? path;

export class OutboxDelivery {
  private readonly busyPeers = new Set<string>();
  private readonly inFlight = new Set<AbortController>();
  private readonly drains = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: OutboxDeps) {}

  /** Persists a message; it goes out on the next run of the loop (call `kick` once the 204 is out). */
  enqueue(message: NewOutboxMessage): number {
    const now = this.deps.nowMs();
    return this.deps.repo.enqueue({
      peerId: message.peerId,
      path: message.path,
      method: message.method ?? 'POST',
      requestId: message.requestId ?? crypto.randomUUID(),
      correlationId: message.correlationId,
      body: message.body ?? null,
      nextAttemptAtMs: now + (message.delayMs ?? 0),
      createdAt: new Date(now).toISOString(),
    });
  }

  /** Runs the loop as soon as possible. */
  kick(): void {
    if (!this.stopped) this.deps.timers.schedule(KEY, this.deps.nowMs(), () => this.run());
  }

  /**
   * Sends nothing new; requests in flight get `graceMs` to finish (their outcome is recorded, so a delivered
   * message is not sent twice), then are aborted and stay queued for the next start.
   */
  async stop(graceMs = 2000): Promise<void> {
    this.stopped = true;
    this.deps.timers.cancel(KEY);
    const settled = Promise.allSettled([...this.drains]);
    await Promise.race([settled, this.deps.timers.wait(graceMs)]);
    for (const controller of this.inFlight) controller.abort();
    await settled;
  }

  /** One pass: the head of each peer's queue (one indexed row per peer, whatever the backlog), due ones drained. */
  private run(): void {
    if (this.stopped) return;
    const now = this.deps.nowMs();
    let wakeMs = Infinity;
    for (const head of this.deps.repo.heads()) {
      const { peerId } = head;
      if (this.busyPeers.has(peerId)) continue;
      if (head.nextAttemptAtMs <= now) this.startDrain(peerId);
      else wakeMs = Math.min(wakeMs, head.nextAttemptAtMs);
    }
    if (wakeMs < Infinity) this.deps.timers.schedule(KEY, wakeMs, () => this.run());
  }

  private startDrain(peerId: string): void {
    this.busyPeers.add(peerId);
    const drain = this.drain(peerId)
      .catch((error: unknown) => this.deps.logger.error('outbox delivery failed', { peer: peerId, error }))
      .finally(() => {
        this.busyPeers.delete(peerId);
        this.drains.delete(drain);
        this.kick();
      });
    this.drains.add(drain);
  }

  /** Sends the peer's messages oldest first until one must wait (retry) or none is due. */
  private async drain(peerId: string): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const head = this.deps.repo.head(peerId);
      if (!head || head.nextAttemptAtMs > this.deps.nowMs()) return;
      const outcome = await this.deliver(head);
      if (this.stopped || outcome === 'wait') return;
    }
  }

  private async deliver(message: OutboxMessage): Promise<'next' | 'wait'> {
    const id = message.id;
    if (id === undefined) return 'wait';
    const type = messageType(message.path);
    const log = this.deps.logger.child({ peer: message.peerId });
    const target = this.deps.resolve(message);
    if ('error' in target) {
      this.deps.repo.failPermanently(id, target.error, this.deps.nowMs());
      this.deps.metrics.oscpMessages.inc({ direction: 'out', type, status: 'failed' });
      log.error('OSCP message cannot be sent', { type, requestId: message.requestId, error: target.error });
      this.deps.onSettled?.(message, { kind: 'refused', status: 0, error: target.error });
      return 'next';
    }
    const controller = new AbortController();
    this.inFlight.add(controller);
    let outcome: SendOutcome;
    try {
      outcome = await this.deps.client.send(
        {
          method: message.method,
          url: target.url,
          token: target.token,
          requestId: message.requestId,
          correlationId: message.correlationId,
          body: message.method === 'DELETE' && target.body === null ? undefined : target.body,
          timeoutMs: target.timeoutMs,
        },
        controller.signal,
      );
    } finally {
      this.inFlight.delete(controller);
    }
    if (controller.signal.aborted) return 'wait';
    const status = 'status' in outcome && outcome.status !== undefined ? String(outcome.status) : 'error';
    this.deps.metrics.oscpMessages.inc({ direction: 'out', type, status });
    if (outcome.kind === 'delivered') {
      this.deps.repo.delivered(id);
      log.debug('OSCP message delivered', { type, requestId: message.requestId, status: outcome.status, attempts: message.attempts + 1 });
      if (outcome.status !== 204) log.info('peer answered with a 2xx other than 204', { type, status: outcome.status });
      this.deps.onSettled?.(message, outcome);
      return 'next';
    }
    if (outcome.kind === 'refused') {
      this.deps.repo.failPermanently(id, outcome.error, this.deps.nowMs());
      log.error('OSCP message refused by the peer; not retried', { type, requestId: message.requestId, error: outcome.error });
      this.deps.onSettled?.(message, outcome);
      return 'next';
    }
    const { backoff, random = Math.random } = this.deps.options;
    const delayMs = backoff.delayMs(message.attempts, random());
    this.deps.repo.retryLater(id, this.deps.nowMs() + delayMs, outcome.error);
    log.warn('OSCP message not delivered; will retry', {
      type,
      requestId: message.requestId,
      attempts: message.attempts + 1,
      retryInMs: delayMs,
      error: outcome.error,
    });
    return 'wait';
  }
}
