// The one dispatch table of OCPP 1.6J station → CSMS actions, answered through the shared handler (../dispatch.ts).
import type { InboundAction, InboundContext, StationConnection } from '../inbound-action';
import { dispatchFrom } from '../dispatch';
import { ACKNOWLEDGED_ACTIONS_16, ANSWERED_ACTIONS_16, TAPPED_ACTIONS_16 } from './actions';

export const V16_ACTIONS: ReadonlyMap<string, InboundAction> = new Map(
  Object.entries({ ...ANSWERED_ACTIONS_16, ...TAPPED_ACTIONS_16, ...ACKNOWLEDGED_ACTIONS_16 }),
);

/** Answers one inbound 1.6 CALL; throws an RPCError for ocpp-rpc to send as the CALLERROR. */
export function dispatch16(context: InboundContext, station: StationConnection, method: string, params: unknown): object {
  return dispatchFrom(V16_ACTIONS, context, station, method, params);
}
