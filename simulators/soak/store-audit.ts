// What the agent kept across its restarts, read from its SQLite file after the run (read-only, agent stopped):
// sessions per station, the request ids of stored forecasts, and outbox rows still pending or given up.
import Database from 'better-sqlite3';

export interface StoreAudit {
  /** station id → transaction ids stored, and how many of them are ended. */
  sessions: Map<string, { total: number; ended: number; ids: string[] }>;
  forecastRequestIds: Set<string>;
  outboxPending: number;
  outboxFailed: number;
  /** Messages still kept for the CSMS (Local Controller mode; 0 in direct mode). */
  relayQueued: number;
}

function count(db: Database.Database, sql: string): number {
  const row: unknown = db.prepare(sql).get();
  return typeof row === 'object' && row !== null && 'n' in row ? Number(row.n) : 0;
}

export function readOutbox(file: string): { pending: number; failed: number; relayQueued: number } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return {
      pending: count(db, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'"),
      failed: count(db, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'failed'"),
      // Local Controller mode: station messages kept for the CSMS during an outage, not replayed yet.
      relayQueued: count(db, 'SELECT COUNT(*) AS n FROM relay_queue'),
    };
  } finally {
    db.close();
  }
}

/** `queuedBeforeIso`: outbox rows queued after it (the agent keeps measuring while the soak winds down) are not counted pending. */
export function auditStore(file: string, queuedBeforeIso: string): StoreAudit {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const sessions = new Map<string, { total: number; ended: number; ids: string[] }>();
    for (const row of db.prepare('SELECT station_id, transaction_id, ended_at FROM sessions').all()) {
      if (typeof row !== 'object' || row === null || !('station_id' in row) || !('transaction_id' in row)) continue;
      const id = String(row.station_id);
      const entry = sessions.get(id) ?? { total: 0, ended: 0, ids: [] };
      entry.total++;
      entry.ids.push(String(row.transaction_id));
      if ('ended_at' in row && row.ended_at !== null) entry.ended++;
      sessions.set(id, entry);
    }
    const forecastRequestIds = new Set<string>();
    for (const row of db.prepare('SELECT request_id FROM forecasts').all())
      if (typeof row === 'object' && row !== null && 'request_id' in row) forecastRequestIds.add(String(row.request_id));
    return {
      sessions,
      forecastRequestIds,
      outboxPending: count(db, `SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND created_at < '${queuedBeforeIso}'`),
      outboxFailed: count(db, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'failed'"),
      relayQueued: count(db, 'SELECT COUNT(*) AS n FROM relay_queue'),
    };
  } finally {
    db.close();
  }
}
