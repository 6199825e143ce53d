// Rig of the operator API tests: a real agent started in-process (ports 0, SQLite file in a temp folder), the OSCP
// Capacity Provider simulator and a simulated station fleet over real sockets on 127.0.0.1, and an HTTP client.
import http from 'node:http';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import axios, { type AxiosResponse } from 'axios';
import { DateTime } from 'luxon';
import { startAgent, type Agent } from '../../../src/agent';
import { parseConfig } from '../../../src/config/load';
import { createLogger } from '../../../src/observability/log';
import { createFleet, type Fleet, type FleetOptionsInput } from '../../../simulators/ocpp-station';
import { startCapacityProvider, type CapacityProvider } from '../../../simulators/oscp-cp';
import { tempDir } from '../../helpers/processes';

export const READ_TOKEN = 'api-test-read-token-0123456789';
export const ADMIN_TOKEN = 'api-test-admin-token-0123456789';
export const USER = { username: 'operator', password: 'operator-password-42' };
export const BOOTSTRAP_TOKEN = 'api-test-bootstrap-token-0123456789';
export const STATION_PASSWORD = 'api-test-station-pass-01';
export const GROUP = 'g1';
export const OTHER_GROUP = 'g2';

export interface RigOptions {
  /** Simulated stations auto-registered into GROUP (0 = no fleet). */
  stations?: number;
  /** Start the CP simulator and register it with the agent. */
  cp?: boolean;
  /** Raw `api` config section; default: a read and an admin token and one Basic user. */
  api?: Record<string, unknown>;
  autoRegister?: boolean;
}

export interface Rig {
  agent: Agent;
  /** http://127.0.0.1:<port>/api/v1 */
  base: string;
  cp: CapacityProvider | undefined;
  fleet: Fleet | undefined;
  dir: string;
  /** Every log line of the agent so far (raw JSON text). */
  logText(): string;
  logs(): Record<string, unknown>[];
  /** Another fleet against the same agent (stopped by close). */
  addFleet(options: Partial<FleetOptionsInput>): Fleet;
  close(): Promise<void>;
}

export const defaultApiConfig = {
  tokens: [
    { name: 'dashboard', token: READ_TOKEN, role: 'read' },
    { name: 'ops-admin', token: ADMIN_TOKEN, role: 'admin' },
  ],
  users: [{ ...USER, role: 'admin' }],
};

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const { dir, cleanup } = tempDir('flexbridge-api-');
  const cp = options.cp
    ? await startCapacityProvider({ port: 0, replyDelayMs: 20, handshakeDelayMs: 20, heartbeatIntervalS: 1 })
    : undefined;
  let text = '';
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const config = parseConfig(
    {
      http: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 3000 },
      ocpp: {
        host: '127.0.0.1',
        port: 0,
        callTimeoutMs: 5000,
        heartbeatIntervalS: 60,
        ...(options.autoRegister !== false && { autoRegisterGroup: GROUP }),
      },
      store: { path: path.join(dir, 'agent.db') },
      oscp: {
        peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP_TOKEN, heartbeatIntervalS: 1, offlineGraceS: 1, measurementIntervalS: 2 }],
      },
      groups: [
        { id: GROUP, name: 'Depot', peerId: 'dso', safeLimitA: 40, safetyMarginA: 1, leaseS: 120 },
        { id: OTHER_GROUP, safeLimitA: 20, leaseS: 120 },
      ],
      api: options.api ?? defaultApiConfig,
    },
    'api test',
  );
  const agent = await startAgent(config, { logger: createLogger({ level: 'debug', stream }) });
  const fleets: Fleet[] = [];
  const addFleet = (fleetOptions: Partial<FleetOptionsInput>): Fleet => {
    const fleet = createFleet({
      url: `ws://127.0.0.1:${agent.ocppPort}/ocpp`,
      count: 1,
      evsesPerStation: 1,
      securityProfile: 1,
      password: STATION_PASSWORD,
      meterIntervalS: 1,
      evaluateIntervalS: 1,
      tickMs: 100,
      backoff: { minS: 0.2, randomS: 0.3, repeatTimes: 3 },
      ...fleetOptions,
    });
    fleets.push(fleet);
    fleet.start();
    return fleet;
  };
  if (cp) {
    await cp.registerWith(`http://127.0.0.1:${agent.httpPort}/oscp/fp/2.0`, BOOTSTRAP_TOKEN);
    await cp.waitForState((s) => s.handshakeDone, 15_000);
  }
  const fleet = options.stations ? addFleet({ count: options.stations }) : undefined;
  return {
    agent,
    base: `http://127.0.0.1:${agent.httpPort}/api/v1`,
    cp,
    fleet,
    dir,
    logText: () => text,
    logs: () =>
      text.split('\n').flatMap((line) => {
        try {
          const parsed: unknown = JSON.parse(line);
          return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
            ? [Object.fromEntries(Object.entries(parsed))]
            : [];
        } catch {
          return [];
        }
      }),
    addFleet,
    close: async () => {
      await Promise.all(fleets.map((f) => f.stop()));
      await agent.stop();
      await cp?.close();
      cleanup();
    },
  };
}

