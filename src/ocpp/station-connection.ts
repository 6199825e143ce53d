// One station's WebSocket from open to close: the one authoritative connection per identity (newest wins, no ghost
// offline), the single dispatch handler into its version's action table, and what happens when it closes or stays quiet.
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import type { Scheduler } from '../core/scheduler';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { StationInbound } from '../core/ports';
import { toFleetStation, type StationRegistry, type StationRuntime } from './station-registry';
import type { InboundContext, StationConnection } from './inbound-action';
import { dispatch } from './v201/dispatch';
import { dispatch16 } from './v16/dispatch';
import { versionOf, type OcppVersion } from './protocol';
import type { ConnectionSession } from './server';
import type { StationRelay } from './upstream/relay';

/** How long a known station may stay silent after connecting before it is taken as reconnected without a boot. */
const QUIET_RECONNECT_MS = 5000;

export interface ConnectionDeps {
  readonly registry: StationRegistry;
  /** What the actions of both versions use; shared by every connection. */
  readonly actions: InboundContext;
  readonly inbound: StationInbound;
  /** Local Controller mode: the relay for this connection (its twin, or an outage from the start). */
  readonly relay?: (station: StationConnection, upstream: NonNullable<ConnectionSession['upstream']>) => StationRelay;
  readonly scheduler: Scheduler;
  readonly nowMs: () => number;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** The station connected with another OCPP version than it did last time (stored, shown in the API). */
  readonly protocolChanged?: (runtime: StationRuntime, protocol: OcppVersion) => void;
}

/** Takes a connection the server authenticated; closes it if the station was removed meanwhile. */
export function attachConnection(client: RpcServerClient, deps: ConnectionDeps): void {
  const runtime = deps.registry.get(client.identity ?? '');
  if (!runtime) {
    void client.close({ code: 1008, reason: 'unknown station' });
    return;
  }
  const { logger, metrics } = deps;
  const stationId = runtime.record.stationId;
  const station: StationConnection = { runtime, client };
  const protocol = versionOf(client.protocol);
  runtime.protocol = protocol;
  if (runtime.record.protocol !== protocol) deps.protocolChanged?.(runtime, protocol);
  const upstream = sessionOf(client).upstream;
  const relay = upstream && deps.relay ? deps.relay(station, upstream) : undefined;
  runtime.relay?.close();
  runtime.relay = relay;
  if (relay) client.handle(answeredByReturn(({ method, params }) => relay.fromStation(method ?? '', params)));
  else if (protocol === '1.6')
    client.handle(answeredByReturn(({ method, params }) => dispatch16(deps.actions, station, method ?? '', params)));
  else client.handle(answeredByReturn(({ method, params }) => dispatch(deps.actions, station, method ?? '', params)));
  // Every frame both ways into the station's trace ring (O(1); parsed only when read or while traced live).
  client.on('message', ({ message, outbound }: { message: unknown; outbound: boolean }) =>
    runtime.trace.record('station', outbound, message),
  );
  client.on('badMessage', ({ error }: { error: unknown }) => logger.warn('malformed OCPP frame', { stationId, error: String(error) }));
  client.on('strictValidationFailure', ({ error, method, outbound }: { error: unknown; method: string; outbound: boolean }) =>
    logger.warn('OCPP message failed schema validation', { stationId, action: method, outbound, error: String(error) }),
  );

  const previous = runtime.client;
  resetForConnection(runtime, client);
  metrics?.stationsConnected.inc();
  if (previous) {
    logger.warn('second connection for a station; the older one is closed', { stationId });
    void previous.close({ code: 1000, reason: 'replaced by a newer connection', force: true });
  } else {
    logger.info('station connected', { stationId, protocol });
  }
  client.on('close', () => onClose(runtime, client, deps));
  // Nothing is sent before the station has booted or spoken: a station that has not booted cannot answer (B01).
  // A station this agent has read before and that neither boots nor speaks for a while reconnected after a network
  // drop without booting (it is Accepted on its side): then it may be asked for its state.
  if (runtime.record.smartCharging !== undefined) {
    deps.scheduler.schedule(`quiet-reconnect:${stationId}`, deps.nowMs() + QUIET_RECONNECT_MS, () => {
      if (runtime.client === client && runtime.bootStatus === 'none') deps.actions.spoke(station);
    });
  }
}

type Answer = (call: { readonly method?: string; readonly params?: unknown }) => object | Promise<object>;

/**
 * Both handlers answer by returning (or throwing), and read neither ocpp-rpc's `signal` nor its `reply`: direct mode's
 * action tables answer in the same turn, the relay with a promise of the CSMS's answer. Marked so, ocpp-rpc as patched
 * sends an answer at once, or after one `then`, instead of through an async function and two promises per call. Its
 * types know only handlers that return a promise, hence the cast.
 */
function answeredByReturn(answer: Answer): Parameters<RpcServerClient['handle']>[0] {
  return Object.assign(answer, { answersByReturn: true }) as unknown as Parameters<RpcServerClient['handle']>[0];
}

function resetForConnection(runtime: StationRuntime, client: RpcServerClient): void {
  runtime.client = client;
  runtime.bootStatus = 'none';
  runtime.bootNotified = false;
  runtime.callsAllowed = false;
  runtime.consecutiveTimeouts = 0;
  runtime.backoffUntilMs = 0;
  // What the last connection acknowledged may not have survived (a reboot, a firmware that drops TxProfiles).
  runtime.liftInstalled = undefined;
}

/** The session the upgrade attached (see server.ts): only what the upgrade put there, checked. */
function sessionOf(client: RpcServerClient): ConnectionSession {
  const session: unknown = client.session;
  if (typeof session !== 'object' || session === null || !('stationId' in session)) return { stationId: client.identity ?? '' };
  return session as ConnectionSession;
}

function onClose(runtime: StationRuntime, client: RpcServerClient, deps: ConnectionDeps): void {
  deps.metrics?.stationsConnected.dec();
  if (runtime.client !== client) return;
  runtime.relay?.close();
  runtime.relay = undefined;
  const stationId = runtime.record.stationId;
  runtime.client = undefined;
  runtime.bootStatus = 'none';
  runtime.callsAllowed = false;
  deps.scheduler.cancel(`quiet-reconnect:${stationId}`);
  deps.logger.info('station disconnected', { stationId });
  if (runtime.announced) {
    runtime.announced = false;
    deps.inbound.onStationConnection(stationId, false);
  }
  deps.inbound.onStationUpdated(toFleetStation(runtime));
}
