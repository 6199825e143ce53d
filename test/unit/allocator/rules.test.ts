// The allocation rules on hand-worked cases, one rule per test (DESIGN "Allocation", OCPP digest §8).
import { allocate, limitOf, reasonOf, type AllocationInput, type AllocationSession } from '../../../src/allocator';

const NOW = 1_700_000_400_000 - (1_700_000_400_000 % 900_000);
const block = (a: number | [number, number, number], i = 0) => ({
  startMs: NOW + i * 900_000,
  endMs: NOW + (i + 1) * 900_000,
  capacityA: typeof a === 'number' ? ([a, a, a] as const) : a,
});
const ev = (id: string, extra: Partial<AllocationSession> = {}): AllocationSession => ({
  id,
  stationId: `CS-${id}`,
  phasesUsed: 3,
  minA: 6,
  maxA: 32,
  priority: 0,
  ...extra,
});

function run(
  sessions: AllocationSession[],
  capacity: number | [number, number, number] | (number | [number, number, number])[],
  extra: Partial<AllocationInput> = {},
) {
  const blocks =
    Array.isArray(capacity) && Array.isArray(capacity[0])
      ? capacity.map((c, i) => block(c as [number, number, number], i))
      : Array.isArray(capacity) && typeof capacity[0] === 'number' && capacity.length !== 3
        ? (capacity as number[]).map((c, i) => block(c, i))
        : [block(capacity as number)];
  const input: AllocationInput = {
    nowMs: NOW,
    blocks,
    safetyMarginA: 0,
    groupPhases: 3,
    phaseVoltageV: 230,
    sessions,
    stationMaxA: new Map(),
    fixedLoads: [],
    ...extra,
  };
  const plan = allocate(input);
  const at = (id: string, b = 0) =>
    limitOf(
      plan,
      sessions.findIndex((s) => s.id === id),
      b,
    );
  const why = (id: string, b = 0) =>
    reasonOf(
      plan,
      sessions.findIndex((s) => s.id === id),
      b,
    );
  return { plan, at, why };
}

