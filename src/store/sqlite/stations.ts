// SQLite repository of known charging stations: group membership, hardware limits, credentials hash.
// Smart-charging limits read from the station (SmartChargingCtrlr) are kept as JSON.
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { OCPP_VERSIONS, type BootInfo, type SmartChargingLimits } from '../../domain/station';
import type { Clock, StationRecord, StationRepository } from '../../core/ports';
import { keyOf, readJson, readRow } from './rows';

const Row = z.object({
  station_id: z.string().min(1),
  group_id: z.string().min(1),
  password_hash: z.string().nullable(),
  evse_max_current_a: z.number().min(0),
  station_max_current_a: z.number().min(0),
  evse_count: z.number().int().min(0),
  phases: z.literal([1, 3]),
  controllable: z.literal([0, 1]),
  smart_charging: z.string().nullable(),
  last_seen_at: z.string().nullable(),
  protocol: z.enum(OCPP_VERSIONS).nullable(),
  boot_info: z.string().nullable(),
});

const StoredSmartCharging: z.ZodType<SmartChargingLimits> = z.object({
  profileStackLevel: z.number().int().min(0),
  periodsPerSchedule: z.number().int().min(0),
  maxProfiles: z.number().int().min(0).optional(),
  rateUnits: z.array(z.enum(['A', 'W'])).readonly(),
});

const StoredBootInfo: z.ZodType<BootInfo> = z.object({
  vendor: z.string(),
  model: z.string(),
  serialNumber: z.string().optional(),
  firmwareVersion: z.string().optional(),
});

function fromRow(raw: unknown): StationRecord {
  const row = readRow(Row, 'stations', keyOf(raw, 'station_id'), raw);
  const key = `station_id=${row.station_id}`;
  return {
    stationId: row.station_id,
    groupId: row.group_id,
    passwordHash: row.password_hash ?? undefined,
    evseMaxCurrentA: row.evse_max_current_a,
    stationMaxCurrentA: row.station_max_current_a,
    evseCount: row.evse_count,
    phases: row.phases,
    controllable: row.controllable === 1,
    smartCharging:
      row.smart_charging === null ? undefined : readJson(StoredSmartCharging, 'stations', key, 'smart_charging', row.smart_charging),
    lastSeenAt: row.last_seen_at ?? undefined,
    protocol: row.protocol ?? undefined,
    bootInfo: row.boot_info === null ? undefined : readJson(StoredBootInfo, 'stations', key, 'boot_info', row.boot_info),
  };
}

/** How long station records wait to be written together, with a clock. */
export const STATION_WRITE_DELAY_MS = 100;

/** Without a clock: at the end of this turn's I/O callbacks (not a deadline, so not on a clock). */
const endOfTurn: Pick<Clock, 'setTimer'> = {
  setTimer: (callback) => {
    const immediate = setImmediate(callback);
    return { cancel: () => clearImmediate(immediate) };
  },
};

/**
 * Station records are written behind, in one transaction per 100 ms: a connect storm learns four facts per station
 * (admission, protocol, boot info, smart-charging limits), and one fsync'd transaction each took a quarter of the
 * agent's time while 1,000 stations connected (docs/architecture.md § Hot paths). Without a clock (tools, tests)
 * they are written at the end of the event-loop turn. Reads see the pending records; a kill -9 loses at most the
 * last 100 ms of them, which the station's next boot learns again. A failed write keeps its records pending and is
 * thrown to the next caller.
 */
export function sqliteStations(db: Database, clock?: Pick<Clock, 'setTimer'>): StationRepository {
  const timers = clock ?? endOfTurn;
  const get = db.prepare('SELECT * FROM stations WHERE station_id = ?');
  const all = db.prepare('SELECT * FROM stations ORDER BY station_id');
  const byGroup = db.prepare('SELECT * FROM stations WHERE group_id = ? ORDER BY station_id');
  const upsert = db.prepare(`
    INSERT INTO stations (station_id, group_id, password_hash, evse_max_current_a, station_max_current_a, evse_count,
                          phases, controllable, smart_charging, last_seen_at, protocol, boot_info)
    VALUES (@station_id, @group_id, @password_hash, @evse_max_current_a, @station_max_current_a, @evse_count,
            @phases, @controllable, @smart_charging, @last_seen_at, @protocol, @boot_info)
    ON CONFLICT (station_id) DO UPDATE SET group_id = excluded.group_id, password_hash = excluded.password_hash,
      evse_max_current_a = excluded.evse_max_current_a, station_max_current_a = excluded.station_max_current_a,
      evse_count = excluded.evse_count, phases = excluded.phases, controllable = excluded.controllable,
      smart_charging = excluded.smart_charging, last_seen_at = excluded.last_seen_at, protocol = excluded.protocol,
      boot_info = excluded.boot_info`);
  const remove = db.prepare('DELETE FROM stations WHERE station_id = ?');
  /** Per station the last record written (or null: deleted) and not yet in the file, in the order they came. */
  const pending = new Map<string, StationRecord | null>();
  let timer: { cancel(): void } | undefined;
  let failure: unknown;
  const write = (station: StationRecord): void => {
    upsert.run({
      station_id: station.stationId,
      group_id: station.groupId,
      password_hash: station.passwordHash ?? null,
      evse_max_current_a: station.evseMaxCurrentA,
      station_max_current_a: station.stationMaxCurrentA,
      evse_count: station.evseCount,
      phases: station.phases,
      controllable: station.controllable ? 1 : 0,
      smart_charging: station.smartCharging === undefined ? null : JSON.stringify(station.smartCharging),
      last_seen_at: station.lastSeenAt ?? null,
      protocol: station.protocol ?? null,
      boot_info: station.bootInfo === undefined ? null : JSON.stringify(station.bootInfo),
    });
  };
  const writeAll = db.transaction((records: [string, StationRecord | null][]) => {
    for (const [stationId, record] of records) {
      if (record) write(record);
      else remove.run(stationId);
    }
  });
  const flush = (): void => {
    timer?.cancel();
    timer = undefined;
    if (failure !== undefined) {
      const error = failure;
      failure = undefined;
      throw error;
    }
    if (pending.size === 0) return;
    const records = [...pending];
    writeAll(records);
    // Only what was written leaves the queue (a record changed meanwhile stays for the next turn).
    for (const [stationId, record] of records) if (pending.get(stationId) === record) pending.delete(stationId);
  };
  const later = (): void => {
    timer = undefined;
    try {
      flush();
    } catch (error) {
      failure = error;
    }
  };
  const enqueue = (stationId: string, record: StationRecord | null): void => {
    if (failure !== undefined) flush();
    pending.delete(stationId);
    pending.set(stationId, record);
    timer ??= timers.setTimer(later, STATION_WRITE_DELAY_MS);
  };
  return {
    get: (stationId) => {
      const queued = pending.get(stationId);
      if (queued !== undefined) return queued ?? undefined;
      const row: unknown = get.get(stationId);
      return row === undefined ? undefined : fromRow(row);
    },
    list: (filter) => {
      flush();
      return (filter?.groupId === undefined ? all.all() : byGroup.all(filter.groupId)).map(fromRow);
    },
    upsert: (station) => enqueue(station.stationId, station),
    delete: (stationId) => enqueue(stationId, null),
    flush,
  };
}
