// Core's persistence ports: everything DESIGN.md invariant 3 says must survive kill -9, one repository per record.
// src/store/sqlite/ implements them; core and the adapters depend on these interfaces only.
import type { ChargingSession } from '../../domain/session';
import type { BootInfo, OcppVersion, SmartChargingLimits, StationId, StationSpec } from '../../domain/station';
import type { GroupId } from '../../domain/group';
import type { CapacityForecastType } from '../../domain/capacity';

/** OSCP peer lifecycle (OSCP digest §6.5). */
export const PEER_STATES = ['UNREGISTERED', 'REGISTERED', 'CONNECTED', 'OFFLINE'] as const;
export type PeerState = (typeof PEER_STATES)[number];
export const PEER_ROLES = ['CP', 'CO'] as const;
export type PeerRole = (typeof PEER_ROLES)[number];

/** One OSCP peer (Capacity Provider or Capacity Optimizer) and the tokens of both directions. */
export interface PeerRecord {
  readonly peerId: string;
  readonly role: PeerRole;
  readonly state: PeerState;
  /** The peer's base URL for version 2.0, from its Register (or config until then). */
  readonly baseUrl?: string;
  /** Token we present when calling the peer (it gave it to us in its Register). */
  readonly outboundToken?: string;
  /** SHA-256 (hex) of the token the peer must present to us; we never keep it in clear. */
  readonly inboundTokenHash?: string;
  /** We sent a Register and wait for the peer's Register reply (direction b). */
  readonly awaitingRegisterReply: boolean;
  /** Heartbeat interval the peer asked us to keep, seconds; undefined = none wanted. */
  readonly heartbeatIntervalS?: number;
  /** Measurement configuration the peer asked for (CONTINUOUS / INTERMITTENT). */
  readonly measurementConfiguration: readonly string[];
  /** ISO 8601: when the peer said we may consider it offline (last Heartbeat's offline_mode_at). */
  readonly offlineModeAt?: string;
  /** ISO 8601 of the last state change. */
  readonly updatedAt: string;
}

/** One UpdateGroupCapacityForecast as received; the forecast book is rebuilt by replaying these in order. */
export interface ForecastRecord {
  readonly seq?: number;
  readonly groupId: GroupId;
  readonly type: CapacityForecastType;
  /** X-Request-ID of the message; the forecast's identity for compliance errors. */
  readonly requestId: string;
  readonly peerId: string;
  /** ISO 8601 UTC. */
  readonly receivedAt: string;
  /** The forecasted_blocks exactly as received (validated), for replay and audit. */
  readonly blocks: unknown;
  /** ISO 8601 UTC end of the last block; lets old forecasts be pruned. */
  readonly endsAt: string;
}

/** A queued outbound OSCP request; deleted once delivered, left in the store with its error when it failed for good. */
export interface OutboxMessage {
  readonly id?: number;
  readonly peerId: string;
  /** Path under the peer's base URL, e.g. `update_group_measurements`. */
  readonly path: string;
  readonly method: 'POST' | 'PUT' | 'DELETE';
  readonly requestId: string;
  readonly correlationId?: string;
  readonly body: unknown;
  readonly attempts: number;
  /** Epoch ms before which the message is not sent again. */
  readonly nextAttemptAtMs: number;
  readonly createdAt: string;
  readonly lastError?: string;
  readonly status: 'pending' | 'failed';
}

export interface StationRecord extends StationSpec {
  /** scrypt hash of the Basic-auth password (security profiles 1 and 2), never the password. */
  readonly passwordHash?: string;
  readonly controllable: boolean;
  readonly smartCharging?: SmartChargingLimits;
  /** ISO 8601 of the last message from the station. */
  readonly lastSeenAt?: string;
  /** The OCPP version of its last connection. */
  readonly protocol?: OcppVersion;
  /** Its last BootNotification's vendor, model, serial and firmware. */
  readonly bootInfo?: BootInfo;
}

/** The last plan computed for a group, as JSON the core layer understands. */
export interface PlanRecord {
  readonly groupId: GroupId;
  readonly computedAt: string;
  readonly plan: unknown;
}

export interface PeerRepository {
  get(peerId: string): PeerRecord | undefined;
  list(): PeerRecord[];
  findByInboundTokenHash(tokenHash: string): PeerRecord | undefined;
  upsert(peer: PeerRecord): void;
  delete(peerId: string): void;
}

export interface ForecastRepository {
  append(forecast: ForecastRecord): number;
  /** Forecasts of a group (all groups if omitted) whose last block ends after `endsAfter`, oldest first. */
  list(filter: { groupId?: GroupId; endsAfter?: string }): ForecastRecord[];
  /** Drops forecasts that ended before `endedBefore`; returns how many. */
  prune(endedBefore: string): number;
}

