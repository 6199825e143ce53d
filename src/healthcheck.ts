// The container's health probe (`node dist/src/healthcheck.js`): reads the configuration exactly as the agent does
// (file, ${VAR} secrets, FLEXBRIDGE_* overrides) and asks /healthz where it says the agent listens, TLS included.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DEFAULT_CONFIG_FILE, loadConfig } from './config/load';

const TIMEOUT_MS = 4000;

/** Where to reach the agent's own HTTP listener: a wildcard address is reached on loopback. */
export function healthUrl(http: { host: string; port: number; tls?: unknown }): string {
  const wildcard = http.host === '0.0.0.0' || http.host === '::' || http.host === '';
  const host = wildcard ? '127.0.0.1' : http.host.includes(':') ? `[${http.host}]` : http.host;
  return `${http.tls ? 'https' : 'http'}://${host}:${http.port}/healthz`;
}

/** Resolves with the status of GET `url` (0 when it could not be reached in time). */
export function probe(url: string, timeoutMs = TIMEOUT_MS): Promise<number> {
  return new Promise((resolve) => {
    const done = (response: IncomingMessage): void => {
      response.resume();
      resolve(response.statusCode ?? 0);
    };
    // The agent's own certificate may be self-signed or issued for its public name: liveness, not identity, is checked.
    const request: ClientRequest = url.startsWith('https:')
      ? httpsRequest(url, { rejectUnauthorized: false, timeout: timeoutMs }, done)
      : httpRequest(url, { timeout: timeoutMs }, done);
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(0));
    request.end();
  });
}

async function main(): Promise<void> {
  const file = process.env.FLEXBRIDGE_CONFIG ?? DEFAULT_CONFIG_FILE;
  let url: string;
  try {
    url = healthUrl(loadConfig(file).http);
  } catch (error) {
    process.stderr.write(`healthcheck: configuration ${file} unreadable: ${String(error instanceof Error ? error.message : error)}\n`);
    process.exit(1);
  }
  const status = await probe(url);
  if (status !== 200) process.stderr.write(`healthcheck: ${url} answered ${status === 0 ? 'nothing' : status}\n`);
  process.exit(status === 200 ? 0 : 1);
}

if (require.main === module) void main();
