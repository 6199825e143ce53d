// The persistent outbox over real HTTP: 5xx, timeouts and refused connections are retried with back-off,
// 4xx is final (logged, counted, kept as failed), order per peer is kept, and nothing is lost across a restart.
import { hashToken } from '../../../src/oscp/tokens';
import { BOOTSTRAP, connect, drained, FpRig, PeerStub, registerBody, tokenOf, until } from './harness';

const startMs = Date.parse('2030-05-01T13:00:00Z');
const block = { startMs, endMs: startMs + 15 * 60_000, limitA: [20, 20, 20] as const };

describe('OSCP outbox (FP → CP)', () => {
  let cp: PeerStub;
  let fp: FpRig;
  let token: string;
  /**
   * Waits until the head message has failed `attempts` times, then runs the clock to its retry: proves nothing
   * leaves a millisecond early, and returns the back-off it waited.
   */
  const retryAfterFailure = async (attempts: number): Promise<number> => {
    const failedAt = await until(
      () => fp.store.outbox.pending()[0]?.attempts === attempts && fp.clock.nowMs(),
      `${attempts} failed attempts`,
    );
    const head = fp.store.outbox.pending()[0];
    if (!head) throw new Error('nothing queued');
    const sent = fp.sent.length;
    fp.advanceTo(head.nextAttemptAtMs - 1);
    expect(fp.sent).toHaveLength(sent);
    fp.advance(1);
    expect(fp.sent.length).toBeGreaterThan(sent);
    return head.nextAttemptAtMs - failedAt;
  };
  afterEach(async () => {
    await fp?.close();
    await cp?.close();
  });

  beforeEach(async () => {
    cp = await PeerStub.start();
    fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0, requestTimeoutMs: 300 }] });
    token = await connect(fp, cp);
    await drained(fp);
  });

  it('§10 — a 5xx is retried with growing, jittered delays until delivered; same X-Request-ID every time', async () => {
    cp.respond('group_capacity_compliance_error', 500, 503);
    fp.adapter.grid.complianceError('site-42', 'f-1', 'over the limit', [block]);
    const firstWait = await retryAfterFailure(1);
    const secondWait = await retryAfterFailure(2);
    expect(firstWait).toBeGreaterThanOrEqual(25); // 50 ms × [0.5, 1]
    expect(firstWait).toBeLessThanOrEqual(50);
    expect(secondWait).toBeGreaterThanOrEqual(50); // 100 ms × [0.5, 1]
    expect(secondWait).toBeLessThanOrEqual(100);
    const attempts = await cp.waitFor('group_capacity_compliance_error', 3);
    expect(new Set(cp.of('group_capacity_compliance_error').map((r) => r.headers['x-request-id']))).toEqual(
      new Set([attempts.headers['x-request-id']]),
    );
    await until(() => fp.store.outbox.pending().length === 0, 'outbox drained');
    expect(fp.failedOutbox()).toEqual([]);
    expect(await fp.counted('out', 'group_capacity_compliance_error', '500')).toBe(1);
    expect(await fp.counted('out', 'group_capacity_compliance_error', '503')).toBe(1);
    expect(await fp.counted('out', 'group_capacity_compliance_error', '204')).toBe(1);
  });

  it('§10 — a 4xx is final: one attempt, kept as failed with the peer’s reason, logged and counted', async () => {
    cp.respond('group_capacity_compliance_error', 400);
    fp.adapter.grid.complianceError('site-42', 'f-1', 'over the limit', [block]);
    await cp.waitFor('group_capacity_compliance_error');
    await until(() => fp.failedOutbox().length === 1, 'message failed');
    // Far past any back-off: a retry would now be leaving (in `sent`).
    fp.advance(60_000);
    expect(fp.sentOf('group_capacity_compliance_error')).toHaveLength(1);
    expect(cp.of('group_capacity_compliance_error')).toHaveLength(1);
    expect(fp.failedOutbox()[0]).toMatchObject({
      attempts: 1,
      lastError: 'HTTP 400: stub answers 400',
      correlationId: 'f-1',
    });
    expect(fp.store.outbox.pending()).toEqual([]);
    expect(await fp.counted('out', 'group_capacity_compliance_error', '400')).toBe(1);
    expect(fp.logText).toContain('OSCP message refused by the peer; not retried');
  });

  it('§3 — a timeout is retried', async () => {
    // The peer answers after 600 ms of wall time: the request timeout (300 ms) is axios's, on real time.
    cp.delay('adjust_group_capacity_forecast', 600);
    fp.adapter.grid.adjustForecast('site-42', [block]);
    await retryAfterFailure(1);
    await cp.waitFor('adjust_group_capacity_forecast', 2);
    await until(() => fp.store.outbox.pending().length === 0, 'outbox drained');
    expect(fp.logText).toMatch(/ECONNABORTED|timeout/);
  });

  it('order per peer — a message waiting for a retry holds back the ones queued after it', async () => {
    cp.respond('group_capacity_compliance_error', 500);
    fp.adapter.grid.complianceError('site-42', 'f-1', 'over the limit', [block]);
    fp.adapter.grid.adjustForecast('site-42', [block]);
    await retryAfterFailure(1);
    await cp.waitFor('adjust_group_capacity_forecast');
    expect(cp.received.slice(-3).map((r) => r.path)).toEqual([
      'group_capacity_compliance_error',
      'group_capacity_compliance_error',
      'adjust_group_capacity_forecast',
    ]);
  });

  it('refused connections are retried, and the base URL is read at send time (the CP moved with PUT /register)', async () => {
    const moved = await PeerStub.start();
    try {
      await cp.close();
      fp.adapter.grid.adjustForecast('site-42', [block]);
      await until(() => (fp.store.outbox.pending()[0]?.attempts ?? 0) >= 1, 'a failed attempt');
      expect(fp.store.outbox.pending()[0]?.lastError).toMatch(/ECONNREFUSED|ECONNRESET/);
      expect((await fp.send('register', { method: 'PUT', token, body: registerBody('cp-token-2', moved.baseUrl) })).status).toBe(204);
      await retryAfterFailure(1);
      const delivered = await moved.waitFor('adjust_group_capacity_forecast');
      expect(delivered.headers.authorization).toBe('Token cp-token-2');
    } finally {
      await moved.close();
    }
  });

  it('invariant 3 — a queued message survives a restart and goes out after it, unchanged', async () => {
    cp.respond('group_capacity_compliance_error', ...Array.from({ length: 100 }, () => 500));
    fp.adapter.grid.complianceError('site-42', 'f-9', 'over the limit', [block]);
    const first = await cp.waitFor('group_capacity_compliance_error');
    await fp.restart();
    expect(fp.store.outbox.pending()).toHaveLength(1);
    cp.heal();
    const count = cp.of('group_capacity_compliance_error').length;
    await retryAfterFailure(count);
    const after = await cp.waitFor('group_capacity_compliance_error', count + 1);
    expect(after.headers['x-request-id']).toBe(first.headers['x-request-id']);
    expect(after.headers['x-correlation-id']).toBe('f-9');
    expect(after.body).toEqual(first.body);
    await until(() => fp.store.outbox.pending().length === 0, 'outbox drained');
  });
});

