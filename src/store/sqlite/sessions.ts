// SQLite repository of charging sessions; the whole session is one JSON document keyed by transactionId.
// Written in batches (upsertMany, one transaction per tick), never one transaction per meter value.
import type { Database } from 'better-sqlite3';
import type { ChargingSession } from '../../domain/session';
import type { SessionRepository } from '../store';

const fromData = (data: string): ChargingSession => JSON.parse(data) as ChargingSession;

export function sqliteSessions(db: Database): SessionRepository {
  const get = db.prepare('SELECT data FROM sessions WHERE transaction_id = ?').pluck();
  const activeAll = db.prepare('SELECT data FROM sessions WHERE ended_at IS NULL ORDER BY transaction_id').pluck();
  const activeByGroup = db.prepare('SELECT data FROM sessions WHERE ended_at IS NULL AND group_id = ? ORDER BY transaction_id').pluck();
  const activeByStation = db.prepare('SELECT data FROM sessions WHERE ended_at IS NULL AND station_id = ? ORDER BY transaction_id').pluck();
  const upsert = db.prepare(`
    INSERT INTO sessions (transaction_id, station_id, group_id, ended_at, data)
    VALUES (@transaction_id, @station_id, @group_id, @ended_at, @data)
    ON CONFLICT (transaction_id) DO UPDATE SET station_id = excluded.station_id, group_id = excluded.group_id,
      ended_at = excluded.ended_at, data = excluded.data`);
  const upsertMany = db.transaction((sessions: readonly ChargingSession[]) => {
    for (const session of sessions) {
      upsert.run({
        transaction_id: session.transactionId,
        station_id: session.stationId,
        group_id: session.groupId,
        ended_at: session.endedAt ?? null,
        data: JSON.stringify(session),
      });
    }
  });
  const prune = db.prepare('DELETE FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ?');
  return {
    get: (transactionId) => {
      const data = get.get(transactionId) as string | undefined;
      return data === undefined ? undefined : fromData(data);
    },
    active: (filter) => {
      const rows =
        filter?.stationId !== undefined
          ? activeByStation.all(filter.stationId)
          : filter?.groupId !== undefined
            ? activeByGroup.all(filter.groupId)
            : activeAll.all();
      const sessions = (rows as string[]).map(fromData);
      return filter?.groupId !== undefined && filter.stationId !== undefined
        ? sessions.filter((s) => s.groupId === filter.groupId)
        : sessions;
    },
    upsertMany: (sessions) => {
      if (sessions.length > 0) upsertMany(sessions);
    },
    prune: (endedBefore) => prune.run(endedBefore).changes,
  };
}
