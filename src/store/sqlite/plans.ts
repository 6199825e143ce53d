// SQLite repositories for the last plan per group and a small key/value space for adapter bookkeeping.
// Both hold JSON documents; callers own their shape.
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { KeyValueRepository, PlanRepository } from '../../core/ports';
import { readJson, readRow } from './rows';

const PlanRow = z.object({ group_id: z.string().min(1), computed_at: z.string().min(1), plan: z.string() });

export function sqlitePlans(db: Database): PlanRepository {
  const get = db.prepare('SELECT group_id, computed_at, plan FROM plans WHERE group_id = ?');
  const save = db.prepare(`
    INSERT INTO plans (group_id, computed_at, plan) VALUES (?, ?, ?)
    ON CONFLICT (group_id) DO UPDATE SET computed_at = excluded.computed_at, plan = excluded.plan`);
  return {
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
