// Fuzz target of issue #17 for Local Controller mode: a raw-ws fake CSMS sends fuzzed frames down a station's upstream
// twin (2.0.1 and 1.6). Each case: the agent answers with a valid CALLRESULT/CALLERROR or not at all, a refused call
// leaves the store unchanged, the station is never above flexbridge's share, and valid calls both ways still work.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { RPCClient } from 'ocpp-rpc';
import { WebSocketServer, type WebSocket } from 'ws';
import { startAgent } from '../../src/agent';
import { parseConfig } from '../../src/config/load';
import { silentLogger } from '../../src/observability/log';
import { ocpp201Validator } from '../../src/ocpp/v201/validator';
import { checksum, type Findings, type FuzzRig } from './targets';

export type RelayProtocol = 'ocpp2.0.1' | 'ocpp1.6';

const PASSWORD = 'fuzz-relay-password-0001';
const STATION: Readonly<Record<RelayProtocol, string>> = { 'ocpp2.0.1': 'RELAY-201', 'ocpp1.6': 'RELAY-16' };
/** The station's ProfileStackLevel / ChargeProfileMaxStackLevel: flexbridge takes 2 and 3, the CSMS gets 0 and 1. */
const STACK_LEVELS = 3;
const EVSES = 2;
/** What a refused CSMS call must not touch: the station records, sessions, the outage queue, the fold and boot keys. */
export { STATION as RELAY_STATIONS };
export const RELAY_TABLES = ['stations', 'sessions', 'relay_queue', 'kv'] as const;

/** CALLERROR codes each version defines (OCPP-J 2.0.1 §4.3, OCPP-J 1.6 §4.2.3: its own two spellings). */
const CODES: Readonly<Record<RelayProtocol, ReadonlySet<string>>> = {
  'ocpp2.0.1': new Set([
    'FormatViolation',
    'GenericError',
    'InternalError',
    'MessageTypeNotSupported',
    'NotImplemented',
    'NotSupported',
    'OccurrenceConstraintViolation',
    'PropertyConstraintViolation',
    'ProtocolError',
    'RpcFrameworkError',
    'SecurityError',
    'TypeConstraintViolation',
  ]),
  'ocpp1.6': new Set([
    'NotImplemented',
    'NotSupported',
    'InternalError',
    'ProtocolError',
    'SecurityError',
    'FormationViolation',
    'PropertyConstraintViolation',
    'OccurenceConstraintViolation',
    'TypeConstraintViolation',
    'GenericError',
  ]),
};

type Json = unknown;

/** The CSMS end of one station's twin: raw frames out, every frame in recorded and checked. */
class FakeCsmsLink {
  private readonly waiting = new Map<string, (frame: Json[] | undefined) => void>();
  private readonly sent = new Set<string>();
  /** Frames from the agent that answer nothing we sent, or answer it twice, or are not OCPP-J. */
  readonly strays: string[] = [];

  /** The close code the agent's side sent, once closed. */
  closeCode: number | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => this.onFrame(isBinary ? '<binary>' : data.toString()));
    ws.on('close', (code) => {
      this.closeCode = code;
      // A closed twin answers nothing more: whoever waits learns it now.
      for (const waiter of this.waiting.values()) waiter(undefined);
      this.waiting.clear();
    });
  }

  send(frame: string | Buffer, binary = false): void {
    this.ws.send(frame, { binary });
  }

  /** Sends a CALL and resolves with the agent's answer frame, or undefined when none came within `waitMs`. */
  call(id: string, text: string | Buffer, binary = false, waitMs = 15_000): Promise<Json[] | undefined> {
    this.sent.add(id);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, waitMs);
      this.waiting.set(id, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
      this.send(text, binary);
    });
  }

  private onFrame(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.strays.push(text.slice(0, 200));
      return;
    }
    if (!Array.isArray(frame) || typeof frame[1] !== 'string') {
      this.strays.push(text.slice(0, 200));
      return;
    }
    const id = frame[1];
    if (frame[0] === 2) return this.answerStationCall(id, String(frame[2]));
    const waiter = this.waiting.get(id);
    if (!waiter && !this.sent.has(id)) this.strays.push(`answer to an id never sent: ${text.slice(0, 200)}`);
    else if (!waiter) this.strays.push(`second or late answer: ${text.slice(0, 200)}`);
    this.waiting.delete(id);
    this.sent.delete(id);
    waiter?.(frame);
  }

  /** The CSMS's side of the station's own traffic: Accepted, with the interval a real CSMS gives. */
  private answerStationCall(id: string, action: string): void {
    const currentTime = new Date().toISOString();
    const payload =
      action === 'BootNotification'
        ? { currentTime, interval: 300, status: 'Accepted' }
        : action === 'Heartbeat'
          ? { currentTime }
          : action === 'Authorize'
            ? { idTagInfo: { status: 'Accepted' }, idTokenInfo: { status: 'Accepted' } }
            : {};
    this.ws.send(JSON.stringify([3, id, payload]));
  }
}

/** A raw ws CSMS on 127.0.0.1:0 picking 2.0.1 or 1.6 as offered; one link per station identity. */
export interface FakeCsms {
  readonly url: string;
  /** The open twin of a station, waiting for it if it is not (re)connected yet. */
  link(identity: string): Promise<FakeCsmsLink>;
  /** Called on every new twin in the tick it opens (a CSMS that speaks first, as many do right after a connect). */
  greet: ((link: FakeCsmsLink) => void) | undefined;
  close(): Promise<void>;
}

