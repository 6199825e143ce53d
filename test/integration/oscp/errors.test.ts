// Every refusal of the FP endpoint (digest §10, invariant 4): the status, a message naming the problem, and
// proof that nothing changed — store, book, events, and no message sent to the peer.
import { BOOTSTRAP, connect, drained, FpRig, PeerStub, registerBody, tokenOf, until, type Answer } from './harness';

const T0 = Date.parse('2030-05-01T13:00:00Z');
const forecast = (over: object = {}): object => ({
  group_id: 'site-42',
  type: 'CONSUMPTION',
  forecasted_blocks: [
    { capacity: 40, phase: 'ALL', unit: 'A', start_time: new Date(T0).toISOString(), end_time: new Date(T0 + 900_000).toISOString() },
  ],
  ...over,
});

describe('OSCP endpoint refusals change nothing', () => {
  let cp: PeerStub;
  let fp: FpRig;
  let token: string;

  /** Everything a refused request could have touched. */
  const snapshot = (): string =>
    JSON.stringify({
      peers: fp.store.peers.list(),
      forecasts: fp.store.forecasts.list({}),
      pending: fp.store.outbox.pending(),
      failed: fp.failedOutbox(),
      book: (['CONSUMPTION', 'FALLBACK_CONSUMPTION', 'OPTIMUM'] as const).map((t) =>
        fp.adapter.forecasts.blocks('site-42', t, 0, Infinity),
      ),
      events: fp.events,
      received: cp.received.length,
      sent: fp.sent.length,
    });

  const expectRefused = async (request: Promise<Answer>, status: number, message: RegExp | string): Promise<void> => {
    const before = snapshot();
    const answer = await request;
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.text)).toEqual({ message: expect.stringMatching(message) });
    // Past the follow-up delay: a wrongly queued reply would now be leaving (in `sent`) or still queued.
    fp.advance(fp.followUpDelayMs);
    expect(snapshot()).toEqual(before);
  };

  afterEach(async () => {
    await fp?.close();
    await cp?.close();
  });

  describe('a connected CP', () => {
    beforeEach(async () => {
      cp = await PeerStub.start();
      fp = await FpRig.start({
        peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0 }],
        groups: [
          { id: 'site-42', peerId: 'dso', safeLimitA: 16 },
          { id: 'other-site', safeLimitA: 16 },
        ],
      });
      token = await connect(fp, cp);
      await fp.send('update_group_capacity_forecast', { token, requestId: 'f0', body: forecast() });
      await drained(fp);
    });

    it('§4 401 — no Authorization header (checked before anything else)', async () => {
      await expectRefused(fp.send('update_group_capacity_forecast', { body: forecast() }), 401, /Authorization header missing/);
      await expectRefused(fp.send('heartbeat', { requestId: null, rawBody: '{' }), 401, /Authorization/);
      await expectRefused(fp.send('register', { token: '', body: registerBody('X', cp.baseUrl) }), 401, /Authorization/);
      expect(await fp.counted('in', 'update_group_capacity_forecast', '401')).toBe(1);
    });

    it('§4 403 — unknown token, or a known token under another scheme', async () => {
      await expectRefused(fp.send('update_group_capacity_forecast', { token: 'who-am-i', body: forecast() }), 403, 'unknown token');
      await expectRefused(
        fp.send('heartbeat', { token, scheme: 'Bearer', body: { offline_mode_at: '2030-01-01T00:00:00Z' } }),
        403,
        /Bearer/,
      );
      await expectRefused(fp.send('handshake', { token: 'who-am-i', body: {} }), 403, 'unknown token');
    });

    it('§5 400 — X-Request-ID missing', async () => {
      await expectRefused(
        fp.send('update_group_capacity_forecast', { token, requestId: null, body: forecast() }),
        400,
        'X-Request-ID header missing',
      );
      await expectRefused(fp.send('handshake', { token, requestId: null, body: {} }), 400, 'X-Request-ID');
    });

    it('§10 400 — a forecast body that fails the schema names the zod path', async () => {
      const badUnit = forecast({
        forecasted_blocks: [
          { capacity: 40, phase: 'ALL', unit: 'EUR', start_time: '2030-05-01T13:00:00Z', end_time: '2030-05-01T13:15:00Z' },
        ],
      });
      await expectRefused(fp.send('update_group_capacity_forecast', { token, body: badUnit }), 400, /forecasted_blocks\.0\.unit/);
      await expectRefused(
        fp.send('update_group_capacity_forecast', { token, body: forecast({ forecasted_blocks: [] }) }),
        400,
        /forecasted_blocks/,
      );
      await expectRefused(fp.send('update_group_capacity_forecast', { token, body: forecast({ type: 'MAXIMUM' }) }), 400, /type/);
      const reversed = forecast({
        forecasted_blocks: [{ capacity: 1, phase: 'ALL', unit: 'A', start_time: '2030-05-01T13:15:00Z', end_time: '2030-05-01T13:00:00Z' }],
      });
      await expectRefused(fp.send('update_group_capacity_forecast', { token, body: reversed }), 400, /end_time/);
      const naive = forecast({
        forecasted_blocks: [{ capacity: 1, phase: 'ALL', unit: 'A', start_time: '2030-05-01T13:00:00', end_time: '2030-05-01T13:15:00Z' }],
      });
      await expectRefused(fp.send('update_group_capacity_forecast', { token, body: naive }), 400, /start_time/);
    });

    it('§10 400 — malformed JSON and a missing body', async () => {
      await expectRefused(fp.send('update_group_capacity_forecast', { token, rawBody: '{"group_id": ' }), 400, /malformed body/);
      // A body whose Content-Encoding does not decode is the sender's fault: 400, never a 500 (found by fuzzing).
      for (const contentEncoding of ['gzip', 'deflate', 'br'])
        await expectRefused(
          fp.send('update_group_capacity_forecast', { token, rawBody: 'not compressed at all', contentEncoding }),
          400,
          /malformed body/,
        );
      await expectRefused(fp.send('update_group_capacity_forecast', { token }), 400, /UpdateGroupCapacityForecast/);
    });

    it('§6.2/§6.3 400 — bad Handshake and Heartbeat bodies, and an Acknowledge without X-Correlation-ID', async () => {
      await expectRefused(
        fp.send('handshake', { token, body: { required_behaviour: { heartbeat_interval: 'often' } } }),
        400,
        /heartbeat_interval/,
      );
      await expectRefused(fp.send('heartbeat', { token, body: { offline_mode_at: 'soon' } }), 400, /offline_mode_at/);
      await expectRefused(fp.send('heartbeat', { token, body: {} }), 400, /offline_mode_at/);
      await expectRefused(fp.send('handshake_acknowledge', { token, body: {} }), 400, /X-Correlation-ID/);
    });

    it('§10 404 — unknown group, or a group this peer does not serve', async () => {
      await expectRefused(
        fp.send('update_group_capacity_forecast', { token, body: forecast({ group_id: 'nowhere' }) }),
        404,
        /unknown group_id "nowhere"/,
      );
      await expectRefused(
        fp.send('update_group_capacity_forecast', { token, body: forecast({ group_id: 'other-site' }) }),
        404,
        /other-site/,
      );
    });

    it('§6.1 400/501/403 — bad Register, no common version, unusable base_url, PUT with an unknown token', async () => {
      await expectRefused(fp.send('register', { token, body: { token: 'x', version_url: [] } }), 400, /version_url/);
      await expectRefused(
        fp.send('register', { token, body: registerBody('x', cp.baseUrl, '2.1') }),
        501,
        /no common OSCP version: peer offers 2\.1/,
      );
      await expectRefused(fp.send('register', { token, body: registerBody('x', '/oscp/2.0') }), 400, /base_url/);
      await expectRefused(
        fp.send('register', { method: 'PUT', token: 'who-am-i', body: registerBody('x', cp.baseUrl) }),
        403,
        'unknown token',
      );
    });

    it('404 — an endpoint OSCP does not have', async () => {
      await expectRefused(fp.send('update_group_measurements', { token, body: {} }), 404, /no OSCP endpoint/);
    });
  });

  describe('a peer that is not registered yet', () => {
    it('§6.5 403 — the bootstrap token opens only /register; 501 leaves the peer unregistered; PUT/DELETE refused', async () => {
      cp = await PeerStub.start();
      fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0 }] });
      await expectRefused(fp.send('update_group_capacity_forecast', { token: BOOTSTRAP, body: forecast() }), 403, /not registered/);
      await expectRefused(fp.send('handshake', { token: BOOTSTRAP, body: {} }), 403, /not registered/);
      await expectRefused(
        fp.send('heartbeat', { token: BOOTSTRAP, body: { offline_mode_at: '2030-01-01T00:00:00Z' } }),
        403,
        /not registered/,
      );
      await expectRefused(
        fp.send('register', { method: 'PUT', token: BOOTSTRAP, body: registerBody('x', cp.baseUrl) }),
        403,
        /not registered/,
      );
      await expectRefused(fp.send('register', { method: 'DELETE', token: BOOTSTRAP }), 403, /not registered/);
      await expectRefused(
        fp.send('register', { token: BOOTSTRAP, body: registerBody('x', cp.baseUrl, '1.0') }),
        501,
        /no common OSCP version/,
      );
      expect(fp.peer()?.state).toBe('UNREGISTERED');
    });

    it('§6.5 403 — while we wait for the CP’s Register reply, its new token opens only /register', async () => {
      cp = await PeerStub.start();
      fp = await FpRig.start({ peers: [{ id: 'dso', registerUrl: cp.baseUrl, registerToken: 'cp-bootstrap', heartbeatIntervalS: 0 }] });
      const ours = tokenOf(await cp.waitFor('register'));
      await until(() => fp.peer()?.inboundTokenHash !== undefined, 'token minted');
      // The CP has our Register; its answer still has to reach our outbox (on a loaded box, after the first snapshot).
      await until(() => fp.store.outbox.pending().length === 0, 'our Register delivered');
      await expectRefused(fp.send('update_group_capacity_forecast', { token: ours, body: forecast() }), 403, /not registered/);
      await expectRefused(fp.send('handshake', { token: ours, body: {} }), 403, /not registered/);
      expect(fp.peer()).toMatchObject({ state: 'UNREGISTERED', awaitingRegisterReply: true });
    });
  });
});
