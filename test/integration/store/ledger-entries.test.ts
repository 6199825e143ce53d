// Issue #15: the lease ledger is kept one row per station (migration 0006), so a reallocation writes what it changed;
// a store from before moves its whole-group documents over, and a document that is not JSON stays for core to report.
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../../src/store/sqlite';
import { migrate, MIGRATIONS } from '../../../src/store/sqlite/migrations';
import { tempDir } from '../../helpers/processes';

describe('0006_ledger_entries', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir('flexbridge-ledger-')));
  afterEach(() => dir.cleanup());

  it('moves each station of a saved group document into its own row; a document that is not JSON stays in plans', () => {
    const file = path.join(dir.dir, 'old.db');
    const db = new Database(file);
    migrate(
      db,
      MIGRATIONS.filter((m) => m.name !== '0006_ledger_entries'),
    );
    const insert = db.prepare('INSERT INTO plans (group_id, computed_at, plan) VALUES (?, ?, ?)');
    const live = { periods: [{ startMs: 0, limitA: 16 }], leaseEndMs: 900_000 };
    insert.run('g1', 'x', JSON.stringify({ ledger: [{ stationId: 'CS-1', standingA: 10 }, { stationId: 'CS-2', live }, { nope: 1 }] }));
    insert.run('g2', 'x', 'not json');
    db.close();

    const store = openSqliteStore(file);
    expect(store.plans.ledgerOf('g1')).toEqual([
      { stationId: 'CS-1', groupId: 'g1', entry: { stationId: 'CS-1', standingA: 10 } },
      { stationId: 'CS-2', groupId: 'g1', entry: { stationId: 'CS-2', live } },
    ]);
    expect(store.plans.get('g1')).toBeUndefined();
    expect(() => store.plans.get('g2')).toThrow(/table plans, row group_id=g2: plan: not JSON/);
    store.close();
  });

  it('writes the rows given and deletes the stations gone, in one transaction, and says how many bytes it wrote', () => {
    const store = openSqliteStore(path.join(dir.dir, 'new.db'));
    const entry = { stationId: 'CS-1', standingA: 16 };
    expect(store.plans.saveLedger([{ stationId: 'CS-1', groupId: 'g1', entry }], [])).toBe(JSON.stringify(entry).length);
    store.plans.saveLedger([{ stationId: 'CS-2', groupId: 'g1', entry: { stationId: 'CS-2' } }], []);
    expect(store.plans.saveLedger([], [])).toBe(0);
    store.plans.saveLedger([{ stationId: 'CS-2', groupId: 'g2', entry: { stationId: 'CS-2', standingA: 8 } }], ['CS-1']);
    expect(store.plans.ledgerOf('g1')).toEqual([]);
    expect(store.plans.ledgerOf('g2')).toEqual([{ stationId: 'CS-2', groupId: 'g2', entry: { stationId: 'CS-2', standingA: 8 } }]);
    store.close();
  });
});