async function startFakeCsms(): Promise<FakeCsms> {
  const links = new Map<string, FakeCsmsLink>();
  const arrivals: ((identity: string) => void)[] = [];
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: true,
    handleProtocols: (offered) => (offered.has('ocpp2.0.1') ? 'ocpp2.0.1' : offered.has('ocpp1.6') ? 'ocpp1.6' : false),
  });
  server.on('connection', (ws, request) => {
    const identity = decodeURIComponent((request.url ?? '').split('/').pop() ?? '');
    const link = new FakeCsmsLink(ws);
    links.set(identity, link);
    csms.greet?.(link);
    for (const arrived of arrivals.splice(0)) arrived(identity);
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const link = async (identity: string): Promise<FakeCsmsLink> => {
    for (;;) {
      const current = links.get(identity);
      if (current && current.ws.readyState === current.ws.OPEN) return current;
      await new Promise<void>((resolve) => arrivals.push(() => resolve()));
    }
  };
  const csms: FakeCsms = {
    url: `ws://127.0.0.1:${port}/csms`,
    link,
    greet: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of server.clients) ws.terminate();
        server.close(() => resolve());
      }),
  };
  return csms;
}

/** A profile as the station holds it (both versions read into one shape). */
interface HeldProfile {
  id: number;
  evseId: number;
  purpose: string;
  stackLevel: number;
  kind: string;
  validFrom?: string;
  validTo?: string;
  unit: string;
  startSchedule?: string;
  duration?: number;
  periods: { startPeriod: number; limit: number; numberPhases?: number }[];
}

