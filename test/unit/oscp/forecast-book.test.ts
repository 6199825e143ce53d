// The forecast book: replacement by span, queries at an instant and over a window, OPTIMUM of an offline
// optimizer, pruning, and a rebuild from store.forecasts that gives the same book (digest §13, §6.4).
import { openSqliteStore } from '../../../src/store/sqlite';
import type { Store } from '../../../src/core/ports';
import { ForecastBook, type BookForecast } from '../../../src/oscp/forecast-book';
import { replayForecasts } from '../../../src/oscp/forecast-intake';
import { silentLogger } from '../../../src/observability/log';
import type { GroupSettings } from '../../../src/oscp/config';
import { GroupConfig } from '../../../src/config/sections';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const min = (m: number): number => T0 + m * 60_000;
const forecast = (requestId: string, blocks: [number, number, number][], over: Partial<BookForecast> = {}): BookForecast => ({
  groupId: 'g1',
  type: 'CONSUMPTION',
  requestId,
  peerId: 'dso',
  unit: 'A',
  blocks: blocks.map(([from, to, a]) => ({ startMs: min(from), endMs: min(to), limitA: [a, a, a] })),
  ...over,
});
const spans = (book: ForecastBook, type: BookForecast['type'] = 'CONSUMPTION'): [number, number, number, string][] =>
  book.entries('g1', type, -Infinity, Infinity).map((e) => [(e.startMs - T0) / 60_000, (e.endMs - T0) / 60_000, e.limitA[0], e.requestId]);

