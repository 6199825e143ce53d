// Reference copy (src/allocator at 6ca3d73) for test/unit/allocator/equivalence.test.ts; see ./allocate.ts.
// Weighted max-min fair share ("water-filling") of the capacity left above the minimums, under three limits:
// each session's own headroom, its station's supply, and every phase. Progressive filling in one sorted sweep.

export interface FillInput {
  readonly admitted: Uint8Array;
  readonly masks: Uint8Array;
  readonly stationOf: Int32Array;
  /** Room above the minimum for each session (its ceiling minus what it already has). */
  readonly headroomA: Float64Array;
  readonly weights: Float64Array;
  /** Amps left per phase and per station once every minimum is placed. */
  readonly phaseLeftA: Float64Array;
  readonly stationLeftA: Float64Array;
}

/** Breakpoints are sorted as integers (level × 2^10, then session index) with the native typed-array sort. */
const LEVEL_SCALE = 1024;
const MAX_LEVEL = 1e6;

export class WaterFill {
  /** Extra amps above the minimum for each session, after `run`. */
  readonly extraA: Float64Array;
  /** What bound each session: 0 none, 1 its own maximum, 2 its station, 3 a phase. */
  readonly boundBy: Uint8Array;
  private readonly breakpoints: Float64Array;
  private readonly active: Uint8Array;
  /** Sort key of each admitted session (level × 2^10, then index): NaN when not admitted. */
  private readonly keyOf: Float64Array;
  private readonly previousKeyOf: Float64Array;
  private orderIdx: Int32Array = new Int32Array(0);
  private orderScratch: Int32Array;
  private readonly baseBound: Uint8Array;
  private readonly baseSlope = new Float64Array(3);
  private readonly baseMembers = new Int32Array(3);
  private readonly stationLevel: Float64Array;
  private readonly indexBits: number;

  /** `members`/`memberStart`: sessions of each station (CSR layout), fixed for the whole plan. */
  constructor(
    private readonly sessions: number,
    private readonly memberStart: Int32Array,
    private readonly members: Int32Array,
  ) {
    this.extraA = new Float64Array(sessions);
    this.boundBy = new Uint8Array(sessions);
    this.baseBound = new Uint8Array(sessions);
    this.breakpoints = new Float64Array(sessions);
    this.active = new Uint8Array(sessions);
    this.keyOf = new Float64Array(sessions).fill(Number.NaN);
    this.previousKeyOf = new Float64Array(sessions).fill(Number.NaN);
    this.orderScratch = new Int32Array(sessions);
    this.stationLevel = new Float64Array(memberStart.length - 1);
    this.indexBits = Math.pow(2, Math.ceil(Math.log2(sessions + 1)));
  }

  /**
   * `unchanged`: same admitted sessions, headroom, weights and station supply as the last call (only the phase
   * capacity differs) — the breakpoints and their order are reused and only the sweep runs.
   */
  run(input: FillInput, unchanged = false): void {
    const n = this.sessions;
    const { admitted, masks, weights } = input;
    if (!unchanged || this.orderIdx.length === 0) this.prepare(input);
    this.extraA.fill(0);
    this.boundBy.set(this.baseBound);
    this.active.set(admitted);
    const slope = this.baseSlope.slice();
    const members = this.baseMembers.slice();
    const used = new Float64Array(3);
    const order = this.orderIdx;
    const count = order.length;

    let k = 0;
    for (;;) {
      while (k < count && !this.active[order[k] as number]) k++;
      const nextSession = k < count ? (order[k] as number) : -1;
      const next = nextSession < 0 ? Infinity : (this.breakpoints[nextSession] as number);
      let bindLevel = Infinity;
      let bindPhase = -1;
      for (let p = 0; p < 3; p++) {
        if (members[p] === 0 || (slope[p] as number) <= 0) continue;
        const level = Math.max(0, ((input.phaseLeftA[p] as number) - (used[p] as number)) / (slope[p] as number));
        if (level < bindLevel) {
          bindLevel = level;
          bindPhase = p;
        }
      }
      if (nextSession < 0 && bindPhase < 0) break;
      const phaseFull = nextSession < 0 || next > bindLevel;
      // A phase that is full stops everyone on it at this level; otherwise the next session reaches its own cap.
      const level = phaseFull ? bindLevel : next;
      const from = phaseFull ? 0 : k;
      const to = phaseFull ? n : k + 1;
      for (let j = from; j < to; j++) {
        const i = phaseFull ? j : nextSession;
        if (!this.active[i]) continue;
        const mask = masks[i] as number;
        if (phaseFull && !(mask & (1 << bindPhase))) continue;
        if (phaseFull) this.boundBy[i] = 3;
        const amps = Math.max(0, (weights[i] as number) * level);
        this.extraA[i] = amps;
        this.active[i] = 0;
        for (let p = 0; p < 3; p++) {
          if (mask & (1 << p)) {
            used[p] = (used[p] as number) + amps;
            members[p] = (members[p] as number) - 1;
            slope[p] = members[p] === 0 ? 0 : (slope[p] as number) - (weights[i] as number);
          }
        }
      }
      if (!phaseFull) k++;
    }
  }

