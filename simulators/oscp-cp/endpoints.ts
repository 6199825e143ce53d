// The CP's HTTP endpoints (express router): checks every request like a strict peer — Authorization
// (401/403), X-Request-ID (400), JSON body against the message schema (400) — then lets the CP decide,
// answers 204 with no body (§3) or an error with {"message"}, and records every request either way.
import express, { type Request, type Response, type Router } from 'express';
import type { DateTime } from 'luxon';
import type { z } from 'zod';
import type { ReceivedMessage } from './message-log';
import { readAuthorization, type Credential } from './tokens';
import { ReceivedBodies, type HttpMethod, type ReceivedBody, type ReceivedKind } from './wire';

export type ErrorStatus = 400 | 403 | 404 | 405 | 501;

/** What the CP makes of a valid request: 204 (then run `after` once the answer is written) or an error. */
export type Decision = { status: 204; after?: () => void } | { status: ErrorStatus; message: string };

export interface InboundContext {
  method: HttpMethod;
  credential: Credential;
  token: string;
  requestId: string;
  correlationId: string | undefined;
}

type Handler<K extends ReceivedKind> = (body: ReceivedBody<K>, context: InboundContext) => Decision;

/** The CP behind the endpoints: one handler per message kind. */
export type EndpointHost = { [K in ReceivedKind]: Handler<K> } & {
  credentialFor(token: string): Credential | undefined;
  record(message: ReceivedMessage): void;
  now(): DateTime;
};

const METHODS: Record<ReceivedKind, readonly HttpMethod[]> = {
  register: ['POST', 'PUT', 'DELETE'],
  handshake: ['POST'],
  handshake_acknowledge: ['POST'],
  heartbeat: ['POST'],
  update_group_measurements: ['POST'],
  adjust_group_capacity_forecast: ['POST'],
  group_capacity_compliance_error: ['POST'],
};

function isReceivedKind(name: string): name is ReceivedKind {
  return Object.hasOwn(METHODS, name);
}

function httpMethod(method: string): HttpMethod | undefined {
  return method === 'POST' || method === 'PUT' || method === 'DELETE' ? method : undefined;
}

function lowerCaseHeaders(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function zodMessage(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
  return `${where}: ${issue?.message ?? 'invalid'}`;
}

export function oscpRouter(host: EndpointHost): Router {
  const router = express.Router();
  router.use(express.raw({ type: () => true, limit: '2mb' }));
  router.use((request, response) => handle(host, request, response));
  return router;
}

function handle(host: EndpointHost, request: Request, response: Response): void {
  const headers = lowerCaseHeaders(request);
  const name = request.path.replace(/^\/+|\/+$/g, '');
  const kind: ReceivedKind | 'unknown' = isReceivedKind(name) ? name : 'unknown';
  const text = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
  let body: unknown = text === '' ? undefined : text;
  let jsonError: string | undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch (error) {
      jsonError = error instanceof Error ? error.message : String(error);
    }
  }
  const base = {
    path: request.originalUrl,
    headers,
    requestId: headers['x-request-id'],
    correlationId: headers['x-correlation-id'],
    receivedAt: host.now(),
  };
  const reject = (status: number, message: string): void => {
    host.record({ ...base, accepted: false, kind, method: request.method, status, body, error: message });
    if (status === 501) response.setHeader('X-Error-Message', message);
    response.status(status).json({ message });
  };

  if (kind === 'unknown') return reject(404, `no OSCP endpoint ${request.method} ${request.path} on this CP`);
  const method = httpMethod(request.method);
  if (method === undefined || !METHODS[kind].includes(method)) return reject(405, `${request.method} not allowed on ${kind}`);
  const authorization = readAuthorization(headers['authorization']);
  if (!authorization.ok) return reject(authorization.status, authorization.message);
  const credential = host.credentialFor(authorization.token);
  if (credential === undefined) return reject(403, 'token not recognised');
  if (base.requestId === undefined || base.requestId === '') return reject(400, 'X-Request-ID header missing');
  if (text !== '' && !/^application\/json\b/i.test(headers['content-type'] ?? '')) {
    return reject(400, 'Content-Type must be application/json');
  }
  if (jsonError !== undefined) return reject(400, `body is not JSON: ${jsonError}`);
  if (body === undefined && method !== 'DELETE') return reject(400, 'body missing');

  const context: InboundContext = {
    method,
    credential,
    token: authorization.token,
    requestId: base.requestId,
    correlationId: base.correlationId,
  };
  const decide = <K extends ReceivedKind>(k: K, schema: z.ZodType<ReceivedBody<K>>, handler: Handler<K>): void => {
    const parsed = schema.safeParse(body);
    if (!parsed.success) return reject(400, zodMessage(parsed.error));
    const decision = handler(parsed.data, context);
    if (decision.status !== 204) return reject(decision.status, decision.message);
    host.record({ ...base, accepted: true, kind: k, method, status: 204, body: parsed.data });
    const after = decision.after;
    if (after !== undefined) response.once('finish', after);
    response.status(204).end();
  };
  switch (kind) {
    case 'register':
      return decide(kind, ReceivedBodies.register, (b, c) => host.register(b, c));
    case 'handshake':
      return decide(kind, ReceivedBodies.handshake, (b, c) => host.handshake(b, c));
    case 'handshake_acknowledge':
      return decide(kind, ReceivedBodies.handshake_acknowledge, (b, c) => host.handshake_acknowledge(b, c));
    case 'heartbeat':
      return decide(kind, ReceivedBodies.heartbeat, (b, c) => host.heartbeat(b, c));
    case 'update_group_measurements':
      return decide(kind, ReceivedBodies.update_group_measurements, (b, c) => host.update_group_measurements(b, c));
    case 'adjust_group_capacity_forecast':
      return decide(kind, ReceivedBodies.adjust_group_capacity_forecast, (b, c) => host.adjust_group_capacity_forecast(b, c));
    case 'group_capacity_compliance_error':
      return decide(kind, ReceivedBodies.group_capacity_compliance_error, (b, c) => host.group_capacity_compliance_error(b, c));
  }
}
