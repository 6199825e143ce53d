// Many simulated stations in one process on ONE scheduler tick: staggered connects, scripted or random
// plug-ins, connection drops, per-EVSE limit logs and summary statistics.
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { DueQueue } from './due-queue';
import { EV_PRESETS, EvModel, type EvModelInput } from './ev';
import type { LimitLogEntry } from './limit-log';
import { exponentialS, seededRandom } from './rng';
import { Scenario, type ScenarioStep } from './scenario';
import type { InstallResult } from './profile-store';
import type { ChargingProfile } from './schemas';
import type { StandingLogEntry } from './standing-log';
import { Station, type StationOptions } from './station';
import type { OcppProtocol, ProfileFailure, SimulatedStation, StationHost } from './station-types';
import { StationV16 } from './station-v16';

const OcppProtocol = z.enum(['2.0.1', '1.6']);

/** Per-station differences from the fleet defaults (device model and hardware), keyed by identity. */
export const StationOverride = z.object({
  evsesPerStation: z.number().int().min(1).max(8).optional(),
  evseMaxA: z.number().positive().optional(),
  stationMaxA: z.number().positive().optional(),
  profileStackLevel: z.number().int().min(0).optional(),
  periodsPerSchedule: z.number().int().min(1).optional(),
  entriesMax: z.number().int().min(1).optional(),
  rateUnits: z
    .array(z.enum(['A', 'W']))
    .min(1)
    .optional(),
  failure: z.enum(['none', 'reject', 'notImplemented', 'silent', 'ignore']).optional(),
  protocol: OcppProtocol.optional(),
  featureProfiles: z.array(z.string().min(1)).min(1).optional(),
});
export type StationOverride = z.infer<typeof StationOverride>;

