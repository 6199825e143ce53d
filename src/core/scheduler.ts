// One scheduler for the whole agent: keyed deadlines in a binary min-heap behind a single timer.
// Lease renewals, block boundaries and coalesced reallocations all go through it — never a timer per station.

import type { Clock } from './ports/clock';

export type { Clock };

/**
 * The longest delay a Node timer keeps: setTimeout turns anything above 2^31 − 1 ms (24.8 days) into 1 ms.
 * A deadline farther out is armed for this long and checked again then.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Wall time and Node timers; components take a Clock or a Scheduler instead of calling setTimeout. */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer: (callback, delayMs) => {
    // setTimeout reads NaN as 1 ms: a bug upstream, named here rather than turned into a storm.
    if (Number.isNaN(delayMs)) throw new RangeError('timer delay is NaN');
    // Clamped here too, so a direct caller gets an early wake-up it can re-check, never a 1 ms storm.
    const timer = setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_TIMER_DELAY_MS));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

interface Entry {
  key: string;
  dueMs: number;
  run: () => void;
  index: number;
}

/**
 * `schedule(key, dueMs, run)` sets or moves the deadline of `key` (one pending run per key); `cancel(key)`
 * drops it. Scheduling is O(log n); the single timer is re-armed only when the earliest deadline changes.
 */
export class Scheduler {
  private readonly heap: Entry[] = [];
  private readonly byKey = new Map<string, Entry>();
  private timer: { cancel(): void } | undefined;
  private armedFor = Infinity;
  private isStopped = false;

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly onError: (key: string, error: unknown) => void = () => undefined,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  /** The time on this scheduler's clock: what deadlines are compared with. */
  nowMs(): number {
    return this.clock.nowMs();
  }

  get stopped(): boolean {
    return this.isStopped;
  }

  /** A share of this scheduler for one component: keys under `prefix`, dropped together by `close`. */
  scope(prefix: string): ScheduleScope {
    return new ScheduleScope(this, prefix);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  dueMs(key: string): number | undefined {
    return this.byKey.get(key)?.dueMs;
  }

  /**
   * Sets or moves `key`'s deadline. `Infinity` means never (kept, no timer); NaN is refused: it compares false with
   * everything, so at the top of the heap it would hold back every other deadline and re-arm the timer forever.
   */
  schedule(key: string, dueMs: number, run: () => void): void {
    if (Number.isNaN(dueMs)) throw new RangeError(`scheduler: deadline of ${key} is NaN`);
    if (this.isStopped) return;
    const existing = this.byKey.get(key);
    if (existing) {
      existing.run = run;
      const earlier = dueMs < existing.dueMs;
      existing.dueMs = dueMs;
      if (earlier) this.siftUp(existing.index);
      else this.siftDown(existing.index);
    } else {
      const entry: Entry = { key, dueMs, run, index: this.heap.length };
      this.heap.push(entry);
      this.byKey.set(key, entry);
      this.siftUp(entry.index);
    }
    this.arm();
  }

  /** Schedules `key` at `dueMs` unless it is already due earlier (coalescing bursts into one run). */
  scheduleNoLaterThan(key: string, dueMs: number, run: () => void): void {
    const current = this.byKey.get(key);
    if (current && current.dueMs <= dueMs) {
      current.run = run;
      return;
    }
    this.schedule(key, dueMs, run);
  }

  cancel(key: string): void {
    const entry = this.byKey.get(key);
    if (!entry) return;
    this.removeAt(entry.index);
    this.arm();
  }

  /** Runs everything due now; called by the timer, and directly by tests on virtual time. */
  runDue(): number {
    let ran = 0;
    const now = this.clock.nowMs();
    while (this.heap.length > 0 && (this.heap[0] as Entry).dueMs <= now) {
      const entry = this.heap[0] as Entry;
      this.removeAt(0);
      ran += 1;
      try {
        entry.run();
      } catch (error) {
        this.onError(entry.key, error);
      }
    }
    this.arm();
    return ran;
  }

  stop(): void {
    this.isStopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.heap.length = 0;
    this.byKey.clear();
  }

  private arm(): void {
    const next = this.heap[0]?.dueMs ?? Infinity;
    if (next === this.armedFor || this.isStopped) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = next;
    if (next === Infinity) return;
    // A deadline beyond the timer's range wakes us at the cap; runDue then finds nothing due and re-arms.
    const delayMs = Math.min(Math.max(0, next - this.clock.nowMs()), MAX_TIMER_DELAY_MS);
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.armedFor = Infinity;
      this.runDue();
    }, delayMs);
  }

  private removeAt(index: number): void {
    const entry = this.heap[index] as Entry;
    const last = this.heap.pop() as Entry;
    this.byKey.delete(entry.key);
    if (index < this.heap.length) {
      this.heap[index] = last;
      last.index = index;
      this.siftDown(index);
      this.siftUp(last.index);
    }
  }

  private siftUp(index: number): void {
    const entry = this.heap[index] as Entry;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.heap[parentIndex] as Entry;
      if (parent.dueMs <= entry.dueMs) break;
      this.heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    this.heap[index] = entry;
    entry.index = index;
  }

  private siftDown(index: number): void {
    const entry = this.heap[index] as Entry;
    const length = this.heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && (this.heap[right] as Entry).dueMs < (this.heap[left] as Entry).dueMs ? right : left;
      const candidate = this.heap[child] as Entry;
      if (candidate.dueMs >= entry.dueMs) break;
      this.heap[index] = candidate;
      candidate.index = index;
      index = child;
    }
    this.heap[index] = entry;
    entry.index = index;
  }
}

/**
 * What one component schedules, under its own key prefix: `close` cancels all of it and refuses more, so an
 * adapter stops its timers on the scheduler it shares with the rest of the agent without stopping the others.
 */
export class ScheduleScope {
  private readonly keys = new Set<string>();
  private closed = false;
  private waits = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prefix: string,
  ) {}

  nowMs(): number {
    return this.scheduler.nowMs();
  }

  schedule(key: string, dueMs: number, run: () => void): void {
    if (this.closed) return;
    const scoped = this.prefix + key;
    this.keys.add(scoped);
    this.scheduler.schedule(scoped, dueMs, () => {
      this.keys.delete(scoped);
      run();
    });
  }

  cancel(key: string): void {
    const scoped = this.prefix + key;
    this.keys.delete(scoped);
    this.scheduler.cancel(scoped);
  }

  dueMs(key: string): number | undefined {
    return this.scheduler.dueMs(this.prefix + key);
  }

  /**
   * Resolves after `delayMs` on the clock. A wait is not work: it still ends after `close`, so a stop can
   * bound its own grace period; on a stopped scheduler it ends at once.
   */
  wait(delayMs: number): Promise<void> {
    if (this.scheduler.stopped) return Promise.resolve();
    this.waits += 1;
    const key = `${this.prefix}~wait:${this.waits}`;
    return new Promise((resolve) => this.scheduler.schedule(key, this.nowMs() + delayMs, resolve));
  }

  close(): void {
    this.closed = true;
    for (const key of this.keys) this.scheduler.cancel(key);
    this.keys.clear();
  }
}
