// Admission as a third-party fleet found it wanting: nothing is sent before BootNotification (B01), Pending is bounded
// by time not by boots (exponential back-off took 21 minutes), and a station that keeps timing out is backed off.
import { virtualTime } from '../../helpers/virtual-clock';
import { boot, connectStation, eventually, startTestCsms, type FakeStation, type TestCsms } from './harness';

/** Lets the in-process CSMS run what it queued for right after the connection (setImmediate work). */
async function serverTurns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('B01/B02 — admission', () => {
  let t: TestCsms;
  let station: FakeStation | undefined;
  afterEach(async () => {
    // Force: a station with a handler that never answers would otherwise hold the close handshake.
    await station?.client.close({ force: true });
    await t.stop();
  });

  test('B01 — no CSMS call before the BootNotification response; GetVariables comes after it', async () => {
    t = await startTestCsms();
    station = await connectStation(t.url);
    const runtime = await eventually(() => t.csms.registry.get('CS-1')?.client && t.csms.registry.get('CS-1'));
    await serverTurns(20);
    expect(station.log).toEqual([]);
    expect(runtime.callsAllowed).toBe(false);
    expect(t.recorded.connections).toEqual([]);
    await boot(station);
    await eventually(() => station?.log.includes('GetVariables'));
    // Core was told of the connection only once calls were allowed.
    expect(t.recorded.connections).toEqual([{ stationId: 'CS-1', connected: true }]);
  });

  test('B02 — Pending is bounded by time: after bootPendingMaxS the station is asked to boot again and let in', async () => {
    const time = virtualTime();
    t = await startTestCsms({ bootPendingMaxS: 20, callTimeoutMs: 200 }, undefined, time);
    // A station that never acknowledges a profile: its standing limits are never installed.
    const silent = await connectStation(t.url, { setChargingProfile: () => new Promise(() => undefined) });
    station = silent;
    expect((await boot(silent)) as { status: string }).toMatchObject({ status: 'Pending' });
    const runtime = t.csms.registry.get('CS-1');
    expect(runtime?.pendingReason).toMatch(/smart-charging limits/);
    await eventually(() => t.store.stations.get('CS-1')?.smartCharging);
    // Still Pending 19 s in, however often it boots: now waiting for its standing limits.
    time.advance(19_000);
    expect((await boot(station)) as { status: string }).toMatchObject({ status: 'Pending' });
    expect(runtime?.pendingReason).toMatch(/standing limits/);
    expect(station.triggers).not.toContain('BootNotification');
    // At the bound the CSMS asks for a boot (a station backing off for minutes would not come back by itself).
    time.advance(1_000);
    await eventually(() => silent.triggers.includes('BootNotification'), 10_000);
    expect((await boot(station)) as { status: string }).toMatchObject({ status: 'Accepted' });
    expect(runtime?.pendingReason).toBeUndefined();
  });

  test('a station that keeps timing out is backed off instead of flooded, and tried again after the back-off', async () => {
    const time = virtualTime();
    t = await startTestCsms({ callTimeoutMs: 200 }, undefined, time);
    station = await connectStation(t.url, { setChargingProfile: () => new Promise(() => undefined) });
    await station.client.call('Heartbeat', {});
    await eventually(() => t.store.stations.get('CS-1')?.smartCharging);
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 })).toBe('Timeout');
    expect(station.profiles).toHaveLength(2);
    // Unresponsive: not sent again while the back-off lasts — and counted as not applied (Timeout).
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 })).toBe('Timeout');
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 11 })).toBe('Timeout');
    expect(station.profiles).toHaveLength(2);
    const firstBackoffMs = (t.csms.registry.get('CS-1')?.backoffUntilMs ?? 0) - time.nowMs();
    expect(firstBackoffMs).toBeGreaterThanOrEqual(22_500);
    expect(firstBackoffMs).toBeLessThanOrEqual(30_000);
    time.advance(firstBackoffMs);
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 })).toBe('Timeout');
    expect(station.profiles).toHaveLength(3);
    // Timed out again: the back-off doubles (less up to a quarter of jitter).
    const secondBackoffMs = (t.csms.registry.get('CS-1')?.backoffUntilMs ?? 0) - time.nowMs();
    expect(secondBackoffMs).toBeGreaterThanOrEqual(45_000);
    expect(secondBackoffMs).toBeLessThanOrEqual(60_000);
  });
});
