// Webhook delivery: each operator event POSTed to every subscribed URL with a timestamped HMAC-SHA256 signature, from
// a bounded in-memory queue (oldest dropped when full) with jittered exponential back-off. Never awaited by core.
import { createHmac, timingSafeEqual } from 'node:crypto';
import axios from 'axios';
import type { WebhookConfig } from '../config/schema';
import type { Backoff } from '../core/backoff';
import type { ScheduleScope } from '../core/scheduler';
import { readableNumbers, type Logger } from '../observability/log';
import type { ApiEventEnvelope } from './response-schemas';

export interface WebhookOptions {
  readonly queueLimit: number;
  /** Wait before each retry; a hook's `maxAttempts` bounds how many. */
  readonly backoff: Backoff;
  /** Deliveries in flight at once. */
  readonly concurrency: number;
  readonly random?: () => number;
}

interface Delivery {
  readonly hook: WebhookConfig;
  readonly event: ApiEventEnvelope;
  readonly body: string;
  attempts: number;
  dueMs: number;
}

export type DeliveryResult = 'delivered' | 'retry' | 'dropped';

/**
 * `X-Flexbridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The time is signed with the body,
 * so a receiver that checks it is recent (verifySignature) cannot be fed a captured delivery again later; every attempt
 * is signed anew.
 */
export function signature(secret: string, body: string, unixS: number): string {
  const t = Math.floor(unixS);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex')}`;
}

/** How far a receiver should let a signature's time be from its own clock (README: "Webhooks"). */
export const SIGNATURE_TOLERANCE_S = 300;

/**
 * The receiver's check, as the README describes it: the header parses, its time is within `toleranceS` of the
 * receiver's clock (either way), and its v1 HMAC matches, compared in constant time. Receivers should also drop a
 * repeated X-Flexbridge-Delivery id inside the tolerance window.
 */
export function verifySignature(
  header: string | undefined,
  secret: string,
  body: string,
  nowS: number,
  toleranceS = SIGNATURE_TOLERANCE_S,
): boolean {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match?.[1] || !match[2]) return false;
  const t = Number(match[1]);
  if (Math.abs(nowS - t) > toleranceS) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex'));
  const given = Buffer.from(match[2]);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Where a hook points, for logs: no user info, no query (either may carry a credential). */
function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** The one deadline of the queue: the next time a delivery is due (never a timer per delivery). */
const PUMP = 'webhooks:pump';

export class WebhookDelivery {
  private readonly queue: Delivery[] = [];
  private inFlight = 0;
  private stopped = false;
  private readonly controller = new AbortController();

  constructor(
    private readonly hooks: readonly WebhookConfig[],
    private readonly options: WebhookOptions,
    private readonly logger: Logger,
    /** The API's share of the agent's scheduler; its clock is the time of the queue. */
    private readonly timers: ScheduleScope,
    private readonly observe: (result: DeliveryResult) => void = () => undefined,
  ) {}

  private nowMs(): number {
    return this.timers.nowMs();
  }

  /** Queues the event for every hook that wants it; returns at once. */
  enqueue(event: ApiEventEnvelope): void {
    if (this.stopped) return;
    const body = JSON.stringify(event, readableNumbers);
    for (const hook of this.hooks) {
      if (hook.events && !hook.events.includes(event.event)) continue;
      while (this.queue.length >= this.options.queueLimit) {
        const dropped = this.queue.shift();
        if (dropped) {
          this.logger.warn('webhook queue full: oldest delivery dropped', {
            url: describeUrl(dropped.hook.url),
            event: dropped.event.event,
            eventId: dropped.event.id,
          });
          this.observe('dropped');
        }
      }
      this.queue.push({ hook, event, body, attempts: 0, dueMs: this.nowMs() });
    }
    this.wake(0);
  }

  get depth(): number {
    return this.queue.length;
  }

  stop(): void {
    this.stopped = true;
    this.timers.cancel(PUMP);
    this.controller.abort();
    this.queue.length = 0;
  }

  private wake(delayMs: number): void {
    if (this.stopped) return;
    this.timers.schedule(PUMP, this.nowMs() + Math.max(0, delayMs), () => this.pump());
  }

  private pump(): void {
    const now = this.nowMs();
    while (this.inFlight < this.options.concurrency) {
      const index = this.queue.findIndex((d) => d.dueMs <= now);
      if (index < 0) break;
      const [delivery] = this.queue.splice(index, 1);
      if (delivery) void this.send(delivery);
    }
    const next = this.queue.reduce((min, d) => Math.min(min, d.dueMs), Infinity);
    if (Number.isFinite(next) && this.inFlight < this.options.concurrency) this.wake(next - now);
  }

  private async send(delivery: Delivery): Promise<void> {
    this.inFlight++;
    delivery.attempts++;
    let failure: string | undefined;
    try {
      const response = await axios.post(delivery.hook.url, delivery.body, {
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'flexbridge-webhooks',
          'X-Flexbridge-Event': delivery.event.event,
          'X-Flexbridge-Delivery': String(delivery.event.id),
          'X-Flexbridge-Signature': signature(delivery.hook.secret, delivery.body, this.nowMs() / 1000),
        },
        timeout: delivery.hook.timeoutMs,
        maxRedirects: 0,
        validateStatus: () => true,
        transformRequest: [(data: string) => data],
        signal: this.controller.signal,
      });
      if (response.status < 200 || response.status >= 300) failure = `HTTP ${response.status}`;
    } catch (error) {
      failure = axios.isAxiosError(error) ? (error.code ?? error.message) : String(error);
    } finally {
      this.inFlight--;
    }
    if (this.stopped) return;
    if (failure === undefined) this.observe('delivered');
    else this.retry(delivery, failure);
    this.wake(0);
  }

  private retry(delivery: Delivery, failure: string): void {
    const fields = {
      url: describeUrl(delivery.hook.url),
      event: delivery.event.event,
      eventId: delivery.event.id,
      attempts: delivery.attempts,
      failure,
    };
    const random = this.options.random ?? Math.random;
    const decision = this.options.backoff.afterFailure(delivery.attempts, random(), delivery.hook.maxAttempts);
    if (decision.kind === 'give-up') {
      this.logger.warn('webhook delivery given up', fields);
      this.observe('dropped');
      return;
    }
    delivery.dueMs = this.nowMs() + decision.delayMs;
    this.logger.info('webhook delivery failed; will retry', { ...fields, retryInMs: decision.delayMs });
    this.observe('retry');
    this.queue.push(delivery);
  }
}
