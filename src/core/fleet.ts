// Core's view of the stations and sessions of every group, fed by the OCPP adapter's events.
// Indexed by group so a reallocation reads only its own group: no whole-fleet scan on a hot path.
import type { GroupId } from '../domain/group';
import type { ChargingSession } from '../domain/session';
import type { StationId, StationSpec } from '../domain/station';

export interface FleetStation extends StationSpec {
  connected: boolean;
  /** false once the station refused or ignored profiles: it is counted at its maximum. */
  controllable: boolean;
  /** Most periods per schedule the station accepts (PeriodsPerSchedule). */
  periodsPerSchedule: number;
  /** Highest stackLevel accepted; ≥ 1 allows a leased cap above the standing one. */
  profileStackLevel: number;
}

export class Fleet {
  private readonly stations = new Map<StationId, FleetStation>();
  private readonly stationsByGroup = new Map<GroupId, Set<StationId>>();
  private readonly sessionsByGroup = new Map<GroupId, Map<string, ChargingSession>>();
  private readonly sessionGroup = new Map<string, GroupId>();

  /** Adds or updates a station; moving it to another group re-indexes it. Returns the groups affected. */
  upsertStation(station: FleetStation): GroupId[] {
    const previous = this.stations.get(station.stationId);
    this.stations.set(station.stationId, station);
    if (previous && previous.groupId !== station.groupId) this.stationsByGroup.get(previous.groupId)?.delete(station.stationId);
    this.indexOf(this.stationsByGroup, station.groupId, () => new Set<StationId>()).add(station.stationId);
    return previous && previous.groupId !== station.groupId ? [previous.groupId, station.groupId] : [station.groupId];
  }

  removeStation(stationId: StationId): GroupId | undefined {
    const station = this.stations.get(stationId);
    if (!station) return undefined;
    this.stations.delete(stationId);
    this.stationsByGroup.get(station.groupId)?.delete(stationId);
    return station.groupId;
  }

  station(stationId: StationId): FleetStation | undefined {
    return this.stations.get(stationId);
  }

  stationsOf(groupId: GroupId): FleetStation[] {
    const ids = this.stationsByGroup.get(groupId);
    if (!ids) return [];
    const out: FleetStation[] = [];
    for (const id of ids) {
      const station = this.stations.get(id);
      if (station) out.push(station);
    }
    return out;
  }

  /** Records a session's latest state; an ended session leaves the active set. Returns its group. */
  updateSession(session: ChargingSession): GroupId {
    const previousGroup = this.sessionGroup.get(session.transactionId);
    if (previousGroup !== undefined && previousGroup !== session.groupId)
      this.sessionsByGroup.get(previousGroup)?.delete(session.transactionId);
    const sessions = this.indexOf(this.sessionsByGroup, session.groupId, () => new Map<string, ChargingSession>());
    if (session.endedAt !== undefined) {
      sessions.delete(session.transactionId);
      this.sessionGroup.delete(session.transactionId);
    } else {
      sessions.set(session.transactionId, session);
      this.sessionGroup.set(session.transactionId, session.groupId);
    }
    return session.groupId;
  }

  session(transactionId: string): ChargingSession | undefined {
    const groupId = this.sessionGroup.get(transactionId);
    return groupId === undefined ? undefined : this.sessionsByGroup.get(groupId)?.get(transactionId);
  }

  sessionsOf(groupId: GroupId): ChargingSession[] {
    return [...(this.sessionsByGroup.get(groupId)?.values() ?? [])];
  }

  private indexOf<V>(index: Map<GroupId, V>, groupId: GroupId, create: () => V): V {
    let value = index.get(groupId);
    if (value === undefined) {
      value = create();
      index.set(groupId, value);
    }
    return value;
  }
}
