// Station identities in the WebSocket URL (OCPP-J §1.1): ws(s)://host:port/<path>/<identity>, percent-encoded.
// Parsed and checked here, before ocpp-rpc sees the upgrade, because its own decoding can crash the process.

/** identifierString, at most 48 characters, no colon (the identity is also the Basic-auth user name). */
const IDENTITY = /^[\x21-\x39\x3b-\x7e]{1,48}$/;

export type IdentityResult = { readonly ok: true; readonly identity: string } | { readonly ok: false; readonly reason: string };

/** Reads the station identity from an upgrade request URL under `endpointPath` (e.g. `/ocpp`). */
export function identityFromUrl(rawUrl: string | undefined, endpointPath: string): IdentityResult {
  if (!rawUrl) return { ok: false, reason: 'request has no URL' };
  const path = rawUrl.split('?')[0] ?? '';
  const prefix = endpointPath.endsWith('/') ? endpointPath : `${endpointPath}/`;
  if (!path.startsWith(prefix)) return { ok: false, reason: `path must start with ${prefix}` };
  const encoded = path.slice(prefix.length);
  if (encoded.length === 0) return { ok: false, reason: 'station identity is missing' };
  if (encoded.includes('/')) return { ok: false, reason: 'station identity must be the last path segment (no trailing slash)' };
  let identity: string;
  try {
    identity = decodeURIComponent(encoded);
  } catch {
    return { ok: false, reason: 'station identity has malformed percent-encoding' };
  }
  if (!IDENTITY.test(identity))
    return { ok: false, reason: 'station identity must be 1–48 printable ASCII characters without ":" or spaces' };
  return { ok: true, identity };
}

/** The identity segment as the station sent it, still percent-encoded: the CSMS gets exactly the same path (LC mode). */
export function encodedIdentity(url: string | undefined, path: string): string | undefined {
  const pathname = url?.split('?')[0];
  if (!pathname?.startsWith(`${path}/`)) return undefined;
  return pathname.slice(path.length + 1);
}

/** RFC 7230 token: what a subprotocol name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_SUBPROTOCOLS = 16;

/**
 * Why a Sec-WebSocket-Protocol header is malformed (empty entries, duplicates, non-token names, absurdly many), or
 * undefined if it is fine or absent. ocpp-rpc's own parser throws on these, which would become a 500.
 */
export function subprotocolProblem(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const entries = (Array.isArray(header) ? header.join(',') : header).split(',').map((p) => p.trim());
  if (entries.length > MAX_SUBPROTOCOLS) return `Sec-WebSocket-Protocol lists ${entries.length} subprotocols (at most ${MAX_SUBPROTOCOLS})`;
  if (entries.some((p) => p === '')) return 'Sec-WebSocket-Protocol has an empty entry';
  const bad = entries.find((p) => !TOKEN.test(p));
  if (bad !== undefined) return `Sec-WebSocket-Protocol entry "${bad.slice(0, 40)}" is not a token`;
  if (new Set(entries).size !== entries.length) return 'Sec-WebSocket-Protocol lists a subprotocol twice';
  return undefined;
}
