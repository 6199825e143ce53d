// What a scenario step sends: its payload with "$now" / "$transactionId" filled in, or the SetChargingProfile a
// limit profile stands for, in the shape of the negotiated OCPP version (2.0.1 chargingProfile, 1.6 csChargingProfiles).
import type { OcppVersion } from './options';
import type { LimitProfile, ScenarioStep } from './scenario';
import { isPayload, type Payload } from './wire';

export interface SendingContext {
  readonly version: OcppVersion;
  /** ISO 8601 UTC, whole seconds. */
  readonly nowIso: string;
  /** The station's transaction in progress; undefined leaves the field out. */
  readonly transactionId: string | number | undefined;
}

export function stepPayload(step: ScenarioStep, index: number, context: SendingContext): Payload {
  if (step.limitProfile !== undefined) return limitProfilePayload(step.limitProfile, index + 1, context);
  return fillIn(step.payload ?? {}, context);
}

export function limitProfilePayload(profile: LimitProfile, defaultId: number, context: SendingContext): Payload {
  const id = profile.id ?? defaultId;
  const transactionId = profile.purpose === 'TxProfile' ? context.transactionId : undefined;
  const period = {
    startPeriod: 0,
    limit: profile.limit,
    ...(profile.numberPhases === undefined ? {} : { numberPhases: profile.numberPhases }),
  };
  const schedule = {
    startSchedule: context.nowIso,
    ...(profile.durationS === undefined ? {} : { duration: profile.durationS }),
    chargingRateUnit: profile.unit,
    chargingSchedulePeriod: [period],
  };
  if (context.version === '1.6') {
    return {
      connectorId: profile.evseId,
      csChargingProfiles: {
        chargingProfileId: id,
        ...(transactionId === undefined ? {} : { transactionId: Number(transactionId) }),
        stackLevel: profile.stackLevel,
        chargingProfilePurpose: profile.purpose === 'ChargingStationMaxProfile' ? 'ChargePointMaxProfile' : profile.purpose,
        chargingProfileKind: 'Absolute',
        chargingSchedule: schedule,
      },
    };
  }
  return {
    evseId: profile.evseId,
    chargingProfile: {
      id,
      stackLevel: profile.stackLevel,
      chargingProfilePurpose: profile.purpose,
      chargingProfileKind: 'Absolute',
      ...(transactionId === undefined ? {} : { transactionId: String(transactionId) }),
      chargingSchedule: [{ id, ...schedule }],
    },
  };
}

/** Replaces the strings "$now" and "$transactionId" anywhere in the payload (a field left undefined is dropped). */
export function fillIn(payload: Payload, context: SendingContext): Payload {
  const entries = Object.entries(payload).map(([key, value]) => [key, fillValue(value, context)] as const);
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

function fillValue(value: unknown, context: SendingContext): unknown {
  if (value === '$now') return context.nowIso;
  if (value === '$transactionId') return context.transactionId;
  if (Array.isArray(value)) return value.map((item) => fillValue(item, context));
  if (isPayload(value)) return fillIn(value, context);
  return value;
}
