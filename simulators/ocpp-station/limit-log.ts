// Per-EVSE, change-only, bounded log of the limit in force and the current drawn, so a test can prove
// what the grid saw; a ring buffer keeps memory flat for thousands of stations.

/** One change: from `atMs` on, the EVSE offered `limitA` and drew `drawnA` (both per phase L1, L2, L3). */
export interface LimitLogEntry {
  readonly atMs: number;
  readonly limitA: readonly [number, number, number];
  readonly drawnA: readonly [number, number, number];
}

function samePhases(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => Math.abs(value - (b[i] ?? 0)) < 0.005);
}

export class LimitLog {
  private readonly entries: LimitLogEntry[] = [];
  private next = 0;
  private dropped = 0;

  constructor(private readonly capacity: number) {}

  /** Record the state at `atMs` if it differs from the last one; returns whether it did. */
  record(entry: LimitLogEntry): boolean {
    const last = this.last();
    if (last !== undefined && samePhases(last.limitA, entry.limitA) && samePhases(last.drawnA, entry.drawnA)) return false;
    if (this.entries.length < this.capacity) {
      this.entries.push(entry);
    } else {
      this.entries[this.next] = entry;
      this.next = (this.next + 1) % this.capacity;
      this.dropped++;
    }
    return true;
  }

  last(): LimitLogEntry | undefined {
    if (this.entries.length === 0) return undefined;
    const index = this.entries.length < this.capacity ? this.entries.length - 1 : (this.next + this.capacity - 1) % this.capacity;
    return this.entries[index];
  }

  /** Oldest first. */
  toArray(): LimitLogEntry[] {
    if (this.entries.length < this.capacity) return [...this.entries];
    return [...this.entries.slice(this.next), ...this.entries.slice(0, this.next)];
  }

  /** How many old entries the ring buffer overwrote. */
  get overwritten(): number {
    return this.dropped;
  }
}
