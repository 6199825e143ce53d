// The soak through the Local Controller end to end, in miniature: the agent as a child process on a real SQLite file,
// 10 mixed 1.6/2.0.1 stations relayed to the CSMS simulator, one kill -9, one CSMS outage, time-accelerated ×6.
// Correctness only — nothing over a limit, nothing lost at flexbridge or at the CSMS — never a timing.
import { planSoak } from '../../../../simulators/soak/plan';
import { failed, renderReport } from '../../../../simulators/soak/report';
import { runSoak, type SoakOptions } from '../../../../simulators/soak/run';

const OPTIONS: SoakOptions = { minutes: 0.6, stations: 10, kills: 1, seed: 3, speed: 6, upstream: true, drainMs: 5000 };

describe('soak --upstream (issue #17): through the Local Controller, time-accelerated', () => {
  it('the seeded plan of this run has a CSMS outage, CSMS caps and a heartbeat pause to ride out', () => {
    const { plan } = planSoak({
      durationMs: OPTIONS.minutes * 60_000,
      kills: 1,
      seed: 3,
      regularA: [600, 1200],
      emergencyA: [150, 350],
      speed: 6,
      upstream: true,
    });
    expect(plan.csmsOutages.length).toBeGreaterThanOrEqual(1);
    expect(plan.csmsLimits.length).toBeGreaterThanOrEqual(5);
    expect(plan.heartbeatPauses.length).toBeGreaterThanOrEqual(1);
    expect(plan.kills).toHaveLength(1);
  });

  it('10 stations, 1 kill -9, 1 CSMS outage: 0 over-limit instants, nothing lost at flexbridge or at the CSMS', async () => {
    const lines: string[] = [];
    const result = await runSoak(OPTIONS, new AbortController().signal, (line) => lines.push(line));
    const report = renderReport(result);
    // The whole report on failure, so a red run says what went wrong.
    expect({ failed: failed(result), report }).toEqual({ failed: false, report });
    expect(result.restarts).toHaveLength(1);
    expect(result.restarts[0]?.readyS).toBeDefined();
    expect(result.overLimit).toEqual([]);
    expect(result.sessionsStarted).toBeGreaterThan(0);
    expect(result.sessionsMissing).toBe(0);
    expect(result.endedMissing).toBe(0);
    expect(result.forecastsMissing).toBe(0);
    expect(result.upstream).toBeDefined();
    const upstream = result.upstream;
    expect(upstream?.csmsOutages).toBeGreaterThanOrEqual(1);
    expect(upstream?.limits.accepted).toBeGreaterThan(0);
    expect(upstream?.overCsmsCap).toEqual([]);
    // Every transaction the stations ran is known to the CSMS, with the CSMS's ids in flexbridge's store.
    expect(upstream?.csmsStarted).toBeGreaterThanOrEqual(result.sessionsStarted);
    expect(upstream?.transactionsLost).toBe(0);
    expect(upstream?.endsLost).toBe(0);
    expect(upstream?.storedUnknownToCsms).toBe(0);
    expect(upstream?.relayQueued).toBe(0);
  }, 120_000);
});
