// The seeded plan of a soak run: when the agent is killed (and for how long it stays down), when the CP sends
// forecasts (regular or emergency cuts), when it pauses heartbeats, and when a duplicate identity connects.
import { seededRandom } from '../ocpp-station/rng';

export interface SoakPlan {
  /** ms after the start of the events; each kill is followed by a restart `downMs` later. */
  kills: { atMs: number; downMs: number }[];
  forecasts: { atMs: number; capacityA: number; emergency: boolean }[];
  heartbeatPauses: { atMs: number; forMs: number }[];
  duplicates: number[];
}

export interface PlanInput {
  durationMs: number;
  kills: number;
  seed: number;
  /** Capacity range of regular forecasts and of emergency cuts, A per phase. */
  regularA: readonly [number, number];
  emergencyA: readonly [number, number];
}

export function planSoak(input: PlanInput): { plan: SoakPlan; random: () => number } {
  const random = seededRandom(input.seed);
  const between = (lo: number, hi: number): number => lo + random() * (hi - lo);
  const d = input.durationMs;
  // Kills: one per equal slot of the run between the first and the last 10 % (at least 30 s), at a random moment in
  // the slot's first 60 %, so re-profiling after one restart is normally over before the next kill.
  const edge = Math.max(30_000, d * 0.1);
  const slot = (d - 2 * edge) / Math.max(1, input.kills);
  const kills = Array.from({ length: input.kills }, (_, i) => ({
    atMs: Math.round(edge + i * slot + random() * slot * 0.6),
    downMs: Math.round(between(1000, 8000)),
  }));
  const forecasts: SoakPlan['forecasts'] = [];
  for (let t = between(10_000, 25_000); t < d - 20_000; t += between(15_000, 35_000)) {
    const emergency = random() < 0.3;
    const [lo, hi] = emergency ? input.emergencyA : input.regularA;
    forecasts.push({ atMs: Math.round(t), capacityA: Math.round(between(lo, hi)), emergency });
  }
  const heartbeatPauses: SoakPlan['heartbeatPauses'] = [];
  for (let t = between(40_000, 90_000); t < d - 60_000; t += between(120_000, 200_000))
    heartbeatPauses.push({ atMs: Math.round(t), forMs: Math.round(between(20_000, 40_000)) });
  const duplicates: number[] = [];
  for (let t = between(20_000, 60_000); t < d - 10_000; t += between(45_000, 90_000)) duplicates.push(Math.round(t));
  return { plan: { kills, forecasts, heartbeatPauses, duplicates }, random };
}
