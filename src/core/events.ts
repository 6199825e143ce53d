// Typed events core publishes for the API, metrics and webhooks: plans applied, fallback switches, reports.
// A thin typed face over Node's EventEmitter; listeners must not throw (errors are caught and logged).
import { EventEmitter } from 'node:events';
import type { CapacitySource } from '../domain/capacity';
import type { GroupId } from '../domain/group';
import type { ChargingSession } from '../domain/session';
import type { StationId } from '../domain/station';

export interface CoreEventMap {
  capacitySourceChanged: { groupId: GroupId; from: CapacitySource | undefined; to: CapacitySource; atMs: number };
  /** `durationMs`: the whole reallocation, station round trips included; `planMs`: the allocation alone. */
  planApplied: {
    groupId: GroupId;
    atMs: number;
    sessions: number;
    stationsChanged: number;
    failed: number;
    durationMs: number;
    planMs: number;
  };
  /** A write-ahead of the lease ledger: the stations' rows written and deleted, in one transaction, and its bytes. */
  ledgerSaved: { rows: number; removed: number; bytes: number };
  complianceErrorSent: { groupId: GroupId; forecastRequestId: string; blocks: number; message: string };
  adjustRequested: { groupId: GroupId; blocks: number };
  standingLimitSet: { groupId: GroupId; stationId: StationId; limitA: number; outcome: string };
  /** A station may take calls now, or its connection closed (as core counts it). */
  stationConnectionChanged: { stationId: StationId; groupId: GroupId; connected: boolean; atMs: number };
  /** A session as core holds it after an update from the station. */
  sessionChanged: ChargingSession;
}

/** Node's EventEmitter with one payload type per event name; a throwing listener is reported, never propagated. */
export class TypedEvents<M extends object> {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => undefined) {
    this.emitter.setMaxListeners(100);
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<E extends keyof M & string>(event: E, listener: (payload: M[E]) => void): () => void {
    const safe = (payload: M[E]): void => {
      try {
        listener(payload);
      } catch (error) {
        this.onListenerError(event, error);
      }
    };
    this.emitter.on(event, safe);
    return () => this.emitter.off(event, safe);
  }

  emit<E extends keyof M & string>(event: E, payload: M[E]): void {
    this.emitter.emit(event, payload);
  }
}

export class CoreEvents extends TypedEvents<CoreEventMap> {}
