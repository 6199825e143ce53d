// Allocator benchmark: median time of one plan for 1,000, 10,000 and 19,000 sessions × 96 fifteen-minute blocks,
// over a daily capacity curve and under scarce capacity (rotation), on deterministic synthetic groups.
// Targets (issue #15): 10,000 × 96 ≤ 50 ms and 19,000 × 96 ≤ 100 ms, both shapes.
import Table from 'cli-table3';
import { allocate, type AllocationInput } from '../../src/allocator';

const RUNS = 9;
const BLOCKS = 96;

/** Small deterministic PRNG (mulberry32) so every run plans the same group. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function group(sessions: number, peakPerSessionA: number): AllocationInput {
  const random = prng(sessions);
  const now = 1_767_225_600_000;
  const blocks = Array.from({ length: BLOCKS }, (_, b) => {
    const a = sessions * peakPerSessionA * (0.6 + 0.4 * Math.sin((b / BLOCKS) * Math.PI * 2)) + 100;
    return { startMs: now + b * 900_000, endMs: now + (b + 1) * 900_000, capacityA: [a, a * 0.95, a * 1.05] as const };
  });
  const stationMaxA = new Map<string, number>();
  const list = Array.from({ length: sessions }, (_, i) => {
    const stationId = `CS-${Math.floor(i / 2)}`;
    stationMaxA.set(stationId, 48);
    const onePhase = random() < 0.2;
    return {
      id: `tx-${i}`,
      stationId,
      phasesUsed: onePhase ? (1 as const) : (3 as const),
      minA: 6,
      maxA: [16, 32, 32, 24][i % 4] as number,
      priority: random() < 0.1 ? 3 : 0,
      energyWantedWh: random() < 0.3 ? 20_000 + random() * 40_000 : undefined,
      departureMs: now + (1 + random() * 10) * 3_600_000,
      measuredA: random() < 0.2 ? random() * 10 : undefined,
      belowLimitSinceMs: now - 600_000,
    };
  });
  return { nowMs: now, blocks, safetyMarginA: 2, groupPhases: 3, phaseVoltageV: 230, sessions: list, stationMaxA, fixedLoads: [] };
}

function measure(input: AllocationInput): { median: number; p90: number } {
  allocate(input); // warm-up (JIT)
  const times = Array.from({ length: RUNS }, () => {
    const start = process.hrtime.bigint();
    allocate(input);
    return Number(process.hrtime.bigint() - start) / 1e6;
  }).sort((a, b) => a - b);
  return { median: times[Math.floor(RUNS / 2)] as number, p90: times[Math.floor(RUNS * 0.9)] as number };
}

const table = new Table({ head: ['sessions × blocks', 'capacity', `median ms (${RUNS} runs)`, 'p90 ms'], style: { head: [], border: [] } });
for (const sessions of [1_000, 10_000, 19_000]) {
  for (const [label, perSession] of [
    ['daily curve: 4–20 A per session', 20],
    ['scarce all day: 0.8–4 A per session (rotation)', 4],
  ] as const) {
    process.stderr.write(`allocating ${sessions} × ${BLOCKS}, ${label}…\n`);
    const { median, p90 } = measure(group(sessions, perSession));
    table.push([`${sessions.toLocaleString('en')} × ${BLOCKS}`, label, median.toFixed(1), p90.toFixed(1)]);
  }
}
console.log(table.toString());
