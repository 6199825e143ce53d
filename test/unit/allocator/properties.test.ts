// Property-based proof of the allocator's promises over random groups (fast-check): never over the limit on
// any phase in any block, never between 0 and the minimum, never above a maximum, deterministic. How a plan is
// applied (decreases first) is proved on the controller in test/unit/core/group-controller-transition.test.ts.
import fc from 'fast-check';
import { allocate, limitOf, type AllocationInput } from '../../../src/allocator';

const EPS = 1e-6;

const inputArb: fc.Arbitrary<AllocationInput> = fc
  .record({
    groupPhases: fc.constantFrom<1 | 3>(1, 3),
    margin: fc.integer({ min: 0, max: 5 }),
    blocks: fc.array(fc.tuple(fc.integer({ min: 0, max: 250 }), fc.integer({ min: 0, max: 250 }), fc.integer({ min: 0, max: 250 })), {
      minLength: 1,
      maxLength: 8,
    }),
    stationCount: fc.integer({ min: 1, max: 120 }),
    sessions: fc.array(
      fc.record({
        station: fc.nat(),
        phasesUsed: fc.constantFrom<1 | 3>(1, 3),
        minA: fc.integer({ min: 6, max: 10 }),
        maxA: fc.integer({ min: 4, max: 40 }),
        priority: fc.integer({ min: -9, max: 9 }),
        energyWh: fc.option(fc.integer({ min: 0, max: 80_000 }), { nil: undefined }),
        departureMin: fc.option(fc.integer({ min: 1, max: 600 }), { nil: undefined }),
        measuredA: fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined }),
        pinned: fc.option(fc.integer({ min: 0, max: 16 }), { freq: 8, nil: undefined }),
      }),
      { maxLength: 200 },
    ),
    stationMax: fc.integer({ min: 6, max: 80 }),
    fixed: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 4 }),
  })
  .map((r) => {
    const now = 1_700_000_000_000;
    const blocks = r.blocks.map(([a, b, c], i) => ({
      startMs: now + i * 900_000,
      endMs: now + (i + 1) * 900_000,
      capacityA: [a, b, c] as const,
    }));
    const sessions = r.sessions.map((s, i) => ({
      id: `tx-${i}`,
      stationId: `CS-${s.station % r.stationCount}`,
      phasesUsed: s.phasesUsed,
      minA: s.minA,
      maxA: s.maxA,
      priority: s.priority,
      energyWantedWh: s.energyWh,
      departureMs: s.departureMin === undefined ? undefined : now + s.departureMin * 60_000,
      measuredA: s.measuredA,
      belowLimitSinceMs: s.measuredA === undefined ? undefined : now - 600_000,
      fixedA: s.pinned,
    }));
    const stationMaxA = new Map(Array.from({ length: r.stationCount }, (_, i) => [`CS-${i}`, r.stationMax + (i % 3) * 16]));
    return {
      nowMs: now,
      blocks,
      safetyMarginA: r.margin,
      groupPhases: r.groupPhases,
      phaseVoltageV: 230,
      sessions,
      stationMaxA,
      fixedLoads: r.fixed.map((a, i) => ({ id: `fixed-${i}`, limitsA: blocks.map(() => a) })),
    };
  });

/** Load counted on each phase in block b: fixed loads, then every session's limit (each on every phase of the group). */
function phaseLoad(input: AllocationInput, limit: (s: number) => number, b: number): number[] {
  let total = 0;
  input.fixedLoads.forEach((f) => (total += f.limitsA[b] ?? 0));
  input.sessions.forEach((_, i) => (total += limit(i)));
  return input.groupPhases === 1 ? [total, 0, 0] : [total, total, total];
}

const phasesOf = (input: AllocationInput): number[] => (input.groupPhases === 1 ? [0] : [0, 1, 2]);

describe('allocator properties', () => {
  it('never over capacity − margin on any phase in any block (unless fixed load alone is), never 0 < limit < minimum, never above a maximum', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = allocate(input);
        input.blocks.forEach((block, b) => {
          const pinnedOnly = phaseLoad(
            { ...input, sessions: input.sessions.filter((s) => s.fixedA !== undefined) },
            (i) => input.sessions.filter((s) => s.fixedA !== undefined)[i]?.fixedA ?? 0,
            b,
          );
          const load = phaseLoad(input, (s) => limitOf(plan, s, b), b);
          for (const p of phasesOf(input)) {
            const allowed = (block.capacityA[p] ?? 0) - input.safetyMarginA;
            if ((pinnedOnly[p] ?? 0) <= allowed + EPS) expect(load[p]).toBeLessThanOrEqual(allowed + EPS);
            else expect(load[p]).toBeCloseTo(pinnedOnly[p] ?? 0, 6);
          }
          const perStation = new Map<string, number>();
          input.sessions.forEach((s, i) => {
            const limit = limitOf(plan, i, b);
            perStation.set(s.stationId, (perStation.get(s.stationId) ?? 0) + limit);
            if (s.fixedA !== undefined) {
              expect(limit).toBe(s.fixedA);
              return;
            }
            expect(limit === 0 || limit >= Math.max(6, s.minA)).toBe(true);
            expect(limit).toBeLessThanOrEqual(s.maxA + EPS);
            expect(Math.round(limit * 10)).toBeCloseTo(limit * 10, 6);
          });
          const pinnedPerStation = new Map<string, number>();
          input.sessions.forEach(
            (s) => s.fixedA !== undefined && pinnedPerStation.set(s.stationId, (pinnedPerStation.get(s.stationId) ?? 0) + s.fixedA),
          );
          for (const [station, total] of perStation) {
            const max = input.stationMaxA.get(station) ?? Infinity;
            if ((pinnedPerStation.get(station) ?? 0) <= max) expect(total).toBeLessThanOrEqual(max + EPS);
          }
        });
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic: the same input gives the same plan', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const a = allocate(input);
        const b = allocate(input);
        expect(Array.from(a.limitsA)).toEqual(Array.from(b.limitsA));
        expect(Array.from(a.reasons)).toEqual(Array.from(b.reasons));
      }),
      { numRuns: 100 },
    );
  });
});
