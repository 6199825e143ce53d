// The CP simulator's forecasts and its checks of what the FP sends, over real HTTP on 127.0.0.1 against the
// strict FP stub: forecasts (§7) are schema-valid, FP messages are recorded with headers, bad tokens get
// 401/403 and bad bodies 400 (§10).
import { DateTime } from 'luxon';
import {
  ForecastInputError,
  parseScenario,
  startCapacityProvider,
  type CapacityProvider,
  type CapacityProviderOptionsInput,
  type oscp,
} from '../../../../simulators/oscp-cp';
import { FpStub } from './fp-stub';

let cp: CapacityProvider | undefined;
let fp: FpStub | undefined;

afterEach(async () => {
  await cp?.close();
  await fp?.close();
  cp = undefined;
  fp = undefined;
});

/** CP and FP stub, registered CP first and handshaken. */
async function connected(options: CapacityProviderOptionsInput = {}): Promise<{ cp: CapacityProvider; fp: FpStub }> {
  cp = await startCapacityProvider({ port: 0, replyDelayMs: 10, handshakeDelayMs: 10, retries: 0, heartbeatIntervalS: 30, ...options });
  fp = await FpStub.start({ bootstrapToken: 'fp-issued-bootstrap-token' });
  await cp.registerWith(fp.baseUrl, 'fp-issued-bootstrap-token');
  await cp.waitForState((s) => s.handshakeDone || (s.registered && options.autoHandshake === false));
  return { cp, fp };
}

const inFuture = (minutes: number): string =>
  DateTime.utc().plus({ minutes }).startOf('minute').toISO({ suppressMilliseconds: true }) ?? '';
const block = (capacity: number, from = 15, to = 30): oscp.ForecastedBlock => ({
  capacity,
  phase: 'ALL',
  unit: 'A',
  start_time: inFuture(from),
  end_time: inFuture(to),
});
const measurement = (value: number): oscp.EnergyMeasurement => ({
  value,
  phase: 'ALL',
  unit: 'KWH',
  direction: 'IMPORT',
  measure_time: DateTime.utc().toISO() ?? '',
});

describe('OSCP 2.0 §7 UpdateGroupCapacityForecast from the CP', () => {
  it('sendForecast posts a schema-valid body with Token and X-Request-ID and returns the status and request id', async () => {
    const { cp, fp } = await connected();
    const result = await cp.sendForecast({
      groupId: 'g-1',
      type: 'CONSUMPTION',
      blocks: [block(32), block(16, 30, 45)],
      requestId: 'forecast-1',
    });
    expect(result).toEqual({ status: 204, requestId: 'forecast-1' });
    const got = await fp.waitFor('update_group_capacity_forecast');
    expect(got.schemaErrors).toBeUndefined();
    expect(got.headers['x-request-id']).toBe('forecast-1');
    expect(got.headers['authorization']).toBe(`Token ${fp.ourToken}`);
    expect(got.body).toEqual({ group_id: 'g-1', type: 'CONSUMPTION', forecasted_blocks: [block(32), block(16, 30, 45)] });
    expect(cp.state().forecastsSent).toBe(1);
  });

  it('refuses to send a forecast that is not schema-valid, and any forecast before registration', async () => {
    const { cp } = await connected();
    await expect(cp.sendForecast({ groupId: 'g-1', type: 'CONSUMPTION', blocks: [] })).rejects.toThrow(ForecastInputError);
    await expect(cp.sendForecast({ groupId: 'g-1', type: 'CONSUMPTION', blocks: [block(-1)] })).rejects.toThrow(/capacity/);
    await cp.unregister();
    await expect(cp.sendForecast({ groupId: 'g-1', type: 'CONSUMPTION', blocks: [block(1)] })).rejects.toThrow(/not registered/);
  });

  it('plays a scenario: day profile and FALLBACK_CONSUMPTION at once, the emergency cut at its offset, all schema-valid', async () => {
    const { cp, fp } = await connected();
    const scenario = parseScenario({
      groupId: 'g-1',
      forecasts: [
        { type: 'CONSUMPTION', capacity: 63, steps: [{ fromMinute: 60, capacity: 40 }] },
        { type: 'FALLBACK_CONSUMPTION', capacity: 16 },
      ],
      emergencyCuts: [{ atMinute: 0.01, capacity: 6, durationMinutes: 30 }],
    });
    const startedMs = Date.now();
    const run = cp.runScenario(scenario, DateTime.utc());
    await run.done;
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(550);
    expect(run.outcomes.map((o) => [o.planned.type, o.result.status])).toEqual([
      ['CONSUMPTION', 204],
      ['FALLBACK_CONSUMPTION', 204],
      ['CONSUMPTION', 204],
    ]);
    const forecasts = fp.accepted('update_group_capacity_forecast');
    expect(forecasts).toHaveLength(3);
    for (const f of forecasts) expect(f.schemaErrors).toBeUndefined();
    expect(fp.requests.filter((r) => r.schemaErrors !== undefined)).toEqual([]);
    const cut = forecasts[2]?.body;
    expect(cut).toMatchObject({ type: 'CONSUMPTION', forecasted_blocks: [{ capacity: 6 }, { capacity: 6 }, { capacity: 6 }] });
    expect(cp.state().forecastsSent).toBe(3);
  });

  it('adjustAnswer "grant": answers an AdjustGroupCapacityForecast with the same blocks, correlated to it', async () => {
    const { fp } = await connected({ adjustAnswer: 'grant' });
    const adjust = { group_id: 'g-1', type: 'CONSUMPTION', forecasted_blocks: [block(50)] };
    expect((await fp.send('adjust_group_capacity_forecast', adjust, { requestId: 'adjust-1' })).status).toBe(204);
    const answer = await fp.waitFor('update_group_capacity_forecast');
    expect(answer.headers['x-correlation-id']).toBe('adjust-1');
    expect(answer.body).toEqual(adjust);
  });
});

