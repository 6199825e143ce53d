// The shape of one station → CSMS action (either OCPP version): its payload schema and a handler that reads the
// station's connection and the CSMS's shared context. One table per version serves every connection (no closures).
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { z } from 'zod';
import type { Logger } from '../observability/log';
import type { Metrics } from '../observability/metrics';
import type { SessionTracker } from './session-tracker';
import type { StationRuntime } from './station-registry';
import type { BootInfo } from '../domain/station';

/** What every inbound handler may use: shared by all connections of one server. */
export interface InboundContext {
  readonly sessions: SessionTracker;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly heartbeatIntervalS: number;
  readonly authorize: 'accept-all' | 'reject-all';
  readonly nowMs: () => number;
  /**
   * Every payload reaching the handlers was checked against the official schema first (ocpp-rpc's strict mode, the
   * direct mode); false where they come unchecked (the Local Controller's relay, which taps what it relays).
   */
  readonly schemaChecked: boolean;
  /** BootNotification: the boot gate's answer (Pending while the standing limits are not installed, else Accepted). */
  readonly booted: (station: StationConnection) => 'Pending' | 'Accepted';
  /** What the BootNotification said of the station (stored when it changed). */
  readonly bootReported: (runtime: StationRuntime, info: BootInfo) => void;
  /** The station sent something other than BootNotification first (accepted before, reconnected without booting). */
  readonly spoke: (station: StationConnection) => void;
  /** The station reported an EVSE beyond its known count. */
  readonly evseSeen: (runtime: StationRuntime, evseId: number) => void;
  readonly maxProfilesReported: (runtime: StationRuntime, maxProfiles: number) => void;
  readonly chargingProfilesReported: (stationId: string, requestId: number, profiles: readonly unknown[], tbc: boolean) => void;
  /** OCPP 1.6 StartTransaction: a transaction id unique across the agent's life (persisted, never reused). */
  readonly mintTransactionId: () => number;
}

/** One station's current connection: its runtime state and the socket the message came in on. */
export interface StationConnection {
  readonly runtime: StationRuntime;
  readonly client: RpcServerClient;
}

/** One action: validates its payload (ocpp-rpc's strict mode checked the schema already) and answers it. */
export interface InboundAction {
  /** Answered while the boot is Pending (B02.FR.09: only BootNotification is; everything else gets SecurityError). */
  readonly whilePending: boolean;
  /** The response, or a `FormatViolation` with the first problem when the payload does not parse. */
  run(context: InboundContext, station: StationConnection, params: unknown): InboundOutcome;
}

export type InboundOutcome =
  { readonly kind: 'answer'; readonly response: object } | { readonly kind: 'invalid'; readonly problem: string };

export interface ActionOptions {
  readonly whilePending?: boolean;
  /**
   * The schema is a subset of the official one (its fields, types and enums, nothing stricter): where the official
   * schema was checked (`schemaChecked`), the payload is read as it is, not parsed a second time. For the messages a
   * fleet sends all the time (meter values, transaction events): one validation each instead of two.
   */
  readonly officialSubset?: boolean;
}

export function action<S extends z.ZodType>(
  schema: S,
  handle: (context: InboundContext, station: StationConnection, payload: z.infer<S>) => object,
  options: ActionOptions = {},
): InboundAction {
  const officialSubset = options.officialSubset ?? false;
  return {
    whilePending: options.whilePending ?? false,
    run: (context, station, params) => {
      // Checked already against a schema that demands everything this one does: its type holds (the one cast).
      if (officialSubset && context.schemaChecked) return { kind: 'answer', response: handle(context, station, params as z.infer<S>) };
      const parsed = schema.safeParse(params);
      if (!parsed.success) return { kind: 'invalid', problem: parsed.error.issues[0]?.message ?? 'invalid payload' };
      return { kind: 'answer', response: handle(context, station, parsed.data) };
    },
  };
}

const anything = z.unknown();

/**
 * Notifications a Flexibility Provider has nothing to do with: each answered with its minimal valid response (also
 * while Pending) and logged at debug.
 */
export function acknowledgedActions(responses: Readonly<Record<string, object>>): Record<string, InboundAction> {
  return Object.fromEntries(
    Object.entries(responses).map(([name, response]) => [
      name,
      action(
        anything,
        (context, { runtime }, params) => {
          context.logger.debug('acknowledged', { stationId: runtime.record.stationId, action: name, params });
          return response;
        },
        { whilePending: true },
      ),
    ]),
  );
}
