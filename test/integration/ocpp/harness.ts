// Starts the real CSMS on 127.0.0.1:0 over a real SQLite file and records what it tells core; fake stations are
// ocpp-rpc RPCClients in strict mode so the CSMS is exercised over the wire exactly as a charger would.
import path from 'node:path';
import { RPCClient } from 'ocpp-rpc';
import { OcppConfig as OcppConfigSchema } from '../../../src/config/sections';
import type { OcppConfig } from '../../../src/config/schema';
import type { FleetStation } from '../../../src/core/fleet';
import type { ChargingSession } from '../../../src/domain/session';
import { createLogger, silentLogger } from '../../../src/observability/log';
import { createMetrics } from '../../../src/observability/metrics';
import type { StationInbound } from '../../../src/core/ports';
import { startCsms, type ConfiguredStation, type Csms, type CsmsDeps } from '../../../src/ocpp/csms';
import { openSqliteStore } from '../../../src/store/sqlite';
import type { Store } from '../../../src/core/ports';
import { tempDir } from '../../helpers/processes';

export const PASSWORD = 'correct-horse-battery-1';

export interface Recorded {
  stations: Map<string, FleetStation>;
  connections: { stationId: string; connected: boolean }[];
  booted: string[];
  uncontrollable: string[];
  sessions: ChargingSession[];
}

