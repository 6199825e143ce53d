// Issue #15: the O(n)-per-block allocator (incremental admission order, lazily sorted water-fill, repeated blocks
// copied) gives bit for bit the plans of the allocator it replaced, kept in ./reference — limits, reasons, headroom
// and overloaded blocks — over random groups wider than the property tests': fractional amps, crowded stations,
// flat and changing capacity, lending inside and beyond its horizon, a plan in force, credit from earlier pauses.
import fc from 'fast-check';
import { allocate, type AllocationInput, type Plan } from '../../../src/allocator';
import { referenceAllocate } from './reference/allocate';

const NOW = 1_700_000_000_000;
const BLOCK_MS = 900_000;

const amps = (max: number) => fc.oneof(fc.integer({ min: 0, max }), fc.double({ min: 0, max, noNaN: true }));

const inputArb: fc.Arbitrary<AllocationInput> = fc
  .record({
    groupPhases: fc.constantFrom<1 | 3>(1, 3),
    margin: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 5, noNaN: true })),
    // Runs of equal capacity (a flat forecast, the fallback) as well as a new value every block.
    capacity: fc.array(fc.tuple(fc.tuple(amps(600), amps(600), amps(600)), fc.integer({ min: 1, max: 6 })), {
      minLength: 1,
      maxLength: 8,
    }),
    stationCount: fc.integer({ min: 1, max: 80 }),
    crowded: fc.boolean(),
    sessions: fc.array(
      fc.record({
        station: fc.nat(),
        phasesUsed: fc.constantFrom<1 | 3>(1, 3),
        minA: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.double({ min: 4, max: 10, noNaN: true })),
        maxA: fc.oneof(fc.integer({ min: 4, max: 40 }), fc.double({ min: 4, max: 40, noNaN: true })),
        priority: fc.integer({ min: -9, max: 9 }),
        energyWh: fc.option(fc.integer({ min: 0, max: 80_000 }), { nil: undefined }),
        departureMin: fc.option(fc.integer({ min: -60, max: 600 }), { nil: undefined }),
        measuredA: fc.option(amps(32), { nil: undefined }),
        belowForMin: fc.integer({ min: 0, max: 20 }),
        pausedMin: fc.option(fc.integer({ min: 0, max: 240 }), { nil: undefined }),
        pinned: fc.option(amps(16), { freq: 8, nil: undefined }),
        sameIdAs: fc.option(fc.nat(), { freq: 20, nil: undefined }),
      }),
      // 'medium': dozens of sessions, so the admission boundary falls inside a tier (fast-check's default is ≤ 10).
      { maxLength: 150, size: 'medium' },
    ),
    stationMax: fc.oneof(fc.integer({ min: 6, max: 80 }), fc.double({ min: 6, max: 80, noNaN: true })),
    unlimitedStations: fc.boolean(),
    fixed: fc.array(fc.array(amps(40), { minLength: 1, maxLength: 4 }), { maxLength: 3 }),
    lendHorizonBlocks: fc.integer({ min: 0, max: 8 }),
    previous: fc.option(fc.record({ offsetBlocks: fc.integer({ min: -2, max: 3 }), nudgeA: fc.double({ min: -3, max: 3, noNaN: true }) }), {
      nil: undefined,
    }),
  })
  .map((r): AllocationInput => {
    const capacities = r.capacity.flatMap(([c, times]) => Array.from({ length: times }, () => c));
    const blocks = capacities.map(([a, b, c], i) => ({
      startMs: NOW + i * BLOCK_MS,
      endMs: NOW + (i + 1) * BLOCK_MS,
      capacityA: [a, b, c] as const,
    }));
    // Crowded: a few stations with many EVSEs each (more than a short insertion sort handles).
    const stations = r.crowded ? Math.min(r.stationCount, 3) : r.stationCount;
    const sessions = r.sessions.map((s, i) => ({
      id: s.sameIdAs === undefined ? `tx-${i}` : `tx-${s.sameIdAs % (i + 1)}`,
      stationId: `CS-${s.station % stations}`,
      phasesUsed: s.phasesUsed,
      minA: s.minA,
      maxA: s.maxA,
      priority: s.priority,
      energyWantedWh: s.energyWh,
      departureMs: s.departureMin === undefined ? undefined : NOW + s.departureMin * 60_000,
      measuredA: s.measuredA,
      belowLimitSinceMs: s.measuredA === undefined ? undefined : NOW - s.belowForMin * 60_000,
      pausedSinceMs: s.pausedMin === undefined ? undefined : NOW - s.pausedMin * 60_000,
      fixedA: s.pinned,
    }));
    const stationMaxA = new Map(
      Array.from({ length: r.unlimitedStations ? 0 : stations }, (_, i) => [`CS-${i}`, r.stationMax + (i % 3) * 16] as const),
    );
    const input: AllocationInput = {
      nowMs: NOW,
      blocks,
      safetyMarginA: r.margin,
      groupPhases: r.groupPhases,
      phaseVoltageV: 230,
      sessions,
      stationMaxA,
      fixedLoads: r.fixed.map((pattern, i) => ({ id: `fixed-${i}`, limitsA: blocks.map((_, b) => pattern[b % pattern.length] ?? 0) })),
      options: { lendHorizonMs: r.lendHorizonBlocks * BLOCK_MS },
    };
    if (r.previous === undefined) return input;
    // The plan in force: the reference's own plan, shifted by a few blocks and nudged, so hysteresis has work.
    const first = referenceAllocate(input);
    const { offsetBlocks, nudgeA } = r.previous;
    return {
      ...input,
      previous: {
        blockStartsMs: blocks.map((block) => block.startMs + offsetBlocks * BLOCK_MS),
        endMs: NOW + (blocks.length + offsetBlocks) * BLOCK_MS,
        limitsA: new Map(
          sessions.map((s, i) => [s.id, blocks.map((_, b) => Math.max(0, (first.limitsA[b * sessions.length + i] ?? 0) + nudgeA))]),
        ),
      },
    };
  });

