// One station's WebSocket on the simulator: answers its CALLs, sends our own CALLs one at a time (OCPP-J: at most
// one outstanding per direction), matches the answers by message id with their latency, records every frame.
import { randomUUID } from 'node:crypto';
import type { WebSocket, RawData } from 'ws';
import type { ActionHandler, Answer, AnswerContext } from './answers';
import type { FrameLog, FrameType } from './frame-log';
import { callFrame, errorFrame, parseFrame, resultFrame, type ErrorCodes, type ParsedFrame, type Payload } from './wire';

/** Who asked for a CALL: a test or program through the API, or a scenario step (its index in the file). */
export type CallOrigin = { kind: 'api' } | { kind: 'scenario'; step: number; on: string | undefined };

interface CallBase {
  identity: string;
  action: string;
  messageId: string;
  origin: CallOrigin;
  /** The payload as sent; undefined when the socket closed before it was its turn. */
  request: Payload | undefined;
  queuedAtMs: number;
  sentAtMs: number | undefined;
}

export type CallOutcome = CallBase &
  (
    | { status: 'result'; response: Payload; latencyMs: number }
    | { status: 'error'; errorCode: string; errorDescription: string; errorDetails: Payload; latencyMs: number }
    | { status: 'timeout'; latencyMs: number }
    | { status: 'closed'; latencyMs: number | undefined }
  );

export interface OutboundCall {
  action: string;
  /** Built when the CALL goes out, so "$now" is the sending time, not the queueing time. */
  build(): Payload;
  timeoutMs: number;
  origin: CallOrigin;
}

export interface LinkSettings {
  readonly answers: Readonly<Record<string, ActionHandler>>;
  readonly codes: ErrorCodes;
  readonly context: AnswerContext;
  readonly frames: FrameLog;
  /** After the answer to a station CALL is on the wire (a scenario starts once the Boot response went out). */
  onAnswered(action: string, answer: Answer): void;
  onOutcome(outcome: CallOutcome): void;
  onClose(code: number, reason: string): void;
}

interface Queued {
  call: OutboundCall;
  messageId: string;
  queuedAtMs: number;
  resolve(outcome: CallOutcome): void;
}

interface Outstanding extends Queued {
  request: Payload;
  sentAtMs: number;
  timer: NodeJS.Timeout;
}

/** Late answers to timed-out CALLs are still labelled with their action in the frame log. */
const RECENT_IDS = 64;

export class StationLink {
  private readonly queue: Queued[] = [];
  private outstanding: Outstanding | undefined;
  private readonly recentActions = new Map<string, string>();
  private open = true;
  readonly closed: Promise<void>;

