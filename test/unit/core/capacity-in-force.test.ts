// Which capacity applies when: forecast online, fallback offline, safe limit where nothing was said.
import { DateTime } from 'luxon';
import type { CapacityBlock } from '../../../src/domain/capacity';
import { capacityInForce, standingCapacityA } from '../../../src/core/capacity-in-force';

const T0 = DateTime.fromISO('2026-01-01T00:00:00Z', { zone: 'utc' });
const min = (m: number): number => T0.plus({ minutes: m }).toMillis();
const block = (fromMin: number, toMin: number, a: number | [number, number, number]): CapacityBlock => ({
  startMs: min(fromMin),
  endMs: min(toMin),
  limitA: typeof a === 'number' ? [a, a, a] : a,
});

describe('capacity in force', () => {
  const consumption = [block(0, 15, 40), block(15, 30, 20)];
  const fallback = [block(0, 60, 10)];

  it('OSCP §13 — online: the consumption forecast applies, block by block', () => {
    expect(capacityInForce({ fromMs: min(0), toMs: min(30), peerOnline: true, consumption, fallback, safeLimitA: 16 })).toEqual([
      { startMs: min(0), endMs: min(15), limitA: [40, 40, 40], source: 'forecast' },
      { startMs: min(15), endMs: min(30), limitA: [20, 20, 20], source: 'forecast' },
    ]);
  });

  it('OSCP §6.4 — offline: FALLBACK_CONSUMPTION applies instead, whatever the forecast says', () => {
    expect(capacityInForce({ fromMs: min(0), toMs: min(30), peerOnline: false, consumption, fallback, safeLimitA: 16 })).toEqual([
      { startMs: min(0), endMs: min(30), limitA: [10, 10, 10], source: 'fallback' },
    ]);
  });

  it('OSCP §13 — a gap in the forecast is filled by FC, and past FC by the safe limit (never unlimited)', () => {
    expect(capacityInForce({ fromMs: min(0), toMs: min(90), peerOnline: true, consumption, fallback, safeLimitA: 16 })).toEqual([
      { startMs: min(0), endMs: min(15), limitA: [40, 40, 40], source: 'forecast' },
      { startMs: min(15), endMs: min(30), limitA: [20, 20, 20], source: 'forecast' },
      { startMs: min(30), endMs: min(60), limitA: [10, 10, 10], source: 'fallback' },
      { startMs: min(60), endMs: min(90), limitA: [16, 16, 16], source: 'safe-default' },
    ]);
  });

  it('no forecast ever received: the configured safe limit', () => {
    expect(capacityInForce({ fromMs: min(0), toMs: min(60), peerOnline: true, consumption: [], fallback: [], safeLimitA: 25 })).toEqual([
      { startMs: min(0), endMs: min(60), limitA: [25, 25, 25], source: 'safe-default' },
    ]);
  });

  it('OSCP §13 — OPTIMUM is a target inside consumption, never above it', () => {
    const optimum = [block(0, 30, 30)];
    expect(
      capacityInForce({ fromMs: min(0), toMs: min(30), peerOnline: true, consumption, fallback, optimum, safeLimitA: 16 }).map(
        (s) => s.limitA,
      ),
    ).toEqual([
      [30, 30, 30],
      [20, 20, 20],
    ]);
  });

  it('clips blocks to the horizon and merges equal neighbours', () => {
    const flat = [block(-30, 0, 32), block(0, 15, 32), block(15, 30, 32), block(30, 45, 32)];
    expect(capacityInForce({ fromMs: min(5), toMs: min(40), peerOnline: true, consumption: flat, fallback: [], safeLimitA: 16 })).toEqual([
      { startMs: min(5), endMs: min(40), limitA: [32, 32, 32], source: 'forecast' },
    ]);
  });

  it('a phase left unconstrained by a single-phase block is held to the safe limit', () => {
    const phaseOne = [block(0, 15, [20, Infinity, Infinity])];
    expect(
      capacityInForce({ fromMs: min(0), toMs: min(15), peerOnline: true, consumption: phaseOne, fallback: [], safeLimitA: 16 })[0]?.limitA,
    ).toEqual([20, 16, 16]);
  });

  it('standing capacity is the lowest FC over the horizon, bounded by the safe limit where FC is silent', () => {
    expect(standingCapacityA([block(0, 30, 12), block(30, 60, 8)], min(0), min(60), 16)).toEqual([8, 8, 8]);
    expect(standingCapacityA([block(0, 30, 30)], min(0), min(60), 16)).toEqual([16, 16, 16]);
    expect(standingCapacityA([], min(0), min(60), 16)).toEqual([16, 16, 16]);
  });
});
