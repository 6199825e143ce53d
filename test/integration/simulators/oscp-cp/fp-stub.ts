// A small, strict Flexibility Provider for testing the CP simulator over real HTTP (express on 127.0.0.1:0):
// checks Authorization, X-Request-ID and every body against the OSCP 2.0 JSON schemas, records what it got,
// registers back / acknowledges handshakes like a real FP would, and can send anything to the CP.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { OscpSchemas, type SchemaName } from './oscp-schemas';

export interface StubRequest {
  method: string;
  /** Endpoint name, e.g. 'heartbeat'. */
  name: string;
  headers: Record<string, string | undefined>;
  body: unknown;
  status: number;
  /** ajv's complaint when the body failed its schema. */
  schemaErrors: string | undefined;
  atMs: number;
}

export interface FpStubOptions {
  /** Token the FP operator gave the CP for registering (direction a). */
  bootstrapToken?: string;
  /** heartbeat_interval the FP asks the CP for in its HandshakeAcknowledge; undefined = none. */
  heartbeatIntervalS?: number;
  replyDelayMs?: number;
}

export interface SendOptions {
  method?: 'POST' | 'PUT' | 'DELETE';
  /** Default: the token the CP gave us; null: no Authorization header. */
  token?: string | null;
  authorization?: string;
  /** Default: a fresh UUID; null: no X-Request-ID. */
  requestId?: string | null;
  correlationId?: string;
  /** Sent as is instead of JSON.stringify(body). */
  rawBody?: string;
  contentType?: string;
}

const SCHEMA_OF: Record<string, SchemaName> = {
  register: 'register',
  handshake: 'handshake',
  handshake_acknowledge: 'handshake-acknowledge',
  heartbeat: 'heartbeat',
  update_group_capacity_forecast: 'update-group-capacity-forecast',
};

const BASE_PATH = '/oscp/fp/2.0';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : undefined;
}

/** base_url of the "2.0" entry of a (schema-valid) Register body. */
function baseUrlOf(body: unknown): string | undefined {
  const versions = record(body)?.['version_url'];
  if (!Array.isArray(versions)) return undefined;
  for (const entry of versions) {
    const fields = record(entry);
    if (fields?.['version'] === '2.0' && typeof fields['base_url'] === 'string') return fields['base_url'];
  }
  return undefined;
}

function tokenOf(body: unknown): string | undefined {
  const token = record(body)?.['token'];
  return typeof token === 'string' ? token : undefined;
}

