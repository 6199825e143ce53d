// Recent capacity, allocation and measured current per group for charts: a fixed-size ring per group with one
// sample per interval (the latest value in each interval wins), fed by plans and session updates in O(1) each.
import type { CapacitySource } from '../domain/capacity';
import type { PhaseCurrentsA } from '../domain/electrical';
import type { ChargingSession } from '../domain/session';

export interface Sample {
  readonly atMs: number;
  /** Where the capacity came from at that time (forecast, fallback, safe default); unknown before the first plan. */
  readonly source?: CapacitySource;
  readonly capacityA: PhaseCurrentsA;
  readonly allocatedA: PhaseCurrentsA;
  readonly measuredA: PhaseCurrentsA;
}

/** Fixed capacity; `put` into the slot of the newest sample overwrites it, a later slot appends (dropping the oldest). */
export class SampleRing {
  private readonly items: (Sample | undefined)[];
  private head = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    private readonly intervalMs: number,
  ) {
    this.items = new Array<Sample | undefined>(capacity);
  }

  put(sample: Sample): void {
    const newest = this.items[(this.head + this.count - 1) % this.capacity];
    if (this.count > 0 && newest && Math.floor(newest.atMs / this.intervalMs) === Math.floor(sample.atMs / this.intervalMs)) {
      this.items[(this.head + this.count - 1) % this.capacity] = sample;
      return;
    }
    if (this.count < this.capacity) {
      this.items[(this.head + this.count) % this.capacity] = sample;
      this.count++;
    } else {
      this.items[this.head] = sample;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  /** Samples in [fromMs, toMs], oldest first. */
  list(fromMs = -Infinity, toMs = Infinity): Sample[] {
    const out: Sample[] = [];
    for (let i = 0; i < this.count; i++) {
      const sample = this.items[(this.head + i) % this.capacity];
      if (sample && sample.atMs >= fromMs && sample.atMs <= toMs) out.push(sample);
    }
    return out;
  }

  get size(): number {
    return this.count;
  }
}

interface GroupState {
  source?: CapacitySource;
  capacityA: PhaseCurrentsA;
  allocatedA: PhaseCurrentsA;
  measuredA: [number, number, number];
  readonly ring: SampleRing;
}

export interface GroupHistoryOptions {
  readonly intervalMs: number;
  readonly retentionMs: number;
}

const ZERO: PhaseCurrentsA = [0, 0, 0];
const round = (a: number): number => Math.round(a * 1000) / 1000;

export class GroupHistory {
  private readonly groups = new Map<string, GroupState>();
  /** Each active session's latest measured current, to keep the group sums by difference. */
  private readonly sessions = new Map<string, { groupId: string; measuredA: PhaseCurrentsA }>();

  constructor(groupIds: readonly string[], options: GroupHistoryOptions) {
    const capacity = Math.max(1, Math.ceil(options.retentionMs / options.intervalMs));
    for (const id of groupIds)
      this.groups.set(id, { capacityA: ZERO, allocatedA: ZERO, measuredA: [0, 0, 0], ring: new SampleRing(capacity, options.intervalMs) });
  }

  /** The plan in force changed what the group may draw now. */
  plan(groupId: string, capacityA: PhaseCurrentsA, allocatedA: PhaseCurrentsA, atMs: number, source?: CapacitySource): void {
    const state = this.groups.get(groupId);
    if (!state) return;
    if (source) state.source = source;
    state.capacityA = capacityA;
    state.allocatedA = allocatedA;
    this.record(state, atMs);
  }

  session(session: ChargingSession, atMs: number): void {
    const previous = this.sessions.get(session.transactionId);
    const measuredA: PhaseCurrentsA = session.endedAt === undefined ? (session.measuredCurrentA ?? ZERO) : ZERO;
    const previousGroupId = previous?.groupId;
    const previousA = previous?.measuredA ?? ZERO;
    if (session.endedAt !== undefined) this.sessions.delete(session.transactionId);
    else if (previous) {
      // In place: a record replaced per reading would outlive the young generation at fleet scale.
      previous.groupId = session.groupId;
      previous.measuredA = measuredA;
    } else this.sessions.set(session.transactionId, { groupId: session.groupId, measuredA });
    if (previousGroupId !== undefined && previousGroupId !== session.groupId) this.add(previousGroupId, previousA, -1, atMs);
    const before = previousGroupId === session.groupId ? previousA : ZERO;
    const state = this.groups.get(session.groupId);
    if (!state || (before[0] === measuredA[0] && before[1] === measuredA[1] && before[2] === measuredA[2])) return;
    this.add(session.groupId, before, -1, atMs, false);
    this.add(session.groupId, measuredA, 1, atMs);
  }

  /** A sample of every group now, so quiet periods still show in the series. */
  tick(atMs: number): void {
    for (const state of this.groups.values()) this.record(state, atMs);
  }

  measuredA(groupId: string): PhaseCurrentsA {
    const m = this.groups.get(groupId)?.measuredA ?? [0, 0, 0];
    return [Math.max(0, round(m[0])), Math.max(0, round(m[1])), Math.max(0, round(m[2]))];
  }

  samples(groupId: string, fromMs?: number, toMs?: number): Sample[] | undefined {
    return this.groups.get(groupId)?.ring.list(fromMs, toMs);
  }

  private add(groupId: string, currentsA: PhaseCurrentsA, sign: 1 | -1, atMs: number, record = true): void {
    const state = this.groups.get(groupId);
    if (!state) return;
    for (let p = 0; p < 3; p++) state.measuredA[p] = (state.measuredA[p] ?? 0) + sign * (currentsA[p] ?? 0);
    if (record) this.record(state, atMs);
  }

  private record(state: GroupState, atMs: number): void {
    const m = state.measuredA;
    state.ring.put({
      atMs,
      ...(state.source && { source: state.source }),
      capacityA: state.capacityA,
      allocatedA: state.allocatedA,
      measuredA: [Math.max(0, round(m[0])), Math.max(0, round(m[1])), Math.max(0, round(m[2]))],
    });
  }
}
