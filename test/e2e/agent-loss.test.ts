// Scenarios 3 and 4: the agent is killed with SIGKILL while the fleet charges. Cut off, every station falls back to
// its standing fallback share when its lease ends; on restart sessions, forecasts and queued OSCP messages are
// still there, the queue is delivered, stations are re-profiled, and the fleet never drew above the capacity.
import path from 'node:path';
import Database from 'better-sqlite3';
import { startCapacityProvider } from '../../simulators/oscp-cp';
import { eventually, excesses, flatDay, FLEET_PROTOCOLS, GROUP, startRig, stationIds, withDiagnostics, type Rig } from './harness';

const STATIONS = 5;
const LEASE_S = 60;
/** Standing share of each station: (fallback 40 A − 1 A margin) / 5. */
const STANDING_SHARE_A = 7.8;

function lastDrawnA(rig: Rig, id: string): number {
  return Math.max(...(rig.fleet.limitLog(id, 1).at(-1)?.drawnA ?? [0]));
}

function readStore(file: string): { activeSessions: number; forecasts: number; pendingOutbox: number } {
  const db = new Database(file, { readonly: true });
  try {
    const count = (sql: string): number => Number((db.prepare(sql).get() as { n: number }).n);
    return {
      activeSessions: count('SELECT COUNT(*) AS n FROM sessions WHERE ended_at IS NULL'),
      forecasts: count('SELECT COUNT(*) AS n FROM forecasts'),
      pendingOutbox: count("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'"),
    };
  } finally {
    db.close();
  }
}

describe.each(FLEET_PROTOCOLS)('e2e — the agent is killed and comes back (OCPP %s fleet)', (protocol) => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  test('scenarios 3 and 4: leases expire into the standing share, state survives kill -9, stations are re-profiled', async () => {
    const ids = stationIds(STATIONS);
    // A long grace keeps the group on its forecast while the CP is unreachable, so the outbox fills instead.
    rig = await startRig({ stations: STATIONS, safeLimitA: 100, leaseS: LEASE_S, offlineGraceS: 600, fleet: { protocol } });
    const r = rig;
    const dbFile = path.join(r.dir, 'agent.db');
    await withDiagnostics(
      `agent-loss-${protocol}`,
      () => rig,
      async () => {
        await eventually(() => r.fleet.summary().bootAccepted === STATIONS, 30_000, 'all stations booted');
        await r.cp.sendForecast({ groupId: GROUP, type: 'FALLBACK_CONSUMPTION', blocks: flatDay(40) });
        await r.cp.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(100) });
        for (const id of ids) r.fleet.plugIn(id, 1, { batteryWh: 80_000, socPercent: 10, phases: 3, maxCurrentA: 32 });
        // Each EV on its share of the forecast: (100 − 1) / 5 = 19.8 A, set by a live profile.
        const onForecast = (): boolean => ids.every((id) => lastDrawnA(r, id) >= 15 && lastDrawnA(r, id) <= 19.8);
        await eventually(onForecast, 40_000, 'every EV charging on its share of the forecast');

        // The CP becomes unreachable: measurements queue up in the outbox.
        const cpPort = r.cp.port;
        await r.cp.close();
        const queuedBefore = readStore(dbFile).pendingOutbox;
        await eventually(() => readStore(dbFile).pendingOutbox > queuedBefore, 20_000, 'messages queued for the unreachable CP');

        await r.agent.kill9();
        const killedAt = Date.now();
        const afterKill = readStore(dbFile);
        expect(afterKill.activeSessions).toBe(STATIONS);
        expect(afterKill.forecasts).toBeGreaterThanOrEqual(2);
        expect(afterKill.pendingOutbox).toBeGreaterThan(0);

        // Scenario 3: cut off from flexbridge, each station drops to its standing share when its lease ends.
        await eventually(
          () => ids.every((id) => lastDrawnA(r, id) <= STANDING_SHARE_A),
          (LEASE_S + 20) * 1000,
          'stations on their standing share',
        );
        const fellBackAfterS = (Date.now() - killedAt) / 1000;
        process.stdout.write(
          `e2e: agent killed — all ${STATIONS} stations on their standing share ${fellBackAfterS.toFixed(1)} s later (lease ${LEASE_S} s)\n`,
        );

        // Scenario 4: a CP is back on its address (it does not know the old tokens, but it records what arrives).
        const cp2 = await startCapacityProvider({ port: cpPort });
        try {
          const restartAt = Date.now();
          await r.restartAgent();
          await eventually(() => cp2.received('update_group_measurements').length > 0, 30_000, 'queued measurements delivered');
          await eventually(onForecast, 40_000, 'stations re-profiled on the forecast');
          process.stdout.write(
            `e2e: agent restarted — queue delivered and ${STATIONS} stations re-profiled ${Date.now() - restartAt} ms after start\n`,
          );
        } finally {
          await cp2.close();
        }
        // The grid's capacity was 100 A throughout: the fleet never drew more than 99 A on any phase.
        expect(excesses(r.fleet, ids, 1, () => 99)).toEqual([]);
      },
    );
  }, 240_000);
});
