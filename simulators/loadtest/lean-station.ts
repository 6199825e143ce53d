// One lean OCPP 2.0.1 or 1.6 station on a raw `ws` socket: boots (Pending → GetVariables / GetConfiguration →
// triggered boot → Accepted), starts one transaction, then sends hot frames when the worker asks; at most one CALL
// in flight (OCPP-J §4.1.1). What differs per version is its dialect (dialects.ts).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { V201, type LeanDialect, type LeanMeter, type SetupAction } from './dialects';
import { callFrame, errorFrame, resultFrame, type ProfileSeen } from './frames';
import type { LoadMessage } from './options';
import type { WorkerStats } from './worker-stats';

export interface StationHost {
  readonly url: string;
  readonly password: string;
  readonly deflate: boolean;
  readonly stats: WorkerStats;
  /** ISO timestamp of the current tick (one Date per tick, not per message). */
  timestamp(): string;
  /** The station can take a hot frame (ready, nothing in flight, no set-up message waiting). */
  idle(station: LeanStation): void;
  ready(station: LeanStation, ready: boolean): void;
  profileAcked(station: LeanStation, profile: ProfileSeen, atMs: number): void;
  latency(us: number): void;
  /** A lost connection: reconnect later unless the run is stopping. */
  lost(station: LeanStation): void;
}

interface InFlight {
  readonly id: string;
  readonly action: string;
  readonly load: boolean;
  readonly sentAt: number;
}

const VOLTAGE_V = 230;
const EVSE_MAX_A = 32;
/** A station-wide cap: 2.0.1 ChargingStationMaxProfile, 1.6 ChargePointMaxProfile. */
const CAP_PURPOSES: ReadonlySet<string> = new Set(['ChargingStationMaxProfile', 'ChargePointMaxProfile']);

/**
 * The limits a station holds, from the SetChargingProfile calls it accepted (its own record, kept across
 * reconnects as a real station keeps installed profiles): a profile without a duration is standing, one with a
 * duration is live (leased) until startSchedule + duration. ClearChargingProfile is not tracked (the agent does not
 * clear these in direct mode).
 */
export interface HeldLimits {
  /** Standing station cap, A. */
  standingCapA: number | undefined;
  standingTxDefaultA: number | undefined;
  leaseCapA: number | undefined;
  leaseEndMs: number | undefined;
  txA: number | undefined;
  txEndMs: number | undefined;
}
const CHAR_QUOTE = 0x22;
const CHAR_3 = 0x33;
const CHAR_4 = 0x34;

export class LeanStation {
  state: 'idle' | 'connecting' | 'open' | 'pending' | 'booted' | 'ready' | 'closed' = 'idle';
  /** In the worker's idle queue already. */
  queued = false;
  private socket: WebSocket | undefined;
  private callSeq = 0;
  private inFlight: InFlight | undefined;
  private readonly setup: { action: SetupAction; payload: () => object }[] = [];
  private bootRetry: NodeJS.Timeout | undefined;
  private started = false;
  /** Counted as ready by the host (boot accepted, transaction started, connected). */
  private counted = false;
  private stopping = false;
  private farewellAnswered: (() => void) | undefined;
  private lastMeterMs = Date.now();
  private readonly meter: LeanMeter = { energyWh: 0, currentA: 0, transactionId: randomUUID(), seqNo: 0, csmsTransactionId: -1 };
  readonly held: HeldLimits = {
    standingCapA: undefined,
    standingTxDefaultA: undefined,
    leaseCapA: undefined,
    leaseEndMs: undefined,
    txA: undefined,
    txEndMs: undefined,
  };

  constructor(
    readonly identity: string,
    private readonly host: StationHost,
    readonly dialect: LeanDialect = V201,
  ) {}

