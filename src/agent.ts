// Builds a running flexbridge from a validated configuration, in dependency order: store and clock, HTTP listener,
// OSCP adapter, core, OCPP CSMS (with core as its inbound port), then core started with the CSMS's commands, the
// OSCP adapter with core as its inbound port, and the operator API. `stop` undoes it in the reverse order, bounded.
import { publicBaseUrl } from './config/public-url';
import express, { type Express } from 'express';
import { createLogger, type Logger } from './observability/log';
import type { FlexbridgeConfig } from './config/schema';
import { openSqliteStore, SECRETS_KEY_ENV } from './store/sqlite';
import type { Store } from './core/ports';
import { healthRouter } from './api/health';
import { createOperatorApi, type OperatorApi } from './api/operator-api';
import type { ApiBackend } from './api/backend';
import { dashboardRouter } from './api/dashboard';
import { metricsEndpoint } from './api/metrics-endpoint';
import { listenHttp, type HttpListener } from './api/http-listener';
import { createMetrics, type Metrics } from './observability/metrics';
import { createOscpAdapter, type OscpAdapter } from './oscp';
import { startCsms, type Csms } from './ocpp/csms';
import { FlexibilityProvider } from './core/flexibility-provider';
import { CoreEvents } from './core/events';
import { GroupEnergyRegister } from './core/group-energy';
import { Scheduler, systemClock } from './core/scheduler';
import { allocatorPlan } from './core/allocator-plan';
import { bindCoreMetrics } from './observability/core-metrics';
import { AuthThrottle } from './observability/auth-throttle';
import { HeapTrim, processHeap } from './observability/heap-trim';

export interface Agent {
  readonly config: FlexbridgeConfig;
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly oscp: OscpAdapter;
  readonly csms: Csms;
  readonly provider: FlexibilityProvider;
  readonly events: CoreEvents;
  /** Port of the HTTP listener (OSCP, API, health); useful when the config asked for port 0. */
  readonly httpPort: number;
  /** Port of the OCPP WebSocket listener. */
  readonly ocppPort: number;
  /** Stops accepting, stops sending, closes the sockets, flushes the store; bounded by http.shutdownTimeoutMs. */
  stop(reason?: string): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** The key secrets at rest are sealed with; default: the FLEXBRIDGE_SECRETS_KEY environment variable. */
  secretsKey?: string;
}

/** The parts every later step uses: the store, the one scheduler, core's events, logs and metrics. */
interface Foundation {
  readonly config: FlexbridgeConfig;
  readonly logger: Logger;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly scheduler: Scheduler;
  readonly events: CoreEvents;
  readonly nowMs: () => number;
  /** Failed authentications on every port, one back-off per address and identity across OCPP, OSCP and the API. */
  readonly throttle: AuthThrottle;
}

export async function startAgent(config: FlexbridgeConfig, options: StartOptions = {}): Promise<Agent> {
  const foundation = lay(config, options);
  const { logger, store, scheduler, events, nowMs } = foundation;
  const app = express();
  app.disable('x-powered-by');
  const readiness = { ocpp: false };
  let listener: HttpListener;
  try {
    listener = await listenHttp(app, {
      host: config.http.host,
      port: config.http.port,
      tls: config.http.tls,
      headersTimeoutMs: config.http.headersTimeoutMs,
      requestTimeoutMs: config.http.requestTimeoutMs,
    });
  } catch (error) {
    store.close();
    throw error;
  }
  app.use(healthRouter({ store: () => store.isOpen(), http: () => listener.server.listening, ocpp: () => readiness.ocpp }));
  const energy = new GroupEnergyRegister(store.kv);
  const oscp = startOscpAdapter(foundation, app, listener.port, energy);
  const core = new FlexibilityProvider({
    groups: config.groups,
    forecasts: oscp.forecasts,
    grid: oscp.grid,
    plan: allocatorPlan,
    kv: store.kv,
    plans: store.plans,
    energy,
    scheduler,
    nowMs,
    events,
    logger,
  });
  observe(foundation, core);
  let csms: Csms;
  try {
    csms = await startCsms({
      config: config.ocpp,
      stations: config.stations,
      store,
      inbound: core,
      logger,
      metrics: foundation.metrics,
      scheduler,
      nowMs,
      throttle: foundation.throttle,
      // The energy totals go with the session rows whose readings they count (one transaction, consistent after kill -9).
      withSessions: () => energy.flush(),
    });
  } catch (error) {
    await listener.close(config.http.shutdownTimeoutMs);
    store.close();
    throw error;
  }
  readiness.ocpp = true;
  core.start(csms.commands);
  oscp.start(core);
  const api = mountOperatorApi(foundation, app, core, backendOf(csms, oscp, store, core));
  if (config.heap.trimWhenIdle) trimHeapWhenIdle(foundation);
  const ocppPort = csms.port;
  const httpPort = listener.port;
  const scheme = (tls: unknown): string => (tls ? 's' : '');
  const host = (bound: string): string => (bound === '0.0.0.0' || bound === '::' ? '<this host>' : bound);
  logger.info('flexbridge started', {
    httpPort,
    ocppPort,
    store: config.store.path,
    groups: config.groups.map((g) => g.id),
    // Where to point chargers (the station appends its identity) and where the operator looks.
    chargerUrl: `ws${scheme(config.ocpp.securityProfile > 1 ? config.ocpp.tls : undefined)}://${host(config.ocpp.host)}:${ocppPort}${config.ocpp.path}/<station identity>`,
    dashboardUrl: `http${scheme(config.http.tls)}://${host(config.http.host)}:${httpPort}/`,
  });

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop requested'): Promise<void> =>
    (stopping ??= shutDown(foundation, { api, listener, csms, core, oscp }, reason));
  return { config, store, logger, metrics: foundation.metrics, oscp, csms, provider: core, events, httpPort, ocppPort, stop };
}

