// Fuzz targets of issue #17 (fast-check): OSCP bodies and headers per endpoint, OCPP frames per action (2.0.1 and
// 1.6) and config files, against a real agent (127.0.0.1, port 0, a real SQLite file). Each case: no 5xx, no crash,
// the store unchanged when the input was refused, and a valid request still works afterwards.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { RPCClient } from 'ocpp-rpc';
import { startAgent, type Agent } from '../../src/agent';
import { ConfigError, parseConfig } from '../../src/config/load';
import { silentLogger } from '../../src/observability/log';
import { hashToken } from '../../src/oscp/tokens';
import { openSqliteStore } from '../../src/store/sqlite';

export const TOKEN = 'fuzz-inbound-token-0123456789abcdef';
const PASSWORD = 'fuzz-station-password-01';

export interface Findings {
  cases: number;
  /** Answers by status (OSCP) or outcome (OCPP: result, error, closed). */
  outcomes: Record<string, number>;
  problems: string[];
}

export interface FuzzRig {
  agent: Agent;
  file: string;
  close(): Promise<void>;
}

export async function startFuzzAgent(): Promise<FuzzRig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-fuzz-'));
  const file = path.join(dir, 'agent.db');
  // A CP registered before the start: its token opens every endpoint. Its URL goes nowhere (messages wait in the outbox).
  const seed = openSqliteStore(file);
  seed.peers.upsert({
    peerId: 'cp',
    role: 'CP',
    state: 'CONNECTED',
    baseUrl: 'http://127.0.0.1:9/oscp/cp/2.0',
    inboundTokenHash: hashToken(TOKEN),
    awaitingRegisterReply: false,
    measurementConfiguration: [],
    updatedAt: new Date().toISOString(),
  });
  seed.close();
  const config = parseConfig(
    {
      http: { host: '127.0.0.1', port: 0 },
      store: { path: file },
      ocpp: { host: '127.0.0.1', port: 0, autoRegisterGroup: 'g1', callTimeoutMs: 2000 },
      oscp: { peers: [{ id: 'cp', bootstrapToken: 'fuzz-bootstrap-token-0123456789', heartbeatIntervalS: 0 }] },
      groups: [{ id: 'g1', peerId: 'cp', safeLimitA: 32, maxCapacityA: 400 }],
      // The fuzzer is one address sending thousands of refused requests on purpose.
      authThrottle: { freeFailures: 1_000_000_000 },
      api: { tokens: [{ name: 'fuzz', token: 'fuzz-api-token-0123456789', role: 'admin' }] },
    },
    'fuzz',
  );
  const agent = await startAgent(config, { logger: silentLogger });
  return {
    agent,
    file,
    close: async () => {
      await agent.stop('fuzz done');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** sha256 of the rows of `tables`, read through a second connection (WAL: sees every committed write). */
export function checksum(file: string, tables: readonly string[]): string {
  const db = new Database(file, { readonly: true });
  try {
    const hash = createHash('sha256');
    for (const table of tables) hash.update(JSON.stringify(db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()));
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

const OSCP_ENDPOINTS = [
  ['POST', '/register'],
  ['PUT', '/register'],
  ['POST', '/handshake'],
  ['POST', '/handshake_acknowledge'],
  ['POST', '/heartbeat'],
  ['POST', '/update_group_capacity_forecast'],
] as const;

const jsonish = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('latin1')),
  // Shapes near the real ones, so the schemas' inner checks are reached too.
  fc
    .record({
      forecasted_blocks: fc.array(
        fc.record({
          capacity: fc.oneof(fc.double(), fc.integer()),
          phase: fc.constantFrom('ALL', 'ONE', 'TWO', 'THREE', 'X'),
          unit: fc.constantFrom('A', 'W', 'KW', 'WH', 'KWH', ''),
          start_time: fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            fc.string(),
          ),
          end_time: fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            fc.string(),
          ),
        }),
        { maxLength: 5 },
      ),
      group_id: fc.constantFrom('g1', 'g2', ''),
      type: fc.constantFrom('CONSUMPTION', 'GENERATION', 'FALLBACK_CONSUMPTION', 'OPTIMUM', 'x'),
    })
    .map((v) => JSON.stringify(v)),
  fc
    .record({
      offline_mode_at: fc.oneof(
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        fc.string(),
        fc.integer(),
      ),
    })
    .map((v) => JSON.stringify(v)),
);

