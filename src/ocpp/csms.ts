// The CSMS for OCPP 2.0.1 and 1.6J stations, composed: the transport, station provisioning, the boot gate, the
// per-station connection with its version's dispatch table, the session tracker, and the command service core drives.
import type { StationInbound } from '../core/ports';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { Scheduler, systemClock } from '../core/scheduler';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { AuthThrottleConfig, OcppConfig } from '../config/schema';
import { AuthThrottleConfig as AuthThrottleSchema } from '../config/sections';
import { AuthThrottle } from '../observability/auth-throttle';
import type { Store, StationRecord } from '../core/ports';
import { authenticateStation, type AuthDecision, type StationHandshake } from './auth';
import { BootGate } from './boot-gate';
import { ConnectionAttempts } from './connection-attempts';
import { PasswordKey, PasswordVerifier } from './passwords';
import { StationProvisioning, type ConfiguredStation } from './provisioning';
import { startOcppServer } from './server';
import { localController, localControllerLayout } from './upstream/local-controller';
import { SessionTracker } from './session-tracker';
import { StationCommandService } from './station-commands';
import { attachConnection } from './station-connection';
import { StationRegistry, type StationRuntime } from './station-registry';
import type { InboundContext } from './inbound-action';
import { StationDiscovery } from './discovery';
import { TransactionIds } from './v16/transaction-ids';
import { StationTraces } from './trace';
import { RemoteActions } from './remote-actions';

export type { ConfiguredStation } from './provisioning';

export interface CsmsDeps {
  readonly config: OcppConfig;
  readonly stations: readonly ConfiguredStation[];
  readonly store: Store;
  readonly inbound: StationInbound;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly nowMs?: () => number;
  /** The agent's one scheduler (the Pending bound); a private one on the system clock if not given. */
  readonly scheduler?: Scheduler;
  /** Session store writes are batched per this many ms. */
  readonly sessionFlushMs?: number;
  /** Written in the same transaction as each batch of sessions: the groups' energy totals (core counts them per reading). */
  readonly withSessions?: () => void;
  /** The agent's failed-authentication back-off (shared with OSCP and the API); one of its own from `authThrottle` if not given. */
  readonly throttle?: AuthThrottle;
  readonly authThrottle?: AuthThrottleConfig;
}

export interface Csms {
  readonly port: number;
  readonly commands: StationCommandService;
  /** Refused connections, newest first (the connection-attempts view). */
  readonly attempts: ConnectionAttempts;
  readonly registry: StationRegistry;
  /** Every station's OCPP trace settings and the live frame listeners. */
  readonly traces: StationTraces;
  /** Operator remote actions and the raw call, through each station's command queue. */
  readonly remoteActions: RemoteActions;
  readonly sessions: SessionTracker;
  /** Adds or updates a station from the operator API; the password, if any, is hashed. */
  upsertStation(station: ConfiguredStation): Promise<StationRecord>;
  removeStation(stationId: string): boolean;
  stop(): Promise<void>;
}

