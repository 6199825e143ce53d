// The charging station behind flexbridge in the relay fuzzer: a strict ocpp-rpc client of either version that answers
// what the CSMS may relay to it and keeps the profiles it accepted, so the limit in force can be read at any instant.
import { RPCClient } from 'ocpp-rpc';
import { isFlexbridgeProfileId } from '../../src/ocpp/v201/limit-profiles';
import { ocpp201Validator } from '../../src/ocpp/v201/validator';

export type RelayProtocol = 'ocpp2.0.1' | 'ocpp1.6';

export const PASSWORD = 'fuzz-relay-password-0001';
export const RELAY_STATIONS: Readonly<Record<RelayProtocol, string>> = { 'ocpp2.0.1': 'RELAY-201', 'ocpp1.6': 'RELAY-16' };
/** The station's ProfileStackLevel / ChargeProfileMaxStackLevel: flexbridge takes 2 and 3, the CSMS gets 0 and 1. */
export const STACK_LEVELS = 3;
export const EVSES = 2;

/** A profile as the station holds it (both versions read into one shape). */
export interface HeldProfile {
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
export const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * A strict ocpp-rpc station (schema-invalid calls get the version's CALLERROR) that keeps the profiles it accepted
 * the way a station does: one per id, a new one on the same purpose and stack level (and EVSE) replaces the old.
 */
export class RelayStation {
  readonly triggers: string[] = [];
  /** How the agent closed this socket, if it did. */
  closed: string | undefined;
  /** flexbridge's own profiles (its id range) this station refused: schema-invalid or not acceptable. */
  readonly ownRefused: string[] = [];

  private constructor(
    readonly client: RPCClient,
    readonly protocol: RelayProtocol,
    /** Kept across the station's connections, as a station keeps its installed profiles. */
    readonly profiles: Map<number, HeldProfile>,
  ) {}

  static async connect(ocppPort: number, protocol: RelayProtocol, profiles = new Map<number, HeldProfile>()): Promise<RelayStation> {
    const client = new RPCClient({
      endpoint: `ws://127.0.0.1:${ocppPort}/ocpp`,
      identity: RELAY_STATIONS[protocol],
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
    client.on('strictValidationFailure', ({ method, params, error }: { method: string; params: unknown; error: unknown }) => {
      const profile = protocol === 'ocpp1.6' ? read16(params) : read201(params);
      if (method === 'SetChargingProfile' && isFlexbridgeProfileId(profile.id))
        station.ownRefused.push(`${String(error)}: ${JSON.stringify(params)}`);
    });
    await client.connect();
    return station;
  }

  /** The station cap in force now, amps per phase: the highest stack level of the active station-wide max profiles. */
  capNowA(nowMs: number): { limitA: number; id: number } | undefined {
    let best: HeldProfile | undefined;
    for (const p of this.caps(nowMs)) if (!best || p.stackLevel > best.stackLevel) best = p;
    return best && { limitA: limitNowA(best, nowMs), id: best.id };
  }

  /** The lowest station cap of the CSMS's own profiles in force now (what flexbridge must fold its cap into). */
  csmsCapNowA(nowMs: number): number | undefined {
    let lowest: number | undefined;
    for (const p of this.caps(nowMs)) if (!isFlexbridgeProfileId(p.id)) lowest = Math.min(lowest ?? Infinity, limitNowA(p, nowMs));
    return lowest;
  }

  private caps(nowMs: number): HeldProfile[] {
    return [...this.profiles.values()].filter(
      (p) => (p.purpose === 'ChargingStationMaxProfile' || p.purpose === 'ChargePointMaxProfile') && p.evseId === 0 && activeAt(p, nowMs),
    );
  }

  private hold(profile: HeldProfile): 'Accepted' | 'Rejected' {
    // What a station checks beyond the schema: its stack levels, its EVSEs, a station max only station-wide.
    const stationWide = profile.purpose === 'ChargingStationMaxProfile' || profile.purpose === 'ChargePointMaxProfile';
    if (
      profile.stackLevel > STACK_LEVELS ||
      profile.evseId > EVSES ||
      profile.periods.length === 0 ||
      (stationWide && profile.evseId !== 0)
    ) {
      if (isFlexbridgeProfileId(profile.id)) this.ownRefused.push(`Rejected: ${JSON.stringify(profile)}`);
      return 'Rejected';
    }
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
            .filter((k) => Object.hasOwn(configuration, k))
            .map((k) => ({ key: k, readonly: true, value: configuration[k] })),
          unknownKey: keys.filter((k) => !Object.hasOwn(configuration, k)),
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
          const name = String(obj(d.variable).name);
          // Own keys only: a variable named __proto__ is unknown, not Object.prototype.
          const value = Object.hasOwn(values, name) ? values[name] : undefined;
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

/** The limit of the period in force, amps per phase (W over numberPhases 1–3, else 3: the schemas' default). */
function limitNowA(p: HeldProfile, nowMs: number): number {
  const elapsedS = p.kind === 'Absolute' && p.startSchedule ? (nowMs - Date.parse(p.startSchedule)) / 1000 : 0;
  let period = p.periods[0];
  for (const candidate of p.periods) if (candidate.startPeriod <= elapsedS) period = candidate;
  if (!period) return Infinity;
  const phases = period.numberPhases !== undefined && period.numberPhases >= 1 && period.numberPhases <= 3 ? period.numberPhases : 3;
  return Math.max(0, p.unit === 'W' ? period.limit / (230 * phases) : period.limit);
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

/** A profile as the station reads it; lenient (NaN, undefined) where a schema-invalid one is read for a report. */
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
  return {
    id,
    evseId,
    purpose: String(p.chargingProfilePurpose),
    stackLevel: num(p.stackLevel),
    kind: String(p.chargingProfileKind),
    validFrom: str(p.validFrom),
    validTo: str(p.validTo),
    unit: String(schedule.chargingRateUnit),
    startSchedule: str(schedule.startSchedule),
    duration: typeof schedule.duration === 'number' ? schedule.duration : undefined,
    periods: periodsOf(schedule),
  };
}
