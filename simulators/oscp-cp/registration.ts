// Registration between the CP and one FP (§6.1): token exchange in either direction, token rotation
// (PUT /register both ways) and unregistering (DELETE). Each side presents the token the other gave it.
import { randomUUID } from 'node:crypto';
import type { Decision, InboundContext } from './endpoints';
import type { CapacityProviderOptions } from './options';
import type { OscpClient, SendResult } from './outbound';
import { newToken, type TokenBook } from './tokens';
import { OSCP_VERSION, type Register } from './wire';

/**
 * UNREGISTERED → (we sent Register) AWAITING_FP_REGISTER → (FP's Register back) REGISTERED, or
 * UNREGISTERED → (FP's Register with a bootstrap token) REPLYING → (our Register back got 2xx) REGISTERED.
 */
export type RegistrationPhase = 'UNREGISTERED' | 'AWAITING_FP_REGISTER' | 'REPLYING' | 'REGISTERED';

export class NotRegisteredError extends Error {}

export interface RegistrationHost {
  readonly options: CapacityProviderOptions;
  readonly client: OscpClient;
  readonly tokens: TokenBook;
  ownBaseUrl(): string;
  /** Run `task` after `ms` unless the simulator closes first. */
  later(ms: number, task: () => Promise<unknown>): void;
  /** The link is registered (both tokens exchanged). */
  onRegistered(): void;
  /** The link is gone or starts over: forget the handshake, stop heartbeats. */
  onUnregistered(): void;
}

type FpAddress = { ok: true; baseUrl: string; token: string } | { ok: false; decision: Decision };

export class Registration {
  private currentPhase: RegistrationPhase = 'UNREGISTERED';
  private fpUrl: string | undefined;
  private fpToken: string | undefined;
  private awaitingRequestId: string | undefined;

  constructor(private readonly host: RegistrationHost) {}

  get phase(): RegistrationPhase {
    return this.currentPhase;
  }

  get fpBaseUrl(): string | undefined {
    return this.fpUrl;
  }

  /** The token the FP gave us; we present it on every call to the FP. */
  get outboundToken(): string | undefined {
    return this.fpToken;
  }

  /** The FP's base URL and token, or NotRegisteredError. */
  link(): { baseUrl: string; token: string } {
    if (this.currentPhase !== 'REGISTERED' || this.fpUrl === undefined || this.fpToken === undefined) {
      throw new NotRegisteredError(`CP simulator is not registered with an FP (registration ${this.currentPhase})`);
    }
    return { baseUrl: this.fpUrl, token: this.fpToken };
  }

  /** Direction (a): we register with the FP using the bootstrap token its operator gave us. */
  async registerWith(fpBaseUrl: string, bootstrapToken: string): Promise<SendResult> {
    this.reset();
    const ours = newToken();
    const requestId = randomUUID();
    this.host.tokens.replaceCurrent(ours);
    this.fpUrl = fpBaseUrl;
    this.awaitingRequestId = requestId;
    this.currentPhase = 'AWAITING_FP_REGISTER';
    const result = await this.host.client.send({
      kind: 'register',
      method: 'POST',
      baseUrl: fpBaseUrl,
      path: 'register',
      token: bootstrapToken,
      requestId,
      body: this.registerBody(ours),
    });
    const delivered = result.status >= 200 && result.status < 300;
    if (!delivered && this.currentPhase === 'AWAITING_FP_REGISTER' && this.awaitingRequestId === requestId) this.reset();
    return result;
  }

  /** PUT /register with a fresh token for the FP; the old one stays valid until the FP answers 2xx. */
  async rotateToken(): Promise<SendResult> {
    const { baseUrl, token } = this.link();
    const next = newToken();
    this.host.tokens.offerNext(next);
    const result = await this.host.client.send({
      kind: 'register',
      method: 'PUT',
      baseUrl,
      path: 'register',
      token,
      body: this.registerBody(next),
      tries: 1 + this.host.options.retries,
    });
    if (result.status >= 200 && result.status < 300) this.host.tokens.confirmNext();
    else this.host.tokens.dropNext();
    return result;
  }

  /** DELETE /register (with a Register body, as elmo-api and the SDK send it); we forget the FP either way. */
  async unregister(): Promise<SendResult> {
    const { baseUrl, token } = this.link();
    const current = this.host.tokens.current ?? newToken();
    const result = await this.host.client.send({
      kind: 'register',
      method: 'DELETE',
      baseUrl,
      path: 'register',
      token,
      body: this.registerBody(current),
    });
    this.reset();
    return result;
  }

