// MeterValue payloads of a simulated OCPP 1.6 connector (1.6 §7.43: every value a string, unit beside it), built
// from the same reading as the 2.0.1 ones: energy register, current per phase, current offered, power, SoC.
import { isoAt, powerW, type EvseReading } from './meter-values';

export type ReadingContextV16 = 'Transaction.Begin' | 'Transaction.End' | 'Sample.Periodic' | 'Trigger' | 'Other';

/** Measurands this station can sample (MeterValuesSampledData accepts only these). */
export const MEASURANDS_V16 = ['Energy.Active.Import.Register', 'Current.Import', 'Current.Offered', 'Power.Active.Import', 'SoC'] as const;
export type MeasurandV16 = (typeof MEASURANDS_V16)[number];

export const DEFAULT_SAMPLED_DATA: readonly MeasurandV16[] = [
  'Current.Import',
  'Current.Offered',
  'Power.Active.Import',
  'Energy.Active.Import.Register',
];

export function isMeasurandV16(value: string): value is MeasurandV16 {
  return (MEASURANDS_V16 as readonly string[]).includes(value);
}

function text(value: number, decimals: number): string {
  const factor = 10 ** decimals;
  return String(Math.round(value * factor) / factor);
}

/** One meterValue entry with the measurands asked for, in the order asked. */
export function meterValueV16(
  atMs: number,
  reading: EvseReading,
  context: ReadingContextV16,
  measurands: readonly MeasurandV16[],
): { timestamp: string; sampledValue: Record<string, string>[] } {
  const sampledValue: Record<string, string>[] = [];
  for (const measurand of measurands) {
    if (measurand === 'Current.Import') {
      (['L1', 'L2', 'L3'] as const).forEach((phase, i) =>
        sampledValue.push({ value: text(reading.drawnA[i] ?? 0, 2), context, measurand, phase, unit: 'A' }),
      );
    } else if (measurand === 'Energy.Active.Import.Register') {
      sampledValue.push({ value: text(reading.energyWh, 1), context, measurand, unit: 'Wh' });
    } else if (measurand === 'Current.Offered') {
      sampledValue.push({ value: text(reading.offeredA, 1), context, measurand, unit: 'A' });
    } else if (measurand === 'Power.Active.Import') {
      sampledValue.push({ value: text(powerW(reading), 1), context, measurand, unit: 'W' });
    } else if (reading.socPercent !== undefined) {
      sampledValue.push({ value: text(reading.socPercent, 1), context, measurand, location: 'EV', unit: 'Percent' });
    }
  }
  return { timestamp: isoAt(atMs), sampledValue };
}
