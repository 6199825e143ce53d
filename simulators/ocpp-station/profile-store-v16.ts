// The charging profiles one simulated OCPP 1.6 station holds: SetChargingProfile validated as libocpp does (digest §6),
// replaced by chargingProfileId or by stackLevel + purpose + connector (§3.3), ClearChargingProfile (§3.4).
import { DateTime } from 'luxon';
import type { ScheduledProfile } from './composite';
import type { SmartChargingLimits } from './profile-store';
import type { ChargingProfilePurpose } from './schemas';
import type { ChargingProfilePurposeV16, ClearChargingProfileRequestV16, CsChargingProfiles } from './schemas-v16';

/** A running transaction as the profile rules see it. */
export interface TransactionRefV16 {
  /** The station's own key; an installed TxProfile is bound to it (the composite matches on it). */
  readonly key: string;
  /** The CSMS's id from StartTransaction.conf; undefined while unanswered, -1 when it never came (E16 3.18). */
  readonly transactionId: number | undefined;
}

export interface InstallContextV16 {
  readonly connectorIds: readonly number[];
  /** Running transactions by connector id. */
  readonly transactions: ReadonlyMap<number, TransactionRefV16>;
  readonly limits: SmartChargingLimits;
}

/** 1.6 has no reason on the wire (status only); `reason` is for logs and tests. */
export type InstallResultV16 = { readonly status: 'Accepted' } | { readonly status: 'Rejected'; readonly reason: string };

export interface InstalledProfileV16 {
  readonly connectorId: number;
  /** The profile exactly as received. */
  readonly wire: CsChargingProfiles;
  readonly scheduled: ScheduledProfile;
}

/** The composite arithmetic is shared with 2.0.1 (same semantics, digest §7): only the purpose names differ. */
const COMPOSITE_PURPOSE: Readonly<Record<ChargingProfilePurposeV16, ChargingProfilePurpose>> = {
  ChargePointMaxProfile: 'ChargingStationMaxProfile',
  TxDefaultProfile: 'TxDefaultProfile',
  TxProfile: 'TxProfile',
};

class ProfileRejectionV16 extends Error {}

function reject(message: string): never {
  throw new ProfileRejectionV16(message);
}

function parseInstantMs(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = DateTime.fromISO(value, { zone: 'utc' });
  if (!parsed.isValid) reject(`${field} "${value}" is not an ISO 8601 date-time`);
  return parsed.toMillis();
}

function checkTarget(connectorId: number, profile: CsChargingProfiles, context: InstallContextV16): TransactionRefV16 | undefined {
  const purpose = profile.chargingProfilePurpose;
  if (connectorId !== 0 && !context.connectorIds.includes(connectorId)) {
    reject(`connector ${connectorId} does not exist (NumberOfConnectors ${context.connectorIds.length})`);
  }
  if (profile.stackLevel > context.limits.profileStackLevel) {
    reject(`stackLevel ${profile.stackLevel} > ChargeProfileMaxStackLevel ${context.limits.profileStackLevel}`);
  }
  if (purpose === 'ChargePointMaxProfile' && connectorId !== 0) reject('ChargePointMaxProfile must be set on connectorId 0');
  if (purpose === 'ChargePointMaxProfile' && profile.chargingProfileKind === 'Relative') reject('ChargePointMaxProfile cannot be Relative');
  if (purpose !== 'TxProfile') return undefined;
  if (connectorId === 0) reject('TxProfile cannot be set on connectorId 0');
  const running = context.transactions.get(connectorId);
  if (running === undefined) reject(`TxProfile: no transaction is running on connector ${connectorId}`);
  if (profile.transactionId !== undefined && profile.transactionId !== running.transactionId) {
    reject(
      `TxProfile for transaction ${profile.transactionId}, but connector ${connectorId} runs ${running.transactionId ?? 'an unconfirmed one'}`,
    );
  }
  return running;
}

function checkSchedule(profile: CsChargingProfiles, limits: SmartChargingLimits): void {
  const schedule = profile.chargingSchedule;
  const periods = schedule.chargingSchedulePeriod;
  if (profile.chargingProfileKind !== 'Relative' && schedule.startSchedule === undefined) {
    reject(`an ${profile.chargingProfileKind} profile needs startSchedule`);
  }
  if (profile.chargingProfileKind === 'Recurring' && profile.recurrencyKind === undefined) {
    reject('a Recurring profile needs recurrencyKind Daily or Weekly');
  }
  if (!limits.rateUnits.includes(schedule.chargingRateUnit)) {
    const allowed = limits.rateUnits.map((unit) => (unit === 'A' ? 'Current' : 'Power')).join(',');
    reject(`chargingRateUnit ${schedule.chargingRateUnit} is not in ChargingScheduleAllowedChargingRateUnit ${allowed}`);
  }
  if (periods.length > limits.periodsPerSchedule) {
    reject(`${periods.length} periods > ChargingScheduleMaxPeriods ${limits.periodsPerSchedule}`);
  }
  if (periods[0]?.startPeriod !== 0) reject(`first startPeriod is ${periods[0]?.startPeriod}, must be 0`);
  for (let i = 1; i < periods.length; i++) {
    const previous = periods[i - 1]?.startPeriod ?? 0;
    const current = periods[i]?.startPeriod ?? 0;
    if (current <= previous) reject(`startPeriod ${current} after ${previous} is not increasing`);
  }
  for (const period of periods) {
    if (period.limit < 0) reject(`limit ${period.limit} is negative`);
    if (period.numberPhases !== undefined && (period.numberPhases < 1 || period.numberPhases > 3)) {
      reject(`numberPhases ${period.numberPhases} is not 1, 2 or 3`);
    }
  }
}

