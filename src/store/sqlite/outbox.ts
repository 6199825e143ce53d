// SQLite repository of queued outbound OSCP requests: the persistent outbox that survives restarts.
// A message is deleted once delivered; a permanent failure stays in the table with its error (nothing reads it back).
import type { Database } from 'better-sqlite3';
import type { OutboxMessage, OutboxRepository } from '../../core/ports';

interface OutboxRow {
  id: number;
  peer_id: string;
  path: string;
  method: OutboxMessage['method'];
  request_id: string;
  correlation_id: string | null;
  body: string;
  attempts: number;
  next_attempt_at_ms: number;
  created_at: string;
  last_error: string | null;
  status: OutboxMessage['status'];
}

function fromRow(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    peerId: row.peer_id,
    path: row.path,
    method: row.method,
    requestId: row.request_id,
    correlationId: row.correlation_id ?? undefined,
    body: JSON.parse(row.body) as unknown,
    attempts: row.attempts,
    nextAttemptAtMs: row.next_attempt_at_ms,
    createdAt: row.created_at,
    lastError: row.last_error ?? undefined,
    status: row.status,
  };
}

export function sqliteOutbox(db: Database): OutboxRepository {
  const insert = db.prepare(`
    INSERT INTO outbox (peer_id, path, method, request_id, correlation_id, body, next_attempt_at_ms, created_at)
    VALUES (@peer_id, @path, @method, @request_id, @correlation_id, @body, @next_attempt_at_ms, @created_at)`);
  const pending = db.prepare(`SELECT * FROM outbox WHERE status = 'pending' ORDER BY id`);
  const remove = db.prepare('DELETE FROM outbox WHERE id = ?');
  const retry = db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at_ms = ?, last_error = ? WHERE id = ?');
  const fail = db.prepare(`UPDATE outbox SET attempts = attempts + 1, status = 'failed', last_error = ? WHERE id = ?`);
  return {
    enqueue: (message) =>
      Number(
        insert.run({
          peer_id: message.peerId,
          path: message.path,
          method: message.method,
          request_id: message.requestId,
          correlation_id: message.correlationId ?? null,
          body: JSON.stringify(message.body ?? null),
          next_attempt_at_ms: message.nextAttemptAtMs,
          created_at: message.createdAt,
        }).lastInsertRowid,
      ),
    pending: () => (pending.all() as OutboxRow[]).map(fromRow),
    delivered: (id) => {
      remove.run(id);
    },
    retryLater: (id, nextAttemptAtMs, error) => {
      retry.run(nextAttemptAtMs, error, id);
    },
    failPermanently: (id, error) => {
      fail.run(error, id);
    },
  };
}