export async function startCsms(deps: CsmsDeps): Promise<Csms> {
  const { config, store, inbound } = deps;
  const logger = deps.logger.child({ component: 'ocpp' });
  const nowMs = deps.nowMs ?? Date.now;
  const scheduler = deps.scheduler ?? new Scheduler();
  const traces = new StationTraces({ defaultFrames: config.trace.frames, maxFrames: config.trace.maxFrames }, nowMs);
  const registry = new StationRegistry({ depthChanged: (delta) => deps.metrics?.commandQueueDepth.inc(delta) }, traces);
  const passwords = new PasswordVerifier(PasswordKey.fromStore(store.kv), (id, from, to) => provisioning.rehashed(id, from, to));
  const provisioning = new StationProvisioning({ stations: store.stations, registry, inbound, passwords, logger });
  const discovery = new StationDiscovery({ logger, metrics: deps.metrics, timeoutMs: config.callTimeoutMs });
  const upstream = config.upstream;
  const gate = new BootGate({
    pendingMaxMs: config.bootPendingMaxS * 1000,
    scheduler,
    nowMs,
    logger,
    inbound,
    discovery,
    provisioning,
    // Local Controller mode: flexbridge's levels are the station's top two, known only now; the same ids replace.
    ...(upstream && { limitsRead: (runtime: StationRuntime) => commands.refold(runtime.record.stationId) }),
  });
  const commands = new StationCommandService({
    registry,
    ...(upstream && { layoutFor: localControllerLayout }),
    options: {
      timeoutMs: config.callTimeoutMs,
      retriesOnTimeout: 1,
      rejectionsBeforeUncontrollable: 3,
      loneSessionFollowsCap: config.loneSession === 'follow-cap',
    },
    logger,
    metrics: deps.metrics,
    nowMs,
    markUncontrollable: (runtime, reason) => gate.uncontrollable(runtime, reason),
    standingInstalled: (runtime) => gate.acceptWhenReady(runtime),
  });
  const remoteActions = new RemoteActions({
    registry,
    call: (stationId, action, payload) => commands.call(stationId, action, payload),
    chargingProfiles: (stationId, evseId) => commands.getChargingProfiles(stationId, evseId),
    ...(upstream && { layoutFor: localControllerLayout }),
  });
  const sessions = new SessionTracker(
    store.sessions,
    { session: (s) => inbound.onSession(s), restored: (s) => inbound.onSessionRestored(s) },
    logger,
    {
      ...(deps.sessionFlushMs !== undefined && { flushMs: deps.sessionFlushMs }),
      ...(deps.metrics && { metrics: deps.metrics }),
      ...(deps.withSessions && { withBatch: { transaction: (work) => store.transaction(work), write: deps.withSessions } }),
    },
  );
  await provisioning.restore(deps.stations);
  for (const session of sessions.restore()) registry.get(session.stationId)?.transactionByEvse.set(session.evseId, session.transactionId);

  // A 1.6 id must not be one a 2.0.1 station chose for its own transaction (sessions are keyed by transaction id).
  const transactionIds = new TransactionIds(store.kv, (transactionId) => store.sessions.get(transactionId) !== undefined);
  const actions: InboundContext = {
    sessions,
    logger,
    metrics: deps.metrics,
    heartbeatIntervalS: config.heartbeatIntervalS,
    authorize: config.authorize,
    nowMs,
    // Direct mode: ocpp-rpc's strict mode checks each payload (server.ts); the relay's taps see what it relays unchecked.
    schemaChecked: !upstream,
    booted: (station) => gate.boot(station),
    bootReported: (runtime, bootInfo) => provisioning.identified(runtime, { bootInfo }),
    mintTransactionId: () => transactionIds.mint(),
    spoke: (station) => gate.spoke(station),
    evseSeen: (runtime, evseId) => provisioning.evseSeen(runtime, evseId),
    maxProfilesReported: (runtime, maxProfiles) => provisioning.maxProfilesReported(runtime, maxProfiles),
    chargingProfilesReported: (stationId, requestId, profiles, tbc) => commands.reportReceived(stationId, requestId, profiles, tbc),
  };
  const relays = upstream && localController(upstream, { deps, registry, actions, gate, commands, provisioning, scheduler, nowMs, logger });
  const attempts = new ConnectionAttempts();
  const server = await startOcppServer({
    config,
    logger,
    refused: (attempt) => attempts.record(attempt),
    throttle: deps.throttle ?? new AuthThrottle(deps.authThrottle ?? AuthThrottleSchema.parse({}), nowMs),
    ...(deps.metrics && { metrics: deps.metrics }),
    authenticate: (handshake) => admit(handshake, { config, registry, passwords, provisioning, logger }),
    ...(relays && { pair: relays.pair }),
    connected: (client) =>
      attachConnection(client, {
        registry,
        actions,
        inbound,
        scheduler,
        nowMs,
        logger,
        metrics: deps.metrics,
        protocolChanged: (runtime, protocol) => provisioning.identified(runtime, { protocol }),
        ...(relays && { relay: relays.relay }),
      }),
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Stop sending first: queued commands answer Offline, and closing the sockets ends the calls in flight.
      for (const runtime of registry.all()) runtime.queue.close();
      const clients = [...registry.all()].flatMap((r) => (r.client ? [r.client] : []));
      await Promise.all(clients.map((client) => closeSocket(client)));
      await server.close();
      sessions.stop();
    })());

  return {
    port: server.port,
    attempts,
    commands,
    registry,
    traces,
    remoteActions,
    sessions,
    upsertStation: (station) => provisioning.upsert(station, { durable: true }),
    removeStation: (stationId) => provisioning.remove(stationId),
    stop,
  };
}

/** How long a station gets to answer our close frame before its socket is cut (a silent one never answers). */
const CLOSE_GRACE_MS = 1000;

async function closeSocket(client: RpcServerClient): Promise<void> {
  let timer: { cancel(): void } | undefined;
  const grace = new Promise<'late'>((resolve) => (timer = systemClock.setTimer(() => resolve('late'), CLOSE_GRACE_MS)));
  const closing = client.close({ code: 1001, reason: 'flexbridge stopping', awaitPending: false }).then(
    () => 'closed' as const,
    () => 'closed' as const,
  );
  if ((await Promise.race([closing, grace])) === 'late') await client.close({ code: 1001, force: true }).catch(() => undefined);
  timer?.cancel();
}

interface AdmitDeps {
  readonly config: OcppConfig;
  readonly registry: StationRegistry;
  readonly passwords: PasswordVerifier;
  readonly provisioning: StationProvisioning;
  readonly logger: Logger;
}

/** Authenticates an upgrade; an unknown station accepted for auto-registration is provisioned before it connects. */
async function admit(handshake: StationHandshake, deps: AdmitDeps): Promise<AuthDecision> {
  const { config } = deps;
  const decision = await authenticateStation(handshake, {
    securityProfile: config.securityProfile,
    autoRegisterGroup: config.autoRegisterGroup,
    findStation: (id) => deps.registry.get(id)?.record,
    verify: (id, password, stored) => deps.passwords.verify(id, password, stored),
    upstreamVouches: config.upstream?.credentials === 'forward',
  });
  if (decision.accept && !decision.known && config.autoRegisterGroup) {
    const record = await deps.provisioning.upsert({
      id: decision.stationId,
      groupId: config.autoRegisterGroup,
      evseMaxCurrentA: 32,
      evseCount: 1,
      phases: 3,
      ...(decision.password !== undefined && { password: decision.password }),
    });
    deps.logger.info('station auto-registered', { stationId: record.stationId, groupId: record.groupId });
  }
  return decision;
}
