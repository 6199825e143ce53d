// Whether a WebSocket upgrade may open, decided before any socket exists: the path gives the station identity
// (last segment, percent-decoded), then refusals and HTTP Basic auth (user = identity) give 401/404.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeDecision =
  { accept: true; identity: string } | { accept: false; status: number; reason: string; headers?: Record<string, string> };

export interface UpgradePolicy {
  /** Path before the identity, '' or '/ocpp'. */
  readonly path: string;
  readonly refused: ReadonlyMap<string, 401 | 404>;
  /** undefined = any station, with or without credentials. */
  readonly passwords: ReadonlyMap<string, string> | undefined;
}

const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="OCPP", charset="UTF-8"' };

export function decideUpgrade(url: string, authorization: string | undefined, policy: UpgradePolicy): UpgradeDecision {
  const pathname = new URL(url, 'http://simulator').pathname;
  const prefix = `${policy.path}/`;
  const segment = pathname.startsWith(prefix) ? pathname.slice(prefix.length) : '';
  if (segment === '' || segment.includes('/')) return { accept: false, status: 404, reason: `no station endpoint at ${pathname}` };
  let identity: string;
  try {
    identity = decodeURIComponent(segment);
  } catch {
    return { accept: false, status: 400, reason: `station identity "${segment}" is not valid percent-encoding` };
  }
  const refusal = policy.refused.get(identity);
  if (refusal !== undefined) {
    return { accept: false, status: refusal, reason: `station ${identity} is refused`, ...(refusal === 401 ? { headers: CHALLENGE } : {}) };
  }
  if (policy.passwords === undefined) return { accept: true, identity };
  const why = basicAuthProblem(identity, authorization, policy.passwords.get(identity));
  return why === undefined
    ? { accept: true, identity }
    : { accept: false, status: 401, reason: `station ${identity}: ${why}`, headers: CHALLENGE };
}

/** Why these credentials do not let this station in, or undefined when they do. */
export function basicAuthProblem(identity: string, authorization: string | undefined, password: string | undefined): string | undefined {
  if (password === undefined) return 'no password configured for this identity';
  if (authorization === undefined) return 'no Authorization header';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (match?.[1] === undefined) return 'Authorization is not Basic';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'Basic credentials without ":"';
  // The password may itself contain ':'; the user name (the identity) may not.
  if (decoded.slice(0, colon) !== identity) return 'user name is not the station identity';
  if (decoded.slice(colon + 1) !== password) return 'wrong password';
  return undefined;
}

/** Answers an upgrade with a plain HTTP status, so the station's WebSocket never opens. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const body = `${reason}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
