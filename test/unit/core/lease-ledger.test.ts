// Invariant 1 — count what you cannot see; invariant 2 — every limit is a lease.
import fc from 'fast-check';
import { LeaseLedger, scheduleLimitAt } from '../../../src/core/lease-ledger';

const schedule = (leaseEndMs: number, ...periods: [number, number][]) => ({
  leaseEndMs,
  periods: periods.map(([startMs, limitA]) => ({ startMs, limitA })),
});

describe('lease ledger', () => {
  it('a station that never acknowledged anything counts at its hardware maximum', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    expect(ledger.assumedLimitA('CS-1', 0)).toBe(32);
    expect(ledger.assumedLimitA('unknown', 0)).toBe(Infinity);
  });

  it('invariant 2 — after the standing limit is acknowledged, it is what the station falls back to', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.standingSent('CS-1', 10);
    expect(ledger.assumedLimitA('CS-1', 0)).toBe(32);
    ledger.standingAcknowledged('CS-1', 10);
    expect(ledger.assumedLimitA('CS-1', 0)).toBe(10);
  });

  it('invariant 1 — an unacknowledged change counts at the higher of old and new, per instant', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.standingAcknowledged('CS-1', 10);
    const first = ledger.liveSent('CS-1', schedule(1000, [0, 20], [500, 8]));
    ledger.liveAcknowledged('CS-1', first);
    ledger.liveSent('CS-1', schedule(2000, [0, 12], [500, 16]));
    expect(ledger.assumedLimitA('CS-1', 100)).toBe(20);
    expect(ledger.assumedLimitA('CS-1', 600)).toBe(16);
    expect(ledger.assumedLimitA('CS-1', 1500)).toBe(16);
  });

  it('a refused or timed-out change leaves the old schedule in force', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.standingAcknowledged('CS-1', 10);
    const first = ledger.liveSent('CS-1', schedule(1000, [0, 20]));
    ledger.liveAcknowledged('CS-1', first);
    const second = ledger.liveSent('CS-1', schedule(1000, [0, 6]));
    ledger.liveFailed('CS-1', second);
    expect(ledger.assumedLimitA('CS-1', 100)).toBe(20);
  });

  it('a stale acknowledgement (superseded send) is ignored', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    const old = ledger.liveSent('CS-1', schedule(1000, [0, 30]));
    const latest = ledger.liveSent('CS-1', schedule(1000, [0, 6]));
    ledger.liveAcknowledged('CS-1', old);
    expect(ledger.liveSchedule('CS-1')).toBeUndefined();
    ledger.liveAcknowledged('CS-1', latest);
    expect(ledger.assumedLimitA('CS-1', 0)).toBe(6);
  });

  it('invariant 2 — when the lease ends the station counts at its standing share again', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.standingAcknowledged('CS-1', 10);
    ledger.liveAcknowledged('CS-1', ledger.liveSent('CS-1', schedule(1000, [0, 25])));
    expect(ledger.assumedLimitA('CS-1', 999)).toBe(25);
    expect(ledger.assumedLimitA('CS-1', 1000)).toBe(10);
    expect(ledger.nextChangeMs('CS-1', 0)).toBe(1000);
    expect(ledger.nextChangeMs('CS-1', 1000)).toBeUndefined();
  });

  it('the next change is the earliest period start or lease end after t, over the live, the pending and the uncertain schedule', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.liveAcknowledged('CS-1', ledger.liveSent('CS-1', schedule(9000, [0, 20], [4000, 16])));
    expect([ledger.nextChangeMs('CS-1', 0), ledger.nextChangeMs('CS-1', 4000), ledger.nextChangeMs('CS-1', 9000)]).toEqual([
      4000,
      9000,
      undefined,
    ]);
    // A send that timed out may be in force: its changes count until an acknowledged one replaces it.
    ledger.liveFailed('CS-1', ledger.liveSent('CS-1', schedule(7000, [0, 10], [2500, 12])), 'Timeout');
    expect(ledger.nextChangeMs('CS-1', 0)).toBe(2500);
    expect(ledger.nextChangeMs('CS-1', 4000)).toBe(7000);
    // A send in flight counts too.
    ledger.liveSent('CS-1', schedule(8000, [0, 8], [1000, 9]));
    expect(ledger.nextChangeMs('CS-1', 0)).toBe(1000);
    expect(ledger.nextChangeMs('CS-1', 7000)).toBe(8000);
    expect(ledger.nextChangeMs('unknown', 0)).toBeUndefined();
  });

  it('a pending standing change counts at the higher of the two', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.standingAcknowledged('CS-1', 10);
    ledger.standingSent('CS-1', 14);
    expect(ledger.assumedLimitA('CS-1', 0)).toBe(14);
    ledger.standingFailed('CS-1');
    expect(ledger.assumedLimitA('CS-1', 0)).toBe(10);
  });

  it('scheduleLimitAt: nothing before the first period, the last started period after', () => {
    const s = schedule(100, [10, 6], [50, 12]);
    expect([5, 10, 49, 50, 99, 100].map((t) => scheduleLimitAt(s, t))).toEqual([undefined, 6, 6, 12, 12, undefined]);
  });

  it('scheduleLimitAt reads any schedule as a walk through its periods does (its bisection misses no period)', () => {
    const walked = (s: ReturnType<typeof schedule>, t: number): number | undefined => {
      if (t >= s.leaseEndMs) return undefined;
      let limit: number | undefined;
      for (const period of s.periods) if (period.startMs <= t) limit = period.limitA;
      return limit;
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 63 })), { maxLength: 100 }),
        fc.integer({ min: 0, max: 1_200 }),
        fc.integer({ min: -10, max: 1_210 }),
        (periods, leaseEndMs, t) => {
          const s = schedule(leaseEndMs, ...[...periods].sort((a, b) => a[0] - b[0]));
          expect(scheduleLimitAt(s, t)).toBe(walked(s, t));
        },
      ),
    );
  });
});

