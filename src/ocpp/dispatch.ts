// The single handler every station connection registers, for either OCPP version's action table: Pending refusals
// (2.0.1 B02.FR.09, 1.6 errata 3.8), payload validation, counting, and the first message of a station that did not boot.
import { createRPCError } from 'ocpp-rpc';
import type { InboundAction, InboundContext, StationConnection } from './inbound-action';

/** Answers one inbound CALL from `table`; throws an RPCError for ocpp-rpc to send as the CALLERROR. */
export function dispatchFrom(
  table: ReadonlyMap<string, InboundAction>,
  context: InboundContext,
  station: StationConnection,
  method: string,
  params: unknown,
): object {
  const definition = table.get(method);
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
    // 1.6 connections get it spelled FormationViolation (error-spelling.ts and ocpp-rpc).
    context.metrics?.ocppCalls.inc({ direction: 'in', action: method, result: 'FormatViolation' });
    throw createRPCError('FormatViolation', `${method}: ${outcome.problem}`);
  }
  context.metrics?.ocppCalls.inc({ direction: 'in', action: method, result: 'ok' });
  return outcome.response;
}
