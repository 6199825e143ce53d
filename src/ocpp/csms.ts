// The OCPP 2.0.1 CSMS: ocpp-rpc server behind a guarded upgrade, station authentication, one authoritative
// connection per station, discovery after connect, and the command service core drives. Built by main.ts.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { RPCServer } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import type { FleetStation } from '../core/fleet';
import { Scheduler } from '../core/scheduler';
import type { ChargingSession } from '../domain/session';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { OcppConfig } from '../config/schema';
import type { Store, StationRecord } from '../store/store';
import { authenticateStation, OCPP_SUBPROTOCOL } from './auth';
import { identityFromUrl } from './identity';
import { hashPassword, PasswordVerifier, verifyPassword } from './passwords';
import { registerStationHandlers } from './handlers';
import { SessionTracker } from './session-tracker';
import { StationCommandService } from './station-commands';
import { StationRegistry, toFleetStation, type StationRuntime } from './station-registry';
import { StationDiscovery } from './station-discovery';

/** What the CSMS tells core (and the operator surface) about stations and sessions. */
export interface StationEvents {
  stationUpdated(station: FleetStation): void;
  stationConnection(stationId: string, connected: boolean): void;
  stationBooted(stationId: string): void;
  stationUncontrollable(stationId: string): void;
  session(session: ChargingSession): void;
}

/** A station configured in the config file; its password is hashed before it reaches the store. */
export interface ConfiguredStation {
  readonly id: string;
  readonly groupId: string;
  readonly password?: string;
  readonly evseMaxCurrentA: number;
  readonly stationMaxCurrentA?: number;
  readonly evseCount: number;
  readonly phases: 1 | 3;
}

/** How long a known station may stay silent after connecting before it is taken as reconnected without a boot. */
const QUIET_RECONNECT_MS = 5000;

export interface CsmsDeps {
  readonly config: OcppConfig;
  readonly stations: readonly ConfiguredStation[];
  readonly store: Store;
  readonly events: StationEvents;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly nowMs?: () => number;
  /** The agent's one scheduler (the Pending bound); a private one on the system clock if not given. */
  readonly scheduler?: Scheduler;
  /** Session store writes are batched per this many ms. */
  readonly sessionFlushMs?: number;
}

export interface Csms {
  readonly port: number;
  readonly commands: StationCommandService;
  readonly registry: StationRegistry;
  readonly sessions: SessionTracker;
  /** Adds or updates a station from the operator API; the password, if any, is hashed. */
  upsertStation(station: ConfiguredStation): Promise<StationRecord>;
  removeStation(stationId: string): boolean;
  stop(): Promise<void>;
}

