// Pure composite-schedule arithmetic of an AC station (OCPP 2.0.1 K01/K08, digest §6.1 and §7):
// which installed profiles are in force at an instant, the limit per EVSE and for the station, and when it next changes.
import type { ChargingProfileKind, ChargingProfilePurpose, ChargingRateUnit } from './schemas';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** One installed profile, pre-parsed to epoch milliseconds (the station's UTC clock). */
export interface ScheduledProfile {
  readonly id: number;
  readonly evseId: number;
  readonly stackLevel: number;
  readonly purpose: ChargingProfilePurpose;
  readonly kind: ChargingProfileKind;
  readonly recurrencyKind?: 'Daily' | 'Weekly';
  readonly validFromMs?: number;
  readonly validToMs?: number;
  readonly transactionId?: string;
  /** Only the first chargingSchedule is applied (the others are ISO 15118 alternatives). */
  readonly startScheduleMs?: number;
  readonly durationS?: number;
  readonly rateUnit: ChargingRateUnit;
  readonly periods: readonly { readonly startPeriodS: number; readonly limit: number; readonly numberPhases?: number }[];
}

export interface StationElectrical {
  readonly evseIds: readonly number[];
  /** Hardware maximum per EVSE, A per phase: what a gap in the profiles means. */
  readonly evseMaxA: number;
  /** Hardware maximum of the grid connection, A per phase. */
  readonly stationMaxA: number;
  /** Nominal phase voltage used for W ↔ A (K01.FR.50). */
  readonly voltageV: number;
  /** Phases wired to the station (1 or 3). */
  readonly supplyPhases: number;
}

export interface ActiveTransaction {
  readonly transactionId: string;
  readonly startedMs: number;
}

export interface CompositeInput {
  readonly profiles: readonly ScheduledProfile[];
  readonly electrical: StationElectrical;
  /** Running transactions by EVSE id. */
  readonly transactions: ReadonlyMap<number, ActiveTransaction>;
}

export type LimitSource = ChargingProfilePurpose | 'HardwareMaximum';

/** A limit in force: current per phase on `numberPhases` phases. */
export interface LimitInForce {
  readonly limitA: number;
  readonly numberPhases: number;
  /** The purpose that set the binding value, or the hardware maximum. */
  readonly source: LimitSource;
}

export interface CompositeAt {
  readonly evses: ReadonlyMap<number, LimitInForce>;
  readonly station: LimitInForce;
}

interface PeriodValue {
  readonly limit: number;
  readonly numberPhases: number;
}

/** Start of the schedule cycle that contains (or would next contain) `atMs`; undefined when it has no anchor. */
function cycleStartMs(profile: ScheduledProfile, atMs: number, tx: ActiveTransaction | undefined): number | undefined {
  // Relative: counts from the start of the transaction on the EVSE being evaluated (EVerest's reading).
  if (profile.kind === 'Relative') return tx?.startedMs;
  if (profile.startScheduleMs === undefined) return undefined;
  if (profile.kind === 'Absolute') return profile.startScheduleMs;
  // Recurring: the cycle repeats both ways from startSchedule, so plugging in before today's anchor uses yesterday's tail (digest §6.4).
  const cycleMs = profile.recurrencyKind === 'Weekly' ? WEEK_MS : DAY_MS;
  return profile.startScheduleMs + Math.floor((atMs - profile.startScheduleMs) / cycleMs) * cycleMs;
}

function scheduleLengthMs(profile: ScheduledProfile): number {
  const durationMs = profile.durationS === undefined ? Infinity : profile.durationS * 1000;
  if (profile.kind !== 'Recurring') return durationMs;
  return Math.min(durationMs, profile.recurrencyKind === 'Weekly' ? WEEK_MS : DAY_MS);
}

function isValidAt(profile: ScheduledProfile, atMs: number): boolean {
  if (profile.validFromMs !== undefined && atMs < profile.validFromMs) return false;
  return profile.validToMs === undefined || atMs < profile.validToMs;
}

/**
 * The profile's period value at `atMs` for an EVSE running `tx` (undefined = no transaction / station level),
 * or undefined when the profile is not valid or its schedule does not cover the instant.
 */
export function periodAt(profile: ScheduledProfile, atMs: number, tx: ActiveTransaction | undefined): PeriodValue | undefined {
  if (!isValidAt(profile, atMs)) return undefined;
  if (profile.purpose === 'TxProfile' && tx?.transactionId !== profile.transactionId) return undefined;
  const startMs = cycleStartMs(profile, atMs, tx);
  if (startMs === undefined) return undefined;
  const offsetMs = atMs - startMs;
  if (offsetMs < 0 || offsetMs >= scheduleLengthMs(profile)) return undefined;
  let found: ScheduledProfile['periods'][number] | undefined;
  for (const period of profile.periods) {
    if (period.startPeriodS * 1000 > offsetMs) break;
    found = period;
  }
  if (found === undefined) return undefined;
  return { limit: found.limit, numberPhases: found.numberPhases ?? 3 };
}

/** The next instant strictly after `atMs` at which this profile's contribution may change. */
export function profileBoundaryAfter(profile: ScheduledProfile, atMs: number, tx: ActiveTransaction | undefined): number | undefined {
  const candidates: number[] = [];
  if (profile.validFromMs !== undefined) candidates.push(profile.validFromMs);
  if (profile.validToMs !== undefined) candidates.push(profile.validToMs);
  const startMs = cycleStartMs(profile, atMs, tx);
  if (startMs !== undefined) {
    const lengthMs = scheduleLengthMs(profile);
    candidates.push(startMs, startMs + lengthMs);
    for (const period of profile.periods) candidates.push(startMs + period.startPeriodS * 1000);
    if (profile.kind === 'Recurring') {
      const nextCycleMs = startMs + (profile.recurrencyKind === 'Weekly' ? WEEK_MS : DAY_MS);
      candidates.push(nextCycleMs);
    }
  }
  let best: number | undefined;
  for (const candidate of candidates) {
    if (candidate > atMs && Number.isFinite(candidate) && (best === undefined || candidate < best)) best = candidate;
  }
  return best;
}

/** Round down to the 0.1 A resolution of a profile limit, tolerating float noise. */
function floorTenth(valueA: number): number {
  return Math.floor(valueA * 10 + 1e-6) / 10;
}

/** K01.FR.50 / digest §7: A per phase = W / (nominal voltage × numberPhases). */
export function toAmpsPerPhase(limit: number, unit: ChargingRateUnit, numberPhases: number, voltageV: number): number {
  return unit === 'A' ? limit : floorTenth(limit / (voltageV * numberPhases));
}

/** Rule 1: within one purpose the highest valid stackLevel whose schedule covers the instant. */
function topOfStack(
  candidates: readonly ScheduledProfile[],
  atMs: number,
  input: CompositeInput,
  tx: ActiveTransaction | undefined,
): LimitInForce | undefined {
  let best: { stackLevel: number; value: LimitInForce } | undefined;
  for (const profile of candidates) {
    if (best !== undefined && profile.stackLevel <= best.stackLevel) continue;
    const value = periodAt(profile, atMs, tx);
    if (value === undefined) continue;
    const limitA = toAmpsPerPhase(value.limit, profile.rateUnit, value.numberPhases, input.electrical.voltageV);
    best = { stackLevel: profile.stackLevel, value: { limitA, numberPhases: value.numberPhases, source: profile.purpose } };
  }
  return best?.value;
}

/** Lower current wins (b on a tie, so a profile equal to the hardware maximum is named); the fewest phases win (K01.FR.140 in 2.1). */
function tighter(a: LimitInForce, b: LimitInForce | undefined): LimitInForce {
  if (b === undefined) return a;
  const numberPhases = Math.min(a.numberPhases, b.numberPhases);
  if (b.limitA <= a.limitA) return { ...b, numberPhases };
  return { ...a, numberPhases };
}

function ofPurpose(input: CompositeInput, purpose: ChargingProfilePurpose, evseId: number): ScheduledProfile[] {
  return input.profiles.filter((profile) => profile.purpose === purpose && profile.evseId === evseId);
}

/** The station-wide cap: ChargingStationMaxProfile, station-level external constraints and the connection's hardware maximum. */
function stationCap(input: CompositeInput, atMs: number): LimitInForce {
  const hardware: LimitInForce = {
    limitA: input.electrical.stationMaxA,
    numberPhases: input.electrical.supplyPhases,
    source: 'HardwareMaximum',
  };
  const max = topOfStack(ofPurpose(input, 'ChargingStationMaxProfile', 0), atMs, input, undefined);
  const external = topOfStack(ofPurpose(input, 'ChargingStationExternalConstraints', 0), atMs, input, undefined);
  return tighter(tighter(hardware, max), external);
}

/** Rule 2: TxProfile if one covers the instant, else TxDefaultProfile (the EVSE's own beats evse 0), min external constraints. */
function evseOwnLimit(input: CompositeInput, evseId: number, atMs: number): LimitInForce {
  const hardware: LimitInForce = {
    limitA: input.electrical.evseMaxA,
    numberPhases: input.electrical.supplyPhases,
    source: 'HardwareMaximum',
  };
  const tx = input.transactions.get(evseId);
  const chosen =
    topOfStack(ofPurpose(input, 'TxProfile', evseId), atMs, input, tx) ??
    topOfStack(ofPurpose(input, 'TxDefaultProfile', evseId), atMs, input, tx) ??
    topOfStack(ofPurpose(input, 'TxDefaultProfile', 0), atMs, input, tx);
  const external = topOfStack(ofPurpose(input, 'ChargingStationExternalConstraints', evseId), atMs, input, tx);
  // A profile above the hardware maximum cannot raise it; a gap (no profile) means the hardware maximum (rule 4).
  return tighter(tighter(hardware, chosen), external);
}

/** The composite in force at `atMs`: per EVSE (also capped by the station cap) and for the station (rule 3: sum capped). */
export function compositeAt(input: CompositeInput, atMs: number): CompositeAt {
  const cap = stationCap(input, atMs);
  const evses = new Map<number, LimitInForce>();
  let sumA = 0;
  let sumPhases = 0;
  let sumSource: LimitSource = 'HardwareMaximum';
  for (const evseId of input.electrical.evseIds) {
    const own = evseOwnLimit(input, evseId, atMs);
    sumA += own.limitA;
    if (own.source !== 'HardwareMaximum' && sumSource !== 'TxProfile') sumSource = own.source;
    sumPhases = Math.max(sumPhases, own.numberPhases);
    evses.set(evseId, tighter(own, cap));
  }
  const numberPhases = Math.min(sumPhases || input.electrical.supplyPhases, cap.numberPhases);
  if (cap.limitA <= floorTenth(sumA)) return { evses, station: { ...cap, numberPhases } };
  return { evses, station: { limitA: floorTenth(sumA), numberPhases, source: sumSource } };
}

/** The earliest instant strictly after `atMs` at which any installed profile may change the composite. */
export function nextBoundaryAfter(input: CompositeInput, atMs: number): number | undefined {
  let best: number | undefined;
  const consider = (boundary: number | undefined): void => {
    if (boundary !== undefined && (best === undefined || boundary < best)) best = boundary;
  };
  for (const profile of input.profiles) {
    // A Relative TxDefaultProfile at evse 0 runs one clock per transaction.
    if (profile.kind === 'Relative' && profile.evseId === 0) {
      for (const tx of input.transactions.values()) consider(profileBoundaryAfter(profile, atMs, tx));
    } else {
      consider(profileBoundaryAfter(profile, atMs, input.transactions.get(profile.evseId)));
    }
  }
  return best;
}

function sameLimit(a: LimitInForce, b: LimitInForce | undefined): boolean {
  return b !== undefined && a.limitA === b.limitA && a.numberPhases === b.numberPhases;
}

function sameComposite(a: CompositeAt, b: CompositeAt): boolean {
  if (!sameLimit(a.station, b.station)) return false;
  for (const [evseId, limit] of a.evses) if (!sameLimit(limit, b.evses.get(evseId))) return false;
  return true;
}

/** The first instant in (atMs, untilMs] at which the composite really differs from the one at `atMs`. */
export function nextChangeAfter(input: CompositeInput, atMs: number, untilMs: number): number | undefined {
  const current = compositeAt(input, atMs);
  let boundary = nextBoundaryAfter(input, atMs);
  while (boundary !== undefined && boundary <= untilMs) {
    if (!sameComposite(current, compositeAt(input, boundary))) return boundary;
    boundary = nextBoundaryAfter(input, boundary);
  }
  return undefined;
}

export interface CompositePeriod {
  readonly startPeriod: number;
  readonly limit: number;
  readonly numberPhases: number;
}

/** K08 GetCompositeSchedule: the limit over [fromMs, fromMs + durationS) for one EVSE or (evse 0) the station, equal neighbours merged. */
export function compositeSchedule(
  input: CompositeInput,
  evseId: number,
  fromMs: number,
  durationS: number,
  unit: ChargingRateUnit,
): CompositePeriod[] {
  const untilMs = fromMs + durationS * 1000;
  const periods: CompositePeriod[] = [];
  let atMs: number | undefined = fromMs;
  while (atMs !== undefined && atMs < untilMs) {
    const composite = compositeAt(input, atMs);
    const limit = evseId === 0 ? composite.station : composite.evses.get(evseId);
    if (limit === undefined) return [];
    const value = unit === 'A' ? limit.limitA : Math.round(limit.limitA * input.electrical.voltageV * limit.numberPhases);
    const previous = periods[periods.length - 1];
    if (previous === undefined || previous.limit !== value || previous.numberPhases !== limit.numberPhases) {
      periods.push({ startPeriod: Math.round((atMs - fromMs) / 1000), limit: value, numberPhases: limit.numberPhases });
    }
    atMs = nextBoundaryAfter(input, atMs);
  }
  return periods;
}
