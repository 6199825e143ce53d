// UpdateGroupCapacityForecast over real HTTP (digest §7, §13): every type and unit into the book, stored before
// the 204, rebuilt after a restart; forwarded to a Capacity Optimizer whose OPTIMUM comes back; grid reports out.
import { DateTime } from 'luxon';
import { expectWireValid } from '../../unit/oscp/helpers/json-schemas';
import { BOOTSTRAP, connect, FpRig, PeerStub, registerBody, tokenOf, until } from './harness';

const CO_BOOTSTRAP = 'bootstrap-token-given-to-the-co';
const T0 = Date.parse('2030-05-01T13:00:00Z');
const at = (min: number): string => new Date(T0 + min * 60_000).toISOString();
const blocks = (unit: string, capacity: number, phase = 'ALL'): object[] => [
  { capacity, phase, unit, start_time: at(0), end_time: at(15) },
  { capacity: capacity / 2, phase, unit, start_time: at(15), end_time: at(30) },
];
const limitsA = (fp: FpRig, type: Parameters<FpRig['adapter']['forecasts']['blocks']>[1]): number[][] =>
  fp.adapter.forecasts.blocks('site-42', type, T0, T0 + 3_600_000).map((b) => b.limitA.map((a) => Math.round(a * 100) / 100));

