// flexbridge's profiles in OCPP 1.6 terms (1.6 digest §3, §7.1): the same layout, ids and schedules as 2.0.1 —
// standing ChargePointMaxProfile + TxDefaultProfile at connector 0, a leased ChargePointMaxProfile above them and a
// leased TxProfile per transaction — mapped field by field, in W for a station that takes only W.
import { floorToTenth } from '../../domain/electrical';
import type { ChargingProfile, SetChargingProfileRequest } from '../v201/limit-profiles';

/** Nominal voltage per phase for A ↔ W (C16 §7.12: the nominal voltage, not the measured one). */
export const NOMINAL_VOLTAGE_V = 230;

export type ChargingProfilePurpose16 = 'ChargePointMaxProfile' | 'TxDefaultProfile' | 'TxProfile';

export interface SetChargingProfile16 {
  connectorId: number;
  csChargingProfiles: {
    chargingProfileId: number;
    transactionId?: number;
    stackLevel: number;
    chargingProfilePurpose: ChargingProfilePurpose16;
    chargingProfileKind: 'Absolute';
    chargingSchedule: {
      duration?: number;
      startSchedule: string;
      chargingRateUnit: 'A' | 'W';
      chargingSchedulePeriod: { startPeriod: number; limit: number; numberPhases?: number }[];
    };
  };
}

const PURPOSE_16: Readonly<Record<ChargingProfile['chargingProfilePurpose'], ChargingProfilePurpose16>> = {
  ChargingStationMaxProfile: 'ChargePointMaxProfile',
  TxDefaultProfile: 'TxDefaultProfile',
  TxProfile: 'TxProfile',
};

export interface Station16 {
  /** ChargingScheduleAllowedChargingRateUnit as read. */
  readonly rateUnits: readonly ('A' | 'W')[];
}

/**
 * One 2.0.1 request as its 1.6 counterpart. A: per phase, as planned (numberPhases left out, as in 2.0.1). W (only
 * when the station takes no A): limit × 230 V — what one phase may carry — rounded down to a whole watt. Not × the
 * phases: a station does not rescale W to the phases an EV uses (E16 3.34), so a 1-phase EV given 3 phases' worth
 * would draw it all on one; a 3-phase EV on a power-only station is held to a third of its share instead.
 * A TxProfile's transactionId is the 1.6 integer its StartTransaction was given.
 */
export function toProfile16(request: SetChargingProfileRequest, station: Station16): SetChargingProfile16 {
  const profile = request.chargingProfile;
  const [schedule] = profile.chargingSchedule;
  const inWatts = !station.rateUnits.includes('A') && station.rateUnits.includes('W');
  const transactionId = profile.transactionId === undefined ? undefined : Number(profile.transactionId);
  return {
    connectorId: request.evseId,
    csChargingProfiles: {
      chargingProfileId: profile.id,
      ...(transactionId !== undefined && Number.isSafeInteger(transactionId) && { transactionId }),
      stackLevel: profile.stackLevel,
      chargingProfilePurpose: PURPOSE_16[profile.chargingProfilePurpose],
      chargingProfileKind: 'Absolute',
      chargingSchedule: {
        ...(schedule.duration !== undefined && { duration: schedule.duration }),
        startSchedule: schedule.startSchedule,
        chargingRateUnit: inWatts ? 'W' : 'A',
        chargingSchedulePeriod: schedule.chargingSchedulePeriod.map((period) =>
          inWatts
            ? { startPeriod: period.startPeriod, limit: Math.floor(period.limit * NOMINAL_VOLTAGE_V) }
            : { startPeriod: period.startPeriod, limit: floorToTenth(period.limit) },
        ),
      },
    },
  };
}

/** Why a 1.6 profile may not go to this station (what the 2.0.1 checks cannot see); undefined if it may. */
export function profileProblem16(profile: SetChargingProfile16): string | undefined {
  const { csChargingProfiles: p } = profile;
  if (p.chargingProfilePurpose === 'TxProfile' && (p.transactionId === undefined || profile.connectorId === 0))
    return `TxProfile ${p.chargingProfileId} needs a connector and an integer transactionId (OCPP 1.6 §7.8)`;
  if (p.chargingProfilePurpose === 'ChargePointMaxProfile' && profile.connectorId !== 0)
    return `ChargePointMaxProfile ${p.chargingProfileId} must be on connector 0 (OCPP 1.6 §3.13.1)`;
  return undefined;
}
