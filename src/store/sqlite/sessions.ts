// SQLite repository of charging sessions; the whole session is one JSON document keyed by transactionId.
// Written in batches (upsertMany, one transaction per tick), never one transaction per meter value.
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { CHARGING_STATES, type ChargingSession } from '../../domain/session';
import type { SessionRepository } from '../../core/ports';
import { readJson } from './rows';

/**
 * What a stored session must be to be acted on. Typed as the domain's ChargingSession, so the compiler holds the two
 * together (the domain declares it as an interface; this is its reader, not a second definition).
 */
const StoredSession: z.ZodType<ChargingSession> = z.object({
  transactionId: z.string().min(1),
  stationId: z.string().min(1),
  groupId: z.string().min(1),
  evseId: z.number().int(),
  connectorId: z.number().int().optional(),
  chargingState: z.enum(CHARGING_STATES),
  phasesUsed: z.literal([1, 2, 3]).optional(),
  startedAt: z.string().min(1),
  endedAt: z.string().min(1).optional(),
  endInferred: z.literal(true).optional(),
  meterWh: z.number().optional(),
  meterStartWh: z.number().optional(),
  measuredCurrentA: z.tuple([z.number(), z.number(), z.number()]).readonly().optional(),
  lastSeqNo: z.number(),
  evNeeds: z
    .object({
      energyAmountWh: z.number().optional(),
      departureTime: z.string().optional(),
      evMinCurrentA: z.number().optional(),
      evMaxCurrentA: z.number().optional(),
      evMaxPowerW: z.number().optional(),
    })
    .optional(),
  priority: z.number(),
});

/** `key`: how the row was found, for the error (the JSON may be too broken to name its own transaction). */
const fromData = (data: string, key = '(JSON column)'): ChargingSession => readJson(StoredSession, 'sessions', key, 'data', data);

export function sqliteSessions(db: Database): SessionRepository {
  const get = db.prepare('SELECT data FROM sessions WHERE transaction_id = ?').pluck();
  const activeAll = db.prepare('SELECT data FROM sessions WHERE ended_at IS NULL ORDER BY transaction_id').pluck();
  const activeByGroup = db.prepare('SELECT data FROM sessions WHERE ended_at IS NULL AND group_id = ? ORDER BY transaction_id').pluck();
  const activeByStation = db.prepare('SELECT data FROM sessions WHERE ended_at IS NULL AND station_id = ? ORDER BY transaction_id').pluck();
  const upsert = db.prepare(`
    INSERT INTO sessions (transaction_id, station_id, group_id, ended_at, data)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (transaction_id) DO UPDATE SET station_id = excluded.station_id, group_id = excluded.group_id,
      ended_at = excluded.ended_at, data = excluded.data`);
  // A row whose keys stay (a meter reading, nearly every write) rewrites its document only: SQLite then leaves the
  // five indexes on station, group and end alone, which an upsert naming those columns rewrites (~1.5× the cost).
  const updateData = db.prepare(
    'UPDATE sessions SET data = ? WHERE transaction_id = ? AND station_id = ? AND group_id = ? AND ended_at IS ?',
  );
  const upsertMany = db.transaction((sessions: readonly ChargingSession[]) => {
    for (const session of sessions) {
      // Positional: no parameter object per row, and no name lookups in the binding (this runs per meter value).
      const { transactionId, stationId, groupId } = session;
      const endedAt = session.endedAt ?? null;
      const data = JSON.stringify(session);
      if (updateData.run(data, transactionId, stationId, groupId, endedAt).changes === 0)
        upsert.run(transactionId, stationId, groupId, endedAt, data);
    }
  });
  const prune = db.prepare('DELETE FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ?');
  // One prepared statement per filter (so each uses its partial index of migration 0002), with and without a
  // cursor; `ended_at IS NOT NULL` must be spelled out for SQLite to pick a partial index.
  const endedFilters = {
    all: '',
    group: ' AND group_id = @groupId',
    station: ' AND station_id = @stationId',
    both: ' AND station_id = @stationId AND group_id = @groupId',
  } as const;
  type EndedFilter = keyof typeof endedFilters;
  const endedStatements = (filter: EndedFilter) => ({
    first: db
      .prepare(
        `SELECT data FROM sessions WHERE ended_at IS NOT NULL${endedFilters[filter]}
         ORDER BY ended_at DESC, transaction_id DESC LIMIT @limit`,
      )
      .pluck(),
    after: db
      .prepare(
        `SELECT data FROM sessions WHERE ended_at IS NOT NULL${endedFilters[filter]}
         AND (ended_at, transaction_id) < (@endedAt, @transactionId)
         ORDER BY ended_at DESC, transaction_id DESC LIMIT @limit`,
      )
      .pluck(),
    count: db.prepare(`SELECT COUNT(*) FROM sessions WHERE ended_at IS NOT NULL${endedFilters[filter]}`).pluck(),
  });
  const ended = {
    all: endedStatements('all'),
    group: endedStatements('group'),
    station: endedStatements('station'),
    both: endedStatements('both'),
  };
  // A read transaction so the page and the total are of the same moment even if another connection writes.
  const endedPage = db.transaction(
    (statements: ReturnType<typeof endedStatements>, params: Record<string, string | number>, cursor: boolean) => ({
      rows: (cursor ? statements.after : statements.first).all(params),
      total: statements.count.get(params),
    }),
  );
  return {
    get: (transactionId) => {
      const data: unknown = get.get(transactionId);
      return data === undefined ? undefined : fromData(String(data), `transaction_id=${transactionId}`);
    },
    active: (filter) => {
      const rows =
        filter?.stationId !== undefined
          ? activeByStation.all(filter.stationId)
          : filter?.groupId !== undefined
            ? activeByGroup.all(filter.groupId)
            : activeAll.all();
      const sessions = rows.map((row) => fromData(String(row)));
      return filter?.groupId !== undefined && filter.stationId !== undefined
        ? sessions.filter((s) => s.groupId === filter.groupId)
        : sessions;
    },
    upsertMany: (sessions) => {
      if (sessions.length > 0) upsertMany(sessions);
    },
    prune: (endedBefore) => prune.run(endedBefore).changes,
    ended: (query) => {
      const filter: EndedFilter =
        query.stationId !== undefined ? (query.groupId !== undefined ? 'both' : 'station') : query.groupId !== undefined ? 'group' : 'all';
      const params = {
        limit: query.limit,
        ...(query.groupId !== undefined && { groupId: query.groupId }),
        ...(query.stationId !== undefined && { stationId: query.stationId }),
        ...(query.after !== undefined && { endedAt: query.after.endedAt, transactionId: query.after.transactionId }),
      };
      const { rows, total } = endedPage(ended[filter], params, query.after !== undefined);
      return { sessions: rows.map((row) => fromData(String(row))), total: Number(total) };
    },
  };
}