export interface CallOptions {
  token?: string | null;
  basic?: { username: string; password: string };
  body?: unknown;
  headers?: Record<string, string>;
}

/** One API call; never throws on an HTTP status. Default credential: the admin token. */
export function call(rig: Rig, method: 'get' | 'put' | 'post' | 'delete', path: string, options: CallOptions = {}): Promise<AxiosResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.basic)
    headers.Authorization = `Basic ${Buffer.from(`${options.basic.username}:${options.basic.password}`).toString('base64')}`;
  else if (options.token !== null) headers.Authorization = `Bearer ${options.token ?? ADMIN_TOKEN}`;
  return axios.request({
    method,
    url: `${rig.base}${path}`,
    headers,
    data: options.body,
    validateStatus: () => true,
    timeout: 10_000,
  });
}

/** 24 h of flat capacity per phase from the start of the current quarter hour, in the CP simulator's wire form. */
export function flatDay(limitA: number): { start_time: string; end_time: string; capacity: number; phase: 'ALL'; unit: 'A' }[] {
  const from = DateTime.utc();
  const start = from.startOf('hour').plus({ minutes: Math.floor(from.minute / 15) * 15 });
  return Array.from({ length: 96 }, (_, i) => ({
    start_time: start.plus({ minutes: 15 * i }).toISO({ suppressMilliseconds: true }) ?? '',
    end_time: start.plus({ minutes: 15 * (i + 1) }).toISO({ suppressMilliseconds: true }) ?? '',
    capacity: limitA,
    phase: 'ALL' as const,
    unit: 'A' as const,
  }));
}

export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface StreamedEvent {
  id: string | undefined;
  event: string;
  data: unknown;
}

export interface EventStreamClient {
  readonly status: Promise<number>;
  readonly events: StreamedEvent[];
  /** Raw text received, heartbeats included. */
  text(): string;
  close(): void;
}

/** A minimal EventSource over node:http: records every event of /events until closed. */
export function openEvents(rig: Rig, options: { query?: string; headers?: Record<string, string> } = {}): EventStreamClient {
  const events: StreamedEvent[] = [];
  let raw = '';
  let buffer = '';
  const controller = new AbortController();
  const status = new Promise<number>((resolve, reject) => {
    const request = http.get(
      `${rig.base}/events${options.query ?? ''}`,
      { headers: options.headers ?? {}, signal: controller.signal },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          raw += chunk;
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const fields = new Map<string, string>();
            for (const line of block.split('\n')) {
              const colon = line.indexOf(':');
              if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
            }
            const data = fields.get('data');
            const event = fields.get('event');
            if (data !== undefined && event !== undefined) events.push({ id: fields.get('id'), event, data: JSON.parse(data) });
          }
        });
        res.on('error', () => undefined);
      },
    );
    request.on('error', (error) => (controller.signal.aborted ? undefined : reject(error)));
  });
  return { status, events, text: () => raw, close: () => controller.abort() };
}
