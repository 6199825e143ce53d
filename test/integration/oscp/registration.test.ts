// Registration both ways over real HTTP (digest §6.1): tokens rotate, only hashes of inbound tokens are kept,
// follow-ups leave after our 204, and everything survives a restart on the same SQLite file.
import { hashToken } from '../../../src/oscp/tokens';
import { expectWireValid } from '../../unit/oscp/helpers/json-schemas';
import { BOOTSTRAP, connect, drained, FpRig, PeerStub, registerBody, tokenOf, until } from './harness';

describe('OSCP registration (FP side)', () => {
  let cp: PeerStub;
  let fp: FpRig;
  afterEach(async () => {
    await fp?.close();
    await cp?.close();
  });

  describe('direction (a): the CP registers with our bootstrap token', () => {
    beforeEach(async () => {
      cp = await PeerStub.start();
      fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0 }] });
    });

    it('§6.1 — 204 with an empty body, then our Register back with a fresh token (after the 204), then our Handshake', async () => {
      const answer = await fp.send('register', { token: BOOTSTRAP, requestId: 'r1', body: registerBody('TOKEN_B', `${cp.baseUrl}/`) });
      expect(answer).toMatchObject({ status: 204, text: '' });
      // §3: follow-ups wait after our 204 — exactly the follow-up delay on the clock, not a millisecond less.
      fp.advance(fp.followUpDelayMs - 1);
      expect(fp.sentOf('register')).toEqual([]);
      fp.advance(1);
      expect(fp.sentOf('register').map((s) => s.atMs)).toEqual([answer.atMs + fp.followUpDelayMs]);
      const back = await cp.waitFor('register');
      expect(back.method).toBe('POST');
      expect(back.headers.authorization).toBe('Token TOKEN_B');
      expect(back.headers['x-correlation-id']).toBe('r1');
      expect(back.headers['x-request-id']).toEqual(expect.any(String));
      expectWireValid('register', back.body);
      expect(back.body).toEqual({ token: expect.any(String), version_url: [{ version: '2.0', base_url: fp.baseUrl }] });
      const tokenC = tokenOf(back);
      expect(tokenC.length).toBeGreaterThanOrEqual(64);
      // Our Handshake was queued with the Register back and follows it once that is delivered (order per peer).
      const handshake = await cp.waitFor('handshake');
      expect(fp.sent.map((s) => s.type)).toEqual(['register', 'handshake']);
      expectWireValid('handshake', handshake.body);

      const peer = fp.peer();
      expect(peer).toMatchObject({
        state: 'REGISTERED',
        outboundToken: 'TOKEN_B',
        baseUrl: cp.baseUrl,
        inboundTokenHash: hashToken(tokenC),
      });
      // The token we handed out is kept only as its hash: nowhere in the store in clear.
      expect(JSON.stringify([fp.store.peers.list(), fp.store.outbox.pending(), fp.failedOutbox()])).not.toContain(tokenC);
      expect(fp.logText).not.toContain(tokenC);
      expect(fp.logText).not.toContain('TOKEN_B');
      expect(fp.logText).not.toContain(BOOTSTRAP);
    });

    it('§6.1 — after the CP uses its new token, the bootstrap token is retired', async () => {
      await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', cp.baseUrl) });
      fp.advance(fp.followUpDelayMs);
      const tokenC = tokenOf(await cp.waitFor('register'));
      // Until then a CP that missed our Register may try again with the bootstrap token.
      const offlineModeAt = new Date(fp.clock.nowMs() + 60_000).toISOString();
      expect((await fp.send('heartbeat', { token: tokenC, body: { offline_mode_at: offlineModeAt } })).status).toBe(204);
      expect((await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_X', cp.baseUrl) })).status).toBe(403);
      expect(fp.peer()?.outboundToken).toBe('TOKEN_B');
    });

    it('§6.1 token rotation — a registered CP registers again with its current token: new tokens both ways', async () => {
      const tokenC = await connect(fp, cp);
      const answer = await fp.send('register', { token: tokenC, body: registerBody('TOKEN_B2', cp.baseUrl) });
      expect(answer.status).toBe(204);
      const second = await fp.advanceUntil(() => cp.of('register')[1], 'our second Register at the CP');
      expect(second.headers.authorization).toBe('Token TOKEN_B2');
      const tokenC2 = tokenOf(second);
      expect(tokenC2).not.toBe(tokenC);
      const offlineModeAt = new Date(fp.clock.nowMs()).toISOString();
      expect((await fp.send('heartbeat', { token: tokenC, body: { offline_mode_at: offlineModeAt } })).status).toBe(403);
      expect(fp.peer()).toMatchObject({ outboundToken: 'TOKEN_B2', inboundTokenHash: hashToken(tokenC2), state: 'CONNECTED' });
    });

    it('§6.1 PUT /register — the CP changes its token and base URL; no Register back', async () => {
      const tokenC = await connect(fp, cp);
      await drained(fp);
      const answer = await fp.send('register', { method: 'PUT', token: tokenC, body: registerBody('TOKEN_B3', `${cp.baseUrl}/v2`) });
      expect(answer.status).toBe(204);
      expect(fp.peer()).toMatchObject({ outboundToken: 'TOKEN_B3', baseUrl: `${cp.baseUrl}/v2`, state: 'CONNECTED' });
      // Past the follow-up delay and the first retry: a Register back would be leaving or still queued.
      fp.advance(fp.followUpDelayMs + 1000);
      expect(fp.sentOf('register')).toHaveLength(1);
      expect(fp.store.outbox.pending()).toEqual([]);
    });

    it('§6.1 DELETE /register (no body, as pyoscp) — UNREGISTERED, tokens forgotten, peerOffline; the old token no longer works', async () => {
      const tokenC = await connect(fp, cp);
      expect(fp.events.peerOnline).toEqual([{ peerId: 'dso' }]);
      const answer = await fp.send('register', { method: 'DELETE', token: tokenC });
      expect(answer).toMatchObject({ status: 204, text: '' });
      expect(fp.peer()).toMatchObject({ state: 'UNREGISTERED', outboundToken: undefined, inboundTokenHash: undefined });
      expect(fp.events.peerOffline).toEqual([{ peerId: 'dso' }]);
      expect(fp.adapter.forecasts.peerOnline('site-42')).toBe(false);
      const offlineModeAt = new Date(fp.clock.nowMs()).toISOString();
      expect((await fp.send('heartbeat', { token: tokenC, body: { offline_mode_at: offlineModeAt } })).status).toBe(403);
    });

    it('§3 — elmo-api’s bare-path base_url falls back to the configured fallbackBaseUrl', async () => {
      await fp.close();
      fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, fallbackBaseUrl: cp.baseUrl, heartbeatIntervalS: 0 }] });
      expect((await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', '/oscp/2.0') })).status).toBe(204);
      fp.advance(fp.followUpDelayMs);
      expect((await cp.waitFor('register')).headers.authorization).toBe('Token TOKEN_B');
      expect(fp.peer()?.baseUrl).toBe(cp.baseUrl);
    });

    it('invariant 3 — tokens and registration survive a restart: the CP’s token still works, ours still goes out', async () => {
      const tokenC = await connect(fp, cp);
      await fp.restart();
      expect(fp.peer()).toMatchObject({ state: 'CONNECTED', outboundToken: 'cp-token-for-fp', inboundTokenHash: hashToken(tokenC) });
      expect((await fp.send('handshake', { token: tokenC, requestId: 'hs-2', body: {} })).status).toBe(204);
      const ack = await fp.advanceUntil(() => cp.of('handshake_acknowledge')[1], 'second HandshakeAcknowledge at the CP');
      expect(ack.headers).toMatchObject({ authorization: 'Token cp-token-for-fp', 'x-correlation-id': 'hs-2' });
    });
  });

  describe('direction (b): we register with the CP using the token it gave us', () => {
    beforeEach(async () => {
      cp = await PeerStub.start();
      // The CP answers our Register with its own Register, authenticated with the token we sent.
      cp.onRequest = (request) => {
        if (request.path !== 'register' || request.headers.authorization !== 'Token cp-bootstrap') return;
        void fp.send('register', {
          token: tokenOf(request),
          correlationId: String(request.headers['x-request-id']),
          body: registerBody('CP_TOKEN', cp.baseUrl),
        });
      };
    });

    it('§6.1 — Register at registerUrl with the registerToken; the CP’s Register is the reply: no second Register', async () => {
      fp = await FpRig.start({ peers: [{ id: 'dso', registerUrl: cp.baseUrl, registerToken: 'cp-bootstrap', heartbeatIntervalS: 0 }] });
      const ours = await cp.waitFor('register');
      expect(ours.headers.authorization).toBe('Token cp-bootstrap');
      expectWireValid('register', ours.body);
      await until(() => fp.peer()?.state === 'REGISTERED', 'peer REGISTERED');
      expect(fp.peer()).toMatchObject({
        outboundToken: 'CP_TOKEN',
        awaitingRegisterReply: false,
        inboundTokenHash: hashToken(tokenOf(ours)),
      });
      const handshake = await fp.advanceUntil(() => cp.of('handshake')[0], 'our Handshake at the CP');
      expect(handshake.headers.authorization).toBe('Token CP_TOKEN');
      // Past the follow-up delay and the first retry: a second Register would be leaving or still queued.
      fp.advance(fp.followUpDelayMs + 1000);
      expect(fp.sentOf('register')).toHaveLength(1);
      expect(fp.store.outbox.pending().filter((m) => m.path.endsWith('register'))).toEqual([]);
      expect(cp.of('register')).toHaveLength(1);
    });

    it('§6.1 — the registerToken is used once: a restart does not register again', async () => {
      fp = await FpRig.start({
        peers: [{ id: 'dso', registerUrl: `${cp.baseUrl}/register`, registerToken: 'cp-bootstrap', heartbeatIntervalS: 0 }],
      });
      await until(() => fp.peer()?.state === 'REGISTERED', 'peer REGISTERED');
      await fp.restart();
      // A Register queued at start-up would now be leaving or still queued.
      fp.advance(fp.followUpDelayMs + 1000);
      expect(fp.sentOf('register')).toHaveLength(1);
      expect(fp.store.outbox.pending().filter((m) => m.path.endsWith('register'))).toEqual([]);
      expect(cp.of('register')).toHaveLength(1);
      expect(fp.peer()?.state).toBe('REGISTERED');
    });

    it('reRegister — rotation we start: Register at the CP’s base URL with its current token; its reply completes it', async () => {
      fp = await FpRig.start({ peers: [{ id: 'dso', registerUrl: cp.baseUrl, registerToken: 'cp-bootstrap', heartbeatIntervalS: 0 }] });
      await until(() => fp.peer()?.state === 'REGISTERED', 'peer REGISTERED');
      const first = tokenOf(cp.of('register')[0] ?? (await cp.waitFor('register')));
      cp.onRequest = (request) => {
        if (request.path !== 'register' || request.headers.authorization !== 'Token CP_TOKEN') return;
        void fp.send('register', { token: tokenOf(request), body: registerBody('CP_TOKEN_2', cp.baseUrl) });
      };
      fp.adapter.reRegister('dso');
      expect(fp.adapter.peers()[0]?.awaitingRegisterReply).toBe(true);
      const second = await fp.advanceUntil(() => cp.of('register')[1], 'our second Register at the CP');
      expect(second.headers.authorization).toBe('Token CP_TOKEN');
      await until(() => fp.peer()?.outboundToken === 'CP_TOKEN_2', 'rotated CP token');
      expect(fp.peer()).toMatchObject({ awaitingRegisterReply: false, inboundTokenHash: hashToken(tokenOf(second)) });
      expect(tokenOf(second)).not.toBe(first);
      expect(fp.adapter.peers()[0]).not.toHaveProperty('outboundToken');
      expect(fp.adapter.peers()[0]).not.toHaveProperty('inboundTokenHash');
    });
  });
});