  constructor(
    readonly identity: string,
    readonly socket: WebSocket,
    private readonly settings: LinkSettings,
  ) {
    socket.on('message', (data, isBinary) => this.onMessage(text(data), isBinary));
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.onClosed();
        settings.onClose(code, reason.toString('utf8'));
        resolve();
      });
    });
    // An 'error' without a listener would crash the process; 'close' follows and does the bookkeeping.
    socket.on('error', () => undefined);
  }

  get isOpen(): boolean {
    return this.open;
  }

  get pendingCalls(): number {
    return this.queue.length + (this.outstanding === undefined ? 0 : 1);
  }

  enqueue(call: OutboundCall): Promise<CallOutcome> {
    return new Promise((resolve) => {
      const queued: Queued = { call, messageId: randomUUID(), queuedAtMs: Date.now(), resolve };
      if (!this.open) return resolve(this.closedOutcome(queued, undefined, undefined));
      this.queue.push(queued);
      this.pump();
    });
  }

  /** 1001 Going Away (a CSMS shutting down) or any other code; 'terminate' drops the TCP connection instead. */
  close(code = 1001, reason = 'CSMS going down'): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }

  private onMessage(raw: string, isBinary: boolean): void {
    const parsed = isBinary ? binaryFrame(raw) : parseFrame(raw);
    this.record('in', raw, parsed);
    if (parsed.kind === 'call') return this.answerCall(parsed.messageId, parsed.action, parsed.payload);
    if (parsed.kind === 'malformed') {
      if (!parsed.answer) return;
      const code = parsed.code === 'messageType' ? this.settings.codes.messageTypeNotSupported : this.settings.codes.formatViolation;
      return this.send(errorFrame(parsed.messageId, code, parsed.reason), 'CALLERROR', parsed.messageId, undefined);
    }
    const outstanding = this.outstanding;
    // An answer to nothing we are waiting for (late, duplicate, unknown id) is recorded and otherwise ignored.
    if (outstanding === undefined || outstanding.messageId !== parsed.messageId) return;
    this.settle(outstanding, parsed);
  }

  private answerCall(messageId: string, action: string, payload: Payload): void {
    const handler = this.settings.answers[action];
    let answer: Answer;
    if (handler === undefined) {
      answer = { kind: 'error', errorCode: this.settings.codes.notImplemented, errorDescription: `${action} is not implemented here` };
    } else {
      try {
        answer = handler.answer(payload, this.settings.context);
      } catch (error) {
        answer = { kind: 'error', errorCode: this.settings.codes.internalError, errorDescription: String(error) };
      }
    }
    if (answer.kind === 'result') this.send(resultFrame(messageId, answer.payload), 'CALLRESULT', messageId, action);
    else this.send(errorFrame(messageId, answer.errorCode, answer.errorDescription, answer.errorDetails), 'CALLERROR', messageId, action);
    this.settings.onAnswered(action, answer);
  }

  private pump(): void {
    if (!this.open || this.outstanding !== undefined) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    const request = next.call.build();
    const sentAtMs = Date.now();
    const timer = setTimeout(() => this.timedOut(), next.call.timeoutMs);
    this.outstanding = { ...next, request, sentAtMs, timer };
    this.remember(next.messageId, next.call.action);
    this.send(callFrame(next.messageId, next.call.action, request), 'CALL', next.messageId, next.call.action);
  }

  private settle(outstanding: Outstanding, answer: Extract<ParsedFrame, { kind: 'result' | 'error' }>): void {
    const latencyMs = Date.now() - outstanding.sentAtMs;
    const base = this.base(outstanding, outstanding.request, outstanding.sentAtMs);
    this.finish(
      answer.kind === 'result'
        ? { ...base, status: 'result', response: answer.payload, latencyMs }
        : {
            ...base,
            status: 'error',
            errorCode: answer.errorCode,
            errorDescription: answer.errorDescription,
            errorDetails: answer.errorDetails,
            latencyMs,
          },
    );
  }

  private timedOut(): void {
    const outstanding = this.outstanding;
    if (outstanding === undefined) return;
    this.finish({
      ...this.base(outstanding, outstanding.request, outstanding.sentAtMs),
      status: 'timeout',
      latencyMs: Date.now() - outstanding.sentAtMs,
    });
  }

  private finish(outcome: CallOutcome): void {
    const outstanding = this.outstanding;
    if (outstanding !== undefined) clearTimeout(outstanding.timer);
    this.outstanding = undefined;
    this.settings.onOutcome(outcome);
    outstanding?.resolve(outcome);
    this.pump();
  }

  private onClosed(): void {
    this.open = false;
    const outstanding = this.outstanding;
    this.outstanding = undefined;
    if (outstanding !== undefined) {
      clearTimeout(outstanding.timer);
      this.report(outstanding, this.closedOutcome(outstanding, outstanding.request, outstanding.sentAtMs));
    }
    for (const queued of this.queue.splice(0)) this.report(queued, this.closedOutcome(queued, undefined, undefined));
  }

  private report(queued: Queued, outcome: CallOutcome): void {
    this.settings.onOutcome(outcome);
    queued.resolve(outcome);
  }

  private closedOutcome(queued: Queued, request: Payload | undefined, sentAtMs: number | undefined): CallOutcome {
    const latencyMs = sentAtMs === undefined ? undefined : Date.now() - sentAtMs;
    return { ...this.base(queued, request, sentAtMs), status: 'closed', latencyMs };
  }

  private base(queued: Queued, request: Payload | undefined, sentAtMs: number | undefined): CallBase {
    const { action, origin } = queued.call;
    return { identity: this.identity, action, messageId: queued.messageId, origin, request, queuedAtMs: queued.queuedAtMs, sentAtMs };
  }

  private remember(messageId: string, action: string): void {
    this.recentActions.set(messageId, action);
    if (this.recentActions.size > RECENT_IDS) this.recentActions.delete(this.recentActions.keys().next().value ?? '');
  }

  private send(raw: string, type: FrameType, messageId: string, action: string | undefined): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.settings.frames.record({ identity: this.identity, direction: 'out', type, messageId, action, raw });
    this.socket.send(raw);
  }

  private record(direction: 'in', raw: string, parsed: ParsedFrame): void {
    const type: FrameType =
      parsed.kind === 'call' ? 'CALL' : parsed.kind === 'result' ? 'CALLRESULT' : parsed.kind === 'error' ? 'CALLERROR' : 'malformed';
    const messageId = parsed.kind === 'malformed' && parsed.messageId === '-1' ? undefined : parsed.messageId;
    const action = parsed.kind === 'call' ? parsed.action : messageId === undefined ? undefined : this.recentActions.get(messageId);
    this.settings.frames.record({ identity: this.identity, direction, type, messageId, action, raw });
  }
}

/** OCPP-J uses text frames only: a binary one is refused, under its message id when it has a readable one. */
function binaryFrame(raw: string): ParsedFrame {
  const parsed = parseFrame(raw);
  const messageId = parsed.messageId;
  const answer = parsed.kind === 'call' || (parsed.kind === 'malformed' && parsed.answer);
  return { kind: 'malformed', messageId, answer, code: 'format', reason: 'binary frame: OCPP-J frames are text' };
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
