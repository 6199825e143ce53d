// Typed events the OSCP adapter publishes: a forecast changed the book, a peer went offline or came back.
// main.ts forwards them to core (reallocate, switch to fallback); listeners must not throw (errors are logged).
import { TypedEvents } from '../core/events';
import type { CapacityForecastType } from '../domain/capacity';
import type { GroupId } from '../domain/group';

export interface OscpEventMap {
  forecastChanged: { groupId: GroupId; type: CapacityForecastType; requestId: string };
  peerOffline: { peerId: string };
  peerOnline: { peerId: string };
}

export type OscpEventName = keyof OscpEventMap;

export class OscpEvents extends TypedEvents<OscpEventMap> {}
