// One scheduler for the whole agent: keyed deadlines in a binary min-heap behind a single timer.
// Lease renewals, block boundaries and coalesced reallocations all go through it — never a timer per station.

export interface Clock {
  nowMs(): number;
  setTimer(callback: () => void, delayMs: number): { cancel(): void };
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer: (callback, delayMs) => {
    const timer = setTimeout(callback, Math.max(0, delayMs));
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
  private stopped = false;

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly onError: (key: string, error: unknown) => void = () => undefined,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  dueMs(key: string): number | undefined {
    return this.byKey.get(key)?.dueMs;
  }

  schedule(key: string, dueMs: number, run: () => void): void {
    if (this.stopped) return;
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
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.heap.length = 0;
    this.byKey.clear();
  }

  private arm(): void {
    const next = this.heap[0]?.dueMs ?? Infinity;
    if (next === this.armedFor || this.stopped) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.armedFor = next;
    if (next === Infinity) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.armedFor = Infinity;
      this.runDue();
    }, next - this.clock.nowMs());
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
