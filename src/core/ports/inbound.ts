// Core's inbound ports: what the adapters tell core, as calls on one interface core implements. The OCPP adapter
// reports stations and sessions; the OSCP adapter reports forecasts and peer state. No hand wiring in between.
import type { ChargingSession } from '../../domain/session';
import type { GroupId } from '../../domain/group';
import type { StationId } from '../../domain/station';
import type { FleetStation } from '../fleet';

/** What the OCPP adapter tells core about stations and their sessions. */
export interface StationInbound {
  /** A station was added, changed (limits, EVSE count, group) or restored from the store. */
  onStationUpdated(station: FleetStation): void;
  /** The station may take calls now (booted or spoke), or its connection closed. */
  onStationConnection(stationId: StationId, connected: boolean): void;
  /** A BootNotification: its profiles may be gone. */
  onStationBooted(stationId: StationId): void;
  /** It refused or ignored profiles: count it at its maximum. */
  onStationUncontrollable(stationId: StationId): void;
  /** A session started, changed or ended. */
  onSession(session: ChargingSession): void;
  /** A session that was running when the agent stopped, read back from the store before any station reconnects. */
  onSessionRestored(session: ChargingSession): void;
}

/** What the OSCP adapter tells core about the grid. */
export interface GridInbound {
  /** A forecast for the group was received (or expired): the capacity in force may have changed. */
  onForecastChanged(groupId: GroupId): void;
  /** The Capacity Provider's heartbeat lapsed (offline: fallback) or came back. */
  onPeerStateChanged(peerId: string, online: boolean): void;
}
