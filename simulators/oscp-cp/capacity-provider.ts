// The simulated Capacity Provider (a DSO) facing one Flexibility Provider: serves the CP endpoints, registers,
// handshakes, sends heartbeats and forecasts, and records everything the FP sends so tests can check it.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { DateTime } from 'luxon';
import { oscpRouter, type Decision, type EndpointHost } from './endpoints';
import { correlationCheck, Handshakes, isDelivered } from './handshakes';
import { HeartbeatSender } from './heartbeats';
import { MessageLog, type AcceptedMessage, type MessageCount, type ReceivedMessage, type SentMessage } from './message-log';
import { parseOptions, type CapacityProviderOptions, type CapacityProviderOptionsInput } from './options';
import { OscpClient, type SendResult } from './outbound';
import { Registration, type RegistrationPhase } from './registration';
import type { Scenario } from './scenario';
import { planScenario, scenarioStart } from './scenario-plan';
import { ScenarioRun } from './scenario-run';
import { TokenBook, type Credential } from './tokens';
import * as wire from './wire';

export interface ForecastInput {
  groupId: string;
  type: wire.CapacityForecastType;
  blocks: wire.ForecastedBlock[];
  /** Default: a fresh UUID. It is the forecast's identifier the FP's compliance errors refer to (§5). */
  requestId?: string;
  /** e.g. the X-Request-ID of the AdjustGroupCapacityForecast this answers (§5, unconfirmed). */
  correlationId?: string;
}

export interface RawRequest {
  path: string;
  method?: wire.HttpMethod;
  body?: unknown;
  /** Default: the token the FP gave us; null: no Authorization header. */
  token?: string | null;
  /** Default: a fresh UUID; null: no X-Request-ID header. */
  requestId?: string | null;
  correlationId?: string;
  headers?: Record<string, string>;
}

export interface CapacityProviderState {
  baseUrl: string;
  registration: RegistrationPhase;
  registered: boolean;
  fpBaseUrl: string | undefined;
  handshakeDone: boolean;
  /** What the FP asked of us in its HandshakeAcknowledge (or Handshake). */
  fpRequiredBehaviour: wire.RequiredBehaviour | undefined;
  heartbeats: { intervalS: number | undefined; running: boolean; held: boolean };
  lastHeartbeatFromFp: { receivedAt: DateTime; offlineModeAt: DateTime } | undefined;
  /** offline_mode_at of the FP's last heartbeat has passed; undefined before its first heartbeat. */
  fpOffline: boolean | undefined;
  forecastsSent: number;
}

export class ForecastInputError extends Error {}

export class CapacityProvider {
  readonly options: CapacityProviderOptions;
  private readonly log: MessageLog;
  private readonly client: OscpClient;
  private readonly tokens: TokenBook;
  private readonly registration: Registration;
  private readonly heartbeats: HeartbeatSender;
  private readonly handshakes: Handshakes;
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly runs = new Set<ScenarioRun>();
  /** X-Request-IDs of our forecasts, for the X-Correlation-ID of compliance errors. */
  private readonly forecastIds = new Set<string>();
  private listeningUrl: string | undefined;
  private lastFpHeartbeat: { receivedAt: DateTime; offlineModeAt: DateTime } | undefined;
  private forecastsSent = 0;
  private closed = false;

  constructor(
    input: CapacityProviderOptionsInput,
    readonly now: () => DateTime = () => DateTime.utc(),
  ) {
    this.options = parseOptions(input);
    this.log = new MessageLog(this.options.logCapacity);
    this.client = new OscpClient(this.options, this.log, now);
    this.tokens = new TokenBook(this.options.bootstrapTokens);
    this.registration = new Registration({
      options: this.options,
      client: this.client,
      tokens: this.tokens,
      ownBaseUrl: () => this.baseUrl,
      later: (ms, task) => this.later(ms, task),
      onRegistered: () => {
        if (this.options.autoHandshake) this.later(this.options.handshakeDelayMs, () => this.handshake());
      },
      onUnregistered: () => this.handshakes.forget(),
    });
    this.heartbeats = new HeartbeatSender((intervalS) => this.sendHeartbeat(intervalS));
    this.handshakes = new Handshakes({
      options: this.options,
      client: this.client,
      registration: this.registration,
      heartbeats: this.heartbeats,
      later: (ms, task) => this.later(ms, task),
    });
    const app = express();
    app.disable('x-powered-by');
    app.use(this.options.basePath, oscpRouter(this.endpointHost()));
    this.server = createServer(app);
  }

