// The events operators can follow (SSE stream, webhooks): named as in API_EVENT_NAMES, data described by zod
// schemas (documented in OpenAPI), numbered per run, the last few kept so a reconnecting client can catch up.
import { z } from 'zod';
import { API_EVENT_NAMES } from '../config/sections';
import {
  CapacitySource,
  ConnectionAttempt,
  Instant,
  OverrideView,
  responseSchemas,
  SessionSummary,
  type ApiEventEnvelope,
} from './response-schemas';

export type ApiEventName = (typeof API_EVENT_NAMES)[number];

const SessionEvent = SessionSummary.pick({
  transactionId: true,
  stationId: true,
  groupId: true,
  evseId: true,
  startedAt: true,
  endedAt: true,
  energyWh: true,
});
const StationEvent = z.object({ stationId: z.string(), groupId: z.string().optional(), at: Instant });
const FallbackEvent = z.object({ groupId: z.string(), from: CapacitySource.optional(), to: CapacitySource, at: Instant });
const ComplianceEvent = z.object({ groupId: z.string(), forecastRequestId: z.string(), blocks: z.number().int(), message: z.string() });
const PlanEvent = z.object({
  groupId: z.string(),
  at: Instant,
  sessions: z.number().int(),
  stationsChanged: z.number().int(),
  failed: z.number().int(),
  durationMs: z.number(),
});
const RefusedEvent = ConnectionAttempt;
const OverrideEvent = z.intersection(
  OverrideView,
  z.object({ by: z.string().optional().describe('the credential that set or removed it (none when it expired)') }),
);

/** The data of each event, by name. */
export const API_EVENT_DATA = {
  'session.started': SessionEvent,
  'session.ended': SessionEvent,
  'station.online': StationEvent,
  'station.offline': StationEvent,
  'fallback.entered': FallbackEvent,
  'fallback.left': FallbackEvent,
  'compliance.sent': ComplianceEvent,
  'plan.applied': PlanEvent,
  'station.refused': RefusedEvent,
  'station.uncontrollable': StationEvent,
  'override.set': OverrideEvent,
  'override.removed': OverrideEvent,
  'override.expired': OverrideEvent,
} as const satisfies Record<ApiEventName, z.ZodType>;
export type ApiEventData = { [K in ApiEventName]: z.infer<(typeof API_EVENT_DATA)[K]> };

responseSchemas.add(SessionEvent, { id: 'SessionEventData' });
responseSchemas.add(StationEvent, { id: 'StationEventData' });
responseSchemas.add(FallbackEvent, { id: 'FallbackEventData' });
responseSchemas.add(ComplianceEvent, { id: 'ComplianceEventData' });
responseSchemas.add(PlanEvent, { id: 'PlanEventData' });
responseSchemas.add(OverrideEvent, { id: 'OverrideEventData' });

export type ApiEventListener = (event: ApiEventEnvelope) => void;

/** Kept for Last-Event-ID catch-up. */
const REPLAY = 256;

export class OperatorEvents {
  private nextId = 1;
  private readonly recent: ApiEventEnvelope[] = [];
  private readonly listeners = new Set<ApiEventListener>();

  constructor(
    private readonly nowMs: () => number,
    private readonly onListenerError: (error: unknown) => void,
  ) {}

  publish<E extends ApiEventName>(event: E, data: ApiEventData[E]): void {
    const envelope: ApiEventEnvelope = { id: this.nextId++, event, at: new Date(this.nowMs()).toISOString(), data };
    this.recent.push(envelope);
    if (this.recent.length > REPLAY) this.recent.shift();
    for (const listener of this.listeners) {
      try {
        listener(envelope);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  subscribe(listener: ApiEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after `lastId` still kept (oldest first). */
  since(lastId: number): ApiEventEnvelope[] {
    return this.recent.filter((e) => e.id > lastId);
  }
}
