// The charging profiles one simulated station holds: install/replace by id (K01), clear (K10), query (K09),
// rejecting what a real station rejects, with the reason code a field engineer would see on the wire.
import { DateTime } from 'luxon';
import type { ScheduledProfile } from './composite';
import type { ChargingProfile, ChargingRateUnit, ClearChargingProfileRequest, GetChargingProfilesRequest } from './schemas';

/** What the station's device model allows (SmartChargingCtrlr variables, configurable per station). */
export interface SmartChargingLimits {
  readonly profileStackLevel: number;
  readonly periodsPerSchedule: number;
  /** maxLimit of Entries[ChargingProfiles]. */
  readonly entriesMax: number;
  readonly rateUnits: readonly ChargingRateUnit[];
}

export interface InstallContext {
  readonly evseIds: readonly number[];
  /** Running transaction id by EVSE id. */
  readonly transactionIds: ReadonlyMap<number, string>;
  readonly limits: SmartChargingLimits;
}

export type InstallResult =
  { readonly status: 'Accepted' } | { readonly status: 'Rejected'; readonly reasonCode: string; readonly additionalInfo: string };

export interface InstalledProfile {
  readonly evseId: number;
  /** The profile exactly as received, for ReportChargingProfiles. */
  readonly wire: ChargingProfile;
  readonly scheduled: ScheduledProfile;
}

class ProfileRejection extends Error {
  constructor(
    readonly reasonCode: string,
    message: string,
  ) {
    super(message);
  }
}

function reject(reasonCode: string, message: string): never {
  throw new ProfileRejection(reasonCode, message);
}

function parseInstantMs(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = DateTime.fromISO(value, { zone: 'utc' });
  if (!parsed.isValid) reject('InvalidValue', `${field} "${value}" is not an ISO 8601 date-time`);
  return parsed.toMillis();
}

/** Parse and check one received profile against the K01 rules; throws ProfileRejection. */
export function toScheduledProfile(evseId: number, profile: ChargingProfile, context: InstallContext): ScheduledProfile {
  const purpose = profile.chargingProfilePurpose;
  if (evseId !== 0 && !context.evseIds.includes(evseId)) reject('UnknownEVSE', `EVSE ${evseId} does not exist (K01.FR.28)`);
  if (purpose === 'ChargingStationExternalConstraints') {
    reject('InvalidProfile', 'ChargingStationExternalConstraints are set by the station only (K01.FR.22)');
  }
  if (profile.stackLevel > context.limits.profileStackLevel) {
    reject('InvalidStackLevel', `stackLevel ${profile.stackLevel} > ProfileStackLevel ${context.limits.profileStackLevel}`);
  }
  if (purpose === 'ChargingStationMaxProfile' && evseId !== 0)
    reject('InvalidProfile', 'ChargingStationMaxProfile must be set on evseId 0');
  if (purpose === 'ChargingStationMaxProfile' && profile.chargingProfileKind === 'Relative') {
    reject('InvalidProfile', 'ChargingStationMaxProfile cannot be Relative (K01.FR.38)');
  }
  if (purpose === 'TxProfile') {
    if (profile.transactionId === undefined) reject('TxNotFound', 'TxProfile without transactionId (K01.FR.03)');
    if (evseId === 0) reject('InvalidProfile', 'TxProfile cannot be set on evseId 0 (K01.FR.16)');
    const running = context.transactionIds.get(evseId);
    if (running === undefined) reject('TxNotFound', `no transaction is running on EVSE ${evseId} (K01.FR.09)`);
    if (running !== profile.transactionId)
      reject('TxNotFound', `transaction ${profile.transactionId} is not running on EVSE ${evseId} (K01.FR.33)`);
  } else if (profile.transactionId !== undefined) {
    reject('InvalidProfile', `transactionId is only allowed on a TxProfile, not on a ${purpose}`);
  }
  if (profile.chargingProfileKind === 'Recurring' && profile.recurrencyKind === undefined) {
    reject('InvalidProfile', 'a Recurring profile needs recurrencyKind Daily or Weekly');
  }
  if (profile.chargingSchedule.length > 1 && purpose !== 'TxProfile') {
    reject('InvalidSchedule', 'more than one chargingSchedule is only allowed on a TxProfile (K01.FR.34)');
  }
  for (const schedule of profile.chargingSchedule) {
    const periods = schedule.chargingSchedulePeriod;
    if (!context.limits.rateUnits.includes(schedule.chargingRateUnit)) {
      reject(
        'UnsupportedRateUnit',
        `chargingRateUnit ${schedule.chargingRateUnit} is not in RateUnit ${context.limits.rateUnits.join(',')} (K01.FR.26)`,
      );
    }
    if (periods.length > context.limits.periodsPerSchedule) {
      reject('InvalidSchedule', `${periods.length} periods > PeriodsPerSchedule ${context.limits.periodsPerSchedule}`);
    }
    if (periods[0]?.startPeriod !== 0) reject('InvalidSchedule', `first startPeriod is ${periods[0]?.startPeriod}, must be 0 (K01.FR.31)`);
    for (let i = 1; i < periods.length; i++) {
      const previous = periods[i - 1]?.startPeriod ?? 0;
      const current = periods[i]?.startPeriod ?? 0;
      if (current <= previous) reject('InvalidSchedule', `startPeriod ${current} after ${previous} is not increasing (K01.FR.35)`);
    }
    for (const period of periods) {
      if (period.limit < 0) reject('InvalidSchedule', `limit ${period.limit} is negative`);
      if (period.phaseToUse !== undefined)
        reject('InvalidSchedule', 'phaseToUse is not supported: ACPhaseSwitchingSupported is false (K01.FR.20)');
    }
    if (profile.chargingProfileKind === 'Relative' && schedule.startSchedule !== undefined) {
      reject('InvalidSchedule', 'a Relative profile must not have startSchedule (K01.FR.41)');
    }
    if (profile.chargingProfileKind !== 'Relative' && schedule.startSchedule === undefined) {
      reject('InvalidSchedule', `an ${profile.chargingProfileKind} profile needs startSchedule (K01.FR.40)`);
    }
  }
  const [first] = profile.chargingSchedule;
  if (first === undefined) reject('InvalidSchedule', 'chargingSchedule is empty');
  const validFromMs = parseInstantMs(profile.validFrom, 'validFrom');
  const validToMs = parseInstantMs(profile.validTo, 'validTo');
  if (validFromMs !== undefined && validToMs !== undefined && validToMs <= validFromMs) {
    reject('InvalidProfile', `validTo ${profile.validTo} is not after validFrom ${profile.validFrom}`);
  }
  return {
    id: profile.id,
    evseId,
    stackLevel: profile.stackLevel,
    purpose,
    kind: profile.chargingProfileKind,
    ...(profile.recurrencyKind === undefined ? {} : { recurrencyKind: profile.recurrencyKind }),
    ...(validFromMs === undefined ? {} : { validFromMs }),
    ...(validToMs === undefined ? {} : { validToMs }),
    ...(profile.transactionId === undefined ? {} : { transactionId: profile.transactionId }),
    ...(first.startSchedule === undefined ? {} : { startScheduleMs: parseInstantMs(first.startSchedule, 'startSchedule') }),
    ...(first.duration === undefined ? {} : { durationS: first.duration }),
    rateUnit: first.chargingRateUnit,
    periods: first.chargingSchedulePeriod.map((period) => ({
      startPeriodS: period.startPeriod,
      limit: period.limit,
      ...(period.numberPhases === undefined ? {} : { numberPhases: period.numberPhases }),
    })),
  };
}

