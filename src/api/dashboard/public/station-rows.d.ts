// Types of station-rows.js (a plain browser script, also require()d by the unit tests): the station page's shaping.
import type { Row } from './rows';

export function formatDuration(seconds: number | undefined): string;
export function formatEnergy(wh: number | undefined): string;
export function stationFacts(station: unknown): [string, string][];
export function connectorRows(station: unknown): Row[];
export function sessionRows(sessions: readonly unknown[], nowS: number): Row[];
export function compositeSteps(
  response: unknown,
): { steps: { startS: number; limit: number }[]; endS: number | undefined; unit: string | undefined } | undefined;
export function limitColumns(
  station: unknown,
  composite: unknown,
  nowS: number,
): [number[], (number | null)[], (number | null)[], (number | null)[]];
export function traceRows(frames: readonly unknown[]): Row[];
export function actionTemplates(protocol: string | undefined): { name: string; body: Record<string, unknown> }[];