const headerValue = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 80 }), fc.constantFrom('r-1', '', ' '));

export const oscpCase = fc.record({
  endpoint: fc.constantFrom(...OSCP_ENDPOINTS),
  body: jsonish,
  authorization: fc.oneof(
    fc.constant(`Token ${TOKEN}`),
    fc.constant(undefined),
    fc.string({ maxLength: 60 }),
    fc.constant(`token  ${TOKEN}`),
  ),
  requestId: headerValue,
  contentType: fc.constantFrom(
    undefined,
    'application/json',
    'text/plain',
    'application/json; charset=utf-16',
    'application/x-www-form-urlencoded',
  ),
  contentEncoding: fc.constantFrom(undefined, undefined, 'gzip', 'deflate', 'br', 'identity', 'x-unknown'),
});

type OscpCase = typeof oscpCase extends fc.Arbitrary<infer T> ? T : never;

const printable = (value: string): boolean => /^[\t\x20-\x7e]*$/.test(value);

/** One OSCP request; returns its status, or a problem. */
export async function oscpRequest(rig: FuzzRig, input: OscpCase): Promise<number> {
  const headers: Record<string, string> = {};
  if (input.authorization !== undefined && printable(input.authorization)) headers.Authorization = input.authorization;
  if (input.requestId !== undefined && printable(input.requestId)) headers['X-Request-ID'] = input.requestId;
  if (input.contentType) headers['Content-Type'] = input.contentType;
  if (input.contentEncoding) headers['Content-Encoding'] = input.contentEncoding;
  const response = await fetch(`http://127.0.0.1:${rig.agent.httpPort}/oscp/fp/2.0${input.endpoint[1]}`, {
    method: input.endpoint[0],
    headers,
    body: input.body,
  });
  await response.arrayBuffer();
  return response.status;
}

/** The valid request that must still work: a heartbeat from the registered CP. */
export async function validHeartbeat(rig: FuzzRig): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${rig.agent.httpPort}/oscp/fp/2.0/heartbeat`, {
    method: 'POST',
    headers: { Authorization: `Token ${TOKEN}`, 'X-Request-ID': 'valid-1', 'Content-Type': 'application/json' },
    body: JSON.stringify({ offline_mode_at: new Date(Date.now() + 60_000).toISOString() }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Rejected OSCP input must not touch these. */
export const OSCP_TABLES = ['forecasts', 'peers'] as const;

export async function fuzzOscp(rig: FuzzRig, cases: number, seed?: number): Promise<Findings> {
  const findings: Findings = { cases: 0, outcomes: {}, problems: [] };
  await fc.assert(
    fc.asyncProperty(oscpCase, async (input) => {
      const before = checksum(rig.file, OSCP_TABLES);
      const status = await oscpRequest(rig, input);
      findings.cases++;
      findings.outcomes[String(status)] = (findings.outcomes[String(status)] ?? 0) + 1;
      if (status >= 500) findings.problems.push(`${input.endpoint.join(' ')} → ${status}: ${JSON.stringify(input).slice(0, 300)}`);
      if (status >= 400 && checksum(rig.file, OSCP_TABLES) !== before)
        findings.problems.push(`${input.endpoint.join(' ')} → ${status} changed the store: ${JSON.stringify(input).slice(0, 300)}`);
      if (findings.cases % 100 === 0 && (await validHeartbeat(rig)) !== 204) findings.problems.push('a valid heartbeat was refused');
      return findings.problems.length === 0;
    }),
    { numRuns: cases, ...(seed !== undefined && { seed }), endOnFailure: true },
  );
  return findings;
}

const V201_CALLS = [
  'BootNotification',
  'StatusNotification',
  'Heartbeat',
  'TransactionEvent',
  'MeterValues',
  'Authorize',
  'NotifyReport',
  'ReportChargingProfiles',
  'SecurityEventNotification',
  'DataTransfer',
  'NoSuchAction',
];
const V16_CALLS = [
  'BootNotification',
  'StatusNotification',
  'Heartbeat',
  'StartTransaction',
  'StopTransaction',
  'MeterValues',
  'Authorize',
  'DataTransfer',
  'DiagnosticsStatusNotification',
  'NoSuchAction',
];

const frame = (actions: readonly string[]) =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom(...actions), fc.oneof(fc.jsonValue(), fc.object()))
        .map(([action, payload]) => JSON.stringify([2, `f-${Math.random()}`, action, payload])),
    },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(3, 4, 5, 2), fc.jsonValue()).map(([type, v]) => JSON.stringify([type, 'x', v])) },
  );

async function connect(rig: FuzzRig, identity: string, protocol: 'ocpp2.0.1' | 'ocpp1.6'): Promise<RPCClient> {
  const client = new RPCClient({
    endpoint: `ws://127.0.0.1:${rig.agent.ocppPort}/ocpp`,
    identity,
    protocols: [protocol],
    password: PASSWORD,
    reconnect: false,
    maxReconnects: 0,
    strictMode: false,
    strictModeValidators: [],
    callTimeoutMs: 5000,
    callConcurrency: 1,
    pingIntervalMs: 0,
    deferPingsOnActivity: false,
    respondWithDetailedErrors: false,
    maxBadMessages: Infinity,
    backoff: { initialDelay: 1000, maxDelay: 10_000, factor: 2, randomisationFactor: 0.25 },
    wsOpts: {},
    headers: {},
  });
  client.handle(async () => ({ status: 'Rejected' }));
  await client.connect();
  return client;
}

