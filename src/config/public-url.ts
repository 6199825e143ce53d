// Where peers reach flexbridge's OSCP endpoint (`oscp.publicBaseUrl`, sent in Register): as configured, or derived
// from the HTTP listener (host, port, TLS) and `oscp.basePath`, with a warning where the result cannot be right.
import { hostname } from 'node:os';

export interface PublicUrlInput {
  readonly http: { readonly host: string; readonly port: number; readonly tls?: unknown };
  readonly oscp: { readonly basePath: string; readonly publicBaseUrl?: string };
}

export interface PublicUrl {
  readonly url: string;
  /** Why a peer may not reach it, for the start log; undefined when nothing looks wrong. */
  readonly warning?: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');

/** `listeningPort`: the port the listener got (differs from the configured one only when that is 0). */
export function publicBaseUrl(config: PublicUrlInput, listeningPort: number, machineName: string = hostname()): PublicUrl {
  const { http, oscp } = config;
  const everywhere = WILDCARDS.has(http.host);
  if (oscp.publicBaseUrl !== undefined) {
    const url = new URL(oscp.publicBaseUrl);
    // With http.port 0 (tests, demo) the port is known only now: peers must be told the real one.
    if (http.port === 0) url.port = String(listeningPort);
    const text = url.toString().replace(/\/$/, '');
    const warning =
      everywhere && isLoopback(url.hostname)
        ? `oscp.publicBaseUrl ${text} is a loopback address while the HTTP listener is on all interfaces: a Capacity Provider elsewhere cannot call back — set it to the address it reaches`
        : undefined;
    return { url: text, ...(warning && { warning }) };
  }
  const scheme = http.tls ? 'https' : 'http';
  const host = everywhere ? machineName : http.host.includes(':') ? `[${http.host}]` : http.host;
  const url = `${scheme}://${host}:${listeningPort}${oscp.basePath}`;
  const warning = everywhere
    ? `oscp.publicBaseUrl is not set and the HTTP listener is on all interfaces: peers are told ${url} (this machine's name) — set oscp.publicBaseUrl to the address your Capacity Provider reaches`
    : undefined;
  return { url, ...(warning && { warning }) };
}
