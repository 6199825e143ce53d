// The CSMS simulator: accepts stations' WebSockets (identity, Basic auth, subprotocol), answers their messages,
// sends its own CALLs (API and scenario), records every frame, and can go down and come back on the same port.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { V16_ANSWERS } from './answers-v16';
import { V201_ANSWERS } from './answers-v201';
import { FrameLog } from './frame-log';
import { Listener } from './listener';
import {
  CsmsSimulatorConfigError,
  parseOptions,
  subprotocolOf,
  type BootStatus,
  type CsmsSimulatorOptions,
  type CsmsSimulatorOptionsInput,
  type OcppVersion,
} from './options';
import { ScenarioRun } from './scenario-run';
import { stepPayload } from './scenario-payloads';
import type { ScenarioStep } from './scenario';
import { StationLink, type CallOutcome } from './station-link';
import { StationBook, type StationState } from './stations';
import { decideUpgrade, refuseUpgrade } from './upgrade';
import { Signal } from './waiting';
import { errorCodes, type Payload } from './wire';

export class StationNotConnectedError extends Error {}
export class NoScenarioError extends Error {}

/** A close handshake the station does not complete within this is cut short, so goDown never hangs. */
const CLOSE_GRACE_MS = 1000;

export class CsmsSimulator {
  readonly options: CsmsSimulatorOptions;
  readonly frames: FrameLog;
  readonly stations: StationBook;
  private readonly listener: Listener;
  private readonly wss: WebSocketServer;
  /** Versions served, preferred first. */
  private readonly versions: readonly OcppVersion[];
  private readonly links = new Map<string, StationLink>();
  private readonly runs = new Map<StationLink, ScenarioRun>();
  private readonly outcomeLog: CallOutcome[] = [];
  private readonly signal = new Signal();
  private readonly refused: Map<string, 401 | 404>;
  private readonly passwords: Map<string, string> | undefined;
  private down = false;
  private backAtMs: number | undefined;
  private comeBackTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(input: CsmsSimulatorOptionsInput = {}) {
    this.options = parseOptions(input);
    const { options } = this;
    this.frames = new FrameLog(options.recordCapacity, options.recordFile);
    this.stations = new StationBook(options);
    this.versions = options.versions ?? [options.ocppVersion];
    this.refused = new Map(Object.entries(options.refuse));
    this.passwords = options.passwords === undefined ? undefined : new Map(Object.entries(options.passwords));
    const subprotocols = this.versions.map(subprotocolOf);
    // RFC 7692 compression is required of a CSMS (2.0.1 Part 4 §3.3); a station may decline it.
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: true,
      handleProtocols: (offered) => subprotocols.find((subprotocol) => offered.has(subprotocol)) ?? false,
    });
    this.listener = new Listener(options.host, options.port, (request, socket, head) => this.onUpgrade(request, socket, head));
  }

  get port(): number {
    return this.listener.port;
  }

  /** Base URL stations connect to, the identity appended: ws://host:port/ocpp. */
  get url(): string {
    return `ws://${this.options.host}:${this.port}${this.options.path}`;
  }

  get isDown(): boolean {
    return this.down;
  }

  async listen(): Promise<void> {
    await this.listener.listen();
  }

  /** Sends one CALL to a connected station through its queue (one outstanding at a time). */
  call(identity: string, action: string, payload: Payload, options: { timeoutMs?: number } = {}): Promise<CallOutcome> {
    const link = this.links.get(identity);
    if (link === undefined) return Promise.reject(new StationNotConnectedError(`station ${identity} is not connected`));
    return link.enqueue({
      action,
      build: () => payload,
      timeoutMs: options.timeoutMs ?? this.options.callTimeoutMs,
      origin: { kind: 'api' },
    });
  }

  /** Sends the scenario steps labelled `label` ("on": label) to a connected station. */
  trigger(identity: string, label: string): Promise<CallOutcome[]> {
    const link = this.links.get(identity);
    if (link === undefined) return Promise.reject(new StationNotConnectedError(`station ${identity} is not connected`));
    const run = this.runs.get(link);
    if (run === undefined) return Promise.reject(new NoScenarioError(`no scenario runs for station ${identity}`));
    return run.trigger(label);
  }

  /** The scenario run on the station's current connection (its `done` resolves with the timed steps' outcomes). */
  scenarioRun(identity: string): ScenarioRun | undefined {
    const link = this.links.get(identity);
    return link === undefined ? undefined : this.runs.get(link);
  }

  /** Outcomes of our CALLs (API and scenario), oldest first. */
  outcomes(identity?: string): CallOutcome[] {
    return this.outcomeLog.filter((outcome) => identity === undefined || outcome.identity === identity);
  }

  connectedStations(): string[] {
    return [...this.links.keys()];
  }

  isConnected(identity: string): boolean {
    return this.links.has(identity);
  }

  station(identity: string): StationState {
    return this.stations.get(identity);
  }

  /** Resolves once the probe holds (checked at every frame, connection and state change), or rejects after timeoutMs. */
  until<T>(probe: () => T | undefined | false, timeoutMs = 5000, what = 'a condition'): Promise<Exclude<T, undefined | false>> {
    return this.signal.until(probe, timeoutMs, what);
  }

  waitForStation(identity: string, timeoutMs = 5000): Promise<true> {
    return this.until(() => this.links.has(identity), timeoutMs, `station ${identity} to connect`);
  }

  waitForDisconnect(identity: string, timeoutMs = 5000): Promise<true> {
    return this.until(() => !this.links.has(identity), timeoutMs, `station ${identity} to disconnect`);
  }

  /** Refuses (401/404) or lets in again (undefined) an identity at the upgrade; an open socket stays open. */
  refuse(identity: string, status: 401 | 404 | undefined): void {
    if (status === undefined) this.refused.delete(identity);
    else this.refused.set(identity, status);
  }

  /** Changes a station's Basic-auth password (e.g. after SetVariables BasicAuthPassword); needs `passwords` mode. */
  setPassword(identity: string, password: string | undefined): void {
    if (this.passwords === undefined)
      throw new CsmsSimulatorConfigError('setPassword needs the passwords option; the simulator accepts any station');
    if (password === undefined) this.passwords.delete(identity);
    else this.passwords.set(identity, password);
  }

  setBootStatus(identity: string, status: BootStatus | readonly BootStatus[]): void {
    this.stations.setBootAnswers(identity, status);
  }

  /**
   * Closes every station socket (1001 or terminate, `downClose`) and refuses upgrades (`downRefusal`) until
   * comeBack(), which happens by itself after `seconds` when given.
   */
  async goDown(seconds?: number): Promise<void> {
    if (this.stopped) return;
    if (this.comeBackTimer !== undefined) clearTimeout(this.comeBackTimer);
    this.comeBackTimer = undefined;
    this.down = true;
    this.backAtMs = seconds === undefined ? undefined : Date.now() + seconds * 1000;
    const listening = this.options.downRefusal === 'refuse' ? this.listener.close() : Promise.resolve();
    await this.closeAll(this.options.downClose);
    await listening;
    this.signal.notify();
    if (seconds !== undefined) this.comeBackTimer = setTimeout(() => void this.comeBack(), seconds * 1000);
  }

  async comeBack(): Promise<void> {
    if (this.comeBackTimer !== undefined) clearTimeout(this.comeBackTimer);
    this.comeBackTimer = undefined;
    if (this.stopped || !this.down) return;
    await this.listener.listen();
    this.down = false;
    this.backAtMs = undefined;
    this.signal.notify();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.comeBackTimer !== undefined) clearTimeout(this.comeBackTimer);
    const listening = this.listener.close();
    await this.closeAll('close');
    await listening;
    this.wss.close();
    await this.frames.close();
    this.signal.notify();
  }

  private async closeAll(how: 'close' | 'terminate'): Promise<void> {
    const links = [...this.links.values()];
    for (const link of links) {
      if (how === 'terminate') link.terminate();
      else link.close(1001, 'CSMS going down');
    }
    await Promise.all(
      links.map(async (link) => {
        const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
        await Promise.race([link.closed, grace]);
        link.terminate();
        await link.closed;
      }),
    );
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    if (this.stopped) return refuseUpgrade(socket, 503, 'CSMS simulator stopped');
    if (this.down) {
      const retryS = this.backAtMs === undefined ? 60 : Math.max(1, Math.ceil((this.backAtMs - Date.now()) / 1000));
      return refuseUpgrade(socket, 503, 'CSMS is down', { 'Retry-After': String(retryS) });
    }
    const decision = decideUpgrade(request.url ?? '/', request.headers.authorization, {
      path: this.options.path,
      refused: this.refused,
      passwords: this.passwords,
    });
    if (!decision.accept) return refuseUpgrade(socket, decision.status, decision.reason, decision.headers);
    this.wss.handleUpgrade(request, socket, head, (ws) => this.onConnection(decision.identity, ws));
  }

  private onConnection(identity: string, ws: WebSocket): void {
    if (this.down || this.stopped) return ws.terminate();
    // 2.0.1 Part 4 §3.1: without an OCPP version in common the handshake completes without a subprotocol and closes.
    const version = this.versions.find((served) => subprotocolOf(served) === ws.protocol);
    if (version === undefined) return ws.close(1002, 'no OCPP version in common');
    // Newest wins: a station reconnecting before its old socket died must not be answered on both.
    this.links.get(identity)?.close(1000, 'replaced by a newer connection of this station');
    const link: StationLink = new StationLink(identity, ws, {
      answers: version === '1.6' ? V16_ANSWERS : V201_ANSWERS,
      codes: errorCodes(version),
      context: this.stations.context(identity, version),
      frames: this.frames,
      onAnswered: (action, answer) => {
        const status = answer.kind === 'result' ? answer.payload['status'] : undefined;
        // A Rejected station must not answer our CALLs (1.6 §4.2, B03), so the script waits for Accepted/Pending.
        if (action === 'BootNotification' && (status === 'Accepted' || status === 'Pending')) this.runs.get(link)?.start();
        this.signal.notify();
      },
      onOutcome: (outcome) => {
        this.outcomeLog.push(outcome);
        if (this.outcomeLog.length > this.options.recordCapacity) this.outcomeLog.shift();
        this.signal.notify();
      },
      onClose: () => {
        this.runs.get(link)?.stop();
        this.runs.delete(link);
        if (this.links.get(identity) === link) this.links.delete(identity);
        this.signal.notify();
      },
    });
    this.links.set(identity, link);
    this.stations.get(identity).connects += 1;
    const { scenario } = this.options;
    if (scenario !== undefined && (scenario.stations === undefined || scenario.stations.includes(identity))) {
      this.runs.set(link, new ScenarioRun(scenario, (step, index) => this.sendStep(identity, link, version, step, index)));
    }
    this.signal.notify();
  }

  private sendStep(identity: string, link: StationLink, version: OcppVersion, step: ScenarioStep, index: number): Promise<CallOutcome> {
    return link.enqueue({
      action: step.action,
      build: () =>
        stepPayload(step, index, {
          version,
          nowIso: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          transactionId: this.stations.get(identity).transactionId,
        }),
      timeoutMs: step.timeoutMs ?? this.options.callTimeoutMs,
      origin: { kind: 'scenario', step: index, on: step.on },
    });
  }
}
