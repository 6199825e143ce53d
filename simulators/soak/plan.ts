// The seeded plan of a soak run: when the agent is killed (and for how long it stays down), when the CP sends
// forecasts (regular or emergency cuts), when it pauses heartbeats, when a duplicate identity connects, and — through
// the Local Controller — when the CSMS goes down and when it sends its own limits. Every interval is divided by `speed`.
import { seededRandom } from '../ocpp-station/rng';

export interface SoakPlan {
  /** ms after the start of the events; each kill is followed by a restart `downMs` later. */
  kills: { atMs: number; downMs: number }[];
  forecasts: { atMs: number; capacityA: number; emergency: boolean }[];
  heartbeatPauses: { atMs: number; forMs: number }[];
  duplicates: number[];
  /** Upstream mode only (empty otherwise): the CSMS simulator's listener stopped and its sockets closed for `forMs`. */
  csmsOutages: { atMs: number; forMs: number }[];
  /** Upstream mode only: the CSMS sends a station cap (`limitA`) to a random station, or clears it (`limitA` undefined). */
  csmsLimits: { atMs: number; limitA: number | undefined }[];
}

export interface PlanInput {
  durationMs: number;
  kills: number;
  seed: number;
  /** Capacity range of regular forecasts and of emergency cuts, A per phase. */
  regularA: readonly [number, number];
  emergencyA: readonly [number, number];
  /** Time acceleration: every interval and outage of the plan is divided by it (1 = real time). */
  speed?: number;
  /** Plan CSMS outages and CSMS limits (Local Controller mode). */
  upstream?: boolean;
}

export function planSoak(input: PlanInput): { plan: SoakPlan; random: () => number } {
  const random = seededRandom(input.seed);
  const speed = input.speed ?? 1;
  /** A random interval of the real-time plan, accelerated. */
  const between = (lo: number, hi: number): number => (lo + random() * (hi - lo)) / speed;
  const d = input.durationMs;
  // Kills: one per equal slot of the run between the first and the last 10 % (at least 30 s), at a random moment in
  // the slot's first 60 %, so re-profiling after one restart is normally over before the next kill. The edge is not
  // accelerated: the agent's restart and re-profiling run on its own, real clock.
  const edge = Math.max(30_000, d * 0.1);
  const slot = (d - 2 * edge) / Math.max(1, input.kills);
  const kills = Array.from({ length: input.kills }, (_, i) => ({
    atMs: Math.round(edge + i * slot + random() * slot * 0.6),
    downMs: Math.round(between(1000, 8000)),
  }));
  const forecasts: SoakPlan['forecasts'] = [];
  for (let t = between(10_000, 25_000); t < d - 20_000 / speed; t += between(15_000, 35_000)) {
    const emergency = random() < 0.3;
    const [lo, hi] = emergency ? input.emergencyA : input.regularA;
    forecasts.push({ atMs: Math.round(t), capacityA: Math.round(lo + random() * (hi - lo)), emergency });
  }
  const heartbeatPauses: SoakPlan['heartbeatPauses'] = [];
  for (let t = between(40_000, 90_000); t < d - 60_000 / speed; t += between(120_000, 200_000))
    heartbeatPauses.push({ atMs: Math.round(t), forMs: Math.round(between(20_000, 40_000)) });
  const duplicates: number[] = [];
  for (let t = between(20_000, 60_000); t < d - 10_000 / speed; t += between(45_000, 90_000)) duplicates.push(Math.round(t));
  const csmsOutages: SoakPlan['csmsOutages'] = [];
  const csmsLimits: SoakPlan['csmsLimits'] = [];
  if (input.upstream === true) {
    // Drawn after the direct-mode events, so a seed gives direct mode the same plan with or without --upstream.
    for (let t = between(30_000, 70_000); t < d - 60_000 / speed; t += between(150_000, 240_000))
      csmsOutages.push({ atMs: Math.round(t), forMs: Math.round(between(15_000, 45_000)) });
    for (let t = between(5_000, 15_000); t < d - 20_000 / speed; t += between(4_000, 12_000))
      csmsLimits.push({ atMs: Math.round(t), limitA: random() < 0.2 ? undefined : 6 + Math.floor(random() * 11) });
  }
  return { plan: { kills, forecasts, heartbeatPauses, duplicates, csmsOutages, csmsLimits }, random };
}
