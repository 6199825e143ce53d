// MeterValue payloads a simulated EVSE reports in TransactionEvent: energy register, current per phase,
// current offered, active power and state of charge — all derived from what the EVSE really draws.
import { DateTime } from 'luxon';

export type ReadingContext = 'Transaction.Begin' | 'Transaction.End' | 'Sample.Periodic' | 'Trigger' | 'Other';

export interface EvseReading {
  readonly energyWh: number;
  /** Drawn current on L1, L2, L3. */
  readonly drawnA: readonly [number, number, number];
  readonly offeredA: number;
  readonly voltageV: number;
  readonly socPercent?: number;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

export function isoAt(atMs: number): string {
  return DateTime.fromMillis(atMs, { zone: 'utc' }).toISO() ?? new Date(atMs).toISOString();
}

/** Active power from the per-phase currents at nominal voltage (power factor 1). */
export function powerW(reading: Pick<EvseReading, 'drawnA' | 'voltageV'>): number {
  return reading.drawnA.reduce((sum, currentA) => sum + currentA * reading.voltageV, 0);
}

export function meterValue(atMs: number, reading: EvseReading, context: ReadingContext): Record<string, unknown> {
  const phases = ['L1', 'L2', 'L3'] as const;
  const sampledValue: Record<string, unknown>[] = [
    { value: round(reading.energyWh, 1), measurand: 'Energy.Active.Import.Register', context, unitOfMeasure: { unit: 'Wh' } },
    ...phases.map((phase, i) => ({
      value: round(reading.drawnA[i] ?? 0, 2),
      measurand: 'Current.Import',
      phase,
      context,
      unitOfMeasure: { unit: 'A' },
    })),
    { value: round(reading.offeredA, 1), measurand: 'Current.Offered', context, unitOfMeasure: { unit: 'A' } },
    { value: round(powerW(reading), 1), measurand: 'Power.Active.Import', context, unitOfMeasure: { unit: 'W' } },
  ];
  if (reading.socPercent !== undefined) {
    sampledValue.push({ value: round(reading.socPercent, 1), measurand: 'SoC', context, unitOfMeasure: { unit: 'Percent' } });
  }
  return { timestamp: isoAt(atMs), sampledValue };
}
