// Property-based proof of the allocator's promises over random groups (fast-check): never over the limit on
// any phase in any block, never between 0 and the minimum, never above a maximum, deterministic, and fair (equal
// EVs get equal shares, priority weighs the share above the minimum). How a plan is applied (decreases first) is
// proved on the controller in test/unit/core/group-controller-transition.test.ts.
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

/**
 * Groups where only priority tells the EVs apart: same minimum and maximum, no stated needs, no lending, no previous
 * plan, one station each (no station limit), with fixed load and per-phase capacity. `equal`: every priority the same.
 */
const fairArb = (equal: boolean) =>
  fc
    .record({
      groupPhases: fc.constantFrom<1 | 3>(1, 3),
      margin: fc.integer({ min: 0, max: 5 }),
      blocks: fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 400 })), {
        minLength: 1,
        maxLength: 6,
      }),
      minA: fc.integer({ min: 6, max: 10 }),
      extraA: fc.integer({ min: 0, max: 30 }),
      fixedA: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 3 }),
      priority: fc.integer({ min: -9, max: 9 }),
      sessions: fc.array(
        fc.record({
          priority: fc.integer({ min: -9, max: 9 }),
          pausedMin: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 60 },
      ),
    })
    .map((r): AllocationInput => {
      const now = 1_700_000_000_000;
      const blocks = r.blocks.map(([a, b, c], i) => ({
        startMs: now + i * 900_000,
        endMs: now + (i + 1) * 900_000,
        capacityA: [a, b, c] as const,
      }));
      return {
        nowMs: now,
        blocks,
        safetyMarginA: r.margin,
        groupPhases: r.groupPhases,
        phaseVoltageV: 230,
        sessions: r.sessions.map((s, i) => ({
          id: `tx-${i}`,
          stationId: `CS-${i}`,
          phasesUsed: 3,
          minA: r.minA,
          maxA: r.minA + r.extraA,
          priority: equal ? r.priority : s.priority,
          pausedSinceMs: s.pausedMin === undefined ? undefined : now - s.pausedMin * 60_000,
        })),
        stationMaxA: new Map(),
        fixedLoads: r.fixedA.map((a, i) => ({ id: `fixed-${i}`, limitsA: blocks.map(() => a) })),
      };
    });

/** docs/allocation.md rule 4: priority is a weight, doubling every +3. */
const weightOf = (priority: number): number => Math.pow(2, priority / 3);

describe('allocator fairness (docs/allocation.md rules 2–4)', () => {
  it('equal priorities and equal maxima: equal shares within 0.1 A in every block, and a pause only when one more minimum does not fit', () => {
    fc.assert(
      fc.property(fairArb(true), (input) => {
        const plan = allocate(input);
        const fixedA = input.fixedLoads.reduce((sum, f) => sum + (f.limitsA[0] ?? 0), 0);
        input.blocks.forEach((block, b) => {
          const limits = input.sessions.map((_, i) => limitOf(plan, i, b));
          const served = limits.filter((a) => a > 0);
          if (served.length > 0) expect(Math.max(...served) - Math.min(...served)).toBeLessThanOrEqual(0.1 + EPS);
          const minA = input.sessions[0]?.minA ?? 6;
          const availableA = Math.min(...phasesOf(input).map((p) => block.capacityA[p] ?? 0)) - input.safetyMarginA - fixedA;
          if (served.length < limits.length) expect((served.length + 1) * minA).toBeGreaterThan(availableA - EPS);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('priority as a weight: above the minimum, shares follow 2^(priority/3) unless capped; a higher priority never gets less', () => {
    fc.assert(
      fc.property(fairArb(false), (input) => {
        const plan = allocate(input);
        input.blocks.forEach((_, b) => {
          const rows = input.sessions.map((s, i) => ({ ...s, limitA: limitOf(plan, i, b), weight: weightOf(s.priority) }));
          // The water level each served EV reached: (limit − minimum) / weight; rounding down to 0.1 A lowers it a little.
          // Nobody stands above an uncapped EV's level (so uncapped EVs stand at one level, their shares in weight ratio).
          const served = rows.filter((r) => r.limitA > 0);
          const highestA = Math.max(...served.map((r) => (r.limitA - r.minA) / r.weight));
          for (const r of served.filter((u) => u.limitA < u.maxA - EPS))
            expect(highestA).toBeLessThanOrEqual((r.limitA - r.minA) / r.weight + 0.1 / r.weight + EPS);
          // Precedence: every EV gets at least what any EV of a lower priority gets.
          const byPriority = [...rows].sort((x, y) => y.priority - x.priority);
          let leastAbove = Infinity;
          byPriority.forEach((r, k) => {
            const above = byPriority[k - 1];
            if (above && above.priority > r.priority) leastAbove = Math.min(leastAbove, ...byPriority.slice(0, k).map((x) => x.limitA));
            expect(r.limitA).toBeLessThanOrEqual(leastAbove);
          });
        });
      }),
      { numRuns: 500 },
    );
  });
});
