// Entry point of the OSCP 2.0 Flexibility Provider adapter: builds book, peers, outbox, link and router from
// config and store, and hands main.ts the ports core needs (ForecastSource, GridReporter) plus typed events.
import type { Router } from 'express';
import { Backoff, type BackoffOptions } from '../core/backoff';
import type { ForecastSource, GridInbound, GridReporter, PeerStatus } from '../core/ports';
import type { Scheduler } from '../core/scheduler';
import type { GroupId } from '../domain/group';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { OutboxMessage, Store } from '../core/ports';
import type { GroupSettings, OscpSettings } from './config';
import { OscpEvents } from './events';
import { ForecastBook } from './forecast-book';
import { ForecastIntake } from './forecast-intake';
import { OscpGridReporter } from './grid-reporter';
import { Link } from './link';
import { MeasurementReporter } from './measurements';
import { OUTBOX_RETRY, OutboxDelivery, type ResolvedMessage } from './outbox';
import { joinUrl, PeerClient } from './peer-client';
import { PeerRegistry } from './peer-registry';
import { isRegisterPath, Registration } from './registration';
import { createOscpRouter } from './router';
import type { AuthThrottle } from '../observability/auth-throttle';

export interface OscpAdapterOptions {
  readonly config: { readonly oscp: OscpSettings; readonly groups: readonly GroupSettings[] };
  readonly store: Store;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Energy register of a group, Wh, never decreasing (core's GroupEnergyRegister). */
  readonly groupEnergyWh: (groupId: GroupId) => number;
  /** The agent's one scheduler; its clock is the adapter's time (a virtual one in tests). */
  readonly scheduler: Scheduler;
  /** Delay of follow-up messages after our 204 (default 500 ms; SolarNetwork waits about 1 s). */
  readonly followUpDelayMs?: number;
  /** Outbox back-off (default OUTBOX_RETRY: 1 s doubling to 5 min). */
  readonly retry?: Partial<BackoffOptions>;
  /** How long ended forecasts stay in the book and the store (default 24 h). */
  readonly forecastRetentionMs?: number;
  readonly client?: PeerClient;
  /** The agent's failed-authentication back-off; none = OSCP tokens are not throttled. */
  readonly throttle?: AuthThrottle;
}

/** Core's read-side shape of a peer (never a token or its hash), re-exported for the adapter's callers. */
export type { PeerStatus };

export interface OscpAdapter {
  readonly router: Router;
  readonly forecasts: ForecastSource;
  readonly grid: GridReporter;
  readonly events: OscpEvents;
  peers(): PeerStatus[];
  /** Sends a fresh Register (token rotation, or direction b again); the peer's Register reply completes it. */
  reRegister(peerId: string): void;
  reHandshake(peerId: string): void;
  /**
   * Starts timers (outbox delivery, heartbeats, offline checks, measurements, pruning) and registers where due; from
   * now on core hears of every forecast and peer state change through its inbound port.
   */
  start(inbound: GridInbound): void;
  /** Stops timers and waits for requests in flight; queued messages stay in the store. */
  stop(): Promise<void>;
}

const HOUR_MS = 3_600_000;

export function createOscpAdapter(options: OscpAdapterOptions): OscpAdapter {
  const { store, metrics } = options;
  const settings = options.config.oscp;
  // Everything the adapter waits for runs under this prefix; `stop` closes it without touching core's deadlines.
  const timers = options.scheduler.scope('oscp:');
  const nowMs = (): number => timers.nowMs();
  const logger = options.logger.child({ component: 'oscp' });
  const followUpDelayMs = options.followUpDelayMs ?? 500;
  const retentionMs = options.forecastRetentionMs ?? 24 * HOUR_MS;
  const groups = new Map(options.config.groups.map((g) => [g.id, g]));
  const client = options.client ?? new PeerClient();
  const events = new OscpEvents((event, error) => logger.error('OSCP event listener failed', { event, error }));

  const registry = new PeerRegistry({ peers: store.peers, kv: store.kv, settings: settings.peers, events, nowMs, logger });
  registry.ensureConfigured();
  const book = new ForecastBook({ groupPeer: (groupId) => groups.get(groupId)?.peerId, peerOnline: (peerId) => registry.isOnline(peerId) });

  // Called only once the loop runs, after `registration` below exists.
  const resolve = (message: OutboxMessage): ResolvedMessage => {
    const peer = registry.get(message.peerId);
    const peerSettings = registry.settings(message.peerId);
    if (!peer || !peerSettings) return { error: `peer ${message.peerId} is not configured` };
    const absolute = /^https?:\/\//i.test(message.path);
    const token = absolute ? (peerSettings.registerToken ?? peer.outboundToken) : peer.outboundToken;
    if (!token) return { error: `peer ${message.peerId} is not registered: no token to present` };
    const baseUrl = peer.baseUrl ?? peerSettings.fallbackBaseUrl;
    if (!absolute && !baseUrl) return { error: `peer ${message.peerId} has no base URL` };
    const url = absolute ? message.path : joinUrl(baseUrl ?? '', message.path);
    let body = message.body;
    if (isRegisterPath(message.path) && message.method !== 'DELETE') {
      const outgoing = registration.outgoingBody(message);
      if ('error' in outgoing) return outgoing;
      body = outgoing.body;
    }
    return { url, token, body, timeoutMs: peerSettings.requestTimeoutMs };
  };
  const outbox = new OutboxDelivery({
    repo: store.outbox,
    client,
    timers,
    resolve,
    onSettled: (message, outcome) => {
      if (isRegisterPath(message.path)) registration.settled(message, outcome.kind === 'delivered');
    },
    nowMs,
    logger,
    metrics,
    options: { backoff: new Backoff({ ...OUTBOX_RETRY, ...options.retry }) },
  });
  const link = new Link({ registry, outbox, client, timers, nowMs, logger, metrics, followUpDelayMs });
  const registration = new Registration({ settings, registry, outbox, link, store, followUpDelayMs, logger });
  const limits = { horizonMs: settings.forecastHorizonDays * 24 * HOUR_MS, maxBlocks: settings.maxForecastBlocks };
  const intake = new ForecastIntake({ book, store, registry, outbox, groups, events, nowMs, logger, limits });
  const measurements = new MeasurementReporter({
    registry,
    outbox,
    timers,
    kv: store.kv,
    store,
    groups: options.config.groups,
    groupEnergyWh: options.groupEnergyWh,
    nowMs,
    logger,
  });
  const grid = new OscpGridReporter({ book, registry, outbox, groups, logger, metrics });
  const replayed = intake.replay();
  if (replayed) logger.info('forecast book rebuilt from the store', { forecasts: replayed });

  const router = createOscpRouter({
    registry,
    registration,
    link,
    intake,
    logger,
    metrics,
    afterResponse: () => outbox.kick(),
    ...(options.throttle && { throttle: options.throttle }),
  });

  const failedRetentionMs = settings.outboxFailedRetentionDays * 24 * HOUR_MS;
  const prune = (): void => {
    intake.prune(nowMs() - retentionMs);
    const failed = store.outbox.pruneFailed(nowMs() - failedRetentionMs);
    if (failed) logger.info('failed outbox messages pruned', { messages: failed, retentionDays: settings.outboxFailedRetentionDays });
    timers.schedule('prune', nowMs() + HOUR_MS, prune);
  };

  return {
    router,
    forecasts: book,
    grid,
    events,
    peers: () =>
      registry.list().map((p) => ({
        peerId: p.peerId,
        role: p.role,
        state: p.state,
        online: p.state === 'CONNECTED',
        baseUrl: p.baseUrl,
        awaitingRegisterReply: p.awaitingRegisterReply,
        heartbeatIntervalS: p.heartbeatIntervalS,
        measurementConfiguration: p.measurementConfiguration,
        offlineModeAt: p.offlineModeAt,
        updatedAt: p.updatedAt,
      })),
    reRegister: (peerId) => registration.register(peerId),
    reHandshake: (peerId) => {
      const peer = registry.get(peerId);
      if (!peer || peer.state === 'UNREGISTERED') throw new Error(`OSCP peer ${peerId} is not registered`);
      link.sendHandshake(peerId);
      outbox.kick();
    },
    start: (inbound) => {
      events.on('forecastChanged', ({ groupId }) => inbound.onForecastChanged(groupId));
      events.on('peerOffline', ({ peerId }) => inbound.onPeerStateChanged(peerId, false));
      events.on('peerOnline', ({ peerId }) => inbound.onPeerStateChanged(peerId, true));
      prune();
      link.start();
      measurements.start();
      registration.startup();
      outbox.kick();
      logger.info('OSCP adapter started', { peers: registry.list().map((p) => ({ peer: p.peerId, state: p.state })) });
    },
    stop: async () => {
      // No heartbeat, check or report starts from here on; the outbox's grace period is a wait, not work.
      timers.close();
      await Promise.all([outbox.stop(), link.stop()]);
      logger.info('OSCP adapter stopped');
    },
  };
}
