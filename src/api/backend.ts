// The ports the operator API reads and drives besides core: stations and peers as the protocol adapters hold them.
// agent.ts binds them to the CSMS and the OSCP adapter, so src/api never imports an adapter (it stays one itself).
import type { ForecastSource } from '../core/ports';
import type { PeerRecord, SessionRepository, StationRecord } from '../store/store';

/** A station as the CSMS knows it; connection state comes from core's fleet. */
export interface StationView {
  readonly record: StationRecord;
  readonly bootStatus: 'none' | 'Pending' | 'Accepted';
  /** Connector status by "evseId/connectorId". */
  readonly connectors: ReadonlyMap<string, string>;
  /** External limits announced with NotifyChargingLimit, by EVSE (0 = station). */
  readonly externalLimits: ReadonlyMap<number, string>;
}

/** A peer's state and settings as operators may see them: never a token or its hash. */
export interface PeerView {
  readonly peerId: string;
  readonly role: PeerRecord['role'];
  readonly state: PeerRecord['state'];
  readonly online: boolean;
  readonly baseUrl?: string;
  readonly awaitingRegisterReply: boolean;
  readonly heartbeatIntervalS?: number;
  readonly measurementConfiguration: readonly string[];
  readonly offlineModeAt?: string;
  readonly updatedAt: string;
}

/** A station to add or update; the password (if any) is hashed by the CSMS before it is stored. */
export interface StationInput {
  readonly id: string;
  readonly groupId: string;
  readonly password?: string;
  readonly evseMaxCurrentA: number;
  readonly stationMaxCurrentA?: number;
  readonly evseCount: number;
  readonly phases: 1 | 3;
}

export interface ApiBackend {
  /** The forecast book (read side), as core sees it. */
  readonly forecasts: ForecastSource;
  /** Sessions no longer kept in memory are looked up here. */
  readonly sessions: SessionRepository;
  stations(): Iterable<StationView>;
  station(stationId: string): StationView | undefined;
  upsertStation(station: StationInput): Promise<StationRecord>;
  removeStation(stationId: string): boolean;
  peers(): readonly PeerView[];
  /** Queues a Register to the peer; throws with a message an operator can act on when it cannot. */
  reRegister(peerId: string): void;
  reHandshake(peerId: string): void;
}
