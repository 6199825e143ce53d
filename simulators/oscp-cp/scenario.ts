// Scenario files (JSON, zod-checked): one group's day of capacity forecasts — a profile with step changes per
// forecast type (e.g. CONSUMPTION and FALLBACK_CONSUMPTION) and emergency cuts. Times are minutes after the
// scenario start; see scenario-plan.ts for how they become ForecastedBlocks.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CapacityForecastType, PhaseIndicator } from './wire';

const Amount = z.number().min(0);

/** One value for the scenario's `phase`, or one per phase (three blocks per time slot, phases ONE/TWO/THREE). */
export const Capacity = z.union([Amount, z.object({ ONE: Amount, TWO: Amount, THREE: Amount })]);
export type Capacity = z.infer<typeof Capacity>;

/** A (per phase), W or KW; "kW" is accepted for KW. */
export const ScenarioUnit = z.enum(['A', 'W', 'KW', 'kW']).transform((unit) => (unit === 'kW' ? 'KW' : unit));
export type ScenarioUnit = z.output<typeof ScenarioUnit>;

const Minute = z.number().min(0);

export const CapacityStep = z.object({ fromMinute: Minute, capacity: Capacity });
export type CapacityStep = z.infer<typeof CapacityStep>;

/** A forecast over the whole horizon: `capacity` from minute 0, changed by each step from its minute on. */
export const ForecastProfile = z.object({
  type: CapacityForecastType,
  /** When the forecast is sent, minutes after the start (default: at once). */
  sendAtMinute: Minute.default(0),
  capacity: Capacity,
  steps: z.array(CapacityStep).default([]),
});
export type ForecastProfile = z.infer<typeof ForecastProfile>;

/** Sent at `atMinute`: a low limit from that moment for `durationMinutes` (default: to the end of the horizon). */
export const EmergencyCut = z.object({
  atMinute: Minute,
  capacity: Capacity,
  durationMinutes: z.number().positive().optional(),
  type: CapacityForecastType.default('CONSUMPTION'),
});
export type EmergencyCut = z.infer<typeof EmergencyCut>;

export const Scenario = z
  .object({
    groupId: z.string().min(1),
    blockMinutes: z.number().int().positive().default(15),
    horizonMinutes: z
      .number()
      .int()
      .positive()
      .default(24 * 60),
    unit: ScenarioUnit.default('A'),
    phase: PhaseIndicator.default('ALL'),
    forecasts: z.array(ForecastProfile).min(1),
    emergencyCuts: z.array(EmergencyCut).default([]),
  })
  .superRefine((scenario, context) => {
    const issue = (path: (string | number)[], message: string): void => context.addIssue({ code: 'custom', path, message });
    if (scenario.horizonMinutes % scenario.blockMinutes !== 0) {
      issue(
        ['horizonMinutes'],
        `horizonMinutes ${scenario.horizonMinutes} is not a whole number of ${scenario.blockMinutes}-minute blocks`,
      );
    }
    scenario.forecasts.forEach((forecast, f) => {
      if (forecast.sendAtMinute >= scenario.horizonMinutes) issue(['forecasts', f, 'sendAtMinute'], 'must be inside the horizon');
      forecast.steps.forEach((step, s) => {
        const previous = s === 0 ? 0 : (forecast.steps[s - 1]?.fromMinute ?? 0);
        if (step.fromMinute >= scenario.horizonMinutes) issue(['forecasts', f, 'steps', s, 'fromMinute'], 'must be inside the horizon');
        if (s > 0 && step.fromMinute <= previous) issue(['forecasts', f, 'steps', s, 'fromMinute'], 'steps must be in increasing order');
      });
    });
    scenario.emergencyCuts.forEach((cut, c) => {
      if (cut.atMinute >= scenario.horizonMinutes) issue(['emergencyCuts', c, 'atMinute'], 'must be inside the horizon');
    });
  });
export type Scenario = z.output<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;

export class ScenarioFileError extends Error {}

export function parseScenario(raw: unknown, origin = 'scenario'): Scenario {
  const parsed = Scenario.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScenarioFileError(`${origin}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function loadScenario(path: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ScenarioFileError(`scenario ${path}: cannot read it as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseScenario(raw, `scenario ${path}`);
}