describe('lease ledger across a restart (invariant 3)', () => {
  it('a snapshot restored into a new ledger keeps counting the leases still running on the stations', () => {
    const before = new LeaseLedger();
    before.track('CS-1', 32);
    before.standingAcknowledged('CS-1', 10);
    before.liveAcknowledged('CS-1', before.liveSent('CS-1', schedule(1000, [0, 25])));
    const after = new LeaseLedger();
    after.track('CS-1', 32);
    after.restore(before.snapshot('CS-1')!);
    expect([after.assumedLimitA('CS-1', 500), after.assumedLimitA('CS-1', 1000)]).toEqual([25, 10]);
  });

  it('a change still in flight at the crash is restored as the higher of old and new, instant by instant', () => {
    const before = new LeaseLedger();
    before.track('CS-1', 32);
    before.standingAcknowledged('CS-1', 10);
    before.liveAcknowledged('CS-1', before.liveSent('CS-1', schedule(1000, [0, 25], [500, 6])));
    before.liveSent('CS-1', schedule(2000, [0, 8], [500, 20]));
    const after = new LeaseLedger();
    after.track('CS-1', 32);
    after.restore(before.snapshot('CS-1')!);
    expect([0, 600, 1500, 2000].map((t) => after.assumedLimitA('CS-1', t))).toEqual([25, 20, 20, 10]);
  });
});

describe('lease ledger — a change that timed out may be in force (interop run: a 32 A standing limit left uncounted)', () => {
  it('a timed-out standing limit keeps counting after a newer one is sent, until a standing limit is acknowledged', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.standingSent('CS-1', 32);
    ledger.standingFailed('CS-1', 'Timeout');
    expect(ledger.standingCommittedA('CS-1')).toBe(32);
    ledger.standingSent('CS-1', 6);
    expect(ledger.standingCommittedA('CS-1')).toBe(32);
    ledger.standingFailed('CS-1', 'Rejected');
    expect(ledger.standingCommittedA('CS-1')).toBe(32);
    ledger.standingSent('CS-1', 6);
    ledger.standingAcknowledged('CS-1', 6);
    expect(ledger.standingCommittedA('CS-1')).toBe(6);
    expect(ledger.assumedLimitA('CS-1', 0)).toBe(6);
  });

  it('a refused standing limit is not counted: the station told us it did not take it', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.standingAcknowledged('CS-1', 10);
    ledger.standingSent('CS-1', 20);
    ledger.standingFailed('CS-1', 'Rejected');
    expect(ledger.standingCommittedA('CS-1')).toBe(10);
  });
});

describe('lease ledger — a live schedule that timed out may be in force', () => {
  it('counts at the higher until a later live schedule is acknowledged, across a restart, and is the next baseline', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.standingAcknowledged('CS-1', 10);
    ledger.liveAcknowledged('CS-1', ledger.liveSent('CS-1', schedule(1000, [0, 8])));
    const token = ledger.liveSent('CS-1', schedule(1000, [0, 20]));
    ledger.liveFailed('CS-1', token, 'Timeout');
    expect(ledger.assumedLimitA('CS-1', 100)).toBe(20);
    expect(ledger.liveUncertain('CS-1')).toBe(true);
    expect(scheduleLimitAt(ledger.liveMayBeInForce('CS-1')!, 100)).toBe(20);
    const restored = new LeaseLedger();
    restored.track('CS-1', 32);
    restored.restore(ledger.snapshot('CS-1')!);
    expect(restored.assumedLimitA('CS-1', 100)).toBe(20);
    ledger.liveAcknowledged('CS-1', ledger.liveSent('CS-1', schedule(1000, [0, 8])));
    expect(ledger.assumedLimitA('CS-1', 100)).toBe(8);
    expect(ledger.liveUncertain('CS-1')).toBe(false);
  });

  it('a refused live schedule is not counted', () => {
    const ledger = new LeaseLedger();
    ledger.track('CS-1', 32);
    ledger.standingAcknowledged('CS-1', 10);
    ledger.liveFailed('CS-1', ledger.liveSent('CS-1', schedule(1000, [0, 20])), 'Rejected');
    expect(ledger.assumedLimitA('CS-1', 100)).toBe(10);
  });
});
