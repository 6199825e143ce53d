// Small parts of the adapter: Authorization parsing and token hashing (digest §4), and the outbox back-off
// (digest §3: retries with back-off) on virtual time, with the grace period of a stop.
import { Backoff } from '../../../src/core/backoff';
import { Scheduler } from '../../../src/core/scheduler';
import { silentLogger } from '../../../src/observability/log';
import { createMetrics } from '../../../src/observability/metrics';
import { ForbiddenError, MissingTokenError } from '../../../src/oscp/errors';
import { OUTBOX_RETRY, OutboxDelivery } from '../../../src/oscp/outbox';
import { PeerClient, type OutboundRequest, type SendOutcome } from '../../../src/oscp/peer-client';
import { hashToken, mintToken, sameHash, tokenFromHeader } from '../../../src/oscp/tokens';
import { openSqliteStore } from '../../../src/store/sqlite';
import { VirtualClock } from '../../helpers/virtual-clock';

describe('tokens', () => {
  it('§4 — "Token <token>", scheme case-insensitive; 401 without a token, 403 for another scheme', () => {
    expect(tokenFromHeader('Token abc')).toBe('abc');
    expect(tokenFromHeader('token abc')).toBe('abc');
    expect(() => tokenFromHeader(undefined)).toThrow(MissingTokenError);
    expect(() => tokenFromHeader('Token')).toThrow(MissingTokenError);
    expect(() => tokenFromHeader('Bearer abc')).toThrow(ForbiddenError);
  });

  it('§4 — minted tokens are 64 url-safe characters, unique; hashes compare in constant time', () => {
    const a = mintToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(mintToken()).not.toBe(a);
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(sameHash(hashToken(a), hashToken(a))).toBe(true);
    expect(sameHash(hashToken(a), hashToken('b'))).toBe(false);
    expect(sameHash('', '')).toBe(false);
  });
});

describe('outbox back-off', () => {
  it('§3 — 1 s doubling to 5 min, each wait drawn between 50 % and 100 %', () => {
    const backoff = new Backoff(OUTBOX_RETRY);
    expect([0, 1, 2, 3].map((n) => backoff.delayMs(n, 0))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoff.delayMs(2, 0.999_999)).toBe(2000);
    expect(backoff.delayMs(40, 0)).toBe(300_000);
  });

  /** An outbox on virtual time whose peer never answers well: each attempt is noted at its virtual instant. */
  const rig = (send: (signal: AbortSignal | undefined) => Promise<SendOutcome>) => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    const store = openSqliteStore(':memory:');
    const attemptsAt: number[] = [];
    class Peer extends PeerClient {
      override send(_request: OutboundRequest, signal?: AbortSignal): Promise<SendOutcome> {
        attemptsAt.push(clock.nowMs());
        return send(signal);
      }
    }
    const outbox = new OutboxDelivery({
      repo: store.outbox,
      client: new Peer(),
      timers: scheduler.scope('oscp:'),
      resolve: () => ({ url: 'http://127.0.0.1:9/oscp/cp/2.0/heartbeat', token: 't', body: {}, timeoutMs: 100 }),
      nowMs: () => clock.nowMs(),
      logger: silentLogger,
      metrics: createMetrics({ defaultMetrics: false }),
      options: { backoff: new Backoff({ minMs: 1000, maxMs: 300_000 }), random: () => 0 },
    });
    outbox.enqueue({ peerId: 'dso', path: 'adjust_group_capacity_forecast' });
    return { clock, store, outbox, attemptsAt, close: () => (scheduler.stop(), store.close()) };
  };
  /** Lets settled promises run on (turns of the event loop, not time). */
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };

  it('§3 — a retry leaves exactly when its back-off has passed on the clock, not a millisecond before', async () => {
    const { clock, store, outbox, attemptsAt, close } = rig(() => Promise.resolve({ kind: 'retry', status: 503, error: 'HTTP 503' }));
    try {
      outbox.kick();
      await settle();
      expect(attemptsAt).toEqual([0]);
      expect(store.outbox.pending()[0]).toMatchObject({ attempts: 1, nextAttemptAtMs: 1000 });
      clock.advance(999);
      expect(attemptsAt).toEqual([0]);
      clock.advance(1);
      expect(attemptsAt).toEqual([0, 1000]);
      await settle();
      clock.advance(1999);
      expect(attemptsAt).toEqual([0, 1000]);
      clock.advance(1);
      expect(attemptsAt).toEqual([0, 1000, 3000]);
    } finally {
      await outbox.stop(0);
      close();
    }
  });

  it('stop — a request in flight gets its grace period on the clock, then is aborted and stays queued', async () => {
    let aborted = false;
    const hanging = (signal: AbortSignal | undefined): Promise<SendOutcome> =>
      new Promise((resolve) =>
        signal?.addEventListener('abort', () => {
          aborted = true;
          resolve({ kind: 'retry', error: 'aborted' });
        }),
      );
    const { clock, store, outbox, attemptsAt, close } = rig(hanging);
    try {
      outbox.kick();
      await settle();
      expect(attemptsAt).toEqual([0]);
      const stopping = outbox.stop(2000);
      clock.advance(1999);
      await settle();
      expect(aborted).toBe(false);
      clock.advance(1);
      await stopping;
      expect(aborted).toBe(true);
      expect(store.outbox.pending()).toHaveLength(1);
    } finally {
      close();
    }
  });
});
