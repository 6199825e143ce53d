// What each station may draw at any instant, as far as flexbridge can prove it (DESIGN invariants 1–2).
// Counts what it cannot see: unacknowledged changes at the higher of old and new, expired leases at the
// standing share, and a station that never acknowledged a standing limit at its hardware maximum.
import { z } from 'zod';
import type { StationId } from '../domain/station';
import { LeasedSchedule } from './ports';

/** What must survive a restart for one station; the schema reads it back from the store. */
export const LedgerSnapshot = z
  .object({ stationId: z.string(), standingA: z.number().optional(), live: LeasedSchedule.optional() })
  .readonly();
export type LedgerSnapshot = z.infer<typeof LedgerSnapshot>;

interface StationLedger {
  hardwareMaxA: number;
  standingA?: number;
  pendingStandingA?: number;
  live?: LeasedSchedule;
  pendingLive?: { token: number; schedule: LeasedSchedule };
  /**
   * A standing limit that timed out: the station may have installed it or not, so it counts (at the higher) until a
   * later standing limit is acknowledged — which proves what the station holds.
   */
  uncertainStandingA?: number;
  /** A live schedule that timed out: may be in force until its lease ends, or until a later one is acknowledged. */
  uncertainLive?: LeasedSchedule;
  /** Read back from the store by this run and not heard from since: its live lease was granted by a previous run. */
  restored?: boolean;
}

/** Limit of a schedule at `t`, or undefined outside it (before its first period or from its lease end on). */
export function scheduleLimitAt(schedule: LeasedSchedule, t: number): number | undefined {
  if (t >= schedule.leaseEndMs) return undefined;
  // Periods ascend: the last one started at or before `t`, by bisection (read per meter value, up to 96 periods).
  const periods = schedule.periods;
  let low = 0;
  let high = periods.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((periods[middle] as { startMs: number }).startMs <= t) low = middle + 1;
    else high = middle;
  }
  return low === 0 ? undefined : (periods[low - 1] as { limitA: number }).limitA;
}

/** The earlier of `next` and the schedule's first change after `t` (a period start or its lease end); periods ascend. */
function changeAfter(schedule: LeasedSchedule | undefined, t: number, next: number): number {
  if (!schedule) return next;
  let earliest = schedule.leaseEndMs > t ? Math.min(next, schedule.leaseEndMs) : next;
  for (const period of schedule.periods) {
    if (period.startMs > t) {
      earliest = Math.min(earliest, period.startMs);
      break;
    }
  }
  return earliest;
}

/** The higher of two schedules at every instant (outside a schedule: `fallbackA`), over both leases. */
export function pointwiseMax(a: LeasedSchedule | undefined, b: LeasedSchedule, fallbackA: number): LeasedSchedule {
  if (!a) return b;
  const leaseEndMs = Math.max(a.leaseEndMs, b.leaseEndMs);
  const points = [...new Set([...a.periods, ...b.periods].map((p) => p.startMs).concat([a.leaseEndMs, b.leaseEndMs]))].sort(
    (x, y) => x - y,
  );
  const periods: { startMs: number; limitA: number }[] = [];
  for (const t of points) {
    if (t >= leaseEndMs) break;
    const limitA = Math.max(scheduleLimitAt(a, t) ?? fallbackA, scheduleLimitAt(b, t) ?? fallbackA);
    if (periods.length === 0 || (periods[periods.length - 1] as { limitA: number }).limitA !== limitA) periods.push({ startMs: t, limitA });
  }
  return { periods, leaseEndMs };
}

export class LeaseLedger {
  private readonly stations = new Map<StationId, StationLedger>();
  /** Stations whose snapshot may differ from the one last saved: what the next write-ahead must write (#15). */
  private readonly unsaved = new Set<StationId>();
  private nextToken = 1;

  /** The stations changed since the last call, and forgets them: the caller saves (or deletes) exactly these. */
  takeUnsaved(): StationId[] {
    const ids = [...this.unsaved];
    this.unsaved.clear();
    return ids;
  }

  /** Registers a station with the current it can draw when nothing limits it. */
  track(stationId: StationId, hardwareMaxA: number): void {
    const existing = this.stations.get(stationId);
    if (existing) existing.hardwareMaxA = hardwareMaxA;
    else this.stations.set(stationId, { hardwareMaxA });
  }

