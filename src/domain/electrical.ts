// Electrical units and conversions shared by every layer: per-phase currents, A↔W, rounding rules.
// AC limits are amps per phase (OCPP `A`); power is total watts across the phases in use.

/** Current per phase in amps, L1..L3. A single-phase load has two zero entries. */
export type PhaseCurrentsA = readonly [number, number, number];

/** IEC 61851-1: the lowest current a control pilot can signal; below it an EV must pause. */
export const IEC61851_MIN_CURRENT_A = 6;

/** Power drawn by a balanced load of `currentA` per phase on `phases` phases. */
export function ampsToWatts(currentA: number, phases: number, phaseVoltageV: number): number {
  return currentA * phases * phaseVoltageV;
}

/** Per-phase current of a balanced load of `powerW` spread over `phases` phases. */
export function wattsToAmps(powerW: number, phases: number, phaseVoltageV: number): number {
  if (phases <= 0 || phaseVoltageV <= 0) throw new RangeError(`cannot convert W to A with phases=${phases}, voltage=${phaseVoltageV}`);
  return powerW / (phases * phaseVoltageV);
}

/**
 * OCPP `limit` allows one decimal; rounding down keeps us under the limit we computed.
 * The epsilon absorbs binary noise such as 16.299999999 that really means 16.3.
 */
export function floorToTenth(valueA: number): number {
  return Math.floor(valueA * 10 + 1e-9) / 10;
}

export function minCurrents(a: PhaseCurrentsA, b: PhaseCurrentsA): PhaseCurrentsA {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.min(a[2], b[2])];
}
