// 0c (issue #17): a restart of core on a saved ledger (a real SQLite file) must not report a GroupCapacityComplianceError
// for a group that never exceeded its capacity; a real inability to comply still is reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CapacityBlock, CapacityForecastType } from '../../../src/domain/capacity';
import type { ChargingSession } from '../../../src/domain/session';
import { allocatorPlan } from '../../../src/core/allocator-plan';
import { CoreEvents } from '../../../src/core/events';
import { FlexibilityProvider } from '../../../src/core/flexibility-provider';
import { silentLogger } from '../../../src/observability/log';
import { openSqliteStore } from '../../../src/store/sqlite';
import type { Store } from '../../../src/core/ports';
import { fleetStation } from '../../helpers/fleet-station';
import { virtualTime } from '../../helpers/virtual-clock';

const MIN = 60_000;
const IDS = ['CS-1', 'CS-2', 'CS-3', 'CS-4', 'CS-5'];

function day(startMs: number, a: number): CapacityBlock[] {
  return [{ startMs, endMs: startMs + 24 * 60 * MIN, limitA: [a, a, a] }];
}

function session(stationId: string, startedAt: string): ChargingSession {
  return {
    transactionId: `tx-${stationId}`,
    stationId,
    groupId: 'g1',
    evseId: 1,
    chargingState: 'Charging',
    startedAt,
    lastSeqNo: 0,
    priority: 0,
  };
}

/** One run of core on `store`: the agent's order — stations and sessions told, then start, then the stations reconnect. */
function run(store: Store, time: ReturnType<typeof virtualTime>, capacity: { consumptionA: number; fallbackA: number }) {
  const compliance: { requestId: string; blocks: readonly CapacityBlock[] }[] = [];
  const t0 = time.nowMs();
  const core = new FlexibilityProvider({
    groups: [{ id: 'g1', peerId: 'dso', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 100, leaseS: 60 }],
    forecasts: {
      blocks: (_g: string, type: CapacityForecastType) =>
        type === 'CONSUMPTION'
          ? day(t0 - 60 * MIN, capacity.consumptionA)
          : type === 'FALLBACK_CONSUMPTION'
            ? day(t0 - 60 * MIN, capacity.fallbackA)
            : [],
      requestIdAt: (_g: string, type: CapacityForecastType) => (type === 'CONSUMPTION' ? 'fc-consumption' : undefined),
      peerOnline: () => true,
    },
    grid: { complianceError: (_g, requestId, _m, blocks) => compliance.push({ requestId, blocks }), adjustForecast: () => undefined },
    plan: allocatorPlan,
    kv: store.kv,
    plans: store.plans,
    scheduler: time.scheduler,
    nowMs: time.nowMs,
    events: new CoreEvents(),
    logger: silentLogger,
  });
  return { core, compliance };
}

async function settle(core: FlexibilityProvider): Promise<void> {
  for (let i = 0; i < 5; i++) await core.controller('g1')?.runOnce();
}

