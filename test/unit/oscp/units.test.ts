// Unit normalisation of ForecastedBlocks to amps per phase (digest §8, §13) and back for what we send.
import fc from 'fast-check';
import type { CapacityBlock } from '../../../src/domain/capacity';
import { minCurrents, type PhaseCurrentsA } from '../../../src/domain/electrical';
import { blockLimitA, normaliseBlocks, toForecastedBlocks } from '../../../src/oscp/units';
import type { ForecastedBlock } from '../../../src/oscp/schemas';
import { expectWireValid } from './helpers/json-schemas';

const threePhase = { phaseVoltageV: 230, phases: 3 } as const;
const onePhase = { phaseVoltageV: 230, phases: 1 } as const;
const T0 = Date.parse('2025-05-01T13:00:00Z');
const at = (min: number): string => new Date(T0 + min * 60_000).toISOString();
const block = (over: Partial<ForecastedBlock>): ForecastedBlock => ({
  capacity: 0,
  phase: 'ALL',
  unit: 'A',
  start_time: at(0),
  end_time: at(15),
  ...over,
});

describe('OSCP unit normalisation', () => {
  it('§8 A — amps per phase; ALL applies the value to every phase', () => {
    expect(blockLimitA(block({ capacity: 32, unit: 'A' }), threePhase)).toEqual([32, 32, 32]);
  });

  it('§13 W/KW with ALL — total power spread evenly over the group phases (never more in total)', () => {
    expect(blockLimitA(block({ capacity: 22080, unit: 'W' }), threePhase)).toEqual([32, 32, 32]);
    expect(blockLimitA(block({ capacity: 22.08, unit: 'KW' }), threePhase)[0]).toBeCloseTo(32, 9);
    expect(blockLimitA(block({ capacity: 7.36, unit: 'KW' }), onePhase)[0]).toBeCloseTo(32, 9);
  });

  it('§13 ONE/TWO/THREE — a per-phase block limits only its phase; A stays per phase, W is that phase’s power', () => {
    expect(blockLimitA(block({ capacity: 16, unit: 'A', phase: 'TWO' }), threePhase)).toEqual([Infinity, 16, Infinity]);
    expect(blockLimitA(block({ capacity: 3680, unit: 'W', phase: 'THREE' }), threePhase)).toEqual([Infinity, Infinity, 16]);
  });

  it('§8 UNKNOWN phase — read as the whole group (ALL)', () => {
    expect(blockLimitA(block({ capacity: 10, unit: 'A', phase: 'UNKNOWN' }), threePhase)).toEqual([10, 10, 10]);
  });

  it('§13 WH/KWH — energy per block, as the average power over the block', () => {
    // 5.52 kWh in 15 min = 22.08 kW = 32 A on three phases at 230 V.
    expect(blockLimitA(block({ capacity: 5.52, unit: 'KWH' }), threePhase)[0]).toBeCloseTo(32, 9);
    expect(blockLimitA(block({ capacity: 22080, unit: 'WH', end_time: at(60) }), threePhase)[0]).toBeCloseTo(32, 9);
  });

  it('§13 per-phase blocks over the same time combine into one stretch; the lower limit wins where blocks overlap', () => {
    const result = normaliseBlocks(
      [
        block({ capacity: 10, phase: 'ONE' }),
        block({ capacity: 20, phase: 'TWO' }),
        block({ capacity: 30, phase: 'THREE' }),
        block({ capacity: 25, phase: 'ALL', start_time: at(10), end_time: at(30) }),
      ],
      threePhase,
    );
    expect(result).toEqual([
      { startMs: T0, endMs: T0 + 10 * 60_000, limitA: [10, 20, 30] },
      { startMs: T0 + 10 * 60_000, endMs: T0 + 15 * 60_000, limitA: [10, 20, 25] },
      { startMs: T0 + 15 * 60_000, endMs: T0 + 30 * 60_000, limitA: [25, 25, 25] },
    ]);
  });

  it('§13 a gap between blocks stays a gap (earlier forecasts keep it)', () => {
    const result = normaliseBlocks([block({ capacity: 10 }), block({ capacity: 12, start_time: at(30), end_time: at(45) })], threePhase);
    expect(result.map((b) => [b.startMs, b.endMs])).toEqual([
      [T0, T0 + 15 * 60_000],
      [T0 + 30 * 60_000, T0 + 45 * 60_000],
    ]);
  });

  it('outbound — amps back to the peer’s unit: ALL when phases agree, per phase otherwise, schema-valid', () => {
    const blocks = [
      { startMs: T0, endMs: T0 + 15 * 60_000, limitA: [32, 32, 32] as const },
      { startMs: T0 + 15 * 60_000, endMs: T0 + 30 * 60_000, limitA: [10, 16, Infinity] as const },
    ];
    const kw = toForecastedBlocks(blocks, threePhase, 'KW');
    expect(kw).toEqual([
      { capacity: 22.08, phase: 'ALL', unit: 'KW', start_time: at(0), end_time: at(15) },
      { capacity: 2.3, phase: 'ONE', unit: 'KW', start_time: at(15), end_time: at(30) },
      { capacity: 3.68, phase: 'TWO', unit: 'KW', start_time: at(15), end_time: at(30) },
    ]);
    for (const b of kw) expectWireValid('forecasted-block', b);
    expect(toForecastedBlocks(blocks.slice(0, 1), threePhase, 'A')[0]?.capacity).toBe(32);
    expect(toForecastedBlocks(blocks.slice(0, 1), threePhase, 'KWH')[0]?.capacity).toBe(5.52);
    expect(toForecastedBlocks(blocks.slice(0, 1), onePhase, 'W')[0]).toMatchObject({ capacity: 7360, phase: 'ALL' });
  });

  it('round trip — what we send in a unit reads back as the same amps', () => {
    for (const unit of ['A', 'W', 'KW', 'WH', 'KWH'] as const) {
      const sent = toForecastedBlocks([{ startMs: T0, endMs: T0 + 15 * 60_000, limitA: [20, 20, 20] }], threePhase, unit);
      expect(normaliseBlocks(sent, threePhase)[0]?.limitA[0]).toBeCloseTo(20, 2);
    }
  });

  it('issue #17 item 3 — the sort-and-sweep normaliser gives what the quadratic one gave, on any mix of blocks', () => {
    /** The former implementation: every elementary interval against every block. */
    const reference = (blocks: readonly ForecastedBlock[]): CapacityBlock[] => {
      const spans = blocks.map((b) => ({
        startMs: Date.parse(b.start_time),
        endMs: Date.parse(b.end_time),
        limitA: blockLimitA(b, threePhase),
      }));
      const cuts = [...new Set(spans.flatMap((s) => [s.startMs, s.endMs]))].sort((a, b) => a - b);
      const out: CapacityBlock[] = [];
      for (let i = 0; i + 1 < cuts.length; i++) {
        const [startMs, endMs] = [cuts[i] as number, cuts[i + 1] as number];
        let limitA: PhaseCurrentsA | undefined;
        for (const span of spans)
          if (span.startMs <= startMs && span.endMs >= endMs) limitA = minCurrents(limitA ?? [Infinity, Infinity, Infinity], span.limitA);
        if (limitA) out.push({ startMs, endMs, limitA });
      }
      return out;
    };
    const arbitraryBlock = fc
      .record({
        from: fc.integer({ min: 0, max: 40 }),
        length: fc.integer({ min: 1, max: 12 }),
        capacity: fc.integer({ min: 0, max: 100 }),
        phase: fc.constantFrom('ALL', 'ONE', 'TWO', 'THREE', 'UNKNOWN' as const),
        unit: fc.constantFrom('A', 'W', 'KWH' as const),
      })
      .map(({ from, length, capacity, phase, unit }) =>
        block({
          capacity: unit === 'A' ? capacity : capacity * 100,
          phase,
          unit,
          start_time: at(from * 5),
          end_time: at((from + length) * 5),
        }),
      );
    fc.assert(
      fc.property(fc.array(arbitraryBlock, { maxLength: 40 }), (blocks) => {
        expect(normaliseBlocks(blocks, threePhase)).toEqual(reference(blocks));
      }),
    );
  });
});
