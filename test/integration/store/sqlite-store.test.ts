// The SQLite store on a real file: every repository round-trips, migrations are versioned and idempotent,
// and data is still there after closing and reopening.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore, StoreOpenError } from '../../../src/store/sqlite';
import { STATION_WRITE_DELAY_MS } from '../../../src/store/sqlite/stations';
import { VirtualClock } from '../../helpers/virtual-clock';
import { migrate, MIGRATIONS } from '../../../src/store/sqlite/migrations';
import type { Store } from '../../../src/core/ports';
import { tempDir } from '../../helpers/processes';

/** A running session's fields, less its transaction id. */
const charging = {
  stationId: 'CS-1',
  groupId: 'g1',
  evseId: 1,
  chargingState: 'Charging' as const,
  startedAt: '2026-01-01T00:00:00.000Z',
  lastSeqNo: 0,
  priority: 0,
};

describe('SQLite store', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  let store: Store;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = path.join(dir, 'nested', 'flexbridge.db');
    store = openSqliteStore(file);
  });
  afterEach(() => {
    store.close();
    cleanup();
  });

  const reopen = (): Store => {
    store.close();
    store = openSqliteStore(file);
    return store;
  };

  it('the database and its WAL files are readable by their owner only (0600), in a folder it created 0700', () => {
    store.kv.set('probe', 1);
    const mode = (f: string): number => fs.statSync(f).mode & 0o777;
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(path.dirname(file))).toBe(0o700);
  });

  it('creates its folder, uses WAL and records applied migrations', () => {
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT name FROM schema_migrations').pluck().all()).toEqual(MIGRATIONS.map((m) => m.name));
    db.close();
  });

  it('applies a migration only once, and new ones in order', () => {
    store.close();
    const db = new Database(file);
    expect(migrate(db)).toEqual([]);
    const extra = [...MIGRATIONS, { name: 'zz_test_extra', sql: 'CREATE TABLE extra (x INTEGER)' }];
    expect(migrate(db, extra)).toEqual(['zz_test_extra']);
    expect(migrate(db, extra)).toEqual([]);
    db.close();
    store = openSqliteStore(file);
  });

  it('peers: upsert, find by inbound token hash, delete — and survive reopen', () => {
    store.peers.upsert({
      peerId: 'dso',
      role: 'CP',
      state: 'CONNECTED',
      baseUrl: 'https://dso/oscp/cp/2.0',
      outboundToken: 'out',
      inboundTokenHash: 'abc123',
      awaitingRegisterReply: false,
      heartbeatIntervalS: 60,
      measurementConfiguration: ['CONTINUOUS'],
      offlineModeAt: '2026-01-01T00:03:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    reopen();
    expect(store.peers.findByInboundTokenHash('abc123')).toMatchObject({
      peerId: 'dso',
      state: 'CONNECTED',
      outboundToken: 'out',
      measurementConfiguration: ['CONTINUOUS'],
      awaitingRegisterReply: false,
    });
    store.peers.upsert({ ...store.peers.get('dso')!, state: 'OFFLINE', inboundTokenHash: undefined });
    expect(store.peers.get('dso')).toMatchObject({ state: 'OFFLINE', inboundTokenHash: undefined });
    store.peers.delete('dso');
    expect(store.peers.list()).toEqual([]);
  });

  it('forecasts: appended in order, listed by group and end, pruned', () => {
    const base = { type: 'CONSUMPTION' as const, peerId: 'dso', receivedAt: '2026-01-01T00:00:00.000Z', blocks: [{ capacity: 10 }] };
    store.forecasts.append({ ...base, groupId: 'g1', requestId: 'r1', endsAt: '2026-01-01T01:00:00.000Z' });
    store.forecasts.append({ ...base, groupId: 'g2', requestId: 'r2', endsAt: '2026-01-02T00:00:00.000Z' });
    store.forecasts.append({ ...base, groupId: 'g1', requestId: 'r3', endsAt: '2026-01-02T00:00:00.000Z' });
    reopen();
    expect(store.forecasts.list({ groupId: 'g1' }).map((f) => f.requestId)).toEqual(['r1', 'r3']);
    expect(store.forecasts.list({ endsAfter: '2026-01-01T12:00:00.000Z' }).map((f) => f.requestId)).toEqual(['r2', 'r3']);
    expect(store.forecasts.prune('2026-01-01T12:00:00.000Z')).toBe(1);
    expect(store.forecasts.list({}).map((f) => f.blocks)).toEqual([[{ capacity: 10 }], [{ capacity: 10 }]]);
  });

  it('outbox: pending oldest first, retried, failed for good (kept with its error, no longer pending), delivered', () => {
    const message = {
      peerId: 'dso',
      path: 'update_group_measurements',
      method: 'POST' as const,
      body: { a: 1 },
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    const first = store.outbox.enqueue({ ...message, requestId: 'm1', nextAttemptAtMs: 100 });
    const second = store.outbox.enqueue({ ...message, requestId: 'm2', correlationId: 'c2', nextAttemptAtMs: 200 });
    expect(store.outbox.pending().map((m) => m.requestId)).toEqual(['m1', 'm2']);
    store.outbox.retryLater(first, 300, '503 Service Unavailable');
    store.outbox.failPermanently(second, '400 Bad Request', 400);
    reopen();
    expect(store.outbox.pending()).toEqual([
      expect.objectContaining({
        requestId: 'm1',
        attempts: 1,
        nextAttemptAtMs: 300,
        lastError: '503 Service Unavailable',
        status: 'pending',
      }),
    ]);
    const db = new Database(file, { readonly: true });
    expect(db.prepare(`SELECT request_id, correlation_id, attempts, last_error FROM outbox WHERE status = 'failed'`).all()).toEqual([
      { request_id: 'm2', correlation_id: 'c2', attempts: 1, last_error: '400 Bad Request' },
    ]);
    db.close();
    store.outbox.delivered(first);
    expect(store.outbox.pending()).toEqual([]);
  });

  it('stations: upsert with smart-charging limits, list by group', () => {
    store.stations.upsert({
      stationId: 'CS-1',
      groupId: 'g1',
      evseMaxCurrentA: 32,
      stationMaxCurrentA: 63,
      evseCount: 2,
      phases: 3,
      controllable: true,
      smartCharging: { profileStackLevel: 2, periodsPerSchedule: 24, rateUnits: ['A', 'W'] },
    });
    store.stations.upsert({
      stationId: 'CS-2',
      groupId: 'g2',
      evseMaxCurrentA: 16,
      stationMaxCurrentA: 16,
      evseCount: 1,
      phases: 1,
      controllable: false,
    });
    reopen();
    expect(store.stations.list({ groupId: 'g1' })).toEqual([
      expect.objectContaining({
        stationId: 'CS-1',
        smartCharging: { profileStackLevel: 2, periodsPerSchedule: 24, rateUnits: ['A', 'W'] },
      }),
    ]);
    expect(store.stations.get('CS-2')).toMatchObject({ controllable: false, smartCharging: undefined });
    store.stations.delete('CS-2');
    expect(store.stations.list().map((s) => s.stationId)).toEqual(['CS-1']);
  });

  it('stations: the writes of 100 ms land together in one transaction, and are read back before they land', () => {
    const clock = new VirtualClock();
    store.close();
    store = openSqliteStore(file, { clock });
    const record = (stationId: string, evseCount: number) => ({
      stationId,
      groupId: 'g1',
      evseMaxCurrentA: 32,
      stationMaxCurrentA: 32 * evseCount,
      evseCount,
      phases: 3 as const,
      controllable: true,
    });
    const other = new Database(file, { readonly: true });
    const inFile = (): unknown[] => other.prepare('SELECT station_id, evse_count FROM stations ORDER BY station_id').all();
    const commitsBefore = other.pragma('data_version', { simple: true }) as number;
    for (let i = 1; i <= 50; i++) store.stations.upsert(record(`CS-${i}`, 1));
    store.stations.upsert(record('CS-1', 2));
    clock.advance(STATION_WRITE_DELAY_MS - 1);
    store.stations.delete('CS-50');
    // Not yet in the file, but the repository answers with what it was told.
    expect(inFile()).toEqual([]);
    expect(store.stations.get('CS-1')?.evseCount).toBe(2);
    expect(store.stations.get('CS-50')).toBeUndefined();
    clock.advance(1);
    expect(inFile()).toHaveLength(49);
    expect(inFile()).toContainEqual({ station_id: 'CS-1', evse_count: 2 });
    // One commit, seen by another connection, for all 52 writes.
    expect(other.pragma('data_version', { simple: true })).toBe(commitsBefore + 1);
    // flush(), list() and close() write what is pending first.
    store.stations.upsert(record('CS-60', 1));
    store.stations.flush();
    expect(inFile()).toContainEqual({ station_id: 'CS-60', evse_count: 1 });
    store.stations.upsert(record('CS-61', 1));
    expect(store.stations.list().map((s) => s.stationId)).toContain('CS-61');
    store.stations.upsert(record('CS-62', 1));
    store.close();
    expect(inFile()).toContainEqual({ station_id: 'CS-62', evse_count: 1 });
    other.close();
    store = openSqliteStore(file);
  });

  it('sessions: batched upsert, active filters, ended sessions drop out and are pruned', () => {
    const session = charging;
    store.sessions.upsertMany([
      { ...session, transactionId: 't1' },
      { ...session, transactionId: 't2', stationId: 'CS-2' },
      { ...session, transactionId: 't3', groupId: 'g2', stationId: 'CS-3' },
    ]);
    store.sessions.upsertMany([{ ...session, transactionId: 't1', endedAt: '2026-01-01T01:00:00.000Z', lastSeqNo: 5 }]);
    reopen();
    expect(store.sessions.active({ groupId: 'g1' }).map((s) => s.transactionId)).toEqual(['t2']);
    expect(store.sessions.active({ stationId: 'CS-3' }).map((s) => s.transactionId)).toEqual(['t3']);
    expect(store.sessions.get('t1')).toMatchObject({ lastSeqNo: 5, endedAt: '2026-01-01T01:00:00.000Z' });
    expect(store.sessions.prune('2026-01-02T00:00:00.000Z')).toBe(1);
    expect(store.sessions.get('t1')).toBeUndefined();
  });

  it('sessions: a reading rewrites the document only; a move to another group or station rewrites the keys too', () => {
    const session = { ...charging, transactionId: 't1' };
    store.sessions.upsertMany([session]);
    store.sessions.upsertMany([{ ...session, meterWh: 1_500 }]);
    store.sessions.upsertMany([{ ...session, meterWh: 1_600, groupId: 'g2', stationId: 'CS-2' }]);
    reopen();
    expect(store.sessions.active({ groupId: 'g1' })).toEqual([]);
    expect(store.sessions.active({ stationId: 'CS-1' })).toEqual([]);
    expect(store.sessions.active({ groupId: 'g2', stationId: 'CS-2' })).toEqual([
      { ...session, meterWh: 1_600, groupId: 'g2', stationId: 'CS-2' },
    ]);
    store.sessions.upsertMany([{ ...session, groupId: 'g2', stationId: 'CS-2', endedAt: '2026-01-01T01:00:00.000Z' }]);
    expect(store.sessions.active()).toEqual([]);
    expect(store.sessions.ended({ groupId: 'g2', limit: 5 }).sessions.map((s) => s.transactionId)).toEqual(['t1']);
  });

  it('sessions: ended ones page newest first by (endedAt, transactionId) with the filtered total, through their indexes', () => {
    const base = { evseId: 1, chargingState: 'Idle' as const, startedAt: '2026-01-01T00:00:00.000Z', lastSeqNo: 0, priority: 0 };
    const endedAt = (minute: number): string => new Date(Date.UTC(2026, 0, 2, 0, minute)).toISOString();
    // Pairs share an end time, so the transactionId decides their order; one session still active counts nowhere.
    store.sessions.upsertMany([
      ...Array.from({ length: 10 }, (_, i) => ({
        ...base,
        transactionId: `t${i}`,
        stationId: `CS-${i % 3}`,
        groupId: i % 2 === 0 ? 'g1' : 'g2',
        endedAt: endedAt(Math.floor(i / 2)),
      })),
      { ...base, transactionId: 'live', stationId: 'CS-0', groupId: 'g1' },
    ]);
    reopen();
    const ids = (page: { sessions: { transactionId: string }[] }): string[] => page.sessions.map((s) => s.transactionId);
    const first = store.sessions.ended({ limit: 4 });
    expect(first.total).toBe(10);
    expect(ids(first)).toEqual(['t9', 't8', 't7', 't6']);
    const last = first.sessions.at(-1)!;
    const second = store.sessions.ended({ limit: 4, after: { endedAt: last.endedAt!, transactionId: last.transactionId } });
    expect(ids(second)).toEqual(['t5', 't4', 't3', 't2']);
    expect(ids(store.sessions.ended({ limit: 4, after: { endedAt: endedAt(1), transactionId: 't2' } }))).toEqual(['t1', 't0']);
    expect(store.sessions.ended({ groupId: 'g1', limit: 100 })).toMatchObject({ total: 5 });
    expect(ids(store.sessions.ended({ groupId: 'g1', limit: 100 }))).toEqual(['t8', 't6', 't4', 't2', 't0']);
    expect(ids(store.sessions.ended({ stationId: 'CS-0', limit: 100 }))).toEqual(['t9', 't6', 't3', 't0']);
    const both = store.sessions.ended({ stationId: 'CS-0', groupId: 'g2', limit: 1 });
    expect({ ids: ids(both), total: both.total }).toEqual({ ids: ['t9'], total: 2 });
    expect(store.sessions.ended({ groupId: 'nobody', limit: 10 })).toEqual({ sessions: [], total: 0 });

    store.close();
    const db = new Database(file, { readonly: true });
    const plan = (sql: string): string =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all()
        .map((row) => JSON.stringify(row))
        .join(' ');
    const order = 'ORDER BY ended_at DESC, transaction_id DESC LIMIT 10';
    const after = "(ended_at, transaction_id) < ('x', 'y')";
    expect(plan(`SELECT data FROM sessions WHERE ended_at IS NOT NULL AND ${after} ${order}`)).toContain('sessions_ended');
    expect(plan(`SELECT data FROM sessions WHERE ended_at IS NOT NULL AND group_id = 'g1' AND ${after} ${order}`)).toContain(
      'sessions_group_ended',
    );
    expect(plan(`SELECT data FROM sessions WHERE ended_at IS NOT NULL AND station_id = 'CS-1' ${order}`)).toContain(
      'sessions_station_ended',
    );
    expect(plan(`SELECT data FROM sessions WHERE ended_at IS NOT NULL ${order}`)).not.toContain('TEMP B-TREE');
    db.close();
    store = openSqliteStore(file);
  });

  it('plans and key/value documents survive reopen', () => {
    store.plans.save({ groupId: 'g1', computedAt: '2026-01-01T00:00:00.000Z', plan: { sessions: [{ limitA: [16, 16, 16] }] } });
    store.kv.set('meter:g1', { energyWh: 1234 });
    reopen();
    expect(store.plans.get('g1')).toEqual({
      groupId: 'g1',
      computedAt: '2026-01-01T00:00:00.000Z',
      plan: { sessions: [{ limitA: [16, 16, 16] }] },
    });
    expect(store.kv.get('meter:g1')).toEqual({ energyWh: 1234 });
    expect(store.kv.get('missing')).toBeUndefined();
  });

  it('a failed transaction changes nothing', () => {
    expect(() =>
      store.transaction(() => {
        store.kv.set('a', 1);
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(store.kv.get('a')).toBeUndefined();
  });

  it('refuses to open a path it cannot create, with the path in the message', () => {
    const blocked = path.join(dir, 'nested', 'flexbridge.db', 'sub', 'cannot.db');
    expect(() => openSqliteStore(blocked)).toThrow(StoreOpenError);
    expect(() => openSqliteStore(blocked)).toThrow(`cannot open the store at ${blocked}`);
  });
});
