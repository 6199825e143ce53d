// The single scheduler: keyed deadlines, one timer, coalescing, and correct order under random use.
import fc from 'fast-check';
import { Scheduler, type Clock } from '../../../src/core/scheduler';

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
});
