// Builds a running flexbridge from a validated configuration: store, HTTP listener (OSCP endpoint, health,
// metrics), OSCP adapter, OCPP CSMS, and the Flexibility Provider core between them. `stop` shuts down in order.
import express from 'express';
import { createLogger, type Logger } from './log';
import type { FlexbridgeConfig } from './config/schema';
import { openSqliteStore } from './store/sqlite';
import type { Store } from './store/store';
import { healthRouter } from './api/health';
import { createOperatorApi } from './api/operator-api';
import { dashboardRouter } from './api/dashboard';
import { listenHttp, type HttpListener } from './api/http-listener';
import { createMetrics, type Metrics } from './metrics';
import { createOscpAdapter, type OscpAdapter } from './oscp';
import { startCsms, type Csms } from './ocpp/csms';
import { FlexibilityProvider } from './core/flexibility-provider';
import { CoreEvents } from './core/events';
import { Scheduler } from './core/scheduler';
import { allocatorPlan } from './core/allocator-plan';
import { bindCoreMetrics, MeasuredCurrent } from './core-metrics';

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
  /** Stops accepting, finishes in-flight work, closes the store; bounded by http.shutdownTimeoutMs. */
  stop(reason?: string): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

/** How often the group energy registers are written to the store (one transaction per tick). */
const ENERGY_FLUSH_MS = 5_000;

export async function startAgent(config: FlexbridgeConfig, options: StartOptions = {}): Promise<Agent> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const store = openSqliteStore(config.store.path);
  const metrics = createMetrics();
  const nowMs = (): number => Date.now();
  const scheduler = new Scheduler(undefined, (key, error) => logger.error('scheduled work failed', { key, error: String(error) }));
  const events = new CoreEvents((event, error) => logger.error('core event listener failed', { event, error: String(error) }));
  let listener: HttpListener | undefined;
  let csms: Csms | undefined;
  let stopping: Promise<void> | undefined;

  const app = express();
  app.disable('x-powered-by');
  try {
    listener = await listenHttp(app, { host: config.http.host, port: config.http.port, tls: config.http.tls });
  } catch (error) {
    store.close();
    throw error;
  }
  const httpPort = listener.port;
  const oscp = createOscpAdapter({
    config: { oscp: { ...config.oscp, publicBaseUrl: publicBaseUrl(config, httpPort) }, groups: config.groups },
    store,
    logger,
    metrics,
    scheduler,
    // Called only once the adapter is started, after core exists.
    groupEnergyWh: (groupId) => core.energy.totalWh(groupId),
  });
  // Core needs the station commands before the CSMS exists (the CSMS is built from core's callbacks): bound late.
  const core = new FlexibilityProvider({
    groups: config.groups,
    forecasts: oscp.forecasts,
    grid: oscp.grid,
    commands: { applyLimits: (stationId, request) => (csms ? csms.commands.applyLimits(stationId, request) : Promise.resolve('Offline')) },
    plan: allocatorPlan,
    kv: store.kv,
    plans: store.plans,
    scheduler,
    nowMs,
    events,
    logger,
  });
  bindCoreMetrics(events, core, metrics, nowMs);
  events.on('planApplied', (applied) => logger.info('plan applied', { ...applied }));
  events.on('complianceErrorSent', ({ groupId, forecastRequestId, blocks }) =>
    logger.warn('group cannot comply with its capacity; compliance error queued', { groupId, forecastRequestId, blocks }),
  );
  oscp.events.on('forecastChanged', ({ groupId }) => core.onForecastChanged(groupId));
  oscp.events.on('peerOffline', ({ peerId }) => core.onPeerStateChanged(peerId, false));
  oscp.events.on('peerOnline', ({ peerId }) => core.onPeerStateChanged(peerId, true));
  const measured = new MeasuredCurrent(metrics);
  // Bound late like core's commands: the CSMS exists only once startCsms resolves, the router before that.
  const api = createOperatorApi({
    config: config.api,
    groups: config.groups,
    core,
    coreEvents: events,
    logger,
    metrics,
    nowMs,
    backend: {
      forecasts: oscp.forecasts,
      sessions: store.sessions,
      stations: () => csms?.registry.all() ?? [],
      station: (stationId) => csms?.registry.get(stationId),
      upsertStation: (station) => (csms ? csms.upsertStation(station) : Promise.reject(new Error('the CSMS is not started'))),
      removeStation: (stationId) => csms?.removeStation(stationId) ?? false,
      peers: () => oscp.peers(),
      reRegister: (peerId) => oscp.reRegister(peerId),
      reHandshake: (peerId) => oscp.reHandshake(peerId),
    },
  });

  app.use(
    healthRouter({
      store: () => store.isOpen(),
      http: () => listener?.server.listening === true,
      ocpp: () => csms !== undefined,
    }),
  );
  app.get('/metrics', (_req, res, next) => {
    metrics.registry.metrics().then((text) => res.type(metrics.registry.contentType).send(text), next);
  });
  app.use(config.oscp.basePath, oscp.router);
  app.use('/api/v1', api.router);
  app.use(dashboardRouter());

  const flushEnergy = (): void => {
    core.energy.flush();
    scheduler.schedule('energy-flush', nowMs() + ENERGY_FLUSH_MS, flushEnergy);
  };
  try {
    csms = await startCsms({
      config: config.ocpp,
      stations: config.stations,
      store,
      logger,
      metrics,
      nowMs,
      events: {
        stationUpdated: (station) => core.onStationUpdated(station),
        stationConnection: (stationId, connected) => {
          core.onStationConnection(stationId, connected);
          api.stationConnection(stationId, connected);
        },
        stationBooted: (stationId) => core.onStationBooted(stationId),
        stationUncontrollable: (stationId) => core.onStationUncontrollable(stationId),
        session: (session) => {
          core.onSession(session);
          measured.update(session);
          api.session(session);
        },
      },
    });
  } catch (error) {
    await listener.close(config.http.shutdownTimeoutMs);
    await csms?.stop();
    store.close();
    throw error;
  }
  core.start();
  oscp.start();
  api.start();
  flushEnergy();
  const ocppPort = csms.port;
  logger.info('flexbridge started', { httpPort, ocppPort, store: config.store.path, groups: config.groups.map((g) => g.id) });

  const running = csms;
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      logger.info('flexbridge stopping', { reason });
      api.stop();
      await listener?.close(config.http.shutdownTimeoutMs);
      await core.stop();
      await running.stop();
      await oscp.stop();
      scheduler.stop();
      core.energy.flush();
      store.close();
      logger.info('flexbridge stopped');
    })();
    return stopping;
  };

  return { config, store, logger, metrics, oscp, csms: running, provider: core, events, httpPort, ocppPort, stop };
}

/** With http.port 0 (tests, demo) the port is known only now: peers must be told the real one. */
function publicBaseUrl(config: FlexbridgeConfig, httpPort: number): string {
  if (config.http.port !== 0) return config.oscp.publicBaseUrl;
  const url = new URL(config.oscp.publicBaseUrl);
  url.port = String(httpPort);
  return url.toString().replace(/\/$/, '');
}
