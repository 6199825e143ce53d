// Registration both ways (digest §6.1): a peer registering with us (we answer 204, then Register back with a
// fresh token) or we registering with it (its Register is the reply; we do not register again). PUT/DELETE too.
import { z } from 'zod';
import type { Logger } from '../observability/log';
import type { OutboxMessage, PeerRecord, Store } from '../core/ports';
import { OSCP_VERSION, ourVersionUrls, type OscpSettings } from './config';
import { BadRequestError, ForbiddenError, NoCommonVersionError } from './errors';
import type { Link } from './link';
import type { OutboxDelivery } from './outbox';
import type { Caller, PeerRegistry } from './peer-registry';
import { describeIssues, Register, VersionUrl } from './schemas';
import { hashToken, mintToken } from './tokens';

export interface RegistrationDeps {
  readonly settings: OscpSettings;
  readonly registry: PeerRegistry;
  readonly outbox: OutboxDelivery;
  readonly link: Link;
  readonly store: Pick<Store, 'transaction'>;
  readonly followUpDelayMs: number;
  readonly logger: Logger;
}

/** What we queue for a Register: everything but the token, which is minted when it is sent (never stored in clear). */
const QueuedRegister = z.object({ version_url: z.array(VersionUrl).min(1) });

/** `registerUrl` may be the peer's base URL or already its register endpoint. */
export function registerEndpoint(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/register$/.test(trimmed) ? trimmed : `${trimmed}/register`;
}

/** An absolute http(s) URL without trailing slash, or undefined (elmo-api sends a bare path, digest §3). */
function usableBaseUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? url.replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
}

export const isRegisterPath = (path: string): boolean => path === 'register' || /\/register$/.test(path);

export class Registration {
  /** Token minted for a queued Register, kept while the message is retried in this process. */
  private readonly minted = new Map<number, string>();

  constructor(private readonly deps: RegistrationDeps) {}

  /** POST /register: an initiating Register, or the reply to ours when we are waiting for one. */
  onRegister(caller: Caller, body: unknown, requestId: string): void {
    const { token, baseUrl } = this.readRegister(caller, body);
    const peer = caller.peer;
    const state = peer.state === 'UNREGISTERED' ? 'REGISTERED' : peer.state;
    const log = this.deps.logger.child({ peer: peer.peerId });
    if (caller.kind === 'peer' && peer.awaitingRegisterReply) {
      this.deps.store.transaction(() => {
        this.deps.registry.update(peer.peerId, { outboundToken: token, baseUrl, awaitingRegisterReply: false, state });
        this.deps.registry.markRegisterTokenUsed(peer.peerId);
        this.deps.link.sendHandshake(peer.peerId);
      });
      log.info('peer answered our Register: registered', { baseUrl });
      return;
    }
    this.deps.store.transaction(() => {
      this.deps.registry.update(peer.peerId, { outboundToken: token, baseUrl, awaitingRegisterReply: false, state });
      this.deps.outbox.enqueue({
        peerId: peer.peerId,
        path: 'register',
        correlationId: requestId,
        body: { version_url: ourVersionUrls(this.deps.settings) },
        delayMs: this.deps.followUpDelayMs,
      });
      this.deps.link.sendHandshake(peer.peerId);
    });
    log.info('peer registered with us; registering back', {
      baseUrl,
      with: caller.kind === 'bootstrap' ? 'bootstrap token' : 'current token',
    });
  }

  /** PUT /register: a registered peer changes its token and/or base URL. */
  onUpdate(caller: Caller, body: unknown): void {
    const peer = this.registered(caller);
    const { token, baseUrl } = this.readRegister(caller, body);
    this.deps.registry.update(peer.peerId, { outboundToken: token, baseUrl });
    this.deps.logger.info('peer updated its registration', { peer: peer.peerId, baseUrl });
  }

  /** DELETE /register: the peer unregisters; its tokens are forgotten and its timers stopped. */
  onDelete(caller: Caller): void {
    const peer = this.registered(caller);
    this.deps.registry.update(peer.peerId, {
      state: 'UNREGISTERED',
      outboundToken: undefined,
      inboundTokenHash: undefined,
      awaitingRegisterReply: false,
      heartbeatIntervalS: undefined,
      measurementConfiguration: [],
      offlineModeAt: undefined,
    });
    this.deps.link.forget(peer.peerId);
    this.deps.logger.info('peer unregistered', { peer: peer.peerId });
  }

