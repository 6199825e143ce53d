// The OCPP transport: an HTTP(S) server whose WebSocket upgrades are guarded (identity from the URL), authenticated
// by the station's security profile, and handed to ocpp-rpc in strict mode (ocpp2.0.1 preferred, ocpp1.6 beside it);
// every other request gets 426.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { RPCServer } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import type { OcppConfig } from '../config/schema';
import type { Clock } from '../core/ports';
import { systemClock } from '../core/scheduler';
import type { AuthThrottle } from '../observability/auth-throttle';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { isRefusal, UpgradeAdmission } from './admission';
import { slowlorisOptions } from '../config/server-timeouts';
import type { AuthDecision, StationHandshake } from './auth';
import { chooseSubprotocol, SERVED_SUBPROTOCOLS } from './protocol';
import { respellOutboundErrors } from './error-spelling';
import { encodedIdentity, identityFromUrl, subprotocolProblem } from './identity';
import { ocpp201Validator } from './v201/validator';
import type { ConnectionAttempt } from './connection-attempts';
import type { PairOutcome } from './upstream/pairing';
import type { UpstreamLink } from './upstream/upstream-link';

export interface OcppServerDeps {
  readonly config: OcppConfig;
  readonly logger: Logger;
  /** Decides on an upgrade; an accepted one has its station registered by the time this resolves. */
  readonly authenticate: (handshake: StationHandshake) => Promise<AuthDecision>;
  /** Local Controller mode: opens the station's upstream twin inside its upgrade (and decides the subprotocol). */
  readonly pair?: (handshake: StationHandshake, decision: Extract<AuthDecision, { accept: true }>) => Promise<PairOutcome>;
  readonly connected: (client: RpcServerClient) => void;
  /** Every refused upgrade, with its reason (the connection-attempts view). */
  readonly refused?: (attempt: ConnectionAttempt) => void;
  /** Failed-authentication back-off, shared with the other ports' checks of the same agent. */
  readonly throttle: AuthThrottle;
  readonly metrics?: Metrics;
  /** The upgrade deadline's clock (default: the system's). */
  readonly clock?: Clock;
}

/** What an accepted connection carries from its upgrade to the connection (ocpp-rpc's session). */
export interface ConnectionSession {
  readonly stationId: string;
  /** Local Controller mode: the open twin, or why there is none (an outage from the start). */
  readonly upstream?: {
    readonly link?: UpstreamLink;
    readonly reason?: string;
    readonly authorization?: string;
    readonly protocols: readonly string[];
    readonly encoded: string;
  };
}

export interface OcppServer {
  readonly port: number;
  /** Closes every connection with 1001 and stops listening. */
  close(): Promise<void>;
}

