// Typed events the OSCP adapter publishes: a forecast changed the book, a peer went offline or came back.
// main.ts forwards them to core (reallocate, switch to fallback); listeners must not throw (errors are logged).
import { EventEmitter } from 'node:events';
import type { CapacityForecastType } from '../domain/capacity';
import type { GroupId } from '../domain/group';

export interface OscpEventMap {
  forecastChanged: { groupId: GroupId; type: CapacityForecastType; requestId: string };
  peerOffline: { peerId: string };
  peerOnline: { peerId: string };
}

export type OscpEventName = keyof OscpEventMap;

export class OscpEvents {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => undefined) {
    this.emitter.setMaxListeners(100);
  }

  /** Subscribes; returns the function that unsubscribes. */
  on<E extends OscpEventName>(event: E, listener: (payload: OscpEventMap[E]) => void): () => void {
    const safe = (payload: OscpEventMap[E]): void => {
      try {
        listener(payload);
      } catch (error) {
        this.onListenerError(event, error);
      }
    };
    this.emitter.on(event, safe);
    return () => this.emitter.off(event, safe);
  }

  emit<E extends OscpEventName>(event: E, payload: OscpEventMap[E]): void {
    this.emitter.emit(event, payload);
  }
}