function lay(config: FlexbridgeConfig, options: StartOptions): Foundation {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  return {
    config,
    logger,
    store: openSqliteStore(config.store.path, { secretsKey: options.secretsKey ?? process.env[SECRETS_KEY_ENV], clock: systemClock }),
    metrics: createMetrics(),
    scheduler: new Scheduler(undefined, (key, error) => logger.error('scheduled work failed', { key, error: String(error) })),
    events: new CoreEvents((event, error) => logger.error('core event listener failed', { event, error: String(error) })),
    nowMs: (): number => Date.now(),
    throttle: new AuthThrottle(config.authThrottle, () => Date.now()),
  };
}

/** The OSCP adapter on the HTTP listener; peers are told the real port when the config asked for port 0. */
function startOscpAdapter(foundation: Foundation, app: Express, httpPort: number, energy: GroupEnergyRegister): OscpAdapter {
  const { config } = foundation;
  const ourUrl = publicBaseUrl(config, httpPort);
  if (ourUrl.warning) foundation.logger.warn(ourUrl.warning, { publicBaseUrl: ourUrl.url });
  const oscp = createOscpAdapter({
    config: { oscp: { ...config.oscp, publicBaseUrl: ourUrl.url }, groups: config.groups },
    store: foundation.store,
    logger: foundation.logger,
    metrics: foundation.metrics,
    scheduler: foundation.scheduler,
    groupEnergyWh: (groupId) => energy.totalWh(groupId),
    throttle: foundation.throttle,
  });
  app.use(config.oscp.basePath, oscp.router);
  return oscp;
}

/** Logs and metrics that follow core's events. */
function observe(foundation: Foundation, core: FlexibilityProvider): void {
  const { events, logger } = foundation;
  bindCoreMetrics(events, core, foundation.metrics, foundation.nowMs);
  // A plan that changed nothing is routine: debug; one that changed or failed something is worth a line.
  events.on('planApplied', (applied) =>
    applied.stationsChanged > 0 || applied.failed > 0
      ? logger.info('plan applied', { ...applied })
      : logger.debug('plan applied', { ...applied }),
  );
  events.on('complianceErrorSent', ({ groupId, forecastRequestId, blocks }) =>
    logger.warn('group cannot comply with its capacity; compliance error queued', { groupId, forecastRequestId, blocks }),
  );
}

