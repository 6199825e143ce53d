// Scenario 5: a station that answers NotImplemented is counted at its maximum and the others shrink; when that is
// not enough a compliance error reaches the CP. Scenario 6: a forecast for 200 stations, 204 → last acknowledgement.
import { eventually, excesses, flatDay, FLEET_PROTOCOLS, GROUP, startRig, stationIds, withDiagnostics, type Rig } from './harness';

function drawnA(rig: Rig, ids: readonly string[]): number {
  return ids.reduce((sum, id) => sum + Math.max(...(rig.fleet.limitLog(id, 1).at(-1)?.drawnA ?? [0])), 0);
}

describe('e2e — uncontrollable stations and a 200-station forecast', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  test.each(FLEET_PROTOCOLS)(
    'scenario 5 (OCPP %s fleet): a NotImplemented station is counted at its maximum, the others shrink, a compliance error reaches the CP',
    async (protocol) => {
      const ids = stationIds(6);
      rig = await startRig({
        stations: 6,
        safeLimitA: 100,
        // Mixed: SIM-00001 (2.0.1) is the uncontrollable one; the 1.6 run makes a 1.6 station answer NotImplemented.
        fleet: { protocol, evseMaxA: 32, stationOverrides: { 'SIM-00001': { failure: 'notImplemented' } } },
      });
      const r = rig;
      await withDiagnostics(
        `uncontrollable-${protocol}`,
        () => rig,
        async () => {
          await eventually(() => r.fleet.summary().bootAccepted === 6, 30_000, 'all stations booted');
          await r.cp.sendForecast({ groupId: GROUP, type: 'FALLBACK_CONSUMPTION', blocks: flatDay(60) });
          await r.cp.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(100) });
          for (const id of ids) r.fleet.plugIn(id, 1, { batteryWh: 80_000, socPercent: 10, phases: 3, maxCurrentA: 32 });
          await eventually(
            () => r.agent.logs().some((l) => l.message === 'station is uncontrollable; counted at its maximum draw'),
            30_000,
            'marked uncontrollable',
          );
          // The uncontrolled one draws its 32 A; the five others share 99 − 32 = 67 A.
          await eventually(() => (r.fleet.limitLog('SIM-00001', 1).at(-1)?.drawnA[0] ?? 0) >= 31, 30_000, 'uncontrolled EV at full power');
          // Once core has reallocated around it, the five others share 99 − 32 = 67 A and stay there.
          await eventually(() => drawnA(r, ids.slice(1)) > 50 && drawnA(r, ids.slice(1)) <= 67, 30_000, 'the others sharing what is left');
          const settledAt = Date.now();
          await new Promise((resolve) => setTimeout(resolve, 3000));
          expect(excesses(r.fleet, ids, 1, (t) => (t < settledAt ? Infinity : 99))).toEqual([]);
          expect(drawnA(r, ids.slice(1))).toBeLessThanOrEqual(67);

          const cut = await r.cp.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(30) });
          expect(cut.status).toBe(204);
          const error = await r.cp.waitFor('group_capacity_compliance_error', undefined, 30_000);
          expect(error.headers['x-correlation-id']).toBe(cut.requestId);
          await eventually(() => drawnA(r, ids.slice(1)) === 0, 30_000, 'the controllable stations paused');
        },
      );
    },
  );

  test('a station that answers Accepted but ignores its profiles (mixed fleet, a 1.6 one) is caught on its draw and counted at its maximum', async () => {
    const ids = stationIds(4);
    rig = await startRig({
      stations: 4,
      safeLimitA: 100,
      fleet: { protocol: 'mixed', evseMaxA: 32, meterIntervalS: 10, stationOverrides: { 'SIM-00002': { failure: 'ignore' } } },
    });
    const r = rig;
    await withDiagnostics(
      'ignores-profiles',
      () => rig,
      async () => {
        await eventually(() => r.fleet.summary().bootAccepted === 4, 30_000, 'all stations booted');
        await r.cp.sendForecast({ groupId: GROUP, type: 'FALLBACK_CONSUMPTION', blocks: flatDay(60) });
        await r.cp.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(80) });
        for (const id of ids) r.fleet.plugIn(id, 1, { batteryWh: 80_000, socPercent: 10, phases: 3, maxCurrentA: 32 });
        // It draws its EV's 32 A whatever it acknowledged (79 / 4 = 19.7 A): after a minute of that it is judged.
        const judged = await eventually(
          () => r.agent.logs().find((l) => l.message === 'station ignores its limits; counted at its maximum from now on'),
          150_000,
          'the station judged on its draw',
        );
        expect(judged.stationId).toBe('SIM-00002');
        // Counted at its 32 A from then on: the three others share 79 − 32 = 47 A, the group under 79 A again.
        await eventually(() => drawnA(r, ids) <= 79, 30_000, 'group back under capacity − margin');
        const settledAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 3000));
        expect(excesses(r.fleet, ids, 1, (t) => (t < settledAt ? Infinity : 79))).toEqual([]);
        expect(
          drawnA(
            r,
            ids.filter((id) => id !== 'SIM-00002'),
          ),
        ).toBeLessThanOrEqual(47);
      },
    );
  }, 240_000);

  test('scenario 6: a new forecast for a 200-station group, from the 204 to the last profile acknowledged', async () => {
    const count = 200;
    const ids = stationIds(count);
    rig = await startRig({ stations: count, safeLimitA: 1000, fleet: { meterIntervalS: 10, evaluateIntervalS: 2 } });
    const r = rig;
    await withDiagnostics(
      'scale',
      () => rig,
      async () => {
        await eventually(() => r.fleet.summary().bootAccepted === count, 60_000, 'all stations booted');
        await r.cp.sendForecast({ groupId: GROUP, type: 'FALLBACK_CONSUMPTION', blocks: flatDay(600) });
        await r.cp.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(2000) });
        for (const id of ids.slice(0, 100)) r.fleet.plugIn(id, 1, { batteryWh: 80_000, socPercent: 10, phases: 3, maxCurrentA: 16 });
        await eventually(() => drawnA(r, ids) > 1000, 60_000, 'the fleet charging');
        const before = r.agent.logs().length;
        const sentAt = Date.now();
        const result = await r.cp.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(800) });
        const answeredAt = Date.now();
        expect(result.status).toBe(204);
        const applied = await eventually(
          () =>
            r.agent
              .logs()
              .slice(before)
              // The plan this forecast started, not one already under way when it arrived.
              .find((l) => l.message === 'plan applied' && Number(l.stationsChanged) > 0 && Number(l.atMs) >= sentAt),
          60_000,
          'plan applied after the new forecast',
        );
        const appliedAt = Date.parse(String(applied.timestamp));
        process.stdout.write(
          `e2e: forecast for ${count} stations (${100} charging) — 204 after ${answeredAt - sentAt} ms; ` +
            `last profile acknowledged ${appliedAt - answeredAt} ms after the 204 (${String(applied.stationsChanged)} stations changed, ` +
            `allocation + transition ${String(applied.durationMs)} ms)\n`,
        );
        await eventually(() => drawnA(r, ids) <= 799, 30_000, 'the fleet under the new capacity');
        const allowed = (t: number): number => (t < answeredAt ? 1999 : 799);
        // Before the new forecast the limit was 1999 A; after, the fleet must be under 799 A once it was acknowledged.
        expect(excesses(r.fleet, ids, 1, (t) => (t < appliedAt ? 1999 : allowed(t)))).toEqual([]);
      },
    );
  });
});