describe('0c — restart of core on a saved ledger', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-restart-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a kill -9, then an emergency cut: the stations restored from the ledger are re-profiled, no compliance error', async () => {
    const file = path.join(dir, 'agent.db');
    const time = virtualTime();
    const capacity = { consumptionA: 100, fallbackA: 40 };
    const applyLimits = () => Promise.resolve('Accepted' as const);

    let store = openSqliteStore(file);
    const first = run(store, time, capacity);
    for (const id of IDS) first.core.onStationUpdated(fleetStation(id, { connected: false }));
    first.core.start({ applyLimits });
    for (const id of IDS) first.core.onStationConnection(id, true);
    for (const id of IDS) first.core.onSession(session(id, new Date(time.nowMs()).toISOString()));
    await settle(first.core);
    expect(first.compliance).toEqual([]);
    // Every EV on its share of 100 A − 1 A under a 60 s lease, saved write-ahead.
    expect(first.core.ledger.assumedLimitA('CS-1', time.nowMs())).toBeCloseTo(19.8);
    // kill -9: nothing is stopped; the CP cuts the capacity while the agent is down, and the next process opens the file.
    store.close();
    time.advance(5_000);
    capacity.consumptionA = 50;

    store = openSqliteStore(file);
    const second = run(store, time, capacity);
    // The agent's order: stored stations (not connected yet) and active sessions, then start, then the fleet is back.
    for (const id of IDS) second.core.onStationUpdated(fleetStation(id, { connected: false }));
    for (const id of IDS) second.core.onSession(session(id, new Date(time.nowMs() - 5_000).toISOString()));
    second.core.start({ applyLimits });
    await settle(second.core);
    // Until they are back, the restored leases are counted (invariant 1) — 99 A against 49 A …
    expect(second.core.view('g1', time.nowMs())?.headroomA[0]).toBeLessThan(0);
    time.advance(2_000);
    for (const id of IDS) second.core.onStationConnection(id, true);
    await settle(second.core);
    // … and once they are back they are turned down at once: the group never had to break its capacity.
    expect(second.core.ledger.assumedLimitA('CS-1', time.nowMs())).toBeCloseTo(9.8);
    expect(second.compliance).toEqual([]);
    store.close();
  });

  it('a real inability to comply is still reported after a restart, once the restored stations are back', async () => {
    const file = path.join(dir, 'agent.db');
    const time = virtualTime();
    const capacity = { consumptionA: 100, fallbackA: 40 };
    const applyLimits = () => Promise.resolve('Accepted' as const);
    let store = openSqliteStore(file);
    const first = run(store, time, capacity);
    for (const id of IDS) first.core.onStationUpdated(fleetStation(id, { connected: false }));
    first.core.start({ applyLimits });
    for (const id of IDS) first.core.onStationConnection(id, true);
    await settle(first.core);
    store.close();
    time.advance(5_000);
    capacity.consumptionA = 20;

    store = openSqliteStore(file);
    const second = run(store, time, capacity);
    for (const id of IDS) second.core.onStationUpdated(fleetStation(id, { connected: false }));
    // CS-1 comes back refusing profiles: counted at its 32 A maximum against 20 A − 1 A.
    second.core.start({ applyLimits });
    await settle(second.core);
    for (const id of IDS) second.core.onStationConnection(id, true);
    second.core.onStationUncontrollable('CS-1');
    await settle(second.core);
    expect(second.compliance.map((c) => c.requestId)).toEqual(['fc-consumption']);
    store.close();
  });

  it('the hold is bounded: stations that stay away are counted at their standing limits once the restored leases end, and a real overload is reported', async () => {
    const file = path.join(dir, 'agent.db');
    const time = virtualTime();
    const capacity = { consumptionA: 100, fallbackA: 40 };
    const applyLimits = () => Promise.resolve('Accepted' as const);
    let store = openSqliteStore(file);
    const first = run(store, time, capacity);
    for (const id of IDS) first.core.onStationUpdated(fleetStation(id, { connected: false }));
    first.core.start({ applyLimits });
    for (const id of IDS) first.core.onStationConnection(id, true);
    for (const id of IDS) first.core.onSession(session(id, new Date(time.nowMs()).toISOString()));
    await settle(first.core);
    store.close();
    time.advance(5_000);
    // Below the standing limits (5 × 7.8 A): if the stations never come back, the group really cannot comply.
    capacity.consumptionA = 20;

    store = openSqliteStore(file);
    const second = run(store, time, capacity);
    for (const id of IDS) second.core.onStationUpdated(fleetStation(id, { connected: false }));
    second.core.start({ applyLimits });
    await settle(second.core);
    expect(second.compliance).toEqual([]);
    // The restored 60 s leases end; the controller replans at half a lease at the latest.
    time.advance(60_000);
    await settle(second.core);
    expect(second.compliance.map((c) => c.requestId)).toEqual(['fc-consumption']);
    store.close();
  });
});
