// zod schemas for each section of the configuration file; schema.ts assembles them into one.
// These schemas are the single source of truth: the TypeScript types are inferred from them.
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const identifier = z.string().regex(/^[A-Za-z0-9._-]{1,48}$/, 'letters, digits, ".", "_" or "-", at most 48 characters');

export const TlsConfig = z.strictObject({
  certFile: z.string().min(1),
  keyFile: z.string().min(1),
  /** CA bundle that signs station client certificates (security profile 3). */
  caFile: z.string().min(1).optional(),
});

export const HttpConfig = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8080),
  tls: TlsConfig.optional(),
  /** How long a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: z.number().int().positive().default(10000),
  /** A client that has not sent its request headers within this is cut off (slowloris). TLS handshakes too. */
  headersTimeoutMs: z.number().int().min(100).default(10_000),
  /** A client that has not sent its whole request (headers and body) within this is cut off. */
  requestTimeoutMs: z.number().int().min(100).default(30_000),
});

/**
 * Failed authentication on every port (OCPP upgrades, OSCP, operator API), throttled per remote address and per
 * identity: `freeFailures`, then waits of baseDelayMs · 2^n up to maxDelayMs, answered 429 without checking the
 * credential.
 */
export const AuthThrottleConfig = z.strictObject({
  /** Failures per address (or per identity) checked before the back-off starts; the last of them earns the first wait. */
  freeFailures: z.number().int().min(0).default(5),
  /** First wait after the free failures; doubles with every further failure. */
  baseDelayMs: z.number().int().min(1).default(1_000),
  maxDelayMs: z.number().int().min(1).default(300_000),
  /** A key with no failure for this long starts again from zero. */
  forgetAfterMs: z.number().int().min(1).default(900_000),
  /** Keys remembered at most (the quietest go first): an attacker with many addresses cannot exhaust memory. */
  maxTracked: z.number().int().min(100).default(100_000),
});

export const StoreConfig = z.strictObject({
  /** SQLite file; its folder is created on start. */
  path: z.string().min(1).default('data/flexbridge.db'),
});

export const LogConfig = z.strictObject({
  level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
});

export const HeapConfig = z.strictObject({
  /**
   * One full garbage collection once a burst is over and the heap has grown by half since the last one, only while
   * the event loop is mostly idle (src/observability/heap-trim.ts). Off: V8 alone decides, and a fleet holds about
   * twice its live heap after a storm.
   */
  trimWhenIdle: z.boolean().default(true),
});

export const OscpPeerConfig = z.strictObject({
  id: identifier,
  role: z.enum(['CP', 'CO']).default('CP'),
  /** Direction (a): the token we handed the peer out of band; it registers with us using it. */
  bootstrapToken: z.string().min(16).max(767).optional(),
  /** Direction (b): we register with the peer at `registerUrl` using the token it gave us. */
  registerUrl: z.url().optional(),
  registerToken: z.string().min(1).max(767).optional(),
  /** Base URL used when the peer's own Register carries an unusable one (ELMO quirk). */
  fallbackBaseUrl: z.url().optional(),
  /** Heartbeat interval we ask the peer to keep, seconds (0 = none). */
  heartbeatIntervalS: z.number().int().min(0).default(60),
  /** Extra time after offline_mode_at before the peer counts as OFFLINE. */
  offlineGraceS: z.number().int().min(0).default(30),
  /** How often UpdateGroupMeasurements goes out, seconds. */
  measurementIntervalS: z.number().int().min(1).default(300),
  requestTimeoutMs: z.number().int().positive().default(10000),
  /**
   * A heartbeat's offline_mode_at further ahead than this is refused (400): one far in the future (year 9999) would
   * switch off fallback detection for good.
   */
  maxOfflineModeAheadS: z.number().int().positive().default(86_400),
});

export const OscpConfig = z.strictObject({
  /** Path the FP endpoint is served under on the HTTP port. */
  basePath: z.string().startsWith('/').default('/oscp/fp/2.0'),
  /**
   * Our base URL as peers must reach it (sent in Register). Unset: derived from http.host, http.port, http.tls and
   * basePath (config/public-url.ts), with a warning when the listener is on all interfaces.
   */
  publicBaseUrl: z.url().optional(),
  peers: z.array(OscpPeerConfig).default([]),
  /**
   * How far a forecast block may reach from now, days: a block must start no more than this in the past and end no
   * more than this ahead (400 otherwise). A block from year 0001 to 9999 would never expire.
   */
  forecastHorizonDays: z.number().positive().max(366).default(7),
  /** Most forecasted_blocks in one forecast (400 beyond): a week of quarter hours per phase is 2,016. */
  maxForecastBlocks: z.number().int().min(1).max(100_000).default(10_000),
  /** How long an outbound message that failed for good stays in the outbox table (for diagnosis), days. */
  outboxFailedRetentionDays: z.number().min(0).default(7),
});

/**
 * Local Controller mode: flexbridge in front of the CPO's own CSMS. Every station gets an upstream twin connection to
 * `url` + its identity; flexbridge relays everything and keeps grid authority over the station's limits.
 */
