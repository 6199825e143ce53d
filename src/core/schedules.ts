// Turns a plan into what each station receives — one absolute schedule from now to its lease end — and
// splits a change into its safe steps: decreases first (the pointwise minimum of old and new), then increases.
import type { StationId } from '../domain/station';
import { scheduleLimitAt } from './lease-ledger';
import type { PlanBlock } from './ports';
import type { LeasedSchedule, SessionLimit } from './ports';

export interface StationSchedule {
  readonly stationId: StationId;
  readonly stationCap: LeasedSchedule;
  readonly sessions: readonly SessionLimit[];
}

export interface PlannedSession {
  readonly transactionId: string;
  readonly stationId: StationId;
  readonly evseId: number;
  readonly limitsA: readonly number[];
}

/** Periods from `nowMs` for the blocks of the plan, merged where a value repeats, at most `maxPeriods`. */
function periodsFor(blocks: readonly PlanBlock[], limitsA: readonly number[], nowMs: number, leaseEndMs: number) {
  const periods: { startMs: number; limitA: number }[] = [];
  blocks.forEach((block, i) => {
    if (block.endMs <= nowMs || block.startMs >= leaseEndMs) return;
    const limitA = limitsA[i] ?? 0;
    if (periods.length > 0 && (periods[periods.length - 1] as { limitA: number }).limitA === limitA) return;
    periods.push({ startMs: Math.max(block.startMs, nowMs), limitA });
  });
  return periods;
}

/** Cuts the lease where the periods would exceed what the station can hold; renewal rolls it forward. */
function fitPeriods(periods: { startMs: number; limitA: number }[], leaseEndMs: number, maxPeriods: number): LeasedSchedule {
  if (periods.length <= maxPeriods) return { periods, leaseEndMs };
  return { periods: periods.slice(0, maxPeriods), leaseEndMs: (periods[maxPeriods] as { startMs: number }).startMs };
}

/**
 * Per station: a leased cap (sum of its sessions' limits per block) and one schedule per session, all sharing
 * one lease end so they expire together into the standing limit. Stations with no session get a cap of 0.
 */
export function stationSchedules(
  blocks: readonly PlanBlock[],
  sessions: readonly PlannedSession[],
  stations: readonly { stationId: StationId; periodsPerSchedule: number }[],
  nowMs: number,
  leaseMs: number,
): StationSchedule[] {
  const byStation = new Map<StationId, PlannedSession[]>();
  for (const session of sessions) {
    const list = byStation.get(session.stationId);
    if (list) list.push(session);
    else byStation.set(session.stationId, [session]);
  }
  return stations.map(({ stationId, periodsPerSchedule }) => {
    const own = byStation.get(stationId) ?? [];
    const capA = blocks.map((_, i) => own.reduce((sum, s) => sum + (s.limitsA[i] ?? 0), 0));
    const capPeriods = periodsFor(blocks, capA, nowMs, nowMs + leaseMs);
    const maxPeriods = Math.max(1, periodsPerSchedule);
    // The session with the most periods decides how far the shared lease can reach.
    let leaseEndMs = fitPeriods(capPeriods, nowMs + leaseMs, maxPeriods).leaseEndMs;
    for (const s of own)
      leaseEndMs = Math.min(leaseEndMs, fitPeriods(periodsFor(blocks, s.limitsA, nowMs, leaseEndMs), leaseEndMs, maxPeriods).leaseEndMs);
    const cut = (periods: { startMs: number; limitA: number }[]): LeasedSchedule => ({
      periods: periods.filter((p) => p.startMs < leaseEndMs),
      leaseEndMs,
    });
    return {
      stationId,
      stationCap: cut(periodsFor(blocks, capA, nowMs, leaseEndMs)),
      sessions: own.map((s) => ({
        transactionId: s.transactionId,
        evseId: s.evseId,
        schedule: cut(periodsFor(blocks, s.limitsA, nowMs, leaseEndMs)),
      })),
    };
  });
}

