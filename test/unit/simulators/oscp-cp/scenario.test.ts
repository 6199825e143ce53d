// Scenario files of the CP simulator: parsing (zod) and the plan of forecasts they expand to — block times on the
// quarter-hour grid, step changes, emergency cuts, FALLBACK_CONSUMPTION, units and per-phase capacities.
import { resolve } from 'node:path';
import { DateTime } from 'luxon';
import {
  loadScenario,
  parseScenario,
  planScenario,
  scenarioStart,
  ScenarioFileError,
  type PlannedForecast,
  type ScenarioInput,
} from '../../../../simulators/oscp-cp';
import { OscpSchemas } from '../../../integration/simulators/oscp-cp/oscp-schemas';

const START = DateTime.fromISO('2026-05-01T00:00:00Z', { zone: 'utc' });
const at = (minute: number): string => START.plus({ minutes: minute }).toISO({ suppressMilliseconds: true }) ?? '';

function plan(input: ScenarioInput): PlannedForecast[] {
  return planScenario(parseScenario(input), START);
}

function only(planned: PlannedForecast[], label: string): PlannedForecast {
  const found = planned.filter((p) => p.label === label);
  if (found.length !== 1 || found[0] === undefined) throw new Error(`expected one forecast labelled ${label}, got ${found.length}`);
  return found[0];
}

const DAY: ScenarioInput = {
  groupId: 'g-1',
  forecasts: [{ type: 'CONSUMPTION', capacity: 63 }],
};

describe('scenario plan: a 24 h day of 15-minute blocks', () => {
  it('96 consecutive quarter-hour blocks from the start, UTC with Z, end of one = start of the next', () => {
    const [day] = plan(DAY);
    expect(day?.blocks).toHaveLength(96);
    expect(day?.blocks[0]).toEqual({
      capacity: 63,
      phase: 'ALL',
      unit: 'A',
      start_time: '2026-05-01T00:00:00Z',
      end_time: '2026-05-01T00:15:00Z',
    });
    expect(day?.blocks[95]?.end_time).toBe('2026-05-02T00:00:00Z');
    day?.blocks.forEach((block, i) => {
      if (i > 0) expect(block.start_time).toBe(day.blocks[i - 1]?.end_time);
    });
    expect(day).toMatchObject({ atMinute: 0, groupId: 'g-1', type: 'CONSUMPTION' });
    expect(day?.at.toMillis()).toBe(START.toMillis());
  });

  it('honours blockMinutes and horizonMinutes', () => {
    const [day] = plan({ ...DAY, blockMinutes: 60, horizonMinutes: 180 });
    expect(day?.blocks.map((b) => [b.start_time, b.end_time])).toEqual([
      [at(0), at(60)],
      [at(60), at(120)],
      [at(120), at(180)],
    ]);
  });

  it('step changes apply from their minute on; a step off the grid splits its block', () => {
    const [day] = plan({
      ...DAY,
      horizonMinutes: 60,
      forecasts: [
        {
          type: 'CONSUMPTION',
          capacity: 63,
          steps: [
            { fromMinute: 15, capacity: 40 },
            { fromMinute: 37.5, capacity: 20 },
          ],
        },
      ],
    });
    expect(day?.blocks.map((b) => [b.start_time, b.end_time, b.capacity])).toEqual([
      [at(0), at(15), 63],
      [at(15), at(30), 40],
      [at(30), at(37.5), 40],
      [at(37.5), at(45), 20],
      [at(45), at(60), 20],
    ]);
  });

  it('sends FALLBACK_CONSUMPTION as its own forecast over the whole horizon', () => {
    const planned = plan({
      ...DAY,
      forecasts: [...(DAY.forecasts ?? []), { type: 'FALLBACK_CONSUMPTION', capacity: 16, sendAtMinute: 5 }],
    });
    const fallback = only(planned, 'FALLBACK_CONSUMPTION profile');
    expect(fallback.atMinute).toBe(5);
    expect(fallback.blocks).toHaveLength(96);
    expect(new Set(fallback.blocks.map((b) => b.capacity))).toEqual(new Set([16]));
  });
});

describe('scenario plan: emergency cut', () => {
  it('is sent at its offset and limits from that moment for its duration, cut on the grid', () => {
    const planned = plan({ ...DAY, emergencyCuts: [{ atMinute: 90, capacity: 6, durationMinutes: 40 }] });
    const cut = only(planned, 'emergency cut of CONSUMPTION');
    expect(cut.atMinute).toBe(90);
    expect(cut.at.toISO()).toBe('2026-05-01T01:30:00.000Z');
    expect(cut.type).toBe('CONSUMPTION');
    expect(cut.blocks.map((b) => [b.start_time, b.end_time, b.capacity])).toEqual([
      [at(90), at(105), 6],
      [at(105), at(120), 6],
      [at(120), at(130), 6],
    ]);
  });

  it('off the grid starts with a partial block; without a duration it lasts to the end of the horizon', () => {
    const cut = only(
      plan({ ...DAY, horizonMinutes: 60, emergencyCuts: [{ atMinute: 20.5, capacity: 0 }] }),
      'emergency cut of CONSUMPTION',
    );
    expect(cut.blocks.map((b) => [b.start_time, b.end_time])).toEqual([
      [at(20.5), at(30)],
      [at(30), at(45)],
      [at(45), at(60)],
    ]);
    expect(cut.blocks[0]?.start_time).toBe('2026-05-01T00:20:30Z');
  });

  it('is clipped at the end of the horizon', () => {
    const cut = only(
      plan({ ...DAY, horizonMinutes: 60, emergencyCuts: [{ atMinute: 50, capacity: 1, durationMinutes: 120 }] }),
      'emergency cut of CONSUMPTION',
    );
    expect(cut.blocks.at(-1)?.end_time).toBe(at(60));
  });

  it('orders the plan by send time', () => {
    const planned = plan({
      ...DAY,
      forecasts: [
        { type: 'CONSUMPTION', capacity: 63, sendAtMinute: 10 },
        { type: 'FALLBACK_CONSUMPTION', capacity: 16 },
      ],
      emergencyCuts: [{ atMinute: 5, capacity: 6 }],
    });
    expect(planned.map((p) => [p.atMinute, p.label])).toEqual([
      [0, 'FALLBACK_CONSUMPTION profile'],
      [5, 'emergency cut of CONSUMPTION'],
      [10, 'CONSUMPTION profile'],
    ]);
  });
});

