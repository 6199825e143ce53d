// The CSMS's view of every known station: its stored record, the one authoritative connection, boot state,
// SmartChargingCtrlr limits, controllability, and the command queue. O(1) lookups by identity, no fleet scans.
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import type { FleetStation } from '../core/fleet';
import { DEFAULT_SMART_CHARGING_LIMITS, type OcppVersion } from '../domain/station';
import type { StationRecord } from '../core/ports';
import { CommandQueue, type QueueObserver } from './command-queue';
import type { StationLimitRequest } from '../core/ports';
import type { StationRelay } from './upstream/relay';
import { StationTraces, type StationTrace } from './trace';

export type ConnectorStatus = 'Available' | 'Occupied' | 'Reserved' | 'Unavailable' | 'Faulted';

export interface StationRuntime {
  record: StationRecord;
  client: RpcServerClient | undefined;
  /** The OCPP version of the current (or last) connection: which action table, discovery and profile mapping apply. */
  protocol: OcppVersion;
  bootStatus: 'none' | 'Pending' | 'Accepted';
  /** Core heard of this connection's boot (it re-profiles the station); once per connection. */
  bootNotified: boolean;
  /**
   * CSMS-initiated calls may go to this connection: after the BootNotification response, or once the station sent
   * something else first (it was accepted before and reconnected without booting). Before that a station cannot
   * answer, so nothing is sent (B01/B02) and core sees it as not connected yet.
   */
  callsAllowed: boolean;
  /** Core was told this station is connected (and has not been told otherwise since). */
  announced: boolean;
  /** When this connection's first Pending answer was given; Pending is bounded by time (`bootPendingMaxS`). */
  pendingSinceMs: number | undefined;
  /** Why the station is Pending, for the log and the API; undefined when it is not. */
  pendingReason: string | undefined;
  /** Calls that timed out in a row; reset by any answer. */
  consecutiveTimeouts: number;
  /** Until when commands are not sent to an unresponsive station (it is counted at its maximum meanwhile). */
  backoffUntilMs: number;
  /** The standing ChargingStationMaxProfile/TxDefaultProfile were acknowledged (since this agent started). */
  standingInstalled: boolean;
  /** SetChargingProfile rejections in a row; reset by an acceptance. */
  consecutiveRejections: number;
  /** The lone-session lift this connection acknowledged (`station-commands.ts` `liftKey`); undefined: none known. */
  liftInstalled: string | undefined;
  readonly connectors: Map<string, ConnectorStatus>;
  /** Active transaction per EVSE (OCPP 1.6: per connector; its integer id as a string). */
  readonly transactionByEvse: Map<number, string>;
  /** External limits announced with NotifyChargingLimit, by EVSE (0 = station). */
  readonly externalLimits: Map<number, string>;
  readonly queue: CommandQueue;
  /** The last standing and live limits core asked for (re-sent folded when the CSMS changes a limit; LC mode only). */
  readonly lastLimits: {
    standing?: Extract<StationLimitRequest, { kind: 'standing' }>;
    live?: Extract<StationLimitRequest, { kind: 'live' }>;
  };
  /** Local Controller mode: this connection's relay to the CSMS; undefined when flexbridge is the CSMS. */
  relay: StationRelay | undefined;
  /** The last frames on its connections (a small ring for every station, a large one while traced). */
  readonly trace: StationTrace;
}

export class StationRegistry {
  private readonly stations = new Map<string, StationRuntime>();

  constructor(
    private readonly queueObserver: QueueObserver,
    readonly traces: StationTraces = new StationTraces({ defaultFrames: 0, maxFrames: 0 }, Date.now),
  ) {}

  get(stationId: string): StationRuntime | undefined {
    return this.stations.get(stationId);
  }

  /** Adds a station or replaces its stored record, keeping its connection and runtime state. */
  upsert(record: StationRecord): StationRuntime {
    const existing = this.stations.get(record.stationId);
    if (existing) {
      existing.record = record;
      return existing;
    }
    const runtime: StationRuntime = {
      record,
      client: undefined,
      protocol: record.protocol ?? '2.0.1',
      bootStatus: 'none',
      bootNotified: false,
      callsAllowed: false,
      announced: false,
      pendingSinceMs: undefined,
      pendingReason: undefined,
      consecutiveTimeouts: 0,
      backoffUntilMs: 0,
      standingInstalled: false,
      consecutiveRejections: 0,
      liftInstalled: undefined,
      connectors: new Map(),
      transactionByEvse: new Map(),
      externalLimits: new Map(),
      queue: new CommandQueue(this.queueObserver),
      lastLimits: {},
      relay: undefined,
      trace: this.traces.create(record.stationId),
    };
    this.stations.set(record.stationId, runtime);
    return runtime;
  }

  remove(stationId: string): StationRuntime | undefined {
    const runtime = this.stations.get(stationId);
    this.stations.delete(stationId);
    return runtime;
  }

  all(): IterableIterator<StationRuntime> {
    return this.stations.values();
  }

  get size(): number {
    return this.stations.size;
  }
}

/** The station's connection is open and may take CSMS calls (see `callsAllowed`). */
export function isConnected(runtime: StationRuntime): boolean {
  return runtime.client !== undefined && runtime.client.state === 1 && runtime.callsAllowed;
}

/** What core needs to know of a station to allocate for it. */
export function toFleetStation(runtime: StationRuntime): FleetStation {
  const { record } = runtime;
  const limits = record.smartCharging ?? DEFAULT_SMART_CHARGING_LIMITS;
  return {
    stationId: record.stationId,
    groupId: record.groupId,
    evseMaxCurrentA: record.evseMaxCurrentA,
    stationMaxCurrentA: record.stationMaxCurrentA,
    evseCount: record.evseCount,
    phases: record.phases,
    connected: isConnected(runtime),
    controllable: record.controllable,
    periodsPerSchedule: limits.periodsPerSchedule,
    profileStackLevel: limits.profileStackLevel,
  };
}
