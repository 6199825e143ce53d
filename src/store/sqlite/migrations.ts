// Versioned schema migrations for the SQLite store, applied in order and recorded by name.
// Named (not numbered) so each area can append its own without renumbering: never edit an applied one.
import type { Database } from 'better-sqlite3';

export interface Migration {
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    name: '0001_foundation',
    sql: `
      CREATE TABLE peers (
        peer_id TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        state TEXT NOT NULL,
        base_url TEXT,
        outbound_token TEXT,
        inbound_token_hash TEXT UNIQUE,
        awaiting_register_reply INTEGER NOT NULL DEFAULT 0,
        heartbeat_interval_s REAL,
        measurement_configuration TEXT NOT NULL DEFAULT '[]',
        offline_mode_at TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE forecasts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id TEXT NOT NULL,
        type TEXT NOT NULL,
        request_id TEXT NOT NULL,
        peer_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        blocks TEXT NOT NULL,
        ends_at TEXT NOT NULL
      );
      CREATE INDEX forecasts_group_end ON forecasts (group_id, ends_at);
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        peer_id TEXT NOT NULL,
        path TEXT NOT NULL,
        method TEXT NOT NULL,
        request_id TEXT NOT NULL,
        correlation_id TEXT,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at_ms INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        last_error TEXT,
        status TEXT NOT NULL DEFAULT 'pending'
      );
      CREATE INDEX outbox_due ON outbox (status, next_attempt_at_ms);
      CREATE TABLE stations (
        station_id TEXT PRIMARY KEY,
        group_id TEXT NOT NULL,
        password_hash TEXT,
        evse_max_current_a REAL NOT NULL,
        station_max_current_a REAL NOT NULL,
        evse_count INTEGER NOT NULL,
        phases INTEGER NOT NULL,
        controllable INTEGER NOT NULL DEFAULT 1,
        smart_charging TEXT,
        last_seen_at TEXT
      );
      CREATE INDEX stations_group ON stations (group_id);
      CREATE TABLE sessions (
        transaction_id TEXT PRIMARY KEY,
        station_id TEXT NOT NULL,
        group_id TEXT NOT NULL,
        ended_at TEXT,
        data TEXT NOT NULL
      );
      CREATE INDEX sessions_active ON sessions (ended_at, group_id);
      CREATE INDEX sessions_station ON sessions (station_id);
      CREATE TABLE plans (
        group_id TEXT PRIMARY KEY,
        computed_at TEXT NOT NULL,
        plan TEXT NOT NULL
      );
      CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    // Paging ended sessions newest first by (ended_at, transaction_id), overall, per group and per station, with
    // their COUNT. Partial indexes: active rows, rewritten on every meter value batch, are in none of them.
    name: '0002_sessions_ended_paging',
    sql: `
      CREATE INDEX sessions_ended ON sessions (ended_at, transaction_id) WHERE ended_at IS NOT NULL;
      CREATE INDEX sessions_group_ended ON sessions (group_id, ended_at, transaction_id) WHERE ended_at IS NOT NULL;
      CREATE INDEX sessions_station_ended ON sessions (station_id, ended_at, transaction_id) WHERE ended_at IS NOT NULL;
    `,
  },
  {
    // Local Controller mode: what the CSMS must still learn while it is unreachable, one FIFO per station.
    name: '0003_relay_queue',
    sql: `
      CREATE TABLE relay_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        station_id TEXT NOT NULL,
        action TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at TEXT NOT NULL,
        kind TEXT NOT NULL
      );
      CREATE INDEX relay_queue_station ON relay_queue (station_id, id);
    `,
  },
  {
    // Issue #17 item 4: delivery reads each peer's head through a partial index instead of every pending row, and
    // failed rows carry when they failed so they can be pruned (those failed before this migration count from now).
    name: '0004_outbox_heads_and_failed_retention',
    sql: `
      ALTER TABLE outbox ADD COLUMN failed_at_ms INTEGER;
      UPDATE outbox SET failed_at_ms = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE status = 'failed';
      CREATE INDEX outbox_pending_peer ON outbox (peer_id, id) WHERE status = 'pending';
      CREATE INDEX outbox_failed_at ON outbox (failed_at_ms) WHERE status = 'failed';
      `,
  },
  {
    // OCPP 1.6J beside 2.0.1: the version of each station's last connection and what its last boot said.
    name: '0005_station_protocol',
    sql: `
      ALTER TABLE stations ADD COLUMN protocol TEXT;
      ALTER TABLE stations ADD COLUMN boot_info TEXT;
    `,
  },
  {
    // Issue #15: the lease ledger one row per station, so a reallocation writes only the stations it changed. The
    // whole-group documents move over; a row that is not valid JSON stays in plans, where core reports it.
    name: '0006_ledger_entries',
    sql: `
      CREATE TABLE ledger_entries (
        station_id TEXT PRIMARY KEY,
        group_id TEXT NOT NULL,
        entry TEXT NOT NULL
      );
      CREATE INDEX ledger_entries_group ON ledger_entries (group_id);
      INSERT OR REPLACE INTO ledger_entries (station_id, group_id, entry)
        SELECT json_extract(e.value, '$.stationId'), p.group_id, e.value
        FROM plans p, json_each(p.plan, '$.ledger') e
        WHERE json_valid(p.plan) AND json_type(e.value, '$.stationId') = 'text';
      DELETE FROM plans WHERE json_valid(plan);
    `,
  },
];

/** Applies every migration not yet recorded, each in its own transaction. Returns the names applied. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): string[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(db.prepare('SELECT name FROM schema_migrations').pluck().all().map(String));
  const record = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  const done: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.name, new Date().toISOString());
    })();
    done.push(migration.name);
  }
  return done;
}
