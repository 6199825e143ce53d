// The CP simulator against a strict FP stub over real HTTP on 127.0.0.1: registration in both directions
// (§6.1), token rotation and unregistering, handshake with X-Correlation-ID (§6.2), heartbeats (§6.3).
import { startCapacityProvider, type CapacityProvider, type CapacityProviderOptionsInput } from '../../../../simulators/oscp-cp';
import { FpStub } from './fp-stub';

const FAST: CapacityProviderOptionsInput = {
  port: 0,
  replyDelayMs: 10,
  handshakeDelayMs: 10,
  retries: 0,
  timeoutMs: 2000,
  heartbeatIntervalS: 30,
};

let cp: CapacityProvider | undefined;
let fp: FpStub | undefined;

afterEach(async () => {
  await cp?.close();
  await fp?.close();
  cp = undefined;
  fp = undefined;
});

async function start(
  cpOptions: CapacityProviderOptionsInput = {},
  heartbeatIntervalS?: number,
): Promise<{ cp: CapacityProvider; fp: FpStub }> {
  cp = await startCapacityProvider({ ...FAST, ...cpOptions });
  fp = await FpStub.start({
    bootstrapToken: 'fp-issued-bootstrap-token',
    ...(heartbeatIntervalS === undefined ? {} : { heartbeatIntervalS }),
  });
  return { cp, fp };
}

describe('OSCP 2.0 §6.1 registration, CP first (the FP operator issued the bootstrap token)', () => {
  it('registers with the bootstrap token, takes the FP Register back with the new token, then handshakes', async () => {
    const { cp, fp } = await start();
    const result = await cp.registerWith(fp.baseUrl, 'fp-issued-bootstrap-token');
    expect(result.status).toBe(204);

    const register = await fp.waitFor('register');
    expect(register.headers['authorization']).toBe('Token fp-issued-bootstrap-token');
    expect(register.headers['x-request-id']).toBe(result.requestId);
    expect(register.body).toEqual({ token: expect.any(String), version_url: [{ version: '2.0', base_url: cp.baseUrl }] });
    expect(cp.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oscp\/cp\/2\.0$/);

    const state = await cp.waitForState((s) => s.handshakeDone);
    expect(state.registration).toBe('REGISTERED');
    expect(state.fpBaseUrl).toBe(fp.baseUrl);
    // The FP's Register reply used the token from our Register and correlated to it (pyoscp style).
    const reply = await cp.waitFor('register');
    expect(reply.headers['authorization']).toBe(`Token ${fp.tokenForCp}`);
    expect(reply.correlationId).toBe(result.requestId);
    expect(reply.body?.token).toBe(fp.ourToken);
    // No Register back from us: the FP's Register was the reply.
    expect(fp.accepted('register')).toHaveLength(1);

    const handshake = await fp.waitFor('handshake');
    expect(handshake.headers['authorization']).toBe(`Token ${fp.ourToken}`);
    expect(handshake.body).toEqual({ required_behaviour: { heartbeat_interval: 30, measurement_configuration: ['CONTINUOUS'] } });
    const ack = await cp.waitFor('handshake_acknowledge');
    expect(ack.correlationId).toBe(handshake.headers['x-request-id']);
    expect(ack.status).toBe(204);
  });

  it('returns the FP status and stays unregistered when the bootstrap token is wrong', async () => {
    const { cp, fp } = await start();
    const result = await cp.registerWith(fp.baseUrl, 'not-the-token');
    expect(result.status).toBe(403);
    expect(cp.state().registration).toBe('UNREGISTERED');
  });

  it('asks for INTERMITTENT measurements and no heartbeats when so configured', async () => {
    const { cp, fp } = await start({ measurementConfiguration: ['INTERMITTENT'], heartbeatIntervalS: 0 });
    await cp.registerWith(fp.baseUrl, 'fp-issued-bootstrap-token');
    const handshake = await fp.waitFor('handshake');
    expect(handshake.body).toEqual({ required_behaviour: { measurement_configuration: ['INTERMITTENT'] } });
  });
});

