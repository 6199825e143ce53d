// #16 items 2 and 3 over real sockets: a strict ocpp-rpc station (2.0.1 and 1.6J) against the whole agent. The trace
// keeps both directions with ids, resolves answers to their action, redacts secrets, streams a traced station live;
// remote actions go out in the station's own version, through its queue, and never clear flexbridge's own limits.
import { z } from 'zod';
import { Problem } from '../../../src/api/response-schemas';
import { StationAnswer, StationTrace, FrameEvent } from '../../../src/api/station-ocpp-schemas';
import { boot, connectStation, PASSWORD, type FakeStation } from '../ocpp/harness';
import { boot16, connectStation16, type Station16 } from '../ocpp/harness-v16';
import { call, eventually, openEvents, READ_TOKEN, startRig, type Rig } from './harness';

const SECRET = 'new-basic-auth-password-0042';

async function bootAccepted(station: FakeStation): Promise<void> {
  const first = (await boot(station)) as { status: string };
  if (first.status === 'Accepted') return;
  await eventually(() => station.triggers.includes('BootNotification'), 20_000);
  await boot(station);
}

describe('operator API — station trace and remote actions', () => {
  let rig: Rig;
  let station: FakeStation;
  const received: { action: string; params: unknown }[] = [];
  beforeAll(async () => {
    rig = await startRig({ autoRegister: true });
    station = await connectStation(`ws://127.0.0.1:${rig.agent.ocppPort}/ocpp`, { identity: 'TR-1', password: PASSWORD });
    for (const action of ['Reset', 'UnlockConnector', 'ChangeAvailability', 'SetVariables', 'GetBaseReport', 'ClearChargingProfile']) {
      station.client.handle(action, async ({ params }) => {
        received.push({ action, params });
        if (action === 'SetVariables') {
          const data = (params as { setVariableData: { component: unknown; variable: unknown }[] }).setVariableData;
          return { setVariableResult: data.map((d) => ({ attributeStatus: 'Accepted', component: d.component, variable: d.variable })) };
        }
        if (action === 'UnlockConnector') return { status: 'Unlocked' };
        return { status: 'Accepted' };
      });
    }
    await bootAccepted(station);
    // From now on the station says how many items it takes per Get/SetVariables (DeviceDataCtrlr.ItemsPerMessage).
    station.client.handle('GetVariables', async ({ params }) => {
      const data = (params as { getVariableData: { component: { name: string }; variable: { name: string; instance?: string } }[] })
        .getVariableData;
      received.push({ action: 'GetVariables', params });
      const items: Record<string, string> = { GetVariables: '4', SetVariables: '2' };
      return {
        getVariableResult: data.map((d) => ({
          attributeStatus: 'Accepted',
          attributeValue: d.variable.name === 'ItemsPerMessage' ? (items[d.variable.instance ?? ''] ?? '1') : 'x',
          component: d.component,
          variable: d.variable,
        })),
      };
    });
  }, 30_000);
  afterAll(async () => {
    await station.client.close({ force: true });
    await rig.close();
  });

  const trace = async (id = 'TR-1'): Promise<StationTrace> => StationTrace.parse((await call(rig, 'get', `/stations/${id}/trace`)).data);

  test('every station keeps a small ring of both directions, ids and times; an answer names the CALL it answers', async () => {
    const t = await trace();
    expect(t).toMatchObject({ stationId: 'TR-1', enabled: false, capacity: 20 });
    expect(t.frames.length).toBeGreaterThan(2);
    expect(t.frames.length).toBeLessThanOrEqual(20);
    const bootCall = t.frames.find((f) => f.messageType === 'CALL' && f.action === 'BootNotification' && f.direction === 'in');
    expect(bootCall?.messageId).toBeDefined();
    const bootAnswer = t.frames.find((f) => f.messageType === 'CALLRESULT' && f.messageId === bootCall?.messageId);
    expect(bootAnswer).toMatchObject({ direction: 'out', leg: 'station', action: 'BootNotification' });
    expect(t.frames.some((f) => f.direction === 'out' && f.messageType === 'CALL')).toBe(true);
    const times = t.frames.map((f) => Date.parse(f.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  test('NDJSON download: one frame per line, as an attachment', async () => {
    const res = await call(rig, 'get', '/stations/TR-1/trace?format=ndjson');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="trace-TR-1-.*\.ndjson"$/);
    const lines = String(res.data).trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.length).toBeLessThanOrEqual(20);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('stationId', 'TR-1');
  });

  test('a traced station streams station.frame live; SetVariables of BasicAuthPassword is redacted in the trace, the stream and the log', async () => {
    expect((await call(rig, 'put', '/stations/TR-1/trace', { body: { enabled: true }, token: READ_TOKEN })).status).toBe(403);
    const on = await call(rig, 'put', '/stations/TR-1/trace', { body: { enabled: true, capacity: 500 } });
    expect(on.status).toBe(200);
    expect(on.data).toMatchObject({ enabled: true, capacity: 500 });
    const events = openEvents(rig, { headers: { Authorization: `Bearer ${READ_TOKEN}` } });
    expect(await events.status).toBe(200);
    const res = await call(rig, 'post', '/stations/TR-1/actions', {
      body: {
        action: 'SetVariables',
        variables: [{ component: { name: 'SecurityCtrlr' }, variable: { name: 'BasicAuthPassword' }, attributeValue: SECRET }],
      },
    });
    expect(res.status).toBe(200);
    expect(StationAnswer.parse(res.data)).toMatchObject({ action: 'SetVariables', protocol: '2.0.1' });
    // The station got the real value; nobody else sees it.
    expect(JSON.stringify(received.find((r) => r.action === 'SetVariables'))).toContain(SECRET);
    const frames = await eventually(
      () => {
        const list = events.events.filter((e) => e.event === 'station.frame').map((e) => FrameEvent.parse(e.data));
        return list.some((f) => f.messageType === 'CALLRESULT' && f.action === 'SetVariables') && list;
      },
      10_000,
      'SetVariables frames streamed',
    );
    events.close();
    const sent = frames.find((f) => f.messageType === 'CALL' && f.action === 'SetVariables');
    expect(sent).toMatchObject({ stationId: 'TR-1', direction: 'out', leg: 'station' });
    expect(JSON.stringify(sent?.payload)).toContain('[redacted]');
    expect(events.text()).not.toContain(SECRET);
    expect(JSON.stringify((await call(rig, 'get', '/stations/TR-1/trace')).data)).not.toContain(SECRET);
    expect(String((await call(rig, 'get', '/stations/TR-1/trace?format=ndjson')).data)).not.toContain(SECRET);
    expect(rig.logText()).not.toContain(SECRET);
    const audit = rig
      .logs()
      .find((l) => l.message === 'remote action sent to a station through the operator API' && l.action === 'SetVariables');
    expect(audit).toMatchObject({ stationId: 'TR-1', by: 'ops-admin', outcome: 'result' });

    const off = await call(rig, 'put', '/stations/TR-1/trace', { body: { enabled: false } });
    expect(off.data).toMatchObject({ enabled: false, capacity: 20 });
    expect((await trace()).frames.length).toBeLessThanOrEqual(20);
  });

  test('Reset, UnlockConnector, ChangeAvailability and GetBaseReport go out in 2.0.1 terms and answer what the station said', async () => {
    const reset = await call(rig, 'post', '/stations/TR-1/actions', { body: { action: 'Reset', type: 'Soft' } });
    expect(reset.status).toBe(200);
    expect(received.find((r) => r.action === 'Reset')?.params).toEqual({ type: 'OnIdle' });
    const unlock = await call(rig, 'post', '/stations/TR-1/actions', { body: { action: 'UnlockConnector', evseId: 1, connectorId: 1 } });
    expect(StationAnswer.parse(unlock.data).response).toEqual({ status: 'Unlocked' });
    await call(rig, 'post', '/stations/TR-1/actions', { body: { action: 'ChangeAvailability', operational: false, evseId: 1 } });
    expect(received.find((r) => r.action === 'ChangeAvailability')?.params).toEqual({ operationalStatus: 'Inoperative', evse: { id: 1 } });
    await call(rig, 'post', '/stations/TR-1/actions', { body: { action: 'GetBaseReport' } });
    expect(received.find((r) => r.action === 'GetBaseReport')?.params).toMatchObject({ reportBase: 'SummaryInventory' });
    const v16only = await call(rig, 'post', '/stations/TR-1/actions', { body: { action: 'GetConfiguration' } });
    expect(v16only.status).toBe(409);
    expect(Problem.parse(v16only.data).detail).toMatch(/2\.0\.1: use GetVariables/);
  });

  test("GetVariables is batched by the station's ItemsPerMessage and the results joined", async () => {
    const before = received.filter((r) => r.action === 'GetVariables').length;
    const res = await call(rig, 'post', '/stations/TR-1/actions', {
      body: {
        action: 'GetVariables',
        variables: ['ProfileStackLevel', 'PeriodsPerSchedule', 'RateUnit', 'Entries', 'Available', 'Enabled', 'X1', 'X2', 'X3'].map(
          (name) => ({ component: { name: 'SmartChargingCtrlr' }, variable: { name } }),
        ),
      },
    });
    expect(res.status).toBe(200);
    const results = z
      .object({ getVariableResult: z.array(z.object({ attributeStatus: z.string() })) })
      .parse(StationAnswer.parse(res.data).response);
    expect(results.getVariableResult).toHaveLength(9);
    // ItemsPerMessage was read once for this connection (at the SetVariables before): 9 items in batches of 4.
    const batches = received.filter((r) => r.action === 'GetVariables').slice(before);
    expect(batches.map((b) => (b.params as { getVariableData: unknown[] }).getVariableData.length)).toEqual([4, 4, 1]);
  });

  test("ClearChargingProfile never reaches flexbridge's own limits; other criteria go out", async () => {
    const own = await call(rig, 'post', '/stations/TR-1/actions', {
      body: { action: 'ClearChargingProfile', chargingProfileId: 9_100_002 },
    });
    expect(own.status).toBe(409);
    expect(Problem.parse(own.data).detail).toMatch(/flexbridge's own/);
    const all = await call(rig, 'post', '/stations/TR-1/actions', { body: { action: 'ClearChargingProfile' } });
    expect(all.status).toBe(409);
    const standing = await call(rig, 'post', '/stations/TR-1/actions', {
      body: { action: 'ClearChargingProfile', chargingProfilePurpose: 'TxDefaultProfile', stackLevel: 0 },
    });
    expect(standing.status).toBe(409);
    const rawAll = await call(rig, 'post', '/stations/TR-1/ocpp', { body: { action: 'ClearChargingProfile', payload: {} } });
    expect(rawAll.status).toBe(409);
    expect(received.filter((r) => r.action === 'ClearChargingProfile')).toHaveLength(0);
    const theirs = await call(rig, 'post', '/stations/TR-1/actions', {
      body: { action: 'ClearChargingProfile', chargingProfilePurpose: 'TxProfile', stackLevel: 2 },
    });
    expect(theirs.status).toBe(200);
    expect(received.find((r) => r.action === 'ClearChargingProfile')?.params).toEqual({
      chargingProfileCriteria: { chargingProfilePurpose: 'TxProfile', stackLevel: 2 },
    });
  });

  test('the raw call: schema-checked (400 naming the field), CSMS actions only, CALLERROR as 502, read role 403, offline 409', async () => {
    const bad = await call(rig, 'post', '/stations/TR-1/ocpp', { body: { action: 'Reset', payload: { type: 'Sometimes' } } });
    expect(bad.status).toBe(400);
    expect(Problem.parse(bad.data).errors?.[0]?.path).toBe('payload.type');
    const inbound = await call(rig, 'post', '/stations/TR-1/ocpp', { body: { action: 'BootNotification', payload: {} } });
    expect(inbound.status).toBe(409);
    expect(Problem.parse(inbound.data).detail).toMatch(/not an action a CSMS sends/);
    const notImplemented = await call(rig, 'post', '/stations/TR-1/ocpp', { body: { action: 'ClearCache', payload: {} } });
    expect(notImplemented.status).toBe(502);
    expect(Problem.parse(notImplemented.data).detail).toMatch(/ClearCache with CALLERROR NotImplemented/);
    const ok = await call(rig, 'post', '/stations/TR-1/ocpp', { body: { action: 'Reset', payload: { type: 'Immediate' } } });
    expect(StationAnswer.parse(ok.data).response).toEqual({ status: 'Accepted' });
    expect(
      (await call(rig, 'post', '/stations/TR-1/ocpp', { body: { action: 'Reset', payload: { type: 'Immediate' } }, token: READ_TOKEN }))
        .status,
    ).toBe(403);
    expect((await call(rig, 'post', '/stations/NOPE/ocpp', { body: { action: 'Reset', payload: { type: 'Immediate' } } })).status).toBe(
      404,
    );
    expect((await call(rig, 'put', '/stations/OFF-1', { body: { groupId: 'g1', password: 'offline-station-pass-01' } })).status).toBe(201);
    const offline = await call(rig, 'post', '/stations/OFF-1/actions', { body: { action: 'Reset' } });
    expect(offline.status).toBe(409);
    expect(Problem.parse(offline.data).detail).toMatch(/not connected/);
  });
});

describe('operator API — remote actions on an OCPP 1.6J station', () => {
  let rig: Rig;
  let station: Station16;
  const received: { action: string; params: unknown }[] = [];
  beforeAll(async () => {
    rig = await startRig({ autoRegister: true });
    station = await connectStation16(`ws://127.0.0.1:${rig.agent.ocppPort}/ocpp`, { identity: 'V16-1', password: PASSWORD });
    for (const action of ['Reset', 'ClearChargingProfile', 'ChangeConfiguration', 'GetCompositeSchedule']) {
      station.client.handle(action, async ({ params }) => {
        received.push({ action, params });
        return { status: 'Accepted' };
      });
    }
    const first = await boot16(station);
    if (first.status !== 'Accepted') {
      await eventually(() => station.triggers.includes('BootNotification'), 20_000);
      await boot16(station);
    }
  }, 30_000);
  afterAll(async () => {
    await station.client.close({ force: true });
    await rig.close();
  });

  test('Reset Immediate is Hard, ChangeConfiguration of AuthorizationKey is redacted in the trace, GetVariables is refused', async () => {
    await eventually(
      async () =>
        StationAnswer.safeParse((await call(rig, 'post', '/stations/V16-1/actions', { body: { action: 'Reset', type: 'Immediate' } })).data)
          .success,
    );
    expect(received.find((r) => r.action === 'Reset')?.params).toEqual({ type: 'Hard' });
    const key = Buffer.from(SECRET).toString('hex');
    const change = await call(rig, 'post', '/stations/V16-1/actions', {
      body: { action: 'ChangeConfiguration', key: 'AuthorizationKey', value: key },
    });
    expect(change.status).toBe(200);
    expect(JSON.stringify((await call(rig, 'get', '/stations/V16-1/trace')).data)).not.toContain(key);
    expect(rig.logText()).not.toContain(key);
    const vars = await call(rig, 'post', '/stations/V16-1/actions', {
      body: { action: 'GetVariables', variables: [{ component: { name: 'X' }, variable: { name: 'Y' } }] },
    });
    expect(vars.status).toBe(409);
    expect(Problem.parse(vars.data).detail).toMatch(/1\.6: use GetConfiguration/);
  });

  test('1.6: an empty ClearChargingProfile (everything) and ChargePointMaxProfile at stack 0 are refused; GetCompositeSchedule takes a connectorId', async () => {
    expect((await call(rig, 'post', '/stations/V16-1/ocpp', { body: { action: 'ClearChargingProfile', payload: {} } })).status).toBe(409);
    expect(
      (
        await call(rig, 'post', '/stations/V16-1/ocpp', {
          body: { action: 'ClearChargingProfile', payload: { chargingProfilePurpose: 'ChargePointMaxProfile', stackLevel: 0 } },
        })
      ).status,
    ).toBe(409);
    expect(
      (await call(rig, 'post', '/stations/V16-1/ocpp', { body: { action: 'ClearChargingProfile', payload: { connectorId: 1 } } })).status,
    ).toBe(409);
    expect(received.filter((r) => r.action === 'ClearChargingProfile')).toHaveLength(0);
    const composite = await call(rig, 'post', '/stations/V16-1/actions', {
      body: { action: 'GetCompositeSchedule', evseId: 1, durationS: 600 },
    });
    expect(composite.status).toBe(200);
    expect(received.find((r) => r.action === 'GetCompositeSchedule')?.params).toEqual({
      connectorId: 1,
      duration: 600,
      chargingRateUnit: 'A',
    });
    expect((await call(rig, 'post', '/stations/V16-1/actions', { body: { action: 'GetChargingProfiles' } })).status).toBe(409);
  });
});
