// The soak's independent checker: the settle allowance after a capacity decrease and the per-phase sum of the
// stations' own draw logs, on hand-made logs.
import type { LimitLogEntry } from '../../../../simulators/ocpp-station';
import { CapacityTimeline, overLimitInstants, timesToComply } from '../../../../simulators/soak/timeline';

const entry = (atMs: number, drawnA: number): LimitLogEntry => ({ atMs, limitA: [32, 32, 32], drawnA: [drawnA, drawnA, 0] });

describe('soak checker', () => {
  test('a decrease is allowed the settle time; after it the lower capacity holds', () => {
    const timeline = new CapacityTimeline(100, 0);
    timeline.set(10_000, 50);
    expect(timeline.allowedAt(5_000, 30_000)).toBe(100);
    expect(timeline.allowedAt(39_999, 30_000)).toBe(100);
    expect(timeline.allowedAt(40_000, 30_000)).toBe(50);
    expect(timeline.decreases()).toBe(1);
  });

  test('an increase counts at once', () => {
    const timeline = new CapacityTimeline(50, 0);
    timeline.set(10_000, 100);
    expect(timeline.allowedAt(10_000, 30_000)).toBe(100);
  });

  test('over-limit instants are the moments the summed draw of a phase exceeds the allowance', () => {
    const logs = [
      [entry(0, 20), entry(5_000, 30)],
      [entry(1_000, 20), entry(6_000, 10)],
    ];
    const found = overLimitInstants(logs, () => 45);
    // 20+20 at 1 s, 30+20 = 50 at 5 s (over on L1 and L2), 30+10 at 6 s; L3 drew nothing.
    expect(found.map((f) => [f.atMs, f.phase, f.drawnA])).toEqual([
      [5_000, 0, 50],
      [5_000, 1, 50],
    ]);
  });
});

describe('soak checker: decreases, settle ends and measured time under a cut', () => {
  test('a step recorded late goes where it belongs in time', () => {
    const timeline = new CapacityTimeline(100, 0);
    timeline.set(20_000, 80);
    timeline.set(10_000, 50);
    expect([timeline.at(15_000), timeline.at(25_000)]).toEqual([50, 80]);
    expect(timeline.nextChangeAfter(10_000)).toBe(20_000);
  });

  test('a draw that never changes is still checked once the settle allowance of a decrease is over', () => {
    const timeline = new CapacityTimeline(100, 0);
    timeline.set(10_000, 40);
    const logs = [[entry(0, 50)]];
    expect(overLimitInstants(logs, (t) => timeline.allowedAt(t, 30_000))).toEqual([]);
    const found = overLimitInstants(logs, (t) => timeline.allowedAt(t, 30_000), 0, timeline.settledDecreases(30_000));
    expect(found.map((f) => [f.atMs, f.phase, f.drawnA, f.allowedA])).toEqual([
      [40_000, 0, 50, 40],
      [40_000, 1, 50, 40],
    ]);
  });

  test('time under each decrease: from the cut to the first change that brought the sum under it', () => {
    const timeline = new CapacityTimeline(100, 0);
    timeline.set(10_000, 45); // 45 − 5 A margin = 40 A allowed
    timeline.set(60_000, 100);
    timeline.set(70_000, 10); // never met before the end
    const logs = [
      [entry(0, 30), entry(13_000, 15)],
      [entry(0, 30), entry(12_000, 25)],
    ];
    // 60 A until 12 s, 55 A at 12 s, 40 A at 13 s: under 40 A from 13 s, 3 s after the cut; 10 A is never met.
    expect(timesToComply(logs, timeline, 5, 80_000)).toEqual([3_000, undefined]);
  });
});