/** The station's schedules with their shared lease ending no later than `leaseEndMs`. */
function endingBy(schedule: StationSchedule, leaseEndMs: number): StationSchedule {
  if (schedule.stationCap.leaseEndMs <= leaseEndMs) return schedule;
  const cut = (s: LeasedSchedule): LeasedSchedule => ({ periods: s.periods.filter((p) => p.startMs < leaseEndMs), leaseEndMs });
  return {
    ...schedule,
    stationCap: cut(schedule.stationCap),
    sessions: schedule.sessions.map((s) => ({ ...s, schedule: cut(s.schedule) })),
  };
}

/** A station's new schedules, what it has in force (read with `fallbackA`, its standing limit, outside), and whether that may stay. */
export interface StationChange {
  readonly target: StationSchedule;
  readonly inForce: LeasedSchedule | undefined;
  readonly fallbackA: number;
  readonly unchanged: boolean;
}

/**
 * The two steps of a change: every decrease first (a mixed change as the pointwise min of old and new), the
 * increases once those hold. Every lease of the group ends at one instant, the earliest a station keeps: a station
 * whose lease ran out falls back to its standing limit, which may be more than the plan gave it, while another
 * would still hold a live limit planned around it. A kept station whose lease outlasts that instant is sent again.
 */
export function transitionSteps(
  changes: readonly StationChange[],
  nowMs: number,
): { firstStep: StationSchedule[]; secondStep: StationSchedule[] } {
  let leaseEndMs = Infinity;
  for (const c of changes)
    leaseEndMs = Math.min(leaseEndMs, c.unchanged && c.inForce ? c.inForce.leaseEndMs : c.target.stationCap.leaseEndMs);
  const firstStep: StationSchedule[] = [];
  const secondStep: StationSchedule[] = [];
  for (const { target: planned, inForce, fallbackA, unchanged } of changes) {
    if (unchanged && inForce && inForce.leaseEndMs <= leaseEndMs) continue;
    const target = endingBy(planned, leaseEndMs);
    const inForceCap = inForce ?? { periods: [], leaseEndMs: nowMs };
    if (atOrBelow(target.stationCap, inForceCap, fallbackA, nowMs)) {
      firstStep.push(target);
    } else if (inForce && atOrBelow(inForceCap, target.stationCap, fallbackA, nowMs)) {
      secondStep.push(target);
    } else {
      firstStep.push({ ...target, stationCap: pointwiseMin(inForce, target.stationCap, fallbackA, nowMs) });
      secondStep.push(target);
    }
  }
  return { firstStep, secondStep };
}

/** Instants where either schedule may change value, within [fromMs, untilMs). */
function changePoints(a: LeasedSchedule, b: LeasedSchedule, fromMs: number): number[] {
  const points = new Set<number>([fromMs]);
  for (const s of [a, b]) {
    for (const p of s.periods) if (p.startMs > fromMs) points.add(p.startMs);
    if (s.leaseEndMs > fromMs) points.add(s.leaseEndMs);
  }
  return [...points].sort((x, y) => x - y);
}

/**
 * The pointwise minimum of the schedule in force and the new one, over the new one's lease; outside a
 * schedule its value is `fallbackA` (what the station falls back to). Sending this first is a pure decrease.
 */
export function pointwiseMin(inForce: LeasedSchedule | undefined, next: LeasedSchedule, fallbackA: number, fromMs: number): LeasedSchedule {
  const current = inForce ?? { periods: [], leaseEndMs: fromMs };
  const periods: { startMs: number; limitA: number }[] = [];
  for (const t of changePoints(current, next, fromMs)) {
    if (t >= next.leaseEndMs) break;
    const limitA = Math.min(scheduleLimitAt(current, t) ?? fallbackA, scheduleLimitAt(next, t) ?? fallbackA);
    if (periods.length > 0 && (periods[periods.length - 1] as { limitA: number }).limitA === limitA) continue;
    periods.push({ startMs: t, limitA });
  }
  return { periods, leaseEndMs: next.leaseEndMs };
}

/** True when `a` is at or below `b` at every instant from `fromMs` (both read with `fallbackA` outside). */
export function atOrBelow(a: LeasedSchedule, b: LeasedSchedule, fallbackA: number, fromMs: number): boolean {
  return changePoints(a, b, fromMs).every((t) => (scheduleLimitAt(a, t) ?? fallbackA) <= (scheduleLimitAt(b, t) ?? fallbackA) + 1e-9);
}
