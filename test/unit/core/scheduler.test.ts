// The single scheduler: keyed deadlines, one timer, coalescing, correct order under random use, deadlines beyond
// a Node timer's range, and the scopes adapters use on the shared scheduler.
import fc from 'fast-check';
import { MAX_TIMER_DELAY_MS, Scheduler, systemClock, type Clock } from '../../../src/core/scheduler';
import { VirtualClock } from '../../helpers/virtual-clock';

const DAY_MS = 86_400_000;

/** Virtual clock: timers fire only when the test advances time. */
function virtualClock(): Clock & { advance(ms: number): void; timers: number } {
  let now = 0;
  let pending: { at: number; callback: () => void; cancelled: boolean }[] = [];
  const clock = {
    timers: 0,
    nowMs: () => now,
    setTimer(callback: () => void, delayMs: number) {
      const timer = { at: now + delayMs, callback, cancelled: false };
      pending.push(timer);
      clock.timers = pending.filter((t) => !t.cancelled).length;
      return {
        cancel: () => {
          timer.cancelled = true;
          clock.timers = pending.filter((t) => !t.cancelled).length;
        },
      };
    },
    advance(ms: number) {
      now += ms;
      const due = pending.filter((t) => !t.cancelled && t.at <= now);
      pending = pending.filter((t) => !due.includes(t));
      clock.timers = pending.filter((t) => !t.cancelled).length;
      for (const timer of due) timer.callback();
    },
  };
  return clock;
}

