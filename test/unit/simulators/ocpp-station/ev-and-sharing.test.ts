// EV model (draw = min(limit, EV max, taper), nothing below 6 A) and how a station shares its cap between EVSEs.
import { EvModel, evDemandA, evDrawA, chargedSocPercent } from '../../../../simulators/ocpp-station/ev';
import { shareStationLimit } from '../../../../simulators/ocpp-station/power-sharing';
import { DueQueue } from '../../../../simulators/ocpp-station/due-queue';
import { LimitLog } from '../../../../simulators/ocpp-station/limit-log';

const ev = (overrides: Partial<EvModel> = {}): EvModel =>
  EvModel.parse({ batteryWh: 50_000, socPercent: 50, phases: 3, maxCurrentA: 16, ...overrides });

describe('EV model', () => {
  it('draws min(limit in force, EV maximum)', () => {
    expect(evDrawA(ev(), 10)).toBe(10);
    expect(evDrawA(ev(), 32)).toBe(16);
  });

  it('IEC 61851 — draws nothing when offered less than 6 A', () => {
    expect(evDrawA(ev(), 5.9)).toBe(0);
    expect(evDrawA(ev(), 6)).toBe(6);
  });

  it('tapers linearly above 80 % towards its minimum, stops at its target', () => {
    expect(evDemandA(ev({ socPercent: 80 }))).toBe(16);
    expect(evDemandA(ev({ socPercent: 90 }))).toBe(11); // 6 + (16 − 6) × 0.5
    expect(evDemandA(ev({ socPercent: 99.9 }))).toBeCloseTo(6.05, 2);
    expect(evDemandA(ev({ socPercent: 70, targetSocPercent: 70 }))).toBe(0);
  });

  it('state of charge rises by energy / battery size', () => {
    expect(chargedSocPercent(ev(), 5000)).toBe(60);
    expect(chargedSocPercent(ev({ socPercent: 99 }), 5000)).toBe(100);
  });
});

describe('station cap sharing', () => {
  it('offers each EVSE its own limit while the demands fit', () => {
    const offered = shareStationLimit(
      [
        { evseId: 1, limitA: 16, wantA: 16 },
        { evseId: 2, limitA: 32, wantA: 10 },
      ],
      40,
    );
    expect([...offered]).toEqual([
      [1, 16],
      [2, 32],
    ]);
  });

  it('water-fills when the cap binds: a small demand is served, the rest share equally', () => {
    const offered = shareStationLimit(
      [
        { evseId: 1, limitA: 32, wantA: 6 },
        { evseId: 2, limitA: 32, wantA: 32 },
        { evseId: 3, limitA: 32, wantA: 32 },
        { evseId: 4, limitA: 32, wantA: 0 },
      ],
      30,
    );
    expect([...offered]).toEqual([
      [1, 12],
      [2, 12],
      [3, 12],
      [4, 12],
    ]);
  });
});

describe('DueQueue and LimitLog', () => {
  it('pops due items in time order; rescheduling replaces the earlier instant', () => {
    const queue = new DueQueue<string>();
    queue.schedule('a', 30);
    queue.schedule('b', 10);
    queue.schedule('c', 20);
    queue.schedule('a', 5);
    expect(queue.popDue(25)).toEqual({ atMs: 5, item: 'a' });
    expect(queue.popDue(25)).toEqual({ atMs: 10, item: 'b' });
    expect(queue.popDue(25)).toEqual({ atMs: 20, item: 'c' });
    expect(queue.popDue(100)).toBeUndefined();
  });

  it('records changes only and keeps the newest entries when full', () => {
    const log = new LimitLog(2);
    expect(log.record({ atMs: 1, limitA: [6, 6, 6], drawnA: [6, 6, 6] })).toBe(true);
    expect(log.record({ atMs: 2, limitA: [6, 6, 6], drawnA: [6, 6, 6] })).toBe(false);
    log.record({ atMs: 3, limitA: [8, 8, 8], drawnA: [8, 8, 8] });
    log.record({ atMs: 4, limitA: [9, 9, 9], drawnA: [9, 9, 9] });
    expect(log.toArray().map((entry) => entry.atMs)).toEqual([3, 4]);
    expect(log.overwritten).toBe(1);
  });
});
