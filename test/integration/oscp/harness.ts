// Test rig for the OSCP adapter over real HTTP: flexbridge's FP endpoint on 127.0.0.1:0 with a real SQLite
// file, and a Capacity Provider stub (express on port 0) that records every request and answers as told.
// The adapter runs on virtual time: heartbeats, offline checks, cadences, follow-ups and retries wait until
// the test advances `fp.clock`; HTTP stays real.
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import express, { type Request, type Response } from 'express';
import { listenHttp, type HttpListener } from '../../../src/api/http-listener';
import { GroupConfig, OscpConfig, OscpPeerConfig } from '../../../src/config/sections';
import type { OscpSettings } from '../../../src/oscp/config';
import { Scheduler } from '../../../src/core/scheduler';
import { createLogger } from '../../../src/observability/log';
import { createMetrics, type Metrics } from '../../../src/observability/metrics';
import { createOscpAdapter, type OscpAdapter, type OscpAdapterOptions } from '../../../src/oscp';
import type { OscpEventMap } from '../../../src/oscp/events';
import { messageType } from '../../../src/oscp/outbox';
import { PeerClient, type OutboundRequest, type SendOutcome } from '../../../src/oscp/peer-client';
import { openSqliteStore } from '../../../src/store/sqlite';
import type { Store } from '../../../src/core/ports';
import { tempDir } from '../../helpers/processes';
import { VirtualClock } from '../../helpers/virtual-clock';

/** Where the rig's virtual time starts: a whole second, far from any 5-minute measurement boundary. */
export const VIRTUAL_START_MS = Date.parse('2030-05-01T12:00:01Z');

export const BASE_PATH = '/oscp/fp/2.0';
export const BOOTSTRAP = 'bootstrap-token-given-to-the-dso';

/** Polls `check` until it returns something other than undefined/false; fails after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Wall-clock delay, for the CP stub's slow answers only: what the adapter waits for runs on virtual time. */
const stubDelay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Received {
  readonly method: string;
  /** Path under the stub's base path, e.g. `register`. */
  readonly path: string;
  readonly headers: Request['headers'];
  readonly body: unknown;
}

/** A Capacity Provider (or Optimizer) stub: records requests; answers 204 unless `respond` queued other statuses. */
export class PeerStub {
  readonly received: Received[] = [];
  private readonly statuses = new Map<string, number[]>();
  private readonly delays = new Map<string, number[]>();
  onRequest: ((request: Received) => void) | undefined;

  private listener!: HttpListener;

  private constructor(readonly basePath: string) {}