const num = (v: unknown, fallback = NaN): number => (typeof v === 'number' ? v : fallback);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * A strict ocpp-rpc station (schema-invalid calls get the version's CALLERROR) that keeps the profiles it accepted
 * the way a station does: one per id, a new one on the same purpose and stack level (and EVSE) replaces the old.
 */
export class RelayStation {
  readonly triggers: string[] = [];
  /** How the agent closed this socket, if it did. */
  closed: string | undefined;

  private constructor(
    readonly client: RPCClient,
    readonly protocol: RelayProtocol,
    /** Kept across the station's connections, as a station keeps its installed profiles. */
    readonly profiles: Map<number, HeldProfile>,
  ) {}

  static async connect(ocppPort: number, protocol: RelayProtocol, profiles = new Map<number, HeldProfile>()): Promise<RelayStation> {
    const client = new RPCClient({
      endpoint: `ws://127.0.0.1:${ocppPort}/ocpp`,
      identity: STATION[protocol],
      protocols: [protocol],
      password: PASSWORD,
      reconnect: false,
      maxReconnects: 0,
      strictMode: true,
      strictModeValidators: protocol === 'ocpp2.0.1' ? [ocpp201Validator()] : [],
      callTimeoutMs: 10_000,
      callConcurrency: 1,
      pingIntervalMs: 0,
      deferPingsOnActivity: false,
      respondWithDetailedErrors: false,
      maxBadMessages: Infinity,
      backoff: { initialDelay: 1000, maxDelay: 10_000, factor: 2, randomisationFactor: 0.25 },
      wsOpts: {},
      headers: {},
    });
    const station = new RelayStation(client, protocol, profiles);
    station.handleAll();
    client.on('close', ({ code, reason }: { code: number; reason: unknown }) => (station.closed = `${code} ${String(reason)}`));
    await client.connect();
    return station;
  }

  /** The station cap in force now, amps per phase: the highest stack level of the active station-wide max profiles. */
  capNowA(nowMs: number): { limitA: number; id: number } | undefined {
    let best: HeldProfile | undefined;
    for (const p of this.profiles.values()) {
      if (p.purpose !== 'ChargingStationMaxProfile' && p.purpose !== 'ChargePointMaxProfile') continue;
      if (p.evseId !== 0 || !activeAt(p, nowMs)) continue;
      if (!best || p.stackLevel > best.stackLevel) best = p;
    }
    if (!best) return undefined;
    const elapsedS = best.startSchedule ? (nowMs - Date.parse(best.startSchedule)) / 1000 : 0;
    let period = best.periods[0];
    for (const p of best.periods) if (p.startPeriod <= elapsedS) period = p;
    if (!period) return undefined;
    const limitA = best.unit === 'W' ? period.limit / (230 * (period.numberPhases ?? 3)) : period.limit;
    return { limitA, id: best.id };
  }

  private hold(profile: HeldProfile): 'Accepted' | 'Rejected' {
    // What a station checks beyond the schema: its stack levels, its EVSEs, a station max only station-wide.
    if (profile.stackLevel > STACK_LEVELS || profile.evseId > EVSES || profile.periods.length === 0) return 'Rejected';
    const stationWide = profile.purpose === 'ChargingStationMaxProfile' || profile.purpose === 'ChargePointMaxProfile';
    if (stationWide && profile.evseId !== 0) return 'Rejected';
    for (const [id, held] of this.profiles)
      if (held.purpose === profile.purpose && held.stackLevel === profile.stackLevel && held.evseId === profile.evseId)
        this.profiles.delete(id);
    this.profiles.set(profile.id, profile);
    return 'Accepted';
  }

  private clear(match: (p: HeldProfile) => boolean): 'Accepted' | 'Unknown' {
    let cleared = false;
    for (const [id, held] of this.profiles) if (match(held)) cleared = this.profiles.delete(id) || cleared;
    return cleared ? 'Accepted' : 'Unknown';
  }

  private handleAll(): void {
    const { client } = this;
    const v16 = this.protocol === 'ocpp1.6';
    const status = (value: string) => async () => ({ status: value });
    client.handle('TriggerMessage', async ({ params }) => {
      this.triggers.push(String(obj(params).requestedMessage));
      return { status: 'Accepted' };
    });
    client.handle('SetChargingProfile', async ({ params }) => ({ status: this.hold(v16 ? read16(params) : read201(params)) }));
    client.handle('ClearChargingProfile', async ({ params }) => {
      const p = obj(params);
      if (v16) {
        const id = num(p.id, NaN);
        if (Number.isInteger(id)) return { status: this.clear((h) => h.id === id) };
        const purpose = str(p.chargingProfilePurpose);
        const connector = num(p.connectorId, NaN);
        const level = num(p.stackLevel, NaN);
        return {
          status: this.clear(
            (h) =>
              (Number.isNaN(connector) || h.evseId === connector) &&
              (purpose === undefined || h.purpose === purpose) &&
              (Number.isNaN(level) || h.stackLevel === level),
          ),
        };
      }
      const id = num(p.chargingProfileId, NaN);
      if (Number.isInteger(id)) return { status: this.clear((h) => h.id === id) };
      const c = obj(p.chargingProfileCriteria);
      return {
        status: this.clear(
          (h) =>
            (c.evseId === undefined || h.evseId === c.evseId) &&
            (c.chargingProfilePurpose === undefined || h.purpose === c.chargingProfilePurpose) &&
            (c.stackLevel === undefined || h.stackLevel === c.stackLevel),
        ),
      };
    });
    client.handle('GetCompositeSchedule', async ({ params }) => {
      const cap = this.capNowA(Date.now());
      if (!cap) return { status: 'Rejected' };
      const periods = [{ startPeriod: 0, limit: Math.max(0, Math.floor(cap.limitA * 10) / 10) }];
      const p = obj(params);
      return v16
        ? {
            status: 'Accepted',
            connectorId: num(p.connectorId, 0),
            scheduleStart: new Date().toISOString(),
            chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: periods },
          }
        : {
            status: 'Accepted',
            schedule: {
              evseId: num(p.evseId, 0),
              duration: num(p.duration, 0),
              scheduleStart: new Date().toISOString(),
              chargingRateUnit: 'A',
              chargingSchedulePeriod: periods,
            },
          };
    });
    if (v16) {
      const configuration: Record<string, string> = {
        SupportedFeatureProfiles: 'Core,SmartCharging,RemoteTrigger',
        ChargeProfileMaxStackLevel: String(STACK_LEVELS),
        ChargingScheduleAllowedChargingRateUnit: 'Current,Power',
        ChargingScheduleMaxPeriods: '24',
        MaxChargingProfilesInstalled: '100',
        NumberOfConnectors: String(EVSES),
      };
      client.handle('GetConfiguration', async ({ params }) => {
        const keys = Array.isArray(obj(params).key) ? (obj(params).key as unknown[]).map(String) : Object.keys(configuration);
        return {
          configurationKey: keys
            .filter((k) => configuration[k] !== undefined)
            .map((k) => ({ key: k, readonly: true, value: configuration[k] })),
          unknownKey: keys.filter((k) => configuration[k] === undefined),
        };
      });
      for (const action of [
        'ChangeConfiguration',
        'RemoteStartTransaction',
        'RemoteStopTransaction',
        'Reset',
        'ChangeAvailability',
        'ClearCache',
      ])
        client.handle(action, status('Rejected'));
      client.handle('UnlockConnector', status('NotSupported'));
      client.handle('DataTransfer', status('UnknownVendorId'));
      return;
    }
    const values: Record<string, string> = {
      Available: 'true',
      Enabled: 'true',
      ProfileStackLevel: String(STACK_LEVELS),
      PeriodsPerSchedule: '24',
      RateUnit: 'A,W',
      Entries: '0',
    };
    client.handle('GetVariables', async ({ params }) => {
      const data = Array.isArray(obj(params).getVariableData) ? (obj(params).getVariableData as unknown[]).map(obj) : [];
      return {
        getVariableResult: data.map((d) => {
          const value = values[String(obj(d.variable).name)];
          return value === undefined
            ? { attributeStatus: 'UnknownVariable', component: d.component, variable: d.variable }
            : { attributeStatus: 'Accepted', attributeValue: value, component: d.component, variable: d.variable };
        }),
      };
    });
    client.handle('SetVariables', async ({ params }) => {
      const data = Array.isArray(obj(params).setVariableData) ? (obj(params).setVariableData as unknown[]).map(obj) : [];
      return { setVariableResult: data.map((d) => ({ attributeStatus: 'Rejected', component: d.component, variable: d.variable })) };
    });
    for (const action of ['RequestStartTransaction', 'RequestStopTransaction', 'Reset', 'ChangeAvailability', 'ClearCache'])
      client.handle(action, status('Rejected'));
    client.handle('GetChargingProfiles', status('NoProfiles'));
    client.handle('UnlockConnector', status('UnknownConnector'));
    client.handle('DataTransfer', status('UnknownVendorId'));
    client.handle('GetBaseReport', status('NotSupported'));
  }
}

function activeAt(p: HeldProfile, nowMs: number): boolean {
  if (p.validFrom !== undefined && Date.parse(p.validFrom) > nowMs) return false;
  if (p.validTo !== undefined && Date.parse(p.validTo) <= nowMs) return false;
  if (p.kind !== 'Absolute' || p.startSchedule === undefined) return true;
  const startMs = Date.parse(p.startSchedule);
  return startMs <= nowMs && (p.duration === undefined || startMs + p.duration * 1000 > nowMs);
}

