// One station's twin connection to the CPO's CSMS (Local Controller mode, Part 4 §6.2): a plain OCPP-J client on ws,
// so the URL keeps the station's encoded identity exactly, the subprotocol is the CSMS's choice, and ids are ours.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import type { Clock } from '../../core/ports';

/** How a relayed CALL ended at the CSMS. */
export type UpstreamAnswer =
  | { readonly kind: 'result'; readonly payload: unknown }
  | { readonly kind: 'error'; readonly code: string; readonly description: string; readonly details: unknown }
  | { readonly kind: 'timeout' }
  /** The link closed before (or while) the CALL could be answered. */
  | { readonly kind: 'closed' };

/** How dialling the CSMS for one station ended. */
export type DialOutcome =
  | { readonly kind: 'open'; readonly link: UpstreamLink }
  /** The CSMS answered the upgrade with an HTTP status (401, 404, …): mirrored to the station. */
  | { readonly kind: 'refused'; readonly status: number; readonly reason: string }
  /** No answer, connection refused or a TLS failure: the CSMS cannot be reached now. */
  | { readonly kind: 'unreachable'; readonly reason: string; readonly tls: boolean };

export interface DialOptions {
  /** CSMS URL without the identity. */
  readonly url: string;
  /** The station's identity segment exactly as it appeared in its own URL (still percent-encoded). */
  readonly encodedIdentity: string;
  readonly protocols: readonly string[];
  /** `Basic …` to present, if any (forwarded from the station or built from stored credentials). */
  readonly authorization?: string;
  readonly ca?: Buffer;
  readonly timeoutMs: number;
  /** Largest frame taken from the CSMS (ocpp.admission.maxFrameBytes, as from a station); a bigger one closes with 1009. */
  readonly maxFrameBytes?: number;
  /** Times the CALLs' answers (the system clock in production). */
  readonly clock: Clock;
}

/** A CSMS CALL toward the station: answer with the station's result, or its CALLERROR. */
export type IncomingCall = (action: string, payload: unknown) => Promise<UpstreamAnswer>;

export function dialUpstream(options: DialOptions): Promise<DialOutcome> {
  const url = `${options.url.replace(/\/$/, '')}/${options.encodedIdentity}`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url, [...options.protocols], {
      headers: options.authorization ? { Authorization: options.authorization } : {},
      handshakeTimeout: options.timeoutMs,
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, threshold: 1024 },
      // Never more from the CSMS than flexbridge takes from a station: a bigger CALL relayed down would come back
      // bigger (a strict station echoes the payload in its CALLERROR) and cost the station its socket (1009).
      ...(options.maxFrameBytes !== undefined && { maxPayload: options.maxFrameBytes }),
      ...(options.ca && { ca: options.ca }),
      rejectUnauthorized: true,
    });
    let settled = false;
    const settle = (outcome: DialOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const refused = (_request: unknown, response: IncomingMessage): void => {
      settle({ kind: 'refused', status: response.statusCode ?? 502, reason: response.statusMessage ?? 'refused by the CSMS' });
      response.resume();
      ws.terminate();
    };
    const failed = (error: Error & { code?: string }): void => {
      const tls = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(`${error.code ?? ''} ${error.message}`);
      settle({ kind: 'unreachable', reason: error.message, tls });
    };
    ws.once('unexpected-response', refused);
    ws.once('error', failed);
    ws.once('open', () => {
      const link = new UpstreamLink(ws, options.clock); // listens for errors itself from here on
      // What only a dial can meet goes: two pending once-listeners per link are ~300 bytes on each of 19,000 twins.
      ws.off('unexpected-response', refused);
      ws.off('error', failed);
      settle({ kind: 'open', link });
    });
  });
}

const NO_LISTENERS: readonly ((code: number) => void)[] = [];

/** CSMS CALLs held while the station's side of the pairing finishes (a CSMS should have one outstanding at most). */
const MAX_EARLY_CALLS = 10;

interface Pending {
  readonly resolve: (answer: UpstreamAnswer) => void;
  readonly timer: { cancel(): void };
}

