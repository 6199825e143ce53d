// Stations that accept limits but do not follow them ("Accepted but not applied", OCPP 1.6 digest §6 go-e row):
// judged on their measured draw, only when it stays clearly above what they acknowledged for a minute.
import type { ChargingSession } from '../../../src/domain/session';
import { OverdrawWatch, overdrawToleranceA } from '../../../src/core/overdraw';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const session = (
  transactionId: string,
  measuredCurrentA: [number, number, number],
  extra: Partial<ChargingSession> = {},
): ChargingSession => ({
  transactionId,
  stationId: 'CS-1',
  groupId: 'g1',
  evseId: 1,
  chargingState: 'Charging',
  startedAt: new Date(T0).toISOString(),
  lastSeqNo: 0,
  priority: 0,
  measuredCurrentA,
  ...extra,
});

describe('overdraw watch', () => {
  test('the station draw is the highest phase of the sum of its sessions; an ended session leaves it', () => {
    const watch = new OverdrawWatch();
    expect(watch.measured(session('t1', [10, 8, 6]))).toBe(10);
    expect(watch.measured(session('t2', [4, 9, 0]))).toBe(17);
    expect(watch.measured(session('t1', [0, 0, 0], { endedAt: new Date(T0).toISOString() }))).toBe(9);
  });

  test('tolerance: 2 A, or 10 % of larger limits (meters and EVs overshoot a little on a change)', () => {
    expect(overdrawToleranceA(6)).toBe(2);
    expect(overdrawToleranceA(32)).toBeCloseTo(3.2);
  });

  test('three readings above limit + tolerance over at least a minute: judged once; then watched afresh', () => {
    const watch = new OverdrawWatch();
    watch.measured(session('t1', [30, 30, 30]));
    expect(watch.judge('CS-1', 30, 10, T0)).toBe(false);
    expect(watch.judge('CS-1', 30, 10, T0 + 30_000)).toBe(false);
    expect(watch.judge('CS-1', 30, 10, T0 + 45_000)).toBe(false); // three readings, but only 45 s
    expect(watch.judge('CS-1', 30, 10, T0 + 61_000)).toBe(true);
    expect(watch.judge('CS-1', 30, 10, T0 + 62_000)).toBe(false);
  });

  test('a reading within the limit (the EV followed a decrease) starts the count again; an unknown limit judges nothing', () => {
    const watch = new OverdrawWatch();
    watch.measured(session('t1', [20, 20, 20]));
    expect(watch.judge('CS-1', 20, 10, T0)).toBe(false);
    expect(watch.judge('CS-1', 20, 10, T0 + 40_000)).toBe(false);
    expect(watch.judge('CS-1', 11.5, 10, T0 + 50_000)).toBe(false);
    expect(watch.judge('CS-1', 20, 10, T0 + 70_000)).toBe(false);
    expect(watch.judge('CS-1', 20, 10, T0 + 100_000)).toBe(false);
    expect(watch.judge('CS-1', 20, 10, T0 + 131_000)).toBe(true);
    expect(watch.judge('CS-1', 40, Infinity, T0 + 200_000)).toBe(false);
  });
});
