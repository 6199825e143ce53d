// Issue #17 "limits" on the HTTP port (real agent, real sockets): failed API and OSCP authentication backs off per
// remote address (429 with Retry-After, the credential unchecked, counted), and half-open requests are cut off.
import net from 'node:net';
import axios from 'axios';
import express from 'express';
import { listenHttp } from '../../../src/api/http-listener';
import { call, READ_TOKEN, startRig, USER, type Rig } from './harness';

const counter = async (rig: Rig, name: string): Promise<Record<string, number>> => {
  const metric = await rig.agent.metrics.registry.getSingleMetric(name)?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [Object.values(v.labels).join('/'), v.value]));
};

describe('#17 limits — failed authentication on the HTTP port', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ autoRegister: false });
  });
  afterAll(() => rig.close());

  it('API: five wrong credentials from one address, then 429 with Retry-After even for a right one; counted', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await call(rig, 'get', '/groups', { basic: { username: USER.username, password: `wrong-${i}-xxxxxxxx` } })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const throttled = await call(rig, 'get', '/groups', { token: READ_TOKEN });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(throttled.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await counter(rig, 'flexbridge_auth_failures_total')).toMatchObject({ api: 5 });
    expect((await counter(rig, 'flexbridge_auth_throttled_total'))['api/address']).toBe(1);
  });

  it('OSCP: unknown tokens from one address back off the same way (shared with the API: the address already failed)', async () => {
    const port = rig.agent.httpPort;
    const post = (token: string): Promise<number> =>
      axios
        .post(
          `http://127.0.0.1:${port}/oscp/fp/2.0/heartbeat`,
          {},
          {
            headers: { Authorization: `Token ${token}`, 'X-Request-ID': 'r-1' },
            validateStatus: () => true,
          },
        )
        .then((r) => r.status);
    const answer = await post('not-a-token-of-this-agent-000000');
    expect(answer).toBe(429);
    expect((await counter(rig, 'flexbridge_auth_throttled_total'))['oscp/address']).toBe(1);
    expect(await counter(rig, 'flexbridge_oscp_messages_total')).toMatchObject({ 'in/heartbeat/429': 1 });
  });
});

describe('#17 limits — half-open requests on the HTTP port', () => {
  it('a request whose headers never finish, and a socket that sends nothing, are closed after headersTimeoutMs', async () => {
    const app = express();
    app.get('/', (_req, res) => res.send('ok'));
    const listener = await listenHttp(app, { host: '127.0.0.1', port: 0, headersTimeoutMs: 200, requestTimeoutMs: 300 });
    try {
      const open = (): Promise<net.Socket> =>
        new Promise((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port: listener.port }, () => resolve(socket));
          socket.on('error', reject);
        });
      const trickle = await open();
      trickle.write('GET / HTTP/1.1\r\nHost: flexbridge\r\n');
      const silent = await open();
      const closed = (socket: net.Socket): Promise<string> =>
        new Promise((resolve) => {
          let answer = '';
          socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
          socket.once('close', () => resolve(answer));
        });
      const [trickled] = await Promise.all([closed(trickle), closed(silent)]);
      expect(trickled).toMatch(/^HTTP\/1.1 408/);
      // A whole request is still served.
      expect((await axios.get(`http://127.0.0.1:${listener.port}/`)).data).toBe('ok');
    } finally {
      await listener.close(1000);
    }
  });
});
