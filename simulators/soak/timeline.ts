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

  set(fromMs: number, capacityA: number): void {
    this.steps.push({ fromMs, capacityA });
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
 * Sums the current drawn per phase over every EVSE log at every instant one of them changed and compares it with
 * `allowedA(t)` (capacity − margin, with the settle allowance). Same method as the e2e tests' `excesses`.
 */
export function overLimitInstants(
  logs: readonly (readonly LimitLogEntry[])[],
  allowedA: (atMs: number) => number,
  fromMs = 0,
): OverLimitInstant[] {
  const instants = [...new Set(logs.flatMap((log) => log.map((entry) => entry.atMs)))].filter((t) => t >= fromMs).sort((a, b) => a - b);
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
