// The capacity the soak itself granted over time (what the CP sent and the FP acknowledged, and the fallback
// while the CP was silent), and the independent check of the stations' own draw logs against it.
import type { LimitLogEntry } from '../ocpp-station';

interface Step {
  readonly fromMs: number;
  readonly capacityA: number;
}

/** Piecewise-constant capacity per phase, A. */
export class CapacityTimeline {
  private readonly steps: Step[] = [];

  constructor(initialA: number, fromMs: number) {
    this.steps.push({ fromMs, capacityA: initialA });
  }

  /** Kept in time order: a step recorded late (an answer that took a while) goes where it belongs. */
  set(fromMs: number, capacityA: number): void {
    const later = this.steps.findIndex((step) => step.fromMs > fromMs);
    if (later < 0) this.steps.push({ fromMs, capacityA });
    else this.steps.splice(later, 0, { fromMs, capacityA });
  }

  at(atMs: number): number {
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const step = this.steps[i];
      if (step && step.fromMs <= atMs) return step.capacityA;
    }
    return this.steps[0]?.capacityA ?? 0;
  }

  /** The most the grid allowed at `atMs` when a decrease may take `settleMs` to reach the stations: the largest capacity in force during [atMs − settleMs, atMs]. */
  allowedAt(atMs: number, settleMs: number): number {
    let allowed = this.at(atMs - settleMs);
    for (const step of this.steps) if (step.fromMs > atMs - settleMs && step.fromMs <= atMs) allowed = Math.max(allowed, step.capacityA);
    return allowed;
  }

  /** The instants a decrease stops being covered by the settle allowance: where a draw left unchanged must be under it. */
  settledDecreases(settleMs: number): number[] {
    const times: number[] = [];
    for (let i = 1; i < this.steps.length; i++) {
      const step = this.steps[i];
      if (step && step.capacityA < (this.steps[i - 1]?.capacityA ?? Infinity)) times.push(step.fromMs + settleMs);
    }
    return times;
  }

  /** The steps, oldest first (kept with a failed run's files). */
  toJSON(): readonly Step[] {
    return this.steps;
  }

  /** The first change after `atMs`, if any. */
  nextChangeAfter(atMs: number): number | undefined {
    return this.steps.find((step) => step.fromMs > atMs)?.fromMs;
  }

  decreases(): number {
    let count = 0;
    for (let i = 1; i < this.steps.length; i++) if ((this.steps[i]?.capacityA ?? 0) < (this.steps[i - 1]?.capacityA ?? 0)) count++;
    return count;
  }
}

export interface OverLimitInstant {
  atMs: number;
  phase: number;
  drawnA: number;
  allowedA: number;
}

/**
 * Sums the current drawn per phase over every EVSE log at every instant one of them changed, and at `extraInstants`
 * (the end of each decrease's settle allowance, where a draw that never changed must already be under it), and
 * compares it with `allowedA(t)` (capacity − margin, with the settle allowance). Same method as the e2e tests' `excesses`.
 */
export function overLimitInstants(
  logs: readonly (readonly LimitLogEntry[])[],
  allowedA: (atMs: number) => number,
  fromMs = 0,
  extraInstants: readonly number[] = [],
): OverLimitInstant[] {
  const instants = [...new Set([...logs.flatMap((log) => log.map((entry) => entry.atMs)), ...extraInstants])]
    .filter((t) => t >= fromMs)
    .sort((a, b) => a - b);
  const found: OverLimitInstant[] = [];
  const cursor = logs.map(() => -1);
  for (const atMs of instants) {
    const sum = [0, 0, 0];
    logs.forEach((log, i) => {
      let index = cursor[i] ?? -1;
      while (index + 1 < log.length && (log[index + 1]?.atMs ?? Infinity) <= atMs) index++;
      cursor[i] = index;
      const entry = log[index];
      if (entry) entry.drawnA.forEach((a, phase) => (sum[phase] = (sum[phase] ?? 0) + a));
    });
    const allowed = allowedA(atMs);
    sum.forEach((drawnA, phase) => {
      if (drawnA > allowed + 1e-6) found.push({ atMs, phase, drawnA, allowedA: allowed });
    });
  }
  return found;
}

/**
 * Each decrease of `timeline`: how long after it the summed draw first stayed under it (capacity − margin), ms —
 * undefined when it never did before the next change. A measured figure beside the checker's fixed allowance.
 */
export function timesToComply(
  logs: readonly (readonly LimitLogEntry[])[],
  timeline: CapacityTimeline,
  marginA: number,
  untilMs: number,
): (number | undefined)[] {
  const found: (number | undefined)[] = [];
  const decreases = timeline.settledDecreases(0);
  for (const fromMs of decreases) {
    const allowedA = timeline.at(fromMs) - marginA;
    const next = timeline.nextChangeAfter(fromMs) ?? untilMs;
    const over = overLimitInstants(logs, () => allowedA, fromMs, [fromMs]).filter((o) => o.atMs < next);
    if (over.length === 0) found.push(0);
    else {
      const last = over.at(-1)?.atMs ?? fromMs;
      // The first instant after the last one over, where some log changed and the sum was under.
      const after = logs
        .flatMap((log) => log.map((entry) => entry.atMs))
        .filter((t) => t > last && t < next)
        .reduce((a, b) => Math.min(a, b), Infinity);
      found.push(Number.isFinite(after) ? after - fromMs : undefined);
    }
  }
  return found;
}
