// Core's clock port: the time and the one timer the scheduler arms. The system clock in production, a virtual one
// in tests, so everything that waits runs on time a test can advance.

export interface Clock {
  nowMs(): number;
  /** Calls `callback` once after `delayMs`; the Scheduler never asks for more than 2^31−1 ms (setTimeout's limit). */
  setTimer(callback: () => void, delayMs: number): { cancel(): void };
}
