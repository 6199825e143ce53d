// Waiting on a condition instead of sleeping: whoever changes the simulator's state calls notify(), and each
// waiter re-checks its probe; tests then wait for "CS-1 connected" or "a Heartbeat from CS-2", bounded by a timeout.
export class WaitTimeoutError extends Error {}

export class Signal {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const check of [...this.waiters]) check();
  }

  /** Resolves with the probe's first value that is neither undefined nor false (at once if it already is). */
  until<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<Exclude<T, undefined | false>> {
    return new Promise((resolve, reject) => {
      const settle = (): boolean => {
        const value = probe();
        if (value === undefined || value === false) return false;
        resolve(value as Exclude<T, undefined | false>);
        return true;
      };
      if (settle()) return;
      const check = (): void => {
        if (settle()) done();
      };
      const timer = setTimeout(() => {
        done();
        reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}