export const UpstreamConfig = z.strictObject({
  /** The CSMS endpoint without the identity; the station's encoded identity segment is appended unchanged. */
  url: z.string().regex(/^wss?:\/\/[^\s]+$/, 'a ws:// or wss:// URL'),
  /** CA bundle that signs the CSMS's certificate (wss://); the system roots when absent. Never unverified. */
  caFile: z.string().min(1).optional(),
  /** 1 = Basic auth on ws://, 2 = Basic auth on wss://; 3 needs a CSMS that accepts flexbridge's certificate for every identity. */
  securityProfile: z.literal([1, 2], { error: 'expected 1 or 2 (profile 3 upstream is not supported)' }).default(1),
  /** forward: pass the station's own Basic credentials through (never stored); stored: stations[].upstreamPassword. */
  credentials: z.enum(['forward', 'stored']).default('forward'),
  /** Upstream connects per second at most (token bucket): a reconnect storm waits, it does not fail. */
  dialRate: z.number().positive().default(50),
  /** How long to wait for the CSMS's upgrade answer before the station's upgrade is refused (or held in outage). */
  dialTimeoutMs: z.number().int().positive().default(10_000),
  /** A relayed station CALL the CSMS does not answer within this is answered locally and queued (hold mode). */
  callTimeoutMs: z.number().int().positive().default(30_000),
  outage: z
    .strictObject({
      /** hold: keep the station connected and under control, answer locally, queue for the CSMS; mirror: close it (Part 4 §6.3). */
      mode: z.enum(['hold', 'mirror']).default('hold'),
      /** mirror: how long an upstream loss is hidden before the station socket is closed. */
      graceS: z.number().int().min(0).default(30),
      /** Authorize for an idToken the CSMS never answered while reachable (cached answers are used first). */
      authorize: z.enum(['reject', 'accept']).default('reject'),
      /** Messages kept per station for the CSMS; beyond it meter values outside transactions are dropped first. */
      queueLimit: z.number().int().min(10).default(10_000),
    })
    .default({ mode: 'hold', graceS: 30, authorize: 'reject', queueLimit: 10_000 }),
});

export const OcppConfig = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(9000),
  /** URL path before the station identity: ws://host:port/<path>/<stationId>. */
  path: z.string().startsWith('/').default('/ocpp'),
  /** 1 = Basic auth on ws://, 2 = Basic auth on wss://, 3 = client certificates on wss://. */
  securityProfile: z.literal([1, 2, 3], { error: 'expected 1, 2 or 3' }).default(1),
  tls: TlsConfig.optional(),
  /** Accept unknown stations into this group (unset = refuse unknown stations). */
  autoRegisterGroup: identifier.optional(),
  heartbeatIntervalS: z.number().int().positive().default(300),
  callTimeoutMs: z.number().int().positive().default(30000),
  /**
   * A station with one session: `follow-cap` lifts the session's TxProfile to the EVSE maximum once and holds it by
   * the leased station cap alone, one SetChargingProfile per change; `own-limit` sends the session its own leased
   * TxProfile with every change too (two), for firmware that does not hold a transaction to its station cap.
   */
  loneSession: z.enum(['follow-cap', 'own-limit']).default('follow-cap'),
  /**
   * Longest a booting station is kept Pending while its smart-charging limits are read and its standing limits
   * installed; then it is let in anyway and counted at its maximum. Bounded by time, not by boots: firmware that
   * backs off exponentially boots rarely.
   */
  bootPendingMaxS: z.number().int().min(1).max(600).default(30),
  /** Authorize policy for idTokens. */
  authorize: z.enum(['accept-all', 'reject-all']).default('accept-all'),
  /** Local Controller mode; absent = flexbridge is the stations' CSMS. */
  upstream: UpstreamConfig.optional(),
  /** The live OCPP trace (GET /api/v1/stations/{id}/trace). */
  trace: z
    .strictObject({
      /** Frames every station keeps while its trace is off (0 = none): what a field engineer sees without asking first. */
      frames: z.number().int().min(0).max(1000).default(20),
      /** The largest ring a traced station may get (PUT /api/v1/stations/{id}/trace). */
      maxFrames: z.number().int().min(1).max(100_000).default(2000),
    })
    .default({ frames: 20, maxFrames: 2000 }),
  admission: z
    .strictObject({
      /** Upgrades being authenticated at once, all addresses; beyond it 503 with Retry-After (a reconnect storm waits). */
      maxUpgradesInProgress: z.number().int().min(1).default(256),
      /**
       * Open sockets from one remote address; beyond it new ones are closed at once. High by default: a big site, a load
       * test or a Local Controller's fleet may sit behind one address. Set it to what one address of yours really needs.
       */
      maxConnectionsPerAddress: z.number().int().min(1).default(10_000),
      /** An upgrade request whose headers are not in within this is cut off (slowloris); TLS handshakes too. */
      headersTimeoutMs: z.number().int().min(100).default(10_000),
      /** From the upgrade request to the 101 (authentication, Local Controller dial): beyond it the socket is closed. */
      upgradeTimeoutMs: z.number().int().min(100).default(30_000),
      /** Largest frame accepted; a bigger one closes the connection with 1009 (Message Too Big). */
      maxFrameBytes: z
        .number()
        .int()
        .min(1024)
        .default(1024 * 1024),
      /** Malformed frames in a row a station may send (each answered with a CALLERROR); the next closes it with 1002. */
      maxBadMessages: z.number().int().min(0).default(10),
    })
    .default({
      maxUpgradesInProgress: 256,
      maxConnectionsPerAddress: 10_000,
      headersTimeoutMs: 10_000,
      upgradeTimeoutMs: 30_000,
      maxFrameBytes: 1024 * 1024,
      maxBadMessages: 10,
    }),
});

