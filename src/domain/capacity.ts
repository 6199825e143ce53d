// Capacity over time as the grid grants it: typed forecasts, blocks, and the source a limit came from.
// Blocks here are already normalised to amps per phase and epoch ms; raw OSCP units and wire times live in src/oscp/.
import type { PhaseCurrentsA } from './electrical';

/** OSCP CapacityForecastType, in the protocol's own words. */
export const CAPACITY_FORECAST_TYPES = ['CONSUMPTION', 'GENERATION', 'FALLBACK_CONSUMPTION', 'FALLBACK_GENERATION', 'OPTIMUM'] as const;
export type CapacityForecastType = (typeof CAPACITY_FORECAST_TYPES)[number];

/** One block of capacity: [startMs, endMs) in epoch ms, with a limit per phase in amps (non-finite = unconstrained). */
export interface CapacityBlock {
  readonly startMs: number;
  readonly endMs: number;
  readonly limitA: PhaseCurrentsA;
}

/** Where the capacity in force for a group comes from right now. */
export const CAPACITY_SOURCES = ['forecast', 'fallback', 'safe-default'] as const;
export type CapacitySource = (typeof CAPACITY_SOURCES)[number];
