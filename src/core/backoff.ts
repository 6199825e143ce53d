// Exponential back-off with jitter for every retry in the agent (OSCP outbox, webhooks, station commands).
// Pure: a wait depends only on the attempt and the random draw handed in, so callers and tests control both.

export interface BackoffOptions {
  /** Nominal wait after the first failure, ms. */
  readonly minMs: number;
  /** No wait is longer than this, ms. */
  readonly maxMs: number;
  /** Growth of the nominal wait per failure (default 2: doubling). */
  readonly factor?: number;
  /**
   * Share of the nominal wait taken off at random (default 0.5: each wait falls in [50 %, 100 %] of nominal).
   * Jitter spreads the retries of clients that failed together; taking off, never adding, keeps waits ≤ maxMs.
   */
  readonly jitter?: number;
}

/** After a failed attempt: try again after `delayMs`, or stop because the attempts allowed are spent. */
export type RetryDecision = { readonly kind: 'retry'; readonly delayMs: number } | { readonly kind: 'give-up'; readonly attempts: number };

export class Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;

  constructor(options: BackoffOptions) {
    const { minMs, maxMs, factor = 2, jitter = 0.5 } = options;
    if (!(minMs > 0) || !(maxMs >= minMs)) throw new RangeError(`back-off needs 0 < minMs ≤ maxMs; got minMs ${minMs}, maxMs ${maxMs}`);
    if (!(factor >= 1)) throw new RangeError(`back-off factor must be ≥ 1; got ${factor}`);
    if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`back-off jitter must be within [0, 1]; got ${jitter}`);
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.factor = factor;
    this.jitter = jitter;
  }

  /** The wait after failure number `attempt` (0 = the first failure), given a `random` draw in [0, 1). */
  delayMs(attempt: number, random: number): number {
    // factor ** a large attempt is Infinity, which the cap turns into maxMs.
    const nominal = Math.min(this.maxMs, this.minMs * this.factor ** Math.max(0, Math.floor(attempt)));
    return Math.round(nominal * (1 - this.jitter * Math.min(Math.max(random, 0), 1)));
  }

  /** After `failures` failed attempts out of at most `maxAttempts`: wait and retry, or give up. */
  afterFailure(failures: number, random: number, maxAttempts = Infinity): RetryDecision {
    if (failures >= maxAttempts) return { kind: 'give-up', attempts: failures };
    return { kind: 'retry', delayMs: this.delayMs(failures - 1, random) };
  }

  /** The retries of one operation run in a loop (`maxAttempts` counts the first try). */
  start(maxAttempts = Infinity, random: () => number = Math.random): Retries {
    return new Retries(this, maxAttempts, random);
  }
}

/** Attempt count of one operation: `failed()` records a failure and says whether, and when, to try again. */
export class Retries {
  private failures = 0;

  constructor(
    private readonly backoff: Backoff,
    readonly maxAttempts: number,
    private readonly random: () => number,
  ) {}

  /** Failed attempts so far. */
  get attempts(): number {
    return this.failures;
  }

  failed(): RetryDecision {
    this.failures += 1;
    return this.backoff.afterFailure(this.failures, this.random(), this.maxAttempts);
  }
}
