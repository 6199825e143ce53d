// Small parts of the adapter: Authorization parsing and token hashing (digest §4), the single-timer deadlines,
// and the outbox back-off (digest §3: retries with back-off).
import { silentLogger } from '../../../src/log';
import { createMetrics } from '../../../src/metrics';
import { Deadlines } from '../../../src/oscp/deadlines';
import { ForbiddenError, MissingTokenError } from '../../../src/oscp/errors';
import { OutboxDelivery } from '../../../src/oscp/outbox';
import { PeerClient } from '../../../src/oscp/peer-client';
import { hashToken, mintToken, sameHash, tokenFromHeader } from '../../../src/oscp/tokens';
import { openSqliteStore } from '../../../src/store/sqlite';

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

describe('deadlines (one timer)', () => {
  it('runs due keys in deadline order; a key moved or cancelled runs once or not at all', async () => {
    const ran: string[] = [];
    const deadlines = new Deadlines(Date.now, () => undefined);
    const now = Date.now();
    deadlines.schedule('b', now + 30, () => ran.push('b'));
    deadlines.schedule('a', now + 10, () => ran.push('a'));
    deadlines.schedule('c', now + 20, () => ran.push('c'));
    deadlines.schedule('c', now + 40, () => ran.push('c moved'));
    deadlines.schedule('d', now + 15, () => ran.push('d'));
    deadlines.cancel('d');
    await new Promise((r) => setTimeout(r, 80));
    expect(ran).toEqual(['a', 'b', 'c moved']);
    deadlines.stop();
  });

  it('a failing run is reported and does not stop the others', async () => {
    const errors: string[] = [];
    const ran: string[] = [];
    const deadlines = new Deadlines(Date.now, (key) => errors.push(key));
    deadlines.schedule('bad', Date.now(), () => {
      throw new Error('boom');
    });
    deadlines.schedule('good', Date.now(), () => ran.push('good'));
    await new Promise((r) => setTimeout(r, 20));
    expect([errors, ran]).toEqual([['bad'], ['good']]);
    deadlines.stop();
  });
});

describe('outbox back-off', () => {
  it('§3 — doubles per attempt from the base, capped, drawn between 50 % and 100 %', () => {
    const store = openSqliteStore(':memory:');
    const deadlines = new Deadlines(Date.now, () => undefined);
    const outbox = (random: number): OutboxDelivery =>
      new OutboxDelivery({
        repo: store.outbox,
        client: new PeerClient(),
        deadlines,
        resolve: () => ({ error: 'unused' }),
        nowMs: Date.now,
        logger: silentLogger,
        metrics: createMetrics({ defaultMetrics: false }),
        options: { baseDelayMs: 1000, maxDelayMs: 300_000, random: () => random },
      });
    expect([0, 1, 2, 3].map((n) => outbox(1).backoffMs(n))).toEqual([1000, 2000, 4000, 8000]);
    expect(outbox(0).backoffMs(2)).toBe(2000);
    expect(outbox(1).backoffMs(40)).toBe(300_000);
    deadlines.stop();
    store.close();
  });
});
