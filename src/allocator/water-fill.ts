// Weighted max-min fair share ("water-filling") of the capacity left above the minimums, under three limits:
// each session's own headroom, its station's supply, and the tightest phase. Progressive filling in one sorted sweep.
import type { BlockVariant } from './session-table';

/** Breakpoints are ordered as integers: level × 2^10, then session index. */
const LEVEL_SCALE = 1024;
const MAX_LEVEL = 1e6;

/** What bound a session: its own maximum, its station, or the phase. */
export const BOUND_EV = 1;
export const BOUND_STATION = 2;
export const BOUND_PHASE = 3;

/**
 * Every session counts on every phase of the group (docs/allocation.md rule 5), so the phases fill alike and only
 * the tightest one can bind. `prepare` runs when the admitted sessions change; `run` once per block, for the amps
 * left on the tightest phase. Breakpoints wait in a heap and are sorted only as far as a sweep reaches: under scarce
 * capacity the phase binds before anyone reaches a ceiling, so a block never pays for a full sort.
 */
export class WaterFill {
  /** Amps above the minimum for a session that reached its breakpoint in the last run (`cappedIn === runs`). */
  readonly capAmps: Float64Array;
  /** What caps a session at its breakpoint: BOUND_EV or BOUND_STATION. */
  readonly baseBound: Uint8Array;
  /** The run in which a session last reached its breakpoint; the others admitted stop at `phaseLevel` × weight. */
  readonly cappedIn: Int32Array;
  runs = 0;
  /** Water level where the tightest phase filled up in the last run (NaN if it never did). */
  phaseLevel = Number.NaN;

  private readonly breakpoint: Float64Array;
  private readonly stationLevel: Float64Array;
  private readonly scratch: Int32Array;
  /** Admitted sessions by breakpoint: `sorted[0, sortedCount)` in order, the rest in the min-heap `heap[0, heapSize)`. */
  private readonly sorted: Int32Array;
  private sortedCount = 0;
  private readonly heap: Float64Array;
  private heapSize = 0;
  /** The heap is built on the first pop only; until then `least` is the session with the least breakpoint. */
  private heapified = false;
  private least = -1;
  private ownLevel: Float64Array = new Float64Array(0);
  private readonly indexBits: number;
  private startSlope = 0;
  private startMembers = 0;

  constructor(
    sessions: number,
    private readonly weights: Float64Array,
    private readonly stationOf: Int32Array,
    /** Sessions of each station (CSR layout), fixed for the whole plan. */
    private readonly memberStart: Int32Array,
    private readonly members: Int32Array,
  ) {
    this.capAmps = new Float64Array(sessions);
    this.baseBound = new Uint8Array(sessions);
    this.cappedIn = new Int32Array(sessions);
    this.breakpoint = new Float64Array(sessions);
    this.sorted = new Int32Array(sessions);
    this.heap = new Float64Array(sessions);
    this.scratch = new Int32Array(sessions);
    this.stationLevel = new Float64Array(memberStart.length - 1);
    this.indexBits = Math.pow(2, Math.ceil(Math.log2(sessions + 1)));
  }

  /** Station levels, breakpoints and starting slope for a new set of admitted sessions (or a new variant). */
  prepare(admitted: Uint8Array, variant: BlockVariant, stationLeftA: Float64Array): void {
    const { weights, heap, breakpoint, indexBits } = this;
    this.stationLevels(admitted, variant, stationLeftA);
    this.ownLevel = variant.ownLevel;
    let size = 0;
    let slope = 0;
    let least = -1;
    let leastKey = Infinity;
    for (let i = 0; i < admitted.length; i++) {
      if (!admitted[i]) continue;
      const level = Math.min(variant.ownLevel[i] as number, this.stationLevel[this.stationOf[i] as number] as number, MAX_LEVEL);
      breakpoint[i] = level;
      const key = Math.floor(level * LEVEL_SCALE) * indexBits + i;
      heap[size++] = key;
      if (key < leastKey) {
        leastKey = key;
        least = i;
      }
      slope += weights[i] as number;
    }
    this.heapSize = size;
    this.heapified = false;
    this.least = least;
    this.sortedCount = 0;
    this.startSlope = slope;
    this.startMembers = size;
  }