  /** After a reboot the station may have lost what it had: count it at its hardware maximum until told otherwise. */
  reset(stationId: StationId): void {
    this.unsaved.add(stationId);
    const entry = this.stations.get(stationId);
    if (entry) this.stations.set(stationId, { hardwareMaxA: entry.hardwareMaxA });
  }

  forget(stationId: StationId): void {
    this.unsaved.add(stationId);
    this.stations.delete(stationId);
  }

  standingSent(stationId: StationId, limitA: number): void {
    this.unsaved.add(stationId);
    this.entry(stationId).pendingStandingA = limitA;
  }

  standingAcknowledged(stationId: StationId, limitA: number): void {
    this.unsaved.add(stationId);
    const entry = this.entry(stationId);
    entry.standingA = limitA;
    entry.uncertainStandingA = undefined;
    if (entry.pendingStandingA === limitA) entry.pendingStandingA = undefined;
  }

  /**
   * A standing change that was not acknowledged: refused or never sent, the old one stays in force (or the maximum, if
   * none); timed out, it may be in force too, and counts until a later standing limit is acknowledged.
   */
  standingFailed(stationId: StationId, outcome?: string): void {
    this.unsaved.add(stationId);
    const entry = this.entry(stationId);
    if (outcome === 'Timeout' && entry.pendingStandingA !== undefined)
      entry.uncertainStandingA = Math.max(entry.uncertainStandingA ?? 0, entry.pendingStandingA);
    entry.pendingStandingA = undefined;
  }

  /** Records a live schedule on its way; returns a token to acknowledge or fail exactly this send. */
  liveSent(stationId: StationId, schedule: LeasedSchedule): number {
    this.unsaved.add(stationId);
    const token = this.nextToken++;
    this.entry(stationId).pendingLive = { token, schedule };
    return token;
  }

  liveAcknowledged(stationId: StationId, token: number): void {
    this.unsaved.add(stationId);
    const entry = this.entry(stationId);
    if (entry.pendingLive?.token !== token) return;
    entry.live = entry.pendingLive.schedule;
    entry.pendingLive = undefined;
    entry.uncertainLive = undefined;
    entry.restored = false;
  }

  /**
   * A live change that was not acknowledged. One that timed out may be in force: it counts (at the higher) until its
   * lease ends or a later one is acknowledged, and the controller's next transition starts from it (`liveMayBeInForce`).
   */
  liveFailed(stationId: StationId, token: number, outcome?: string): void {
    this.unsaved.add(stationId);
    const entry = this.entry(stationId);
    if (entry.pendingLive?.token !== token) return;
    if (outcome === 'Timeout') entry.uncertainLive = pointwiseMax(entry.uncertainLive, entry.pendingLive.schedule, this.fallbackA(entry));
    entry.pendingLive = undefined;
  }

  /** The most that may be in force as a live lease: the acknowledged one, and one that timed out on its way. */
  liveMayBeInForce(stationId: StationId): LeasedSchedule | undefined {
    const entry = this.stations.get(stationId);
    if (!entry) return undefined;
    return entry.uncertainLive ? pointwiseMax(entry.live, entry.uncertainLive, this.fallbackA(entry)) : entry.live;
  }

  /** Is a timed-out live schedule still counted (so the station must be sent one again, to know)? */
  liveUncertain(stationId: StationId): boolean {
    return this.stations.get(stationId)?.uncertainLive !== undefined;
  }

  /** What must survive a restart for one station: the acknowledged standing limit and live lease. */
  snapshot(stationId: StationId): LedgerSnapshot | undefined {
    const entry = this.stations.get(stationId);
    if (!entry) return undefined;
    // A pending change may have reached the station or not: keep the higher of both so a restart never undercounts.
    const fallbackA = this.fallbackA(entry);
    let live = entry.pendingLive ? pointwiseMax(entry.live, entry.pendingLive.schedule, fallbackA) : entry.live;
    if (entry.uncertainLive) live = pointwiseMax(live, entry.uncertainLive, fallbackA);
    const unsure = Math.max(entry.pendingStandingA ?? -Infinity, entry.uncertainStandingA ?? -Infinity);
    const standingA = unsure === -Infinity ? entry.standingA : Math.max(entry.standingA ?? entry.hardwareMaxA, unsure);
    return { stationId, standingA, live };
  }