describe('allocation rules', () => {
  it('fair share: equal EVs split the capacity equally (water-filling)', () => {
    const { at } = run([ev('a'), ev('b'), ev('c')], 48);
    expect([at('a'), at('b'), at('c')]).toEqual([16, 16, 16]);
  });

  it('water-filling: what a capped EV cannot take goes to the others', () => {
    const { at, why } = run([ev('a', { maxA: 10 }), ev('b'), ev('c')], 60);
    expect([at('a'), at('b'), at('c')]).toEqual([10, 25, 25]);
    expect(why('a')).toBe('capped-by-ev');
  });

  it('safety margin is kept free on every phase', () => {
    const { at } = run([ev('a'), ev('b')], 40, { safetyMarginA: 2 });
    expect(at('a') + at('b')).toBe(38);
  });

  it('IEC 61851 minimum: 0 or at least 6 A — when not everyone fits, some pause instead of everyone getting 4 A', () => {
    const { at, why } = run([ev('a'), ev('b'), ev('c')], 13);
    const limits = [at('a'), at('b'), at('c')].sort();
    expect(limits).toEqual([0, 6.5, 6.5]);
    expect(['a', 'b', 'c'].map((id) => why(id)).filter((r) => r === 'paused-for-capacity')).toHaveLength(1);
  });

  it('an EV whose maximum is below the minimum is paused (it cannot charge)', () => {
    const { at, why } = run([ev('a', { maxA: 5 })], 32);
    expect(at('a')).toBe(0);
    expect(why('a')).toBe('paused-ev-below-minimum');
  });

  it('per-phase capacity: the tightest phase bounds every EV, each counted on all three phases', () => {
    const { at, why } = run([ev('three'), ev('one', { phasesUsed: 1 })], [[40, 20, 40]]);
    expect([at('three'), at('one')]).toEqual([10, 10]);
    expect(why('three')).toBe('capped-by-phase');
  });

  it('a 1-phase EV is counted on every phase (which phase it loads is not known: safe side)', () => {
    const { at } = run([ev('a', { phasesUsed: 1 }), ev('b', { phasesUsed: 1 })], 20);
    expect([at('a'), at('b')]).toEqual([10, 10]);
  });

  it('station maximum: EVSEs of one station share its supply', () => {
    const { at, why } = run([ev('a', { stationId: 'S' }), ev('b', { stationId: 'S' }), ev('c')], 100, {
      stationMaxA: new Map([['S', 32]]),
    });
    expect([at('a'), at('b'), at('c')]).toEqual([16, 16, 32]);
    expect(why('a')).toBe('capped-by-station');
  });

  it('uncontrollable (pinned) sessions are fixed load at their value; the others shrink', () => {
    const { at, why } = run([ev('stuck', { fixedA: 32 }), ev('a'), ev('b')], 52);
    expect([at('stuck'), at('a'), at('b')]).toEqual([32, 10, 10]);
    expect(why('stuck')).toBe('fixed');
  });

  it('fixed loads count on every phase; too much fixed load marks the block as overloaded', () => {
    const { plan, at } = run([ev('a')], [30, 30], { fixedLoads: [{ id: 'heat-pump', limitsA: [10, 40] }] });
    expect(at('a', 0)).toBe(20);
    expect(at('a', 1)).toBe(0);
    expect(plan.overloadedBlocks).toEqual([1]);
    expect(plan.headroomA[3]).toBe(-10);
  });

  it('priorities are weights: priority +3 gets twice the share above the minimum', () => {
    const { at } = run([ev('vip', { priority: 3 }), ev('std')], 36);
    expect(at('vip') - 6).toBeCloseTo(2 * (at('std') - 6), 0);
  });

  it('priorities order who charges when not everyone can', () => {
    const { at } = run([ev('low', { priority: -5 }), ev('high', { priority: 5 })], 8);
    expect([at('high'), at('low')]).toEqual([8, 0]);
  });

  it('departure awareness: an EV that needs more energy before an earlier departure gets more', () => {
    const urgent = ev('urgent', { energyWantedWh: 30_000, departureMs: NOW + 2 * 3_600_000 });
    const relaxed = ev('relaxed', { energyWantedWh: 5_000, departureMs: NOW + 10 * 3_600_000 });
    const { at } = run([urgent, relaxed], 40);
    expect(at('urgent')).toBeGreaterThan(at('relaxed'));
    expect(at('relaxed')).toBeGreaterThanOrEqual(6);
  });

  it('lending: an EV measured well below its limit for a while is capped near its draw; the others get the rest', () => {
    const lazy = ev('lazy', { measuredA: 8, belowLimitSinceMs: NOW - 10 * 60_000 });
    const { at, why } = run([lazy, ev('b')], 40);
    expect(at('lazy')).toBe(10);
    expect(at('b')).toBe(30);
    expect(why('lazy')).toBe('lending');
  });

  it('lending: not before the EV has been below its limit long enough, and not in blocks far ahead', () => {
    const recent = ev('recent', { measuredA: 8, belowLimitSinceMs: NOW - 60_000 });
    expect(run([recent, ev('b')], 40).at('recent')).toBe(20);
    const lazy = ev('lazy', { measuredA: 8, belowLimitSinceMs: NOW - 10 * 60_000 });
    const later = run([lazy, ev('b')], [40, 40, 40, 40, 40]);
    expect([later.at('lazy', 0), later.at('lazy', 4)]).toEqual([10, 20]);
  });

  it('rotation: with room for one of three, the paused EVs take turns block by block; nobody starves', () => {
    const sessions = [ev('a'), ev('b'), ev('c')];
    const { at } = run(sessions, [8, 8, 8, 8, 8, 8]);
    const served = [0, 1, 2, 3, 4, 5].map((b) => sessions.map((s) => s.id).filter((id) => at(id, b) > 0));
    expect(served.every((ids) => ids.length === 1)).toBe(true);
    const counts = new Map<string, number>();
    served.flat().forEach((id) => counts.set(id, (counts.get(id) ?? 0) + 1));
    expect([...counts.values()]).toEqual([2, 2, 2]);
  });

  it('stability: adding one EV changes who is paused by at most one place; the rest keep their turn', () => {
    const base = Array.from({ length: 20 }, (_, i) => ev(`s${i}`));
    const before = run(base, [60, 60, 60, 60]);
    const after = run([...base, ev('newcomer')], [60, 60, 60, 60]);
    for (let b = 0; b < 4; b++) {
      const was = new Set(base.filter((s) => before.at(s.id, b) > 0).map((s) => s.id));
      const now = new Set(base.filter((s) => after.at(s.id, b) > 0).map((s) => s.id));
      const changed = [...was].filter((id) => !now.has(id)).length + [...now].filter((id) => !was.has(id)).length;
      expect(changed).toBeLessThanOrEqual(2);
    }
  });

  it('stability: increases below the hysteresis against the plan in force are not made (no flapping)', () => {
    const sessions = [ev('a'), ev('b')];
    const first = run(sessions, 40);
    const previous = {
      blockStartsMs: [NOW],
      endMs: NOW + 900_000,
      limitsA: new Map([
        ['a', [first.at('a')]],
        ['b', [first.at('b')]],
      ]),
    };
    const nudged = run(sessions, 41, { previous });
    expect([nudged.at('a'), nudged.at('b')]).toEqual([20, 20]);
    expect(nudged.why('a')).toBe('kept-by-hysteresis');
    const lowered = run(sessions, 39, { previous });
    expect([lowered.at('a'), lowered.at('b')]).toEqual([19.5, 19.5]);
    const raised = run(sessions, 44, { previous });
    expect([raised.at('a'), raised.at('b')]).toEqual([22, 22]);
  });

  it('limits have one decimal, rounded down', () => {
    const { at } = run([ev('a'), ev('b'), ev('c')], 50);
    expect(at('a')).toBe(16.6);
  });
});