describe('Scheduler', () => {
  it('runs deadlines in time order with one timer armed, whatever the number of keys', () => {
    const clock = virtualClock();
    const scheduler = new Scheduler(clock);
    const ran: string[] = [];
    for (let i = 0; i < 1000; i++) scheduler.schedule(`station-${i}`, 1000 + ((i * 7919) % 1000), () => ran.push(`station-${i}`));
    expect(clock.timers).toBe(1);
    clock.advance(2000);
    expect(ran).toHaveLength(1000);
    const dues = ran.map((key) => 1000 + ((Number(key.split('-')[1]) * 7919) % 1000));
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
  });

  it('moves a key instead of adding a second run, and cancels it', () => {
    const clock = virtualClock();
    const scheduler = new Scheduler(clock);
    const ran: string[] = [];
    scheduler.schedule('a', 100, () => ran.push('a@100'));
    scheduler.schedule('a', 50, () => ran.push('a@50'));
    scheduler.schedule('b', 60, () => ran.push('b'));
    scheduler.cancel('b');
    clock.advance(200);
    expect(ran).toEqual(['a@50']);
    expect(scheduler.size).toBe(0);
  });

  it('coalesces a burst: scheduleNoLaterThan keeps the earliest deadline and the latest callback', () => {
    const clock = virtualClock();
    const scheduler = new Scheduler(clock);
    const ran: number[] = [];
    for (let i = 0; i < 50; i++) scheduler.scheduleNoLaterThan('realloc:g1', 100 + i, () => ran.push(i));
    clock.advance(100);
    expect(ran).toEqual([49]);
  });

  it('keeps running after a callback throws, and reports the error with its key', () => {
    const clock = virtualClock();
    const errors: string[] = [];
    const scheduler = new Scheduler(clock, (key) => errors.push(key));
    const ran: string[] = [];
    scheduler.schedule('bad', 10, () => {
      throw new Error('boom');
    });
    scheduler.schedule('good', 20, () => ran.push('good'));
    clock.advance(30);
    expect(errors).toEqual(['bad']);
    expect(ran).toEqual(['good']);
  });

  it('a callback may schedule again (renewal loops)', () => {
    const clock = virtualClock();
    const scheduler = new Scheduler(clock);
    let renewals = 0;
    const renew = (): void => {
      renewals += 1;
      scheduler.schedule('lease', clock.nowMs() + 100, renew);
    };
    scheduler.schedule('lease', 100, renew);
    for (let i = 0; i < 5; i++) clock.advance(100);
    expect(renewals).toBe(5);
  });

  it('property: any mix of schedule/cancel runs exactly the surviving keys, in deadline order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 30 }), due: fc.integer({ min: 0, max: 500 }), cancel: fc.boolean() }), {
          maxLength: 200,
        }),
        (operations) => {
          const clock = virtualClock();
          const scheduler = new Scheduler(clock);
          const expected = new Map<number, number>();
          const ran: { key: number; due: number }[] = [];
          for (const op of operations) {
            if (op.cancel) {
              scheduler.cancel(`k${op.key}`);
              expected.delete(op.key);
            } else {
              scheduler.schedule(`k${op.key}`, op.due, () => ran.push({ key: op.key, due: op.due }));
              expected.set(op.key, op.due);
            }
          }
          clock.advance(1000);
          expect(new Map(ran.map((r) => [r.key, r.due]))).toEqual(expected);
          expect(ran.map((r) => r.due)).toEqual([...ran.map((r) => r.due)].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('a deadline 40 days out (beyond 2^31 − 1 ms) fires exactly at 40 days, never early; the timer is armed twice', () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    const fired: number[] = [];
    scheduler.schedule('override:expiry', 40 * DAY_MS, () => fired.push(clock.nowMs()));
    clock.advance(MAX_TIMER_DELAY_MS);
    expect(fired).toEqual([]);
    clock.advance(40 * DAY_MS - MAX_TIMER_DELAY_MS - 1);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([40 * DAY_MS]);
    // The clock refuses any delay above the cap, so every arming stayed within it.
    expect(clock.armed).toEqual([MAX_TIMER_DELAY_MS, 40 * DAY_MS - MAX_TIMER_DELAY_MS]);
    expect(clock.pending).toBe(0);
  });

  it('a far deadline does not spin: a year of virtual time arms the timer a bounded number of times', () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    let ran = 0;
    scheduler.schedule('far', 365 * DAY_MS, () => ran++);
    clock.advance(365 * DAY_MS);
    expect(ran).toBe(1);
    expect(clock.armed.length).toBe(Math.ceil((365 * DAY_MS) / MAX_TIMER_DELAY_MS));
  });

  it('the system clock never hands setTimeout more than 2^31 − 1 ms (Node would fire it after 1 ms)', () => {
    const spy = jest.spyOn(global, 'setTimeout');
    try {
      const timer = systemClock.setTimer(() => undefined, 40 * DAY_MS);
      expect(spy).toHaveBeenLastCalledWith(expect.any(Function), MAX_TIMER_DELAY_MS);
      timer.cancel();
      systemClock.setTimer(() => undefined, -5).cancel();
      expect(spy).toHaveBeenLastCalledWith(expect.any(Function), 0);
    } finally {
      spy.mockRestore();
    }
  });

  it('issue #17 item 5 — a NaN deadline is refused naming its key; before, it sat at the top of the heap, held back every other deadline and re-armed a 1 ms timer for ever', () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    const ran: string[] = [];
    scheduler.schedule('lease:cp-1', 100, () => ran.push('lease'));
    expect(() => scheduler.schedule('override:bad', Number.NaN, () => ran.push('bad'))).toThrow(/deadline of override:bad is NaN/);
    clock.advance(100);
    expect(ran).toEqual(['lease']);
    expect(clock.armed.every((delayMs) => delayMs >= 0 && delayMs <= MAX_TIMER_DELAY_MS)).toBe(true);
    expect(() => systemClock.setTimer(() => undefined, Number.NaN)).toThrow(RangeError);
  });

  it('issue #17 item 5 — deadlines from a year to Infinity never hand the timer more than 2^31 − 1 ms; Infinity arms nothing', () => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    const ran: number[] = [];
    scheduler.schedule('never', Infinity, () => ran.push(-1));
    expect(clock.pending).toBe(0);
    for (const days of [24, 25, 49.7, 50, 400]) scheduler.schedule(`far:${days}`, days * DAY_MS, () => ran.push(clock.nowMs()));
    clock.advance(400 * DAY_MS);
    expect(ran).toEqual([24, 25, 49.7, 50, 400].map((d) => d * DAY_MS));
    // The virtual clock throws on any delay above the cap (or NaN), so every arming stayed within it; and few of them.
    expect(clock.armed.length).toBeLessThanOrEqual(5 + Math.ceil((400 * DAY_MS) / MAX_TIMER_DELAY_MS));
  });

  describe('scopes (one per adapter on the shared scheduler)', () => {
    it('prefix their keys; close cancels only their own and refuses new ones', () => {
      const clock = new VirtualClock(0);
      const scheduler = new Scheduler(clock);
      const oscp = scheduler.scope('oscp:');
      const ran: string[] = [];
      scheduler.schedule('lease:cp-1', 100, () => ran.push('lease'));
      oscp.schedule('heartbeat:dso', 50, () => ran.push('heartbeat'));
      oscp.schedule('offline:dso', 150, () => ran.push('offline'));
      expect(scheduler.dueMs('oscp:heartbeat:dso')).toBe(50);
      expect(oscp.dueMs('offline:dso')).toBe(150);
      clock.advance(60);
      oscp.close();
      oscp.schedule('heartbeat:dso', 70, () => ran.push('after close'));
      clock.advance(200);
      expect(ran).toEqual(['heartbeat', 'lease']);
      expect(scheduler.size).toBe(0);
    });

    it('wait resolves after its delay on the clock, also once the scope is closed (a bounded grace period)', async () => {
      const clock = new VirtualClock(0);
      const scheduler = new Scheduler(clock);
      const scope = scheduler.scope('x:');
      scope.close();
      let done = false;
      const waiting = scope.wait(2000).then(() => (done = true));
      clock.advance(1999);
      await Promise.resolve();
      expect(done).toBe(false);
      clock.advance(1);
      await waiting;
      expect(clock.nowMs()).toBe(2000);
      scheduler.stop();
      await scope.wait(1000);
    });
  });
});
