// Keyed deadlines behind one timer: heartbeats, offline checks, measurement cadence and the outbox loop.
// One pending run per key; the single timer is always armed for the earliest deadline.

export class Deadlines {
  private readonly entries = new Map<string, { dueMs: number; run: () => void }>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private stopped = false;

  constructor(
    private readonly nowMs: () => number,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  /** Sets or moves the deadline of `key`. */
  schedule(key: string, dueMs: number, run: () => void): void {
    if (this.stopped) return;
    this.entries.set(key, { dueMs, run });
    if (dueMs < this.armedFor) this.arm();
  }

  cancel(key: string): void {
    this.entries.delete(key);
  }

  dueMs(key: string): number | undefined {
    return this.entries.get(key)?.dueMs;
  }

  stop(): void {
    this.stopped = true;
    this.entries.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    for (const { dueMs } of this.entries.values()) this.armedFor = Math.min(this.armedFor, dueMs);
    if (this.stopped || this.armedFor === Infinity) return;
    // setTimeout caps at 2^31-1 ms; a far deadline just re-arms when the timer fires early.
    const delayMs = Math.min(Math.max(0, this.armedFor - this.nowMs()), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.fire(), delayMs);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.nowMs();
    const due = [...this.entries].filter(([, e]) => e.dueMs <= now).sort((a, b) => a[1].dueMs - b[1].dueMs);
    for (const [key, e] of due) {
      if (this.entries.get(key) !== e) continue;
      this.entries.delete(key);
      try {
        e.run();
      } catch (error) {
        this.onError(key, error);
      }
    }
    this.arm();
  }
}
