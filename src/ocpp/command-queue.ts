// One command queue per station (OCPP-J §4.1.1 synchronicity): one call in flight, the rest wait in order.
// Work for the same slot coalesces — a newer desired state replaces a queued older one, which is told "superseded".

interface QueuedCommand {
  readonly slot: string;
  /** Runs the command and settles its promise; never throws. */
  readonly start: () => Promise<void>;
  readonly drop: (why: 'superseded' | 'closed') => void;
}

/** What a command's promise resolves with when it does not run to completion. */
export interface CommandOutcomes<T> {
  readonly superseded: T;
  readonly closed: T;
  /** `run` threw: a bug, but the caller still gets an answer and the queue goes on. */
  readonly failed: T;
}

export interface QueueObserver {
  /** Called with +1 when work is queued and −1 when it leaves the queue (for the queue-depth gauge). */
  depthChanged(delta: number): void;
}

export class CommandQueue {
  private readonly waiting: QueuedCommand[] = [];
  private running = false;
  private closed = false;

  constructor(private readonly observer: QueueObserver = { depthChanged: () => undefined }) {}

  get depth(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  /**
   * Queues `run` under `slot`. A queued (not yet started) command of the same slot is dropped and resolved with
   * `outcomes.superseded`; the one in flight is never interrupted. A closed queue answers `outcomes.closed` at once.
   */
  enqueue<T>(slot: string, run: () => Promise<T>, outcomes: CommandOutcomes<T>): Promise<T> {
    if (this.closed) return Promise.resolve(outcomes.closed);
    return new Promise<T>((resolve) => {
      const index = this.waiting.findIndex((c) => c.slot === slot);
      if (index >= 0) {
        this.waiting.splice(index, 1)[0]?.drop('superseded');
        this.observer.depthChanged(-1);
      }
      this.waiting.push({
        slot,
        start: () => run().then(resolve, () => resolve(outcomes.failed)),
        drop: (why) => resolve(outcomes[why]),
      });
      this.observer.depthChanged(1);
      void this.drain();
    });
  }

  /** Answers every waiting command with its `closed` outcome; new work is refused from now on. */
  close(): void {
    this.closed = true;
    for (const command of this.waiting.splice(0)) {
      command.drop('closed');
      this.observer.depthChanged(-1);
    }
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let command = this.waiting.shift(); command; command = this.waiting.shift()) {
        await command.start();
        this.observer.depthChanged(-1);
      }
    } finally {
      this.running = false;
    }
  }
}
