// From plan to station schedules: one period per block up to the lease end, within PeriodsPerSchedule,
// and the steps of a change: decreases first (the pointwise minimum), increases after, all leases ending together.
import { atOrBelow, pointwiseMin, stationSchedules, transitionSteps, type StationSchedule } from '../../../src/core/schedules';
import type { PlanBlock } from '../../../src/core/ports';

const MIN = 60_000;
const blocks: PlanBlock[] = [0, 15, 30, 45].map((m) => ({
  startMs: m * MIN,
  endMs: (m + 15) * MIN,
  capacityA: [40, 40, 40],
  source: 'forecast',
}));

describe('station schedules', () => {
  it('DESIGN — one absolute schedule per session, one period per block from now to the lease end; cap = sum of sessions', () => {
    const [station] = stationSchedules(
      blocks,
      [
        { transactionId: 't1', stationId: 'CS-1', evseId: 1, limitsA: [16, 10, 10, 6] },
        { transactionId: 't2', stationId: 'CS-1', evseId: 2, limitsA: [8, 8, 0, 0] },
      ],
      [{ stationId: 'CS-1', periodsPerSchedule: 24 }],
      5 * MIN,
      40 * MIN,
    );
    expect(station?.stationCap).toEqual({
      periods: [
        { startMs: 5 * MIN, limitA: 24 },
        { startMs: 15 * MIN, limitA: 18 },
        { startMs: 30 * MIN, limitA: 10 },
      ],
      leaseEndMs: 45 * MIN,
    });
    expect(station?.sessions.map((s) => s.schedule.periods.map((p) => p.limitA))).toEqual([
      [16, 10],
      [8, 0],
    ]);
  });

  it('K01 / PeriodsPerSchedule — a station that holds few periods gets a shorter lease, renewed later', () => {
    const [station] = stationSchedules(
      blocks,
      [{ transactionId: 't1', stationId: 'CS-1', evseId: 1, limitsA: [16, 10, 12, 6] }],
      [{ stationId: 'CS-1', periodsPerSchedule: 2 }],
      0,
      60 * MIN,
    );
    expect(station?.stationCap.leaseEndMs).toBe(30 * MIN);
    expect(station?.sessions[0]?.schedule.periods).toHaveLength(2);
  });

  it('a station without sessions is capped at 0 for its lease', () => {
    const [station] = stationSchedules(blocks, [], [{ stationId: 'CS-idle', periodsPerSchedule: 1 }], 0, 15 * MIN);
    expect(station?.stationCap).toEqual({ periods: [{ startMs: 0, limitA: 0 }], leaseEndMs: 15 * MIN });
  });

  it('pointwise minimum of old and new, with the fallback outside either lease', () => {
    const old = { periods: [{ startMs: 0, limitA: 20 }], leaseEndMs: 10 * MIN };
    const next = {
      periods: [
        { startMs: 0, limitA: 10 },
        { startMs: 5 * MIN, limitA: 25 },
      ],
      leaseEndMs: 20 * MIN,
    };
    const step = pointwiseMin(old, next, 8, 0);
    expect(step).toEqual({
      periods: [
        { startMs: 0, limitA: 10 },
        { startMs: 5 * MIN, limitA: 20 },
        { startMs: 10 * MIN, limitA: 8 },
      ],
      leaseEndMs: 20 * MIN,
    });
    expect(atOrBelow(step, next, 8, 0)).toBe(true);
    expect(atOrBelow(next, old, 8, 0)).toBe(false);
  });

  it('a change ends every lease it sends at the earliest lease a station keeps; a kept one outlasting it is sent again', () => {
    const schedule = (stationId: string, limitA: number, leaseEndMs: number): StationSchedule => ({
      stationId,
      stationCap: { periods: [{ startMs: 0, limitA }], leaseEndMs },
      sessions: [{ transactionId: `t-${stationId}`, evseId: 1, schedule: { periods: [{ startMs: 0, limitA }], leaseEndMs } }],
    });
    const { firstStep, secondStep } = transitionSteps(
      [
        { target: schedule('kept', 0, 15 * MIN), inForce: schedule('kept', 0, 10 * MIN).stationCap, fallbackA: 20, unchanged: true },
        { target: schedule('later', 5, 15 * MIN), inForce: schedule('later', 5, 12 * MIN).stationCap, fallbackA: 2, unchanged: true },
        { target: schedule('up', 30, 15 * MIN), inForce: schedule('up', 10, 10 * MIN).stationCap, fallbackA: 8, unchanged: false },
      ],
      0,
    );
    // 'later' falls back to its 2 A from 10 min on (a decrease, first); 'up' goes to 30 A after, until 10 min only.
    expect(firstStep.map((s) => [s.stationId, s.stationCap.leaseEndMs])).toEqual([['later', 10 * MIN]]);
    expect(secondStep).toEqual([schedule('up', 30, 10 * MIN)]);
  });
});
