// DESIGN invariant 1 on the controller's real transition path (fast-check): from random old to random new station
// schedules, with the stations acknowledging, refusing or timing out in random order, what the lease ledger lets the
// group's stations draw never adds up to more than capacity − margin at any instant, at any step of the change.
import { fleetStation } from '../../helpers/fleet-station';
import fc from 'fast-check';
import { CoreEvents } from '../../../src/core/events';
import { Fleet } from '../../../src/core/fleet';
import { GroupController } from '../../../src/core/group-controller';
import { LeaseLedger } from '../../../src/core/lease-ledger';
import type { LimitOutcome, PlanFn, StationLimitRequest } from '../../../src/core/ports';
import { Scheduler, type Clock } from '../../../src/core/scheduler';
import { floorToTenth } from '../../../src/domain/electrical';
import { silentLogger } from '../../../src/observability/log';

const MIN = 60_000;
/** Seven minutes into a quarter hour: a 15-minute lease spans two plan blocks, so schedules have two periods. */
const T0 = Date.UTC(2026, 2, 1, 10, 7);
const LEASE_MS = 15 * MIN;

interface Send {
  readonly stationId: string;
  readonly request: StationLimitRequest;
  readonly resolve: (outcome: LimitOutcome) => void;
}

/** Limits per station and block (one session per station) that add up to at most `budgetA` in every block. */
const planArb = (stations: number, budgetA: number): fc.Arbitrary<number[][]> =>
  fc
    .array(fc.array(fc.integer({ min: 0, max: 32 }), { minLength: 6, maxLength: 6 }), { minLength: stations, maxLength: stations })
    .map((raw) =>
      raw.map((blocks) =>
        blocks.map((a, b) => {
          const total = raw.reduce((sum, s) => sum + (s[b] ?? 0), 0);
          return total <= budgetA ? a : floorToTenth((a * budgetA) / total);
        }),
      ),
    );

const answersArb = fc.array(
  fc.record({ pick: fc.nat(), outcome: fc.constantFrom<LimitOutcome>('Accepted', 'Accepted', 'Accepted', 'Rejected', 'Timeout') }),
  { minLength: 1, maxLength: 40 },
);

