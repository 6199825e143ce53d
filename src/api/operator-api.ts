// The operator REST API under /api/v1: authentication, the routes, problem+json errors, the event stream and
// webhooks, and the read models they share. agent.ts builds it, mounts `router` and feeds it station events.
import express, { type Router } from 'express';
import { Gauge, Counter } from 'prom-client';
import type { ApiConfig, GroupConfig } from '../config/schema';
import { Backoff } from '../core/backoff';
import type { CoreEvents } from '../core/events';
import type { CoreQueries, OperatorCommands } from '../core/ports';
import { Scheduler } from '../core/scheduler';
import type { Logger } from '../observability/log';
import type { AuthThrottle } from '../observability/auth-throttle';
import type { Metrics } from '../observability/metrics';
import { authenticate, Credentials } from './auth';
import type { ApiBackend } from './backend';
import type { ApiContext } from './context';
import { EventLog } from './event-log';
import { OperatorFeed } from './feed';
import { GroupHistory } from './history';
import { OperatorEvents } from './operator-events';
import { OverrideEvents } from './override-events';
import { NotFoundProblem, problemHandler } from './problems';
import { mountRoutes, type Route } from './route';
import { groupRoutes } from './routes/groups';
import { documentationRoutes, eventRoutes } from './routes/meta';
import { overrideRoutes } from './routes/overrides';
import { connectionAttemptRoutes } from './routes/connection-attempts';
import { eventLogRoutes } from './routes/event-log';
import { peerRoutes } from './routes/peers';
import { sessionRoutes } from './routes/sessions';
import { stationRoutes } from './routes/stations';
import { stationOcppRoutes } from './routes/station-ocpp';
import { SessionBook } from './session-book';
import { EventStreams } from './sse';
import { WebhookDelivery } from './webhooks';

export interface OperatorApiDeps {
  readonly config: ApiConfig;
  readonly groups: readonly GroupConfig[];
  readonly core: CoreQueries & OperatorCommands;
  readonly coreEvents: CoreEvents;
  readonly backend: ApiBackend;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** The agent's failed-authentication back-off (shared with OCPP and OSCP); none = not throttled. */
  readonly throttle?: AuthThrottle;
  readonly nowMs?: () => number;
  /** The agent's one scheduler (history sampling, SSE heartbeats, webhook retries); without it the API runs its own. */
  readonly scheduler?: Scheduler;
  /** Test knobs; production uses the defaults. */
  readonly tuning?: Partial<ApiTuning>;
}

export interface ApiTuning {
  readonly historyIntervalMs: number;
  readonly historyRetentionMs: number;
  readonly sseHeartbeatMs: number;
  readonly webhookBaseDelayMs: number;
  readonly webhookMaxDelayMs: number;
}

const DEFAULT_TUNING: ApiTuning = {
  historyIntervalMs: 10_000,
  historyRetentionMs: 24 * 3_600_000,
  sseHeartbeatMs: 15_000,
  webhookBaseDelayMs: 1_000,
  webhookMaxDelayMs: 300_000,
};

export interface OperatorApi {
  readonly router: Router;
  /** Start-up state has been fed in: publish changes from now on, start sampling. */
  start(): void;
  /** Ends event streams (so a graceful stop does not wait for them), webhooks and timers. */
  stop(): void;
}