function validityOverlaps(a: ScheduledProfile, b: ScheduledProfile): boolean {
  const aFrom = a.validFromMs ?? -Infinity;
  const bFrom = b.validFromMs ?? -Infinity;
  return aFrom < (b.validToMs ?? Infinity) && bFrom < (a.validToMs ?? Infinity);
}

export class ProfileStore {
  private readonly byId = new Map<number, InstalledProfile>();
  /** Station-owned ExternalConstraints, kept apart so the CSMS can neither replace nor clear them (K01.FR.22, K10.FR.06). */
  private readonly external = new Map<number, InstalledProfile>();
  /** Cached flat list for the composite; rebuilt on change only. */
  private cache: ScheduledProfile[] | undefined;

  get count(): number {
    return this.byId.size + this.external.size;
  }

  scheduled(): readonly ScheduledProfile[] {
    this.cache ??= [...this.byId.values(), ...this.external.values()].map((installed) => installed.scheduled);
    return this.cache;
  }

  /** SetChargingProfile: validate, then replace any profile with the same id (K01.FR.05). Bad input changes nothing. */
  install(evseId: number, profile: ChargingProfile, context: InstallContext): InstallResult {
    try {
      const scheduled = toScheduledProfile(evseId, profile, context);
      if (this.external.has(profile.id))
        reject('InvalidProfile', `id ${profile.id} belongs to a ChargingStationExternalConstraints profile`);
      for (const other of this.byId.values()) this.checkConflict(scheduled, other.scheduled);
      if (!this.byId.has(profile.id) && this.count >= context.limits.entriesMax) {
        reject('StorageFull', `${this.count} profiles installed = Entries[ChargingProfiles] maxLimit ${context.limits.entriesMax}`);
      }
      this.byId.set(profile.id, { evseId, wire: profile, scheduled });
      this.cache = undefined;
      return { status: 'Accepted' };
    } catch (error) {
      if (error instanceof ProfileRejection) return { status: 'Rejected', reasonCode: error.reasonCode, additionalInfo: error.message };
      throw error;
    }
  }

