// Invariant 2 while a fleet joins (found by a third-party fleet: 22 auto-registered stations were each sent a 32 A
// standing limit, 704 A against 399 A usable). 100 stations auto-register at once against the agent process; on the
// stations' own logs (25 joining per second, so shares are recomputed as they come) the standing limits add up to at most FC − margin at every instant, and every station is let in.
import { createFleet, type Fleet } from '../../simulators/ocpp-station';
import { startAgentProcess, type AgentProcess } from '../helpers/agent-process';
import { tempDir } from '../helpers/processes';
import { eventually } from './harness';

const STATIONS = 100;
const SAFE_LIMIT_A = 400;
const MARGIN_A = 1;

describe('invariant 2 — stations joining at once never over-commit the standing budget', () => {
  const { dir, cleanup } = tempDir('flexbridge-join-');
  let agent: AgentProcess | undefined;
  let fleet: Fleet | undefined;
  afterAll(async () => {
    await fleet?.stop();
    await agent?.stop();
    cleanup();
  });

  test(`${STATIONS} auto-registered stations: Σ standing ≤ ${SAFE_LIMIT_A - MARGIN_A} A on the stations' logs, all Accepted`, async () => {
    agent = await startAgentProcess(dir, {
      http: { host: '127.0.0.1', port: 0 },
      ocpp: { host: '127.0.0.1', port: 0, autoRegisterGroup: 'g1', callTimeoutMs: 10_000 },
      groups: [{ id: 'g1', safeLimitA: SAFE_LIMIT_A, safetyMarginA: MARGIN_A }],
      log: { level: 'info' },
    });
    fleet = createFleet({
      url: agent.ocppUrl,
      count: STATIONS,
      evsesPerStation: 1,
      evseMaxA: 32,
      securityProfile: 1,
      password: 'joining-station-password-01',
      connectRatePerS: 25,
      backoff: { minS: 1, randomS: 1, repeatTimes: 3 },
    });
    fleet.start();
    const stations = [...fleet.stations.values()];
    await eventually(() => stations.every((s) => s.bootStatus === 'Accepted'), 60_000, 'every station Accepted');

    const changes = stations
      .flatMap((station) => station.standingLog.map((entry) => ({ ...entry, stationId: station.identity })))
      .sort((a, b) => a.seq - b.seq);
    const held = new Map<string, number>();
    let worstA = 0;
    for (const change of changes) {
      held.set(change.stationId, change.limitA ?? 0);
      worstA = Math.max(
        worstA,
        [...held.values()].reduce((sum, a) => sum + a, 0),
      );
    }
    process.stdout.write(`e2e: ${STATIONS} stations joined; highest Σ standing ${worstA.toFixed(1)} A of ${SAFE_LIMIT_A - MARGIN_A} A\n`);
    expect(worstA).toBeLessThanOrEqual(SAFE_LIMIT_A - MARGIN_A + 1e-9);
    // Every station holds a standing limit, 0 or at least 6 A, and none its 32 A hardware maximum.
    for (const station of stations) {
      const last = station.standingLog[station.standingLog.length - 1]?.limitA;
      expect(last).toBeDefined();
      expect(last === 0 || (last !== undefined && last >= 6 && last < 32)).toBe(true);
    }
  }, 120_000);
});