function periodsOf(schedule: Record<string, unknown>): HeldProfile['periods'] {
  const periods = Array.isArray(schedule.chargingSchedulePeriod) ? schedule.chargingSchedulePeriod.map(obj) : [];
  return periods.map((p) => ({
    startPeriod: num(p.startPeriod, 0),
    limit: num(p.limit),
    ...(typeof p.numberPhases === 'number' && { numberPhases: p.numberPhases }),
  }));
}

/** Schema-valid (the station is strict): every field is there with its type. */
function read201(params: unknown): HeldProfile {
  const p = obj(obj(params).chargingProfile);
  const schedule = obj(Array.isArray(p.chargingSchedule) ? p.chargingSchedule[0] : undefined);
  return held(p, num(p.id), num(obj(params).evseId), schedule);
}

function read16(params: unknown): HeldProfile {
  const p = obj(obj(params).csChargingProfiles);
  return held(p, num(p.chargingProfileId), num(obj(params).connectorId), obj(p.chargingSchedule));
}

function held(p: Record<string, unknown>, id: number, evseId: number, schedule: Record<string, unknown>): HeldProfile {
  const optional = <K extends string>(key: K, value: unknown) => (value === undefined ? {} : { [key]: value });
  return {
    id,
    evseId,
    purpose: String(p.chargingProfilePurpose),
    stackLevel: num(p.stackLevel),
    kind: String(p.chargingProfileKind),
    ...optional('validFrom', str(p.validFrom)),
    ...optional('validTo', str(p.validTo)),
    unit: String(schedule.chargingRateUnit),
    ...optional('startSchedule', str(schedule.startSchedule)),
    ...optional('duration', typeof schedule.duration === 'number' ? schedule.duration : undefined),
    periods: periodsOf(schedule),
  };
}

// ---- Arbitraries: schema-near payloads per action, with wrong types, extra fields, huge numbers and long strings ----

const weird: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, '', -1, 0, 1e308, -1e308, 2 ** 53, 0.5, 9_100_001, [], {}),
  fc.string({ maxLength: 20 }),
  fc.string({ minLength: 1000, maxLength: 5000 }),
  fc.jsonValue({ maxDepth: 3 }),
);
/** Mostly the right kind of value, sometimes anything. */
const near = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 6, arbitrary: arb }, { weight: 1, arbitrary: weird });
const iso = fc.oneof(
  fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('2020-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', 'not a date', '2026-02-30T00:00:00Z'),
  fc.constant(undefined).map(() => new Date().toISOString()),
);
const profileId = fc.oneof(
  fc.integer({ min: 1, max: 40 }),
  fc.constantFrom(9_100_001, 9_100_002, 9_100_003, 9_100_101, 9_099_999, 9_101_000),
  fc.integer(),
);
const stackLevel = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.integer() });
const purpose = fc.constantFrom(
  'ChargingStationMaxProfile',
  'ChargePointMaxProfile',
  'TxDefaultProfile',
  'TxProfile',
  'ChargingStationExternalConstraints',
  'x',
);
const kind = fc.constantFrom('Absolute', 'Absolute', 'Relative', 'Recurring', 'x');
const limit = fc.oneof(
  fc.integer({ min: 0, max: 100 }),
  fc.double({ min: -10, max: 1e6, noNaN: true }),
  fc.constantFrom(0, 1e308, -1, 1e-9, 22_080, Number.MAX_SAFE_INTEGER),
);
const period = fc.record(
  {
    startPeriod: near(fc.oneof(fc.constant(0), fc.nat(86_400))),
    limit: near(limit),
    numberPhases: near(fc.integer({ min: -1, max: 4 })),
    phaseToUse: near(fc.integer({ min: 0, max: 4 })),
  },
  { requiredKeys: ['startPeriod', 'limit'] },
);
const schedule = fc.record(
  {
    id: near(fc.nat(10)),
    startSchedule: near(iso),
    duration: near(fc.oneof(fc.nat(86_400), fc.constantFrom(1, 1e308, 2 ** 31))),
    chargingRateUnit: near(fc.constantFrom('A', 'W', 'A', 'kW')),
    chargingSchedulePeriod: near(fc.array(period, { minLength: 1, maxLength: 4 })),
    minChargingRate: near(fc.double({ noNaN: true })),
  },
  { requiredKeys: ['chargingRateUnit', 'chargingSchedulePeriod'] },
);
/** Extra fields the schemas forbid (additionalProperties: false), and sometimes a prototype key. */
const extra = fc.option(fc.dictionary(fc.constantFrom('extra', '__proto__', 'constructor', 'customData', 'x'), weird, { maxKeys: 2 }), {
  nil: undefined,
});
const withExtra = <T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<object> =>
  fc.tuple(arb, extra).map(([value, more]) => (more ? { ...value, ...more } : value));