export const FleetOptions = z.object({
  /** CSMS endpoint without the identity, e.g. ws://127.0.0.1:9000/ocpp. */
  url: z.string().regex(/^wss?:\/\//, 'url must start with ws:// or wss://'),
  /** OCPP version of every station; mixed: odd-numbered stations (…-00001, …-00003) 2.0.1, even-numbered 1.6. */
  protocol: z.enum(['2.0.1', '1.6', 'mixed']).default('2.0.1'),
  /** 1.6: SupportedFeatureProfiles (without SmartCharging the station rejects every profile call). */
  featureProfiles: z.array(z.string().min(1)).min(1).default(['Core', 'SmartCharging', 'RemoteTrigger']),
  /** 1.6: send Authorize {idTag} before each StartTransaction. */
  authorizeBeforeStart: z.boolean().default(false),
  /** 1.6: the idTag of plug-in transactions. */
  idTag: z.string().min(1).max(20).default('FLEXSIM-TAG'),
  /** 1.6: TransactionMessageAttempts / TransactionMessageRetryInterval (s) of the transaction-message retries. */
  transactionMessageAttempts: z.number().int().min(1).default(3),
  transactionMessageRetryIntervalS: z.number().int().min(0).default(10),
  count: z.number().int().min(1).default(1),
  idPrefix: z.string().min(1).max(30).default('SIM'),
  evsesPerStation: z.number().int().min(1).max(8).default(2),
  evseMaxA: z.number().positive().default(32),
  /** Grid connection maximum, A per phase; default = EVSEs × evseMaxA. */
  stationMaxA: z.number().positive().optional(),
  voltageV: z.number().positive().default(230),
  supplyPhases: z.union([z.literal(1), z.literal(3)]).default(3),
  profileStackLevel: z.number().int().min(0).default(3),
  periodsPerSchedule: z.number().int().min(1).default(24),
  entriesMax: z.number().int().min(1).default(24),
  rateUnits: z
    .array(z.enum(['A', 'W']))
    .min(1)
    .default(['A', 'W']),
  meterIntervalS: z.number().int().positive().default(60),
  evaluateIntervalS: z.number().int().positive().default(60),
  securityProfile: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  password: z.string().min(16).max(40).optional(),
  /** Security profile 2: PEM file of the CA that signed the CSMS certificate. */
  caFile: z.string().optional(),
  /** Security profile 2 against a self-signed test CSMS: skip certificate verification. */
  insecureTls: z.boolean().default(false),
  rejectProfilesPercent: z.number().min(0).max(100).default(0),
  notImplementedPercent: z.number().min(0).max(100).default(0),
  silentPercent: z.number().min(0).max(100).default(0),
  /** Expected connection drops per station per hour. */
  dropRatePerHour: z.number().min(0).default(0),
  connectRatePerS: z.number().positive().default(50),
  backoff: z
    .object({ minS: z.number().min(0), randomS: z.number().min(0), repeatTimes: z.number().int().min(0) })
    .default({ minS: 3, randomS: 5, repeatTimes: 5 }),
  callTimeoutMs: z.number().int().positive().default(30_000),
  seed: z.number().int().default(1),
  logCapacity: z.number().int().min(2).default(1000),
  tickMs: z.number().int().positive().default(200),
  /** false: nothing moves until the caller calls tick() (virtual time in tests). */
  autoTick: z.boolean().default(true),
  scenario: Scenario.optional(),
  stationOverrides: z.record(z.string(), StationOverride).default({}),
});
export type FleetOptions = z.infer<typeof FleetOptions>;
export type FleetOptionsInput = z.input<typeof FleetOptions>;

export class FleetConfigError extends Error {}

/** Station `index` (0-based) of a fleet: mixed alternates, the first (…-00001) speaking 2.0.1. */
function protocolOf(fleet: '2.0.1' | '1.6' | 'mixed', index: number): OcppProtocol {
  if (fleet !== 'mixed') return fleet;
  return index % 2 === 0 ? '2.0.1' : '1.6';
}

interface Job {
  onDue(atMs: number): void;
}

export interface FleetSummary {
  stations: number;
  connected: number;
  bootAccepted: number;
  evsesCharging: number;
  evsesOccupied: number;
  powerW: number;
  energyWh: number;
  messagesSent: number;
  callErrors: number;
  drops: number;
  profilesAccepted: number;
  profilesRejected: number;
}

function connectionSecurity(options: FleetOptions): { password?: string; tls?: Record<string, unknown> } {
  const secure = options.url.startsWith('wss://');
  if (options.securityProfile === 0) return {};
  if (options.password === undefined)
    throw new FleetConfigError(`security profile ${options.securityProfile} needs a Basic-auth password (16–40 characters)`);
  if (options.securityProfile === 1) {
    if (secure) throw new FleetConfigError('security profile 1 is plain ws://; use --security-profile 2 for wss://');
    return { password: options.password };
  }
  if (!secure) throw new FleetConfigError('security profile 2 needs a wss:// url');
  const tls: Record<string, unknown> = { rejectUnauthorized: !options.insecureTls };
  if (options.caFile !== undefined) tls.ca = readFileSync(options.caFile);
  return { password: options.password, tls };
}

export class Fleet {
  readonly options: FleetOptions;
  readonly stations = new Map<string, SimulatedStation>();
  private readonly queue = new DueQueue<Job>();
  private readonly random: () => number;
  private readonly nowMsFn: () => number;
  private timer: NodeJS.Timeout | undefined;
  private startedMs = 0;
  readonly callErrors = new Map<string, number>();

  constructor(input: FleetOptionsInput, now: () => DateTime = () => DateTime.utc()) {
    const parsed = FleetOptions.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FleetConfigError(`fleet option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    this.options = parsed.data;
    this.nowMsFn = () => now().toMillis();
    this.random = seededRandom(this.options.seed);
    const security = connectionSecurity(this.options);
    const host: StationHost = {
      nowMs: this.nowMsFn,
      wake: (station, atMs) => (Number.isFinite(atMs) ? this.queue.schedule(station, atMs) : this.queue.cancel(station)),
      cancel: (station) => this.queue.cancel(station),
      random: this.random,
      onCallError: (_station, action) => this.callErrors.set(action, (this.callErrors.get(action) ?? 0) + 1),
    };
    const o = this.options;
    for (let i = 0; i < o.count; i++) {
      const identity = `${o.idPrefix}-${String(i + 1).padStart(5, '0')}`;
      const own = o.stationOverrides[identity] ?? {};
      const evseCount = own.evsesPerStation ?? o.evsesPerStation;
      const evseMaxA = own.evseMaxA ?? o.evseMaxA;
      const failure = this.pickFailure();
      const common: StationOptions = {
        identity,
        evseCount,
        electrical: {
          evseMaxA,
          stationMaxA: own.stationMaxA ?? o.stationMaxA ?? evseMaxA * evseCount,
          voltageV: o.voltageV,
          supplyPhases: o.supplyPhases,
        },
        smartCharging: {
          profileStackLevel: own.profileStackLevel ?? o.profileStackLevel,
          periodsPerSchedule: own.periodsPerSchedule ?? o.periodsPerSchedule,
          entriesMax: own.entriesMax ?? o.entriesMax,
          rateUnits: own.rateUnits ?? o.rateUnits,
        },
        meterIntervalS: o.meterIntervalS,
        evaluateIntervalS: o.evaluateIntervalS,
        failure: { profiles: own.failure ?? failure },
        connection: { url: o.url, callTimeoutMs: o.callTimeoutMs, backoff: o.backoff, ...security },
        logCapacity: o.logCapacity,
      };
      const station =
        (own.protocol ?? protocolOf(o.protocol, i)) === '1.6'
          ? new StationV16(
              {
                ...common,
                featureProfiles: own.featureProfiles ?? o.featureProfiles,
                authorizeBeforeStart: o.authorizeBeforeStart,
                idTag: o.idTag,
                transactionMessageAttempts: o.transactionMessageAttempts,
                transactionMessageRetryIntervalS: o.transactionMessageRetryIntervalS,
              },
              host,
            )
          : new Station(common, host);
      this.stations.set(identity, station);
    }
  }

  private pickFailure(): ProfileFailure {
    const r = this.random() * 100;
    const o = this.options;
    if (r < o.rejectProfilesPercent) return 'reject';
    if (r < o.rejectProfilesPercent + o.notImplementedPercent) return 'notImplemented';
    if (r < o.rejectProfilesPercent + o.notImplementedPercent + o.silentPercent) return 'silent';
    return 'none';
  }

  nowMs(): number {
    return this.nowMsFn();
  }

  /** Connect the stations (staggered at connectRatePerS), arm scenario steps and random plug-ins, start the tick. */
  start(): void {
    const o = this.options;
    this.startedMs = this.nowMs();
    let index = 0;
    for (const station of this.stations.values()) {
      station.start(this.startedMs + Math.floor((index++ / o.connectRatePerS) * 1000));
      if (o.dropRatePerHour > 0) this.armDrops(station);
      if (o.scenario?.randomPlugIns)
        for (const evseId of station.evses.keys())
          this.armRandomPlugIn(station, evseId, o.scenario.randomPlugIns.meanIdleS, o.scenario.randomPlugIns.meanStayS);
    }
    for (const step of o.scenario?.steps ?? []) this.armStep(step);
    if (o.autoTick) {
      this.timer = setInterval(() => this.tick(), o.tickMs);
      this.timer.unref?.();
    }
  }

  /** Bring every station's energy and limits up to now (for a final summary). */
  settleAll(): void {
    const nowMs = this.nowMs();
    for (const station of this.stations.values()) station.settle(nowMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.stations.values()].map((station) => station.stop()));
  }

  /** Run everything due up to now, each at its own instant, in time order. */
  tick(): void {
    const nowMs = this.nowMs();
    for (let guard = 0; guard < 1_000_000; guard++) {
      const due = this.queue.popDue(nowMs);
      if (due === undefined) return;
      due.item.onDue(due.atMs);
    }
  }

  private at(atMs: number, run: (atMs: number) => void): void {
    this.queue.schedule({ onDue: run }, atMs);
  }

  private armStep(step: ScenarioStep): void {
    const station = this.stationOrThrow(step.station);
    this.at(this.startedMs + step.atS * 1000, (atMs) => {
      if (step.action === 'plugIn') station.plugIn(step.evse, step.ev, atMs);
      else if (step.action === 'unplug') station.unplug(step.evse, atMs);
      else station.drop();
    });
  }

  private armDrops(station: SimulatedStation): void {
    const next = (fromMs: number): void =>
      this.at(fromMs + exponentialS(this.random, 3600 / this.options.dropRatePerHour) * 1000, (atMs) => {
        station.drop();
        next(atMs);
      });
    next(this.startedMs);
  }

  private armRandomPlugIn(station: SimulatedStation, evseId: number, meanIdleS: number, meanStayS: number): void {
    const plugIn = (fromMs: number): void =>
      this.at(fromMs + exponentialS(this.random, meanIdleS) * 1000, (atMs) => {
        const preset = EV_PRESETS[Math.floor(this.random() * EV_PRESETS.length)] ?? EV_PRESETS[0];
        station.plugIn(evseId, EvModel.parse(preset), atMs);
        this.at(atMs + exponentialS(this.random, meanStayS) * 1000, (leftMs) => {
          station.unplug(evseId, leftMs);
          plugIn(leftMs);
        });
      });
    plugIn(this.startedMs);
  }

  stationOrThrow(stationId: string): SimulatedStation {
    const station = this.stations.get(stationId);
    if (!station) throw new FleetConfigError(`no simulated station "${stationId}" (ids are ${this.options.idPrefix}-00001 …)`);
    return station;
  }

  plugIn(stationId: string, evseId: number, ev: EvModelInput): void {
    this.stationOrThrow(stationId).plugIn(evseId, EvModel.parse(ev), this.nowMs());
  }

  unplug(stationId: string, evseId: number): void {
    this.stationOrThrow(stationId).unplug(evseId, this.nowMs());
  }

  /**
   * Install a ChargingStationExternalConstraints profile as the station's local EMS would (evse 0 = whole station);
   * the station applies it at once and tells the CSMS with NotifyChargingLimit. Returns the station's verdict.
   */
  setExternalConstraint(stationId: string, evseId: number, profile: ChargingProfile): InstallResult {
    const station = this.stationOrThrow(stationId);
    if (station.protocol === '1.6') throw new FleetConfigError(`station ${stationId} speaks OCPP 1.6, which has no external constraints`);
    return station.setExternalConstraint(evseId, profile);
  }

  /** The OCPP version a station speaks. */
  protocolOf(stationId: string): OcppProtocol {
    return this.stationOrThrow(stationId).protocol;
  }

  /** The station-wide standing limit over time (2.0.1 ChargingStationMaxProfile / 1.6 ChargePointMaxProfile on 0). */
  standingLog(stationId: string): StandingLogEntry[] {
    return [...this.stationOrThrow(stationId).standingLog];
  }

  /** The change-only log of limit in force and current drawn (per phase) on one EVSE, oldest first. */
  limitLog(stationId: string, evseId: number): LimitLogEntry[] {
    return this.stationOrThrow(stationId).evseOrThrow(evseId).log.toArray();
  }

  summary(): FleetSummary {
    const summary: FleetSummary = {
      stations: this.stations.size,
      connected: 0,
      bootAccepted: 0,
      evsesCharging: 0,
      evsesOccupied: 0,
      powerW: 0,
      energyWh: 0,
      messagesSent: 0,
      callErrors: 0,
      drops: 0,
      profilesAccepted: 0,
      profilesRejected: 0,
    };
    for (const station of this.stations.values()) {
      if (station.connection === 'open') summary.connected++;
      if (station.bootStatus === 'Accepted') summary.bootAccepted++;
      summary.messagesSent += station.stats.sent;
      summary.callErrors += station.stats.callErrors;
      summary.drops += station.stats.drops;
      summary.profilesAccepted += station.stats.profilesAccepted;
      summary.profilesRejected += station.stats.profilesRejected;
      for (const evse of station.evses.values()) {
        const drawnA = evse.drawnA[0] + evse.drawnA[1] + evse.drawnA[2];
        if (evse.ev) summary.evsesOccupied++;
        if (drawnA > 0) summary.evsesCharging++;
        summary.powerW += drawnA * this.options.voltageV;
        summary.energyWh += evse.energyWh;
      }
    }
    return summary;
  }
}
