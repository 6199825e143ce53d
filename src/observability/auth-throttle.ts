// Failed authentication, throttled (issue #17, "limits"): per remote address and per identity, a few free failures,
// then a back-off that doubles up to a maximum; a refused attempt costs no password hash. Shared by OCPP, OSCP and API.
import type { AuthThrottleConfig } from '../config/schema';

interface Entry {
  failures: number;
  blockedUntilMs: number;
  lastFailureMs: number;
}

export interface Throttled {
  readonly scope: 'address' | 'identity';
  readonly retryAfterMs: number;
}

/**
 * Who failed and when. An identity is counted apart at its home (the address it last authenticated from) and away: a
 * brute force on CS-1 from elsewhere slows the attacker, not CS-1 reconnecting from its usual place; and a station at
 * its home is not held back by its neighbours' failures behind the same NAT address.
 */
export class AuthThrottle {
  private readonly addresses = new Map<string, Entry>();
  private readonly identities = new Map<string, Entry>();
  private readonly home = new Map<string, string>();

  constructor(
    private readonly config: AuthThrottleConfig,
    private readonly nowMs: () => number,
  ) {}

  /** Undefined when the attempt may go on to the credential check; otherwise how long the caller must wait. */
  check(address: string, identity?: string): Throttled | undefined {
    const now = this.nowMs();
    if (identity === undefined || this.home.get(identity) !== address) {
      const byAddress = this.blocked(this.addresses, address, now);
      if (byAddress > 0) return { scope: 'address', retryAfterMs: byAddress };
    }
    if (identity === undefined) return undefined;
    const byIdentity = this.blocked(this.identities, this.identityKey(address, identity), now);
    return byIdentity > 0 ? { scope: 'identity', retryAfterMs: byIdentity } : undefined;
  }

  failed(address: string, identity?: string): void {
    const now = this.nowMs();
    this.count(this.addresses, address, now);
    if (identity !== undefined) this.count(this.identities, this.identityKey(address, identity), now);
  }

  /**
   * This address becomes the identity's home and the failures counted at home are forgotten. The failures away stay:
   * they are someone else's, and forgetting them whenever the real station reconnected would give an attacker with many
   * addresses the free failures again per address (the brute-force bench measured it). The address's own count stays.
   */
  succeeded(address: string, identity?: string): void {
    if (identity === undefined) return;
    this.identities.delete(`home:${identity}`);
    this.home.delete(identity);
    this.home.set(identity, address);
    this.trim(this.home);
  }

  private identityKey(address: string, identity: string): string {
    return `${this.home.get(identity) === address ? 'home' : 'away'}:${identity}`;
  }

  /** Keys remembered now (a gauge). */
  get tracked(): number {
    return this.addresses.size + this.identities.size;
  }

  private blocked(map: Map<string, Entry>, key: string, now: number): number {
    const entry = map.get(key);
    if (!entry) return 0;
    if (now - entry.lastFailureMs > this.config.forgetAfterMs) {
      map.delete(key);
      return 0;
    }
    return Math.max(0, entry.blockedUntilMs - now);
  }

  private count(map: Map<string, Entry>, key: string, now: number): void {
    let entry = map.get(key);
    if (entry && now - entry.lastFailureMs > this.config.forgetAfterMs) entry = undefined;
    entry ??= { failures: 0, blockedUntilMs: 0, lastFailureMs: now };
    entry.failures += 1;
    entry.lastFailureMs = now;
    // The freeFailures-th failure earns the first wait, each further one doubles it.
    const over = entry.failures - this.config.freeFailures;
    if (over >= 0) {
      const delay = Math.min(this.config.maxDelayMs, this.config.baseDelayMs * 2 ** Math.min(over, 40));
      entry.blockedUntilMs = Math.max(entry.blockedUntilMs, now + delay);
    }
    // Re-inserted, so the Map's order is the order of last failure and trimming drops the quietest first.
    map.delete(key);
    map.set(key, entry);
    this.trim(map);
  }

  private trim<V>(map: Map<string, V>): void {
    while (map.size > this.config.maxTracked) {
      const oldest = map.keys().next();
      if (oldest.done) return;
      map.delete(oldest.value);
    }
  }
}
