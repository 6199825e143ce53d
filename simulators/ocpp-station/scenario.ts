// Scripted scenarios (a JSON file) and random plug-in schedules: when which EV arrives at which EVSE,
// leaves, or when a station loses its connection.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EvModel } from './ev';

const At = z.number().min(0).describe('seconds after the fleet started');

export const ScenarioStep = z.discriminatedUnion('action', [
  z.object({ atS: At, action: z.literal('plugIn'), station: z.string().min(1), evse: z.number().int().min(1), ev: EvModel }),
  z.object({ atS: At, action: z.literal('unplug'), station: z.string().min(1), evse: z.number().int().min(1) }),
  z.object({ atS: At, action: z.literal('drop'), station: z.string().min(1) }),
]);
export type ScenarioStep = z.infer<typeof ScenarioStep>;

/** Random arrivals per EVSE: idle and stay times exponentially distributed around these means. */
export const RandomPlugIns = z.object({
  meanIdleS: z.number().positive(),
  meanStayS: z.number().positive(),
});
export type RandomPlugIns = z.infer<typeof RandomPlugIns>;

export const Scenario = z.object({
  steps: z.array(ScenarioStep).default([]),
  randomPlugIns: RandomPlugIns.optional(),
});
export type Scenario = z.infer<typeof Scenario>;

export class ScenarioFileError extends Error {}

export function loadScenario(path: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ScenarioFileError(`scenario ${path}: cannot read it as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = Scenario.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScenarioFileError(`scenario ${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
