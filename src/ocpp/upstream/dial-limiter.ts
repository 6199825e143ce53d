// The upstream dial rate (a token bucket on the one scheduler): a reconnect storm of thousands of stations reaches
// the CSMS at `ratePerS` connects per second, in arrival order; a waiting upgrade is held, never failed.
import type { Scheduler } from '../../core/scheduler';

export class DialLimiter {
  private tokens: number;
  private refilledAtMs: number;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly ratePerS: number,
    private readonly scheduler: Scheduler,
    private readonly key = 'upstream-dial',
  ) {
    this.tokens = Math.max(1, ratePerS);
    this.refilledAtMs = scheduler.nowMs();
  }

  /** Resolves when this dial may go out. */
  acquire(): Promise<void> {
    this.refill();
    if (this.waiting.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.arm();
    });
  }

  get queued(): number {
    return this.waiting.length;
  }

  private refill(): void {
    const now = this.scheduler.nowMs();
    this.tokens = Math.min(Math.max(1, this.ratePerS), this.tokens + ((now - this.refilledAtMs) / 1000) * this.ratePerS);
    this.refilledAtMs = now;
  }

  private arm(): void {
    const waitMs = Math.ceil(((1 - this.tokens) / this.ratePerS) * 1000);
    this.scheduler.scheduleNoLaterThan(this.key, this.scheduler.nowMs() + Math.max(0, waitMs), () => this.release());
  }

  private release(): void {
    this.refill();
    while (this.waiting.length > 0 && this.tokens >= 1) {
      this.tokens -= 1;
      this.waiting.shift()?.();
    }
    if (this.waiting.length > 0) this.arm();
  }
}