export async function startOcppServer(deps: OcppServerDeps): Promise<OcppServer> {
  const { config, logger } = deps;
  const limits = config.admission;
  const admission = new UpgradeAdmission(limits, deps.throttle, deps.clock ?? systemClock, logger, deps.metrics);
  const rpc = new RPCServer({
    protocols: [...SERVED_SUBPROTOCOLS],
    // Relayed traffic is not validated strictly (the CSMS may accept what a strict relay would refuse); flexbridge
    // validates with zod what it reads itself, in both modes.
    strictMode: !deps.pair,
    // Error codes in 2.0.1's spelling (ocpp-rpc's own validators answer in 1.6's); 1.6 uses ocpp-rpc's own, its
    // codes respelled per connection (error-spelling.ts).
    strictModeValidators: [ocpp201Validator()],
    callTimeoutMs: config.callTimeoutMs,
    maxBadMessages: limits.maxBadMessages,
    // permessage-deflate is required of a CSMS (OCPP-J §3.3), but ws compresses every frame, however small, when the
    // zlib context is kept between messages: measured, that cost ~260 KiB per station and 60 % of the message rate.
    // Without context takeover, frames under 1 KiB (nearly all OCPP traffic) go uncompressed and hold no zlib state.
    wssOptions: {
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 },
      // A bigger frame closes the connection with 1009 (ws).
      maxPayload: limits.maxFrameBytes,
    },
  });
  const refuse = (request: IncomingMessage, identity: string, code: number, reason: string): void => {
    logger.warn('station connection refused', { stationId: identity, code, reason });
    deps.refused?.({ atMs: Date.now(), remoteAddress: request.socket.remoteAddress ?? '', identity, status: code, reason });
  };
  rpc.auth(async (accept, reject, handshake) => {
    try {
      const decision = await deps.authenticate(handshake);
      if (!decision.accept && decision.code !== 400)
        admission.authenticated(handshake.request, handshake.identity, decision.code === 401 ? 'bad-credentials' : 'unknown-identity');
      else if (decision.accept && decision.verified) admission.authenticated(handshake.request, handshake.identity, 'accepted');
      if (!decision.accept) {
        refuse(handshake.request, handshake.identity, decision.code, decision.reason);
        reject(decision.code, decision.reason);
        return;
      }
      if (!deps.pair) {
        accept({ stationId: decision.stationId } satisfies ConnectionSession, chooseSubprotocol(handshake.protocols));
        return;
      }
      const paired = await deps.pair(handshake, decision);
      if (paired.kind === 'refuse') {
        refuse(handshake.request, handshake.identity, paired.code, paired.reason);
        reject(paired.code, paired.reason);
        return;
      }
      const upstream = {
        protocols: [...handshake.protocols],
        encoded: encodedIdentity(handshake.request.url, config.path) ?? encodeURIComponent(handshake.identity),
        ...(handshake.request.headers.authorization !== undefined && { authorization: handshake.request.headers.authorization }),
        ...(paired.kind === 'open' ? { link: paired.link } : { reason: paired.reason }),
      };
      accept(
        { stationId: decision.stationId, upstream } satisfies ConnectionSession,
        paired.kind === 'open' ? paired.protocol : chooseSubprotocol(handshake.protocols),
      );
    } catch (error) {
      logger.error('station authentication failed', { stationId: handshake.identity, error: String(error) });
      reject(500, 'internal error');
    }
  });
  rpc.on('client', (client: RpcServerClient) => {
    forgetHandshake(client);
    respellOutboundErrors(client);
    countBadMessages(client, limits.maxBadMessages, logger, deps.metrics);
    deps.connected(client);
  });

  const server = createServer(config);
  admission.guard(server);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const identity = identityFromUrl(request.url, config.path);
    const problem = identity.ok ? subprotocolProblem(request.headers['sec-websocket-protocol']) : identity.reason;
    if (!identity.ok || problem !== undefined) {
      deps.refused?.({
        atMs: Date.now(),
        remoteAddress: request.socket.remoteAddress ?? '',
        identity: identity.ok ? identity.identity : (request.url ?? '').slice(config.path.length + 1, config.path.length + 61),
        status: 400,
        reason: problem ?? 'bad request',
      });
      logger.warn('WebSocket upgrade refused', { url: request.url?.slice(0, 200), reason: problem });
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${problem ?? ''}\n`);
      return;
    }
    const admitted = admission.admit(request, socket, identity.identity);
    if (isRefusal(admitted)) {
      deps.refused?.({
        atMs: Date.now(),
        remoteAddress: request.socket.remoteAddress ?? '',
        identity: identity.identity,
        status: admitted.status,
        reason: admitted.reason,
      });
      logger.warn('station connection refused', { stationId: identity.identity, code: admitted.status, reason: admitted.reason });
      socket.end(
        `HTTP/1.1 ${admitted.status} ${admitted.status === 429 ? 'Too Many Requests' : 'Service Unavailable'}\r\n` +
          `Retry-After: ${admitted.retryAfterS}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${admitted.reason}\n`,
      );
      return;
    }
    rpc
      .handleUpgrade(request, socket as Parameters<typeof rpc.handleUpgrade>[1], head)
      .catch((error: unknown) => {
        logger.warn('WebSocket upgrade failed', { stationId: identity.identity, error: String(error) });
        socket.destroy();
      })
      .finally(() => admitted.done());
  });
  server.on('request', (_request, response) => {
    response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' }).end('OCPP 2.0.1 or 1.6J over WebSocket only\n');
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  // A TLS handshake that fails (no client certificate, one from another CA, an expired one, TLS < 1.2) never reaches
  // HTTP: it is recorded all the same, without an identity (none was sent yet) and with status 0.
  server.on('tlsClientError', (error: Error & { code?: string }, socket: { remoteAddress?: string }) => {
    const reason = `TLS handshake failed: ${error.code ?? ''}${error.code ? ' ' : ''}${error.message}`.slice(0, 300);
    logger.warn('station TLS handshake failed', { remoteAddress: socket.remoteAddress, reason });
    deps.refused?.({ atMs: Date.now(), remoteAddress: socket.remoteAddress ?? '', identity: '', status: 0, reason });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : config.port);
    });
  });
  logger.info('OCPP endpoint listening', { host: config.host, port, path: config.path, securityProfile: config.securityProfile });
  return {
    port,
    close: async () => {
      await rpc.close({ code: 1001, reason: 'flexbridge stopping' });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * ocpp-rpc closes a connection after more than `maxBadMessages` malformed frames in a row (1002): each is counted, the
 * close logged, and the station may connect again at once (nothing about it is remembered).
 */
/**
 * ocpp-rpc keeps each connection's handshake for its whole life: the upgrade request with its headers and socket
 * references, and the Basic-auth password's bytes. Nothing reads it after the upgrade, so it is dropped: about 1.5 KB
 * per station, and no station password left in memory beside the connection.
 */
function forgetHandshake(client: RpcServerClient): void {
  (client as unknown as { _handshake: unknown })._handshake = undefined;
}

function countBadMessages(client: RpcServerClient, maxBadMessages: number, logger: Logger, metrics: Metrics | undefined): void {
  let inARow = 0;
  client.on('badMessage', () => {
    inARow++;
    metrics?.ocppBadMessages.inc({ result: 'answered' });
    logger.debug('malformed OCPP frame', { stationId: client.identity, inARow });
  });
  // ocpp-rpc starts counting again after a frame it could read (a CALL or a response from the station).
  const readable = ({ outbound }: { outbound: boolean }): void => {
    if (!outbound) inARow = 0;
  };
  client.on('call', readable);
  client.on('response', readable);
  client.once('close', ({ code }: { code: number }) => {
    if (code !== 1002 || inARow === 0) return;
    metrics?.ocppBadMessages.inc({ result: 'disconnected' });
    logger.warn('station disconnected: too many malformed frames in a row', { stationId: client.identity, frames: inARow, maxBadMessages });
  });
}

function createServer(config: OcppConfig): Server {
  const timeouts = slowlorisOptions(config.admission.headersTimeoutMs, config.admission.upgradeTimeoutMs);
  if (config.securityProfile === 1 || !config.tls) return createHttpServer(timeouts);
  return createHttpsServer({
    ...timeouts,
    cert: readFileSync(config.tls.certFile),
    key: readFileSync(config.tls.keyFile),
    minVersion: 'TLSv1.2',
    ...(config.securityProfile === 3 &&
      config.tls.caFile && { ca: readFileSync(config.tls.caFile), requestCert: true, rejectUnauthorized: true }),
  });
}
