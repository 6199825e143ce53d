// The tokens the FP may present to the CP (§4, §6.1): bootstrap tokens handed out of band, the current
// token given in our Register, and the next one while a rotation (PUT /register) is in flight.
import { randomBytes } from 'node:crypto';

/** Which of our tokens the caller presented. */
export type Credential = 'bootstrap' | 'current' | 'next';

export type AuthorizationCheck = { ok: true; token: string } | { ok: false; status: 401 | 403; message: string };

/** 64 characters of base64url from 48 random bytes, as SolarNetwork makes them. */
export function newToken(): string {
  return randomBytes(48).toString('base64url');
}

/** `Authorization: Token <token>`, scheme word exactly `Token` and one space (§4); 401 absent, 403 otherwise. */
export function readAuthorization(header: string | undefined): AuthorizationCheck {
  if (header === undefined || header === '') return { ok: false, status: 401, message: 'Authorization header missing' };
  const match = /^Token (\S+)$/.exec(header);
  if (match?.[1] === undefined) return { ok: false, status: 403, message: 'Authorization must be "Token <token>"' };
  return { ok: true, token: match[1] };
}

export class TokenBook {
  private readonly bootstrap = new Set<string>();
  private currentToken: string | undefined;
  private nextToken: string | undefined;

  constructor(bootstrapTokens: readonly string[]) {
    for (const token of bootstrapTokens) this.bootstrap.add(token);
  }

  issueBootstrap(): string {
    const token = newToken();
    this.bootstrap.add(token);
    return token;
  }

  retireBootstrap(token: string): void {
    this.bootstrap.delete(token);
  }

  classify(presented: string): Credential | undefined {
    if (this.currentToken !== undefined && presented === this.currentToken) return 'current';
    if (this.nextToken !== undefined && presented === this.nextToken) return 'next';
    if (this.bootstrap.has(presented)) return 'bootstrap';
    return undefined;
  }

  /** The token the FP must use from now on (retires any other current token). */
  replaceCurrent(token: string | undefined): void {
    this.currentToken = token;
    this.nextToken = undefined;
  }

  /** A rotation is in flight: accept `token` as well as the current one until it is confirmed or dropped. */
  offerNext(token: string): void {
    this.nextToken = token;
  }

  confirmNext(): void {
    if (this.nextToken !== undefined) this.replaceCurrent(this.nextToken);
  }

  dropNext(): void {
    this.nextToken = undefined;
  }

  get current(): string | undefined {
    return this.currentToken;
  }
}
