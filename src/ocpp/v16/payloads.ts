// The OCPP 1.6J payloads flexbridge reads (1.6 digest §2–§4), as zod schemas: station → CSMS requests it acts on
// and the responses to its own calls. ocpp-rpc checks the full 1.6 schemas in direct mode; these check what is read.
import { z } from 'zod';
import type { MeterValue } from '../v201/payloads';

const int = z.number().int();

/** A 1.6 sampled value: the value is a string (C16 §7.43); unit, phase and measurand are flat fields. */
const SampledValue16 = z.object({
  value: z.string(),
  context: z.string().optional(),
  format: z.string().optional(),
  measurand: z.string().optional(),
  phase: z.string().optional(),
  location: z.string().optional(),
  unit: z.string().optional(),
});

export const MeterValue16 = z.object({ timestamp: z.string(), sampledValue: z.array(SampledValue16) });
export type MeterValue16 = z.infer<typeof MeterValue16>;

export const BootNotification16 = z.object({
  chargePointVendor: z.string(),
  chargePointModel: z.string(),
  chargePointSerialNumber: z.string().optional(),
  chargeBoxSerialNumber: z.string().optional(),
  firmwareVersion: z.string().optional(),
});

export const CHARGE_POINT_STATUSES = [
  'Available',
  'Preparing',
  'Charging',
  'SuspendedEVSE',
  'SuspendedEV',
  'Finishing',
  'Reserved',
  'Unavailable',
  'Faulted',
] as const;
export type ChargePointStatus = (typeof CHARGE_POINT_STATUSES)[number];

export const StatusNotification16 = z.object({
  connectorId: int.min(0),
  errorCode: z.string(),
  status: z.enum(CHARGE_POINT_STATUSES),
  timestamp: z.string().optional(),
  info: z.string().optional(),
});

export const Authorize16 = z.object({ idTag: z.string() });

export const StartTransaction16 = z.object({
  connectorId: int.min(1),
  idTag: z.string(),
  meterStart: int,
  timestamp: z.string(),
  reservationId: int.optional(),
});
export type StartTransaction16 = z.infer<typeof StartTransaction16>;

export const StopTransaction16 = z.object({
  transactionId: int,
  meterStop: int,
  timestamp: z.string(),
  idTag: z.string().optional(),
  reason: z.string().optional(),
  transactionData: z.array(MeterValue16).optional(),
});
export type StopTransaction16 = z.infer<typeof StopTransaction16>;

export const MeterValues16 = z.object({
  connectorId: int.min(0),
  transactionId: int.optional(),
  meterValue: z.array(MeterValue16),
});

export const GetConfigurationResponse16 = z.object({
  configurationKey: z.array(z.object({ key: z.string(), readonly: z.boolean(), value: z.string().optional() })).optional(),
  unknownKey: z.array(z.string()).optional(),
});
export type GetConfigurationResponse16 = z.infer<typeof GetConfigurationResponse16>;

/** Units 1.6 spells that 2.0.1's reading needs as a unit and multiplier (C16 §7.45 UnitOfMeasure). */
const UNIT_SCALE: Readonly<Record<string, { unit: string; multiplier: number }>> = {
  kWh: { unit: 'Wh', multiplier: 3 },
  kW: { unit: 'W', multiplier: 3 },
};

/**
 * 1.6 meter values in the 2.0.1 shape the session reading understands (one reader for both versions): the string
 * value as a number (an unreadable one is dropped), the flat unit as a unit of measure.
 */
export function asMeterValues(values: readonly MeterValue16[]): MeterValue[] {
  return values.map((value) => ({
    timestamp: value.timestamp,
    sampledValue: value.sampledValue.flatMap((sample) => {
      const number = Number(sample.value);
      if (sample.value.trim() === '' || !Number.isFinite(number)) return [];
      const unit = sample.unit === undefined ? undefined : (UNIT_SCALE[sample.unit] ?? { unit: sample.unit, multiplier: 0 });
      return [
        {
          value: number,
          ...(sample.measurand !== undefined && { measurand: sample.measurand }),
          ...(sample.phase !== undefined && { phase: sample.phase }),
          ...(unit && { unitOfMeasure: unit }),
        },
      ];
    }),
  }));
}
