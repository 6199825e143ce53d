// Invariant 2 — standing limits: their sum never exceeds FC − margin, and shares are either 0 or ≥ 6 A.
import fc from 'fast-check';
import { standingLimits } from '../../../src/core/standing-limits';

const stations = (n: number, maxA = 32) =>
  Array.from({ length: n }, (_, i) => ({ stationId: `CS-${String(i).padStart(3, '0')}`, stationMaxCurrentA: maxA }));
const sum = (shares: Map<string, number>): number => [...shares.values()].reduce((a, b) => a + b, 0);

describe('standing limits (invariant 2)', () => {
  it('splits FC − margin evenly, rounded down to 0.1 A', () => {
    const shares = standingLimits([64, 64, 64], 1, stations(3));
    expect([...shares.values()]).toEqual([21, 21, 21]);
  });

  it('uses the lowest phase of the standing capacity', () => {
    expect([...standingLimits([40, 25, 40], 1, stations(2)).values()]).toEqual([12, 12]);
  });

  it('hands what a small station cannot use to the others', () => {
    const shares = standingLimits([61, 61, 61], 1, [...stations(2), { stationId: 'CS-small', stationMaxCurrentA: 10 }]);
    expect(shares.get('CS-small')).toBe(10);
    expect(shares.get('CS-000')).toBe(25);
    expect(sum(shares)).toBeLessThanOrEqual(60);
  });

  it('IEC 61851 — below 6 A a share is useless: as many stations as fit get 6 A, the others 0, rotating', () => {
    const first = standingLimits([20, 20, 20], 1, stations(5), 0);
    expect([...first.values()]).toEqual([6, 6, 6, 0, 0]);
    const next = standingLimits([20, 20, 20], 1, stations(5), 3);
    expect([...next.values()]).toEqual([6, 0, 0, 6, 6]);
  });

  it('property: never above FC − margin, never between 0 and 6 A, never above a station maximum', () => {
    fc.assert(
      fc.property(
        fc.float({ min: 0, max: 500, noNaN: true }),
        fc.float({ min: 0, max: 5, noNaN: true }),
        fc.array(fc.float({ min: 0, max: 80, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: -100, max: 100 }),
        (fcA, marginA, maxima, rotation) => {
          const list = maxima.map((m, i) => ({ stationId: `S${i}`, stationMaxCurrentA: m }));
          const shares = standingLimits([fcA, fcA, fcA], marginA, list, rotation);
          expect(shares.size).toBe(list.length);
          expect(sum(shares)).toBeLessThanOrEqual(Math.max(0, fcA - marginA) + 1e-9);
          for (const station of list) {
            const share = shares.get(station.stationId) as number;
            expect(share === 0 || share >= 6).toBe(true);
            expect(share).toBeLessThanOrEqual(station.stationMaxCurrentA);
          }
        },
      ),
    );
  });
});
