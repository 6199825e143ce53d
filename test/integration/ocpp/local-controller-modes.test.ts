// Local Controller mode, its variants over real sockets: mirror outages (Part 4 §6.3) on virtual time, stored
// credentials and a CSMS password rotation, the upstream dial rate, non-strict relay, unknown reply ids, outage answers.
import { WebSocket, WebSocketServer } from 'ws';
import { systemClock } from '../../../src/core/scheduler';
import { virtualTime } from '../../helpers/virtual-clock';
import { dialUpstream } from '../../../src/ocpp/upstream/upstream-link';
import { startCsmsSimulator, type CsmsSimulator } from '../../../simulators/csms';
import { boot, connectStation, eventually, PASSWORD, startTestCsms, type FakeStation, type TestCsms } from './harness';

const upstreamOf = (url: string, extra: Record<string, unknown> = {}) => ({
  url,
  securityProfile: 1 as const,
  credentials: 'forward' as const,
  dialRate: 50,
  dialTimeoutMs: 2000,
  callTimeoutMs: 2000,
  outage: { mode: 'hold' as const, graceS: 30, authorize: 'reject' as const, queueLimit: 100 },
  ...extra,
});

/** Boots through the Local Controller: Pending until the standing limits are in, then Accepted on the triggered boot. */
async function bootThrough(station: FakeStation): Promise<void> {
  await boot(station);
  await eventually(() => station.triggers.includes('BootNotification'), 5000);
  await boot(station);
}