/** Parse and check one received profile; throws ProfileRejectionV16. A TxProfile is bound to the running transaction. */
export function toScheduledProfileV16(connectorId: number, profile: CsChargingProfiles, context: InstallContextV16): ScheduledProfile {
  const running = checkTarget(connectorId, profile, context);
  checkSchedule(profile, context.limits);
  const schedule = profile.chargingSchedule;
  const validFromMs = parseInstantMs(profile.validFrom, 'validFrom');
  const validToMs = parseInstantMs(profile.validTo, 'validTo');
  if (validFromMs !== undefined && validToMs !== undefined && validToMs <= validFromMs) {
    reject(`validTo ${profile.validTo} is not after validFrom ${profile.validFrom}`);
  }
  // A Relative schedule counts from the transaction start; a startSchedule on it is ignored.
  const startScheduleMs = profile.chargingProfileKind === 'Relative' ? undefined : parseInstantMs(schedule.startSchedule, 'startSchedule');
  return {
    id: profile.chargingProfileId,
    evseId: connectorId,
    stackLevel: profile.stackLevel,
    purpose: COMPOSITE_PURPOSE[profile.chargingProfilePurpose],
    kind: profile.chargingProfileKind,
    ...(profile.recurrencyKind === undefined ? {} : { recurrencyKind: profile.recurrencyKind }),
    ...(validFromMs === undefined ? {} : { validFromMs }),
    ...(validToMs === undefined ? {} : { validToMs }),
    ...(running === undefined ? {} : { transactionId: running.key }),
    ...(startScheduleMs === undefined ? {} : { startScheduleMs }),
    ...(schedule.duration === undefined ? {} : { durationS: schedule.duration }),
    rateUnit: schedule.chargingRateUnit,
    periods: schedule.chargingSchedulePeriod.map((period) => ({
      startPeriodS: period.startPeriod,
      limit: period.limit,
      ...(period.numberPhases === undefined ? {} : { numberPhases: period.numberPhases }),
    })),
  };
}

export class ProfileStoreV16 {
  private readonly byId = new Map<number, InstalledProfileV16>();
  /** Cached flat list for the composite; rebuilt on change only. */
  private cache: ScheduledProfile[] | undefined;

  get count(): number {
    return this.byId.size;
  }

  scheduled(): readonly ScheduledProfile[] {
    this.cache ??= [...this.byId.values()].map((installed) => installed.scheduled);
    return this.cache;
  }

  installed(): readonly InstalledProfileV16[] {
    return [...this.byId.values()];
  }

  /**
   * SetChargingProfile: validate; then the same chargingProfileId (on any connector) and the same stackLevel + purpose
   * on the same connector are replaced silently (1.6 §5.16.3, libocpp's order). Bad input changes nothing.
   */
  install(connectorId: number, profile: CsChargingProfiles, context: InstallContextV16): InstallResultV16 {
    try {
      const scheduled = toScheduledProfileV16(connectorId, profile, context);
      const replaced = [...this.byId.values()].filter(
        (other) =>
          other.wire.chargingProfileId === profile.chargingProfileId ||
          (other.connectorId === connectorId &&
            other.wire.chargingProfilePurpose === profile.chargingProfilePurpose &&
            other.wire.stackLevel === profile.stackLevel),
      );
      if (this.count - replaced.length >= context.limits.entriesMax) {
        reject(`${this.count} profiles installed = MaxChargingProfilesInstalled ${context.limits.entriesMax}`);
      }
      for (const other of replaced) this.byId.delete(other.wire.chargingProfileId);
      this.byId.set(profile.chargingProfileId, { connectorId, wire: profile, scheduled });
      this.cache = undefined;
      return { status: 'Accepted' };
    } catch (error) {
      if (error instanceof ProfileRejectionV16) return { status: 'Rejected', reason: error.message };
      throw error;
    }
  }

  /**
   * ClearChargingProfile: by id (the other fields ignored), else every profile matching all given fields —
   * no field at all clears everything (1.6 §6.13). Returns how many were removed.
   */
  clear(request: ClearChargingProfileRequestV16): number {
    let removed = 0;
    for (const [id, installed] of this.byId) {
      const matches =
        request.id !== undefined
          ? id === request.id
          : (request.connectorId === undefined || request.connectorId === installed.connectorId) &&
            (request.chargingProfilePurpose === undefined || request.chargingProfilePurpose === installed.wire.chargingProfilePurpose) &&
            (request.stackLevel === undefined || request.stackLevel === installed.wire.stackLevel);
      if (matches) {
        this.byId.delete(id);
        removed++;
      }
    }
    if (removed > 0) this.cache = undefined;
    return removed;
  }

  /** TxProfiles are deleted when their transaction ends (1.6 §3.13.1). */
  endTransaction(key: string): void {
    for (const [id, installed] of this.byId) {
      if (installed.scheduled.purpose === 'TxProfile' && installed.scheduled.transactionId === key) {
        this.byId.delete(id);
        this.cache = undefined;
      }
    }
  }
}
