// Weighted max-min fair share ("water-filling") of the capacity left above the minimums, under three limits:
// each session's own headroom, its station's supply, and every phase. Progressive filling in one sorted sweep.

export interface FillInput {
  readonly count: number;
  readonly admitted: Uint8Array;
  readonly masks: Uint8Array;
  readonly stationOf: Int32Array;
  /** Room above the minimum for session i (its ceiling minus what it already has). */
  headroomA(i: number): number;
  weight(i: number): number;
  /** Amps left per phase and per station once every minimum is placed. */
  readonly phaseLeftA: Float64Array;
  readonly stationLeftA: Float64Array;
}

/** What bound a session: 0 none, 1 its own maximum, 2 its station, 3 a phase. */
export type Bound = 0 | 1 | 2 | 3;

export class WaterFill {
  /** Extra amps above the minimum for each session, after `run`. */
  readonly extraA: Float64Array;
  readonly boundBy: Uint8Array;
  private readonly weights: Float64Array;
  private readonly breakpoints: Float64Array;
  private readonly active: Uint8Array;
  private order: Int32Array = new Int32Array(0);
  private readonly cachedBreakpoints: Float64Array;
  private readonly stationLevel: Float64Array;

  constructor(sessions: number, stations: number) {
    this.extraA = new Float64Array(sessions);
    this.boundBy = new Uint8Array(sessions);
    this.weights = new Float64Array(sessions);
    this.breakpoints = new Float64Array(sessions);
    this.cachedBreakpoints = new Float64Array(sessions).fill(Number.NaN);
    this.active = new Uint8Array(sessions);
    this.stationLevel = new Float64Array(stations);
  }

  run(input: FillInput): void {
    const n = input.count;
    this.extraA.fill(0);
    this.boundBy.fill(0);
    for (let i = 0; i < n; i++) this.weights[i] = input.admitted[i] ? Math.max(1e-6, input.weight(i)) : 0;
    this.stationLevels(input);

    // Breakpoint: the water level at which a session stops rising on its own (its maximum or its station's).
    for (let i = 0; i < n; i++) {
      if (!input.admitted[i]) {
        this.breakpoints[i] = -1;
        continue;
      }
      const own = Math.max(0, input.headroomA(i)) / (this.weights[i] as number);
      const station = this.stationLevel[input.stationOf[i] as number] as number;
      this.breakpoints[i] = Math.min(own, station);
      this.boundBy[i] = own <= station ? 1 : 2;
    }
    this.sortByBreakpoint(n);

    const slope = new Float64Array(3);
    const used = new Float64Array(3);
    const members = new Int32Array(3);
    for (let i = 0; i < n; i++) {
      this.active[i] = input.admitted[i] as number;
      if (!input.admitted[i]) continue;
      for (let p = 0; p < 3; p++) {
        if ((input.masks[i] as number) & (1 << p)) {
          slope[p] = (slope[p] as number) + (this.weights[i] as number);
          members[p] = (members[p] as number) + 1;
        }
      }
    }
    const settle = (i: number, value: number): void => {
      this.extraA[i] = Math.max(0, value);
      this.active[i] = 0;
      for (let p = 0; p < 3; p++) {
        if ((input.masks[i] as number) & (1 << p)) {
          used[p] = (used[p] as number) + Math.max(0, value);
          slope[p] = (slope[p] as number) - (this.weights[i] as number);
          members[p] = (members[p] as number) - 1;
          if (members[p] === 0) slope[p] = 0;
        }
      }
    };

    let k = 0;
    for (;;) {
      while (k < this.order.length && !this.active[this.order[k] as number]) k++;
      const next = k < this.order.length ? (this.breakpoints[this.order[k] as number] as number) : Infinity;
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
      if (next === Infinity && bindPhase < 0) break;
      if (next <= bindLevel) {
        const i = this.order[k++] as number;
        settle(i, (this.weights[i] as number) * next);
      } else {
        // A phase is full at this level: everyone on it stops here; the others keep rising.
        for (let i = 0; i < input.count; i++) {
          if (this.active[i] && (input.masks[i] as number) & (1 << bindPhase)) {
            this.boundBy[i] = 3;
            settle(i, (this.weights[i] as number) * bindLevel);
          }
        }
      }
    }
  }

  /** Per station, the level where its sessions together reach the station's remaining supply (∞ if never). */
  private stationLevels(input: FillInput): void {
    this.stationLevel.fill(Infinity);
    const byStation = new Map<number, number[]>();
    for (let i = 0; i < input.count; i++) {
      if (!input.admitted[i]) continue;
      const station = input.stationOf[i] as number;
      const list = byStation.get(station);
      if (list) list.push(i);
      else byStation.set(station, [i]);
    }
    for (const [station, list] of byStation) {
      let left = input.stationLeftA[station] as number;
      if (list.length === 1) {
        const i = list[0] as number;
        if (input.headroomA(i) > left) this.stationLevel[station] = Math.max(0, left) / (this.weights[i] as number);
        continue;
      }
      list.sort((a, b) => input.headroomA(a) / (this.weights[a] as number) - input.headroomA(b) / (this.weights[b] as number));
      let weight = list.reduce((sum, i) => sum + (this.weights[i] as number), 0);
      for (const i of list) {
        const level = Math.max(0, left) / weight;
        const own = input.headroomA(i) / (this.weights[i] as number);
        if (level <= own) {
          this.stationLevel[station] = level;
          break;
        }
        left -= input.headroomA(i);
        weight -= this.weights[i] as number;
      }
    }
  }

  /** Sorts admitted sessions by breakpoint; consecutive blocks with the same breakpoints reuse the order. */
  private sortByBreakpoint(n: number): void {
    let same = this.order.length > 0;
    for (let i = 0; same && i < n; i++) if (this.cachedBreakpoints[i] !== this.breakpoints[i]) same = false;
    if (same) return;
    this.cachedBreakpoints.set(this.breakpoints.subarray(0, n));
    const admitted: number[] = [];
    for (let i = 0; i < n; i++) if ((this.breakpoints[i] as number) >= 0) admitted.push(i);
    admitted.sort((a, b) => (this.breakpoints[a] as number) - (this.breakpoints[b] as number) || a - b);
    this.order = Int32Array.from(admitted);
  }
}