describe('Local Controller mode — variants', () => {
  let csms: CsmsSimulator | undefined;
  let t: TestCsms | undefined;
  const stations: FakeStation[] = [];
  afterEach(async () => {
    for (const station of stations.splice(0)) await station.client.close({ force: true }).catch(() => undefined);
    await t?.stop();
    await csms?.stop();
    t = undefined;
    csms = undefined;
  });

  test('§6.1 mirror — the station socket is closed graceS after the CSMS is lost, not before (virtual time)', async () => {
    csms = await startCsmsSimulator({ port: 0 });
    const time = virtualTime();
    t = await startTestCsms(
      { upstream: upstreamOf(csms.url, { outage: { mode: 'mirror', graceS: 30, authorize: 'reject', queueLimit: 100 } }) },
      undefined,
      time,
    );
    const station = await connectStation(t.url);
    stations.push(station);
    const closed = new Promise<number>((resolve) => station.client.once('close', ({ code }: { code: number }) => resolve(code)));
    await csms.waitForStation('CS-1');
    await csms.goDown();
    await eventually(() => t?.csms.registry.get('CS-1')?.relay?.upstream.state === 'outage', 5000);
    time.advance(29_000);
    expect(station.client.state).toBe(WebSocket.OPEN);
    time.advance(1_000);
    expect(await closed).toBe(1011);
  });

  test('§7.22 stored credentials — flexbridge presents its own; a BasicAuthPassword rotation the station accepts is used on both legs', async () => {
    const rotated = 'rotated-by-the-csms-0001';
    csms = await startCsmsSimulator({ port: 0, passwords: { 'CS-1': 'csms-side-password-0001' } });
    t = await startTestCsms({ upstream: upstreamOf(csms.url, { credentials: 'stored' }) }, [
      {
        id: 'CS-1',
        groupId: 'g1',
        password: PASSWORD,
        upstreamPassword: 'csms-side-password-0001',
        evseMaxCurrentA: 32,
        evseCount: 1,
        phases: 3,
      },
    ]);
    const station = await connectStation(t.url);
    stations.push(station);
    station.client.handle('SetVariables', async () => ({
      setVariableResult: [{ attributeStatus: 'Accepted', component: { name: 'SecurityCtrlr' }, variable: { name: 'BasicAuthPassword' } }],
    }));
    await csms.waitForStation('CS-1');
    const hashBefore = t.csms.registry.get('CS-1')?.record.passwordHash;
    expect(hashBefore).toBeDefined();
    const outcome = await csms.call('CS-1', 'SetVariables', {
      setVariableData: [{ attributeValue: rotated, component: { name: 'SecurityCtrlr' }, variable: { name: 'BasicAuthPassword' } }],
    });
    expect(outcome).toMatchObject({ status: 'result' });
    csms.setPassword('CS-1', rotated);
    await station.client.close();
    await csms.waitForDisconnect('CS-1');
    // The station reconnects with the new password: flexbridge's hash followed, and its own upstream login too.
    await eventually(() => t?.csms.registry.get('CS-1')?.record.passwordHash !== hashBefore, 5000);
    const again = await connectStation(t.url, { password: rotated });
    stations.push(again);
    await eventually(() => (csms?.station('CS-1').connects ?? 0) >= 2 && csms?.isConnected('CS-1'), 5000);
    expect(JSON.stringify(t.store.stations.get('CS-1'))).not.toContain(rotated);
  });

  test('§7.21 storm control — upstream connects follow the dial rate; waiting upgrades are held, not failed (virtual time)', async () => {
    csms = await startCsmsSimulator({ port: 0 });
    const time = virtualTime();
    const ids = Array.from({ length: 8 }, (_, i) => `CS-${i + 1}`);
    t = await startTestCsms(
      { upstream: upstreamOf(csms.url, { dialRate: 2 }) },
      ids.map((id) => ({ id, groupId: 'g1', password: PASSWORD, evseMaxCurrentA: 32, evseCount: 1, phases: 3 })),
      time,
    );
    const url = t.url;
    const connecting = ids.map((identity) => connectStation(url, { identity }));
    await eventually(() => csms?.connectedStations().length === 2, 5000);
    expect(csms.connectedStations()).toHaveLength(2);
    for (let second = 1; second <= 3; second++) {
      time.advance(1000);
      await eventually(() => csms?.connectedStations().length === 2 + 2 * second, 5000);
    }
    stations.push(...(await Promise.all(connecting)));
    expect(csms.connectedStations()).toHaveLength(8);
  });

  test('§7.10 non-strict relay — a schema-invalid station payload reaches the CSMS unchanged, and its answer the station', async () => {
    csms = await startCsmsSimulator({ port: 0 });
    t = await startTestCsms({ upstream: upstreamOf(csms.url) });
    const ws = new WebSocket(`${t.url}/CS-1`, ['ocpp2.0.1'], {
      headers: { Authorization: `Basic ${Buffer.from(`CS-1:${PASSWORD}`).toString('base64')}` },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const payload = { timestamp: '2026-12-01T10:00:00Z', connectorStatus: 'Error', evseId: 1, connectorId: 1 };
    // flexbridge may call the station too (it spoke first, so it is refreshed): wait for the reply to our id.
    const answer = new Promise<unknown[]>((resolve) =>
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as unknown[];
        if (frame[1] === 'legrand-1') resolve(frame);
      }),
    );
    ws.send(JSON.stringify([2, 'legrand-1', 'StatusNotification', payload]));
    const frame = await csms.frames.waitFor((f) => f.action === 'StatusNotification' && f.type === 'CALL');
    expect(JSON.parse(frame.raw)[3]).toEqual(payload);
    const reply = await answer;
    expect(reply[1]).toBe('legrand-1');
    // The simulator validates and refuses it; the refusal reaches the station as the CSMS sent it.
    const csmsAnswer = csms.frames.answerTo(JSON.parse(frame.raw)[1] as string, 'CS-1');
    expect(reply[0]).toBe(csmsAnswer?.type === 'CALLRESULT' ? 3 : 4);
    ws.close();
  });

  test('§7.18 outage answers — Authorize from the CSMS’s earlier answer, unknown tokens rejected, a known station re-boots Accepted', async () => {
    csms = await startCsmsSimulator({ port: 0, authorization: { default: 'Accepted', idTokens: {} } });
    t = await startTestCsms({ upstream: upstreamOf(csms.url) });
    const station = await connectStation(t.url);
    stations.push(station);
    await csms.waitForStation('CS-1');
    await bootThrough(station);
    const token = { idToken: { idToken: 'RFID-KNOWN', type: 'ISO14443' } };
    expect(await station.client.call('Authorize', token)).toMatchObject({ idTokenInfo: { status: 'Accepted' } });
    await csms.goDown();
    await eventually(() => t?.csms.registry.get('CS-1')?.relay?.upstream.state !== 'connected', 5000);
    expect(await station.client.call('Authorize', token)).toMatchObject({ idTokenInfo: { status: 'Accepted' } });
    expect(await station.client.call('Authorize', { idToken: { idToken: 'RFID-NEW', type: 'ISO14443' } })).toMatchObject({
      idTokenInfo: { status: 'Unknown' },
    });
    expect(await boot(station)).toMatchObject({ status: 'Accepted', interval: 300 });
    // Nothing of these is for the CSMS to learn later.
    expect(t.store.relayQueue.depth('CS-1')).toBe(0);
  });
});

describe('upstream link — §7.8 unknown reply ids', () => {
  test('a CALLRESULT for an id flexbridge never used is dropped and counted, never delivered', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'ocpp2.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    server.on('connection', (ws) => {
      ws.send(JSON.stringify([3, 'never-sent', { status: 'Accepted' }]));
      ws.on('message', (data) => {
        const [, id] = JSON.parse(String(data)) as [number, string];
        ws.send(JSON.stringify([3, id, { currentTime: 'now' }]));
      });
    });
    const outcome = await dialUpstream({
      url: `ws://127.0.0.1:${port}/ocpp`,
      encodedIdentity: 'CS-1',
      protocols: ['ocpp2.0.1'],
      timeoutMs: 2000,
      clock: systemClock,
    });
    if (outcome.kind !== 'open') throw new Error(`not open: ${outcome.kind}`);
    expect(await outcome.link.call('Heartbeat', {}, 2000)).toEqual({ kind: 'result', payload: { currentTime: 'now' } });
    expect(outcome.link.unexpectedFrames).toBe(1);
    outcome.link.close();
    await new Promise((resolve) => server.close(resolve));
  });
});