/** The open twin: CALLs out with fresh ids, CSMS CALLs in (one handler), and what closes it. */
export class UpstreamLink {
  private readonly pending = new Map<string, Pending>();
  private incoming: IncomingCall | undefined;
  /**
   * CSMS CALLs that arrived before the relay took the link: the twin opens inside the station's upgrade and many a CSMS
   * speaks first (a TriggerMessage right after the connect), before the station's socket is accepted. Held, not refused.
   */
  private readonly early: { readonly id: string; readonly action: string; readonly payload: unknown }[] = [];
  /** Made at the first listener, one slot each (a pushed-to empty array reserves 17). */
  private closedListeners: readonly ((code: number) => void)[] = NO_LISTENERS;
  /** Frames the CSMS sent that were not valid OCPP-J, or answers to ids we never used. */
  unexpectedFrames = 0;
  /** Sees every frame on this link, both ways (the station's trace, upstream leg). */
  tap: ((text: string, outbound: boolean) => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly clock: Clock,
  ) {
    ws.on('message', (data: RawData) => this.onFrame(data));
    ws.on('close', (code: number) => {
      for (const [id, pending] of this.pending) {
        pending.timer.cancel();
        pending.resolve({ kind: 'closed' });
        this.pending.delete(id);
      }
      for (const listener of this.closedListeners) listener(code);
    });
    ws.on('error', () => undefined);
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  onCall(handler: IncomingCall): void {
    this.incoming = handler;
    const early = this.early.splice(0);
    if (early.length === 0) return;
    // Once the code that took the link is done: the relay takes it while the station's connection is still being set
    // up (its runtime points at the new socket only after), and a call sent before then would find no station.
    queueMicrotask(() => {
      for (const call of early) void this.answer(call.id, call.action, call.payload);
    });
  }

  onClose(listener: (code: number) => void): void {
    this.closedListeners = [...this.closedListeners, listener];
  }

  /** Sends a CALL with a fresh id (Part 4 §6.4: never one the CSMS could confuse) and waits for its answer. */
  call(action: string, payload: unknown, timeoutMs: number): Promise<UpstreamAnswer> {
    if (!this.open) return Promise.resolve({ kind: 'closed' });
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(() => {
        this.pending.delete(id);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.send(JSON.stringify([2, id, action, payload]));
    });
  }

  close(code = 1000, reason = ''): void {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(code, reason);
  }

  private onFrame(data: RawData): void {
    const text = data.toString();
    this.tap?.(text, false);
    const frame = parseFrame(text);
    if (!frame) {
      this.unexpectedFrames++;
      return;
    }
    if (frame.type === 2) {
      if (!this.incoming && this.early.length < MAX_EARLY_CALLS) this.early.push(frame);
      else void this.answer(frame.id, frame.action, frame.payload);
      return;
    }
    const pending = this.pending.get(frame.id);
    if (!pending) {
      // A late answer to a timed-out CALL, or an id we never used: dropped (never forwarded anywhere).
      this.unexpectedFrames++;
      return;
    }
    pending.timer.cancel();
    this.pending.delete(frame.id);
    pending.resolve(
      frame.type === 3
        ? { kind: 'result', payload: frame.payload }
        : { kind: 'error', code: frame.code, description: frame.description, details: frame.details },
    );
  }

  private async answer(id: string, action: string, payload: unknown): Promise<void> {
    const answer: UpstreamAnswer = this.incoming
      ? await this.incoming(action, payload)
      : { kind: 'error', code: 'NotImplemented', description: 'no handler', details: {} };
    if (!this.open) return;
    if (answer.kind === 'result') this.send(JSON.stringify([3, id, answer.payload]));
    else if (answer.kind === 'error')
      this.send(JSON.stringify([4, id, spelledFor(this.protocol, answer.code), answer.description, answer.details ?? {}]));
    else this.send(JSON.stringify([4, id, 'GenericError', `station did not answer (${answer.kind})`, {}]));
  }

  private send(text: string): void {
    this.ws.send(text);
    this.tap?.(text, true);
  }
}

/**
 * The CSMS gets error codes in its version's spelling (OCPP-J 2.0.1 §4.3, 1.6 §4.2.3), whoever raised them: a 1.6
 * station built on ocpp-rpc 2.2.1 answers OccurrenceConstraintViolation (2.0.1's) and RpcFrameworkError (no 1.6 code).
 * Codes neither version knows are the station's own and pass unchanged (the relay is transparent).
 */
const SPELLING: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'ocpp1.6': {
    OccurrenceConstraintViolation: 'OccurenceConstraintViolation',
    FormatViolation: 'FormationViolation',
    RpcFrameworkError: 'FormationViolation',
    MessageTypeNotSupported: 'NotSupported',
  },
  'ocpp2.0.1': { OccurenceConstraintViolation: 'OccurrenceConstraintViolation', FormationViolation: 'FormatViolation' },
};

export function spelledFor(protocol: string, code: string): string {
  const spelling = SPELLING[protocol];
  // Own keys only: a station's code "constructor" is its own, not Object's.
  return spelling && Object.hasOwn(spelling, code) ? (spelling[code] ?? code) : code;
}

type Frame =
  | { readonly type: 2; readonly id: string; readonly action: string; readonly payload: unknown }
  | { readonly type: 3; readonly id: string; readonly payload: unknown }
  | { readonly type: 4; readonly id: string; readonly code: string; readonly description: string; readonly details: unknown };

/** OCPP-J framing only (§4): the payloads are relayed as they are, validated where flexbridge reads them. */
function parseFrame(text: string): Frame | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || typeof parsed[1] !== 'string' || parsed[1].length > 36) return undefined;
  const [type, id] = parsed as [unknown, string];
  if (type === 2 && typeof parsed[2] === 'string') return { type, id, action: parsed[2], payload: parsed[3] ?? {} };
  if (type === 3) return { type, id, payload: parsed[2] ?? {} };
  if (type === 4 && typeof parsed[2] === 'string')
    return { type, id, code: parsed[2], description: typeof parsed[3] === 'string' ? parsed[3] : '', details: parsed[4] ?? {} };
  return undefined;
}
