// E-block and C-block messages: TransactionEvent and MeterValues update the sessions core allocates for, Authorize
// follows the configured policy, NotifyEVChargingNeeds (ISO 15118) gives an EV's needs to its session.
import type { z } from 'zod';
import type { EvChargingNeeds } from '../../domain/session';
import { action, type InboundAction } from '../inbound-action';
import { AuthorizeRequest, MeterValuesRequest, NotifyEVChargingNeedsRequest, TransactionEventRequest } from './payloads';

function authorizationStatus(policy: 'accept-all' | 'reject-all'): 'Accepted' | 'Invalid' {
  return policy === 'accept-all' ? 'Accepted' : 'Invalid';
}

/** Sent by every charging station every few seconds; their payload views are subsets of the official schemas. */
const HOT = { officialSubset: true } as const;

export const TRANSACTION_ACTIONS: Record<string, InboundAction> = {
  TransactionEvent: action(
    TransactionEventRequest,
    (context, { runtime }, event) => {
      if (event.evse) context.evseSeen(runtime, event.evse.id);
      const { stationId, groupId } = runtime.record;
      const session = context.sessions.transactionEvent(event, { stationId, groupId, nowMs: context.nowMs() });
      if (session) {
        if (session.endedAt !== undefined) {
          if (runtime.transactionByEvse.get(session.evseId) === session.transactionId) runtime.transactionByEvse.delete(session.evseId);
        } else runtime.transactionByEvse.set(session.evseId, session.transactionId);
      }
      return event.idToken ? { idTokenInfo: { status: authorizationStatus(context.authorize) } } : {};
    },
    HOT,
  ),

  MeterValues: action(
    MeterValuesRequest,
    (context, { runtime }, meter) => {
      const transactionId = meter.evseId > 0 ? runtime.transactionByEvse.get(meter.evseId) : undefined;
      if (transactionId) context.sessions.meterValues(transactionId, meter.meterValue);
      return {};
    },
    HOT,
  ),

  Authorize: action(AuthorizeRequest, (context) => ({ idTokenInfo: { status: authorizationStatus(context.authorize) } })),

  NotifyEVChargingNeeds: action(NotifyEVChargingNeedsRequest, (context, { runtime }, request) => {
    const transactionId = runtime.transactionByEvse.get(request.evseId);
    if (!transactionId) return { status: 'Rejected' };
    const needs = evNeeds(request.chargingNeeds);
    context.sessions.evNeeds(transactionId, needs);
    context.logger.info('EV charging needs', { stationId: runtime.record.stationId, evseId: request.evseId, transactionId, ...needs });
    return { status: 'Accepted' };
  }),
};

function evNeeds(needs: z.infer<typeof NotifyEVChargingNeedsRequest>['chargingNeeds']): EvChargingNeeds {
  const ac = needs.acChargingParameters;
  const dc = needs.dcChargingParameters;
  const energyAmountWh = ac?.energyAmount ?? dc?.energyAmount;
  const evMaxPowerW = dc?.evMaxPower;
  return {
    ...(energyAmountWh !== undefined && { energyAmountWh }),
    ...(needs.departureTime !== undefined && { departureTime: needs.departureTime }),
    ...(ac && { evMinCurrentA: ac.evMinCurrent, evMaxCurrentA: ac.evMaxCurrent }),
    ...(!ac && dc && { evMaxCurrentA: dc.evMaxCurrent }),
    ...(evMaxPowerW !== undefined && { evMaxPowerW }),
  };
}