export async function startCsms(deps: CsmsDeps): Promise<Csms> {
  const { config, store, events } = deps;
  const logger = deps.logger.child({ component: 'ocpp' });
  const nowMs = deps.nowMs ?? Date.now;
  const scheduler = deps.scheduler ?? new Scheduler();
  const registry = new StationRegistry({ depthChanged: (delta) => deps.metrics?.commandQueueDepth.inc(delta) });

  const markUncontrollable = (runtime: StationRuntime, reason: string): void => {
    if (!runtime.record.controllable) return;
    logger.warn('station is uncontrollable; counted at its maximum draw', { stationId: runtime.record.stationId, reason });
    saveRecord({ ...runtime.record, controllable: false });
    events.stationUncontrollable(runtime.record.stationId);
    acceptWhenReady(runtime);
  };

  /**
   * Invariant 2: a station is let in (BootNotification Accepted) only once it carries its standing limits, so it
   * cannot start a session unbounded. Pending until its SmartChargingCtrlr is read and the standing profiles are
   * acknowledged; a station that cannot take profiles (uncontrollable) is let in at once, and one still not ready
   * `bootPendingMaxS` after its first Pending answer is let in anyway and counted at its maximum.
   */
  function bootDecision(runtime: StationRuntime): 'Pending' | 'Accepted' {
    const { record } = runtime;
    const ready = record.smartCharging !== undefined && (runtime.standingInstalled || !record.controllable);
    const now = nowMs();
    const pendingForMs = runtime.pendingSinceMs === undefined ? 0 : now - runtime.pendingSinceMs;
    if (ready || pendingForMs >= config.bootPendingMaxS * 1000) {
      if (!ready) {
        logger.warn('station let in without its standing limit; counted at its maximum', {
          stationId: record.stationId,
          pendingS: Math.round(pendingForMs / 1000),
          reason: runtime.pendingReason,
        });
      }
      runtime.pendingSinceMs = undefined;
      runtime.pendingReason = undefined;
      scheduler.cancel(`boot-pending:${record.stationId}`);
      return 'Accepted';
    }
    const reason =
      record.smartCharging === undefined
        ? 'reading its smart-charging limits (GetVariables SmartChargingCtrlr)'
        : 'installing its standing limits (SetChargingProfile ChargingStationMaxProfile and TxDefaultProfile)';
    if (runtime.pendingSinceMs === undefined) {
      runtime.pendingSinceMs = now;
      // Firmware that backs off exponentially may not boot again for minutes: ask it to, once the bound is reached.
      scheduler.schedule(`boot-pending:${record.stationId}`, now + config.bootPendingMaxS * 1000, () => {
        if (runtime.bootStatus === 'Pending') void discovery.triggerBoot(runtime);
      });
    }
    if (reason !== runtime.pendingReason) {
      logger.info('station Pending', { stationId: record.stationId, reason, boundS: config.bootPendingMaxS });
      runtime.pendingReason = reason;
    }
    return 'Pending';
  }

  /**
   * CSMS-initiated calls may now go to this connection (B01/B02): after the BootNotification response, or at the
   * first other message of a station that reconnected without booting. Core hears of the connection only now.
   */
  function allowCalls(runtime: StationRuntime, client: RpcServerClient, via: 'boot' | 'message'): void {
    if (runtime.client !== client || runtime.callsAllowed) return;
    runtime.callsAllowed = true;
    const stationId = runtime.record.stationId;
    if (!runtime.announced) {
      runtime.announced = true;
      events.stationConnection(stationId, true);
    }
    events.stationUpdated(toFleetStation(runtime));
    if (via === 'message') setImmediate(() => void discovery.afterConnect(runtime));
  }

  function acceptWhenReady(runtime: StationRuntime): void {
    if (runtime.bootStatus !== 'Pending' || runtime.record.smartCharging === undefined) return;
    if (runtime.standingInstalled || !runtime.record.controllable) void discovery.triggerBoot(runtime);
  }
  const commands = new StationCommandService({
    registry,
    options: { timeoutMs: config.callTimeoutMs, retriesOnTimeout: 1, rejectionsBeforeUncontrollable: 3 },
    logger,
    metrics: deps.metrics,
    nowMs,
    markUncontrollable,
    standingInstalled: (runtime) => acceptWhenReady(runtime),
  });
  const discovery = new StationDiscovery({
    logger,
    metrics: deps.metrics,
    timeoutMs: config.callTimeoutMs,
    save: (r) => saveRecord(r),
    markUncontrollable,
  });
  const sessions = new SessionTracker(
    store.sessions,
    { session: (s) => events.session(s) },
    logger,
    deps.sessionFlushMs ?? 250,
    deps.metrics,
  );

  function saveRecord(record: StationRecord): StationRuntime {
    store.stations.upsert(record);
    const runtime = registry.upsert(record);
    events.stationUpdated(toFleetStation(runtime));
    return runtime;
  }

  async function upsertStation(station: ConfiguredStation): Promise<StationRecord> {
    const existing = registry.get(station.id)?.record ?? store.stations.get(station.id);
    const keepHash =
      station.password !== undefined && existing?.passwordHash && (await verifyPassword(station.password, existing.passwordHash));
    const passwordHash =
      station.password === undefined ? existing?.passwordHash : keepHash ? existing?.passwordHash : await hashPassword(station.password);
    const record: StationRecord = {
      ...existing,
      stationId: station.id,
      groupId: station.groupId,
      evseMaxCurrentA: station.evseMaxCurrentA,
      stationMaxCurrentA: station.stationMaxCurrentA ?? station.evseMaxCurrentA * station.evseCount,
      evseCount: Math.max(station.evseCount, existing?.evseCount ?? 0),
      phases: station.phases,
      controllable: existing?.controllable ?? true,
      ...(passwordHash !== undefined && { passwordHash }),
    };
    return saveRecord(record).record;
  }

  // State from the store first, then the config file's stations on top; core hears of every one before any connects.
  for (const record of store.stations.list()) registry.upsert(record);
  for (const station of deps.stations) await upsertStation(station);
  for (const runtime of registry.all()) events.stationUpdated(toFleetStation(runtime));
  for (const session of sessions.restore()) registry.get(session.stationId)?.transactionByEvse.set(session.evseId, session.transactionId);

  const rpc = new RPCServer({
    protocols: [OCPP_SUBPROTOCOL],
    strictMode: true,
    callTimeoutMs: config.callTimeoutMs,
    maxBadMessages: 10,
    // permessage-deflate is required of a CSMS (OCPP-J §3.3), but ws compresses every frame, however small, when the
    // zlib context is kept between messages: measured, that cost ~260 KiB per station and 60 % of the message rate.
    // Without context takeover, frames under 1 KiB (nearly all OCPP traffic) go uncompressed and hold no zlib state.
    wssOptions: {
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 },
      maxPayload: 1024 * 1024,
    },
  });

  const passwords = new PasswordVerifier();
  rpc.auth(async (accept, reject, handshake) => {
    try {
      const decision = await authenticateStation(handshake, {
        securityProfile: config.securityProfile,
        autoRegisterGroup: config.autoRegisterGroup,
        findStation: (id) => registry.get(id)?.record,
        verify: (id, password, stored) => passwords.verify(id, password, stored),
      });
      if (!decision.accept) {
        logger.warn('station connection refused', { stationId: handshake.identity, code: decision.code, reason: decision.reason });
        reject(decision.code, decision.reason);
        return;
      }
      if (!decision.known && config.autoRegisterGroup) {
        const record = await upsertStation({
          id: decision.stationId,
          groupId: config.autoRegisterGroup,
          evseMaxCurrentA: 32,
          evseCount: 1,
          phases: 3,
          ...(decision.password !== undefined && { password: decision.password }),
        });
        logger.info('station auto-registered', { stationId: record.stationId, groupId: record.groupId });
      }
      accept({ stationId: decision.stationId }, OCPP_SUBPROTOCOL);
    } catch (error) {
      logger.error('station authentication failed', { stationId: handshake.identity, error: String(error) });
      reject(500, 'internal error');
    }
  });

  rpc.on('client', (client: RpcServerClient) => onClient(client));

  function onClient(client: RpcServerClient): void {
    const runtime = registry.get(client.identity ?? '');
    if (!runtime) {
      void client.close({ code: 1008, reason: 'unknown station' });
      return;
    }
    const stationId = runtime.record.stationId;
    registerStationHandlers(client, {
      runtime,
      sessions,
      logger,
      metrics: deps.metrics,
      heartbeatIntervalS: config.heartbeatIntervalS,
      authorize: config.authorize,
      nowMs,
      booted: (r) => {
        const status = bootDecision(r);
        r.bootStatus = status;
        // After the response has gone out: only now may the station take calls (B01), core re-profiles it (its
        // profiles may be gone; once per connection), and a Pending station is read (B02 allows GetVariables).
        setImmediate(() => {
          allowCalls(r, client, 'boot');
          if (!r.bootNotified) {
            r.bootNotified = true;
            events.stationBooted(stationId);
          }
          if (status === 'Pending' && !r.record.smartCharging) void discovery.discover(r).then(() => acceptWhenReady(r));
          else if (status === 'Accepted') void discovery.afterConnect(r);
        });
        return status;
      },
      spoke: (r) => allowCalls(r, client, 'message'),
      evseSeen: (r, evseId) => {
        if (evseId > r.record.evseCount)
          saveRecord({
            ...r.record,
            evseCount: evseId,
            stationMaxCurrentA: Math.max(r.record.stationMaxCurrentA, r.record.evseMaxCurrentA * evseId),
          });
      },
      maxProfilesReported: (r, maxProfiles) => {
        const limits = r.record.smartCharging;
        if (limits && limits.maxProfiles !== maxProfiles) saveRecord({ ...r.record, smartCharging: { ...limits, maxProfiles } });
      },
      chargingProfilesReported: (requestId, profiles, tbc) => commands.reportReceived(stationId, requestId, profiles, tbc),
    });
    const previous = runtime.client;
    runtime.client = client;
    runtime.bootStatus = 'none';
    runtime.bootNotified = false;
    runtime.callsAllowed = false;
    runtime.consecutiveTimeouts = 0;
    runtime.backoffUntilMs = 0;
    deps.metrics?.stationsConnected.inc();
    if (previous) {
      logger.warn('second connection for a station; the older one is closed', { stationId });
      void previous.close({ code: 1000, reason: 'replaced by a newer connection', force: true });
    } else {
      logger.info('station connected', { stationId });
    }
    client.on('close', () => {
      deps.metrics?.stationsConnected.dec();
      if (runtime.client !== client) return;
      runtime.client = undefined;
      runtime.bootStatus = 'none';
      runtime.callsAllowed = false;
      logger.info('station disconnected', { stationId });
      if (runtime.announced) {
        runtime.announced = false;
        events.stationConnection(stationId, false);
      }
      events.stationUpdated(toFleetStation(runtime));
    });
    // Nothing is sent before the station has booted or spoken: a station that has not booted cannot answer (B01).
    // A station this agent has read before and that neither boots nor speaks for a while reconnected after a network
    // drop without booting (it is Accepted on its side): then it may be asked for its state.
    if (runtime.record.smartCharging !== undefined) {
      scheduler.schedule(`quiet-reconnect:${stationId}`, nowMs() + QUIET_RECONNECT_MS, () => {
        if (runtime.bootStatus === 'none') allowCalls(runtime, client, 'message');
      });
    }
  }

  const server = createServer(config);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const identity = identityFromUrl(request.url, config.path);
    if (!identity.ok) {
      logger.warn('WebSocket upgrade refused', { url: request.url?.slice(0, 200), reason: identity.reason });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${identity.reason}\n`);
      return;
    }
    rpc.handleUpgrade(request, socket as Parameters<typeof rpc.handleUpgrade>[1], head).catch((error: unknown) => {
      logger.warn('WebSocket upgrade failed', { stationId: identity.identity, error: String(error) });
      socket.destroy();
    });
  });
  server.on('request', (_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' }).end('OCPP 2.0.1 over WebSocket only\n');
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : config.port);
    });
  });
  logger.info('OCPP endpoint listening', { host: config.host, port, path: config.path, securityProfile: config.securityProfile });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const runtime of registry.all()) runtime.queue.close();
      const clients = [...registry.all()].flatMap((r) => (r.client ? [r.client] : []));
      await Promise.all(
        clients.map((c) => c.close({ code: 1001, reason: 'flexbridge stopping', awaitPending: false }).catch(() => undefined)),
      );
      await rpc.close({ code: 1001, reason: 'flexbridge stopping' });
      await new Promise<void>((resolve) => server.close(() => resolve()));
      sessions.stop();
    })());

  return {
    port,
    commands,
    registry,
    sessions,
    upsertStation,
    removeStation: (stationId) => {
      const runtime = registry.remove(stationId);
      if (!runtime) return false;
      store.stations.delete(stationId);
      passwords.forget(stationId);
      void runtime.client?.close({ code: 1008, reason: 'station removed' });
      return true;
    },
    stop,
  };
}

function createServer(config: OcppConfig): Server {
  if (config.securityProfile === 1 || !config.tls) return createHttpServer();
  return createHttpsServer({
    cert: readFileSync(config.tls.certFile),
    key: readFileSync(config.tls.keyFile),
    minVersion: 'TLSv1.2',
    ...(config.securityProfile === 3 &&
      config.tls.caFile && { ca: readFileSync(config.tls.caFile), requestCert: true, rejectUnauthorized: true }),
  });
}