  /**
   * We register with the peer (direction b, or a token rotation we start): at `registerUrl` with the
   * registerToken while unregistered, else at its base URL with its current token.
   */
  register(peerId: string): void {
    const peer = this.deps.registry.get(peerId);
    const settings = this.deps.registry.settings(peerId);
    if (!peer || !settings) throw new Error(`OSCP peer ${peerId} is not configured`);
    const registered = peer.state !== 'UNREGISTERED' && peer.outboundToken !== undefined;
    if (!registered && !(settings.registerUrl && settings.registerToken))
      throw new Error(`OSCP peer ${peerId}: not registered and no registerUrl + registerToken configured`);
    const path = registered ? 'register' : registerEndpoint(settings.registerUrl ?? '');
    this.deps.store.transaction(() => {
      this.deps.registry.update(peerId, { awaitingRegisterReply: true });
      this.deps.outbox.enqueue({ peerId, path, body: { version_url: ourVersionUrls(this.deps.settings) } });
    });
    this.deps.outbox.kick();
    this.deps.logger.info('registering with peer', { peer: peerId, via: registered ? 'base URL' : 'registerUrl' });
  }

  /** At start: register with every direction-(b) peer whose registerToken has not been used yet. */
  startup(): void {
    for (const peer of this.deps.registry.list()) {
      const settings = this.deps.registry.settings(peer.peerId);
      if (!settings?.registerUrl || !settings.registerToken) continue;
      if (peer.state !== 'UNREGISTERED' || peer.awaitingRegisterReply || this.deps.registry.registerTokenUsed(peer.peerId)) continue;
      this.register(peer.peerId);
    }
  }

  /**
   * The body of a queued Register as it goes out: a fresh token whose hash becomes the one the peer must
   * present from now on. A retry in the same process reuses the token; after a restart a new one is minted.
   */
  outgoingBody(message: OutboxMessage): { body: unknown } | { error: string } {
    const queued = QueuedRegister.safeParse(message.body);
    if (!queued.success || message.id === undefined) return { error: 'queued Register body is unreadable' };
    let token = this.minted.get(message.id);
    if (!token) {
      token = mintToken();
      this.minted.set(message.id, token);
      this.deps.registry.update(message.peerId, { inboundTokenHash: hashToken(token) });
    }
    return { body: { token, version_url: queued.data.version_url } };
  }

  /** A Register left the queue: forget its token; if ours was refused we are no longer waiting for a reply. */
  settled(message: OutboxMessage, delivered: boolean): void {
    if (message.id !== undefined) this.minted.delete(message.id);
    if (!delivered && this.deps.registry.get(message.peerId)?.awaitingRegisterReply)
      this.deps.registry.update(message.peerId, { awaitingRegisterReply: false });
  }

  private registered(caller: Caller): PeerRecord {
    if (caller.kind !== 'peer' || caller.peer.state === 'UNREGISTERED')
      throw new ForbiddenError(`peer ${caller.peer.peerId} is not registered`);
    return caller.peer;
  }

  /** Validates a Register body: 400 bad body, 501 no version 2.0, 400 unusable base URL without a fallback. */
  private readRegister(caller: Caller, body: unknown): { token: string; baseUrl: string | undefined } {
    const parsed = Register.safeParse(body);
    if (!parsed.success) throw new BadRequestError(`invalid Register: ${describeIssues(parsed.error)}`);
    const version = parsed.data.version_url.find((v) => v.version.trim() === OSCP_VERSION);
    if (!version) {
      const offered = parsed.data.version_url.map((v) => v.version).join(', ');
      throw new NoCommonVersionError(`no common OSCP version: peer offers ${offered}; flexbridge speaks ${OSCP_VERSION}`);
    }
    const baseUrl = usableBaseUrl(version.base_url);
    if (!baseUrl && !caller.settings.fallbackBaseUrl)
      throw new BadRequestError(
        `version_url base_url "${version.base_url}" is not an absolute http(s) URL and peer ${caller.peer.peerId} has no fallbackBaseUrl`,
      );
    return { token: parsed.data.token, baseUrl: baseUrl ?? caller.settings.fallbackBaseUrl };
  }
}
