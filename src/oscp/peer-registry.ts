// OSCP peers as store.peers keeps them (digest §6.5 states), bound to their configuration: who a token belongs
// to, state changes with their peerOnline/peerOffline events, and retirement of bootstrap tokens once used.
import { z } from 'zod';
import type { Logger } from '../observability/log';
import type { KeyValueRepository, PeerRecord, PeerRepository } from '../core/ports';
import type { PeerSettings } from './config';
import { ForbiddenError } from './errors';
import type { OscpEvents } from './events';
import { hashToken, sameHash, tokenFromHeader } from './tokens';

/** Who is calling: a registered peer (its current token) or a peer presenting its bootstrap token. */
export type Caller =
  | { readonly kind: 'peer'; readonly peer: PeerRecord; readonly settings: PeerSettings }
  | { readonly kind: 'bootstrap'; readonly peer: PeerRecord; readonly settings: PeerSettings };

export type PeerPatch = Partial<Omit<PeerRecord, 'peerId' | 'role' | 'updatedAt'>>;

export interface PeerRegistryDeps {
  readonly peers: PeerRepository;
  readonly kv: KeyValueRepository;
  readonly settings: readonly PeerSettings[];
  readonly events: OscpEvents;
  readonly nowMs: () => number;
  readonly logger: Logger;
}

const RETIRED_BOOTSTRAP = 'oscp:bootstrap-retired:';
const USED_REGISTER_TOKEN = 'oscp:register-token-used:';
const StoredHash = z.string();

export class PeerRegistry {
  private readonly byId: Map<string, PeerSettings>;

  constructor(private readonly deps: PeerRegistryDeps) {
    this.byId = new Map(deps.settings.map((s) => [s.id, s]));
  }

  /** Creates an UNREGISTERED record for every configured peer the store does not know yet. */
  ensureConfigured(): void {
    for (const settings of this.byId.values()) {
      const existing = this.deps.peers.get(settings.id);
      if (existing && existing.role === settings.role) continue;
      this.deps.peers.upsert({
        ...(existing ?? {
          peerId: settings.id,
          state: 'UNREGISTERED',
          baseUrl: settings.fallbackBaseUrl,
          awaitingRegisterReply: false,
          measurementConfiguration: [],
        }),
        peerId: settings.id,
        role: settings.role,
        updatedAt: new Date(this.deps.nowMs()).toISOString(),
      });
    }
  }

  settings(peerId: string): PeerSettings | undefined {
    return this.byId.get(peerId);
  }

  get(peerId: string): PeerRecord | undefined {
    return this.byId.has(peerId) ? this.deps.peers.get(peerId) : undefined;
  }

  /** Configured peers, in id order. */
  list(): PeerRecord[] {
    return this.deps.peers.list().filter((p) => this.byId.has(p.peerId));
  }

  isOnline(peerId: string): boolean {
    return this.get(peerId)?.state === 'CONNECTED';
  }

  /** 401 without a token, 403 for a token that is neither a peer's current one nor an unretired bootstrap token. */
  authenticate(authorization: string | undefined): Caller {
    const tokenHash = hashToken(tokenFromHeader(authorization));
    const peer = this.deps.peers.findByInboundTokenHash(tokenHash);
    const settings = peer && this.byId.get(peer.peerId);
    if (peer && settings) return { kind: 'peer', peer, settings };
    for (const candidate of this.byId.values()) {
      if (!candidate.bootstrapToken) continue;
      const bootstrapHash = hashToken(candidate.bootstrapToken);
      if (!sameHash(bootstrapHash, tokenHash) || this.retiredBootstrap(candidate.id) === bootstrapHash) continue;
      const record = this.deps.peers.get(candidate.id);
      if (record) return { kind: 'bootstrap', peer: record, settings: candidate };
    }
    throw new ForbiddenError('unknown token');
  }

  /**
   * The peer has just used the token we gave it: its bootstrap token is retired (digest §6.1). Retiring on first
   * use rather than on registration lets a peer that never received our Register try again with it.
   */
  confirmInboundToken(peerId: string): void {
    const bootstrap = this.byId.get(peerId)?.bootstrapToken;
    if (!bootstrap) return;
    const bootstrapHash = hashToken(bootstrap);
    if (this.retiredBootstrap(peerId) === bootstrapHash) return;
    this.deps.kv.set(RETIRED_BOOTSTRAP + peerId, bootstrapHash);
    this.deps.logger.info('bootstrap token retired', { peer: peerId });
  }

  /** Has the configured registerToken (direction b) already been exchanged for the peer's own token? */
  registerTokenUsed(peerId: string): boolean {
    const token = this.byId.get(peerId)?.registerToken;
    return token !== undefined && StoredHash.safeParse(this.deps.kv.get(USED_REGISTER_TOKEN + peerId)).data === hashToken(token);
  }

  markRegisterTokenUsed(peerId: string): void {
    const token = this.byId.get(peerId)?.registerToken;
    if (token) this.deps.kv.set(USED_REGISTER_TOKEN + peerId, hashToken(token));
  }

  /** Writes a change; entering CONNECTED emits peerOnline, leaving it emits peerOffline. */
  update(peerId: string, patch: PeerPatch): PeerRecord {
    const before = this.deps.peers.get(peerId);
    if (!before) throw new Error(`OSCP peer ${peerId} is not in the store`);
    const after: PeerRecord = { ...before, ...patch, peerId, role: before.role, updatedAt: new Date(this.deps.nowMs()).toISOString() };
    this.deps.peers.upsert(after);
    if (before.state !== after.state) {
      this.deps.logger.info('OSCP peer state changed', { peer: peerId, from: before.state, to: after.state });
      if (after.state === 'CONNECTED') this.deps.events.emit('peerOnline', { peerId });
      else if (before.state === 'CONNECTED') this.deps.events.emit('peerOffline', { peerId });
    }
    return after;
  }

  private retiredBootstrap(peerId: string): string | undefined {
    return StoredHash.safeParse(this.deps.kv.get(RETIRED_BOOTSTRAP + peerId)).data;
  }
}