/** Frames straight onto the socket; the agent answers or closes. Afterwards a valid Heartbeat is answered. */
export async function fuzzOcpp(rig: FuzzRig, protocol: 'ocpp2.0.1' | 'ocpp1.6', cases: number, seed?: number): Promise<Findings> {
  const findings: Findings = { cases: 0, outcomes: {}, problems: [] };
  const identity = protocol === 'ocpp1.6' ? 'FUZZ-16' : 'FUZZ-201';
  let client = await connect(rig, identity, protocol);
  const count = (outcome: string): void => void (findings.outcomes[outcome] = (findings.outcomes[outcome] ?? 0) + 1);
  client.on('badMessage', () => count('bad-message'));
  await fc.assert(
    fc.asyncProperty(frame(protocol === 'ocpp1.6' ? V16_CALLS : V201_CALLS), async (text) => {
      findings.cases++;
      if (client.state !== 1) {
        count('closed');
        client = await connect(rig, identity, protocol);
      }
      client.sendRaw(text);
      if (findings.cases % 50 === 0) {
        // A valid call must still be answered (the station may have been closed for bad frames: it reconnects).
        if (client.state !== 1) client = await connect(rig, identity, protocol);
        try {
          await client.call('Heartbeat', {});
        } catch (error) {
          findings.problems.push(`a valid Heartbeat failed after fuzzed frames: ${String(error)}`);
        }
      }
      return findings.problems.length === 0 && rig.agent.store.isOpen();
    }),
    { numRuns: cases, ...(seed !== undefined && { seed }), endOnFailure: true },
  );
  await client.close({ force: true }).catch(() => undefined);
  return findings;
}

/** Config files: every input is a config or a ConfigError naming a field — never another exception. */
export function fuzzConfig(cases: number, seed?: number): Findings {
  const findings: Findings = { cases: 0, outcomes: {}, problems: [] };
  const near = fc.record(
    {
      http: fc.oneof(fc.object(), fc.record({ port: fc.oneof(fc.integer(), fc.string()), headersTimeoutMs: fc.integer() })),
      ocpp: fc.oneof(fc.object(), fc.record({ securityProfile: fc.integer({ min: 0, max: 4 }), admission: fc.object() })),
      groups: fc.array(fc.record({ id: fc.string(), safeLimitA: fc.oneof(fc.double(), fc.integer()), maxCapacityA: fc.double() }), {
        maxLength: 3,
      }),
      stations: fc.array(fc.object(), { maxLength: 3 }),
      authThrottle: fc.object(),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), near), (raw) => {
      findings.cases++;
      try {
        parseConfig(raw, 'fuzz.json');
        findings.outcomes.valid = (findings.outcomes.valid ?? 0) + 1;
      } catch (error) {
        if (error instanceof ConfigError) findings.outcomes.refused = (findings.outcomes.refused ?? 0) + 1;
        else findings.problems.push(`${String(error)} for ${JSON.stringify(raw).slice(0, 200)}`);
      }
      return findings.problems.length === 0;
    }),
    { numRuns: cases, ...(seed !== undefined && { seed }), endOnFailure: true },
  );
  return findings;
}
