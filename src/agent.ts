// Builds a running flexbridge from a validated configuration: store, HTTP listener, protocol adapters.
// `startAgent` is what main.ts, the e2e tests and the demo call; `stop` shuts everything down in order.
import express from 'express';
import { createLogger, type Logger } from './log';
import type { FlexbridgeConfig } from './config/schema';
import { openSqliteStore } from './store/sqlite';
import type { Store } from './store/store';
import { healthRouter } from './api/health';
import { listenHttp, type HttpListener } from './api/http-listener';
import { createMetrics, type Metrics } from './metrics';

export interface Agent {
  readonly config: FlexbridgeConfig;
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Port of the HTTP listener (OSCP, API, health); useful when the config asked for port 0. */
  readonly httpPort: number;
  /** Stops accepting, finishes in-flight work, closes the store; bounded by http.shutdownTimeoutMs. */
  stop(reason?: string): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
}

export async function startAgent(config: FlexbridgeConfig, options: StartOptions = {}): Promise<Agent> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const store = openSqliteStore(config.store.path);
  const metrics = createMetrics();
  let listener: HttpListener | undefined;
  let stopping: Promise<void> | undefined;

  const app = express();
  app.disable('x-powered-by');
  app.use(
    healthRouter({
      store: () => store.isOpen(),
      http: () => listener?.server.listening === true,
    }),
  );
  app.get('/metrics', (_req, res, next) => {
    metrics.registry.metrics().then((text) => res.type(metrics.registry.contentType).send(text), next);
  });

  try {
    listener = await listenHttp(app, { host: config.http.host, port: config.http.port, tls: config.http.tls });
  } catch (error) {
    store.close();
    throw error;
  }
  const httpPort = listener.port;
  logger.info('flexbridge started', { httpPort, store: config.store.path, groups: config.groups.map((g) => g.id) });

  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      logger.info('flexbridge stopping', { reason });
      await listener?.close(config.http.shutdownTimeoutMs);
      store.close();
      logger.info('flexbridge stopped');
    })();
    return stopping;
  };

  return { config, store, logger, metrics, httpPort, stop };
}
