// One CSMS → station call with every way it can end made explicit (OCPP digest §9.4 pitfalls 9, 10, 14):
// a CALLRESULT, a CALLERROR code, a timeout, or no open connection. Never throws, never leaves a rejection unhandled.
import { RPCError, TimeoutError } from 'ocpp-rpc';
import { Backoff } from '../core/backoff';
import type { Metrics } from '../observability/metrics';
import { isConnected, type StationRuntime } from './station-registry';

export type CallResult =
  | { readonly kind: 'result'; readonly payload: unknown }
  | { readonly kind: 'error'; readonly code: string; readonly message: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'offline' }
  /** Not sent: the station timed out repeatedly and is left alone until `untilMs` (it is counted at its maximum). */
  | { readonly kind: 'backed-off'; readonly untilMs: number };

/**
 * A Pending station gets calls answered within this (or `timeoutMs`, if shorter): some firmware answers nothing while
 * Pending, and each unanswered call would hold the TriggerMessage that lets the station in at the Pending bound.
 */
const PENDING_CALL_TIMEOUT_MS = 10_000;

/** Timeouts in a row after which a station is unresponsive and calls to it back off instead of flooding it. */
export const TIMEOUTS_BEFORE_BACKOFF = 2;
/** 30 s doubling to 10 min; jitter spreads the retries of stations that went silent together (a site outage). */
const UNRESPONSIVE_BACKOFF = new Backoff({ minMs: 30_000, maxMs: 10 * 60_000, jitter: 0.25 });

export interface CallOptions {
  readonly timeoutMs: number;
  readonly metrics?: Metrics;
  readonly nowMs?: () => number;
  /** Told once when a station becomes unresponsive (each back-off after that is silent). */
  readonly unresponsive?: (runtime: StationRuntime, timeouts: number, untilMs: number) => void;
}

export async function callStation(runtime: StationRuntime, action: string, params: object, options: CallOptions): Promise<CallResult> {
  const client = runtime.client;
  const nowMs = options.nowMs ?? Date.now;
  const result = await (async (): Promise<CallResult> => {
    if (!client || !isConnected(runtime)) return { kind: 'offline' };
    if (runtime.backoffUntilMs > nowMs()) return { kind: 'backed-off', untilMs: runtime.backoffUntilMs };
    try {
      const callTimeoutMs = runtime.bootStatus === 'Pending' ? Math.min(options.timeoutMs, PENDING_CALL_TIMEOUT_MS) : options.timeoutMs;
      return { kind: 'result', payload: await client.call(action, params, { callTimeoutMs }) };
    } catch (error) {
      if (error instanceof TimeoutError) return { kind: 'timeout' };
      if (error instanceof RPCError) return { kind: 'error', code: error.rpcErrorCode, message: error.rpcErrorMessage || error.message };
      // Socket closed before or during the call.
      if (!isConnected(runtime)) return { kind: 'offline' };
      return { kind: 'error', code: 'GenericError', message: error instanceof Error ? error.message : String(error) };
    }
  })();
  noteAnswer(runtime, result, nowMs(), options);
  const status =
    result.kind === 'result' && typeof result.payload === 'object' && result.payload !== null && 'status' in result.payload
      ? String(result.payload.status)
      : result.kind === 'error'
        ? result.code
        : result.kind;
  options.metrics?.ocppCalls.inc({ direction: 'out', action, result: status });
  return result;
}

/** Any answer resets the timeout count; repeated timeouts back off exponentially. */
function noteAnswer(runtime: StationRuntime, result: CallResult, nowMs: number, options: CallOptions): void {
  if (result.kind === 'result' || result.kind === 'error') {
    runtime.consecutiveTimeouts = 0;
    runtime.backoffUntilMs = 0;
    return;
  }
  if (result.kind !== 'timeout') return;
  const timeouts = ++runtime.consecutiveTimeouts;
  if (timeouts < TIMEOUTS_BEFORE_BACKOFF) return;
  runtime.backoffUntilMs = nowMs + UNRESPONSIVE_BACKOFF.delayMs(timeouts - TIMEOUTS_BEFORE_BACKOFF, Math.random());
  if (timeouts === TIMEOUTS_BEFORE_BACKOFF) options.unresponsive?.(runtime, timeouts, runtime.backoffUntilMs);
}
