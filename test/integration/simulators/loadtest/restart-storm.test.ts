// Issue #15: the `--restart-storm` phase, small — 30 stations against the agent as a child process, one forecast in
// force, then kill -9 and a restart on the same config and SQLite store. Correctness only, never a timing: every
// station reconnects, boots and gets its standing cap and its TxProfile back, and none drew above the cap it held.
import { runLoadTest } from '../../../../simulators/loadtest';

const STATIONS = 30;

describe('load test restart storm (#15)', () => {
  test('30 stations: every station back, booted and re-profiled after kill -9; no draw above the cap in force', async () => {
    const result = await runLoadTest({
      stations: STATIONS,
      rate: 0,
      forecasts: 1,
      deflate: false,
      restartStorm: true,
      connectStallS: 60,
      forecastTimeoutS: 60,
      memorySettleS: 0,
      // From src/ through tsx: only the smoke test builds dist/ (two builds at once would write the same files).
      agentFrom: 'source',
    });
    expect(result.stations).toMatchObject({ ready: STATIONS, stalled: false, gaveUp: 0 });
    const storm = result.restartStorm;
    expect(storm).toBeDefined();
    expect(storm).toMatchObject({
      stations: STATIONS,
      txLimitA: 16,
      reconnected: STATIONS,
      booted: STATIONS,
      standing: STATIONS,
      tx: STATIONS,
      reprofiled: STATIONS,
      withoutProfile: 0,
      stalled: false,
    });
    expect(storm?.allReprofiledS).toBeDefined();
    expect(storm?.record).toMatchObject({ stations: STATIONS, violations: 0, unprotected: 0 });
    expect(storm?.record.samples).toBeGreaterThan(0);
    expect(result.agent.exitCode).toBe(0);
  }, 240_000);
});
