// Grid reports: one compliance error per forecast, and the memory of reported forecasts is bounded (issue #17 item 4).
import { CoreEvents } from '../../../src/core/events';
import { GridReports, JOINING_HOLD_MS, REPORTED_OVERLOADS_KEPT } from '../../../src/core/grid-reports';
import { fleetStation } from '../../helpers/fleet-station';
import type { PlanBlock, PlanResult } from '../../../src/core/ports';
import { silentLogger } from '../../../src/observability/log';

const block: PlanBlock = { startMs: 0, endMs: 900_000, capacityA: [10, 10, 10], source: 'forecast' };
const overloaded: PlanResult = { limitsA: new Map(), reasons: new Map(), overloadedBlocks: [0] };

describe('GridReports', () => {
  it('reports each forecast once, and remembers at most REPORTED_OVERLOADS_KEPT of them', () => {
    let requestId = 'fc-0';
    const sent: string[] = [];
    const reports = new GridReports(
      { id: 'g1', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 16 },
      {
        forecasts: { blocks: () => [], requestIdAt: () => requestId, peerOnline: () => true },
        grid: { complianceError: (_g, id) => sent.push(id), adjustForecast: () => undefined },
        events: new CoreEvents(),
        logger: silentLogger,
        fleet: { stationsOf: () => [] },
        ledger: { restoredLeaseRunning: () => false, acknowledgedAt: () => true },
      },
    );
    reports.afterPlan(0, [block], [], overloaded);
    reports.afterPlan(1, [block], [], overloaded);
    expect(sent).toEqual(['fc-0']);
    for (let i = 1; i <= 10_000; i++) {
      requestId = `fc-${i}`;
      reports.afterPlan(i, [block], [], overloaded);
    }
    expect(sent).toHaveLength(10_001);
    expect(reports.reportedCount).toBe(REPORTED_OVERLOADS_KEPT);
    // The newest are still known: no second report for them.
    reports.afterPlan(20_000, [block], [], overloaded);
    expect(sent).toHaveLength(10_001);
  });

  it('0c — stations joining (connected, no limit acknowledged yet) hold the report back, at most JOINING_HOLD_MS', () => {
    const sent: string[] = [];
    const acknowledged = false;
    const reports = new GridReports(
      { id: 'g1', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 16 },
      {
        forecasts: { blocks: () => [], requestIdAt: () => 'fc-1', peerOnline: () => true },
        grid: { complianceError: (_g, id) => sent.push(id), adjustForecast: () => undefined },
        events: new CoreEvents(),
        logger: silentLogger,
        fleet: { stationsOf: () => [fleetStation('CS-1', { connected: true })] },
        ledger: { restoredLeaseRunning: () => false, acknowledgedAt: () => acknowledged },
      },
    );
    reports.afterPlan(0, [block], [], overloaded);
    reports.afterPlan(JOINING_HOLD_MS - 1, [block], [], overloaded);
    expect(sent).toEqual([]);
    // Still not acknowledged after the hold: the overload is the group's, reported once.
    reports.afterPlan(JOINING_HOLD_MS, [block], [], overloaded);
    expect(sent).toEqual(['fc-1']);
  });

  it('0c — once the joining stations acknowledged, a remaining overload is reported at once', () => {
    const sent: string[] = [];
    let acknowledged = false;
    const reports = new GridReports(
      { id: 'g1', phaseVoltageV: 230, phases: 3, safetyMarginA: 1, safeLimitA: 16 },
      {
        forecasts: { blocks: () => [], requestIdAt: () => 'fc-2', peerOnline: () => true },
        grid: { complianceError: (_g, id) => sent.push(id), adjustForecast: () => undefined },
        events: new CoreEvents(),
        logger: silentLogger,
        fleet: { stationsOf: () => [fleetStation('CS-1', { connected: true })] },
        ledger: { restoredLeaseRunning: () => false, acknowledgedAt: () => acknowledged },
      },
    );
    reports.afterPlan(0, [block], [], overloaded);
    expect(sent).toEqual([]);
    acknowledged = true;
    reports.afterPlan(1000, [block], [], overloaded);
    expect(sent).toEqual(['fc-2']);
  });
});