const profile201 = withExtra(
  fc.record(
    {
      id: near(profileId),
      stackLevel: near(stackLevel),
      chargingProfilePurpose: near(purpose),
      chargingProfileKind: near(kind),
      recurrencyKind: near(fc.constantFrom('Daily', 'Weekly')),
      validFrom: near(iso),
      validTo: near(iso),
      transactionId: near(fc.constantFrom('tx-1', 'tx-2', '')),
      chargingSchedule: near(fc.array(schedule, { minLength: 1, maxLength: 3 })),
    },
    { requiredKeys: ['id', 'stackLevel', 'chargingProfilePurpose', 'chargingProfileKind', 'chargingSchedule'] },
  ),
);
const profile16 = withExtra(
  fc.record(
    {
      chargingProfileId: near(profileId),
      transactionId: near(fc.integer({ min: -1, max: 5 })),
      stackLevel: near(stackLevel),
      chargingProfilePurpose: near(purpose),
      chargingProfileKind: near(kind),
      recurrencyKind: near(fc.constantFrom('Daily', 'Weekly')),
      validFrom: near(iso),
      validTo: near(iso),
      chargingSchedule: near(schedule),
    },
    { requiredKeys: ['chargingProfileId', 'stackLevel', 'chargingProfilePurpose', 'chargingProfileKind', 'chargingSchedule'] },
  ),
);
const evse = near(fc.constantFrom(0, 0, 1, 2, 3, -1));