export const GroupConfig = z.strictObject({
  id: identifier,
  name: z.string().optional(),
  /** OSCP peer (Capacity Provider) that sends this group's forecasts. */
  peerId: identifier.optional(),
  phaseVoltageV: z.number().positive().default(230),
  phases: z.literal([1, 3], { error: 'expected 1 or 3' }).default(3),
  safetyMarginA: z.number().min(0).default(1),
  /** Per-phase limit when no forecast and no fallback forecast was ever received. */
  safeLimitA: z.number().min(0),
  /**
   * The group's physical maximum, amps per phase (the rating of its connection: main fuse, cable, transformer). A
   * forecast block above it is refused with 400 and changes nothing — `capacity: 1e308` is a unit mistake or an
   * attack, not a grid limit. Not derived from the group's stations: a CP may rightly offer more than the chargers can
   * draw (that only means "unconstrained"), and auto-registered stations are not known up front. Not required, so
   * existing files stay valid: the default, 6,300 A, is the largest standard low-voltage busbar rating (IEC 61439);
   * set the real rating to catch a mistake of 10× too.
   */
  maxCapacityA: z.number().positive().max(1_000_000).default(6300),
  /** Lease of live TxProfiles, seconds; a station cut off from us falls back after this. */
  leaseS: z.number().int().min(60).default(900),
});

export const StationConfig = z.strictObject({
  id: identifier,
  groupId: identifier,
  /** Basic-auth password (16–40 characters, OCPP passwordString); use ${ENV_VAR} to keep it out of the file. */
  password: z.string().min(16).max(40).optional(),
  evseMaxCurrentA: z.number().positive().default(32),
  stationMaxCurrentA: z.number().positive().optional(),
  evseCount: z.number().int().min(1).default(1),
  phases: z.literal([1, 3], { error: 'expected 1 or 3' }).default(3),
  /** Local Controller mode with `credentials: "stored"`: the password flexbridge presents to the CSMS for this station. */
  upstreamPassword: z.string().min(16).max(40).optional(),
});

/** Events the operator API streams (SSE) and delivers to webhooks; webhooks may subscribe to a subset. */
export const API_EVENT_NAMES = [
  'session.started',
  'session.ended',
  'station.online',
  'station.offline',
  'fallback.entered',
  'fallback.left',
  'compliance.sent',
  'plan.applied',
  'station.refused',
  'station.uncontrollable',
  'override.set',
  'override.removed',
  'override.expired',
] as const;

export const ApiRole = z.enum(['read', 'admin']);

export const ApiTokenConfig = z.strictObject({
  /** Who holds the token; the only thing about it that is ever logged. */
  name: identifier,
  /** Sent as `Authorization: Bearer <token>`; use ${ENV_VAR} to keep it out of the file. */
  token: z.string().min(16).max(512),
  role: ApiRole.default('read'),
});

export const ApiUserConfig = z.strictObject({
  /** Basic-auth user name (no colon: Basic auth splits user and password on the first one). */
  username: z.string().regex(/^[^:\s]{1,64}$/, 'at most 64 characters, no colon or white space'),
  /** Basic-auth password, at least 12 characters; use ${ENV_VAR}. */
  password: z.string().min(12).max(256),
  role: ApiRole.default('read'),
});

export const WebhookConfig = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  /** HMAC-SHA256 key of the X-Flexbridge-Signature header (t=<unix>,v1=<HMAC of "<t>.<body>">); use ${ENV_VAR}. */
  secret: z.string().min(16).max(512),
  /** Events to deliver; all of them when omitted. */
  events: z.array(z.enum(API_EVENT_NAMES)).min(1).optional(),
  timeoutMs: z.number().int().positive().default(5000),
  /** Attempts per event before it is dropped (with a warning). */
  maxAttempts: z.number().int().min(1).max(20).default(8),
});

export const ApiConfig = z.strictObject({
  /** Bearer tokens of the operator API; with neither tokens nor users every /api/v1 request gets 401. */
  tokens: z.array(ApiTokenConfig).default([]),
  users: z.array(ApiUserConfig).default([]),
  webhooks: z.array(WebhookConfig).default([]),
  /** Most webhook deliveries waiting at once; beyond it the oldest is dropped (with a warning). */
  webhookQueueLimit: z.number().int().min(1).default(1000),
  /** When set, GET /metrics needs `Authorization: Bearer <metricsToken>` (a scraper's own token); use ${ENV_VAR}. */
  metricsToken: z.string().min(16).max(512).optional(),
});
