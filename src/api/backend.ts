// The ports the operator API reads and drives besides core: stations and peers as the protocol adapters hold them.
// agent.ts binds them to the CSMS and the OSCP adapter, so src/api never imports an adapter (it stays one itself).
import type { StationConfig } from '../config/schema';
import type { ForecastSource, PeerStatus } from '../core/ports';
import type { SessionRepository, StationRecord } from '../core/ports';
import type { RemoteAction, RemoteActionOutcome } from '../domain/station-actions';
import type { TraceFrame } from './station-ocpp-schemas';

/** A station as the CSMS knows it; connection state comes from core's fleet. */
export interface StationView {
  readonly record: StationRecord;
  readonly bootStatus: 'none' | 'Pending' | 'Accepted';
  /** Why the station is kept Pending; undefined when it is not. */
  readonly pendingReason: string | undefined;
  /** Calls that timed out in a row, and until when commands to it back off (epoch ms; 0 = not backing off). */
  readonly consecutiveTimeouts: number;
  readonly backoffUntilMs: number;
  /** Local Controller mode: the station's connection to the CPO's CSMS. */
  readonly relay?: {
    readonly upstream: {
      readonly state: 'connected' | 'connecting' | 'outage' | 'refused';
      readonly reason?: string;
      readonly sinceMs: number;
      readonly queueDepth: number;
      readonly replayLagMs?: number;
    };
  };
  /** Connector status by "evseId/connectorId". */
  readonly connectors: ReadonlyMap<string, string>;
  /** External limits announced with NotifyChargingLimit, by EVSE (0 = station). */
  readonly externalLimits: ReadonlyMap<number, string>;
}

/** A refused station connection (epoch ms time); never a secret. */
export interface RefusedConnection {
  readonly atMs: number;
  readonly remoteAddress: string;
  readonly identity: string;
  readonly status: number;
  readonly reason: string;
}

export interface TraceState {
  readonly enabled: boolean;
  readonly capacity: number;
  readonly frames: number;
}

/** A station to add or update, in the shape of a configured one; the password (if any) is hashed before it is stored. */
export type StationInput = StationConfig;

export interface ApiBackend {
  /** The forecast book (read side), as core sees it. */
  readonly forecasts: ForecastSource;
  /** Sessions no longer kept in memory are looked up here. */
  readonly sessions: SessionRepository;
  stations(): Iterable<StationView>;
  station(stationId: string): StationView | undefined;
  upsertStation(station: StationInput): Promise<StationRecord>;
  removeStation(stationId: string): boolean;
  peers(): readonly PeerStatus[];
  /** Refused station connections, newest first (epoch ms times). */
  connectionAttempts(identity?: string): readonly RefusedConnection[];
  /** Calls `listener` with every refused connection from now on; returns the unsubscribe. */
  onConnectionRefused(listener: (attempt: RefusedConnection) => void): () => void;
  /** The station's trace ring and settings, or undefined for an unknown station. */
  trace(stationId: string): { state: TraceState; frames: readonly TraceFrame[] } | undefined;
  /** Switches a station's trace on (a large ring, live frames) or off (the fleet's small ring). */
  setTrace(stationId: string, enabled: boolean, capacity?: number): TraceState | undefined;
  /** Calls `listener` with every frame of a traced station; returns the unsubscribe. */
  onFrame(listener: (stationId: string, frame: TraceFrame) => void): () => void;
  /** A remote action in the station's OCPP version, through its command queue. */
  remoteAction(stationId: string, action: RemoteAction): Promise<RemoteActionOutcome>;
  /** Any CSMS → station action, its payload checked against the version's schema, through its command queue. */
  rawCall(stationId: string, action: string, payload: unknown): Promise<RemoteActionOutcome>;
  /** Queues a Register to the peer; throws with a message an operator can act on when it cannot. */
  reRegister(peerId: string): void;
  reHandshake(peerId: string): void;
}
