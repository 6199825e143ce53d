// SQLite repository of queued outbound OSCP requests: the persistent outbox that survives restarts.
// A message is deleted once delivered; a permanent failure stays (for diagnosis) until pruneFailed removes it.
// Delivery reads heads only — the oldest pending message per peer — through a partial index, never the whole queue.
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { OutboxMessage, OutboxRepository } from '../../core/ports';
import { keyOf, readJson, readRow } from './rows';

const Row = z.object({
  id: z.number().int(),
  peer_id: z.string().min(1),
  path: z.string().min(1),
  method: z.enum(['POST', 'PUT', 'DELETE']),
  request_id: z.string().min(1),
  correlation_id: z.string().nullable(),
  body: z.string(),
  attempts: z.number().int().min(0),
  next_attempt_at_ms: z.number(),
  created_at: z.string(),
  last_error: z.string().nullable(),
  status: z.enum(['pending', 'failed']),
});

function fromRow(raw: unknown): OutboxMessage {
  const row = readRow(Row, 'outbox', keyOf(raw, 'id'), raw);
  return {
    id: row.id,
    peerId: row.peer_id,
    path: row.path,
    method: row.method,
    requestId: row.request_id,
    correlationId: row.correlation_id ?? undefined,
    body: readJson(z.unknown(), 'outbox', `id=${row.id}`, 'body', row.body),
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
  // A skip scan over the partial index outbox_pending_peer (peer_id, id): one probe per peer with a queue, so a
  // 100,000-row backlog costs a kick what a single message does.
  const heads = db.prepare(`
    WITH RECURSIVE queued(peer_id) AS (
      SELECT MIN(peer_id) FROM outbox INDEXED BY outbox_pending_peer WHERE status = 'pending'
      UNION ALL
      SELECT (SELECT MIN(peer_id) FROM outbox INDEXED BY outbox_pending_peer WHERE status = 'pending' AND peer_id > queued.peer_id)
      FROM queued WHERE queued.peer_id IS NOT NULL
    )
    SELECT o.* FROM queued
    JOIN outbox o ON o.id = (
      SELECT MIN(id) FROM outbox INDEXED BY outbox_pending_peer WHERE status = 'pending' AND peer_id = queued.peer_id
    )
    ORDER BY o.id`);
  const head = db.prepare(
    `SELECT * FROM outbox INDEXED BY outbox_pending_peer WHERE status = 'pending' AND peer_id = ? ORDER BY id LIMIT 1`,
  );
  const remove = db.prepare('DELETE FROM outbox WHERE id = ?');
  const retry = db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at_ms = ?, last_error = ? WHERE id = ?');
  const fail = db.prepare(`UPDATE outbox SET attempts = attempts + 1, status = 'failed', last_error = ?, failed_at_ms = ? WHERE id = ?`);
  const pruneFailed = db.prepare(`DELETE FROM outbox INDEXED BY outbox_failed_at WHERE status = 'failed' AND failed_at_ms < ?`);
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
    pending: () => pending.all().map(fromRow),
    heads: () => heads.all().map(fromRow),
    head: (peerId) => {
      const row: unknown = head.get(peerId);
      return row === undefined ? undefined : fromRow(row);
    },
    delivered: (id) => {
      remove.run(id);
    },
    retryLater: (id, nextAttemptAtMs, error) => {
      retry.run(nextAttemptAtMs, error, id);
    },
    failPermanently: (id, error, atMs) => {
      fail.run(error, atMs, id);
    },
    pruneFailed: (failedBeforeMs) => pruneFailed.run(failedBeforeMs).changes,
  };
}