export function createOperatorApi(deps: OperatorApiDeps): OperatorApi {
  const tuning = { ...DEFAULT_TUNING, ...deps.tuning };
  const logger = deps.logger.child({ component: 'api' });
  const scheduler =
    deps.scheduler ?? new Scheduler(undefined, (key, error) => logger.error('API timer failed', { key, error: String(error) }));
  const nowMs = deps.nowMs ?? ((): number => scheduler.nowMs());
  // Everything the API waits for runs under this prefix; `stop` closes it without touching anyone else's deadlines.
  const timers = scheduler.scope('api:');
  const events = new OperatorEvents(nowMs, (error) => logger.error('operator event listener failed', { error }));
  const eventLog = new EventLog(events);
  const overrideEvents = new OverrideEvents(deps.core.overrides, events, timers);
  const history = new GroupHistory(
    deps.groups.map((g) => g.id),
    { intervalMs: tuning.historyIntervalMs, retentionMs: tuning.historyRetentionMs },
  );
  const book = new SessionBook({ recentLimit: 500, historyLimit: 100 });
  const feed = new OperatorFeed({
    core: deps.core,
    coreEvents: deps.coreEvents,
    groupIds: deps.groups.map((g) => g.id),
    events,
    history,
    book,
    nowMs,
    refusals: (listener) => deps.backend.onConnectionRefused(listener),
  });
  const registers = deps.metrics ? [deps.metrics.registry] : [];
  const sseClients = new Gauge({ name: 'flexbridge_api_event_streams', help: 'Open operator event streams (SSE)', registers });
  const deliveries = new Counter({
    name: 'flexbridge_webhook_deliveries_total',
    help: 'Webhook delivery attempts by result',
    labelNames: ['result'],
    registers,
  });
  const streams = new EventStreams(events, { heartbeatMs: tuning.sseHeartbeatMs, maxBufferedBytes: 1 << 20 }, timers, (n) =>
    sseClients.set(n),
  );
  const webhooks = new WebhookDelivery(
    deps.config.webhooks,
    {
      queueLimit: deps.config.webhookQueueLimit,
      backoff: new Backoff({ minMs: tuning.webhookBaseDelayMs, maxMs: tuning.webhookMaxDelayMs }),
      concurrency: 4,
    },
    logger,
    timers,
    (result) => deliveries.inc({ result }),
  );
  // Traced stations' frames go to the event streams only: not numbered, not replayed, not to webhooks.
  const unsubscribeFrames = deps.backend.onFrame((stationId, frame) => streams.broadcast('station.frame', { stationId, ...frame }));
  const unsubscribeWebhooks = deps.config.webhooks.length > 0 ? events.subscribe((event) => webhooks.enqueue(event)) : () => undefined;

  const context: ApiContext = {
    groups: deps.groups,
    core: deps.core,
    backend: deps.backend,
    history,
    book,
    feed,
    streams,
    eventLog,
    overrideEvents,
    logger,
    nowMs,
  };
  const routes: Route[] = [
    ...groupRoutes(context),
    ...stationRoutes(context),
    ...stationOcppRoutes(context),
    ...connectionAttemptRoutes(context),
    ...sessionRoutes(context),
    ...peerRoutes(context),
    ...overrideRoutes(context),
    ...eventRoutes(context),
    ...eventLogRoutes(context),
  ];
  const documentation = documentationRoutes(routes);
  const credentials = new Credentials(deps.config);

  const router = express.Router();
  mountRoutes(router, documentation);
  router.use(
    authenticate(credentials, {
      queryTokenPaths: ['/events'],
      ...(deps.throttle && { throttle: deps.throttle }),
      failed: (scope) =>
        scope ? deps.metrics?.authThrottled.inc({ port: 'api', scope }) : deps.metrics?.authFailures.inc({ port: 'api' }),
    }),
  );
  router.use(express.json({ limit: '100kb', type: ['application/json', 'application/*+json'] }));
  mountRoutes(router, routes);
  router.use((req) => {
    throw new NotFoundProblem(`no operator API endpoint ${req.method} ${req.baseUrl}${req.path}`);
  });
  router.use(problemHandler(logger));

  const sample = (): void => {
    history.tick(nowMs());
    timers.schedule('history-sample', timers.nowMs() + tuning.historyIntervalMs, sample);
  };
  return {
    router,
    start: () => {
      feed.goLive();
      overrideEvents.start();
      if (credentials.empty)
        logger.warn('operator API has no tokens or users configured (config api.tokens, api.users): every /api/v1 request gets 401');
      timers.schedule('history-sample', timers.nowMs() + tuning.historyIntervalMs, sample);
    },
    stop: () => {
      unsubscribeFrames();
      unsubscribeWebhooks();
      feed.close();
      eventLog.close();
      streams.close();
      webhooks.stop();
      timers.close();
      if (!deps.scheduler) scheduler.stop();
    },
  };
}
