// SQLite repository of received capacity forecasts, kept as an ordered log the forecast book replays.
// Pruned by end time so the log stays bounded to the forecast horizon.
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { CAPACITY_FORECAST_TYPES } from '../../domain/capacity';
import type { ForecastRecord, ForecastRepository } from '../../core/ports';
import { keyOf, readJson, readRow } from './rows';

const Row = z.object({
  seq: z.number().int(),
  group_id: z.string().min(1),
  type: z.enum(CAPACITY_FORECAST_TYPES),
  request_id: z.string().min(1),
  peer_id: z.string().min(1),
  received_at: z.string().min(1),
  blocks: z.string(),
  ends_at: z.string().min(1),
});

/** The blocks stay `unknown` here: the OSCP adapter reads them with its own schema on replay. */
function fromRow(raw: unknown): ForecastRecord {
  const row = readRow(Row, 'forecasts', keyOf(raw, 'seq'), raw);
  return {
    seq: row.seq,
    groupId: row.group_id,
    type: row.type,
    requestId: row.request_id,
    peerId: row.peer_id,
    receivedAt: row.received_at,
    blocks: readJson(z.unknown(), 'forecasts', `seq=${row.seq}`, 'blocks', row.blocks),
    endsAt: row.ends_at,
  };
}

export function sqliteForecasts(db: Database): ForecastRepository {
  const insert = db.prepare(`
    INSERT INTO forecasts (group_id, type, request_id, peer_id, received_at, blocks, ends_at)
    VALUES (@group_id, @type, @request_id, @peer_id, @received_at, @blocks, @ends_at)`);
  const byGroup = db.prepare('SELECT * FROM forecasts WHERE group_id = ? AND ends_at > ? ORDER BY seq');
  const all = db.prepare('SELECT * FROM forecasts WHERE ends_at > ? ORDER BY seq');
  const prune = db.prepare('DELETE FROM forecasts WHERE ends_at <= ?');
  return {
    append: (forecast) =>
      Number(
        insert.run({
          group_id: forecast.groupId,
          type: forecast.type,
          request_id: forecast.requestId,
          peer_id: forecast.peerId,
          received_at: forecast.receivedAt,
          blocks: JSON.stringify(forecast.blocks),
          ends_at: forecast.endsAt,
        }).lastInsertRowid,
      ),
    list: ({ groupId, endsAfter = '' }) => (groupId === undefined ? all.all(endsAfter) : byGroup.all(groupId, endsAfter)).map(fromRow),
    prune: (endedBefore) => prune.run(endedBefore).changes,
  };
}