  /** Restores what a previous run knew, so leases still running on the stations are counted until they end. */
  restore(snapshot: LedgerSnapshot): void {
    const entry = this.entry(snapshot.stationId);
    entry.standingA = snapshot.standingA;
    entry.live = snapshot.live;
    entry.restored = true;
  }

  /** The station is connected to this run: what it holds from now on is this run's doing. */
  reconnected(stationId: StationId): void {
    const entry = this.stations.get(stationId);
    if (entry) entry.restored = false;
  }

  /**
   * Is the station still counted at a live lease a previous run granted, at `t`, without having been back since? Such
   * a lease was planned for a capacity that may have changed while the agent was down; once the station is back it is
   * re-profiled, so an overload it causes is not yet an inability to comply (core/grid-reports.ts).
   */
  restoredLeaseRunning(stationId: StationId, t: number): boolean {
    const entry = this.stations.get(stationId);
    return entry?.restored === true && entry.live !== undefined && t < entry.live.leaseEndMs;
  }

  /**
   * The most the station's standing limit may be right now: the higher of the acknowledged one and one in flight;
   * undefined while flexbridge has installed none (a joining station, or one that rebooted).
   */
  standingCommittedA(stationId: StationId): number | undefined {
    const entry = this.stations.get(stationId);
    if (!entry || (entry.standingA === undefined && entry.pendingStandingA === undefined && entry.uncertainStandingA === undefined))
      return undefined;
    return Math.max(entry.standingA ?? 0, entry.pendingStandingA ?? 0, entry.uncertainStandingA ?? 0);
  }

  /** The station's standing limit as acknowledged, if any. */
  standingA(stationId: StationId): number | undefined {
    return this.stations.get(stationId)?.standingA;
  }

  liveSchedule(stationId: StationId): LeasedSchedule | undefined {
    return this.stations.get(stationId)?.live;
  }

  /** The most the station may be drawing at `t`, per phase, on what it has acknowledged and what is in flight. */
  assumedLimitA(stationId: StationId, t: number): number {
    const entry = this.stations.get(stationId);
    if (!entry) return Infinity;
    const fallbackA = this.fallbackA(entry);
    const acknowledged = entry.live ? (scheduleLimitAt(entry.live, t) ?? fallbackA) : fallbackA;
    // A schedule in flight, or one that timed out, may or may not be in force: count the higher.
    const inFlight = entry.pendingLive ? (scheduleLimitAt(entry.pendingLive.schedule, t) ?? fallbackA) : 0;
    const uncertain = entry.uncertainLive ? (scheduleLimitAt(entry.uncertainLive, t) ?? fallbackA) : 0;
    return Math.max(acknowledged, inFlight, uncertain);
  }

  /**
   * Has the station acknowledged a limit in force at `t` — a live lease covering `t`, or a standing limit? If not,
   * nothing bounds it but its hardware (or a change still in flight) and `assumedLimitA` says so.
   */
  acknowledgedAt(stationId: StationId, t: number): boolean {
    const entry = this.stations.get(stationId);
    if (!entry) return false;
    return entry.standingA !== undefined || (entry.live !== undefined && scheduleLimitAt(entry.live, t) !== undefined);
  }

  /** When `assumedLimitA` may next change after `t` (a period start or a lease end), for the scheduler. */
  nextChangeMs(stationId: StationId, t: number): number | undefined {
    const entry = this.stations.get(stationId);
    if (!entry) return undefined;
    // Three calls, not a loop over an array of three: this runs per station per block while a group is planned.
    const next = changeAfter(entry.uncertainLive, t, changeAfter(entry.pendingLive?.schedule, t, changeAfter(entry.live, t, Infinity)));
    return next === Infinity ? undefined : next;
  }

  /** Outside a live lease: the standing limit (the higher one while a change is pending), else the hardware maximum. */
  private fallbackA(entry: StationLedger): number {
    const standing = entry.standingA ?? entry.hardwareMaxA;
    return Math.max(standing, entry.pendingStandingA ?? -Infinity, entry.uncertainStandingA ?? -Infinity);
  }

  private entry(stationId: StationId): StationLedger {
    const entry = this.stations.get(stationId);
    if (!entry) throw new Error(`station ${stationId} is not tracked by the lease ledger`);
    return entry;
  }
}
