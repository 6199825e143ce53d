// The fleet's one scheduler: a binary min-heap of (due instant, station) with lazy deletion, so each tick
// touches only the stations that have something due — no timer per station, no whole-fleet scan.

interface Due<T> {
  readonly atMs: number;
  readonly item: T;
}

export class DueQueue<T> {
  private readonly heap: Due<T>[] = [];
  /** The latest instant asked for per item; older heap entries for it are stale and skipped. */
  private readonly wanted = new Map<T, number>();

  get size(): number {
    return this.wanted.size;
  }

  /** Ask for `item` to be due at `atMs`; replaces any earlier request for it. */
  schedule(item: T, atMs: number): void {
    if (this.wanted.get(item) === atMs) return;
    this.wanted.set(item, atMs);
    this.heap.push({ atMs, item });
    this.up(this.heap.length - 1);
    if (this.heap.length > 4 * this.wanted.size + 1024) this.compact();
  }

  /** Drop stale entries so rescheduling cannot grow the heap without bound. */
  private compact(): void {
    const live = this.heap.filter((entry) => this.wanted.get(entry.item) === entry.atMs);
    this.heap.length = 0;
    for (const entry of live) {
      this.heap.push(entry);
      this.up(this.heap.length - 1);
    }
  }

  cancel(item: T): void {
    this.wanted.delete(item);
  }

  /** Remove and return the earliest item due at or before `nowMs`, or undefined. */
  popDue(nowMs: number): Due<T> | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.atMs > nowMs) return undefined;
      this.removeTop();
      if (this.wanted.get(top.item) === top.atMs) {
        this.wanted.delete(top.item);
        return top;
      }
    }
  }

  private removeTop(): void {
    const last = this.heap.pop();
    if (last === undefined || this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.at(parent).atMs <= this.at(i).atMs) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.heap.length && this.at(left).atMs < this.at(smallest).atMs) smallest = left;
      if (right < this.heap.length && this.at(right).atMs < this.at(smallest).atMs) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private at(index: number): Due<T> {
    const entry = this.heap[index];
    if (entry === undefined) throw new Error(`DueQueue: no heap entry at ${index}`);
    return entry;
  }

  private swap(a: number, b: number): void {
    const entryA = this.at(a);
    this.heap[a] = this.at(b);
    this.heap[b] = entryA;
  }
}
