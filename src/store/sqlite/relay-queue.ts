// SQLite repository of the Local Controller's relay queue: station messages the CSMS must still learn, in order.
// Each append is its own committed write: the station is answered only after its message is on disk.
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { RelayedMessage, RelayQueueRepository } from '../../core/ports';
import { keyOf, readJson, readRow } from './rows';

const Row = z.object({
  id: z.number().int(),
  station_id: z.string(),
  action: z.string(),
  payload: z.string(),
  received_at: z.string(),
  kind: z.enum(['transaction', 'droppable', 'other']),
});

function fromRow(row: unknown): RelayedMessage {
  const parsed = readRow(Row, 'relay_queue', keyOf(row, 'id'), row);
  return {
    id: parsed.id,
    stationId: parsed.station_id,
    action: parsed.action,
    payload: readJson(z.unknown(), 'relay_queue', `id=${parsed.id}`, 'payload', parsed.payload),
    receivedAt: parsed.received_at,
    kind: parsed.kind,
  };
}

export function sqliteRelayQueue(db: Database): RelayQueueRepository {
  const insert = db.prepare('INSERT INTO relay_queue (station_id, action, payload, received_at, kind) VALUES (?, ?, ?, ?, ?)');
  const oldest = db.prepare('SELECT * FROM relay_queue WHERE station_id = ? ORDER BY id LIMIT 1');
  const remove = db.prepare('DELETE FROM relay_queue WHERE id = ?');
  const depth = db.prepare('SELECT COUNT(*) FROM relay_queue WHERE station_id = ?').pluck();
  const oldestDroppable = db.prepare("SELECT id FROM relay_queue WHERE station_id = ? AND kind = 'droppable' ORDER BY id LIMIT 1").pluck();
  const waiting = db.prepare('SELECT DISTINCT station_id FROM relay_queue ORDER BY station_id').pluck();
  return {
    append: (message) => {
      const info = insert.run(message.stationId, message.action, JSON.stringify(message.payload), message.receivedAt, message.kind);
      return { ...message, id: Number(info.lastInsertRowid) };
    },
    oldest: (stationId) => {
      const row: unknown = oldest.get(stationId);
      return row === undefined ? undefined : fromRow(row);
    },
    remove: (id) => void remove.run(id),
    depth: (stationId) => Number(depth.get(stationId)),
    dropOldestDroppable: (stationId) => {
      const id: unknown = oldestDroppable.get(stationId);
      if (typeof id !== 'number') return false;
      remove.run(id);
      return true;
    },
    stationsWaiting: () => waiting.all().map(String),
  };
}
