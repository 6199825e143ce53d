// One outbound ocpp-rpc call without the stack trace the library captures for it. ocpp-rpc 2.2.1 builds the
// TimeoutError of every call before sending it, just in case (lib/client.js, `_call`), and V8 captures a stack for
// each: 9.4 µs with a stack against 0.7 µs without, measured (docs/architecture.md § Hot paths). The construction runs
// synchronously inside `call()` (the library's call queue starts a job at once when none is running, and each
// station has one call in flight at most), so the stack limit is lowered only for that synchronous stretch.
import type { RPCClient } from 'ocpp-rpc';

/** The part of an ocpp-rpc client a call needs (RPCClient and RPCServerClient both have it). */
export type RpcCaller = Pick<RPCClient, 'call'>;

export function rpcCall(client: RpcCaller, action: string, params: unknown, callTimeoutMs: number): Promise<unknown> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return client.call(action, params, { callTimeoutMs }) as Promise<unknown>;
  } finally {
    Error.stackTraceLimit = limit;
  }
}
