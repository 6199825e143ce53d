// Issue #17, "limits an operator can rely on", on the OCPP port over real sockets: failed authentication backs off per
// address and per identity (without slowing the good station), sockets per address are capped, half-open upgrades are
// cut, a frame above the limit closes with 1009, and repeated malformed frames disconnect (counted) — then reconnect.
import net from 'node:net';
import { WebSocket } from 'ws';
import { Scheduler } from '../../../src/core/scheduler';
import { OcppConfig as OcppConfigSchema } from '../../../src/config/sections';
import { VirtualClock } from '../../helpers/virtual-clock';
import { connectStation, PASSWORD, startTestCsms, type TestCsms } from './harness';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const admission = OcppConfigSchema.parse({}).admission;

/** The upgrade's answer: the HTTP status (101 once open) and the Retry-After header of a refusal. */
function upgrade(
  url: string,
  options: { from: string; auth?: string; identity?: string },
): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/${options.identity ?? 'CS-1'}`, ['ocpp2.0.1'], {
      localAddress: options.from,
      headers: options.auth ? { Authorization: options.auth } : {},
    });
    ws.on('unexpected-response', (_request, response) => {
      const retryAfter = response.headers['retry-after'];
      resolve({ status: response.statusCode ?? 0, ...(typeof retryAfter === 'string' && { retryAfter }) });
      ws.terminate();
    });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101 });
    });
    ws.on('error', reject);
  });
}

const counter = async (csms: TestCsms, name: string): Promise<Record<string, number>> => {
  const metric = await csms.metrics.registry.getSingleMetric(name)?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [Object.values(v.labels).join('/'), v.value]));
};

/** Retries `check` until it passes (something that does happen, a moment later); fails after 5 s. */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await check();
      return;
    } catch (error) {
      if (i >= 250) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('#17 limits — failed authentication on the OCPP port', () => {
  let csms: TestCsms;
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  beforeAll(async () => {
    csms = await startTestCsms(
      {},
      [
        { id: 'CS-1', groupId: 'g1', password: PASSWORD, evseMaxCurrentA: 32, evseCount: 1, phases: 3 },
        { id: 'CS-2', groupId: 'g1', password: PASSWORD, evseMaxCurrentA: 32, evseCount: 1, phases: 3 },
      ],
      { nowMs: () => clock.nowMs(), scheduler: new Scheduler(clock) },
    );
  });
  afterAll(() => csms.stop());

  it('a brute force backs off per address and identity, never succeeds early, and the good stations still connect', async () => {
    // CS-1's usual place: it authenticated from here before the attack.
    expect((await upgrade(csms.url, { from: '127.0.0.1', auth: basic('CS-1', PASSWORD) })).status).toBe(101);
    const answers: number[] = [];
    for (let i = 0; i < 20; i++)
      answers.push((await upgrade(csms.url, { from: '127.0.0.2', auth: basic('CS-1', `wrong-guess-${i}-xxxxxxx`) })).status);
    // Five guesses are checked (and fail), the other fifteen are refused without a password hash.
    expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(answers.slice(5).every((s) => s === 429)).toBe(true);
    expect(await counter(csms, 'flexbridge_auth_failures_total')).toEqual({ ocpp: 5 });
    expect((await counter(csms, 'flexbridge_auth_throttled_total'))['ocpp/address']).toBe(15);
    // The right password from the attacker's address is refused too: guessing it does not end the wait.
    const right = await upgrade(csms.url, { from: '127.0.0.2', auth: basic('CS-1', PASSWORD) });
    expect(right.status).toBe(429);
    expect(Number(right.retryAfter)).toBeGreaterThanOrEqual(1);
    // From a third address, CS-1 is throttled as an identity; CS-1 itself from its usual address is not, nor is CS-2.
    expect((await upgrade(csms.url, { from: '127.0.0.4', auth: basic('CS-1', 'another-guess-xxxxxxxx') })).status).toBe(429);
    expect((await counter(csms, 'flexbridge_auth_throttled_total'))['ocpp/identity']).toBe(1);
    expect((await upgrade(csms.url, { from: '127.0.0.1', auth: basic('CS-1', PASSWORD) })).status).toBe(101);
    expect((await upgrade(csms.url, { from: '127.0.0.3', identity: 'CS-2', auth: basic('CS-2', PASSWORD) })).status).toBe(101);
    // Refusals are on the connection-attempts view with their reason.
    expect(csms.csms.attempts.list('CS-1').find((a) => a.remoteAddress === '127.0.0.2')).toMatchObject({ status: 429 });
  });

  it('the wait ends: after the back-off (virtual time) the address may try again, and the right password gets in', async () => {
    clock.advance(900_001); // forgetAfterMs of quiet: the address starts from zero
    expect((await upgrade(csms.url, { from: '127.0.0.2', auth: basic('CS-1', PASSWORD) })).status).toBe(101);
  });

  it('unknown identities count against the address only (guessing names does not lock out a real station)', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 7; i++)
      answers.push((await upgrade(csms.url, { from: '127.0.0.5', identity: `NOPE-${i}`, auth: basic(`NOPE-${i}`, PASSWORD) })).status);
    expect(answers).toEqual([404, 404, 404, 404, 404, 429, 429]);
    expect((await upgrade(csms.url, { from: '127.0.0.6', identity: 'CS-2', auth: basic('CS-2', PASSWORD) })).status).toBe(101);
  });
});

describe('#17 limits — connection admission on the OCPP port', () => {
  let csms: TestCsms;
  beforeAll(async () => {
    csms = await startTestCsms({
      admission: {
        ...admission,
        maxConnectionsPerAddress: 2,
        headersTimeoutMs: 200,
        upgradeTimeoutMs: 300,
        maxFrameBytes: 4096,
        maxBadMessages: 3,
      },
    });
  });
  afterAll(() => csms.stop());
  const port = (): number => Number(new URL(csms.url).port);
  const rawSocket = (from: string): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: port(), localAddress: from }, () => resolve(socket));
      socket.on('error', reject);
    });
  const closed = (socket: net.Socket): Promise<void> => new Promise((resolve) => socket.once('close', () => resolve()));

  it('a half-open upgrade (headers never finished) is closed after headersTimeoutMs, and so is a silent socket', async () => {
    const trickle = await rawSocket('127.0.0.7');
    trickle.write('GET /ocpp/CS-1 HTTP/1.1\r\nHost: flexbridge\r\nUpgrade: websocket\r\n');
    const silent = await rawSocket('127.0.0.8');
    await Promise.all([closed(trickle), closed(silent)]);
  });

  it('more sockets than maxConnectionsPerAddress from one address: the extra one is closed at once, others unaffected', async () => {
    const first = await rawSocket('127.0.0.9');
    const second = await rawSocket('127.0.0.9');
    const third = await rawSocket('127.0.0.9');
    await closed(third);
    expect((await counter(csms, 'flexbridge_ocpp_admission_refused_total'))['connections_per_address']).toBeGreaterThanOrEqual(1);
    expect((await upgrade(csms.url, { from: '127.0.0.10', auth: basic('CS-1', PASSWORD) })).status).toBe(101);
    first.destroy();
    second.destroy();
  });

  it('a frame above maxFrameBytes closes the connection with 1009; the station reconnects', async () => {
    const station = await connectStation(csms.url);
    const closing = new Promise<number>((resolve) => station.client.once('close', ({ code }: { code: number }) => resolve(code)));
    station.client.sendRaw(JSON.stringify([2, 'big-1', 'DataTransfer', { vendorId: 'x', data: 'x'.repeat(8192) }]));
    expect(await closing).toBe(1009);
    const again = await connectStation(csms.url);
    await again.client.close();
  });

  it('more than maxBadMessages malformed frames in a row disconnect with 1002, counted and logged; it can reconnect', async () => {
    const station = await connectStation(csms.url);
    const closing = new Promise<number>((resolve) => station.client.once('close', ({ code }: { code: number }) => resolve(code)));
    for (let i = 0; i < 4; i++) station.client.sendRaw(`not json ${i}`);
    expect(await closing).toBe(1002);
    // The server sees its own close a moment after the station does.
    await eventually(async () =>
      expect(await counter(csms, 'flexbridge_ocpp_bad_messages_total')).toEqual({ answered: 4, disconnected: 1 }),
    );
    const again = await connectStation(csms.url);
    await again.client.close();
  });
});
