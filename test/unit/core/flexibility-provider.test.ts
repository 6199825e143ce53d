// The core façade: adapter events reach the right group's controller, meter-only updates do not reallocate,
// and session energy feeds the group's energy register.
import { fleetStation } from '../../helpers/fleet-station';
import { CoreEvents, type CoreEventMap } from '../../../src/core/events';
import { FlexibilityProvider } from '../../../src/core/flexibility-provider';
import { Overrides } from '../../../src/core/overrides';
import { Scheduler, type Clock } from '../../../src/core/scheduler';
import type { ChargingSession } from '../../../src/domain/session';
import { silentLogger } from '../../../src/observability/log';
import { openSqliteStore } from '../../../src/store/sqlite';

function setup(store = openSqliteStore(':memory:')) {
  const clock: Clock = { nowMs: () => 0, setTimer: () => ({ cancel: () => undefined }) };
  const scheduler = new Scheduler(clock);
  const fp = new FlexibilityProvider({
    groups: [
      { id: 'g1', peerId: 'dso', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 32, leaseS: 900 },
      { id: 'g2', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 32, leaseS: 900 },
    ],
    forecasts: { blocks: () => [], requestIdAt: () => undefined, peerOnline: () => false },
    grid: { complianceError: () => undefined, adjustForecast: () => undefined },
    plan: () => ({ limitsA: new Map(), reasons: new Map(), overloadedBlocks: [] }),
    kv: store.kv,
    scheduler,
    nowMs: clock.nowMs,
    events: new CoreEvents(),
    logger: silentLogger,
  });
  fp.start({ applyLimits: () => Promise.resolve('Accepted') });
  // Start plans every group once; these tests look at what each event asks for after that.
  for (const groupId of ['g1', 'g2']) scheduler.cancel(`realloc:${groupId}`);
  return { fp, scheduler, store };
}

const session = (extra: Partial<ChargingSession> = {}): ChargingSession => ({
  transactionId: 't1',
  stationId: 'CS-1',
  groupId: 'g1',
  evseId: 1,
  chargingState: 'Charging',
  startedAt: '2026-01-01T00:00:00.000Z',
  lastSeqNo: 0,
  priority: 0,
  ...extra,
});

describe('FlexibilityProvider', () => {
  it('a new session, a state change and an end reallocate its group; meter-only updates do not', () => {
    const { fp, scheduler, store } = setup();
    fp.onSession(session({ meterStartWh: 100, meterWh: 100 }));
    expect(scheduler.has('realloc:g1')).toBe(true);
    scheduler.cancel('realloc:g1');
    fp.onSession(session({ meterWh: 600, lastSeqNo: 1 }));
    expect(scheduler.has('realloc:g1')).toBe(false);
    fp.onSession(session({ meterWh: 700, chargingState: 'SuspendedEV', lastSeqNo: 2 }));
    expect(scheduler.has('realloc:g1')).toBe(true);
    scheduler.cancel('realloc:g1');
    fp.onSession(session({ meterWh: 900, endedAt: '2026-01-01T01:00:00.000Z', lastSeqNo: 3 }));
    expect(scheduler.has('realloc:g1')).toBe(true);
    expect(scheduler.has('realloc:g2')).toBe(false);
    expect(fp.energy.totalWh('g1')).toBe(800);
    expect(fp.fleet.sessionsOf('g1')).toEqual([]);
    store.close();
  });

  it('a session restored after a restart counts only what it draws from then on (its energy so far is in the total)', () => {
    const { fp, store } = setup();
    fp.onSession(session({ meterStartWh: 100, meterWh: 100 }));
    fp.onSession(session({ meterStartWh: 100, meterWh: 600, lastSeqNo: 1 }));
    fp.energy.flush();
    expect(fp.energy.totalWh('g1')).toBe(500);
    // The agent restarts: the session comes back from the store as it was last written.
    const restarted = setup(store).fp;
    restarted.onSessionRestored(session({ meterStartWh: 100, meterWh: 600, lastSeqNo: 1 }));
    expect(restarted.energy.totalWh('g1')).toBe(500);
    restarted.onSession(session({ meterStartWh: 100, meterWh: 650, lastSeqNo: 2 }));
    expect(restarted.energy.totalWh('g1')).toBe(550);
    store.close();
  });

  it('a peer going offline reallocates exactly the groups it serves', () => {
    const { fp, scheduler, store } = setup();
    fp.onPeerStateChanged('dso', false);
    expect([scheduler.has('realloc:g1'), scheduler.has('realloc:g2')]).toEqual([true, false]);
    store.close();
  });

  it('#15 — a capacity change is planned at once; churn (a station joining, a session starting) waits the coalescing window', () => {
    const { fp, scheduler, store } = setup();
    fp.onStationUpdated(fleetStation('CS-1', { groupId: 'g1' }));
    expect(scheduler.dueMs('realloc:g1')).toBe(200);
    fp.onSession(session());
    expect(scheduler.dueMs('realloc:g1')).toBe(200);
    fp.onForecastChanged('g1');
    expect(scheduler.dueMs('realloc:g1')).toBe(0);
    scheduler.cancel('realloc:g1');
    fp.onPeerStateChanged('dso', true);
    expect(scheduler.dueMs('realloc:g1')).toBe(0);
    store.close();
  });

  it('station connection and controllability changes reallocate the station group once per change', () => {
    const { fp, scheduler, store } = setup();
    fp.onStationUpdated(fleetStation('CS-1', { groupId: 'g2', connected: false, periodsPerSchedule: 1, profileStackLevel: 1 }));
    scheduler.cancel('realloc:g2');
    fp.onStationConnection('CS-1', true);
    expect(scheduler.has('realloc:g2')).toBe(true);
    scheduler.cancel('realloc:g2');
    fp.onStationConnection('CS-1', true);
    expect(scheduler.has('realloc:g2')).toBe(false);
    fp.onStationUncontrollable('CS-1');
    expect(scheduler.has('realloc:g2')).toBe(true);
    expect(fp.fleet.station('CS-1')?.controllable).toBe(false);
    store.close();
  });
});

