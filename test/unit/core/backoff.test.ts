// The one back-off of the agent (outbox, webhooks, station commands): exponential from minMs, capped at maxMs,
// jitter taken off the nominal wait, a bounded number of attempts when asked.
import fc from 'fast-check';
import { Backoff } from '../../../src/core/backoff';

describe('Backoff', () => {
  it('grows by the factor from minMs and stops at maxMs (random 0 = the nominal wait)', () => {
    const backoff = new Backoff({ minMs: 1000, maxMs: 300_000 });
    expect([0, 1, 2, 3, 8, 9, 40, 5000].map((n) => backoff.delayMs(n, 0))).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000, 300_000,
    ]);
    expect(new Backoff({ minMs: 100, maxMs: 10_000, factor: 3 }).delayMs(2, 0)).toBe(900);
  });

  it('jitter takes off up to its share, never adds: 50–100 % of nominal by default, exact without jitter', () => {
    const backoff = new Backoff({ minMs: 1000, maxMs: 300_000 });
    expect(backoff.delayMs(2, 0.999_999)).toBe(2000);
    expect(backoff.delayMs(2, 0.5)).toBe(3000);
    expect(new Backoff({ minMs: 1000, maxMs: 1000, jitter: 0 }).delayMs(3, 0.7)).toBe(1000);
    expect(new Backoff({ minMs: 1000, maxMs: 8000, jitter: 1 }).delayMs(0, 0.75)).toBe(250);
  });

  it('property: every wait lies within [(1 − jitter) × nominal, min(maxMs, nominal)] and never decreases with the attempt at a fixed draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (minMs, extraMs, factor, jitter, attempt, random) => {
          const backoff = new Backoff({ minMs, maxMs: minMs + extraMs, factor, jitter });
          const nominal = Math.min(minMs + extraMs, minMs * factor ** attempt);
          const wait = backoff.delayMs(attempt, random);
          expect(wait).toBeLessThanOrEqual(Math.round(nominal));
          expect(wait).toBeGreaterThanOrEqual(Math.floor(nominal * (1 - jitter)));
          expect(backoff.delayMs(attempt + 1, random)).toBeGreaterThanOrEqual(wait);
        },
      ),
    );
  });

  it('afterFailure: retry after the wait of that failure, give up once maxAttempts are spent', () => {
    const backoff = new Backoff({ minMs: 10, maxMs: 100 });
    expect(backoff.afterFailure(1, 0, 3)).toEqual({ kind: 'retry', delayMs: 10 });
    expect(backoff.afterFailure(2, 0, 3)).toEqual({ kind: 'retry', delayMs: 20 });
    expect(backoff.afterFailure(3, 0, 3)).toEqual({ kind: 'give-up', attempts: 3 });
    expect(backoff.afterFailure(50, 0)).toEqual({ kind: 'retry', delayMs: 100 });
  });

  it('start: the retries of one loop (a command retried after timeouts), counting the first try', () => {
    const retries = new Backoff({ minMs: 500, maxMs: 2000 }).start(3, () => 0);
    expect([retries.failed(), retries.failed(), retries.failed()]).toEqual([
      { kind: 'retry', delayMs: 500 },
      { kind: 'retry', delayMs: 1000 },
      { kind: 'give-up', attempts: 3 },
    ]);
    expect(retries.attempts).toBe(3);
  });

  it('refuses options that cannot make a back-off, saying which', () => {
    expect(() => new Backoff({ minMs: 0, maxMs: 10 })).toThrow(/0 < minMs ≤ maxMs; got minMs 0/);
    expect(() => new Backoff({ minMs: 10, maxMs: 5 })).toThrow(/maxMs 5/);
    expect(() => new Backoff({ minMs: 10, maxMs: 50, factor: 0.5 })).toThrow(/factor must be ≥ 1/);
    expect(() => new Backoff({ minMs: 10, maxMs: 50, jitter: 2 })).toThrow(/jitter must be within \[0, 1\]/);
  });
});