describe('OSCP 2.0 §6.1 registration, FP first (the CP issued the bootstrap token)', () => {
  it('accepts the FP Register, registers back with its own token and X-Correlation-ID, retires the bootstrap token', async () => {
    const { cp, fp } = await start();
    const bootstrap = cp.issueBootstrapToken();
    expect(bootstrap).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(await fp.registerWith(cp.baseUrl, bootstrap)).toBe(204);

    const back = await fp.waitFor('register');
    const initiating = cp.accepted('register')[0];
    expect(back.headers['authorization']).toBe(`Token ${fp.ourToken}`);
    expect(back.headers['x-correlation-id']).toBe(initiating?.requestId);
    expect(back.body).toEqual({ token: fp.tokenForCp, version_url: [{ version: '2.0', base_url: cp.baseUrl }] });
    expect(fp.tokenForCp).not.toBe(bootstrap);

    await cp.waitForState((s) => s.handshakeDone);
    // TOKEN_A is retired; TOKEN_C works.
    expect((await fp.send('heartbeat', { offline_mode_at: '2030-01-01T00:00:00Z' }, { token: bootstrap })).status).toBe(403);
    expect((await fp.send('heartbeat', { offline_mode_at: '2030-01-01T00:00:00Z' })).status).toBe(204);
  });

  it('accepts bootstrap tokens given in the options', async () => {
    const { cp, fp } = await start({ bootstrapTokens: ['operator-provisioned-token'] });
    expect(await fp.registerWith(cp.baseUrl, 'operator-provisioned-token')).toBe(204);
    await cp.waitForState((s) => s.registered);
  });

  it('answers 501 when the FP offers no version 2.0, and 403 to an unknown bootstrap token', async () => {
    const { cp, fp } = await start({ bootstrapTokens: ['operator-provisioned-token'] });
    fp.cpBaseUrl = cp.baseUrl;
    const body = { token: 'fp-token', version_url: [{ version: '2.1', base_url: fp.baseUrl }] };
    const noVersion = await fp.send('register', body, { token: 'operator-provisioned-token' });
    expect(noVersion.status).toBe(501);
    expect(JSON.parse(noVersion.text)).toEqual({ message: expect.stringContaining('no common OSCP version') });
    const unknown = await fp.send('register', { ...body, version_url: [{ version: '2.0', base_url: fp.baseUrl }] }, { token: 'guess' });
    expect(unknown.status).toBe(403);
    expect(cp.state().registration).toBe('UNREGISTERED');
  });
});

describe('OSCP 2.0 §6.1 token rotation and unregistering', () => {
  async function registered(): Promise<{ cp: CapacityProvider; fp: FpStub }> {
    const pair = await start();
    await pair.cp.registerWith(pair.fp.baseUrl, 'fp-issued-bootstrap-token');
    await pair.cp.waitForState((s) => s.handshakeDone);
    return pair;
  }

  it('CP rotation: PUT /register hands the FP a new token; the old one is refused afterwards', async () => {
    const { cp, fp } = await registered();
    const old = fp.tokenForCp;
    const result = await cp.rotateToken();
    expect(result.status).toBe(204);
    const put = await fp.waitFor('register', (r) => r.method === 'PUT');
    expect(put.headers['authorization']).toBe(`Token ${fp.ourToken}`);
    expect(fp.tokenForCp).not.toBe(old);
    expect((await fp.send('heartbeat', { offline_mode_at: '2030-01-01T00:00:00Z' }, { token: old ?? null })).status).toBe(403);
    expect((await fp.send('heartbeat', { offline_mode_at: '2030-01-01T00:00:00Z' })).status).toBe(204);
  });

  it('FP rotation: after the FP PUTs a new token, the CP presents it', async () => {
    const { cp, fp } = await registered();
    const fresh = 'fp-rotated-token-0123456789';
    const body = { token: fresh, version_url: [{ version: '2.0', base_url: fp.baseUrl }] };
    expect((await fp.send('register', body, { method: 'PUT' })).status).toBe(204);
    fp.ourToken = fresh;
    await cp.sendForecast({
      groupId: 'g-1',
      type: 'CONSUMPTION',
      blocks: [{ capacity: 16, phase: 'ALL', unit: 'A', start_time: '2030-01-01T00:00:00Z', end_time: '2030-01-01T00:15:00Z' }],
    });
    const forecast = await fp.waitFor('update_group_capacity_forecast');
    expect(forecast.headers['authorization']).toBe(`Token ${fresh}`);
  });

  it('DELETE /register from the FP unregisters: heartbeats stop, the token is refused', async () => {
    const { cp, fp } = await registered();
    const token = fp.tokenForCp ?? null;
    expect((await fp.send('register', undefined, { method: 'DELETE' })).status).toBe(204);
    expect(cp.state()).toMatchObject({ registration: 'UNREGISTERED', handshakeDone: false, heartbeats: { running: false } });
    expect((await fp.send('heartbeat', { offline_mode_at: '2030-01-01T00:00:00Z' }, { token })).status).toBe(403);
  });

  it('unregister() sends DELETE /register with a Register body and forgets the FP', async () => {
    const { cp, fp } = await registered();
    expect((await cp.unregister()).status).toBe(204);
    const deleted = await fp.waitFor('register', (r) => r.method === 'DELETE');
    expect(deleted.schemaErrors).toBeUndefined();
    expect(cp.state().registered).toBe(false);
    await expect(cp.handshake()).rejects.toThrow(/not registered/);
  });
});

