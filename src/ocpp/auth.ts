// Decides whether a station may open its OCPP connection (OCPP digest §2): subprotocol, known identity,
// and the credentials of the configured security profile. Pure apart from the password hash check.
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { StationRecord } from '../core/ports';
import { chooseSubprotocol, SERVED_SUBPROTOCOLS } from './protocol';

export interface StationHandshake {
  readonly identity: string;
  readonly protocols: ReadonlySet<string>;
  /** Basic-auth password, present only when the Basic user name equals the identity (ocpp-rpc). */
  readonly password: Buffer | undefined;
  readonly request: IncomingMessage;
}

export interface AuthPolicy {
  readonly securityProfile: 1 | 2 | 3;
  /** Unknown stations join this group on first connect (their first password is kept); unset = refuse them. */
  readonly autoRegisterGroup?: string;
  readonly findStation: (stationId: string) => StationRecord | undefined;
  /** Checks a password against the stored hash (`PasswordVerifier.verify`). */
  readonly verify: (stationId: string, password: string, stored: string) => Promise<boolean>;
  /**
   * Local Controller mode with forwarded credentials: a known station without a password here is vouched for by the
   * CSMS (its credentials go up unchanged); it is let in unverified, so never while the CSMS is unreachable.
   */
  readonly upstreamVouches?: boolean;
}

export type AuthDecision =
  | {
      readonly accept: true;
      readonly stationId: string;
      readonly known: boolean;
      readonly password?: string;
      /** flexbridge checked the credentials itself (false: only the CSMS can). */
      readonly verified: boolean;
    }
  | { readonly accept: false; readonly code: 400 | 401 | 404; readonly reason: string };

export async function authenticateStation(handshake: StationHandshake, policy: AuthPolicy): Promise<AuthDecision> {
  const { identity } = handshake;
  const subprotocol = chooseSubprotocol(handshake.protocols);
  if (!subprotocol) {
    const offered = [...handshake.protocols].join(', ') || 'none';
    return {
      accept: false,
      code: 400,
      reason: `station ${identity}: offers subprotocol ${offered}; flexbridge serves ${SERVED_SUBPROTOCOLS.join(' and ')}`,
    };
  }
  const record = policy.findStation(identity);
  if (!record && !policy.autoRegisterGroup) return { accept: false, code: 404, reason: `station ${identity}: unknown station` };

  if (policy.securityProfile === 3) {
    const problem = clientCertificateProblem(handshake.request, identity);
    return problem
      ? { accept: false, code: 401, reason: `station ${identity}: ${problem}` }
      : { accept: true, stationId: identity, known: !!record, verified: true };
  }
  const password = handshake.password && basicPassword(handshake.password);
  if (password === undefined)
    return { accept: false, code: 401, reason: `station ${identity}: ${basicAuthProblem(handshake.request, identity)}` };
  if (!record) {
    // Auto-registration: trust on first use; the password becomes the station's from now on.
    if (password.length < 16 || password.length > 40) {
      return { accept: false, code: 401, reason: `station ${identity}: password must be 16–40 characters (OCPP passwordString)` };
    }
    return { accept: true, stationId: identity, known: false, password, verified: true };
  }
  if (!record.passwordHash) {
    if (policy.upstreamVouches) return { accept: true, stationId: identity, known: true, verified: false };
    return { accept: false, code: 401, reason: `station ${identity}: no password is set for this station` };
  }
  if (!(await policy.verify(identity, password, record.passwordHash)))
    return { accept: false, code: 401, reason: `station ${identity}: wrong password` };
  return { accept: true, stationId: identity, known: true, verified: true };
}

/**
 * The Basic-auth password as the station meant it. OCPP 1.6's AuthorizationKey is 16–20 bytes written as hex, but
 * OCPP-J 1.6 §6.2.2's own example header carries the raw bytes: a password that is not printable text is read as
 * those bytes and compared in hex (lower case, as flexbridge's provisioning prints keys).
 */
export function basicPassword(raw: Buffer): string {
  for (const byte of raw) if (byte < 0x20 || byte > 0x7e) return raw.toString('hex');
  return raw.toString('utf8');
}

/**
 * Why a handshake carries no usable Basic-auth password for this identity, in words a field engineer can act on.
 * The most common one in the field: one user name provisioned for a whole fleet from a shared template.
 * Never includes the password.
 */
export function basicAuthProblem(request: IncomingMessage, identity: string): string {
  const header = request.headers.authorization;
  const rule = 'security profiles 1 and 2 need HTTP Basic auth with the station identity as user name';
  if (!header) return `no Authorization header (${rule})`;
  const [scheme, credentials] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() !== 'basic') return `Authorization scheme "${scheme ?? ''}" is not Basic (${rule})`;
  const decoded = Buffer.from(credentials ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return `malformed Basic credentials: no "user:password" (${rule})`;
  const user = decoded.slice(0, colon);
  if (user !== identity) {
    const shown = user.length > 48 ? `${user.slice(0, 48)}…` : user;
    return `Basic-auth user name "${shown}" is not the station identity "${identity}" (${rule}; a template that gives many stations one user name is refused)`;
  }
  return `empty Basic-auth password (${rule})`;
}

/**
 * Profile 3 (A00.FR.405): a CA-verified client certificate whose CN is the station identity — exactly: a certificate
 * for CS-10 or CS-1x is not one for CS-1.
 */
function clientCertificateProblem(request: IncomingMessage, identity: string): string | undefined {
  const socket = request.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return 'security profile 3 needs TLS';
  if (!socket.authorized) return `client certificate not accepted (${String(socket.authorizationError ?? 'none presented')})`;
  const certificate = socket.getPeerCertificate();
  const commonName = certificate.subject?.CN;
  const names = Array.isArray(commonName) ? commonName : commonName ? [commonName] : [];
  if (!names.some((cn) => cn === identity))
    return `client certificate CN is not the station identity "${identity}" (CN=${names.join(',') || 'none'})`;
  return undefined;
}
