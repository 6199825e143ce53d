// Refused station connections, for the field engineer standing at a charger: when, from where, which identity and
// exactly why (never a secret). A bounded ring: the newest are kept, the oldest fall out.
export interface ConnectionAttempt {
  /** Epoch ms. */
  readonly atMs: number;
  readonly remoteAddress: string;
  /** The identity from the URL, or the raw path segment when it was not a valid identity. */
  readonly identity: string;
  /** The HTTP status the upgrade got. */
  readonly status: number;
  readonly reason: string;
}

export class ConnectionAttempts {
  private readonly ring: ConnectionAttempt[] = [];
  private next = 0;
  private readonly listeners = new Set<(attempt: ConnectionAttempt) => void>();

  constructor(private readonly capacity = 1000) {}

  record(attempt: ConnectionAttempt): void {
    if (this.ring.length < this.capacity) this.ring.push(attempt);
    else this.ring[this.next] = attempt;
    this.next = (this.next + 1) % this.capacity;
    for (const listener of this.listeners) {
      try {
        listener(attempt);
      } catch {
        // A listener's failure (it reports its own) must not change how the refusal is answered or kept.
      }
    }
  }

  /** Calls `listener` with every attempt recorded from now on (the operator API's `station.refused`); returns the unsubscribe. */
  subscribe(listener: (attempt: ConnectionAttempt) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Newest first, optionally of one identity. */
  list(identity?: string): ConnectionAttempt[] {
    const ordered = this.ring.length < this.capacity ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.reverse().filter((a) => identity === undefined || a.identity === identity);
  }
}