export interface TestCsms {
  csms: Csms;
  store: Store;
  recorded: Recorded;
  url: string;
  dbPath: string;
  metrics: ReturnType<typeof createMetrics>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCsms(
  overrides: Partial<OcppConfig> = {},
  stations: readonly ConfiguredStation[] = [
    { id: 'CS-1', groupId: 'g1', password: PASSWORD, evseMaxCurrentA: 32, evseCount: 2, phases: 3 },
  ],
  /** A virtual clock for what the CSMS times itself (Pending bound, back-off); sockets stay real. */
  time: Pick<CsmsDeps, 'nowMs' | 'scheduler'> = {},
): Promise<TestCsms> {
  const { dir, cleanup } = tempDir('flexbridge-csms-');
  const dbPath = path.join(dir, 'flexbridge.db');
  const config: OcppConfig = { ...OcppConfigSchema.parse({}), host: '127.0.0.1', port: 0, callTimeoutMs: 2000, ...overrides };
  const recorded: Recorded = { stations: new Map(), connections: [], booted: [], uncontrollable: [], sessions: [] };
  const inbound: StationInbound = {
    onStationUpdated: (s) => recorded.stations.set(s.stationId, s),
    onStationConnection: (stationId, connected) => recorded.connections.push({ stationId, connected }),
    // Stands in for core, which answers a boot by installing the station's standing limit — a moment later, as core
    // does (its reallocation is coalesced), so the limits read at the boot are queued first.
    onStationBooted: (id) => {
      recorded.booted.push(id);
      setImmediate(() => void harness.csms.commands.applyLimits(id, { kind: 'standing', limitA: 16 }));
    },
    onStationUncontrollable: (id) => recorded.uncontrollable.push(id),
    onSession: (s) => recorded.sessions.push(s),
    onSessionRestored: (s) => recorded.sessions.push(s),
  };
  const metrics = createMetrics({ defaultMetrics: false });
  // HARNESS_LOG=1 shows the CSMS's log when a test needs reading.
  const logger = process.env.HARNESS_LOG ? createLogger({ level: 'debug' }) : silentLogger;
  const start = (ocpp: OcppConfig): Promise<Csms> =>
    startCsms({ config: ocpp, stations, store: harness.store, inbound, logger, metrics, sessionFlushMs: 20, ...time });
  const harness: TestCsms = {
    csms: undefined as unknown as Csms,
    store: openSqliteStore(dbPath),
    recorded,
    url: '',
    dbPath,
    metrics,
    restart: async () => {
      await harness.csms.stop();
      harness.store.close();
      harness.store = openSqliteStore(dbPath);
      harness.csms = await start({ ...config, port: 0 });
      harness.url = `ws://127.0.0.1:${harness.csms.port}/ocpp`;
    },
    stop: async () => {
      await harness.csms.stop();
      harness.store.close();
      cleanup();
    },
  };
  harness.csms = await start(config);
  harness.url = `${config.securityProfile === 1 ? 'ws' : 'wss'}://127.0.0.1:${harness.csms.port}/ocpp`;
  return harness;
}

export interface FakeStationOptions {
  identity?: string;
  password?: string | null;
  protocols?: string[];
  /** SmartChargingCtrlr values the station reports. */
  stackLevel?: number;
  periods?: number;
  setChargingProfile?: (params: Record<string, unknown>) => Promise<Record<string, unknown>>;
  wsOpts?: Record<string, unknown>;
}

export interface FakeStation {
  client: RPCClient;
  /** Every CSMS-initiated action in the order it arrived, and the BootNotification responses `boot()` got among them. */
  log: string[];
  profiles: Record<string, unknown>[];
  triggers: string[];
}

/** An ocpp-rpc client in strict mode as a charger's, without reconnects or pings of its own (both versions' fakes). */
export function strictClient(
  url: string,
  identity: string,
  protocols: string[],
  password: string | Buffer | null,
  wsOpts: Record<string, unknown>,
): RPCClient {
  return new RPCClient({
    endpoint: url,
    identity,
    protocols,
    strictMode: true,
    strictModeValidators: [],
    reconnect: false,
    maxReconnects: 0,
    backoff: { initialDelay: 1000, maxDelay: 10_000, factor: 2, randomisationFactor: 0.25 },
    callTimeoutMs: 10_000,
    callConcurrency: 1,
    pingIntervalMs: 0,
    deferPingsOnActivity: false,
    respondWithDetailedErrors: false,
    maxBadMessages: 10,
    // ocpp-rpc sends a Buffer password as its bytes (client.js); its typings only say string.
    password: password as string | null,
    wsOpts,
    headers: {},
  });
}

/** A strict ocpp-rpc client standing in for a charger: answers GetVariables, TriggerMessage and SetChargingProfile. */
export async function connectStation(url: string, options: FakeStationOptions = {}): Promise<FakeStation> {
  const identity = options.identity ?? 'CS-1';
  const client = strictClient(
    url,
    identity,
    options.protocols ?? ['ocpp2.0.1'],
    options.password === null ? null : (options.password ?? PASSWORD),
    options.wsOpts ?? {},
  );
  const station: FakeStation = { client, profiles: [], triggers: [], log: [] };
  client.handle('GetVariables', async ({ params }) => {
    station.log.push('GetVariables');
    const data = (params?.getVariableData ?? []) as { component: { name: string }; variable: { name: string; instance?: string } }[];
    const values: Record<string, string> = {
      Available: 'true',
      Enabled: 'true',
      ProfileStackLevel: String(options.stackLevel ?? 2),
      PeriodsPerSchedule: String(options.periods ?? 24),
      RateUnit: 'A',
      Entries: '0',
    };
    return {
      getVariableResult: data.map((d) => {
        const value = values[d.variable.name];
        return value === undefined
          ? { attributeStatus: 'UnknownVariable', component: d.component, variable: d.variable }
          : { attributeStatus: 'Accepted', attributeValue: value, component: d.component, variable: d.variable };
      }),
    };
  });
  client.handle('TriggerMessage', async ({ params }) => {
    station.log.push('TriggerMessage');
    station.triggers.push(String(params?.requestedMessage));
    return { status: 'Accepted' };
  });
  client.handle('SetChargingProfile', async ({ params }) => {
    station.log.push('SetChargingProfile');
    station.profiles.push(params ?? {});
    return options.setChargingProfile ? options.setChargingProfile(params ?? {}) : { status: 'Accepted' };
  });
  await client.connect();
  return station;
}

export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function boot(station: FakeStation): Promise<unknown> {
  const response: unknown = await station.client.call('BootNotification', {
    reason: 'PowerUp',
    chargingStation: { model: 'Test AC', vendorName: 'flexbridge' },
  });
  const status = typeof response === 'object' && response !== null && 'status' in response ? String(response.status) : '?';
  station.log.push(`BootNotification ${status}`);
  return response;
}