/** The actions a CSMS sends, each with its schema-near payload; any other action gets any JSON. */
const PAYLOADS: Readonly<Record<RelayProtocol, Readonly<Record<string, fc.Arbitrary<unknown>>>>> = {
  'ocpp2.0.1': {
    SetChargingProfile: withExtra(fc.record({ evseId: evse, chargingProfile: near(profile201) })),
    ClearChargingProfile: withExtra(
      fc.record(
        {
          chargingProfileId: near(profileId),
          chargingProfileCriteria: near(
            fc.record({ evseId: evse, chargingProfilePurpose: near(purpose), stackLevel: near(stackLevel) }, { requiredKeys: [] }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    GetCompositeSchedule: withExtra(
      fc.record(
        { duration: near(fc.nat(86_400)), evseId: evse, chargingRateUnit: near(fc.constantFrom('A', 'W')) },
        { requiredKeys: ['duration', 'evseId'] },
      ),
    ),
    RequestStartTransaction: withExtra(
      fc.record(
        {
          idToken: near(fc.record({ idToken: fc.string({ maxLength: 20 }), type: fc.constantFrom('ISO14443', 'Central') })),
          remoteStartId: near(fc.integer()),
          evseId: evse,
          chargingProfile: near(profile201),
        },
        { requiredKeys: ['idToken', 'remoteStartId'] },
      ),
    ),
    GetChargingProfiles: fc.record({ requestId: near(fc.integer()), chargingProfile: near(fc.object({ maxDepth: 1 })) }),
    GetVariables: fc.record({
      getVariableData: near(
        fc.array(fc.record({ component: fc.record({ name: fc.string() }), variable: fc.record({ name: fc.string() }) }), { maxLength: 3 }),
      ),
    }),
    SetVariables: fc.record({
      setVariableData: near(
        fc.array(
          fc.record({
            attributeValue: fc.string(),
            component: fc.record({ name: fc.constantFrom('SecurityCtrlr', 'OCPPCommCtrlr') }),
            variable: fc.record({ name: fc.constantFrom('BasicAuthPassword', 'HeartbeatInterval') }),
          }),
          { maxLength: 2 },
        ),
      ),
    }),
    TriggerMessage: fc.record({ requestedMessage: near(fc.constantFrom('Heartbeat', 'StatusNotification', 'MeterValues')) }),
    RequestStopTransaction: fc.record({ transactionId: near(fc.string({ maxLength: 36 })) }),
    Reset: fc.record({ type: near(fc.constantFrom('Immediate', 'OnIdle')) }),
    ChangeAvailability: fc.record({ operationalStatus: near(fc.constantFrom('Inoperative', 'Operative')) }),
    DataTransfer: fc.record({ vendorId: near(fc.string({ maxLength: 255 })), data: weird }),
    UnlockConnector: fc.record({ evseId: evse, connectorId: evse }),
  },
  'ocpp1.6': {
    SetChargingProfile: withExtra(fc.record({ connectorId: evse, csChargingProfiles: near(profile16) })),
    ClearChargingProfile: withExtra(
      fc.record(
        { id: near(profileId), connectorId: evse, chargingProfilePurpose: near(purpose), stackLevel: near(stackLevel) },
        { requiredKeys: [] },
      ),
    ),
    GetCompositeSchedule: withExtra(
      fc.record(
        { connectorId: evse, duration: near(fc.nat(86_400)), chargingRateUnit: near(fc.constantFrom('A', 'W')) },
        { requiredKeys: ['connectorId', 'duration'] },
      ),
    ),
    RemoteStartTransaction: withExtra(
      fc.record(
        { idTag: near(fc.string({ maxLength: 20 })), connectorId: evse, chargingProfile: near(profile16) },
        { requiredKeys: ['idTag'] },
      ),
    ),
    GetConfiguration: fc.record({ key: near(fc.array(fc.string({ maxLength: 50 }), { maxLength: 3 })) }, { requiredKeys: [] }),
    ChangeConfiguration: fc.record({
      key: near(fc.constantFrom('AuthorizationKey', 'HeartbeatInterval', 'SecurityProfile')),
      value: near(fc.string({ maxLength: 40 })),
    }),
    TriggerMessage: fc.record({ requestedMessage: near(fc.constantFrom('Heartbeat', 'StatusNotification', 'MeterValues')) }),
    RemoteStopTransaction: fc.record({ transactionId: near(fc.integer()) }),
    Reset: fc.record({ type: near(fc.constantFrom('Hard', 'Soft')) }),
    ChangeAvailability: fc.record({ connectorId: evse, type: near(fc.constantFrom('Inoperative', 'Operative')) }),
    DataTransfer: fc.record({ vendorId: near(fc.string({ maxLength: 255 })), data: weird }),
    UnlockConnector: fc.record({ connectorId: evse }),
  },
};

/** One fuzzed frame and what the CSMS may expect of it. */
interface RelayCase {
  kind: string;
  action?: string;
  /** Set when the frame is a CALL the agent must answer (id string ≤ 36, action string). */
  id?: string;
  text: string | Buffer;
  binary?: boolean;
}

let nextId = 0;
const freshId = (): string => `fz-${++nextId}`;

function relayCase(protocol: RelayProtocol): fc.Arbitrary<RelayCase> {
  const actions = Object.keys(PAYLOADS[protocol]);
  const weighted = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('SetChargingProfile') },
    { weight: 2, arbitrary: fc.constantFrom('ClearChargingProfile') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('GetCompositeSchedule', protocol === 'ocpp1.6' ? 'RemoteStartTransaction' : 'RequestStartTransaction'),
    },
    { weight: 3, arbitrary: fc.constantFrom(...actions) },
  );
  const call = weighted.chain((action) =>
    fc
      .oneof(
        { weight: 4, arbitrary: PAYLOADS[protocol][action] ?? fc.jsonValue() },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      )
      .map((payload): RelayCase => {
        const id = freshId();
        return { kind: 'call', action, id, text: JSON.stringify([2, id, action, payload]) };
      }),
  );
  const unknownAction = fc
    .tuple(
      fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'Heartbeat')),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([action, payload]): RelayCase => {
      const id = freshId();
      return { kind: 'unknown-action', action, id, text: JSON.stringify([2, id, action, payload]) };
    });
  const malformed = fc
    .oneof(
      fc.string({ maxLength: 200 }),
      fc.constantFrom('[2,"a","Reset"', '[2,"a",', '{', '[2,"x","Reset",{}]]', '\u0000', ''),
      fc.jsonValue().map((v) => `${JSON.stringify(v)}}`),
    )
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    })
    .map((text): RelayCase => ({ kind: 'malformed-json', text }));
  const wrongType = fc
    .tuple(fc.constantFrom(0, 1, 5, 6, -1, '2', 2.5, null, 3, 4), fc.jsonValue({ maxDepth: 2 }))
    .map(([type, v]): RelayCase => ({ kind: 'wrong-message-type', text: JSON.stringify([type, freshId(), 'Reset', v]) }));
  const badId = fc
    .tuple(
      fc.oneof(fc.integer(), fc.constant(null), fc.string({ minLength: 37, maxLength: 80 }), fc.constant({})),
      fc.constantFrom(...actions),
    )
    .map(([id, action]): RelayCase => ({ kind: 'bad-id', text: JSON.stringify([2, id, action, {}]) }));
  const strayAnswer = fc
    .oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v) => [3, `nope-${++nextId}`, v]),
      fc.tuple(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 })).map(([code, v]) => [4, `nope-${++nextId}`, code, 'x', v]),
    )
    .map((frame): RelayCase => ({ kind: 'stray-answer', text: JSON.stringify(frame) }));
  const binary = fc.oneof(
    fc.uint8Array({ maxLength: 256 }).map((bytes): RelayCase => ({ kind: 'binary', text: Buffer.from(bytes), binary: true })),
    // A well-formed CALL in a binary frame: OCPP-J is text, but the agent must not trip over it either way.
    fc.constantFrom(...actions).map((action): RelayCase => {
      const id = freshId();
      return { kind: 'binary-call', action, id, text: Buffer.from(JSON.stringify([2, id, action, {}])), binary: true };
    }),
  );
  const deep = fc.integer({ min: 100, max: 20_000 }).map((depth): RelayCase => {
    const id = freshId();
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const payload =
      protocol === 'ocpp1.6' ? `{"connectorId":0,"csChargingProfiles":${nested}}` : `{"evseId":0,"chargingProfile":{"id":1,"x":${nested}}}`;
    return { kind: 'deep-nesting', action: 'SetChargingProfile', id, text: `[2,"${id}","SetChargingProfile",${payload}]` };
  });
  const oversized = fc.integer({ min: 1, max: 3 }).map((megabytes): RelayCase => {
    const id = freshId();
    const payload = { key: 'x', value: 'v'.repeat(megabytes * 1024 * 1024) };
    return { kind: 'oversized', action: 'DataTransfer', id, text: JSON.stringify([2, id, 'DataTransfer', payload]) };
  });
  return fc.oneof(
    { weight: 60, arbitrary: call },
    { weight: 6, arbitrary: unknownAction },
    { weight: 6, arbitrary: malformed },
    { weight: 6, arbitrary: wrongType },
    { weight: 4, arbitrary: badId },
    { weight: 6, arbitrary: strayAnswer },
    { weight: 5, arbitrary: binary },
    { weight: 2, arbitrary: deep },
    { weight: 1, arbitrary: oversized },
  );
}

// ---- The rig: one agent in Local Controller mode, the fake CSMS, one booted station per version ----

export interface RelayRig extends FuzzRig {
  readonly csms: FakeCsms;
  readonly stations: Map<RelayProtocol, RelayStation>;
  /** A new socket for a station the agent let go (counted as a problem by the fuzzer). */
  reconnect(protocol: RelayProtocol): Promise<RelayStation>;
}