describe('OSCP 2.0 §7 messages from the FP are recorded', () => {
  it('UpdateGroupMeasurements, AdjustGroupCapacityForecast and GroupCapacityComplianceError with headers and bodies', async () => {
    const { cp, fp } = await connected();
    const measurements = { group_id: 'g-1', measurements: [measurement(12.5)] };
    expect((await fp.send('update_group_measurements', measurements, { requestId: 'm-1' })).status).toBe(204);
    const adjust = { group_id: 'g-1', type: 'CONSUMPTION', forecasted_blocks: [block(50)] };
    expect((await fp.send('adjust_group_capacity_forecast', adjust, { requestId: 'a-1' })).status).toBe(204);
    const forecast = await cp.sendForecast({ groupId: 'g-1', type: 'CONSUMPTION', blocks: [block(10)] });
    const compliance = { message: 'cannot go below 16 A: EVs need their minimum', forecasted_blocks: [block(10)] };
    const complianceStatus = await fp.send('group_capacity_compliance_error', compliance, { correlationId: forecast.requestId });
    expect(complianceStatus.status).toBe(204);

    const m = await cp.waitFor('update_group_measurements', (msg) => msg.body.group_id === 'g-1');
    expect(m.requestId).toBe('m-1');
    expect(m.headers['authorization']).toBe(`Token ${fp.tokenForCp}`);
    expect(m.body.measurements[0]?.value).toBe(12.5);
    expect(m.receivedAt.isValid).toBe(true);
    const a = await cp.waitFor('adjust_group_capacity_forecast');
    expect(a.body).toEqual(adjust);
    const c = await cp.waitFor('group_capacity_compliance_error');
    expect(c.correlationId).toBe(forecast.requestId);
    expect(c.body.message).toMatch(/16 A/);
    expect(cp.accepted('update_group_measurements')).toHaveLength(1);
    expect(cp.summary()).toEqual(
      expect.arrayContaining([
        { direction: 'in', kind: 'update_group_measurements', status: 204, count: 1 },
        { direction: 'out', kind: 'update_group_capacity_forecast', status: 204, count: 1 },
      ]),
    );
  });

  it('waitFor gives up after its timeout', async () => {
    const { cp } = await connected();
    await expect(cp.waitFor('update_group_measurements', undefined, 50)).rejects.toThrow(/within 50 ms/);
  });
});