/** The operator API reads core and drives the CSMS and the OSCP adapter through this backend; never an adapter itself. */
function backendOf(csms: Csms, oscp: OscpAdapter, store: Store, core: FlexibilityProvider): ApiBackend {
  return {
    forecasts: oscp.forecasts,
    sessions: store.sessions,
    stations: () => csms.registry.all(),
    station: (stationId) => csms.registry.get(stationId),
    upsertStation: (station) => csms.upsertStation(station),
    removeStation: (stationId) => {
      const removed = csms.removeStation(stationId);
      if (removed) core.removeStation(stationId);
      return removed;
    },
    peers: () => oscp.peers(),
    connectionAttempts: (identity) => csms.attempts.list(identity),
    onConnectionRefused: (listener) => csms.attempts.subscribe(listener),
    trace: (stationId) => {
      const trace = csms.registry.get(stationId)?.trace;
      return trace && { state: trace.state, frames: trace.entries() };
    },
    setTrace: (stationId, enabled, capacity) => csms.registry.get(stationId)?.trace.configure(enabled, capacity),
    onFrame: (listener) => csms.traces.subscribe(listener),
    remoteAction: (stationId, action) => csms.remoteActions.run(stationId, action),
    rawCall: (stationId, action, payload) => csms.remoteActions.raw(stationId, action, payload),
    reRegister: (peerId) => oscp.reRegister(peerId),
    reHandshake: (peerId) => oscp.reHandshake(peerId),
  };
}

function mountOperatorApi(foundation: Foundation, app: Express, core: FlexibilityProvider, backend: ApiBackend): OperatorApi {
  const { config, metrics } = foundation;
  const api = createOperatorApi({
    config: config.api,
    groups: config.groups,
    core,
    coreEvents: foundation.events,
    logger: foundation.logger,
    metrics,
    throttle: foundation.throttle,
    nowMs: foundation.nowMs,
    scheduler: foundation.scheduler,
    backend,
  });
  app.get('/metrics', metricsEndpoint(metrics.registry, config.api.metricsToken));
  app.use('/api/v1', api.router);
  app.use(dashboardRouter());
  api.start();
  return api;
}

interface Running {
  readonly api: OperatorApi;
  readonly listener: HttpListener;
  readonly csms: Csms;
  readonly core: FlexibilityProvider;
  readonly oscp: OscpAdapter;
}

/** The idle heap trim on the one scheduler: a check every 10 s (2 s between passes), a log line and two metrics per pass. */
function trimHeapWhenIdle({ scheduler, logger, metrics, nowMs }: Foundation): void {
  const trim = new HeapTrim(processHeap());
  const MiB = 2 ** 20;
  const check = (): void => {
    const outcome = trim.check(nowMs());
    metrics.heapTrimDue.set(trim.due ? 1 : 0);
    if (outcome.kind === 'trimmed') {
      metrics.heapTrimSeconds.observe(outcome.pauseMs / 1000);
      metrics.heapTrimFreedBytes.set(outcome.beforeBytes - outcome.afterBytes);
      logger.info('heap trimmed after a burst', {
        pass: outcome.pass,
        usedMiB: [Math.round(outcome.beforeBytes / MiB), Math.round(outcome.afterBytes / MiB)],
        committedMiB: [Math.round(outcome.committedBeforeBytes / MiB), Math.round(outcome.committedAfterBytes / MiB)],
        pauseMs: Math.round(outcome.pauseMs),
      });
    }
    arm();
  };
  const arm = (): void => scheduler.schedule('heap-trim', nowMs() + trim.nextCheckInMs, check);
  arm();
}

/**
 * Stop accepting (HTTP, OCPP), stop sending and close the station sockets — so no silent station holds the stop —,
 * let core and the OSCP adapter finish, then flush and close the store. The steps before the flush are bounded by
 * http.shutdownTimeoutMs; the flush always runs.
 */
async function shutDown(foundation: Foundation, running: Running, reason: string): Promise<void> {
  const { logger, config, scheduler, store } = foundation;
  logger.info('flexbridge stopping', { reason });
  const steps = (async () => {
    running.api.stop();
    await Promise.all([running.listener.close(config.http.shutdownTimeoutMs), running.csms.stop()]);
    await running.core.stop();
    await running.oscp.stop();
  })();
  let timer: { cancel(): void } | undefined;
  const bound = new Promise<'timeout'>((resolve) => {
    timer = systemClock.setTimer(() => resolve('timeout'), config.http.shutdownTimeoutMs);
  });
  const outcome = await Promise.race([steps.then(() => 'done' as const), bound]);
  timer?.cancel();
  if (outcome === 'timeout') logger.warn('stop took longer than http.shutdownTimeoutMs; flushing the store anyway', { reason });
  scheduler.stop();
  running.csms.sessions.flush();
  store.close();
  logger.info('flexbridge stopped');
}