describe('OSCP 2.0 §6.2/§6.3 handshake and heartbeats', () => {
  it('sends heartbeats at the interval the FP asked for, offline_mode_at = now + 2 × interval; stop and resume on command', async () => {
    const { cp, fp } = await start({}, 1);
    await cp.registerWith(fp.baseUrl, 'fp-issued-bootstrap-token');
    const first = await fp.waitFor('heartbeat');
    const second = await fp.waitFor('heartbeat', (r) => r !== first, 2500);
    expect(second.atMs - first.atMs).toBeGreaterThan(800);
    expect(second.atMs - first.atMs).toBeLessThan(2000);
    const body = second.body;
    if (typeof body !== 'object' || body === null || !('offline_mode_at' in body) || typeof body.offline_mode_at !== 'string') {
      throw new Error('heartbeat body without offline_mode_at');
    }
    expect(body.offline_mode_at).toMatch(/Z$/);
    expect(Date.parse(body.offline_mode_at) - second.atMs).toBeGreaterThan(1500);
    expect(Date.parse(body.offline_mode_at) - second.atMs).toBeLessThan(2500);
    expect(cp.state().heartbeats).toEqual({ intervalS: 1, running: true, held: false });

    cp.stopHeartbeats();
    const heldAt = Date.now();
    const countAtHold = fp.accepted('heartbeat').length;
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect(fp.accepted('heartbeat').length).toBe(countAtHold);
    expect(cp.state().heartbeats.held).toBe(true);

    cp.resumeHeartbeats();
    const resumed = await fp.waitFor('heartbeat', (r) => r.atMs > heldAt + 1600, 1500);
    expect(resumed.status).toBe(204);
  });

  it('records the FP heartbeats and tells when their offline_mode_at has passed', async () => {
    const { cp, fp } = await start();
    await cp.registerWith(fp.baseUrl, 'fp-issued-bootstrap-token');
    await cp.waitForState((s) => s.handshakeDone);
    expect(cp.state().fpOffline).toBeUndefined();
    const soon = new Date(Date.now() + 300).toISOString();
    expect((await fp.send('heartbeat', { offline_mode_at: soon })).status).toBe(204);
    expect(cp.state().lastHeartbeatFromFp?.offlineModeAt.toMillis()).toBe(Date.parse(soon));
    expect(cp.state().fpOffline).toBe(false);
    await cp.waitForState((s) => s.fpOffline === true, 2000);
  });

  it('answers a Handshake from the FP with a HandshakeAcknowledge carrying X-Correlation-ID and its own behaviour', async () => {
    const { cp, fp } = await start({ autoHandshake: false, heartbeatIntervalS: 45 });
    await cp.registerWith(fp.baseUrl, 'fp-issued-bootstrap-token');
    await cp.waitForState((s) => s.registered);
    const requestId = 'fp-handshake-1';
    const body = { required_behaviour: { heartbeat_interval: 20, measurement_configuration: [] } };
    expect((await fp.send('handshake', body, { requestId })).status).toBe(204);
    const ack = await fp.waitFor('handshake_acknowledge');
    expect(ack.headers['x-correlation-id']).toBe(requestId);
    expect(ack.body).toEqual({ required_behaviour: { heartbeat_interval: 45, measurement_configuration: ['CONTINUOUS'] } });
    const state = await cp.waitForState((s) => s.handshakeDone);
    expect(state.heartbeats.intervalS).toBe(20);
  });
});