export async function startRelayAgent(): Promise<RelayRig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-fuzz-relay-'));
  const file = path.join(dir, 'agent.db');
  const csms = await startFakeCsms();
  const station = (id: string) => ({ id, groupId: 'g1', password: PASSWORD, evseMaxCurrentA: 32, evseCount: EVSES, phases: 3 });
  const config = parseConfig(
    {
      http: { host: '127.0.0.1', port: 0 },
      store: { path: file },
      ocpp: {
        host: '127.0.0.1',
        port: 0,
        callTimeoutMs: 2000,
        upstream: { url: csms.url, credentials: 'forward', dialRate: 1000, dialTimeoutMs: 5000, callTimeoutMs: 5000 },
      },
      groups: [{ id: 'g1', safeLimitA: 40, maxCapacityA: 400 }],
      stations: [station(STATION['ocpp2.0.1']), station(STATION['ocpp1.6'])],
      authThrottle: { freeFailures: 1_000_000_000 },
    },
    'fuzz-relay',
  );
  const agent = await startAgent(config, { logger: silentLogger });
  const stations = new Map<RelayProtocol, RelayStation>();
  const reconnect = async (protocol: RelayProtocol): Promise<RelayStation> => {
    const previous = stations.get(protocol);
    await previous?.client.close({ force: true }).catch(() => undefined);
    const connected = await bootStation(agent.ocppPort, protocol, previous?.profiles);
    stations.set(protocol, connected);
    return connected;
  };
  const rig: RelayRig = {
    agent,
    file,
    csms,
    stations,
    reconnect,
    close: async () => {
      for (const s of stations.values()) await s.client.close({ force: true }).catch(() => undefined);
      await agent.stop('fuzz done');
      await csms.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const protocol of ['ocpp2.0.1', 'ocpp1.6'] as const) await reconnect(protocol);
  return rig;
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`fuzz relay: ${what} not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Connects and boots: the CSMS's Accepted reaches the station once flexbridge's standing limits are in (Pending first). */
async function bootStation(ocppPort: number, protocol: RelayProtocol, profiles?: Map<number, HeldProfile>): Promise<RelayStation> {
  const station = await RelayStation.connect(ocppPort, protocol, profiles);
  const boot = (): Promise<unknown> =>
    station.client.call(
      'BootNotification',
      protocol === 'ocpp1.6'
        ? { chargePointVendor: 'flexbridge', chargePointModel: 'Fuzz 1.6' }
        : { reason: 'PowerUp', chargingStation: { model: 'Fuzz', vendorName: 'flexbridge' } },
    );
  for (let attempt = 0; attempt < 5; attempt++) {
    const answer = obj(await boot());
    if (answer.status === 'Accepted') return station;
    await until('the TriggerMessage(BootNotification) after the standing limits', () => station.triggers.includes('BootNotification'));
    station.triggers.length = 0;
  }
  throw new Error(`fuzz relay: ${STATION[protocol]} never booted Accepted`);
}

/** flexbridge's share for the station: its standing limit, or the most of a live lease still running. */
function shareA(rig: RelayRig, protocol: RelayProtocol, nowMs: number): number | undefined {
  const limits = rig.agent.csms.registry.get(STATION[protocol])?.lastLimits;
  if (!limits?.standing) return undefined;
  const live =
    limits.live && limits.live.stationCap.leaseEndMs > nowMs ? Math.max(...limits.live.stationCap.periods.map((p) => p.limitA)) : 0;
  return Math.max(limits.standing.limitA, live);
}

/** What the CSMS got back is OCPP-J for its version: a CALLRESULT with an object, or a CALLERROR with a defined code. */
function answerProblem(frame: Json[], id: string, protocol: RelayProtocol): string | undefined {
  if (frame[1] !== id) return `answer under id ${String(frame[1])}, asked ${id}`;
  if (frame[0] === 3)
    return typeof frame[2] === 'object' && frame[2] !== null && !Array.isArray(frame[2]) ? undefined : 'CALLRESULT payload not an object';
  if (frame[0] !== 4 || frame.length !== 5) return `not a CALLRESULT/CALLERROR: ${JSON.stringify(frame).slice(0, 200)}`;
  if (typeof frame[2] !== 'string' || !CODES[protocol].has(frame[2]))
    return `CALLERROR code ${String(frame[2])} is not an OCPP ${protocol} code`;
  if (typeof frame[3] !== 'string') return 'CALLERROR description not a string';
  return typeof frame[4] === 'object' && frame[4] !== null && !Array.isArray(frame[4]) ? undefined : 'CALLERROR details not an object';
}

const validProfile = (protocol: RelayProtocol, limitA: number): object => {
  const startSchedule = new Date(Date.now() - 60_000).toISOString();
  const period = [{ startPeriod: 0, limit: limitA }];
  // Aimed at flexbridge's live level (3): the guard must shift it below flexbridge's standing level (2).
  return protocol === 'ocpp1.6'
    ? {
        connectorId: 0,
        csChargingProfiles: {
          chargingProfileId: 4242,
          stackLevel: STACK_LEVELS,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: { startSchedule, chargingRateUnit: 'A', chargingSchedulePeriod: period },
        },
      }
    : {
        evseId: 0,
        chargingProfile: {
          id: 4242,
          stackLevel: STACK_LEVELS,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: [{ id: 1, startSchedule, chargingRateUnit: 'A', chargingSchedulePeriod: period }],
        },
      };
};

/** Fuzzed CSMS frames down one station's upstream twin; every case checked, valid calls both ways probed often. */
export async function fuzzRelay(
  rig: RelayRig,
  protocol: RelayProtocol,
  cases: number,
  seed?: number,
  /** Go on after a problem (to count every finding of a long run) instead of stopping at the first. */
  keepGoing = false,
): Promise<Findings> {
  const findings: Findings = { cases: 0, outcomes: {}, problems: [] };
  const count = (outcome: string): void => void (findings.outcomes[outcome] = (findings.outcomes[outcome] ?? 0) + 1);
  const problem = (text: string): void => void findings.problems.push(`${protocol}: ${text}`);
  const identity = STATION[protocol];
  const crashed = (error: unknown): void => problem(`unhandled rejection: ${String(error)}`);
  process.on('unhandledRejection', crashed);
  let link = await rig.csms.link(identity);
  let station = rig.stations.get(protocol) ?? (await rig.reconnect(protocol));
  let last = 'the start';

  const ensureConnected = async (): Promise<void> => {
    if (station.client.state !== 1) {
      problem(`the agent closed the station socket (${station.closed ?? '?'}) after ${last}`);
      station = await rig.reconnect(protocol);
    }
    if (link.ws.readyState !== link.ws.OPEN) {
      count('upstream-closed');
      link = await rig.csms.link(identity);
    }
  };
  /** A read-only CSMS call through the station's one queue: whatever a case queued (a refold) has run after it. */
  const barrier = async (): Promise<void> => {
    const id = freshId();
    const payload = protocol === 'ocpp1.6' ? { connectorId: 0, duration: 60 } : { evseId: 0, duration: 60 };
    const answer = await link.call(id, JSON.stringify([2, id, 'GetCompositeSchedule', payload]));
    if (!answer) problem('no answer to the barrier GetCompositeSchedule');
  };
  const checkCap = (after: string): void => {
    const nowMs = Date.now();
    const share = shareA(rig, protocol, nowMs);
    const cap = station.capNowA(nowMs);
    if (share === undefined) return problem(`no standing limit known for the station after ${after}`);
    if (!cap) return problem(`the station holds no station cap after ${after}`);
    if (cap.limitA > share + 1e-9)
      problem(`station cap ${cap.limitA} A (profile ${cap.id}) above flexbridge's share ${share} A after ${after}`);
  };
  const probe = async (): Promise<void> => {
    await ensureConnected();
    const id = freshId();
    const answer = await link.call(id, JSON.stringify([2, id, 'SetChargingProfile', validProfile(protocol, 80)]));
    if (!answer || answer[0] !== 3 || obj(answer[2]).status !== 'Accepted')
      problem(`a valid SetChargingProfile from the CSMS was not Accepted: ${JSON.stringify(answer)?.slice(0, 200)}`);
    const held = station.profiles.get(4242);
    if (!held || held.stackLevel >= STACK_LEVELS - 1)
      problem(`the valid CSMS profile is not held below flexbridge's levels: ${JSON.stringify(held)}`);
    await barrier();
    checkCap('the valid SetChargingProfile');
    try {
      const beat = obj(await station.client.call('Heartbeat', {}));
      if (typeof beat.currentTime !== 'string') problem('a Heartbeat was answered without currentTime');
    } catch (error) {
      problem(`a valid Heartbeat from the station failed: ${String(error)}`);
    }
    const health = await fetch(`http://127.0.0.1:${rig.agent.httpPort}/healthz`);
    await health.arrayBuffer();
    if (health.status !== 200) problem(`/healthz answered ${health.status}`);
  };

  try {
    await probe();
    await fc.assert(
      fc.asyncProperty(relayCase(protocol), async (input) => {
        findings.cases++;
        const t0 = Date.now(); // TEMP
        await ensureConnected();
        const before = checksum(rig.file, RELAY_TABLES);
        const what = `${input.kind}${input.action ? ` ${input.action}` : ''}: ${String(input.text).slice(0, 300)}`;
        let changes = false;
        last = what;
        if (input.id === undefined) {
          link.send(input.text, input.binary);
          count(input.kind);
        } else {
          const answer = await link.call(input.id, input.text, input.binary);
          if (!answer) {
            if (link.ws.readyState === link.ws.OPEN) problem(`no answer to ${what}`);
            count(`${input.kind}:closed`);
          } else {
            const wrong = answerProblem(answer, input.id, protocol);
            if (wrong) problem(`${wrong} for ${what}`);
            const outcome = answer[0] === 3 ? `result:${String(obj(answer[2]).status ?? '-')}` : `error:${String(answer[2])}`;
            count(`${input.kind === 'call' ? input.action : input.kind} ${outcome}`);
            changes =
              answer[0] === 3 &&
              obj(answer[2]).status === 'Accepted' &&
              (input.action === 'SetChargingProfile' || input.action === 'ClearChargingProfile');
          }
        }
        if (changes) await barrier();
        else if (checksum(rig.file, RELAY_TABLES) !== before) problem(`the store changed on ${what}`);
        checkCap(what);
        if (link.strays.length > 0) problem(`frames the CSMS never asked for: ${link.strays.splice(0).join(' | ')}`);
        if (findings.cases % 25 === 0) await probe();
        if (process.env.SLOW && Date.now() - t0 > 300) console.log('SLOW', Date.now() - t0, what.slice(0, 200)); // TEMP
        return (keepGoing || findings.problems.length === 0) && rig.agent.store.isOpen();
      }),
      { numRuns: cases, ...(seed !== undefined && { seed }), endOnFailure: true },
    );
    await probe();
  } catch (error) {
    if (findings.problems.length === 0) problem(String(error));
  } finally {
    process.off('unhandledRejection', crashed);
  }
  return findings;
}