  /** Starts listening on options.host:options.port (0 = any free port). */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('CP simulator did not bind a TCP port');
    this.listeningUrl =
      this.options.publicBaseUrl ?? `http://${this.options.host}:${(address satisfies AddressInfo).port}${this.options.basePath}`;
  }

  /** The base URL we announce in Register (the FP calls `${baseUrl}/heartbeat` etc.). */
  get baseUrl(): string {
    if (this.listeningUrl === undefined) throw new Error('CP simulator is not listening yet: await listen() first');
    return this.listeningUrl;
  }

  get port(): number {
    const address = this.server.address();
    return address === null || typeof address === 'string' ? 0 : address.port;
  }

  /** Direction (b): a token to hand the FP operator; the FP registers with it, we register back. */
  issueBootstrapToken(): string {
    return this.tokens.issueBootstrap();
  }

  /** Direction (a): register with the FP using the token its operator issued; the FP then registers back. */
  registerWith(fpBaseUrl: string, bootstrapToken: string): Promise<SendResult> {
    return this.registration.registerWith(fpBaseUrl, bootstrapToken);
  }

  /** Token rotation: PUT /register with a new token for the FP to use. */
  rotateToken(): Promise<SendResult> {
    return this.registration.rotateToken();
  }

  unregister(): Promise<SendResult> {
    return this.registration.unregister();
  }

  /** POST /handshake with our required_behaviour; the FP answers with a HandshakeAcknowledge. */
  handshake(): Promise<SendResult> {
    return this.handshakes.send();
  }

  /** POST update_group_capacity_forecast; throws ForecastInputError if the body would not be schema-valid. */
  async sendForecast(forecast: ForecastInput): Promise<SendResult> {
    const body = { group_id: forecast.groupId, type: forecast.type, forecasted_blocks: forecast.blocks };
    const parsed = wire.GroupCapacityForecast.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ForecastInputError(
        `forecast for group ${forecast.groupId}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const { baseUrl, token } = this.registration.link();
    const requestId = forecast.requestId ?? randomUUID();
    this.forecastIds.add(requestId);
    const result = await this.client.send({
      kind: 'update_group_capacity_forecast',
      method: 'POST',
      baseUrl,
      path: 'update_group_capacity_forecast',
      token,
      requestId,
      ...(forecast.correlationId === undefined ? {} : { correlationId: forecast.correlationId }),
      body: parsed.data,
    });
    if (isDelivered(result)) this.forecastsSent += 1;
    return result;
  }

  /** Any request to the FP without checks, for negative tests (bad token, bad body, missing headers). */
  sendRaw(request: RawRequest): Promise<SendResult> {
    const baseUrl = this.registration.fpBaseUrl ?? this.options.fpBaseUrl;
    if (baseUrl === undefined) throw new Error('sendRaw: no FP base URL known yet (register first or set options.fpBaseUrl)');
    return this.client.send({
      kind: 'raw',
      method: request.method ?? 'POST',
      baseUrl,
      path: request.path,
      token: request.token === null ? undefined : (request.token ?? this.registration.outboundToken),
      body: request.body,
      ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
      ...(request.correlationId === undefined ? {} : { correlationId: request.correlationId }),
      ...(request.headers === undefined ? {} : { headers: request.headers }),
    });
  }

  /** Plays a scenario in real time from `start` (default: the start of the current block). */
  runScenario(scenario: Scenario, start: DateTime = scenarioStart(this.now(), scenario.blockMinutes)): ScenarioRun {
    const run = new ScenarioRun(
      planScenario(scenario, start),
      (planned) => this.sendForecast({ groupId: planned.groupId, type: planned.type, blocks: planned.blocks }),
      this.now,
    );
    this.runs.add(run);
    void run.done.then(() => this.runs.delete(run));
    return run;
  }

  /** Stop sending heartbeats (the FP should see us offline once our last offline_mode_at passes). */
  stopHeartbeats(): void {
    this.heartbeats.hold();
  }

  /** Send a heartbeat now and keep the FP's interval again. */
  resumeHeartbeats(): void {
    this.heartbeats.resume();
  }

  state(): CapacityProviderState {
    const last = this.lastFpHeartbeat;
    return {
      baseUrl: this.listeningUrl ?? '',
      registration: this.registration.phase,
      registered: this.registration.phase === 'REGISTERED',
      fpBaseUrl: this.registration.fpBaseUrl,
      handshakeDone: this.handshakes.done,
      fpRequiredBehaviour: this.handshakes.requiredByFp,
      heartbeats: { intervalS: this.heartbeats.interval, running: this.heartbeats.running, held: this.heartbeats.isHeld },
      lastHeartbeatFromFp: last,
      fpOffline: last === undefined ? undefined : this.now() > last.offlineModeAt,
      forecastsSent: this.forecastsSent,
    };
  }

  received(kind?: wire.ReceivedKind | 'unknown'): ReceivedMessage[] {
    return this.log.received(kind);
  }

  /** Accepted (204) messages of one kind with typed bodies, e.g. accepted('update_group_measurements'). */
  accepted<K extends wire.ReceivedKind>(kind: K): AcceptedMessage<K>[] {
    return this.log.accepted(kind);
  }

  sent(kind?: wire.SentKind | 'raw'): SentMessage[] {
    return this.log.sent(kind);
  }

  summary(): MessageCount[] {
    return this.log.summary();
  }

  /** First accepted message of `kind` matching `predicate` (already received or still to come). */
  waitFor<K extends wire.ReceivedKind>(
    kind: K,
    predicate?: (message: AcceptedMessage<K>) => boolean,
    timeoutMs = 5000,
  ): Promise<AcceptedMessage<K>> {
    return this.log.waitFor(kind, predicate, timeoutMs);
  }

  /** Resolves once `predicate(state())` holds; rejects after `timeoutMs`. */
  async waitForState(predicate: (state: CapacityProviderState) => boolean, timeoutMs = 5000): Promise<CapacityProviderState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = this.state();
      if (predicate(state)) return state;
      if (Date.now() >= deadline || this.closed) throw new Error(`CP simulator state did not reach the condition within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.heartbeats.configure(undefined);
    for (const run of this.runs) run.stop();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.client.close();
    this.log.dispose();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private later(ms: number, task: () => Promise<unknown>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task().catch(() => undefined);
    }, ms);
    this.timers.add(timer);
  }

  private async sendHeartbeat(intervalS: number): Promise<void> {
    const link = this.registration.link();
    const offlineModeAt = this.now()
      .toUTC()
      .plus({ milliseconds: intervalS * this.options.heartbeatOfflineFactor * 1000 });
    const body: wire.Heartbeat = { offline_mode_at: offlineModeAt.toISO() ?? offlineModeAt.toString() };
    await this.client.send({ kind: 'heartbeat', method: 'POST', path: 'heartbeat', ...link, body });
  }

  /** Registered, not a bootstrap token, and (if so configured) handshake done. */
  private gate(credential: Credential, needsHandshake: boolean): Decision | undefined {
    if (credential === 'bootstrap') return { status: 403, message: 'a bootstrap token is only good for POST /register' };
    if (this.registration.phase !== 'REGISTERED') return { status: 403, message: `not registered (${this.registration.phase})` };
    if (needsHandshake && this.options.requireHandshake && !this.handshakes.done)
      return { status: 403, message: 'handshake not completed' };
    return undefined;
  }

  private unknownGroup(groupId: string): Decision | undefined {
    const groups = this.options.groups;
    return groups.length === 0 || groups.includes(groupId) ? undefined : { status: 400, message: `unknown group_id "${groupId}"` };
  }

  private endpointHost(): EndpointHost {
    const ok: Decision = { status: 204 };
    return {
      credentialFor: (token) => this.tokens.classify(token),
      record: (message) => this.log.recordReceived(message),
      now: this.now,
      register: (body, context) => this.registration.onRegister(body, context),
      handshake: (body, context) => this.gate(context.credential, false) ?? this.handshakes.onHandshake(body, context),
      handshake_acknowledge: (body, context) => this.gate(context.credential, false) ?? this.handshakes.onAcknowledge(body, context),
      heartbeat: (body, context) => {
        const refused = this.gate(context.credential, false);
        if (refused !== undefined) return refused;
        this.lastFpHeartbeat = { receivedAt: this.now(), offlineModeAt: DateTime.fromISO(body.offline_mode_at, { zone: 'utc' }) };
        return ok;
      },
      update_group_measurements: (body, context) =>
        this.gate(context.credential, true) ?? this.unknownGroup(body.group_id) ?? this.intermittentCheck(body) ?? ok,
      adjust_group_capacity_forecast: (body, context) => {
        const refused = this.gate(context.credential, true) ?? this.unknownGroup(body.group_id);
        if (refused !== undefined) return refused;
        if (this.options.adjustAnswer === 'none') return ok;
        const answer = { groupId: body.group_id, type: body.type, blocks: body.forecasted_blocks, correlationId: context.requestId };
        return { status: 204, after: () => this.later(this.options.replyDelayMs, () => this.sendForecast(answer)) };
      },
      group_capacity_compliance_error: (_body, context) =>
        this.gate(context.credential, true) ?? correlationCheck(context, this.forecastIds, 'UpdateGroupCapacityForecast') ?? ok,
    };
  }

  /** §7 EnergyMeasurement: initial_measure_time MUST be there when we asked for INTERMITTENT. */
  private intermittentCheck(body: wire.UpdateGroupMeasurements): Decision | undefined {
    if (!this.options.measurementConfiguration.includes('INTERMITTENT')) return undefined;
    const index = body.measurements.findIndex((m) => m.initial_measure_time === undefined);
    return index < 0 ? undefined : { status: 400, message: `measurements.${index}.initial_measure_time is required (INTERMITTENT)` };
  }
}
