// The CSMS against the station simulator (which never imports src/): a fleet boots through Pending, receives
// profiles it really applies, starts transactions with ISO 15118 needs, and reports meter values that reach the store.
import { createFleet, type Fleet } from '../../../simulators/ocpp-station';
import { eventually, PASSWORD, startTestCsms, type TestCsms } from './harness';

describe('OCPP CSMS with the station simulator', () => {
  let t: TestCsms;
  let fleet: Fleet | undefined;
  beforeEach(async () => {
    t = await startTestCsms({ autoRegisterGroup: 'g1', callTimeoutMs: 3000 }, []);
  });
  afterEach(async () => {
    await fleet?.stop();
    await t.stop();
  });

  test('boot, discovery, a standing limit applied by the stations, sessions and meter values', async () => {
    fleet = createFleet({
      url: t.url,
      count: 3,
      securityProfile: 1,
      password: PASSWORD,
      meterIntervalS: 1,
      tickMs: 50,
      connectRatePerS: 100,
    });
    fleet.start();
    await eventually(() => fleet?.summary().bootAccepted === 3, 15_000);
    expect(t.store.stations.list()).toHaveLength(3);
    for (const record of t.store.stations.list())
      expect(record.smartCharging).toMatchObject({ profileStackLevel: 3, periodsPerSchedule: 24 });

    expect(await t.csms.commands.applyLimits('SIM-00001', { kind: 'standing', limitA: 10 })).toBe('Accepted');
    fleet.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 32, iso15118: true, departureAfterS: 3600 });
    const session = await eventually(
      () =>
        t.store.sessions.active({ stationId: 'SIM-00001' })[0]?.meterWh !== undefined &&
        t.store.sessions.active({ stationId: 'SIM-00001' })[0],
      15_000,
    );
    expect(session).toMatchObject({ groupId: 'g1', evseId: 1, phasesUsed: 3 });
    await eventually(() => t.store.sessions.get(session.transactionId)?.evNeeds, 15_000);
    // The station applied the standing limit: its own log shows it never drew above 10 A on any phase.
    await eventually(() => (t.store.sessions.get(session.transactionId)?.measuredCurrentA?.[0] ?? 0) > 0, 15_000);
    const drawn = fleet.limitLog('SIM-00001', 1).flatMap((entry) => entry.drawnA);
    expect(Math.max(...drawn)).toBeLessThanOrEqual(10);
    expect(Math.max(...(t.store.sessions.get(session.transactionId)?.measuredCurrentA ?? [99]))).toBeLessThanOrEqual(10);

    fleet.unplug('SIM-00001', 1);
    await eventually(() => t.store.sessions.get(session.transactionId)?.endedAt, 15_000);
  });

  test('stations that answer NotImplemented are marked uncontrollable', async () => {
    fleet = createFleet({ url: t.url, count: 1, securityProfile: 1, password: PASSWORD, notImplementedPercent: 100, tickMs: 50 });
    fleet.start();
    await eventually(() => fleet?.summary().bootAccepted === 1, 15_000);
    expect(await t.csms.commands.applyLimits('SIM-00001', { kind: 'standing', limitA: 10 })).toBe('NotSupported');
    expect(t.store.stations.get('SIM-00001')?.controllable).toBe(false);
    expect(t.recorded.uncontrollable).toEqual(['SIM-00001']);
  });
});