  /** Station levels, breakpoints, their order and the starting slopes, for a new set of admitted sessions. */
  private prepare(input: FillInput): void {
    const n = this.sessions;
    const { admitted, masks, weights, headroomA } = input;
    this.stationLevels(input);
    for (let i = 0; i < n; i++) {
      if (!admitted[i]) {
        this.keyOf[i] = Number.NaN;
        continue;
      }
      const own = Math.max(0, headroomA[i] as number) / (weights[i] as number);
      const station = this.stationLevel[input.stationOf[i] as number] as number;
      const level = Math.min(own, station, MAX_LEVEL);
      this.breakpoints[i] = level;
      this.baseBound[i] = own <= station ? 1 : 2;
      this.keyOf[i] = Math.floor(level * LEVEL_SCALE) * this.indexBits + i;
    }
    this.updateOrder();
    this.baseSlope.fill(0);
    this.baseMembers.fill(0);
    for (let i = 0; i < n; i++) {
      if (!admitted[i]) {
        this.baseBound[i] = 0;
        continue;
      }
      const mask = masks[i] as number;
      for (let p = 0; p < 3; p++) {
        if (mask & (1 << p)) {
          this.baseSlope[p] = (this.baseSlope[p] as number) + (weights[i] as number);
          this.baseMembers[p] = (this.baseMembers[p] as number) + 1;
        }
      }
    }
  }

  /**
   * Sessions in key order. Consecutive blocks usually change the keys of a few sessions only (their station's
   * admission changed): those are taken out, sorted on their own and merged back — O(n + k log k), not O(n log n).
   */
  private updateOrder(): void {
    const n = this.sessions;
    const { keyOf, previousKeyOf } = this;
    const changed: number[] = [];
    let count = 0;
    for (let i = 0; i < n; i++) {
      const key = keyOf[i] as number;
      if (key === key) count++;
      if (key !== previousKeyOf[i] && (key === key || previousKeyOf[i] === previousKeyOf[i])) changed.push(i);
    }
    if (changed.length === 0 && this.orderIdx.length === count) return;
    const byKey = (a: number, b: number): number => (keyOf[a] as number) - (keyOf[b] as number);
    const next = new Int32Array(count);
    if (changed.length > n / 8 || this.orderIdx.length === 0) {
      // Many changes: the native numeric sort of the keys themselves (the index is in the key's low bits).
      const keys = new Float64Array(count);
      let k = 0;
      for (let i = 0; i < n; i++) if (keyOf[i] === keyOf[i]) keys[k++] = keyOf[i] as number;
      keys.sort();
      for (let j = 0; j < count; j++) next[j] = (keys[j] as number) % this.indexBits;
    } else {
      const added = changed.filter((i) => keyOf[i] === keyOf[i]).sort(byKey);
      let kept = 0;
      for (const i of this.orderIdx) if (keyOf[i] === previousKeyOf[i]) this.orderScratch[kept++] = i;
      let a = 0;
      let b = 0;
      let k = 0;
      while (a < kept || b < added.length) {
        const fromKept =
          b >= added.length || (a < kept && (keyOf[this.orderScratch[a] as number] as number) < (keyOf[added[b] as number] as number));
        next[k++] = fromKept ? (this.orderScratch[a++] as number) : (added[b++] as number);
      }
    }
    this.orderIdx = next;
    previousKeyOf.set(keyOf);
  }

  /** Per station, the level where its sessions together reach the station's remaining supply (∞ if never). */
  private stationLevels(input: FillInput): void {
    const { admitted, weights, headroomA } = input;
    const scratch: number[] = [];
    for (let s = 0; s + 1 < this.memberStart.length; s++) {
      this.stationLevel[s] = Infinity;
      let left = input.stationLeftA[s] as number;
      const from = this.memberStart[s] as number;
      const to = this.memberStart[s + 1] as number;
      if (to - from === 1) {
        const i = this.members[from] as number;
        if (admitted[i] && (headroomA[i] as number) > left) this.stationLevel[s] = Math.max(0, left) / (weights[i] as number);
        continue;
      }
      scratch.length = 0;
      let weight = 0;
      let total = 0;
      for (let m = from; m < to; m++) {
        const i = this.members[m] as number;
        if (!admitted[i]) continue;
        scratch.push(i);
        weight += weights[i] as number;
        total += headroomA[i] as number;
      }
      if (total <= left) continue;
      if (scratch.length === 2) {
        // The common twin-socket station, without a sort.
        const a = scratch[0] as number;
        const b = scratch[1] as number;
        if ((headroomA[a] as number) / (weights[a] as number) > (headroomA[b] as number) / (weights[b] as number)) scratch.reverse();
      } else scratch.sort((a, b) => (headroomA[a] as number) / (weights[a] as number) - (headroomA[b] as number) / (weights[b] as number));
      for (const i of scratch) {
        const level = Math.max(0, left) / weight;
        if (level <= (headroomA[i] as number) / (weights[i] as number)) {
          this.stationLevel[s] = level;
          break;
        }
        left -= headroomA[i] as number;
        weight -= weights[i] as number;
      }
    }
  }
}
