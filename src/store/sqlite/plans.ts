// SQLite repositories for the lease ledger (one row per station), the group document it replaced, and a small
// key/value space for adapter bookkeeping. All hold JSON documents; callers own their shape.
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { KeyValueRepository, LedgerRow, PlanRepository } from '../../core/ports';
import { readJson, readRow } from './rows';

const PlanRow = z.object({ group_id: z.string().min(1), computed_at: z.string().min(1), plan: z.string() });
const LedgerEntryRow = z.object({ station_id: z.string().min(1), entry: z.string() });

export function sqlitePlans(db: Database): PlanRepository {
  const get = db.prepare('SELECT group_id, computed_at, plan FROM plans WHERE group_id = ?');
  const save = db.prepare(`
    INSERT INTO plans (group_id, computed_at, plan) VALUES (?, ?, ?)
    ON CONFLICT (group_id) DO UPDATE SET computed_at = excluded.computed_at, plan = excluded.plan`);
  const entries = db.prepare('SELECT station_id, entry FROM ledger_entries WHERE group_id = ?');
  const upsert = db.prepare(`
    INSERT INTO ledger_entries (station_id, group_id, entry) VALUES (?, ?, ?)
    ON CONFLICT (station_id) DO UPDATE SET group_id = excluded.group_id, entry = excluded.entry`);
  const remove = db.prepare('DELETE FROM ledger_entries WHERE station_id = ?');
  const saveLedger = db.transaction((changed: readonly LedgerRow[], removed: readonly string[]): number => {
    let bytes = 0;
    for (const row of changed) {
      const json = JSON.stringify(row.entry);
      bytes += json.length;
      upsert.run(row.stationId, row.groupId, json);
    }
    for (const stationId of removed) remove.run(stationId);
    return bytes;
  });
  return {
    ledgerOf: (groupId) =>
      entries.all(groupId).map((raw) => {
        const row = readRow(LedgerEntryRow, 'ledger_entries', `group_id=${groupId}`, raw);
        const where = `station_id=${row.station_id}`;
        return { stationId: row.station_id, groupId, entry: readJson(z.unknown(), 'ledger_entries', where, 'entry', row.entry) };
      }),
    saveLedger: (changed, removed) => (changed.length + removed.length === 0 ? 0 : saveLedger(changed, removed)),
    get: (groupId) => {
      const raw: unknown = get.get(groupId);
      if (raw === undefined) return undefined;
      const row = readRow(PlanRow, 'plans', `group_id=${groupId}`, raw);
      return {
        groupId: row.group_id,
        computedAt: row.computed_at,
        plan: readJson(z.unknown(), 'plans', `group_id=${groupId}`, 'plan', row.plan),
      };
    },
    save: (plan) => {
      save.run(plan.groupId, plan.computedAt, JSON.stringify(plan.plan));
    },
  };
}

export function sqliteKeyValue(db: Database): KeyValueRepository {
  const get = db.prepare('SELECT value FROM kv WHERE key = ?').pluck();
  const set = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  return {
    get: (key) => {
      const value: unknown = get.get(key);
      return value === undefined ? undefined : readJson(z.unknown(), 'kv', `key=${key}`, 'value', String(value));
    },
    set: (key, value) => {
      set.run(key, JSON.stringify(value));
    },
  };
}
