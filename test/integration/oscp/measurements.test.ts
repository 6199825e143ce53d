// UpdateGroupMeasurements / UpdateAssetMeasurements over real HTTP (digest §7, §15 item 10): on the peer's
// cadence, CONTINUOUS or INTERMITTENT as its handshake asked, always one item (zero when nothing was used).
import { z } from 'zod';
import { wireTimeMs } from '../../../src/oscp/wire-time';
import { UpdateAssetMeasurements, UpdateGroupMeasurements } from '../../../src/oscp/schemas';
import { expectWireValid } from '../../unit/oscp/helpers/json-schemas';
import { BOOTSTRAP, connect, FpRig, PeerStub, registerBody, sleep, tokenOf, until, type Received } from './harness';

const groupReport = (r: Received): z.infer<typeof UpdateGroupMeasurements> => {
  expectWireValid('update-group-measurements', r.body);
  return UpdateGroupMeasurements.parse(r.body);
};

describe('OSCP measurements (FP → CP / CO)', () => {
  let cp: PeerStub;
  let fp: FpRig;
  let energyWh: number;
  afterEach(async () => {
    await fp?.close();
    await cp?.close();
  });
  beforeEach(async () => {
    energyWh = 0;
    cp = await PeerStub.start();
  });

  const startFp = async (peer: object = {}): Promise<void> => {
    fp = await FpRig.start({
      peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0, measurementIntervalS: 1, ...peer }],
      adapter: { groupEnergyWh: (groupId) => (groupId === 'site-42' ? energyWh : 0) },
    });
  };

  it('§7 CONTINUOUS — the cumulative register in kWh every interval, zero while nothing was used', async () => {
    await startFp();
    await connect(fp, cp, { measurement_configuration: ['CONTINUOUS'] });
    const first = groupReport(await cp.waitFor('update_group_measurements', 1, 3000));
    expect(first).toEqual({
      group_id: 'site-42',
      measurements: [
        { value: 0, phase: 'ALL', unit: 'KWH', direction: 'IMPORT', energy_type: 'TOTAL', measure_time: expect.stringMatching(/Z$/) },
      ],
    });
    energyWh = 1234.4;
    const second = groupReport(await cp.waitFor('update_group_measurements', 2, 3000));
    expect(second.measurements[0]?.value).toBe(1.234);
    expect(second.measurements[0]).not.toHaveProperty('initial_measure_time');
    const [a, b] = [first, second].map((r) => wireTimeMs(r.measurements[0]?.measure_time ?? ''));
    expect((b ?? 0) - (a ?? 0)).toBeGreaterThanOrEqual(900);
    // UTC-aligned to the interval (SolarNetwork): each report at a whole second, give or take the timer.
    expect((a ?? 0) % 1000).toBeLessThan(200);
  });

  it('§7 INTERMITTENT — the energy of each period with initial_measure_time = the previous report', async () => {
    await startFp();
    await connect(fp, cp, { measurement_configuration: ['INTERMITTENT'] });
    energyWh = 500;
    const first = groupReport(await cp.waitFor('update_group_measurements', 1, 3000)).measurements[0];
    energyWh = 2500;
    const second = groupReport(await cp.waitFor('update_group_measurements', 2, 3000)).measurements[0];
    const third = groupReport(await cp.waitFor('update_group_measurements', 3, 3000)).measurements[0];
    expect(first?.value).toBe(0.5);
    expect(second?.value).toBe(2);
    expect(third?.value).toBe(0);
    expect(second?.initial_measure_time).toBe(first?.measure_time);
    expect(third?.initial_measure_time).toBe(second?.measure_time);
  });

  it('§6.2 — nothing is reported before the handshake', async () => {
    await startFp();
    await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', cp.baseUrl) });
    await cp.waitFor('register');
    await sleep(1300);
    expect(cp.of('update_group_measurements')).toEqual([]);
  });

  it('invariant 3 — an INTERMITTENT period is neither lost nor counted twice across a restart', async () => {
    await startFp();
    await connect(fp, cp, { measurement_configuration: ['INTERMITTENT'] });
    await cp.waitFor('update_group_measurements', 1, 3000);
    energyWh = 3000;
    await fp.restart();
    const values: number[] = [];
    await until(
      () => {
        values.splice(0, values.length, ...cp.of('update_group_measurements').map((r) => groupReport(r).measurements[0]?.value ?? 0));
        return values.length >= 3;
      },
      'three reports',
      4000,
    );
    expect(values.reduce((sum, v) => sum + v, 0)).toBe(3);
  });

  it('§13 — a Capacity Optimizer gets UpdateAssetMeasurements: one CHARGING asset per group', async () => {
    fp = await FpRig.start({
      peers: [{ id: 'opt', role: 'CO', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0, measurementIntervalS: 1 }],
      groups: [{ id: 'site-42', safeLimitA: 16 }],
      adapter: { groupEnergyWh: () => 4200 },
    });
    await fp.send('register', { token: BOOTSTRAP, body: registerBody('co-token', cp.baseUrl) });
    const token = tokenOf(await cp.waitFor('register'));
    const handshake = await cp.waitFor('handshake');
    await fp.send('handshake_acknowledge', { token, correlationId: String(handshake.headers['x-request-id']), body: {} });
    const report = await cp.waitFor('update_asset_measurements', 1, 3000);
    expectWireValid('update-asset-measurements', report.body);
    expect(UpdateAssetMeasurements.parse(report.body)).toEqual({
      group_id: 'site-42',
      measurements: [
        {
          asset_id: 'site-42',
          asset_category: 'CHARGING',
          energy_measurement: expect.objectContaining({ value: 4.2, unit: 'KWH', direction: 'IMPORT' }),
        },
      ],
    });
  });
});