/** The first cell where two plans differ (Object.is: even a −0 for a 0 counts), or undefined. */
function firstDifference(actual: Plan, expected: Plan): string | undefined {
  const arrays = [
    ['limitsA', actual.limitsA, expected.limitsA],
    ['reasons', actual.reasons, expected.reasons],
    ['headroomA', actual.headroomA, expected.headroomA],
  ] as const;
  for (const [name, a, e] of arrays) {
    if (a.length !== e.length) return `${name}: length ${a.length} ≠ ${e.length}`;
    for (let k = 0; k < a.length; k++) if (!Object.is(a[k], e[k])) return `${name}[${k}]: ${a[k]} ≠ ${e[k]}`;
  }
  if (actual.overloadedBlocks.join() !== expected.overloadedBlocks.join()) return 'overloadedBlocks';
  return undefined;
}

/** A bench-like group: two sessions per station, a curve between `lowA` and `highA` per session over 96 blocks. */
function largeGroup(sessions: number, lowA: number, highA: number, seed: number): AllocationInput {
  let state = seed;
  const random = () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
  const blocks = Array.from({ length: 96 }, (_, b) => {
    const a = sessions * (lowA + (highA - lowA) * (0.5 + 0.5 * Math.sin((b / 96) * Math.PI * 2))) + 50;
    return { startMs: NOW + b * BLOCK_MS, endMs: NOW + (b + 1) * BLOCK_MS, capacityA: [a, a * 0.97, a * 1.03] as const };
  });
  const stationMaxA = new Map<string, number>();
  const list = Array.from({ length: sessions }, (_, i) => {
    stationMaxA.set(`CS-${i >> 1}`, 48);
    return {
      id: `tx-${i}`,
      stationId: `CS-${i >> 1}`,
      phasesUsed: random() < 0.2 ? (1 as const) : (3 as const),
      minA: 6,
      maxA: [16, 32, 32, 24][i % 4] as number,
      priority: random() < 0.1 ? 3 : 0,
      energyWantedWh: random() < 0.3 ? 20_000 + random() * 40_000 : undefined,
      departureMs: NOW + (1 + random() * 10) * 3_600_000,
      measuredA: random() < 0.2 ? random() * 10 : undefined,
      belowLimitSinceMs: NOW - 600_000,
      pausedSinceMs: random() < 0.1 ? NOW - random() * 7_200_000 : undefined,
      fixedA: random() < 0.01 ? 10 : undefined,
    };
  });
  return { nowMs: NOW, blocks, safetyMarginA: 2, groupPhases: 3, phaseVoltageV: 230, sessions: list, stationMaxA, fixedLoads: [] };
}

describe('allocator equivalence with the former implementation (issue #15)', () => {
  it('the same plans, cell by cell, on random groups', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(firstDifference(allocate(input), referenceAllocate(input))).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['scarce all day (rotation)', 0.5, 4],
    ['from scarce to ample', 3, 22],
    ['ample all day', 20, 30],
  ])('the same plans for 2,000 sessions × 96 blocks, %s', (_, lowA, highA) => {
    const input = largeGroup(2_000, lowA, highA, Math.round(lowA * 100 + highA));
    expect(firstDifference(allocate(input), referenceAllocate(input))).toBeUndefined();
  });
});