export class FpStub {
  readonly requests: StubRequest[] = [];
  /** What our own calls to the CP got back, by endpoint name. */
  readonly replies: { name: string; status: number }[] = [];
  baseUrl = '';
  cpBaseUrl: string | undefined;
  /** The token the CP gave us (we present it). */
  tokenForCp: string | undefined;
  /** The token we gave the CP (it must present it). */
  ourToken: string | undefined;
  private bootstrapToken: string | undefined;
  private awaitingRegisterReply = false;
  private readonly schemas = new OscpSchemas();
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly options: FpStubOptions) {
    this.bootstrapToken = options.bootstrapToken;
    const app = express();
    app.use(express.json({ type: 'application/json' }));
    app.use(BASE_PATH, (request, response) => this.handle(request, response));
    app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
      this.note(request, 400, undefined, `malformed JSON: ${String(error)}`);
      response.status(400).json({ message: 'malformed JSON' });
    });
    this.server = createServer(app);
  }

  static async start(options: FpStubOptions = {}): Promise<FpStub> {
    const stub = new FpStub(options);
    await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
    const address: AddressInfo | string | null = stub.server.address();
    if (address === null || typeof address === 'string') throw new Error('FP stub did not bind a TCP port');
    stub.baseUrl = `http://127.0.0.1:${address.port}${BASE_PATH}`;
    return stub;
  }

  /** Direction (b): the FP registers with the CP using the bootstrap token the CP issued. */
  async registerWith(cpBaseUrl: string, bootstrapToken: string): Promise<number> {
    this.cpBaseUrl = cpBaseUrl;
    this.ourToken = randomBytes(24).toString('hex');
    this.awaitingRegisterReply = true;
    const body = { token: this.ourToken, version_url: [{ version: '2.0', base_url: this.baseUrl }] };
    return (await this.send('register', body, { token: bootstrapToken })).status;
  }

  async send(name: string, body: unknown, options: SendOptions = {}): Promise<{ status: number; text: string }> {
    if (this.cpBaseUrl === undefined) throw new Error('FP stub: no CP base URL yet');
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? this.tokenForCp : options.token;
    if (options.authorization !== undefined) headers['Authorization'] = options.authorization;
    else if (token !== null && token !== undefined) headers['Authorization'] = `Token ${token}`;
    if (options.requestId !== null) headers['X-Request-ID'] = options.requestId ?? randomUUID();
    if (options.correlationId !== undefined) headers['X-Correlation-ID'] = options.correlationId;
    const text = options.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    if (text !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
    const response = await fetch(`${this.cpBaseUrl}/${name}`, { method: options.method ?? 'POST', headers, body: text });
    return { status: response.status, text: await response.text() };
  }

  accepted(name: string): StubRequest[] {
    return this.requests.filter((r) => r.name === name && r.status === 204);
  }

  /** First accepted request `name` matching `predicate` (already received or to come); rejects after `timeoutMs`. */
  waitFor(name: string, predicate: (request: StubRequest) => boolean = () => true, timeoutMs = 4000): Promise<StubRequest> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.accepted(name).find(predicate);
        if (found === undefined) return false;
        this.listeners.delete(listener);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`FP stub: no ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
      check();
    });
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(request: Request, response: Response): void {
    const name = request.path.replace(/^\/+/, '');
    const reject = (status: number, message: string, schemaErrors?: string): void => {
      this.note(request, status, schemaErrors, message);
      response.status(status).json({ message });
    };
    const schema = SCHEMA_OF[name];
    if (schema === undefined) return reject(404, `no FP endpoint ${name}`);
    const authorization = request.get('authorization');
    if (authorization === undefined) return reject(401, 'Authorization missing');
    const token = /^Token (\S+)$/.exec(authorization)?.[1];
    const isBootstrap = token !== undefined && token === this.bootstrapToken && name === 'register' && request.method === 'POST';
    if (token === undefined || (!isBootstrap && token !== this.ourToken)) return reject(403, 'token not recognised');
    const requestId = request.get('x-request-id');
    if (requestId === undefined) return reject(400, 'X-Request-ID missing');
    const body: unknown = request.body;
    // DELETE /register may come without a body (§6.1); everything else is checked against its schema.
    const schemaErrors = request.method === 'DELETE' && body === undefined ? undefined : this.schemas.errors(schema, body);
    if (schemaErrors !== undefined) return reject(400, schemaErrors, schemaErrors);
    if (name === 'handshake_acknowledge' && request.get('x-correlation-id') === undefined) return reject(400, 'X-Correlation-ID missing');

    if (name === 'register') this.onRegister(request.method, body, requestId, isBootstrap);
    if (name === 'handshake') this.later(() => this.acknowledge(requestId));
    this.note(request, 204, undefined);
    response.status(204).end();
  }

  private onRegister(method: string, body: unknown, requestId: string, isBootstrap: boolean): void {
    if (method === 'DELETE') {
      this.tokenForCp = undefined;
      this.ourToken = undefined;
      return;
    }
    this.tokenForCp = tokenOf(body);
    this.cpBaseUrl = baseUrlOf(body) ?? this.cpBaseUrl;
    if (method === 'PUT' || this.awaitingRegisterReply) {
      this.awaitingRegisterReply = false;
      return;
    }
    if (isBootstrap) {
      this.bootstrapToken = undefined;
      this.ourToken = randomBytes(24).toString('hex');
      const reply = { token: this.ourToken, version_url: [{ version: '2.0', base_url: this.baseUrl }] };
      this.later(() => this.call('register', reply, requestId));
    }
  }

  private async acknowledge(correlationId: string): Promise<void> {
    const interval = this.options.heartbeatIntervalS;
    const behaviour = { ...(interval === undefined ? {} : { heartbeat_interval: interval }), measurement_configuration: [] };
    await this.call('handshake_acknowledge', { required_behaviour: behaviour }, correlationId);
  }

  private async call(name: string, body: unknown, correlationId: string): Promise<void> {
    const { status } = await this.send(name, body, { correlationId }).catch(() => ({ status: 0 }));
    this.replies.push({ name, status });
  }

  private later(task: () => Promise<void>): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void task();
    }, this.options.replyDelayMs ?? 20);
    this.timers.add(timer);
  }

  private note(request: Request, status: number, schemaErrors: string | undefined, _why?: string): void {
    const headers: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(request.headers)) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    const name = request.path.replace(BASE_PATH, '').replace(/^\/+/, '');
    this.requests.push({ method: request.method, name, headers, body: request.body, status, schemaErrors, atMs: Date.now() });
    for (const listener of [...this.listeners]) listener();
  }
}
