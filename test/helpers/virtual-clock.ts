// Virtual time for tests: a Clock whose timers fire only when the test advances it, in due order, each at its
// own instant. A zero-delay timer ("as soon as possible", not a wait) runs on the next turn of the event loop.
import { MAX_TIMER_DELAY_MS, Scheduler, type Clock } from '../../src/core/scheduler';

interface Timer {
  readonly atMs: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** Runaway guard: a callback that re-arms itself for "now" forever would otherwise hang `advance`. */
const MAX_FIRES_PER_ADVANCE = 1_000_000;

export class VirtualClock implements Clock {
  /** Every delay asked of `setTimer`, in order: tests bound how often and how far the timer was armed. */
  readonly armed: number[] = [];
  private now: number;
  private timers: Timer[] = [];
  private seq = 0;
  private turnPending = false;

  constructor(startMs: number = Date.now()) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  setTimer(callback: () => void, delayMs: number): { cancel(): void } {
    // Node would turn a longer delay into 1 ms: a caller that asks for it has a bug this clock must show.
    // NaN too: Node reads it as 1 ms.
    if (!(delayMs <= MAX_TIMER_DELAY_MS))
      throw new RangeError(`timer of ${delayMs} ms asked: Node fires anything above 2^31 − 1 ms after 1 ms`);
    this.armed.push(delayMs);
    const timer: Timer = { atMs: this.now + Math.max(0, delayMs), seq: this.seq++, callback };
    this.timers.push(timer);
    if (timer.atMs <= this.now) this.nextTurn();
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  /** Timers armed and not yet fired or cancelled. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way at its own instant. */
  advance(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  advanceTo(targetMs: number): void {
    for (let fired = 0; ; fired++) {
      if (fired > MAX_FIRES_PER_ADVANCE) throw new Error('virtual clock: timers keep re-arming for the same instant');
      const next = this.earliest();
      if (!next || next.atMs > targetMs) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.now = Math.max(this.now, next.atMs);
      next.callback();
    }
    this.now = Math.max(this.now, targetMs);
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) if (!best || t.atMs < best.atMs || (t.atMs === best.atMs && t.seq < best.seq)) best = t;
    return best;
  }

  private nextTurn(): void {
    if (this.turnPending) return;
    this.turnPending = true;
    setImmediate(() => {
      this.turnPending = false;
      this.advanceTo(this.now);
    });
  }
}

/** A virtual clock with the agent's Scheduler on it, as a part under test takes them (`nowMs`, `scheduler`). */
export function virtualTime(startMs = Date.parse('2026-12-01T10:00:00Z')): {
  nowMs: () => number;
  scheduler: Scheduler;
  advance: (ms: number) => void;
} {
  const clock = new VirtualClock(startMs);
  return { nowMs: () => clock.nowMs(), scheduler: new Scheduler(clock), advance: (ms) => clock.advance(ms) };
}
