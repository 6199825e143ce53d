// Issue #17 item 7: every row read back from a real SQLite file goes through zod; a row that is not what flexbridge
// wrote (damaged, or edited by hand) is a CorruptRowError naming the table, the row and the field — never acted on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Scheduler } from '../../../src/core/scheduler';
import type { Logger } from '../../../src/observability/log';
import { silentLogger } from '../../../src/observability/log';
import { openSqliteStore } from '../../../src/store/sqlite';
import { CorruptRowError } from '../../../src/store/sqlite/rows';
import { quietCore } from '../../helpers/quiet-core';
import { VirtualClock } from '../../helpers/virtual-clock';

const session = {
  transactionId: 'tx-1',
  stationId: 'CS-1',
  groupId: 'g1',
  evseId: 1,
  chargingState: 'Charging',
  startedAt: '2026-01-01T00:00:00.000Z',
  lastSeqNo: 0,
  priority: 0,
};

describe('rows read back from the store are checked', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-corrupt-'));
    file = path.join(dir, 'agent.db');
    openSqliteStore(file).close();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes behind flexbridge's back, as a damaged file or a hand edit would. */
  const tamper = (sql: string, ...params: unknown[]): void => {
    const db = new Database(file);
    db.prepare(sql).run(...params);
    db.close();
  };

  it('sessions: a data document of the wrong shape, or not JSON, names the table, the transaction and the field', () => {
    const store = openSqliteStore(file);
    store.sessions.upsertMany([session as never]);
    expect(store.sessions.get('tx-1')?.chargingState).toBe('Charging');
    tamper(`UPDATE sessions SET data = ? WHERE transaction_id = 'tx-1'`, JSON.stringify({ ...session, chargingState: 'Flying' }));
    expect(() => store.sessions.get('tx-1')).toThrow(CorruptRowError);
    expect(() => store.sessions.get('tx-1')).toThrow(/table sessions, row transaction_id=tx-1: data: chargingState: /);
    expect(() => store.sessions.active()).toThrow(/table sessions/);
    tamper(`UPDATE sessions SET data = '{"transactionId": "tx-1",' WHERE transaction_id = 'tx-1'`);
    expect(() => store.sessions.get('tx-1')).toThrow(/table sessions, row transaction_id=tx-1: data: not JSON/);
    store.close();
  });

  it('stations, peers, forecasts, outbox, plans and kv: a value out of its domain is refused naming its row', () => {
    const store = openSqliteStore(file);
    store.stations.upsert({
      stationId: 'CS-1',
      groupId: 'g1',
      evseMaxCurrentA: 32,
      stationMaxCurrentA: 32,
      evseCount: 1,
      phases: 3,
      controllable: true,
    });
    store.peers.upsert({
      peerId: 'dso',
      role: 'CP',
      state: 'CONNECTED',
      awaitingRegisterReply: false,
      measurementConfiguration: [],
      updatedAt: 'x',
    });
    store.forecasts.append({
      groupId: 'g1',
      type: 'CONSUMPTION',
      requestId: 'f1',
      peerId: 'dso',
      receivedAt: 'x',
      blocks: [],
      endsAt: '2999',
    });
    store.outbox.enqueue({
      peerId: 'dso',
      path: 'heartbeat',
      method: 'POST',
      requestId: 'm1',
      body: {},
      nextAttemptAtMs: 0,
      createdAt: 'x',
    });
    store.plans.save({ groupId: 'g1', computedAt: 'x', plan: { ledger: [] } });
    store.kv.set('energy', { g1: 1 });
    // Station records are written behind (store/sqlite/stations.ts).
    store.stations.flush();

    tamper(`UPDATE stations SET phases = 2`);
    expect(() => store.stations.get('CS-1')).toThrow(/table stations, row station_id=CS-1: phases: /);
    tamper(`UPDATE stations SET phases = 3, smart_charging = '{"profileStackLevel": -1}'`);
    expect(() => store.stations.list()).toThrow(/table stations, row station_id=CS-1: smart_charging: profileStackLevel: /);
    tamper(`UPDATE peers SET state = 'HAPPY'`);
    expect(() => store.peers.get('dso')).toThrow(/table peers, row peer_id=dso: state: /);
    tamper(`UPDATE forecasts SET type = 'WHATEVER'`);
    expect(() => store.forecasts.list({})).toThrow(/table forecasts, row seq=1: type: /);
    tamper(`UPDATE outbox SET method = 'GET'`);
    expect(() => store.outbox.heads()).toThrow(/table outbox, row id=1: method: /);
    tamper(`UPDATE plans SET plan = 'not json'`);
    expect(() => store.plans.get('g1')).toThrow(/table plans, row group_id=g1: plan: not JSON/);
    tamper(`UPDATE kv SET value = '{' WHERE key = 'energy'`);
    expect(() => store.kv.get('energy')).toThrow(/table kv, row key=energy: value: not JSON/);
    store.close();
  });

  it('a saved lease ledger of the wrong shape is not restored, and the error names the group', () => {
    const store = openSqliteStore(file);
    store.plans.save({ groupId: 'g1', computedAt: 'x', plan: { ledger: [{ stationId: 'CS-1', standingA: 'sixteen' }] } });
    const errors: { message: string; meta: unknown }[] = [];
    const logger: Logger = { ...silentLogger, error: (message, meta) => errors.push({ message, meta }), child: () => logger };
    const clock = new VirtualClock(0);
    const core = quietCore(store, { scheduler: new Scheduler(clock), nowMs: () => clock.nowMs() }, logger);
    core.onStationUpdated({
      stationId: 'CS-1',
      groupId: 'g1',
      evseMaxCurrentA: 32,
      stationMaxCurrentA: 32,
      evseCount: 1,
      phases: 3,
      connected: false,
      controllable: true,
      periodsPerSchedule: 1,
      profileStackLevel: 1,
    });
    // Not restored: counted at its 32 A maximum, not at a standing limit read from a broken record.
    expect(core.ledger.assumedLimitA('CS-1', 0)).toBe(32);
    expect(errors).toEqual([
      {
        message: expect.stringMatching(/saved lease ledger is corrupt/),
        meta: expect.objectContaining({ groupId: 'g1', table: 'plans', field: 'ledger.0.standingA' }),
      },
    ]);
    store.close();
  });
});