  private checkConflict(candidate: ScheduledProfile, other: ScheduledProfile): void {
    if (other.id === candidate.id || other.purpose !== candidate.purpose || other.stackLevel !== candidate.stackLevel) return;
    if (candidate.purpose === 'TxProfile') {
      if (other.transactionId === candidate.transactionId) {
        reject(
          'DuplicateProfile',
          `TxProfile ${other.id} already uses stackLevel ${candidate.stackLevel} for transaction ${candidate.transactionId} (K01.FR.39)`,
        );
      }
      return;
    }
    if (other.evseId === candidate.evseId && validityOverlaps(other, candidate)) {
      reject(
        'DuplicateProfile',
        `profile ${other.id} already holds ${candidate.purpose} stackLevel ${candidate.stackLevel} on EVSE ${candidate.evseId} (K01.FR.06)`,
      );
    }
    if (candidate.purpose === 'TxDefaultProfile' && (other.evseId === 0) !== (candidate.evseId === 0)) {
      reject(
        'DuplicateProfile',
        `TxDefaultProfile ${other.id} on EVSE ${other.evseId} has the same stackLevel ${candidate.stackLevel} (K01.FR.53)`,
      );
    }
  }

  /** Install a station-owned external constraint (as a local EMS would); not reachable from the CSMS. */
  installExternalConstraint(evseId: number, profile: ChargingProfile, context: InstallContext): InstallResult {
    try {
      const asDefault = toScheduledProfile(evseId, { ...profile, chargingProfilePurpose: 'TxDefaultProfile' }, context);
      this.external.set(profile.id, { evseId, wire: profile, scheduled: { ...asDefault, purpose: 'ChargingStationExternalConstraints' } });
      this.cache = undefined;
      return { status: 'Accepted' };
    } catch (error) {
      if (error instanceof ProfileRejection) return { status: 'Rejected', reasonCode: error.reasonCode, additionalInfo: error.message };
      throw error;
    }
  }

  /** ClearChargingProfile (K10): by id, or every profile matching all given criteria. Returns how many were removed. */
  clear(request: ClearChargingProfileRequest): number {
    const criteria = request.chargingProfileCriteria;
    let removed = 0;
    for (const [id, installed] of this.byId) {
      const matches =
        request.chargingProfileId !== undefined
          ? id === request.chargingProfileId
          : criteria !== undefined &&
            (criteria.evseId === undefined || criteria.evseId === installed.evseId) &&
            (criteria.chargingProfilePurpose === undefined || criteria.chargingProfilePurpose === installed.scheduled.purpose) &&
            (criteria.stackLevel === undefined || criteria.stackLevel === installed.scheduled.stackLevel);
      if (matches) {
        this.byId.delete(id);
        removed++;
      }
    }
    if (removed > 0) this.cache = undefined;
    return removed;
  }

  /** A TxProfile dies with its transaction (digest §6.3). */
  endTransaction(transactionId: string): void {
    for (const [id, installed] of this.byId) {
      if (installed.scheduled.purpose === 'TxProfile' && installed.scheduled.transactionId === transactionId) {
        this.byId.delete(id);
        this.cache = undefined;
      }
    }
  }

  /** GetChargingProfiles (K09): matching profiles grouped per (EVSE, chargingLimitSource). */
  query(request: GetChargingProfilesRequest): { evseId: number; source: 'CSO' | 'EMS'; profiles: ChargingProfile[] }[] {
    const wanted = request.chargingProfile;
    const groups = new Map<string, { evseId: number; source: 'CSO' | 'EMS'; profiles: ChargingProfile[] }>();
    const consider = (installed: InstalledProfile, source: 'CSO' | 'EMS'): void => {
      if (request.evseId !== undefined && request.evseId !== installed.evseId) return;
      if (wanted.chargingProfileId !== undefined && !wanted.chargingProfileId.includes(installed.wire.id)) return;
      if (wanted.chargingProfilePurpose !== undefined && wanted.chargingProfilePurpose !== installed.scheduled.purpose) return;
      if (wanted.stackLevel !== undefined && wanted.stackLevel !== installed.scheduled.stackLevel) return;
      if (wanted.chargingLimitSource !== undefined && !wanted.chargingLimitSource.includes(source)) return;
      const key = `${installed.evseId}/${source}`;
      const group = groups.get(key) ?? { evseId: installed.evseId, source, profiles: [] };
      group.profiles.push(installed.wire);
      groups.set(key, group);
    };
    for (const installed of this.byId.values()) consider(installed, 'CSO');
    for (const installed of this.external.values()) consider(installed, 'EMS');
    return [...groups.values()];
  }
}
