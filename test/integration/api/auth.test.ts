// Operator API authentication over real HTTP: 401 with challenges without or with unknown credentials, read vs
// admin roles (403, state unchanged), Basic users, ?token= only for the event stream, public docs, no secrets logged.
import { Problem } from '../../../src/api/response-schemas';
import { ADMIN_TOKEN, call, openEvents, READ_TOKEN, startRig, STATION_PASSWORD, USER, type Rig } from './harness';

describe('operator API — authentication and roles', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ autoRegister: false });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('answers 401 problem+json with Bearer and Basic challenges without credentials or with unknown ones', async () => {
    for (const options of [
      { token: null },
      { token: 'not-a-token-of-this-agent' },
      { basic: { username: USER.username, password: 'wrong-password!' } },
    ]) {
      const res = await call(rig, 'get', '/groups', options);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(String(res.headers['www-authenticate'])).toMatch(/Bearer realm="flexbridge".*Basic realm="flexbridge"/);
      expect(Problem.parse(res.data)).toMatchObject({ status: 401, title: 'Unauthorized' });
    }
  });

  it('lets the read role use every GET and refuses it changes with 403, changing nothing', async () => {
    for (const path of ['/groups', '/groups/g1', '/stations', '/sessions', '/peers', '/overrides'])
      expect((await call(rig, 'get', path, { token: READ_TOKEN })).status).toBe(200);
    const put = await call(rig, 'put', '/stations/RO-1', { token: READ_TOKEN, body: { groupId: 'g1' } });
    expect(put.status).toBe(403);
    expect(Problem.parse(put.data).detail).toContain('needs admin');
    expect((await call(rig, 'get', '/stations/RO-1', { token: READ_TOKEN })).status).toBe(404);
    const override = { kind: 'group-cap', groupId: 'g1', limitA: 10, expiresAtMs: Date.now() + 60_000 };
    expect((await call(rig, 'post', '/overrides', { token: READ_TOKEN, body: override })).status).toBe(403);
    expect((await call(rig, 'get', '/overrides', { token: READ_TOKEN })).data).toEqual([]);
    expect((await call(rig, 'post', '/peers/dso/register', { token: READ_TOKEN })).status).toBe(403);
  });

  it('lets the admin role change things, by token or as a Basic user', async () => {
    expect((await call(rig, 'put', '/stations/ADM-1', { token: ADMIN_TOKEN, body: { groupId: 'g1' } })).status).toBe(201);
    expect((await call(rig, 'put', '/stations/ADM-1', { basic: USER, body: { groupId: 'g2' } })).status).toBe(200);
    expect((await call(rig, 'delete', '/stations/ADM-1', { basic: USER })).status).toBe(204);
  });

  it('#17 item 6: accepts ?token= only from an EventSource (GET /events, Accept: text/event-stream), never logged', async () => {
    const eventSource = { Accept: 'text/event-stream' };
    expect((await call(rig, 'get', `/groups?token=${READ_TOKEN}`, { token: null })).status).toBe(401);
    const stream = openEvents(rig, { query: `?token=${READ_TOKEN}`, headers: eventSource });
    try {
      expect(await stream.status).toBe(200);
    } finally {
      stream.close();
    }
    // The event stream's path, but not an EventSource: the header is the only way.
    const notEventSource = openEvents(rig, { query: `?token=${READ_TOKEN}` });
    expect(await notEventSource.status).toBe(401);
    notEventSource.close();
    const refused = openEvents(rig, { query: '?token=guess-guess-guess-guess', headers: eventSource });
    expect(await refused.status).toBe(401);
    refused.close();
    expect(rig.logText()).not.toContain(READ_TOKEN);
    expect(rig.logText()).not.toContain('guess-guess-guess-guess');
  });

  it('serves the OpenAPI document and the docs page without credentials', async () => {
    const doc = await call(rig, 'get', '/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.data).toMatchObject({ openapi: '3.1.0' });
    const page = await call(rig, 'get', '/docs', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(String(page.data)).toContain('/api/v1/groups/:id/plan');
  });

  it('never logs a token or a password', async () => {
    await call(rig, 'put', '/stations/SECRET-1', { body: { groupId: 'g1', password: STATION_PASSWORD } });
    await call(rig, 'get', '/groups', { token: 'an-unknown-token-that-must-not-be-logged' });
    const text = rig.logText();
    expect(text).toContain('station changed through the operator API');
    for (const secret of [READ_TOKEN, ADMIN_TOKEN, USER.password, STATION_PASSWORD, 'an-unknown-token-that-must-not-be-logged'])
      expect(text).not.toContain(secret);
  });
});

describe('operator API — without configured credentials', () => {
  it('answers 401 to everything and warns at start', async () => {
    const rig = await startRig({ autoRegister: false, api: {} });
    try {
      const res = await call(rig, 'get', '/groups', { token: 'any-token-at-all-0123456789' });
      expect(res.status).toBe(401);
      expect(Problem.parse(res.data).detail).toContain('no tokens or users configured');
      expect(rig.logs().some((l) => l.level === 'warn' && String(l.message).includes('operator API has no tokens or users'))).toBe(true);
    } finally {
      await rig.close();
    }
  });
});
