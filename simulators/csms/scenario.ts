// Scenario files (JSON, zod-checked): the simulator's own CALLs toward each station, each at an offset after the
// station's BootNotification or when a test triggers its label; payloads are given as is or as a limit profile.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** 2.0.1 purpose names; in 1.6 mode ChargingStationMaxProfile is sent as ChargePointMaxProfile. */
export const LimitPurpose = z.enum(['ChargingStationMaxProfile', 'TxDefaultProfile', 'TxProfile']);
export type LimitPurpose = z.infer<typeof LimitPurpose>;

/** Shorthand for a SetChargingProfile with one Absolute period from the sending time on. */
export const LimitProfile = z.object({
  purpose: LimitPurpose,
  /** 2.0.1 evseId / 1.6 connectorId; 0 = the whole station. */
  evseId: z.number().int().min(0).default(0),
  limit: z.number().min(0),
  unit: z.enum(['A', 'W']).default('A'),
  /** chargingProfile id (2.0.1) / chargingProfileId (1.6); default: the step's position in the file, from 1. */
  id: z.number().int().positive().optional(),
  stackLevel: z.number().int().min(0).default(0),
  durationS: z.number().int().positive().optional(),
  numberPhases: z.number().int().min(1).max(3).optional(),
});
export type LimitProfile = z.infer<typeof LimitProfile>;

export const ScenarioStep = z
  .object({
    /** ms after the station's BootNotification was answered (Accepted or Pending). */
    atMs: z.number().min(0).optional(),
    /** Instead of atMs: sent when a test calls trigger(identity, label). */
    on: z.string().min(1).optional(),
    action: z.string().min(1),
    /** Sent as is, except that the strings "$now" and "$transactionId" are filled in at sending time. */
    payload: z.record(z.string(), z.unknown()).optional(),
    limitProfile: LimitProfile.optional(),
    timeoutMs: z.number().int().positive().optional(),
  })
  .superRefine((step, context) => {
    const issue = (message: string): void => context.addIssue({ code: 'custom', message });
    if ((step.atMs === undefined) === (step.on === undefined)) issue('give exactly one of atMs and on');
    if ((step.payload === undefined) === (step.limitProfile === undefined)) issue('give exactly one of payload and limitProfile');
    if (step.limitProfile !== undefined && step.action !== 'SetChargingProfile') issue('limitProfile goes with action SetChargingProfile');
  });
export type ScenarioStep = z.infer<typeof ScenarioStep>;

export const Scenario = z.object({
  /** Identities the script runs for; absent = every station that connects. */
  stations: z.array(z.string().min(1)).optional(),
  steps: z.array(ScenarioStep).min(1),
});
export type Scenario = z.infer<typeof Scenario>;
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
