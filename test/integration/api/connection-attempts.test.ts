// Refused station connections, over real sockets and HTTP: the field engineer's first question ("why does my charger
// not connect?") answered by GET /api/v1/connection-attempts — time, address, identity, status, exact reason, no secret.
import { WebSocket } from 'ws';
import { ConnectionAttemptList } from '../../../src/api/response-schemas';
import { call, GROUP, READ_TOKEN, startRig, type Rig } from './harness';

function upgrade(url: string, authorization?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['ocpp2.0.1'], { headers: authorization ? { Authorization: authorization } : {} });
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(-1));
  });
}

describe('operator API — refused connections', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ autoRegister: false });
  });
  afterAll(async () => {
    await rig.close();
  });

  test('an unknown identity, a shared-template user name and a malformed identity are listed with their reasons', async () => {
    const ocpp = `ws://127.0.0.1:${rig.agent.ocppPort}/ocpp`;
    const secret = 'fleet-template-password-01';
    expect(await upgrade(`${ocpp}/NOT-KNOWN`, `Basic ${Buffer.from(`NOT-KNOWN:${secret}`).toString('base64')}`)).toBe(404);
    expect(await upgrade(`${ocpp}/NOT-KNOWN-EITHER`, `Basic ${Buffer.from(`fleet:${secret}`).toString('base64')}`)).toBe(404);
    expect(await upgrade(`${ocpp}/a:b`)).toBe(400);
    const all = ConnectionAttemptList.parse((await call(rig, 'get', '/connection-attempts', { token: READ_TOKEN })).data);
    expect(all.map((a) => [a.identity, a.status])).toEqual([
      ['a:b', 400],
      ['NOT-KNOWN-EITHER', 404],
      ['NOT-KNOWN', 404],
    ]);
    expect(all[2]?.reason).toMatch(/unknown station/);
    expect(all[0]?.remoteAddress).toMatch(/127\.0\.0\.1/);
    expect(JSON.stringify(all)).not.toContain(secret);
    const one = ConnectionAttemptList.parse(
      (await call(rig, 'get', '/connection-attempts?identity=NOT-KNOWN', { token: READ_TOKEN })).data,
    );
    expect(one).toHaveLength(1);

    // A known station provisioned from a shared template (one user name for many stations): 401, and exactly why.
    expect((await call(rig, 'put', '/stations/CS-T1', { body: { groupId: GROUP, password: 'station-t1-password-001' } })).status).toBe(201);
    expect(await upgrade(`${ocpp}/CS-T1`, `Basic ${Buffer.from(`fleet:${secret}`).toString('base64')}`)).toBe(401);
    const template = ConnectionAttemptList.parse(
      (await call(rig, 'get', '/connection-attempts?identity=CS-T1', { token: READ_TOKEN })).data,
    );
    expect(template[0]?.reason).toContain('Basic-auth user name "fleet" is not the station identity "CS-T1"');
    expect((await call(rig, 'get', '/connection-attempts?station=x', { token: READ_TOKEN })).status).toBe(400);
  });
});