  static async start(basePath = '/oscp/cp/2.0'): Promise<PeerStub> {
    const app = express();
    const stub = new PeerStub(basePath);
    app.use(express.json({ type: () => true }));
    app.use(async (req: Request, res: Response) => {
      const received: Received = {
        method: req.method,
        path: req.path.startsWith(basePath) ? req.path.slice(basePath.length + 1) : req.path,
        headers: req.headers,
        body: req.body,
      };
      stub.received.push(received);
      const status = stub.statuses.get(received.path)?.shift() ?? 204;
      const delayMs = stub.delays.get(received.path)?.shift();
      if (delayMs) await stubDelay(delayMs);
      if (status === 204) res.status(204).end();
      else res.status(status).json({ message: `stub answers ${status}` });
      if (stub.onRequest) setImmediate(() => stub.onRequest?.(received));
    });
    stub.listener = await listenHttp(app, { host: '127.0.0.1', port: 0 });
    return stub;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.listener.port}${this.basePath}`;
  }

  /** The next requests to `path` get these statuses, in order. */
  respond(path: string, ...statuses: number[]): void {
    this.statuses.set(path, [...(this.statuses.get(path) ?? []), ...statuses]);
  }

  /** The next requests to `path` are answered only after these delays (ms), in order. */
  delay(path: string, ...delaysMs: number[]): void {
    this.delays.set(path, [...(this.delays.get(path) ?? []), ...delaysMs]);
  }

  /** Forgets queued statuses and delays: every request gets 204 again. */
  heal(): void {
    this.statuses.clear();
    this.delays.clear();
  }

  of(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  waitFor(path: string, count = 1, timeoutMs = 5000): Promise<Received> {
    return until(() => this.of(path)[count - 1], `${count} × ${path} at the stub`, timeoutMs);
  }

  close(): Promise<void> {
    return this.listener.close(100);
  }
}

export interface Answer {
  readonly status: number;
  readonly text: string;
  /** Virtual time when the answer came back. */
  readonly atMs: number;
}

/** A request the adapter handed to HTTP, and the virtual time it did so. */
export interface Sent {
  /** Last path segment of the URL (`heartbeat`, `register`, …). */
  readonly type: string;
  readonly request: OutboundRequest;
  readonly atMs: number;
}

/** The real PeerClient, noting each request as it leaves: an attempt that did not start is not in the list. */
class RecordingClient extends PeerClient {
  constructor(private readonly sent: (request: OutboundRequest) => void) {
    super();
  }

  override send(request: OutboundRequest, signal?: AbortSignal): Promise<SendOutcome> {
    this.sent(request);
    return super.send(request, signal);
  }
}

export interface SendOptions {
  readonly method?: string;
  readonly token?: string;
  readonly requestId?: string | null;
  readonly correlationId?: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly scheme?: string;
  /** Sent as the Content-Encoding header (the body is sent as it is: a test can send one that does not decode). */
  readonly contentEncoding?: string;
}

type EventLog = { [E in keyof OscpEventMap]: OscpEventMap[E][] };

export interface FpOptions {
  readonly peers: Record<string, unknown>[];
  readonly groups?: Record<string, unknown>[];
  /** Further keys of the oscp section (forecastHorizonDays, maxForecastBlocks, outboxFailedRetentionDays …). */
  readonly oscp?: Record<string, unknown>;
  readonly adapter?: Partial<Pick<OscpAdapterOptions, 'groupEnergyWh' | 'followUpDelayMs' | 'retry'>>;
  /** Virtual time shared with the test (e.g. with a CP simulator's timestamps); default: one at VIRTUAL_START_MS. */
  readonly clock?: VirtualClock;
}

/** flexbridge's OSCP endpoint on a real port and a real SQLite file; `restart` reopens both store and adapter. */
export class FpRig {
  store!: Store;
  adapter!: OscpAdapter;
  metrics!: Metrics;
  scheduler!: Scheduler;
  readonly clock: VirtualClock;
  /** Every request the adapter sent, across restarts, in order. */
  readonly sent: Sent[] = [];
  events: EventLog = { forecastChanged: [], peerOffline: [], peerOnline: [] };
  /** Calls on core's inbound port, in order. */
  inbound: ({ kind: 'forecast'; groupId: string } | { kind: 'peer'; peerId: string; online: boolean })[] = [];
  logText = '';
  private listener!: HttpListener;
  private readonly temp = tempDir('flexbridge-oscp-');
  readonly file = path.join(this.temp.dir, 'flexbridge.db');

  private constructor(private readonly options: FpOptions) {
    this.clock = options.clock ?? new VirtualClock(VIRTUAL_START_MS);
  }

  static async start(options: FpOptions): Promise<FpRig> {
    const rig = new FpRig(options);
    const app = express();
    app.use(BASE_PATH, (req, res, next) => rig.adapter.router(req, res, next));
    rig.listener = await listenHttp(app, { host: '127.0.0.1', port: 0 });
    rig.open();
    return rig;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.listener.port}${BASE_PATH}`;
  }

  get config(): { oscp: OscpSettings; groups: ReturnType<typeof GroupConfig.parse>[] } {
    return {
      oscp: {
        ...OscpConfig.parse({
          ...this.options.oscp,
          basePath: BASE_PATH,
          peers: this.options.peers.map((p) => OscpPeerConfig.parse(p)),
        }),
        publicBaseUrl: this.baseUrl,
      },
      groups: (this.options.groups ?? [{ id: 'site-42', peerId: 'dso', safeLimitA: 16 }]).map((g) => GroupConfig.parse(g)),
    };
  }

  /** How long follow-ups wait after our 204, virtual ms. */
  get followUpDelayMs(): number {
    return this.options.adapter?.followUpDelayMs ?? 20;
  }

  private open(): void {
    this.store = openSqliteStore(this.file);
    this.metrics = createMetrics({ defaultMetrics: false });
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.logText += chunk.toString('utf8');
        done();
      },
    });
    const logger = createLogger({ level: 'debug', stream });
    // A fresh scheduler per "process", on the one clock: time goes on across a restart.
    this.scheduler = new Scheduler(this.clock, (key, error) => logger.error('scheduled work failed', { key, error: String(error) }));
    const client = new RecordingClient((request) => this.sent.push({ type: messageType(request.url), request, atMs: this.clock.nowMs() }));
    this.adapter = createOscpAdapter({
      config: this.config,
      store: this.store,
      logger,
      metrics: this.metrics,
      scheduler: this.scheduler,
      client,
      groupEnergyWh: () => 0,
      followUpDelayMs: this.followUpDelayMs,
      retry: { minMs: 50, maxMs: 200 },
      ...this.options.adapter,
    });
    this.events = { forecastChanged: [], peerOffline: [], peerOnline: [] };
    this.adapter.events.on('forecastChanged', (e) => this.events.forecastChanged.push(e));
    this.adapter.events.on('peerOffline', (e) => this.events.peerOffline.push(e));
    this.adapter.events.on('peerOnline', (e) => this.events.peerOnline.push(e));
    // Core's inbound port, recorded: what core would be told.
    this.adapter.start({
      onForecastChanged: (groupId) => this.inbound.push({ kind: 'forecast', groupId }),
      onPeerStateChanged: (peerId, online) => this.inbound.push({ kind: 'peer', peerId, online }),
    });
  }

  /** Messages that failed for good, as they stay in the store's file for an operator to look at (flexbridge never reads them back). */
  failedOutbox(): { requestId: string; correlationId: string | null; attempts: number; lastError: string | null; body: string }[] {
    const db = new Database(this.file, { readonly: true });
    try {
      return db
        .prepare(
          `SELECT request_id AS requestId, correlation_id AS correlationId, attempts, last_error AS lastError, body
           FROM outbox WHERE status = 'failed' ORDER BY id`,
        )
        .all() as ReturnType<FpRig['failedOutbox']>;
    } finally {
      db.close();
    }
  }

  /** Stops the adapter and closes the store, then opens both again on the same file (a process restart). */
  async restart(): Promise<void> {
    await this.adapter.stop();
    this.scheduler.stop();
    this.store.close();
    this.open();
  }

  /** Moves virtual time on by `ms`; every deadline on the way runs at its own instant, synchronously. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  advanceTo(atMs: number): void {
    this.clock.advanceTo(atMs);
  }

  /**
   * Moves virtual time on in `stepMs` steps until `check` holds, letting real HTTP answers arrive in between:
   * for waits whose exact instant the test does not check (follow-ups, retries, the CP simulator's replies).
   */
  advanceUntil<T>(
    check: () => T | undefined | false | Promise<T | undefined | false>,
    what: string,
    stepMs = Math.max(1, this.followUpDelayMs),
  ): Promise<T> {
    return until(async () => {
      const value = await check();
      if (value === undefined || value === false) this.clock.advance(stepMs);
      return value;
    }, what);
  }

  /** Requests of one type the adapter has sent so far. */
  sentOf(type: string): Sent[] {
    return this.sent.filter((s) => s.type === type);
  }

  peer(peerId = 'dso'): ReturnType<Store['peers']['get']> {
    return this.store.peers.get(peerId);
  }

  async send(endpoint: string, options: SendOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.Authorization = `${options.scheme ?? 'Token'} ${options.token}`;
    if (options.requestId !== null) headers['X-Request-ID'] = options.requestId ?? `req-${Math.random().toString(36).slice(2)}`;
    if (options.correlationId) headers['X-Correlation-ID'] = options.correlationId;
    let body: string | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.contentEncoding) headers['Content-Encoding'] = options.contentEncoding;
    const response = await fetch(`${this.baseUrl}/${endpoint}`, { method: options.method ?? 'POST', headers, body });
    const text = await response.text();
    return { status: response.status, text, atMs: this.clock.nowMs() };
  }

  /** How many messages of a type the metrics counted, by direction and status. */
  async counted(direction: 'in' | 'out', type: string, status: string): Promise<number> {
    const metric = await this.metrics.oscpMessages.get();
    return metric.values.find((v) => v.labels.direction === direction && v.labels.type === type && v.labels.status === status)?.value ?? 0;
  }

  async close(): Promise<void> {
    await this.adapter.stop();
    this.scheduler.stop();
    this.store.close();
    await this.listener.close(100);
    this.temp.cleanup();
  }
}

