// The operator API's in-memory read models: the bounded history ring (one sample per interval, oldest dropped),
// group sums of measured current kept by difference, and the session book (recent bound, limit history).
import { GroupHistory, SampleRing } from '../../../src/api/history';
import { SessionBook } from '../../../src/api/session-book';
import type { ChargingSession } from '../../../src/domain/session';

const sample = (atMs: number, a: number) => ({
  atMs,
  capacityA: [a, a, a] as const,
  allocatedA: [0, 0, 0] as const,
  measuredA: [0, 0, 0] as const,
});

function session(id: string, patch: Partial<ChargingSession> = {}): ChargingSession {
  return {
    transactionId: id,
    stationId: 'S1',
    groupId: 'g1',
    evseId: 1,
    chargingState: 'Charging',
    startedAt: '2026-01-01T00:00:00.000Z',
    lastSeqNo: 0,
    priority: 0,
    ...patch,
  };
}

describe('SampleRing', () => {
  it('keeps the latest value of each interval and drops the oldest once full', () => {
    const ring = new SampleRing(3, 10_000);
    ring.put(sample(0, 1));
    ring.put(sample(5_000, 2)); // same 10 s slot: replaces
    expect(ring.list().map((s) => [s.atMs, s.capacityA[0]])).toEqual([[5_000, 2]]);
    for (const t of [10_000, 20_000, 30_000]) ring.put(sample(t, t / 10_000 + 2));
    expect(ring.size).toBe(3);
    expect(ring.list().map((s) => s.atMs)).toEqual([10_000, 20_000, 30_000]);
    expect(ring.list(15_000, 25_000).map((s) => s.atMs)).toEqual([20_000]);
  });
});

describe('GroupHistory', () => {
  it('sums measured current per phase by difference, forgets ended sessions, and samples plans', () => {
    const history = new GroupHistory(['g1', 'g2'], { intervalMs: 10_000, retentionMs: 60_000 });
    history.session(session('t1', { measuredCurrentA: [10, 10, 10] }), 1_000);
    history.session(session('t2', { measuredCurrentA: [6, 0, 0] }), 2_000);
    expect(history.measuredA('g1')).toEqual([16, 10, 10]);
    history.session(session('t1', { measuredCurrentA: [8, 8, 8] }), 3_000);
    expect(history.measuredA('g1')).toEqual([14, 8, 8]);
    history.session(session('t2', { groupId: 'g2', measuredCurrentA: [6, 0, 0] }), 4_000);
    expect(history.measuredA('g1')).toEqual([8, 8, 8]);
    expect(history.measuredA('g2')).toEqual([6, 0, 0]);
    history.session(session('t1', { endedAt: '2026-01-01T01:00:00.000Z' }), 5_000);
    expect(history.measuredA('g1')).toEqual([0, 0, 0]);

    history.plan('g1', [32, 32, 32], [20, 20, 20], 12_000);
    history.tick(25_000);
    const samples = history.samples('g1') ?? [];
    expect(samples.map((s) => s.atMs)).toEqual([5_000, 12_000, 25_000]);
    expect(samples.at(-1)).toMatchObject({ capacityA: [32, 32, 32], allocatedA: [20, 20, 20], measuredA: [0, 0, 0] });
    expect(history.samples('nowhere')).toBeUndefined();
  });

  it('holds at most retention / interval samples per group', () => {
    const history = new GroupHistory(['g1'], { intervalMs: 10_000, retentionMs: 30_000 });
    for (let t = 0; t < 100_000; t += 10_000) history.tick(t);
    expect(history.samples('g1')?.map((s) => s.atMs)).toEqual([70_000, 80_000, 90_000]);
  });
});

describe('SessionBook', () => {
  it('tells started, updated and ended apart and keeps a bounded number of ended sessions', () => {
    const book = new SessionBook({ recentLimit: 2, historyLimit: 3 });
    expect(book.update(session('t1'))).toBe('started');
    expect(book.update(session('t1', { chargingState: 'SuspendedEV' }))).toBe('updated');
    expect(book.update(session('t1', { endedAt: '2026-01-01T01:00:00.000Z' }))).toBe('ended');
    expect(book.update(session('t1', { endedAt: '2026-01-01T01:00:00.000Z' }))).toBe('updated');
    for (const id of ['t2', 't3']) {
      book.update(session(id));
      book.update(session(id, { endedAt: '2026-01-01T02:00:00.000Z' }));
    }
    expect(book.recentSessions().map((e) => e.session.transactionId)).toEqual(['t3', 't2']);
    expect(book.get('t1')).toBeUndefined();
    expect([...book.activeSessions()]).toEqual([]);
  });

  it('records a limit change only when the limit or its reason changes, bounded per session', () => {
    const book = new SessionBook({ recentLimit: 10, historyLimit: 3 });
    book.update(session('t1'));
    book.limit('t1', 16, 'fair-share', 1);
    book.limit('t1', 16, 'fair-share', 2);
    book.limit('t1', 0, 'paused-for-capacity', 3);
    book.limit('t1', 10, 'fair-share', 4);
    book.limit('t1', 12, 'fair-share', 5);
    book.limit('unknown', 12, undefined, 6);
    const entry = book.get('t1');
    expect(entry?.history.map((h) => h.atMs)).toEqual([3, 4, 5]);
    expect(entry).toMatchObject({ limitA: 12, reason: 'fair-share' });
  });
});
