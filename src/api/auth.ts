// Who is calling the operator API: a Bearer token or a Basic-auth user from config `api`, each with a role.
// Secrets are compared as SHA-256 digests in constant time; only the credential's name ever reaches a log.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { ApiConfig } from '../config/schema';
import type { AuthThrottle } from '../observability/auth-throttle';
import { ProblemError } from './problems';

export type ApiRole = 'read' | 'admin';

export interface Principal {
  readonly name: string;
  readonly role: ApiRole;
}

const CHALLENGES = ['Bearer realm="flexbridge"', 'Basic realm="flexbridge", charset="UTF-8"'];

const digest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

export class Credentials {
  private readonly tokens = new Map<string, Principal>();
  private readonly users = new Map<string, { passwordDigest: Buffer; principal: Principal }>();

  constructor(config: Pick<ApiConfig, 'tokens' | 'users'>) {
    for (const t of config.tokens) this.tokens.set(digest(t.token).toString('hex'), { name: t.name, role: t.role });
    for (const u of config.users)
      this.users.set(u.username, { passwordDigest: digest(u.password), principal: { name: u.username, role: u.role } });
  }

  get empty(): boolean {
    return this.tokens.size === 0 && this.users.size === 0;
  }

  /** The principal of an Authorization header (or a `?token=` value), undefined when it matches nothing. */
  identify(authorization: string | undefined, queryToken: string | undefined): Principal | undefined {
    const [scheme, value] = splitHeader(authorization);
    if (scheme === 'bearer' && value) return this.byToken(value);
    if (scheme === 'basic' && value) return this.byBasic(value);
    if (authorization === undefined && queryToken) return this.byToken(queryToken);
    return undefined;
  }

  private byToken(token: string): Principal | undefined {
    // A map lookup by digest: the digest of a guess says nothing about the real token's bytes.
    return this.tokens.get(digest(token).toString('hex'));
  }

  private byBasic(encoded: string): Principal | undefined {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const user = this.users.get(decoded.slice(0, colon));
    const given = digest(decoded.slice(colon + 1));
    if (!user) {
      timingSafeEqual(given, given); // same work whether or not the user exists
      return undefined;
    }
    return timingSafeEqual(given, user.passwordDigest) ? user.principal : undefined;
  }
}

function splitHeader(header: string | undefined): [string, string] | [] {
  const match = header?.trim().match(/^(\S+)\s+(\S+)$/);
  return match?.[1] && match[2] ? [match[1].toLowerCase(), match[2]] : [];
}

export function unauthorized(detail: string): ProblemError {
  return new ProblemError(401, 'Unauthorized', detail, 'about:blank', undefined, { 'WWW-Authenticate': CHALLENGES });
}

const principals = new WeakMap<Request, Principal>();

/** The caller `authenticate` identified; routes only run after it, so a missing one is a wiring bug. */
export function principalOf(req: Request): Principal {
  const principal = principals.get(req);
  if (!principal) throw new Error('operator API route reached without authentication');
  return principal;
}

/**
 * Whether `?token=` may stand in for the header: only an EventSource can need it (it cannot set headers), and an
 * EventSource always sends GET with `Accept: text/event-stream`. Anything else must use the Authorization header, so a
 * token does not end up in the URLs of links, proxies' logs and browser histories.
 */
function eventSourceRequest(req: Request, paths: readonly string[]): boolean {
  return req.method === 'GET' && paths.includes(req.path) && (req.get('accept') ?? '').includes('text/event-stream');
}

/** The Basic-auth user name a request claims, for the per-identity back-off (a Bearer token names no one). */
function claimedUser(authorization: string | undefined): string | undefined {
  const [scheme, value] = splitHeader(authorization);
  if (scheme !== 'basic' || !value) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? decoded.slice(0, Math.min(colon, 64)) : undefined;
}

export interface AuthenticateOptions {
  readonly queryTokenPaths: readonly string[];
  /** Failed credentials per remote address and Basic user: after a few, 429 with Retry-After, the credential unchecked. */
  readonly throttle?: AuthThrottle;
  readonly failed?: (throttled: 'address' | 'identity' | undefined) => void;
}

/** Remembers the caller for `principalOf`; 401 (with the challenges) when the request carries no valid credential. */
export function authenticate(credentials: Credentials, options: AuthenticateOptions) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const address = req.socket.remoteAddress ?? '';
    const user = claimedUser(req.get('authorization'));
    const throttled = options.throttle?.check(address, user);
    if (throttled) {
      options.failed?.(throttled.scope);
      throw new ProblemError(
        429,
        'Too Many Requests',
        'too many failed authentications from this address or for this user; retry later',
        'about:blank',
        undefined,
        { 'Retry-After': String(Math.ceil(throttled.retryAfterMs / 1000)) },
      );
    }
    const queryToken =
      eventSourceRequest(req, options.queryTokenPaths) && typeof req.query.token === 'string' ? req.query.token : undefined;
    const authorization = req.get('authorization');
    if (credentials.empty) throw unauthorized('the operator API has no tokens or users configured (config api.tokens, api.users)');
    if (authorization === undefined && queryToken === undefined) throw unauthorized('credentials required: Bearer token or Basic auth');
    const principal = credentials.identify(authorization, queryToken);
    if (!principal) {
      options.throttle?.failed(address, user);
      options.failed?.(undefined);
      throw unauthorized('the credentials were not accepted');
    }
    options.throttle?.succeeded(address, user);
    principals.set(req, principal);
    next();
  };
}

export function allows(principal: Principal, needed: ApiRole): boolean {
  return needed === 'read' || principal.role === 'admin';
}
