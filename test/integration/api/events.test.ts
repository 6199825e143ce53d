// Operator events over real sockets: the SSE stream reports sessions, plans and the fallback when the CP stops its
// heartbeats (and its return); webhooks reach a local receiver signed with HMAC-SHA256 and are retried after a 500.
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import {
  call,
  eventually,
  flatDay,
  GROUP,
  openEvents,
  READ_TOKEN,
  startRig,
  defaultApiConfig,
  type EventStreamClient,
  type Rig,
} from './harness';

const SECRET = 'webhook-secret-0123456789abcdef';

const field = (data: unknown, key: string): unknown => (typeof data === 'object' && data !== null ? Reflect.get(data, key) : undefined);

interface Received {
  event: string | undefined;
  delivery: string | undefined;
  signatureValid: boolean;
  body: { id: number; event: string; at: string; data: Record<string, unknown> };
  answered: number;
}

async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const app = express();
  app.post('/hook', express.raw({ type: '*/*' }), (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const header = req.get('x-flexbridge-signature') ?? '';
    const t = /^t=(\d+),/.exec(header)?.[1] ?? '';
    const expected = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${raw}`).digest('hex')}`;
    // The very first delivery fails, to prove the retry.
    const answered = received.length === 0 ? 500 : 200;
    received.push({
      event: req.get('x-flexbridge-event'),
      delivery: req.get('x-flexbridge-delivery'),
      signatureValid: t !== '' && header === expected,
      body: JSON.parse(raw),
      answered,
    });
    res.status(answered).end();
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}/hook`, received };
}

describe('operator API — server-sent events and webhooks', () => {
  let rig: Rig;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let stream: EventStreamClient;
  beforeAll(async () => {
    receiver = await startReceiver();
    rig = await startRig({
      cp: true,
      stations: 1,
      api: {
        ...defaultApiConfig,
        webhooks: [{ url: receiver.url, secret: SECRET, events: ['session.started', 'fallback.entered', 'fallback.left'] }],
      },
    });
    stream = openEvents(rig, { headers: { Authorization: `Bearer ${READ_TOKEN}` } });
    expect(await stream.status).toBe(200);
    await eventually(() => rig.fleet!.summary().bootAccepted === 1, 30_000, 'station booted');
  });
  afterAll(async () => {
    stream.close();
    await rig.close();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  const seen = (event: string, groupId?: string): boolean =>
    stream.events.some((e) => e.event === event && (groupId === undefined || field(e.data, 'groupId') === groupId));

  it('streams session.started and plan.applied as a station starts charging on the forecast', async () => {
    expect((await rig.cp!.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(60) })).status).toBe(204);
    rig.fleet!.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 30, phases: 3, maxCurrentA: 16 });
    await eventually(
      () => seen('session.started') && seen('plan.applied', GROUP) && seen('fallback.left', GROUP),
      20_000,
      'session and plan events',
    );
    const started = stream.events.find((e) => e.event === 'session.started');
    expect(started?.data).toMatchObject({ stationId: 'SIM-00001', groupId: GROUP, evseId: 1 });
    expect(Number(started?.id)).toBeGreaterThan(0);
  });

  it('streams fallback.entered when the CP stops its heartbeats, and fallback.left when they resume', async () => {
    const before = stream.events.length;
    rig.cp!.stopHeartbeats();
    await eventually(() => stream.events.slice(before).some((e) => e.event === 'fallback.entered'), 30_000, 'fallback.entered');
    const entered = stream.events.slice(before).find((e) => e.event === 'fallback.entered');
    expect(entered?.data).toMatchObject({ groupId: GROUP, from: 'forecast' });
    expect(['fallback', 'safe-default']).toContain(field(entered?.data, 'to'));
    const groups = await call(rig, 'get', '/groups', { token: READ_TOKEN });
    expect(groups.data[0]).toMatchObject({ id: GROUP, peerState: 'OFFLINE' });

    rig.cp!.resumeHeartbeats();
    await eventually(() => stream.events.slice(before).some((e) => e.event === 'fallback.left'), 30_000, 'fallback.left');
  });

  it('delivers webhooks signed with HMAC-SHA256, only the events subscribed, and retries after a 500', async () => {
    await eventually(
      () =>
        receiver.received.some((r) => r.event === 'fallback.entered') && receiver.received.filter((r) => r.answered === 200).length >= 2,
      30_000,
      'webhooks delivered',
    );
    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    expect(receiver.received.every((r) => ['session.started', 'fallback.entered', 'fallback.left'].includes(r.event ?? ''))).toBe(true);
    for (const r of receiver.received) {
      expect(r.body.event).toBe(r.event);
      expect(String(r.body.id)).toBe(r.delivery);
    }
    const first = receiver.received[0]!;
    expect(first.answered).toBe(500);
    const retried = receiver.received.slice(1).find((r) => r.delivery === first.delivery);
    expect(retried).toMatchObject({ answered: 200, signatureValid: true });
    expect(rig.logText()).toContain('webhook delivery failed; will retry');
    expect(rig.logText()).not.toContain(SECRET);
  });
});
