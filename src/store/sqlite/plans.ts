// SQLite repositories for the last plan per group and a small key/value space for adapter bookkeeping.
// Both hold JSON documents; callers own their shape.
import type { Database } from 'better-sqlite3';
import type { KeyValueRepository, PlanRepository } from '../../core/ports';

export function sqlitePlans(db: Database): PlanRepository {
  const get = db.prepare('SELECT group_id, computed_at, plan FROM plans WHERE group_id = ?');
  const save = db.prepare(`
    INSERT INTO plans (group_id, computed_at, plan) VALUES (?, ?, ?)
    ON CONFLICT (group_id) DO UPDATE SET computed_at = excluded.computed_at, plan = excluded.plan`);
  return {
    get: (groupId) => {
      const row = get.get(groupId) as { group_id: string; computed_at: string; plan: string } | undefined;
      return row && { groupId: row.group_id, computedAt: row.computed_at, plan: JSON.parse(row.plan) as unknown };
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
      const value = get.get(key) as string | undefined;
      return value === undefined ? undefined : (JSON.parse(value) as unknown);
    },
    set: (key, value) => {
      set.run(key, JSON.stringify(value));
    },
  };
}
