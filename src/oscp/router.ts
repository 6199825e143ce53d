// The FP endpoint (digest §2, §10): express routes for register, handshake(+ack), heartbeat and forecasts.
// Order of checks: token (401/403), X-Request-ID (400), peer state (403), body (400/404/501); success is a bare 204.
import express, { type Request, type Response, type Router } from 'express';
import type { AuthThrottle } from '../observability/auth-throttle';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import { BadRequestError, ForbiddenError, OscpRequestError } from './errors';
import type { ForecastIntake } from './forecast-intake';
import type { Link } from './link';
import type { Caller, PeerRegistry } from './peer-registry';
import type { Registration } from './registration';

export interface OscpRouterDeps {
  readonly registry: PeerRegistry;
  readonly registration: Registration;
  readonly link: Link;
  readonly intake: ForecastIntake;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Runs once our 204 has been written: lets queued follow-ups go out (digest §3). */
  readonly afterResponse: () => void;
  /** Failed token checks per remote address: after a few, 429 with Retry-After before the token is looked at. */
  readonly throttle?: AuthThrottle;
}

interface Inbound {
  readonly caller: Caller;
  readonly requestId: string;
  readonly correlationId: string | undefined;
  readonly body: unknown;
}

type Handler = (inbound: Inbound) => void;

/** Body parser for any content type: some peers omit `Content-Type: application/json`. */
const parseJson = express.json({ type: () => true, limit: '1mb' });

function readJson(req: Request, res: Response): Promise<void> {
  return new Promise((resolve, reject) => parseJson(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
}

/**
 * body-parser's own errors carry an HTTP status (400 malformed, 413 too large, 415 charset or encoding); a body whose
 * Content-Encoding (gzip, deflate, br) does not decode fails inside zlib, with a Z_… code and no status: still the
 * client's fault, 400 — never a 500.
 */
function parserStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ('code' in error && typeof error.code === 'string' && /^(Z_|ERR_BROTLI|ERR__|ERR_ZLIB)/.test(error.code)) return 400;
  if (!('status' in error) || !('type' in error)) return undefined;
  return typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : undefined;
}

function header(req: Request, name: string): string | undefined {
  const value = req.get(name)?.trim();
  return value ? value : undefined;
}

export function createOscpRouter(deps: OscpRouterDeps): Router {
  const router = express.Router();

  /** The caller of the token; a missing, foreign or unknown one counts against the address. */
  const authenticated = (req: Request, address: string): Caller => {
    try {
      return deps.registry.authenticate(req.get('authorization'));
    } catch (error) {
      if (error instanceof OscpRequestError) {
        deps.throttle?.failed(address);
        deps.metrics.authFailures.inc({ port: 'oscp' });
      }
      throw error;
    }
  };

  const route =
    (type: string, handler: Handler, options: { registeredOnly: boolean }) =>
    async (req: Request, res: Response): Promise<void> => {
      let peerId: string | undefined;
      const address = req.socket.remoteAddress ?? '';
      const throttled = deps.throttle?.check(address);
      if (throttled) {
        deps.metrics.authThrottled.inc({ port: 'oscp', scope: throttled.scope });
        deps.metrics.oscpMessages.inc({ direction: 'in', type, status: '429' });
        res
          .status(429)
          .set('Retry-After', String(Math.ceil(throttled.retryAfterMs / 1000)))
          .json({ message: `${type}: too many failed token checks from this address; retry later` });
        return;
      }
      try {
        const caller = authenticated(req, address);
        peerId = caller.peer.peerId;
        const requestId = header(req, 'x-request-id');
        if (!requestId) throw new BadRequestError('X-Request-ID header missing');
        if (options.registeredOnly && (caller.kind !== 'peer' || caller.peer.state === 'UNREGISTERED'))
          throw new ForbiddenError(`peer ${peerId} is not registered: only register is accepted`);
        try {
          await readJson(req, res);
        } catch (error) {
          const status = parserStatus(error);
          if (status === undefined) throw error;
          res
            .status(status)
            .json({ message: `${type}: ${status === 400 ? 'malformed body (JSON or its Content-Encoding)' : 'body refused'}` });
          deps.metrics.oscpMessages.inc({ direction: 'in', type, status: String(status) });
          return;
        }
        const body: unknown = req.body;
        handler({ caller, requestId, correlationId: header(req, 'x-correlation-id'), body });
        if (caller.kind === 'peer') deps.registry.confirmInboundToken(caller.peer.peerId);
        res.once('finish', () => setImmediate(deps.afterResponse));
        res.status(204).end();
        deps.metrics.oscpMessages.inc({ direction: 'in', type, status: '204' });
        deps.logger.debug('OSCP message handled', { peer: peerId, type, requestId });
      } catch (error) {
        const status = error instanceof OscpRequestError ? error.status : 500;
        const message = error instanceof OscpRequestError ? error.message : 'internal error';
        if (status === 500) deps.logger.error('OSCP request failed', { peer: peerId, type, error });
        else deps.logger.warn('OSCP request refused', { peer: peerId, type, status, reason: message });
        deps.metrics.oscpMessages.inc({ direction: 'in', type, status: String(status) });
        res.status(status).json({ message });
      }
    };

  const registered = { registeredOnly: true };
  const anyCaller = { registeredOnly: false };
  router.post(
    '/register',
    route('register', (m) => deps.registration.onRegister(m.caller, m.body, m.requestId), anyCaller),
  );
  router.put(
    '/register',
    route('register', (m) => deps.registration.onUpdate(m.caller, m.body), anyCaller),
  );
  router.delete(
    '/register',
    route('register', (m) => deps.registration.onDelete(m.caller), anyCaller),
  );
  router.post(
    '/handshake',
    route('handshake', (m) => deps.link.onHandshake(m.caller.peer, m.body, m.requestId), registered),
  );
  const acknowledge: Handler = (m) => deps.link.onHandshakeAcknowledge(m.caller.peer, m.body, m.correlationId);
  router.post('/handshake_acknowledge', route('handshake_acknowledge', acknowledge, registered));
  // pyoscp's spelling (digest §14).
  router.post('/handshake_acknowledgment', route('handshake_acknowledge', acknowledge, registered));
  router.post(
    '/heartbeat',
    route('heartbeat', (m) => deps.link.onHeartbeat(m.caller.peer, m.body), registered),
  );
  router.post(
    '/update_group_capacity_forecast',
    route('update_group_capacity_forecast', (m) => deps.intake.accept(m.caller.peer, m.requestId, m.body), registered),
  );
  router.use((req: Request, res: Response) => {
    res.status(404).json({ message: `no OSCP endpoint ${req.method} ${req.path}` });
  });
  return router;
}