describe('forecast book', () => {
  let online: Set<string>;
  let book: ForecastBook;
  beforeEach(() => {
    online = new Set(['dso', 'co']);
    book = new ForecastBook({ groupPeer: (g) => (g === 'g1' ? 'dso' : undefined), peerOnline: (p) => online.has(p) });
  });

  it('§13 — a new forecast replaces exactly the span its blocks cover; the rest stays', () => {
    book.apply(
      forecast('day-ahead', [
        [0, 60, 40],
        [60, 120, 30],
      ]),
    );
    book.apply(forecast('emergency', [[30, 90, 10]]));
    expect(spans(book)).toEqual([
      [0, 30, 40, 'day-ahead'],
      [30, 90, 10, 'emergency'],
      [90, 120, 30, 'day-ahead'],
    ]);
  });

  it('§13 — gaps inside a new forecast keep older values', () => {
    book.apply(forecast('a', [[0, 60, 40]]));
    book.apply(
      forecast('b', [
        [0, 15, 20],
        [45, 60, 25],
      ]),
    );
    expect(spans(book)).toEqual([
      [0, 15, 20, 'b'],
      [15, 45, 40, 'a'],
      [45, 60, 25, 'b'],
    ]);
  });

  it('§13 — types and groups are separate series', () => {
    book.apply(forecast('c', [[0, 60, 40]]));
    book.apply(forecast('fc', [[0, 60, 10]], { type: 'FALLBACK_CONSUMPTION' }));
    book.apply(forecast('other', [[0, 60, 5]], { groupId: 'g2' }));
    expect(book.blocks('g1', 'CONSUMPTION', min(0), min(60)).map((b) => b.limitA[0])).toEqual([40]);
    expect(book.blocks('g1', 'FALLBACK_CONSUMPTION', min(0), min(60)).map((b) => b.limitA[0])).toEqual([10]);
    expect(book.blocks('g2', 'CONSUMPTION', min(0), min(60)).map((b) => b.limitA[0])).toEqual([5]);
    expect(book.blocks('g1', 'GENERATION', min(0), min(60))).toEqual([]);
  });

  it('ForecastSource — blocks over [t0,t1) in epoch ms, the request id in force at t, end exclusive', () => {
    book.apply(
      forecast('a', [
        [0, 15, 40],
        [15, 30, 30],
        [30, 45, 20],
      ]),
    );
    const blocks = book.blocks('g1', 'CONSUMPTION', min(10), min(30));
    expect(blocks.map((b) => [new Date(b.startMs).toISOString(), new Date(b.endMs).toISOString(), b.limitA])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-01-01T00:15:00.000Z', [40, 40, 40]],
      ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z', [30, 30, 30]],
    ]);
    book.apply(forecast('b', [[15, 30, 25]]));
    expect(book.requestIdAt('g1', 'CONSUMPTION', min(14))).toBe('a');
    expect(book.requestIdAt('g1', 'CONSUMPTION', min(15))).toBe('b');
    expect(book.requestIdAt('g1', 'CONSUMPTION', min(45))).toBeUndefined();
    expect(book.at('g1', 'CONSUMPTION', min(20))?.limitA).toEqual([25, 25, 25]);
  });

  it('§6.4 — peerOnline(group) follows the group’s Capacity Provider; a group without one is never online', () => {
    expect(book.peerOnline('g1')).toBe(true);
    online.delete('dso');
    expect(book.peerOnline('g1')).toBe(false);
    expect(book.peerOnline('g2')).toBe(false);
  });

  it('§6.4 — OPTIMUM of an optimizer that is offline is ignored', () => {
    book.apply(forecast('opt', [[0, 60, 12]], { type: 'OPTIMUM', peerId: 'co' }));
    expect(book.blocks('g1', 'OPTIMUM', min(0), min(60))).toHaveLength(1);
    online.delete('co');
    expect(book.blocks('g1', 'OPTIMUM', min(0), min(60))).toEqual([]);
  });

  it('remembers peer and unit per forecast for answers in the peer’s own unit; prune forgets ended ones', () => {
    book.apply(forecast('a', [[0, 15, 40]], { unit: 'KW' }));
    book.apply(forecast('b', [[15, 60, 30]], { unit: 'A' }));
    expect(book.forecast('a')).toMatchObject({ peerId: 'dso', unit: 'KW', groupId: 'g1' });
    expect(book.unitOf('g1', 'CONSUMPTION')).toBe('A');
    expect(book.prune(min(15))).toBe(1);
    expect(spans(book)).toEqual([[15, 60, 30, 'b']]);
    expect(book.forecast('a')).toBeUndefined();
  });

  describe('rebuilt from store.forecasts', () => {
    let store: Store;
    const group: GroupSettings = GroupConfig.parse({ id: 'g1', peerId: 'dso', safeLimitA: 16 });
    const replay = (target: ForecastBook, nowMs: number): number =>
      replayForecasts({ book: target, store, groups: new Map([['g1', group]]), nowMs: () => nowMs, logger: silentLogger });
    beforeEach(() => {
      store = openSqliteStore(':memory:');
    });
    afterEach(() => store.close());

    const record = (requestId: string, blocks: object[], endsAt: string): void => {
      store.forecasts.append({
        groupId: 'g1',
        type: 'CONSUMPTION',
        requestId,
        peerId: 'dso',
        receivedAt: '2026-01-01T00:00:00.000Z',
        blocks,
        endsAt,
      });
    };
    const kw = (from: number, to: number, capacity: number): object => ({
      capacity,
      phase: 'ALL',
      unit: 'KW',
      start_time: new Date(min(from)).toISOString(),
      end_time: new Date(min(to)).toISOString(),
    });

    it('§13 — replays in arrival order and gives the same stretches, in amps', () => {
      record('day-ahead', [kw(0, 60, 22.08), kw(60, 120, 13.8)], new Date(min(120)).toISOString());
      record('emergency', [kw(30, 90, 6.9)], new Date(min(90)).toISOString());
      record('unreadable', [{ capacity: 'lots' }], new Date(min(90)).toISOString());
      const rebuilt = new ForecastBook({ groupPeer: () => 'dso', peerOnline: () => true });
      expect(replay(rebuilt, min(0))).toBe(2);
      expect(spans(rebuilt).map(([a, b, l, r]) => [a, b, Math.round(l * 10) / 10, r])).toEqual([
        [0, 30, 32, 'day-ahead'],
        [30, 90, 10, 'emergency'],
        [90, 120, 20, 'day-ahead'],
      ]);
      expect(rebuilt.unitOf('g1', 'CONSUMPTION')).toBe('KW');
    });

    it('prune — replay skips forecasts that ended; pruning drops them from book and store', () => {
      record('old', [kw(0, 15, 10)], new Date(min(15)).toISOString());
      record('new', [kw(15, 30, 10)], new Date(min(30)).toISOString());
      const rebuilt = new ForecastBook({ groupPeer: () => 'dso', peerOnline: () => true });
      replay(rebuilt, min(0));
      rebuilt.prune(min(20));
      store.forecasts.prune(new Date(min(20)).toISOString());
      expect(store.forecasts.list({}).map((f) => f.requestId)).toEqual(['new']);
      expect(spans(rebuilt).map((s) => s[3])).toEqual(['new']);
    });
  });
});
