// UpdateGroupMeasurements / UpdateAssetMeasurements over real HTTP (digest §7, §15 item 10): on the peer's
// cadence, CONTINUOUS or INTERMITTENT as its handshake asked, always one item (zero when nothing was used).
import { z } from 'zod';
import { wireTimeMs } from '../../../src/oscp/wire-time';
import { UpdateAssetMeasurements, UpdateGroupMeasurements } from '../../../src/oscp/schemas';
import { expectWireValid } from '../../unit/oscp/helpers/json-schemas';
import { BOOTSTRAP, connect, drained, FpRig, PeerStub, registerBody, tokenOf, type Received } from './harness';

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
  /** Runs the clock to the next whole second (the 1 s cadence); resolves with the `count`-th report at the CP. */
  const nextReport = async (count: number): Promise<Received> => {
    fp.advanceTo((Math.floor(fp.clock.nowMs() / 1000) + 1) * 1000);
    return cp.waitFor('update_group_measurements', count);
  };

  it('§7 CONTINUOUS — the cumulative register in kWh every interval, zero while nothing was used', async () => {
    await startFp();
    await connect(fp, cp, { measurement_configuration: ['CONTINUOUS'] });
    const first = groupReport(await nextReport(1));
    expect(first).toEqual({
      group_id: 'site-42',
      measurements: [
        { value: 0, phase: 'ALL', unit: 'KWH', direction: 'IMPORT', energy_type: 'TOTAL', measure_time: expect.stringMatching(/Z$/) },
      ],
    });
    energyWh = 1234.4;
    fp.advance(999);
    expect(fp.sentOf('update_group_measurements')).toHaveLength(1);
    const second = groupReport(await nextReport(2));
    expect(second.measurements[0]?.value).toBe(1.234);
    expect(second.measurements[0]).not.toHaveProperty('initial_measure_time');
    const [a, b] = [first, second].map((r) => wireTimeMs(r.measurements[0]?.measure_time ?? ''));
    expect((b ?? 0) - (a ?? 0)).toBe(1000);
    // UTC-aligned to the interval (SolarNetwork): each report at a whole second.
    expect((a ?? 0) % 1000).toBe(0);
  });

  it('§7 INTERMITTENT — the energy of each period with initial_measure_time = the previous report', async () => {
    await startFp();
    await connect(fp, cp, { measurement_configuration: ['INTERMITTENT'] });
    energyWh = 500;
    const first = groupReport(await nextReport(1)).measurements[0];
    energyWh = 2500;
    const second = groupReport(await nextReport(2)).measurements[0];
    const third = groupReport(await nextReport(3)).measurements[0];
    expect(first?.value).toBe(0.5);
    expect(second?.value).toBe(2);
    expect(third?.value).toBe(0);
    expect(second?.initial_measure_time).toBe(first?.measure_time);
    expect(third?.initial_measure_time).toBe(second?.measure_time);
  });

  it('§6.2 — nothing is reported before the handshake', async () => {
    await startFp();
    await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', cp.baseUrl) });
    fp.advance(fp.followUpDelayMs);
    await cp.waitFor('register');
    // Three report instants pass; a report would now be leaving (in `sent`) or still queued.
    fp.advance(3000);
    expect(fp.sentOf('update_group_measurements')).toEqual([]);
    expect(fp.store.outbox.pending().filter((m) => m.path === 'update_group_measurements')).toEqual([]);
  });

  it('invariant 3 — an INTERMITTENT period is neither lost nor counted twice across a restart', async () => {
    await startFp();
    await connect(fp, cp, { measurement_configuration: ['INTERMITTENT'] });
    await nextReport(1);
    await drained(fp);
    energyWh = 3000;
    await fp.restart();
    await nextReport(2);
    await nextReport(3);
    const values = cp.of('update_group_measurements').map((r) => groupReport(r).measurements[0]?.value ?? 0);
    expect(values).toEqual([0, 3, 0]);
  });

  it('§13 — a Capacity Optimizer gets UpdateAssetMeasurements: one CHARGING asset per group', async () => {
    fp = await FpRig.start({
      peers: [{ id: 'opt', role: 'CO', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0, measurementIntervalS: 1 }],
      groups: [{ id: 'site-42', safeLimitA: 16 }],
      adapter: { groupEnergyWh: () => 4200 },
    });
    await fp.send('register', { token: BOOTSTRAP, body: registerBody('co-token', cp.baseUrl) });
    fp.advance(fp.followUpDelayMs);
    const token = tokenOf(await cp.waitFor('register'));
    const handshake = await cp.waitFor('handshake');
    await fp.send('handshake_acknowledge', { token, correlationId: String(handshake.headers['x-request-id']), body: {} });
    fp.advanceTo((Math.floor(fp.clock.nowMs() / 1000) + 1) * 1000);
    const report = await cp.waitFor('update_asset_measurements');
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
