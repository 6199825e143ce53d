// SQLite repository of received capacity forecasts, kept as an ordered log the forecast book replays.
// Pruned by end time so the log stays bounded to the forecast horizon.
import type { Database } from 'better-sqlite3';
import type { CapacityForecastType } from '../../domain/capacity';
import type { ForecastRecord, ForecastRepository } from '../../core/ports';

interface ForecastRow {
  seq: number;
  group_id: string;
  type: CapacityForecastType;
  request_id: string;
  peer_id: string;
  received_at: string;
  blocks: string;
  ends_at: string;
}

function fromRow(row: ForecastRow): ForecastRecord {
  return {
    seq: row.seq,
    groupId: row.group_id,
    type: row.type,
    requestId: row.request_id,
    peerId: row.peer_id,
    receivedAt: row.received_at,
    blocks: JSON.parse(row.blocks) as unknown,
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
    list: ({ groupId, endsAfter = '' }) =>
      ((groupId === undefined ? all.all(endsAfter) : byGroup.all(groupId, endsAfter)) as ForecastRow[]).map(fromRow),
    prune: (endedBefore) => prune.run(endedBefore).changes,
  };
}
