// Turns a scenario into the forecasts to send and when (pure): blocks on the scenario's grid from its start,
// split where a step or an emergency cut begins or ends off the grid; per-phase capacities give one block per phase.
import { DateTime } from 'luxon';
import type { Capacity, Scenario } from './scenario';
import type { CapacityForecastType, ForecastedBlock, PhaseIndicator } from './wire';

export interface PlannedForecast {
  /** When to send, minutes after the scenario start. */
  atMinute: number;
  at: DateTime;
  label: string;
  groupId: string;
  type: CapacityForecastType;
  blocks: ForecastedBlock[];
}

const MS_PER_MINUTE = 60_000;

/** The scenario start for a run beginning at `now`: the start of the current block, on the UTC grid. */
export function scenarioStart(now: DateTime, blockMinutes: number): DateTime {
  const blockMs = blockMinutes * MS_PER_MINUTE;
  return DateTime.fromMillis(Math.floor(now.toMillis() / blockMs) * blockMs, { zone: 'utc' });
}

/** Every forecast of the scenario, ordered by send time (stable: file order within the same minute). */
export function planScenario(scenario: Scenario, start: DateTime): PlannedForecast[] {
  const origin = start.toUTC();
  const at = (minute: number): DateTime => origin.plus({ milliseconds: Math.round(minute * MS_PER_MINUTE) });
  const planned: PlannedForecast[] = [];
  for (const forecast of scenario.forecasts) {
    const changes = [{ fromMinute: 0, capacity: forecast.capacity }, ...forecast.steps];
    const segments = cutAtGrid(
      0,
      scenario.horizonMinutes,
      scenario.blockMinutes,
      changes.map((c) => c.fromMinute),
    );
    planned.push({
      atMinute: forecast.sendAtMinute,
      at: at(forecast.sendAtMinute),
      label: `${forecast.type} profile`,
      groupId: scenario.groupId,
      type: forecast.type,
      blocks: segments.flatMap(([from, to]) => blocks(capacityAt(changes, from), from, to, scenario, at)),
    });
  }
  for (const cut of scenario.emergencyCuts) {
    const end = Math.min(scenario.horizonMinutes, cut.atMinute + (cut.durationMinutes ?? Infinity));
    planned.push({
      atMinute: cut.atMinute,
      at: at(cut.atMinute),
      label: `emergency cut of ${cut.type}`,
      groupId: scenario.groupId,
      type: cut.type,
      blocks: cutAtGrid(cut.atMinute, end, scenario.blockMinutes, []).flatMap(([from, to]) => blocks(cut.capacity, from, to, scenario, at)),
    });
  }
  return planned
    .map((p, index) => ({ p, index }))
    .sort((a, b) => a.p.atMinute - b.p.atMinute || a.index - b.index)
    .map(({ p }) => p);
}

/** [from, to) cut at every grid line and at every extra minute inside it. */
function cutAtGrid(from: number, to: number, blockMinutes: number, extra: readonly number[]): [number, number][] {
  const edges = new Set<number>([from, to]);
  for (let line = Math.ceil(from / blockMinutes) * blockMinutes; line < to; line += blockMinutes) if (line > from) edges.add(line);
  for (const minute of extra) if (minute > from && minute < to) edges.add(minute);
  const sorted = [...edges].sort((a, b) => a - b);
  const segments: [number, number][] = [];
  for (let i = 1; i < sorted.length; i += 1) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a !== undefined && b !== undefined) segments.push([a, b]);
  }
  return segments;
}

function capacityAt(changes: readonly { fromMinute: number; capacity: Capacity }[], minute: number): Capacity {
  let capacity: Capacity = 0;
  for (const change of changes) if (change.fromMinute <= minute) capacity = change.capacity;
  return capacity;
}

function blocks(capacity: Capacity, from: number, to: number, scenario: Scenario, at: (minute: number) => DateTime): ForecastedBlock[] {
  const times = { start_time: iso(at(from)), end_time: iso(at(to)) };
  if (typeof capacity === 'number') return [{ capacity, phase: scenario.phase, unit: scenario.unit, ...times }];
  const phases: [PhaseIndicator, number][] = [
    ['ONE', capacity.ONE],
    ['TWO', capacity.TWO],
    ['THREE', capacity.THREE],
  ];
  return phases.map(([phase, value]) => ({ capacity: value, phase, unit: scenario.unit, ...times }));
}

/** UTC with `Z`, milliseconds only when there are some (§9). */
function iso(time: DateTime): string {
  return time.toUTC().toISO({ suppressMilliseconds: true }) ?? time.toUTC().toString();
}
