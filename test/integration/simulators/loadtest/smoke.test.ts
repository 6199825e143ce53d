// Issue #15: the load test, CI-sized, inside `npm test` — 300 stations for 5 s against the agent as a child process
// (free 127.0.0.1 ports, a temporary SQLite file, stopped at the end). Correctness only, never a timing: every
// station ready, every hot call answered, no CALLERROR, and every station re-profiled after each forecast.
import { runLoadTest } from '../../../../simulators/loadtest';

const STATIONS = 300;

describe('load test smoke (#15)', () => {
  test('300 stations: all ready, every call answered without CALLERROR, every station re-profiled after each forecast', async () => {
    const result = await runLoadTest({
      stations: STATIONS,
      rate: 600,
      durationS: 5,
      forecasts: 2,
      deflate: false,
      connectStallS: 60,
      forecastTimeoutS: 60,
      // One poll: the held-idle figures are there (how long V8 takes to shrink the heap is a benchmark's business).
      memorySettleS: 1,
      // The default, spelt out: the agent as `npm start` runs it, so this also checks that the build runs.
      agentFrom: 'built',
    });
    expect(result.agent.from).toBe('built');
    expect(result.memory.idleKiB).toBeGreaterThan(0);
    expect(result.memory.perStationIdleKiB).toBeDefined();
    expect(result.memory.heapTotalIdleKiB).toBeGreaterThanOrEqual(result.memory.heapIdleKiB ?? Infinity);
    // The agent's idle heap trim is on by default and reports on /metrics (whether it ran in 1 s is not the point).
    expect(result.memory.heapTrims).toEqual({ count: expect.any(Number), pauseMs: expect.any(Number) });
    expect(result.stations).toMatchObject({ ready: STATIONS, stalled: false, connectFailures: 0, gaveUp: 0 });
    expect(result.load).toBeDefined();
    const load = result.load;
    expect({ errors: load?.errors, lost: load?.lost, drops: load?.drops }).toEqual({ errors: 0, lost: 0, drops: 0 });
    expect(load?.answered).toBe(load?.sent);
    expect(result.forecasts).toHaveLength(2);
    for (const forecast of result.forecasts) {
      expect({ status: forecast.status, matched: forecast.matched }).toEqual({ status: 204, matched: STATIONS });
      expect(forecast.lastAckMs).toBeDefined();
    }
    expect(result.agent.exitCode).toBe(0);
  }, 240_000);
});