describe('operator overrides', () => {
  it('a group cap reallocates the group now and again when it expires; it survives a restart', () => {
    const { fp, scheduler, store } = setup();
    fp.setOverride({ kind: 'group-cap', groupId: 'g2', limitA: 10, expiresAtMs: 60_000 });
    expect(scheduler.has('realloc:g2')).toBe(true);
    expect(scheduler.dueMs('override:group-cap:g2')).toBe(60_000);
    expect(fp.overrides.groupCapA('g2')).toBe(10);
    const reloaded = new Overrides(store.kv, () => 0);
    expect(reloaded.list()).toEqual([{ kind: 'group-cap', groupId: 'g2', limitA: 10, expiresAtMs: 60_000 }]);
    expect(new Overrides(store.kv, () => 60_000).groupCapA('g2')).toBeUndefined();
    store.close();
  });

  it('pausing a station and prioritising a session are looked up by their targets', () => {
    const { fp, store } = setup();
    fp.setOverride({ kind: 'station-pause', stationId: 'CS-1', expiresAtMs: 1000 });
    fp.setOverride({ kind: 'session-priority', transactionId: 't9', priority: 5, expiresAtMs: 1000 });
    expect(fp.overrides.stationPaused('CS-1')).toBe(true);
    expect(fp.overrides.stationPaused('CS-2')).toBe(false);
    expect(fp.overrides.sessionPriority('t9')).toBe(5);
    expect(fp.removeOverride({ kind: 'station-pause', stationId: 'CS-1', expiresAtMs: 0 })).toBe(true);
    expect(fp.overrides.stationPaused('CS-1')).toBe(false);
    store.close();
  });
});