const scenarioArb = fc
  .record({
    stations: fc.integer({ min: 1, max: 6 }),
    capacityA: fc.integer({ min: 10, max: 150 }),
    marginA: fc.integer({ min: 0, max: 3 }),
    fallbackShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .chain((s) => {
    const budgetA = s.capacityA - s.marginA;
    return fc
      .record({
        idle: fc.array(fc.boolean(), { minLength: s.stations, maxLength: s.stations }),
        /** PeriodsPerSchedule of each station: with 1 or 2 its lease is cut where the next period would not fit. */
        periods: fc.array(fc.constantFrom(1, 2, 24), { minLength: s.stations, maxLength: s.stations }),
        firstPlan: planArb(s.stations, budgetA),
        /** Each change: minutes since the last one, the new plan, and which open send the next answer goes to, and what it is. */
        changes: fc.array(
          fc.record({ elapsedMin: fc.integer({ min: 0, max: 20 }), plan: planArb(s.stations, budgetA), answers: answersArb }),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
      })
      .map((rest) => ({ ...s, ...rest, fallbackA: Math.round(s.marginA + s.fallbackShare * budgetA) }));
  });

function group(scenario: { stations: number; capacityA: number; marginA: number; fallbackA: number; idle: boolean[]; periods: number[] }) {
  let now = T0;
  const clock: Clock = { nowMs: () => now, setTimer: () => ({ cancel: () => undefined }) };
  const fleet = new Fleet();
  const ledger = new LeaseLedger();
  const open: Send[] = [];
  let autoAck = true;
  let limits: number[][] = [];
  const plan: PlanFn = (request) => ({
    limitsA: new Map(
      request.sessions.map((s) => [s.transactionId, request.blocks.map((_, b) => limits[Number(s.stationId.slice(3))]?.[b] ?? 0)]),
    ),
    reasons: new Map(),
    overloadedBlocks: [],
  });
  const day = (limitA: number) => [{ startMs: T0 - 60 * MIN, endMs: T0 + 24 * 60 * MIN, limitA: [limitA, limitA, limitA] as const }];
  const controller = new GroupController(
    {
      layout: { id: 'g1', phaseVoltageV: 230, phases: 3, safetyMarginA: scenario.marginA, safeLimitA: 16 },
      leaseMs: LEASE_MS,
      horizonMs: 60 * MIN,
      coalesceMs: 100,
    },
    {
      fleet,
      ledger,
      plan,
      events: new CoreEvents(),
      scheduler: new Scheduler(clock),
      nowMs: () => now,
      logger: silentLogger,
      forecasts: {
        blocks: (_g, type) =>
          type === 'CONSUMPTION' ? day(scenario.capacityA) : type === 'FALLBACK_CONSUMPTION' ? day(scenario.fallbackA) : [],
        requestIdAt: () => 'forecast-1',
        peerOnline: () => true,
      },
      grid: { complianceError: () => undefined, adjustForecast: () => undefined },
      commands: {
        applyLimits: (stationId, request) =>
          new Promise<LimitOutcome>((resolve) => (autoAck ? resolve('Accepted') : open.push({ stationId, request, resolve }))),
      },
    },
  );
  const ids = Array.from({ length: scenario.stations }, (_, i) => `CS-${i}`);
  ids.forEach((stationId, i) => {
    fleet.upsertStation(fleetStation(stationId, { periodsPerSchedule: scenario.periods[i] ?? 24 }));
    ledger.track(stationId, 32);
    if (!scenario.idle[i]) {
      fleet.updateSession({
        transactionId: `tx-${i}`,
        stationId,
        groupId: 'g1',
        evseId: 1,
        chargingState: 'Charging',
        startedAt: new Date(T0).toISOString(),
        lastSeqNo: 0,
        priority: 0,
      });
    }
  });

  /** The most the group may draw at any instant from now on, as the ledger counts it (schedules pending included). */
  const worstSumA = (): number => {
    const instants = new Set([now]);
    for (const id of ids) for (let t = ledger.nextChangeMs(id, now); t !== undefined; t = ledger.nextChangeMs(id, t)) instants.add(t);
    return Math.max(...[...instants].map((t) => ids.reduce((sum, id) => sum + ledger.assumedLimitA(id, t), 0)));
  };
  return {
    controller,
    ledger,
    open,
    ids,
    worstSumA,
    setPlan: (next: number[][]) => (limits = next),
    setAutoAck: (on: boolean) => (autoAck = on),
    advance: (ms: number) => (now += ms),
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('group controller — transition (DESIGN invariant 1)', () => {
  it('decreases first as the pointwise minimum, increases after: the ledger never counts more than capacity − margin', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const g = group(scenario);
        const budgetA = scenario.capacityA - scenario.marginA + 1e-6;
        g.setPlan(scenario.firstPlan);
        await g.controller.runOnce();
        expect(g.worstSumA()).toBeLessThanOrEqual(budgetA);
        g.setAutoAck(false);
        for (const change of scenario.changes) {
          g.setPlan(change.plan);
          g.advance(change.elapsedMin * MIN);
          let done = false;
          const run = g.controller.runOnce().then(() => (done = true));
          for (let step = 0; ; step++) {
            await settle();
            expect(g.worstSumA()).toBeLessThanOrEqual(budgetA);
            if (done) break;
            if (step > 500) throw new Error('the transition did not finish');
            const answer = change.answers[step % change.answers.length] ?? { pick: 0, outcome: 'Accepted' };
            const [send] = g.open.splice(answer.pick % Math.max(1, g.open.length), 1);
            send?.resolve(answer.outcome);
          }
          await run;
          expect(g.open).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a station kept as it is ends the new leases with its own: after it, every station is back on its standing limit', async () => {
    // 40 A, standing 20 A each; CS-0 idle (cap 0), CS-1 charging at 30 A, then at 35 A four minutes later.
    const g = group({ stations: 2, capacityA: 40, marginA: 0, fallbackA: 40, idle: [true, false], periods: [24, 24] });
    g.setPlan([
      [0, 0, 0, 0, 0, 0],
      [30, 30, 30, 30, 30, 30],
    ]);
    await g.controller.runOnce();
    g.advance(4 * MIN);
    g.setPlan([
      [0, 0, 0, 0, 0, 0],
      [35, 35, 35, 35, 35, 35],
    ]);
    await g.controller.runOnce();
    // CS-0 keeps its lease (same limit, more than half of it left) and falls back to 20 A at T0 + 15 min; a lease of
    // CS-1 at 35 A reaching past that instant would count 55 A there.
    expect(g.ledger.liveSchedule('CS-1')).toEqual({ periods: [{ startMs: T0 + 4 * MIN, limitA: 35 }], leaseEndMs: T0 + LEASE_MS });
    expect(g.ledger.liveSchedule('CS-0')?.leaseEndMs).toBe(T0 + LEASE_MS);
    expect(g.worstSumA()).toBe(40);
  });
});