describe('OSCP 2.0 §4/§10 the CP refuses what a strict peer refuses', () => {
  it('401 without Authorization, 403 for an unknown token or another scheme; all recorded', async () => {
    const { cp, fp } = await connected();
    const hb = { offline_mode_at: inFuture(1) };
    expect((await fp.send('heartbeat', hb, { token: null })).status).toBe(401);
    expect((await fp.send('heartbeat', hb, { token: 'guessed' })).status).toBe(403);
    expect((await fp.send('heartbeat', hb, { authorization: `Bearer ${fp.tokenForCp}` })).status).toBe(403);
    expect((await fp.send('heartbeat', hb, { authorization: `token ${fp.tokenForCp}` })).status).toBe(403);
    expect(cp.received('heartbeat').map((m) => m.status)).toEqual([401, 403, 403, 403]);
    expect(cp.received('heartbeat').every((m) => !m.accepted)).toBe(true);
  });

  it.each<[string, string, unknown, Parameters<FpStub['send']>[2], RegExp]>([
    ['no X-Request-ID', 'heartbeat', { offline_mode_at: '2030-01-01T00:00:00Z' }, { requestId: null }, /X-Request-ID/],
    ['naive offline_mode_at', 'heartbeat', { offline_mode_at: '2030-01-01 00:00:00' }, {}, /offline_mode_at/],
    ['malformed JSON', 'heartbeat', undefined, { rawBody: '{"offline_mode_at":' }, /not JSON/],
    ['wrong Content-Type', 'heartbeat', undefined, { rawBody: '{}', contentType: 'text/plain' }, /Content-Type/],
    ['no body', 'update_group_measurements', undefined, {}, /body missing/],
    ['empty measurements', 'update_group_measurements', { group_id: 'g-1', measurements: [] }, {}, /measurements/],
    [
      'capacity as a string',
      'adjust_group_capacity_forecast',
      { group_id: 'g', type: 'CONSUMPTION', forecasted_blocks: [{ ...block(1), capacity: '1' }] },
      {},
      /capacity/,
    ],
    ['unknown forecast type', 'adjust_group_capacity_forecast', { group_id: 'g', type: 'MAX', forecasted_blocks: [block(1)] }, {}, /type/],
    ['compliance without X-Correlation-ID', 'group_capacity_compliance_error', { message: 'no' }, {}, /X-Correlation-ID header missing/],
    [
      'compliance about no forecast of ours',
      'group_capacity_compliance_error',
      { message: 'no' },
      { correlationId: 'nope' },
      /does not match/,
    ],
    ['empty compliance message', 'group_capacity_compliance_error', { message: '' }, { correlationId: 'x' }, /message/],
    [
      'ack without X-Correlation-ID',
      'handshake_acknowledge',
      { required_behaviour: { measurement_configuration: [] } },
      {},
      /X-Correlation-ID/,
    ],
    [
      'behaviour without measurement_configuration',
      'handshake',
      { required_behaviour: { heartbeat_interval: 5 } },
      {},
      /measurement_configuration/,
    ],
  ])('400 for %s', async (_name, path, body, options, message) => {
    const { cp, fp } = await connected();
    const answer = await fp.send(path, body, options);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ message: expect.stringMatching(message) });
    const recorded = cp.received(path === 'handshake' ? 'handshake' : undefined).at(-1);
    expect(recorded).toMatchObject({ accepted: false, status: 400 });
  });

  it('403 for FP messages before the handshake, 400 for an unknown group and for INTERMITTENT without initial_measure_time', async () => {
    const { fp } = await connected({ autoHandshake: false, groups: ['g-1'], measurementConfiguration: ['INTERMITTENT'] });
    const measurements = { group_id: 'g-1', measurements: [measurement(1)] };
    expect((await fp.send('update_group_measurements', measurements)).status).toBe(403);
    expect((await fp.send('heartbeat', { offline_mode_at: inFuture(1) })).status).toBe(204);
    await cp?.handshake();
    await cp?.waitForState((s) => s.handshakeDone);
    const missing = await fp.send('update_group_measurements', measurements);
    expect(missing.status).toBe(400);
    expect(missing.text).toMatch(/initial_measure_time/);
    const withStart = { group_id: 'g-1', measurements: [{ ...measurement(1), initial_measure_time: DateTime.utc().toISO() }] };
    expect((await fp.send('update_group_measurements', withStart)).status).toBe(204);
    expect((await fp.send('update_group_measurements', { ...withStart, group_id: 'g-2' })).status).toBe(400);
  });

  it('404 for an unknown endpoint, 405 for a wrong method; both recorded', async () => {
    const { cp, fp } = await connected();
    expect((await fp.send('update_group_capacity_forecast', { group_id: 'g' })).status).toBe(404);
    expect((await fp.send('heartbeat', { offline_mode_at: inFuture(1) }, { method: 'PUT' })).status).toBe(405);
    expect(cp.received('unknown')).toHaveLength(1);
    expect(cp.received('heartbeat').at(-1)?.status).toBe(405);
  });

  it('sendRaw lets a test send what the CP would never send', async () => {
    const { cp, fp } = await connected();
    const result = await cp.sendRaw({ path: 'heartbeat', body: { offline_mode_at: 'tomorrow' }, requestId: null });
    expect(result.status).toBe(400);
    expect(result.error).toMatch(/X-Request-ID/);
    expect(fp.requests.at(-1)?.status).toBe(400);
    expect(cp.sent('raw')).toHaveLength(1);
  });
});