describe('OSCP capacity forecasts (FP side)', () => {
  let cp: PeerStub;
  let fp: FpRig;
  let token: string;
  afterEach(async () => {
    await fp?.close();
    await cp?.close();
  });

  describe('from the CP', () => {
    beforeEach(async () => {
      cp = await PeerStub.start();
      fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0 }] });
      token = await connect(fp, cp);
    });

    it('§13 — every CapacityForecastType lands in its own series, normalised to amps per phase, with a forecastChanged event', async () => {
      const cases: [string, string, number, number[][]][] = [
        [
          'CONSUMPTION',
          'KW',
          22.08,
          [
            [32, 32, 32],
            [16, 16, 16],
          ],
        ],
        [
          'GENERATION',
          'W',
          6900,
          [
            [10, 10, 10],
            [5, 5, 5],
          ],
        ],
        [
          'FALLBACK_CONSUMPTION',
          'A',
          12,
          [
            [12, 12, 12],
            [6, 6, 6],
          ],
        ],
        [
          'FALLBACK_GENERATION',
          'KWH',
          1.38,
          [
            [8, 8, 8],
            [4, 4, 4],
          ],
        ],
        [
          'OPTIMUM',
          'WH',
          2760,
          [
            [16, 16, 16],
            [8, 8, 8],
          ],
        ],
      ];
      for (const [type, unit, capacity, expected] of cases) {
        const body = { group_id: 'site-42', type, forecasted_blocks: blocks(unit, capacity) };
        const answer = await fp.send('update_group_capacity_forecast', { token, requestId: `f-${type}`, body });
        expect(answer).toMatchObject({ status: 204, text: '' });
        expect(limitsA(fp, type as 'CONSUMPTION')).toEqual(expected);
        expect(fp.adapter.forecasts.requestIdAt('site-42', type as 'CONSUMPTION', T0)).toBe(`f-${type}`);
      }
      expect(fp.events.forecastChanged.map((e) => [e.type, e.requestId])).toEqual(cases.map(([type]) => [type, `f-${type}`]));
      // Core hears of each through its inbound port.
      expect(fp.inbound.filter((call) => call.kind === 'forecast')).toEqual(cases.map(() => ({ kind: 'forecast', groupId: 'site-42' })));
      expect(fp.store.forecasts.list({}).map((f) => [f.type, f.requestId, f.peerId, f.endsAt])).toEqual(
        cases.map(([type]) => [type, `f-${type}`, 'dso', at(30)]),
      );
      expect(await fp.counted('in', 'update_group_capacity_forecast', '204')).toBe(5);
    });

    it('§13 — per-phase blocks limit their own phase; an emergency forecast replaces only its span; any offset', async () => {
      const perPhase = [
        ...blocks('A', 20, 'ONE').slice(0, 1),
        ...blocks('A', 24, 'TWO').slice(0, 1),
        ...blocks('A', 28, 'THREE').slice(0, 1),
      ];
      await fp.send('update_group_capacity_forecast', {
        token,
        body: { group_id: 'site-42', type: 'CONSUMPTION', forecasted_blocks: perPhase },
      });
      expect(limitsA(fp, 'CONSUMPTION')).toEqual([[20, 24, 28]]);
      const plus8 = (min: number): string => DateTime.fromMillis(T0 + min * 60_000, { zone: 'UTC+8' }).toISO() ?? '';
      const emergency = [{ capacity: 6, phase: 'ALL', unit: 'A', start_time: plus8(5), end_time: plus8(10) }];
      const answer = await fp.send('update_group_capacity_forecast', {
        token,
        body: { group_id: 'site-42', type: 'CONSUMPTION', forecasted_blocks: emergency },
      });
      expect(answer.status).toBe(204);
      expect(limitsA(fp, 'CONSUMPTION')).toEqual([
        [20, 24, 28],
        [6, 6, 6],
        [20, 24, 28],
      ]);
    });

    it('invariant 3 — the book is rebuilt from the store after a restart', async () => {
      await fp.send('update_group_capacity_forecast', {
        token,
        requestId: 'day',
        body: { group_id: 'site-42', type: 'CONSUMPTION', forecasted_blocks: blocks('KW', 22.08) },
      });
      await fp.send('update_group_capacity_forecast', {
        token,
        requestId: 'fc',
        body: { group_id: 'site-42', type: 'FALLBACK_CONSUMPTION', forecasted_blocks: blocks('A', 10) },
      });
      const before = [limitsA(fp, 'CONSUMPTION'), limitsA(fp, 'FALLBACK_CONSUMPTION')];
      await fp.restart();
      expect([limitsA(fp, 'CONSUMPTION'), limitsA(fp, 'FALLBACK_CONSUMPTION')]).toEqual(before);
      expect(fp.adapter.forecasts.requestIdAt('site-42', 'CONSUMPTION', T0 + 60_000)).toBe('day');
    });

    it('§13 GroupCapacityComplianceError — X-Correlation-ID = the forecast’s X-Request-ID, blocks in the CP’s unit, schema-valid', async () => {
      await fp.send('update_group_capacity_forecast', {
        token,
        requestId: 'fc-17',
        body: { group_id: 'site-42', type: 'CONSUMPTION', forecasted_blocks: blocks('KW', 22.08) },
      });
      const [first] = fp.adapter.forecasts.blocks('site-42', 'CONSUMPTION', T0, T0 + 1);
      if (!first) throw new Error('no block');
      fp.adapter.grid.complianceError('site-42', 'fc-17', 'load that cannot be controlled exceeds the capacity', [first]);
      const error = await cp.waitFor('group_capacity_compliance_error');
      expect(error.headers).toMatchObject({ 'x-correlation-id': 'fc-17', authorization: 'Token cp-token-for-fp' });
      expectWireValid('group-capacity-compliance-error', error.body);
      expect(error.body).toEqual({
        message: 'load that cannot be controlled exceeds the capacity',
        forecasted_blocks: [{ capacity: 22.08, phase: 'ALL', unit: 'KW', start_time: at(0), end_time: at(15) }],
      });
    });

    it('§7 AdjustGroupCapacityForecast — CONSUMPTION blocks for the group, schema-valid', async () => {
      fp.adapter.grid.adjustForecast('site-42', [{ startMs: T0, endMs: T0 + 3_600_000, limitA: [40, 40, 40] }]);
      const adjust = await cp.waitFor('adjust_group_capacity_forecast');
      expectWireValid('adjust-group-capacity-forecast', adjust.body);
      expect(adjust.body).toEqual({
        group_id: 'site-42',
        type: 'CONSUMPTION',
        forecasted_blocks: [{ capacity: 40, phase: 'ALL', unit: 'A', start_time: at(0), end_time: at(60) }],
      });
    });
  });

  describe('with a Capacity Optimizer', () => {
    let co: PeerStub;
    let coToken: string;
    beforeEach(async () => {
      cp = await PeerStub.start();
      co = await PeerStub.start('/oscp/co/2.0');
      fp = await FpRig.start({
        peers: [
          { id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0 },
          { id: 'opt', role: 'CO', bootstrapToken: CO_BOOTSTRAP, heartbeatIntervalS: 0 },
        ],
      });
      token = await connect(fp, cp);
      // FP → CO handshake: the CO registers, we register back and send our Handshake, the CO acknowledges it.
      await fp.send('register', { token: CO_BOOTSTRAP, body: registerBody('co-token-for-fp', co.baseUrl) });
      fp.advance(fp.followUpDelayMs);
      coToken = tokenOf(await co.waitFor('register'));
      const handshake = await co.waitFor('handshake');
      const ack = { required_behaviour: { measurement_configuration: [] } };
      await fp.send('handshake_acknowledge', { token: coToken, correlationId: String(handshake.headers['x-request-id']), body: ack });
      await until(() => fp.peer('opt')?.state === 'CONNECTED', 'CO connected');
    });
    afterEach(async () => {
      await co?.close();
    });

    it('§13 — CP forecasts go to the CO unchanged under the same X-Request-ID; its OPTIMUM is accepted', async () => {
      const forecast = { group_id: 'site-42', type: 'CONSUMPTION', forecasted_blocks: blocks('KW', 22.08) };
      await fp.send('update_group_capacity_forecast', { token, requestId: 'cp-f1', body: forecast });
      const forwarded = await co.waitFor('update_group_capacity_forecast');
      expect(forwarded.headers).toMatchObject({ 'x-request-id': 'cp-f1', authorization: 'Token co-token-for-fp' });
      expect(forwarded.body).toEqual(forecast);
      expectWireValid('update-group-capacity-forecast', forwarded.body);

      const optimum = { group_id: 'site-42', type: 'OPTIMUM', forecasted_blocks: blocks('A', 14) };
      expect((await fp.send('update_group_capacity_forecast', { token: coToken, requestId: 'co-o1', body: optimum })).status).toBe(204);
      expect(limitsA(fp, 'OPTIMUM')).toEqual([
        [14, 14, 14],
        [7, 7, 7],
      ]);
      expect(fp.store.forecasts.list({}).map((f) => [f.type, f.peerId])).toEqual([
        ['CONSUMPTION', 'dso'],
        ['OPTIMUM', 'opt'],
      ]);
    });

    it('§13 — a CO may send only OPTIMUM (400, nothing stored)', async () => {
      const answer = await fp.send('update_group_capacity_forecast', {
        token: coToken,
        body: { group_id: 'site-42', type: 'CONSUMPTION', forecasted_blocks: blocks('A', 14) },
      });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.text)).toEqual({ message: expect.stringContaining('OPTIMUM') });
      expect(fp.store.forecasts.list({})).toEqual([]);
    });
  });
});