  /** Opens the socket; resolves when it is open, rejects with the reason it is not. */
  connect(): Promise<void> {
    this.state = 'connecting';
    const auth = Buffer.from(`${this.identity}:${this.host.password}`).toString('base64');
    const socket = new WebSocket(`${this.host.url}/${this.identity}`, [this.dialect.subprotocol], {
      headers: { Authorization: `Basic ${auth}` },
      perMessageDeflate: this.host.deflate,
      handshakeTimeout: 120_000,
      skipUTF8Validation: true,
    });
    this.socket = socket;
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      socket.once('open', () => {
        opened = true;
        this.state = 'open';
        this.host.stats.add('connected');
        if (socket.extensions.includes('permessage-deflate')) this.host.stats.add('deflated');
        this.enqueue('BootNotification', () => this.dialect.boot(false));
        resolve();
      });
      socket.on('message', (data: Buffer) => this.onFrame(data));
      socket.on('error', (error: Error & { code?: string }) => {
        if (!opened) reject(error);
      });
      socket.once('close', () => {
        if (!opened) {
          reject(new Error('closed before open'));
          return;
        }
        this.onClosed();
      });
    });
  }

  /** A live (leased) station cap is in force at `nowMs`. */
  leaseInForce(nowMs: number): boolean {
    return this.held.leaseCapA !== undefined && (this.held.leaseEndMs === undefined || this.held.leaseEndMs > nowMs);
  }

  /**
   * What the session draws at `nowMs`: its TxProfile limit while that is in force, else the standing
   * TxDefaultProfile, else the EVSE's maximum — not yet clipped by the station cap (the worker does that, and
   * counts a session limit above the cap in force separately). Zero before the transaction started.
   */
  drawA(nowMs: number): number {
    if (!this.started) return 0;
    const { txA, txEndMs, standingTxDefaultA } = this.held;
    const txInForce = txA !== undefined && (txEndMs === undefined || txEndMs > nowMs);
    return Math.min(EVSE_MAX_A, txInForce ? txA : (standingTxDefaultA ?? EVSE_MAX_A));
  }

  /** The station cap in force at `nowMs`: the live lease while it runs, else the standing share; undefined: none held. */
  allowedA(nowMs: number): number | undefined {
    return this.leaseInForce(nowMs) ? this.held.leaseCapA : this.held.standingCapA;
  }

  /** What the station lets its session draw at `nowMs`: its composite schedule, the session's limit clipped by the cap. */
  compositeA(nowMs: number): number {
    const session = this.drawA(nowMs);
    const allowed = this.allowedA(nowMs);
    return allowed === undefined ? session : Math.min(session, allowed);
  }

  private hold(seen: ProfileSeen): void {
    const held = this.held;
    if (seen.firstLimitA === undefined) return;
    if (CAP_PURPOSES.has(seen.purpose)) {
      if (seen.endMs === undefined) held.standingCapA = seen.firstLimitA;
      else [held.leaseCapA, held.leaseEndMs] = [seen.firstLimitA, seen.endMs];
    } else if (seen.purpose === 'TxDefaultProfile' && seen.endMs === undefined) held.standingTxDefaultA = seen.firstLimitA;
    else if (seen.purpose === 'TxProfile') [held.txA, held.txEndMs] = [seen.firstLimitA, seen.endMs];
  }

  /** Ready, connected, nothing in flight and no set-up message waiting. */
  canSendLoad(): boolean {
    return this.state === 'ready' && this.inFlight === undefined && this.setup.length === 0 && this.socket?.readyState === WebSocket.OPEN;
  }

  sendLoad(message: LoadMessage, nowMs: number): void {
    const socket = this.socket;
    if (!socket) return;
    this.advanceMeter(nowMs);
    const id = this.nextId();
    const frame = this.dialect.loadFrame(message, id, this.host.timestamp(), this.meter);
    this.inFlight = { id, action: message, load: true, sentAt: performance.now() };
    this.host.stats.add('loadSent');
    socket.send(frame);
  }

  async close(): Promise<void> {
    this.stopping = true;
    if (this.bootRetry) clearTimeout(this.bootRetry);
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await this.sayFarewell(socket);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(1000, 'load test finished');
    });
  }

  /** 1.6: end the session with StopTransaction before closing; waits for its answer at most a second. */
  private async sayFarewell(socket: WebSocket): Promise<void> {
    const farewell = this.dialect.farewell?.(() => this.host.timestamp(), this.meter);
    if (!farewell || !this.started || this.inFlight !== undefined || socket.readyState !== WebSocket.OPEN) return;
    const id = this.nextId();
    this.inFlight = { id, action: farewell.action, load: false, sentAt: performance.now() };
    socket.send(callFrame(id, farewell.action, farewell.payload()));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.farewellAnswered = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private nextId(): string {
    this.callSeq = (this.callSeq + 1) % 1_000_000_000;
    return String(this.callSeq);
  }

  private advanceMeter(nowMs: number): void {
    const elapsedH = Math.max(0, nowMs - this.lastMeterMs) / 3_600_000;
    this.meter.energyWh += this.meter.currentA * 3 * VOLTAGE_V * elapsedH;
    this.lastMeterMs = nowMs;
  }

  private enqueue(action: SetupAction, payload: () => object): void {
    this.setup.push({ action, payload });
    this.pump();
  }

  /** Sends the next set-up message when nothing is in flight; otherwise offers the station for load. */
  private pump(): void {
    const socket = this.socket;
    if (this.inFlight !== undefined || !socket || socket.readyState !== WebSocket.OPEN) return;
    const next = this.setup.shift();
    if (next) {
      const id = this.nextId();
      this.inFlight = { id, action: next.action, load: false, sentAt: performance.now() };
      this.host.stats.add('setupSent');
      socket.send(callFrame(id, next.action, next.payload()));
      return;
    }
    if (this.state === 'ready') this.host.idle(this);
  }

  private onFrame(data: Buffer): void {
    const type = data[1];
    // Fast path for answers: `[3,"<id>",…` / `[4,"<id>",…` as ocpp-rpc writes them (JSON.stringify, no spaces).
    if ((type === CHAR_3 || type === CHAR_4) && data[2] === 0x2c && data[3] === CHAR_QUOTE) {
      const end = data.indexOf(CHAR_QUOTE, 4);
      this.onAnswer(data.toString('latin1', 4, end), type === CHAR_3, data);
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    if (!Array.isArray(frame)) return;
    if (frame[0] === 2 && typeof frame[1] === 'string' && typeof frame[2] === 'string') this.onCall(frame[1], frame[2], frame[3]);
    else if ((frame[0] === 3 || frame[0] === 4) && typeof frame[1] === 'string') this.onAnswer(frame[1], frame[0] === 3, data);
  }

  private onAnswer(id: string, ok: boolean, data: Buffer): void {
    const call = this.inFlight;
    if (!call || call.id !== id) return;
    this.inFlight = undefined;
    if (this.stopping && call.action === 'StopTransaction') {
      this.farewellAnswered?.();
      return;
    }
    if (call.load) {
      this.host.latency((performance.now() - call.sentAt) * 1000);
      this.host.stats.add(ok ? 'loadAnswered' : 'loadErrors');
    } else if (!ok) {
      this.host.stats.add('setupErrors');
    } else if (call.action === 'BootNotification') {
      this.onBootAnswer(data);
    } else if (call.action === this.dialect.startAction && this.state === 'booted' && !this.started) {
      this.dialect.onStarted(data, this.meter);
      this.started = true;
      this.meter.currentA = this.compositeA(Date.now());
      this.state = 'ready';
      this.countReady(true);
    }
    this.pump();
  }

  private onBootAnswer(data: Buffer): void {
    let status: unknown;
    let interval: unknown;
    try {
      const frame: unknown = JSON.parse(data.toString('utf8'));
      const payload: unknown = Array.isArray(frame) ? frame[2] : undefined;
      status = typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'status') : undefined;
      interval = typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'interval') : undefined;
    } catch {
      status = undefined;
    }
    if (status === 'Accepted') {
      // A slow CSMS may trigger a second boot while the first is being accepted: both are answered, counted once.
      if (this.bootRetry) clearTimeout(this.bootRetry);
      this.state = this.started ? 'ready' : 'booted';
      this.setup.push(...this.dialect.afterBoot(() => this.host.timestamp(), this.meter, this.started));
      if (this.started) this.countReady(true);
      return;
    }
    // Pending (waiting for the CSMS to read our variables and trigger a boot) or Rejected: retry after `interval`.
    this.state = 'pending';
    this.host.stats.add('bootPending');
    const waitS = typeof interval === 'number' && interval > 0 ? interval : 10;
    if (this.bootRetry) clearTimeout(this.bootRetry);
    this.bootRetry = setTimeout(() => {
      if (this.state === 'pending') this.enqueue('BootNotification', () => this.dialect.boot(false));
    }, waitS * 1000);
  }

  private onCall(id: string, action: string, params: unknown): void {
    const socket = this.socket;
    if (!socket) return;
    this.host.stats.add('csmsCalls');
    switch (action) {
      case 'SetChargingProfile': {
        socket.send(resultFrame(id, { status: 'Accepted' }));
        const seen = this.dialect.profileSeen(params);
        if (!seen) return;
        const nowMs = Date.now();
        this.advanceMeter(nowMs);
        this.hold(seen);
        // The EV draws what the composite allows (a lone session's lifted TxProfile leaves that to the cap).
        if (this.started) this.meter.currentA = this.compositeA(nowMs);
        this.host.stats.add('profilesAcked');
        this.host.profileAcked(this, seen, Date.now());
        return;
      }
      case 'ClearChargingProfile':
        socket.send(resultFrame(id, { status: 'Accepted' }));
        return;
      case 'TriggerMessage':
        this.onTrigger(id, params);
        return;
      default: {
        const answer = this.dialect.answer(action, params);
        socket.send(
          answer === undefined
            ? errorFrame(id, 'NotImplemented', `${action} is not implemented by the load-test station`)
            : resultFrame(id, answer),
        );
      }
    }
  }

  /** F06: answer first, then send the requested message (queued behind any call in flight). */
  private onTrigger(id: string, params: unknown): void {
    const requested: unknown = typeof params === 'object' && params !== null ? Reflect.get(params, 'requestedMessage') : undefined;
    const messages = this.dialect.triggers(() => this.host.timestamp(), this.meter);
    const message = typeof requested === 'string' ? messages[requested] : undefined;
    const allowed = message !== undefined && (this.state !== 'pending' || this.dialect.allowedWhilePending(message.action));
    const fits = allowed && (!this.dialect.needsTransaction(message.action) || this.started);
    this.socket?.send(resultFrame(id, { status: message === undefined ? 'NotImplemented' : fits ? 'Accepted' : 'Rejected' }));
    if (fits) this.enqueue(message.action, message.payload);
  }

  private countReady(ready: boolean): void {
    if (this.counted === ready) return;
    this.counted = ready;
    this.host.ready(this, ready);
  }

  private onClosed(): void {
    this.state = 'closed';
    this.host.stats.add('connected', -1);
    this.countReady(false);
    if (this.inFlight?.load) this.host.stats.add('loadLost');
    this.inFlight = undefined;
    this.setup.length = 0;
    if (this.bootRetry) clearTimeout(this.bootRetry);
    if (this.stopping) return;
    this.host.stats.add('drops');
    this.host.lost(this);
  }
}
