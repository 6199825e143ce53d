// The one dispatch table of OCPP 2.0.1 station → CSMS actions, answered through the shared handler (../dispatch.ts).
import type { InboundAction, InboundContext, StationConnection } from '../inbound-action';
import { dispatchFrom } from '../dispatch';
import { BOOT_ACTIONS } from './boot';
import { ACKNOWLEDGED_ACTIONS, STATUS_ACTIONS } from './status';
import { TRANSACTION_ACTIONS } from './transactions';

export const V201_ACTIONS: ReadonlyMap<string, InboundAction> = new Map(
  Object.entries({ ...BOOT_ACTIONS, ...TRANSACTION_ACTIONS, ...STATUS_ACTIONS, ...ACKNOWLEDGED_ACTIONS }),
);

/** Answers one inbound 2.0.1 CALL; throws an RPCError for ocpp-rpc to send as the CALLERROR. */
export function dispatch(context: InboundContext, station: StationConnection, method: string, params: unknown): object {
  return dispatchFrom(V201_ACTIONS, context, station, method, params);
}