describe('scenario plan: units and phases', () => {
  it.each([
    ['A', 'A'],
    ['W', 'W'],
    ['KW', 'KW'],
    ['kW', 'KW'],
  ] as const)('unit %s goes on the wire as %s', (unit, wire) => {
    const [day] = plan({ ...DAY, unit });
    expect(new Set(day?.blocks.map((b) => b.unit))).toEqual(new Set([wire]));
  });

  it('a per-phase capacity gives one block per phase and time slot', () => {
    const [day] = plan({ ...DAY, horizonMinutes: 30, forecasts: [{ type: 'CONSUMPTION', capacity: { ONE: 32, TWO: 25, THREE: 16 } }] });
    expect(day?.blocks.map((b) => [b.start_time, b.phase, b.capacity])).toEqual([
      [at(0), 'ONE', 32],
      [at(0), 'TWO', 25],
      [at(0), 'THREE', 16],
      [at(15), 'ONE', 32],
      [at(15), 'TWO', 25],
      [at(15), 'THREE', 16],
    ]);
  });

  it('uses the scenario phase for a single value', () => {
    const [day] = plan({ ...DAY, phase: 'ONE' });
    expect(day?.blocks[0]?.phase).toBe('ONE');
  });
});

describe('scenario parsing', () => {
  it.each<[string, unknown, RegExp]>([
    ['horizon not a whole number of blocks', { ...DAY, horizonMinutes: 100 }, /horizonMinutes/],
    [
      'steps out of order',
      {
        ...DAY,
        forecasts: [
          {
            type: 'CONSUMPTION',
            capacity: 1,
            steps: [
              { fromMinute: 60, capacity: 2 },
              { fromMinute: 30, capacity: 3 },
            ],
          },
        ],
      },
      /increasing/,
    ],
    [
      'step beyond the horizon',
      { ...DAY, forecasts: [{ type: 'CONSUMPTION', capacity: 1, steps: [{ fromMinute: 1440, capacity: 2 }] }] },
      /horizon/,
    ],
    ['negative capacity', { ...DAY, forecasts: [{ type: 'CONSUMPTION', capacity: -1 }] }, /capacity/],
    ['emergency cut beyond the horizon', { ...DAY, emergencyCuts: [{ atMinute: 2000, capacity: 0 }] }, /emergencyCuts\.0\.atMinute/],
    ['unknown unit', { ...DAY, unit: 'kVA' }, /unit/],
    ['unknown forecast type', { ...DAY, forecasts: [{ type: 'MAXIMUM', capacity: 1 }] }, /type/],
    ['no forecast', { groupId: 'g-1', forecasts: [] }, /forecasts/],
  ])('rejects %s', (_name, input, message) => {
    expect(() => parseScenario(input)).toThrow(ScenarioFileError);
    expect(() => parseScenario(input)).toThrow(message);
  });

  it('scenarioStart is the start of the current block on the UTC grid', () => {
    expect(scenarioStart(DateTime.fromISO('2026-05-01T10:37:12.345Z'), 15).toISO()).toBe('2026-05-01T10:30:00.000Z');
    expect(scenarioStart(DateTime.fromISO('2026-05-01T10:30:00.000Z'), 15).toISO()).toBe('2026-05-01T10:30:00.000Z');
  });

  it('config/scenarios/cp-day.json: a day profile with steps, FALLBACK_CONSUMPTION and an emergency cut, schema-valid on the wire', () => {
    const scenario = loadScenario(resolve(__dirname, '../../../../config/scenarios/cp-day.json'));
    const planned = planScenario(scenario, START);
    expect(planned.map((p) => p.label)).toEqual(['CONSUMPTION profile', 'FALLBACK_CONSUMPTION profile', 'emergency cut of CONSUMPTION']);
    const schemas = new OscpSchemas();
    for (const p of planned) {
      const body = { group_id: p.groupId, type: p.type, forecasted_blocks: p.blocks };
      expect(schemas.errors('update-group-capacity-forecast', body)).toBeUndefined();
    }
    const day = only(planned, 'CONSUMPTION profile');
    expect(new Set(day.blocks.map((b) => b.capacity))).toEqual(new Set([63, 40, 32]));
  });

  it('loadScenario names the file when it is not JSON', () => {
    expect(() => loadScenario(resolve(__dirname, 'scenario.test.ts'))).toThrow(/scenario .*scenario\.test\.ts: cannot read it as JSON/);
  });
});