/** The Register body a CP sends: its token for us and its base URL. */
export const registerBody = (token: string, baseUrl: string, version = '2.0'): unknown => ({
  token,
  version_url: [{ version, base_url: baseUrl }],
});

export const tokenOf = (received: Received): string => {
  const body = received.body;
  if (typeof body !== 'object' || body === null || !('token' in body) || typeof body.token !== 'string')
    throw new Error('Register without token');
  return body.token;
};

/**
 * Direction (a) up to CONNECTED: the CP registers with the bootstrap token, takes our Register back, and
 * sends its Handshake with the token we gave it. Returns the token the CP presents to us from then on.
 * Virtual time moves on by exactly two follow-up delays; the CP's Handshake arrives after the first.
 */
export async function connect(
  fp: FpRig,
  cp: PeerStub,
  behaviour: object = { heartbeat_interval: 60, measurement_configuration: [] },
): Promise<string> {
  const registered = await fp.send('register', { token: BOOTSTRAP, body: registerBody('cp-token-for-fp', cp.baseUrl) });
  if (registered.status !== 204) throw new Error(`register answered ${registered.status}: ${registered.text}`);
  fp.advance(fp.followUpDelayMs);
  const token = tokenOf(await cp.waitFor('register'));
  const handshake = await fp.send('handshake', { token, requestId: 'hs-1', body: { required_behaviour: behaviour } });
  if (handshake.status !== 204) throw new Error(`handshake answered ${handshake.status}: ${handshake.text}`);
  fp.advance(fp.followUpDelayMs);
  await cp.waitFor('handshake_acknowledge');
  return token;
}

/** Until every queued message is delivered (or failed): nothing of ours is still on its way to the peer. */
export function drained(fp: FpRig): Promise<true> {
  return fp.advanceUntil(() => fp.store.outbox.pending().length === 0, 'outbox drained');
}
