// The shared HTTP(S) listener: OSCP endpoint, CPO API and health probes all hang off one express app.
// Tracks open sockets so a graceful stop can close idle keep-alive connections and bound the wait.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { systemClock, type Clock } from '../core/scheduler';
import { slowlorisOptions } from '../config/server-timeouts';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile?: string;
}

export interface HttpListener {
  readonly server: http.Server;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish, then closes what is left after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

export async function listenHttp(
  app: Express,
  options: { host: string; port: number; tls?: TlsFiles; clock?: Clock; headersTimeoutMs?: number; requestTimeoutMs?: number },
): Promise<HttpListener> {
  const clock = options.clock ?? systemClock;
  const timeouts = slowlorisOptions(options.headersTimeoutMs ?? 10_000, options.requestTimeoutMs ?? 30_000);
  const server = options.tls
    ? https.createServer(
        { ...timeouts, cert: fs.readFileSync(options.tls.certFile), key: fs.readFileSync(options.tls.keyFile), minVersion: 'TLSv1.2' },
        app,
      )
    : http.createServer(timeouts, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const force = clock.setTimer(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          force.cancel();
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
