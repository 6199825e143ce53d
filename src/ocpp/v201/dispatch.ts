// The one dispatch table of OCPP 2.0.1 station → CSMS actions and the single handler each connection registers:
// B02 Pending refusals, payload validation, counting, and the first message of a station that did not boot.
import { createRPCError } from 'ocpp-rpc';
import type { InboundAction, InboundContext, StationConnection } from './action';
import { BOOT_ACTIONS } from './boot';
import { ACKNOWLEDGED_ACTIONS, STATUS_ACTIONS } from './status';
import { TRANSACTION_ACTIONS } from './transactions';

export const V201_ACTIONS: ReadonlyMap<string, InboundAction> = new Map(
  Object.entries({ ...BOOT_ACTIONS, ...TRANSACTION_ACTIONS, ...STATUS_ACTIONS, ...ACKNOWLEDGED_ACTIONS }),
);

/** Answers one inbound CALL; throws an RPCError for ocpp-rpc to send as the CALLERROR. */
export function dispatch(context: InboundContext, station: StationConnection, method: string, params: unknown): object {
  const definition = V201_ACTIONS.get(method);
  if (!definition) {
    context.metrics?.ocppCalls.inc({ direction: 'in', action: method, result: 'NotImplemented' });
    throw createRPCError('NotImplemented', `Unable to handle '${method}' calls`);
  }
  const { runtime } = station;
  if (runtime.bootStatus === 'Pending' && !definition.whilePending) {
    context.metrics?.ocppCalls.inc({ direction: 'in', action: method, result: 'SecurityError' });
    throw createRPCError('SecurityError', 'BootNotification is Pending: only BootNotification and triggered messages are allowed');
  }
  if (method !== 'BootNotification' && !runtime.callsAllowed && runtime.bootStatus !== 'Pending') context.spoke(station);
  const outcome = definition.run(context, station, params);
  if (outcome.kind === 'invalid') {
    context.metrics?.ocppCalls.inc({ direction: 'in', action: method, result: 'FormatViolation' });
    throw createRPCError('FormatViolation', `${method}: ${outcome.problem}`);
  }
  context.metrics?.ocppCalls.inc({ direction: 'in', action: method, result: 'ok' });
  return outcome.response;
}
