// One CSMS → station call with every way it can end made explicit (OCPP digest §9.4 pitfalls 9, 10, 14):
// a CALLRESULT, a CALLERROR code, a timeout, or no open connection. Never throws, never leaves a rejection unhandled.
import { RPCError, TimeoutError } from 'ocpp-rpc';
import type { Metrics } from '../metrics';
import { isConnected, type StationRuntime } from './station-registry';

export type CallResult =
  | { readonly kind: 'result'; readonly payload: unknown }
  | { readonly kind: 'error'; readonly code: string; readonly message: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'offline' };

export async function callStation(
  runtime: StationRuntime,
  action: string,
  params: object,
  options: { readonly timeoutMs: number; readonly metrics?: Metrics },
): Promise<CallResult> {
  const client = runtime.client;
  const result = await (async (): Promise<CallResult> => {
    if (!client || !isConnected(runtime)) return { kind: 'offline' };
    try {
      return { kind: 'result', payload: await client.call(action, params, { callTimeoutMs: options.timeoutMs }) };
    } catch (error) {
      if (error instanceof TimeoutError) return { kind: 'timeout' };
      if (error instanceof RPCError) return { kind: 'error', code: error.rpcErrorCode, message: error.rpcErrorMessage || error.message };
      // Socket closed before or during the call.
      if (!isConnected(runtime)) return { kind: 'offline' };
      return { kind: 'error', code: 'GenericError', message: error instanceof Error ? error.message : String(error) };
    }
  })();
  const status =
    result.kind === 'result' && typeof result.payload === 'object' && result.payload !== null && 'status' in result.payload
      ? String(result.payload.status)
      : result.kind === 'error'
        ? result.code
        : result.kind;
  options.metrics?.ocppCalls.inc({ direction: 'out', action, result: status });
  return result;
}
