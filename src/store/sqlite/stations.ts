// SQLite repository of known charging stations: group membership, hardware limits, credentials hash.
// Smart-charging limits read from the station (SmartChargingCtrlr) are kept as JSON.
import type { Database } from 'better-sqlite3';
import { OCPP_VERSIONS, type BootInfo, type OcppVersion, type SmartChargingLimits } from '../../domain/station';
import type { StationRecord, StationRepository } from '../../core/ports';

interface StationRow {
  station_id: string;
  group_id: string;
  password_hash: string | null;
  evse_max_current_a: number;
  station_max_current_a: number;
  evse_count: number;
  phases: 1 | 3;
  controllable: number;
  smart_charging: string | null;
  last_seen_at: string | null;
  protocol: string | null;
  boot_info: string | null;
}

function protocolOf(value: string | null): OcppVersion | undefined {
  return OCPP_VERSIONS.find((version) => version === value);
}

function fromRow(row: StationRow): StationRecord {
  return {
    stationId: row.station_id,
    groupId: row.group_id,
    passwordHash: row.password_hash ?? undefined,
    evseMaxCurrentA: row.evse_max_current_a,
    stationMaxCurrentA: row.station_max_current_a,
    evseCount: row.evse_count,
    phases: row.phases,
    controllable: row.controllable === 1,
    smartCharging: row.smart_charging === null ? undefined : (JSON.parse(row.smart_charging) as SmartChargingLimits),
    lastSeenAt: row.last_seen_at ?? undefined,
    protocol: protocolOf(row.protocol),
    bootInfo: row.boot_info === null ? undefined : (JSON.parse(row.boot_info) as BootInfo),
  };
}

export function sqliteStations(db: Database): StationRepository {
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
  return {
    get: (stationId) => {
      const row = get.get(stationId) as StationRow | undefined;
      return row && fromRow(row);
    },
    list: (filter) => ((filter?.groupId === undefined ? all.all() : byGroup.all(filter.groupId)) as StationRow[]).map(fromRow),
    upsert: (station) => {
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
    },
    delete: (stationId) => {
      remove.run(stationId);
    },
  };
}