  /**
   * Raises the water for `leftA` amps on the tightest phase: sessions reach their breakpoints in order until the
   * phase is full; everyone not yet capped stops there.
   */
  run(leftA: number): void {
    const { weights, breakpoint, sorted } = this;
    const runs = ++this.runs;
    let slope = this.startSlope;
    let members = this.startMembers;
    let used = 0;
    this.phaseLevel = Number.NaN;
    for (let k = 0; ; k++) {
      const binds = members > 0 && slope > 0;
      const bindLevel = binds ? Math.max(0, (leftA - used) / slope) : Infinity;
      // The phase often fills before the least breakpoint: then no order is needed at all.
      if (k === 0 && !this.heapified && this.least >= 0 && (breakpoint[this.least] as number) > bindLevel) {
        this.phaseLevel = bindLevel;
        return;
      }
      if (k === this.sortedCount && this.heapSize > 0) sorted[this.sortedCount++] = this.pop();
      const next = k < this.sortedCount ? (sorted[k] as number) : -1;
      if (next < 0 || (breakpoint[next] as number) > bindLevel) {
        if (binds) this.phaseLevel = bindLevel;
        return;
      }
      this.cap(next, runs);
      used += this.capAmps[next] as number;
      members--;
      slope = members === 0 ? 0 : slope - (weights[next] as number);
    }
  }

  /** Marks `i` as stopped at its own breakpoint in this run, with what stopped it. */
  private cap(i: number, runs: number): void {
    const own = this.ownLevel[i] as number;
    const station = this.stationLevel[this.stationOf[i] as number] as number;
    this.cappedIn[i] = runs;
    this.capAmps[i] = Math.max(0, (this.weights[i] as number) * (this.breakpoint[i] as number));
    this.baseBound[i] = own <= station ? BOUND_EV : BOUND_STATION;
  }

  /** Takes the least breakpoint off the heap: its session. */
  private pop(): number {
    const heap = this.heap;
    if (!this.heapified) {
      for (let k = (this.heapSize >> 1) - 1; k >= 0; k--) this.siftDown(k, heap[k] as number);
      this.heapified = true;
    }
    const top = heap[0] as number;
    const last = heap[--this.heapSize] as number;
    if (this.heapSize > 0) this.siftDown(0, last);
    return top % this.indexBits;
  }

  private siftDown(from: number, key: number): void {
    const heap = this.heap;
    const size = this.heapSize;
    let k = from;
    for (;;) {
      let child = 2 * k + 1;
      if (child >= size) break;
      if (child + 1 < size && (heap[child + 1] as number) < (heap[child] as number)) child++;
      if ((heap[child] as number) >= key) break;
      heap[k] = heap[child] as number;
      k = child;
    }
    heap[k] = key;
  }

  /** Per station, the level where its sessions together reach the station's remaining supply (∞ if never). */
  private stationLevels(admitted: Uint8Array, variant: BlockVariant, stationLeftA: Float64Array): void {
    const { weights, members, scratch } = this;
    const { room, ratio } = variant;
    for (let s = 0; s + 1 < this.memberStart.length; s++) {
      let level = Infinity;
      let left = stationLeftA[s] as number;
      const from = this.memberStart[s] as number;
      const to = this.memberStart[s + 1] as number;
      if (to - from === 1) {
        const i = members[from] as number;
        if (admitted[i] && (room[i] as number) > left) level = Math.max(0, left) / (weights[i] as number);
        this.stationLevel[s] = level;
        continue;
      }
      let count = 0;
      let weight = 0;
      let total = 0;
      for (let m = from; m < to; m++) {
        const i = members[m] as number;
        if (!admitted[i]) continue;
        scratch[count++] = i;
        weight += weights[i] as number;
        total += room[i] as number;
      }
      if (total > left) {
        sortByRatio(scratch, count, ratio);
        for (let k = 0; k < count; k++) {
          const i = scratch[k] as number;
          const candidate = Math.max(0, left) / weight;
          if (candidate <= (ratio[i] as number)) {
            level = candidate;
            break;
          }
          left -= room[i] as number;
          weight -= weights[i] as number;
        }
      }
      this.stationLevel[s] = level;
    }
  }
}

/** Stable sort of `list[0, count)` by ratio: insertion for a station's few sessions, the native sort beyond. */
function sortByRatio(list: Int32Array, count: number, ratio: Float64Array): void {
  if (count > 32) {
    const sorted = Array.from(list.subarray(0, count)).sort((a, b) => (ratio[a] as number) - (ratio[b] as number));
    list.set(sorted);
    return;
  }
  for (let k = 1; k < count; k++) {
    const i = list[k] as number;
    let j = k - 1;
    while (j >= 0 && (ratio[list[j] as number] as number) - (ratio[i] as number) > 0) {
      list[j + 1] = list[j] as number;
      j--;
    }
    list[j + 1] = i;
  }
}
