// Core's read-side count of a group (DESIGN invariant 1, "count what you cannot see"; interop issue item 6): every
// station counted as the controller counts it, and one that acknowledged no limit at what the lease ledger says it may draw.
import { fleetStation } from '../../helpers/fleet-station';
import { CoreEvents } from '../../../src/core/events';
import { Fleet, type FleetStation } from '../../../src/core/fleet';
import { FlexibilityProvider } from '../../../src/core/flexibility-provider';
import { groupView, planCounts, type GroupState } from '../../../src/core/group-load';
import { LeaseLedger } from '../../../src/core/lease-ledger';
import type { AppliedPlan } from '../../../src/core/ports';
import type { LimitOutcome } from '../../../src/core/ports';
import { Scheduler, type Clock } from '../../../src/core/scheduler';
import type { GroupLayout } from '../../../src/domain/group';
import { silentLogger } from '../../../src/observability/log';
import { openSqliteStore } from '../../../src/store/sqlite';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const MIN = 60_000;
const LAYOUT: GroupLayout = { id: 'g1', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 40 };

const station = fleetStation;

describe('group count (core read side)', () => {
  it('interop #6 — connected stations that never acknowledged a limit count at their maximum through a real reallocation', async () => {
    const N = 5;
    const clock: Clock = { nowMs: () => T0, setTimer: () => ({ cancel: () => undefined }) };
    const store = openSqliteStore(':memory:');
    const outcomes: LimitOutcome[] = [];
    const core = new FlexibilityProvider({
      groups: [{ ...LAYOUT, leaseS: 900 }],
      forecasts: { blocks: () => [], requestIdAt: () => undefined, peerOnline: () => false },
      grid: { complianceError: () => undefined, adjustForecast: () => undefined },
      plan: () => ({ limitsA: new Map(), reasons: new Map(), overloadedBlocks: [] }),
      kv: store.kv,
      scheduler: new Scheduler(clock),
      nowMs: clock.nowMs,
      events: new CoreEvents(),
      logger: silentLogger,
    });
    // As in the field: every SetChargingProfile times out, so nothing is ever acknowledged.
    core.start({
      applyLimits: () => {
        outcomes.push('Timeout');
        return Promise.resolve('Timeout');
      },
    });
    for (let i = 1; i <= N; i++) core.onStationUpdated(station(`CS-${i}`));
    await core.controller('g1')?.runOnce();
    expect(outcomes.length).toBeGreaterThanOrEqual(N);
    expect(core.plan('g1')).toBeDefined();

    const view = core.view('g1', T0);
    expect(view?.stations).toHaveLength(N);
    for (const s of view?.stations ?? []) expect(s).toMatchObject({ allocatable: true, countedAs: 'unacknowledged', countedA: 32 });
    expect(view?.allocatedA).toEqual([0, 0, 0]);
    expect(view?.uncontrolledA).toEqual([N * 32, N * 32, N * 32]);
    expect(view?.headroomA[0]).toBe(40 - 1 - N * 32);
    expect(view?.headroomA[0]).toBeLessThanOrEqual(0);
    for (const block of core.planCounts('g1')) expect(block.headroomA[0]).toBe(40 - 1 - N * 32);
    store.close();
  });

  it('each way of counting: plan at its sessions’ limits, the rest at what they may draw, none counted twice', () => {
    const fleet = new Fleet();
    const ledger = new LeaseLedger();
    const add = (s: FleetStation, setup?: () => void): void => {
      fleet.upsertStation(s);
      ledger.track(s.stationId, s.stationMaxCurrentA);
      setup?.();
    };
    add(station('PLAN'), () => ledger.standingAcknowledged('PLAN', 8));
    // Its standing limit was sent but never answered: it may draw the higher of that and its maximum.
    add(station('UNACK', { stationMaxCurrentA: 22 }), () => ledger.standingSent('UNACK', 8));
    add(station('REFUSED', { controllable: false, stationMaxCurrentA: 16 }));
    add(station('OFF', { connected: false }), () => {
      ledger.standingAcknowledged('OFF', 6);
      ledger.liveAcknowledged('OFF', ledger.liveSent('OFF', { periods: [{ startMs: T0, limitA: 12 }], leaseEndMs: T0 + 10 * MIN }));
    });
    add(station('OLD', { profileStackLevel: 0 }), () => ledger.standingAcknowledged('OLD', 5));

    const session = (transactionId: string, stationId: string) => ({
      transactionId,
      stationId,
      evseId: 1,
      phasesUsed: 3 as const,
      minA: 6,
      maxA: 32,
      priority: 0,
    });
    const plan: AppliedPlan = {
      computedAtMs: T0,
      blocks: [
        { startMs: T0, endMs: T0 + 15 * MIN, capacityA: [100, 100, 100], source: 'forecast' },
        { startMs: T0 + 15 * MIN, endMs: T0 + 30 * MIN, capacityA: [100, 100, 100], source: 'forecast' },
      ],
      sessions: [session('t-plan', 'PLAN'), session('t-unack', 'UNACK'), session('t-gone', 'REMOVED')],
      result: {
        limitsA: new Map([
          ['t-plan', [16, 14]],
          ['t-unack', [10, 10]],
          ['t-gone', [7, 0]],
        ]),
        reasons: new Map(),
        overloadedBlocks: [],
      },
      source: 'forecast',
    };
    const state: GroupState = { layout: LAYOUT, fleet, ledger, plan, source: 'forecast' };

    const view = groupView(state, T0 + MIN);
    const by = new Map(view.stations.map((s) => [s.stationId, s]));
    expect(by.get('PLAN')).toEqual({ stationId: 'PLAN', allocatable: true, countedAs: 'plan', countedA: 16 });
    expect(by.get('UNACK')).toEqual({ stationId: 'UNACK', allocatable: true, countedAs: 'unacknowledged', countedA: 22 });
    expect(by.get('REFUSED')).toEqual({ stationId: 'REFUSED', allocatable: false, countedAs: 'uncontrollable', countedA: 16 });
    expect(by.get('OFF')).toEqual({ stationId: 'OFF', allocatable: false, countedAs: 'offline', countedA: 12 });
    expect(by.get('OLD')).toEqual({ stationId: 'OLD', allocatable: false, countedAs: 'standing-only', countedA: 5 });
    // PLAN's 16 A and the 7 A of a session whose station left the group; UNACK's 10 A are inside its 22 A.
    expect(view.allocatedA).toEqual([23, 23, 23]);
    expect(view.uncontrolledA).toEqual([22 + 16 + 12 + 5, 22 + 16 + 12 + 5, 22 + 16 + 12 + 5]);
    expect(view.headroomA).toEqual([100 - 1 - 23 - 55, 100 - 1 - 23 - 55, 100 - 1 - 23 - 55]);
    expect(view).toMatchObject({ startMs: T0 + MIN, endMs: T0 + 15 * MIN, source: 'forecast', safetyMarginA: 1 });

    // Per block: OFF's lease has ended by the second block, so it counts its standing 6 A there.
    const blocks = planCounts(state);
    expect(blocks.map((b) => [b.allocatedA[0], b.uncontrolledA[0], b.headroomA[0]])).toEqual([
      [23, 55, 21],
      [14, 22 + 16 + 6 + 5, 100 - 1 - 14 - 49],
    ]);
  });

  it('no plan yet: the safe limit, and every station counted at what it may draw until it acknowledges', () => {
    const fleet = new Fleet();
    const ledger = new LeaseLedger();
    fleet.upsertStation(station('NEW'));
    ledger.track('NEW', 32);
    const view = groupView({ layout: LAYOUT, fleet, ledger, plan: undefined, source: undefined }, T0);
    expect(view).toMatchObject({ source: 'safe-default', capacityA: [40, 40, 40], uncontrolledA: [32, 32, 32], headroomA: [7, 7, 7] });
    expect(view.stations).toEqual([{ stationId: 'NEW', allocatable: true, countedAs: 'unacknowledged', countedA: 32 }]);
    ledger.standingAcknowledged('NEW', 10);
    expect(groupView({ layout: LAYOUT, fleet, ledger, plan: undefined, source: undefined }, T0).stations[0]?.countedAs).toBe('plan');
  });
});
