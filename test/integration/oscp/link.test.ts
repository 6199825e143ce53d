// Handshake, heartbeats and offline detection over real HTTP (digest §6.2–§6.5): state machine
// UNREGISTERED → REGISTERED → CONNECTED ⇄ OFFLINE, with peerOnline/peerOffline events.
import { wireTimeMs } from '../../../src/oscp/wire-time';
import { expectWireValid } from '../../unit/oscp/helpers/json-schemas';
import { BOOTSTRAP, connect, FpRig, PeerStub, registerBody, tokenOf, until } from './harness';

describe('OSCP handshake and heartbeats (FP side)', () => {
  let cp: PeerStub;
  let fp: FpRig;
  /** offline_mode_at `inMs` from now on the adapter's (virtual) clock. */
  const offlineAt = (inMs: number): string => new Date(fp.clock.nowMs() + inMs).toISOString();
  afterEach(async () => {
    await fp?.close();
    await cp?.close();
  });

  describe('with a CP that asks for nothing', () => {
    beforeEach(async () => {
      cp = await PeerStub.start();
      fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 30 }] });
    });

    it('§6.2 — Handshake: 204, then HandshakeAcknowledge with X-Correlation-ID asking for our heartbeat interval; CONNECTED', async () => {
      await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', cp.baseUrl) });
      fp.advance(fp.followUpDelayMs);
      const token = tokenOf(await cp.waitFor('register'));
      expect(fp.peer()?.state).toBe('REGISTERED');
      expect(fp.events.peerOnline).toEqual([]);
      const body = { required_behaviour: { heartbeat_interval: 15, measurement_configuration: ['CONTINUOUS'] } };
      const answer = await fp.send('handshake', { token, requestId: 'h1', body });
      expect(answer).toMatchObject({ status: 204, text: '' });
      fp.advance(fp.followUpDelayMs);
      const ack = await cp.waitFor('handshake_acknowledge');
      expect(fp.sentOf('handshake_acknowledge')[0]?.atMs).toBe(answer.atMs + fp.followUpDelayMs);
      expect(ack.headers).toMatchObject({ authorization: 'Token TOKEN_B', 'x-correlation-id': 'h1' });
      expect(ack.body).toEqual({ required_behaviour: { heartbeat_interval: 30, measurement_configuration: [] } });
      expectWireValid('handshake-acknowledge', ack.body);
      expect(fp.peer()).toMatchObject({ state: 'CONNECTED', heartbeatIntervalS: 15, measurementConfiguration: ['CONTINUOUS'] });
      expect(fp.events.peerOnline).toEqual([{ peerId: 'dso' }]);
      expect(fp.inbound).toContainEqual({ kind: 'peer', peerId: 'dso', online: true });
      expect(fp.adapter.forecasts.peerOnline('site-42')).toBe(true);
      expect(fp.adapter.peers()[0]).toMatchObject({ state: 'CONNECTED', online: true });
    });

    it('§6.2/§14 — a flat Handshake body (ELMO doc) is read the same way', async () => {
      await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', cp.baseUrl) });
      fp.advance(fp.followUpDelayMs);
      const token = tokenOf(await cp.waitFor('register'));
      const answer = await fp.send('handshake', { token, body: { heartbeat_interval: 20, measurement_configuration: ['INTERMITTENT'] } });
      expect(answer.status).toBe(204);
      expect(fp.peer()).toMatchObject({ state: 'CONNECTED', heartbeatIntervalS: 20, measurementConfiguration: ['INTERMITTENT'] });
    });

    it('§6.2 — our own Handshake is acknowledged on handshake_acknowledge and on pyoscp’s handshake_acknowledgment', async () => {
      await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', cp.baseUrl) });
      fp.advance(fp.followUpDelayMs);
      const token = tokenOf(await cp.waitFor('register'));
      const ours = await cp.waitFor('handshake');
      const correlationId = String(ours.headers['x-request-id']);
      const ack = { required_behaviour: { heartbeat_interval: 40, measurement_configuration: [] } };
      expect((await fp.send('handshake_acknowledgment', { token, correlationId, body: ack })).status).toBe(204);
      expect(fp.peer()).toMatchObject({ state: 'CONNECTED', heartbeatIntervalS: 40 });
      expect((await fp.send('handshake_acknowledge', { token, correlationId, body: ack })).status).toBe(204);
      fp.adapter.reHandshake('dso');
      fp.advance(fp.followUpDelayMs);
      expect((await cp.waitFor('handshake', 2)).body).toEqual({
        required_behaviour: { heartbeat_interval: 30, measurement_configuration: [] },
      });
    });

    it('§6.2 issue #17 0b — a Handshake {} keeps the previous heartbeat interval and measurement settings; absent fields inside required_behaviour follow §7', async () => {
      await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', cp.baseUrl) });
      fp.advance(fp.followUpDelayMs);
      const token = tokenOf(await cp.waitFor('register'));
      const first = { required_behaviour: { heartbeat_interval: 15, measurement_configuration: ['CONTINUOUS'] } };
      expect((await fp.send('handshake', { token, requestId: 'h1', body: first })).status).toBe(204);
      expect(fp.peer()).toMatchObject({ heartbeatIntervalS: 15, measurementConfiguration: ['CONTINUOUS'] });
      // {} says nothing about behaviour: it is still a Handshake (answered, CONNECTED), but nothing is cleared.
      expect((await fp.send('handshake', { token, requestId: 'h2', body: {} })).status).toBe(204);
      expect(fp.peer()).toMatchObject({ state: 'CONNECTED', heartbeatIntervalS: 15, measurementConfiguration: ['CONTINUOUS'] });
      expect(fp.logText).toMatch(/handshake without required_behaviour: previous settings kept/);
      // pyoscp leaves measurement_configuration out: the previous one stays, the new interval is taken.
      expect(
        (await fp.send('handshake', { token, requestId: 'h3', body: { required_behaviour: { heartbeat_interval: 20 } } })).status,
      ).toBe(204);
      expect(fp.peer()).toMatchObject({ heartbeatIntervalS: 20, measurementConfiguration: ['CONTINUOUS'] });
      // A required_behaviour without heartbeat_interval is the peer saying "no heartbeats" (§7: omit = not interested).
      const quiet = { required_behaviour: { measurement_configuration: [] } };
      expect((await fp.send('handshake', { token, requestId: 'h4', body: quiet })).status).toBe(204);
      expect(fp.peer()?.heartbeatIntervalS).toBeUndefined();
      expect(fp.peer()?.measurementConfiguration).toEqual([]);
    });

    it('issue #17 item 5 — a Handshake asking for heartbeats every 30 days arms the shared scheduler within 2^31 − 1 ms', async () => {
      await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', cp.baseUrl) });
      fp.advance(fp.followUpDelayMs);
      const token = tokenOf(await cp.waitFor('register'));
      const monthS = 30 * 86_400;
      const body = { required_behaviour: { heartbeat_interval: monthS, measurement_configuration: [] } };
      expect((await fp.send('handshake', { token, body })).status).toBe(204);
      // The rig's virtual clock throws on a delay above 2^31 − 1 ms: advancing past the month proves none was asked.
      fp.advance(monthS * 1000 + 1);
      expect(fp.sentOf('heartbeat')).toHaveLength(1);
      expect(Math.max(...fp.clock.armed)).toBeLessThanOrEqual(2 ** 31 - 1);
    });

    it('§6.3 — heartbeats to us: 204, offline_mode_at (any offset) recorded as UTC', async () => {
      const token = await connect(fp, cp);
      const at = new Date(fp.clock.nowMs() + 120_000);
      at.setMilliseconds(0);
      const withOffset = at.toISOString().replace('Z', '+00:00').replace('.000', '');
      expect((await fp.send('heartbeat', { token, body: { offline_mode_at: withOffset } })).status).toBe(204);
      expect(fp.peer()?.offlineModeAt).toBe(at.toISOString());
    });

    it('§6.3 — an offline_mode_at beyond maxOfflineModeAheadS (default 1 day) is a 400 and changes nothing', async () => {
      const token = await connect(fp, cp);
      const before = fp.peer()?.offlineModeAt;
      const answer = await fp.send('heartbeat', { token, body: { offline_mode_at: '9999-12-31T23:59:59Z' } });
      expect(answer.status).toBe(400);
      expect(answer.text).toMatch(/offline_mode_at .* more than 86400 s ahead/);
      expect(fp.peer()?.offlineModeAt).toBe(before);
      const nearDay = new Date(fp.clock.nowMs() + 23 * 3_600_000).toISOString();
      expect((await fp.send('heartbeat', { token, body: { offline_mode_at: nearDay } })).status).toBe(204);
    });
  });

  it('§6.3 — we send heartbeats at the interval the CP asked, offline_mode_at = now + 2…3 intervals, schema-valid', async () => {
    cp = await PeerStub.start();
    fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0 }] });
    const handshakeAt = fp.clock.nowMs() + fp.followUpDelayMs;
    await connect(fp, cp, { heartbeat_interval: 1, measurement_configuration: [] });
    fp.advanceTo(handshakeAt + 999);
    expect(fp.sentOf('heartbeat')).toEqual([]);
    fp.advanceTo(handshakeAt + 2000);
    expect(fp.sentOf('heartbeat').map((s) => s.atMs - handshakeAt)).toEqual([1000, 2000]);
    const beats = [await cp.waitFor('heartbeat', 1), await cp.waitFor('heartbeat', 2)];
    for (const [i, beat] of beats.entries()) {
      expectWireValid('heartbeat', beat.body);
      expect(beat.headers.authorization).toBe('Token cp-token-for-fp');
      const body = beat.body;
      if (typeof body !== 'object' || body === null || !('offline_mode_at' in body) || typeof body.offline_mode_at !== 'string')
        throw new Error('no offline_mode_at');
      expect(body.offline_mode_at).toMatch(/Z$/);
      // 2.5 intervals ahead of the moment it was sent.
      expect(wireTimeMs(body.offline_mode_at) - handshakeAt).toBe((i + 1) * 1000 + 2500);
    }
    // The stub records a request before it answers; the count follows the answer.
    await until(async () => (await fp.counted('out', 'heartbeat', '204')) >= 2, 'two heartbeats counted');
  });

  it('§6.4/§6.5 — OFFLINE once offline_mode_at + grace passes; back to CONNECTED on a fresh heartbeat, then on a new handshake', async () => {
    cp = await PeerStub.start();
    fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 60, offlineGraceS: 0 }] });
    const token = await connect(fp, cp);
    expect((await fp.send('heartbeat', { token, body: { offline_mode_at: offlineAt(400) } })).status).toBe(204);
    expect(fp.peer()?.state).toBe('CONNECTED');
    fp.advance(399);
    expect(fp.peer()?.state).toBe('CONNECTED');
    fp.advance(1);
    expect(fp.peer()?.state).toBe('OFFLINE');
    expect(fp.events.peerOffline).toEqual([{ peerId: 'dso' }]);
    expect(fp.adapter.forecasts.peerOnline('site-42')).toBe(false);

    expect((await fp.send('heartbeat', { token, body: { offline_mode_at: offlineAt(300) } })).status).toBe(204);
    expect(fp.peer()?.state).toBe('CONNECTED');
    expect(fp.events.peerOnline).toHaveLength(2);
    fp.advance(300);
    expect(fp.peer()?.state).toBe('OFFLINE');
    expect(fp.events.peerOffline).toHaveLength(2);

    expect((await fp.send('handshake', { token, body: { required_behaviour: { measurement_configuration: [] } } })).status).toBe(204);
    expect(fp.peer()?.state).toBe('CONNECTED');
    expect(fp.events.peerOnline).toHaveLength(3);
  });

  it('§6.4 — offline grace: a late heartbeat within offlineGraceS keeps the peer CONNECTED', async () => {
    cp = await PeerStub.start();
    fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 60, offlineGraceS: 1 }] });
    const token = await connect(fp, cp);
    await fp.send('heartbeat', { token, body: { offline_mode_at: offlineAt(100) } });
    fp.advance(600);
    expect(fp.peer()?.state).toBe('CONNECTED');
    await fp.send('heartbeat', { token, body: { offline_mode_at: offlineAt(100) } });
    fp.advance(100 + 1000 - 1);
    expect(fp.peer()?.state).toBe('CONNECTED');
    expect(fp.events.peerOffline).toEqual([]);
    // The grace is a bound, not a reprieve: one millisecond later without a heartbeat the peer is OFFLINE.
    fp.advance(1);
    expect(fp.peer()?.state).toBe('OFFLINE');
  });

  it('§6.2 — a CP that never sends the heartbeats we asked for goes OFFLINE after two of our intervals', async () => {
    cp = await PeerStub.start();
    fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 1, offlineGraceS: 0 }] });
    const handshakeAt = fp.clock.nowMs() + fp.followUpDelayMs;
    await connect(fp, cp);
    fp.advanceTo(handshakeAt + 2000 - 1);
    expect(fp.peer()?.state).toBe('CONNECTED');
    fp.advance(1);
    expect(fp.peer()?.state).toBe('OFFLINE');
    expect(fp.events.peerOffline).toEqual([{ peerId: 'dso' }]);
  });

  it('invariant 3 — after a restart the offline deadline is armed again from the stored offline_mode_at', async () => {
    cp = await PeerStub.start();
    fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 60, offlineGraceS: 0 }] });
    const token = await connect(fp, cp);
    await fp.send('heartbeat', { token, body: { offline_mode_at: offlineAt(500) } });
    const dueMs = fp.clock.nowMs() + 500;
    await fp.restart();
    expect(fp.peer()?.state).toBe('CONNECTED');
    fp.advanceTo(dueMs - 1);
    expect(fp.peer()?.state).toBe('CONNECTED');
    fp.advance(1);
    expect(fp.peer()?.state).toBe('OFFLINE');
    expect(fp.events.peerOffline).toEqual([{ peerId: 'dso' }]);
  });
});