export interface OutboxRepository {
  enqueue(message: Omit<OutboxMessage, 'id' | 'attempts' | 'status' | 'lastError'>): number;
  /** Every message still pending, oldest first: reads the whole queue (tests and diagnosis; delivery uses `heads`). */
  pending(): OutboxMessage[];
  /** The oldest pending message of each peer that has one, oldest first: O(peers), whatever the backlog. */
  heads(): OutboxMessage[];
  /** The oldest pending message of one peer. */
  head(peerId: string): OutboxMessage | undefined;
  delivered(id: number): void;
  retryLater(id: number, nextAttemptAtMs: number, error: string): void;
  failPermanently(id: number, error: string, atMs: number): void;
  /** Deletes messages that failed for good before `failedBeforeMs`; returns how many. */
  pruneFailed(failedBeforeMs: number): number;
}

/** Upserts and deletes may be written behind (within the event-loop turn); reads always see them. */
export interface StationRepository {
  get(stationId: StationId): StationRecord | undefined;
  list(filter?: { groupId?: GroupId }): StationRecord[];
  upsert(station: StationRecord): void;
  delete(stationId: StationId): void;
  /** Writes what is pending now: before an acknowledgement that promises the record is stored. */
  flush(): void;
}

export interface SessionRepository {
  get(transactionId: string): ChargingSession | undefined;
  /** Sessions not yet ended, optionally of one group or station. */
  active(filter?: { groupId?: GroupId; stationId?: StationId }): ChargingSession[];
  /** Writes many sessions in one transaction: the per-tick batch. */
  upsertMany(sessions: readonly ChargingSession[]): void;
  /** Drops ended sessions older than `endedBefore`; returns how many. */
  prune(endedBefore: string): number;
  /**
   * One page of ended sessions, newest end first (endedAt, then transactionId, both descending): at most `limit`
   * of them after the session `after` names, and how many ended sessions match the filter in all.
   */
  ended(query: {
    readonly groupId?: GroupId;
    readonly stationId?: StationId;
    readonly after?: { readonly endedAt: string; readonly transactionId: string };
    readonly limit: number;
  }): { sessions: ChargingSession[]; total: number };
}

export interface PlanRepository {
  /** The whole-group document written before #15 (read once on start if the group has no ledger rows). */
  get(groupId: GroupId): PlanRecord | undefined;
  save(plan: PlanRecord): void;
  /** Each station's saved lease-ledger entry in the group, as stored (core parses it). */
  ledgerOf(groupId: GroupId): LedgerRow[];
  /** Writes the entries that changed and deletes the stations gone, in one transaction; returns bytes written. */
  saveLedger(changed: readonly LedgerRow[], removed: readonly StationId[]): number;
}

/** One station's lease-ledger entry (a `LedgerSnapshot`, which core owns) on its way to or from the store. */
export interface LedgerRow {
  readonly stationId: StationId;
  readonly groupId: GroupId;
  readonly entry: unknown;
}

/** Small durable key/value space for adapter bookkeeping (meter baselines, counters). */
export interface KeyValueRepository {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/**
 * A station message the CSMS must still learn (Local Controller mode, CSMS outage): kept in order, with the original
 * payload and time, until it is replayed. `kind` decides what goes first on overflow (meter values outside a session).
 */
export interface RelayedMessage {
  readonly id: number;
  readonly stationId: StationId;
  readonly action: string;
  readonly payload: unknown;
  /** ISO 8601 UTC: when the station sent it. */
  readonly receivedAt: string;
  readonly kind: 'transaction' | 'droppable' | 'other';
}

/** One FIFO per station, durable: a message answered locally is in here before the station gets the answer. */
export interface RelayQueueRepository {
  append(message: Omit<RelayedMessage, 'id'>): RelayedMessage;
  /** The oldest queued message of the station. */
  oldest(stationId: StationId): RelayedMessage | undefined;
  remove(id: number): void;
  depth(stationId: StationId): number;
  /** Drops the station's oldest droppable message; false if there is none. */
  dropOldestDroppable(stationId: StationId): boolean;
  /** Stations with messages waiting (after a restart). */
  stationsWaiting(): StationId[];
}

export interface Store {
  readonly peers: PeerRepository;
  readonly forecasts: ForecastRepository;
  readonly outbox: OutboxRepository;
  readonly stations: StationRepository;
  readonly sessions: SessionRepository;
  readonly plans: PlanRepository;
  readonly kv: KeyValueRepository;
  readonly relayQueue: RelayQueueRepository;
  /** Runs `work` as one atomic transaction (nested calls join the outer one). */
  transaction<T>(work: () => T): T;
  isOpen(): boolean;
  close(): void;
}