describe('restart (invariant 3)', () => {
  it('leases granted before a restart are still counted after it, from the store', async () => {
    const store = openSqliteStore(':memory:');
    const clock: Clock = { nowMs: () => 1_000_000, setTimer: () => ({ cancel: () => undefined }) };
    const saves: CoreEventMap['ledgerSaved'][] = [];
    const build = (plans = store.plans): FlexibilityProvider => {
      const events = new CoreEvents();
      events.on('ledgerSaved', (save) => saves.push(save));
      const fp = new FlexibilityProvider({
        groups: [{ id: 'g1', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 32, leaseS: 900 }],
        forecasts: { blocks: () => [], requestIdAt: () => undefined, peerOnline: () => false },
        grid: { complianceError: () => undefined, adjustForecast: () => undefined },
        plan: (request) => ({
          limitsA: new Map(request.sessions.map((s) => [s.transactionId, request.blocks.map(() => 16)])),
          reasons: new Map(),
          overloadedBlocks: [],
        }),
        kv: store.kv,
        plans,
        scheduler: new Scheduler(clock),
        nowMs: clock.nowMs,
        events,
        logger: silentLogger,
      });
      fp.start({ applyLimits: () => Promise.resolve('Accepted') });
      return fp;
    };
    const station = {
      stationId: 'CS-1',
      groupId: 'g1',
      evseMaxCurrentA: 32,
      stationMaxCurrentA: 32,
      evseCount: 1,
      phases: 3 as const,
      connected: true,
      controllable: true,
      periodsPerSchedule: 24,
      profileStackLevel: 1,
    };
    const first = build();
    first.onStationUpdated({ ...station });
    first.onSession(session({ groupId: 'g1' }));
    await first.controller('g1')?.runOnce();
    expect(first.ledger.assumedLimitA('CS-1', 1_000_000)).toBe(16);
    // Only what the ledger knows is saved, one row per station: the plan itself is computed again after a restart.
    expect(store.plans.ledgerOf('g1')).toEqual([
      { stationId: 'CS-1', groupId: 'g1', entry: expect.objectContaining({ stationId: 'CS-1', standingA: 31 }) },
    ]);
    expect(store.plans.get('g1')).toBeUndefined();
    // #15: each write-ahead writes the stations it changes, never the whole group.
    expect(saves.every((save) => save.rows <= 1 && save.removed === 0)).toBe(true);

    const second = build();
    expect(second.ledger.assumedLimitA('CS-1', 1_000_000)).toBe(Infinity);
    second.onStationUpdated({ ...station, connected: false });
    expect(second.ledger.assumedLimitA('CS-1', 1_000_000)).toBe(16);
    expect(second.ledger.assumedLimitA('CS-1', 1_000_000 + 900_000)).toBe(31);

    // A store from before #15 that no migration moved (one document per group) still restores the ledger.
    const legacy = openSqliteStore(':memory:');
    legacy.plans.save({
      groupId: 'g1',
      computedAt: new Date(1_000_000).toISOString(),
      plan: {
        ledger: [first.ledger.snapshot('CS-1')],
        plan: { computedAtMs: 1_000_000, source: 'fallback', blocks: [], limitsA: { t1: [16] } },
      },
    });
    const third = build(legacy.plans);
    third.onStationUpdated({ ...station, connected: false });
    expect(third.ledger.assumedLimitA('CS-1', 1_000_000)).toBe(16);
    legacy.close();
    store.close();
  });
});

describe('station reboot', () => {
  it('a BootNotification counts the station at its maximum again and re-sends its standing limit', async () => {
    const store = openSqliteStore(':memory:');
    const clock: Clock = { nowMs: () => 1_000_000, setTimer: () => ({ cancel: () => undefined }) };
    const sent: string[] = [];
    const fp = new FlexibilityProvider({
      groups: [{ id: 'g1', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 21, leaseS: 900 }],
      forecasts: { blocks: () => [], requestIdAt: () => undefined, peerOnline: () => false },
      grid: { complianceError: () => undefined, adjustForecast: () => undefined },
      plan: () => ({ limitsA: new Map(), reasons: new Map(), overloadedBlocks: [] }),
      kv: store.kv,
      scheduler: new Scheduler(clock),
      nowMs: clock.nowMs,
      events: new CoreEvents(),
      logger: silentLogger,
    });
    fp.start({
      applyLimits: (stationId, request) => {
        sent.push(`${request.kind}:${stationId}`);
        return Promise.resolve('Accepted');
      },
    });
    fp.onStationUpdated({
      stationId: 'CS-1',
      groupId: 'g1',
      evseMaxCurrentA: 32,
      stationMaxCurrentA: 32,
      evseCount: 1,
      phases: 3,
      connected: true,
      controllable: true,
      periodsPerSchedule: 24,
      profileStackLevel: 1,
    });
    await fp.controller('g1')?.runOnce();
    expect(fp.ledger.assumedLimitA('CS-1', 2_000_000)).toBe(20);
    expect(sent.filter((s) => s.startsWith('standing'))).toHaveLength(1);
    fp.onStationBooted('CS-1');
    expect(fp.ledger.assumedLimitA('CS-1', 2_000_000)).toBe(32);
    await fp.controller('g1')?.runOnce();
    expect(sent.filter((s) => s.startsWith('standing'))).toHaveLength(2);
    expect(fp.ledger.assumedLimitA('CS-1', 2_000_000)).toBe(20);
    store.close();
  });
});
