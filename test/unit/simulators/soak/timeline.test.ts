// The soak's independent checker: the settle allowance after a capacity decrease and the per-phase sum of the
// stations' own draw logs, on hand-made logs.
import type { LimitLogEntry } from '../../../../simulators/ocpp-station';
import { CapacityTimeline, overLimitInstants } from '../../../../simulators/soak/timeline';

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
