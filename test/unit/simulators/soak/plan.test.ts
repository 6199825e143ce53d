// The soak's seeded plan: time acceleration divides every interval of the plan, and the Local Controller's events
// (CSMS outages and caps) are drawn only with --upstream, after the others, so direct mode keeps its plan.
import { planSoak, type PlanInput } from '../../../../simulators/soak/plan';

const input: PlanInput = { durationMs: 30 * 60_000, kills: 10, seed: 7, regularA: [600, 1200], emergencyA: [150, 350] };

describe('soak plan', () => {
  test('speed 1 without upstream has no CSMS events; upstream keeps the direct-mode events of the seed', () => {
    const direct = planSoak(input).plan;
    expect(direct.csmsOutages).toEqual([]);
    expect(direct.csmsLimits).toEqual([]);
    const upstream = planSoak({ ...input, upstream: true }).plan;
    expect({ ...upstream, csmsOutages: [], csmsLimits: [] }).toEqual(direct);
    expect(upstream.csmsOutages.length).toBeGreaterThan(0);
    expect(upstream.csmsLimits.length).toBeGreaterThan(0);
  });

  test('speed 4 packs about four times the events into the same run; kills stay as many as asked', () => {
    const real = planSoak({ ...input, upstream: true }).plan;
    const fast = planSoak({ ...input, upstream: true, speed: 4 }).plan;
    for (const key of ['forecasts', 'heartbeatPauses', 'duplicates', 'csmsOutages', 'csmsLimits'] as const) {
      expect(fast[key].length).toBeGreaterThan(3 * real[key].length);
      expect(fast[key].length).toBeLessThan(5 * real[key].length + 2);
    }
    expect(fast.kills).toHaveLength(10);
    for (const outage of fast.csmsOutages) expect(outage.forMs).toBeLessThanOrEqual(45_000 / 4);
    for (const outage of fast.csmsOutages) expect(outage.atMs + outage.forMs).toBeLessThan(input.durationMs);
  });
});