  /** /register from the FP: POST (initiating or reply), PUT (update), DELETE (unregister). */
  onRegister(body: Register | undefined, context: InboundContext): Decision {
    const isCurrent = context.credential === 'current' || context.credential === 'next';
    if (context.method === 'DELETE') {
      if (!isCurrent || this.currentPhase !== 'REGISTERED') return { status: 403, message: 'not registered: nothing to unregister' };
      this.reset();
      return { status: 204 };
    }
    if (body === undefined) return { status: 400, message: 'body missing' };
    const address = this.fpAddress(body);
    if (!address.ok) return address.decision;
    if (context.method === 'PUT') {
      if (!isCurrent || this.currentPhase !== 'REGISTERED') return { status: 403, message: 'PUT /register needs an existing registration' };
      this.fpUrl = address.baseUrl;
      this.fpToken = address.token;
      return { status: 204 };
    }
    if (isCurrent && this.currentPhase === 'AWAITING_FP_REGISTER') return this.acceptReply(address, context);
    if (context.credential === 'bootstrap' || (isCurrent && this.currentPhase !== 'UNREGISTERED')) {
      return this.acceptInitiating(address, context);
    }
    return { status: 403, message: `Register not expected in registration phase ${this.currentPhase}` };
  }

  private acceptReply(address: { baseUrl: string; token: string }, context: InboundContext): Decision {
    if (context.correlationId !== undefined && context.correlationId !== this.awaitingRequestId) {
      return { status: 400, message: 'X-Correlation-ID does not match the X-Request-ID of our Register' };
    }
    this.fpUrl = address.baseUrl;
    this.fpToken = address.token;
    this.awaitingRequestId = undefined;
    this.currentPhase = 'REGISTERED';
    return { status: 204, after: () => this.host.onRegistered() };
  }

  /** Direction (b), or a renewed registration: store the FP's token and URL, then register back with a new token. */
  private acceptInitiating(address: { baseUrl: string; token: string }, context: InboundContext): Decision {
    this.reset();
    const ours = newToken();
    this.host.tokens.replaceCurrent(ours);
    this.fpUrl = address.baseUrl;
    this.fpToken = address.token;
    this.currentPhase = 'REPLYING';
    const bootstrap = context.credential === 'bootstrap' ? context.token : undefined;
    return {
      status: 204,
      after: () => this.host.later(this.host.options.replyDelayMs, () => this.registerBack(address, ours, context.requestId, bootstrap)),
    };
  }

  private async registerBack(
    address: { baseUrl: string; token: string },
    ours: string,
    correlationId: string,
    bootstrap?: string,
  ): Promise<void> {
    const result = await this.host.client.send({
      kind: 'register',
      method: 'POST',
      baseUrl: address.baseUrl,
      path: 'register',
      token: address.token,
      correlationId,
      body: this.registerBody(ours),
      tries: 1 + this.host.options.retries,
    });
    // The FP may have started over while we were sending.
    if (this.currentPhase !== 'REPLYING' || this.host.tokens.current !== ours) return;
    if (result.status >= 200 && result.status < 300) {
      if (bootstrap !== undefined) this.host.tokens.retireBootstrap(bootstrap);
      this.currentPhase = 'REGISTERED';
      this.host.onRegistered();
    } else {
      this.reset();
    }
  }

  /** Pick version 2.0 (501 otherwise, as SolarNetwork does) and a base URL we can call. */
  private fpAddress(body: Register): FpAddress {
    const entry = body.version_url.find((v) => v.version === OSCP_VERSION);
    if (entry === undefined) {
      const offered = body.version_url.map((v) => v.version).join(', ');
      return {
        ok: false,
        decision: { status: 501, message: `no common OSCP version: this CP speaks ${OSCP_VERSION}, offered ${offered}` },
      };
    }
    if (isHttpUrl(entry.base_url)) return { ok: true, baseUrl: entry.base_url.replace(/\/+$/, ''), token: body.token };
    const fallback = this.host.options.fpBaseUrl;
    if (fallback !== undefined) return { ok: true, baseUrl: fallback, token: body.token };
    return { ok: false, decision: { status: 400, message: `version_url base_url "${entry.base_url}" is not an http(s) URL` } };
  }

  private registerBody(token: string): Register {
    return { token, version_url: [{ version: OSCP_VERSION, base_url: this.host.ownBaseUrl() }] };
  }

  private reset(): void {
    const wasLinked = this.currentPhase !== 'UNREGISTERED';
    this.currentPhase = 'UNREGISTERED';
    this.fpUrl = undefined;
    this.fpToken = undefined;
    this.awaitingRequestId = undefined;
    this.host.tokens.replaceCurrent(undefined);
    if (wasLinked) this.host.onUnregistered();
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