describe('OSCP outbox — our Register back across a restart', () => {
  it('invariant 3 — queued while the CP fails, sent after the restart with a freshly minted token that then works', async () => {
    const cp = await PeerStub.start();
    const fp = await FpRig.start({ peers: [{ id: 'dso', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0 }] });
    try {
      cp.respond('register', ...Array.from({ length: 100 }, () => 502));
      expect((await fp.send('register', { token: BOOTSTRAP, body: registerBody('TOKEN_B', cp.baseUrl) })).status).toBe(204);
      fp.advance(fp.followUpDelayMs);
      await cp.waitFor('register');
      await until(() => fp.store.outbox.pending()[0]?.attempts === 1, 'the Register back failed once');
      await fp.restart();
      cp.heal();
      // Queued with its back-off across the restart: it leaves once that has passed on the clock.
      const head = fp.store.outbox.pending()[0];
      if (!head) throw new Error('nothing queued');
      fp.advanceTo(head.nextAttemptAtMs);
      const delivered = await cp.waitFor('register', 2);
      const tokenC = tokenOf(delivered);
      await until(() => fp.store.outbox.pending().every((m) => m.path !== 'register'), 'register delivered');
      expect(fp.peer()?.inboundTokenHash).toBe(hashToken(tokenC));
      expect((await fp.send('handshake', { token: tokenC, body: {} })).status).toBe(204);
    } finally {
      await fp.close();
      await cp.close();
    }
  });
});
