// zod schemas of everything the operator API answers: the single source of the response types and of the
// OpenAPI document's components (registered under their component names in `responseSchemas`).
import { z } from 'zod';
import { API_EVENT_NAMES } from '../config/sections';
import { COUNTED_AS } from '../core/group-load';
import { Override } from '../core/overrides';
import type { Reason } from '../core/ports';
import { CAPACITY_FORECAST_TYPES, CAPACITY_SOURCES } from '../domain/capacity';
import { CHARGING_STATES } from '../domain/session';
import { PEER_ROLES, PEER_STATES } from '../core/ports';

/** Response schemas by component name; openapi.ts turns the registry into `components.schemas`. */
export const responseSchemas = z.registry<{ id: string }>();
function component<T extends z.ZodType>(id: string, schema: T): T {
  responseSchemas.add(schema, { id });
  return schema;
}

const PhaseCurrentsA = z.tuple([z.number(), z.number(), z.number()]).describe('amps per phase, L1..L3');
export const Instant = z.iso.datetime().describe('ISO 8601, UTC');
export const CapacitySource = z.enum(CAPACITY_SOURCES).describe('where the capacity in force comes from');
const PeerState = z.enum(PEER_STATES).describe('OSCP peer lifecycle');

/** How the API words each of the allocator's reasons; `satisfies` keeps it complete when the allocator adds one. */
export const REASON_TEXT = {
  'fair-share': 'fair share',
  'capped-by-ev': 'capped by EVSE or EV maximum',
  'capped-by-station': 'capped by station maximum',
  'capped-by-phase': 'capped by phase capacity',
  'paused-for-capacity': 'paused: capacity below the minimum',
  'paused-ev-below-minimum': 'paused: EV maximum below the minimum',
  lending: 'lending unused capacity',
  fixed: 'fixed',
  'kept-by-hysteresis': 'kept: increase below hysteresis',
} as const satisfies Record<Reason, string>;
const ReasonText = z.enum(REASON_TEXT).describe('why the allocator gave this limit');

const AllocatedA = PhaseCurrentsA.describe(
  'limits of the plan’s sessions at stations counted as `plan` (a single-phase EV counts on every phase)',
);
const UncontrolledA = PhaseCurrentsA.describe(
  'what every station not counted as `plan` may draw: unacknowledged (no limit acknowledged: its hardware maximum), ' +
    'uncontrollable (its maximum), offline (its lease, then its standing limit), standing-only (what its standing limit allows)',
);
const HeadroomA = PhaseCurrentsA.describe('capacity − safety margin − allocated − uncontrolled; zero or negative: no room, or over');

const CountedAs = z
  .enum(COUNTED_AS)
  .describe(
    'how core counts a station against the group’s capacity: `plan` at its sessions’ planned limits; the others at what ' +
      'it may draw — `unacknowledged` (allocated, but it acknowledged no limit in force: its hardware maximum, or a change ' +
      'in flight if higher), `uncontrollable` (its maximum), `offline` (its lease, then its standing limit), `standing-only` ' +
      '(takes no leased cap above its standing limit: ProfileStackLevel < 1 or not read yet)',
  );

export const StationCounted = component(
  'StationCounted',
  z
    .object({
      allocatable: z.boolean().describe('the controller allocates its sessions (connected, controllable, ProfileStackLevel ≥ 1)'),
      as: CountedAs,
      limitA: z.number().describe('amps per phase counted for it now'),
    })
    .describe('how the station is counted against its group’s capacity now, and why'),
);

export const GroupSummary = component(
  'GroupSummary',
  z.object({
    id: z.string(),
    name: z.string().optional(),
    peerId: z.string().optional().describe('OSCP Capacity Provider that sends this group its forecasts'),
    peerState: PeerState.optional(),
    source: CapacitySource,
    capacityA: PhaseCurrentsA.describe('capacity in force now, before the safety margin (an operator cap included)'),
    gridCapacityA: PhaseCurrentsA.describe(
      'what the grid grants now from `source` (forecast, fallback or safe limit), before an operator cap; = capacityA without one',
    ),
    operatorCap: z
      .object({ limitA: z.number(), expiresAt: Instant })
      .optional()
      .describe('a group-cap override in force: the plan applies it until it expires'),
    safetyMarginA: z.number(),
    allocatedA: AllocatedA,
    uncontrolledA: UncontrolledA,
    measuredA: PhaseCurrentsA.describe('sum of the latest measured currents of the sessions'),
    headroomA: HeadroomA,
    stationsCounted: z
      .record(z.enum(COUNTED_AS), z.number().int())
      .describe('how many stations core counts each way now (every way listed, see StationCounted.as)'),
    stations: z.number().int(),
    sessions: z.number().int(),
  }),
);

const LeasedSchedule = z.object({
  leaseEnd: Instant,
  periods: z.array(z.object({ start: Instant, limitA: z.number() })),
});

export const StationSummary = component(
  'StationSummary',
  z.object({
    id: z.string(),
    groupId: z.string(),
    connected: z.boolean(),
    connectionChangedAt: Instant.optional().describe('last connect or disconnect seen by this agent run'),
    protocol: z.enum(['2.0.1', '1.6']).optional().describe('OCPP version of its current or last connection'),
    boot: z
      .object({
        vendor: z.string(),
        model: z.string(),
        serialNumber: z.string().optional(),
        firmwareVersion: z.string().optional(),
      })
      .optional()
      .describe('what its last BootNotification said'),
    bootStatus: z.enum(['none', 'Pending', 'Accepted']),
    pendingReason: z
      .string()
      .optional()
      .describe(
        'why the station is kept Pending: what it waits for (smart-charging limits, standing limits); bounded by ocpp.bootPendingMaxS',
      ),
    unresponsive: z
      .object({
        timeouts: z.number().int().describe('calls timed out in a row'),
        retryAt: Instant.describe('commands are not sent before this (back-off)'),
      })
      .optional()
      .describe('the station times out: commands back off, and it is counted at its maximum until it answers again'),
    upstream: z
      .object({
        state: z.enum(['connected', 'connecting', 'outage', 'refused']),
        reason: z.string().optional().describe('why it is not connected'),
        since: Instant,
        queueDepth: z.number().int().describe('station messages waiting for the CSMS (durable)'),
        replayLagMs: z.number().optional().describe('age of the last queued message when the CSMS got it'),
      })
      .optional()
      .describe("Local Controller mode: the station's connection to the CPO's CSMS"),
    controllable: z.boolean().describe('false once the station refused or ignored profiles: counted at its maximum'),
    paused: z.boolean().describe('a station-pause override is in force'),
    evseCount: z.number().int(),
    phases: z.union([z.literal(1), z.literal(3)]),
    evseMaxCurrentA: z.number(),
    stationMaxCurrentA: z.number(),
    hasPassword: z.boolean().describe('a Basic-auth password is set (it is never returned)'),
    smartCharging: z
      .object({
        profileStackLevel: z.number().int(),
        periodsPerSchedule: z.number().int(),
        maxProfiles: z.number().int().optional(),
        rateUnits: z.array(z.enum(['A', 'W'])),
      })
      .optional()
      .describe('SmartChargingCtrlr limits the station reported'),
    limits: z
      .object({
        standingA: z.number().optional().describe('acknowledged standing limit (stack level 0, no expiry)'),
        live: LeasedSchedule.optional().describe('acknowledged live lease'),
        inForceA: z.number().optional().describe('the most the station may draw now, as the lease ledger proves it'),
      })
      .describe('limits in force, from the lease ledger'),
    sessions: z.number().int(),
  }),
);

const EvNeeds = z.object({
  energyAmountWh: z.number().optional(),
  departureTime: z.string().optional(),
  evMinCurrentA: z.number().optional(),
  evMaxCurrentA: z.number().optional(),
  evMaxPowerW: z.number().optional(),
});

export const SessionSummary = component(
  'SessionSummary',
  z.object({
    transactionId: z.string(),
    stationId: z.string(),
    groupId: z.string(),
    evseId: z.number().int(),
    connectorId: z.number().int().optional(),
    state: z.enum(['active', 'ended']),
    chargingState: z.enum(CHARGING_STATES),
    phasesUsed: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
    startedAt: z.string(),
    endedAt: z.string().optional(),
    energyWh: z.number().optional().describe('meter now − meter at start'),
    measuredA: PhaseCurrentsA.optional(),
    priority: z.number().int(),
    evNeeds: EvNeeds.optional().describe('what the EV asked for (ISO 15118 charging needs)'),
    limitA: z.number().optional().describe('limit of the plan in force now, A per phase (0 = paused)'),
    reason: ReasonText.optional(),
  }),
);

export const SessionDetail = component(
  'SessionDetail',
  SessionSummary.extend({
    meterStartWh: z.number().optional(),
    meterWh: z.number().optional(),
    limitHistory: z
      .array(z.object({ at: Instant, limitA: z.number(), reason: ReasonText.optional() }))
      .describe('limit at each plan that changed it (bounded, newest last)'),
  }),
);

export const StationDetail = component(
  'StationDetail',
  StationSummary.extend({
    sessions: z.array(SessionSummary),
    connectors: z.array(z.object({ id: z.string().describe('evseId/connectorId'), status: z.string() })),
    externalLimits: z.array(z.object({ evseId: z.number().int(), source: z.string() })),
  }),
);

export const GroupDetail = component(
  'GroupDetail',
  GroupSummary.extend({
    stations: z.array(StationSummary.extend({ counted: StationCounted })),
    sessions: z.array(SessionSummary),
  }),
);

export const ForecastSeries = component(
  'ForecastSeries',
  z.object({
    type: z.enum(CAPACITY_FORECAST_TYPES),
    requestId: z.string().optional().describe('X-Request-ID of the forecast in force now (or of the latest block)'),
    blocks: z.array(z.object({ start: Instant, end: Instant, limitA: PhaseCurrentsA, requestId: z.string() })),
  }),
);

export const Plan = component(
  'Plan',
  z.object({
    computedAt: Instant,
    source: CapacitySource.describe('source of the capacity in force when the plan was made'),
    safetyMarginA: z.number(),
    blocks: z.array(
      z.object({
        start: Instant,
        end: Instant,
        source: CapacitySource,
        capacityA: PhaseCurrentsA.describe('capacity in force in the block, before the safety margin'),
        gridCapacityA: PhaseCurrentsA.describe('what the grid grants in the block (from `source`), before an operator cap'),
        operatorCapA: z.number().optional().describe('the operator cap applied in this block (only until the cap expires)'),
        allocatedA: AllocatedA,
        uncontrolledA: UncontrolledA,
        headroomA: HeadroomA,
      }),
    ),
    sessions: z.array(
      z.object({
        transactionId: z.string(),
        stationId: z.string(),
        evseId: z.number().int(),
        limitsA: z.array(z.number()).describe('A per phase in each block, aligned with `blocks`'),
        reason: ReasonText.optional().describe('why the allocator gave the limit of the block in force when the plan was made'),
      }),
    ),
  }),
);

export const HistorySample = component(
  'HistorySample',
  z.object({
    at: Instant,
    source: CapacitySource.optional(),
    capacityA: PhaseCurrentsA,
    allocatedA: PhaseCurrentsA,
    measuredA: PhaseCurrentsA,
  }),
);

export const Peer = component(
  'Peer',
  z.object({
    id: z.string(),
    role: z.enum(PEER_ROLES),
    state: PeerState,
    online: z.boolean(),
    baseUrl: z.string().optional(),
    awaitingRegisterReply: z.boolean(),
    heartbeatIntervalS: z.number().optional(),
    measurementConfiguration: z.array(z.string()),
    offlineModeAt: z.string().optional(),
    updatedAt: z.string(),
    groups: z.array(z.string()),
  }),
);

export const PeerAction = component(
  'PeerAction',
  z.object({ peerId: z.string(), action: z.enum(['register', 'handshake']), status: z.literal('queued') }),
);

export const OverrideView = component('OverrideView', z.intersection(Override, z.object({ expiresAt: Instant })));

export const Problem = component(
  'Problem',
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
);

export const ApiEventEnvelope = component(
  'ApiEvent',
  z.object({
    id: z.number().int().describe('increasing within one agent run (SSE id)'),
    event: z.enum(API_EVENT_NAMES),
    at: Instant,
    data: z.record(z.string(), z.unknown()).describe('see the event data schemas'),
  }),
);

export const EventLogPage = component(
  'EventLogPage',
  z.object({
    items: z.array(ApiEventEnvelope).describe('newest first'),
    nextBefore: z.number().int().nullable().describe('pass as `before` for older events; null when there are none kept'),
  }),
);

export const GroupList = component('GroupList', z.array(GroupSummary));
export const StationList = component('StationList', z.array(StationSummary));
export const SessionPage = component(
  'SessionPage',
  z.object({
    items: z.array(SessionSummary).describe('at most `limit` sessions, in the order of the state asked for'),
    total: z.number().int().describe('sessions matching the state and filters, on every page together'),
    nextCursor: z.string().nullable().describe('pass as `cursor` to get the next page; null on the last page'),
  }),
);
export const ForecastBook = component('ForecastBook', z.array(ForecastSeries).describe('one series per forecast type'));
export const History = component('History', z.array(HistorySample).describe('oldest first, one sample per interval'));
export const PeerList = component('PeerList', z.array(Peer));
export const OverrideList = component('OverrideList', z.array(OverrideView));
export const ConnectionAttempt = component(
  'ConnectionAttempt',
  z.object({
    at: Instant,
    remoteAddress: z.string(),
    identity: z.string().describe('the identity from the URL (or the raw path segment when it was not a valid one)'),
    status: z
      .number()
      .int()
      .describe(
        "the HTTP status the upgrade got (400, 401, 404, 429, 503, or the CSMS's in Local Controller mode); 0: the TLS handshake failed",
      ),
    reason: z.string().describe('exactly why, never a secret'),
  }),
);
export const ConnectionAttemptList = component('ConnectionAttemptList', z.array(ConnectionAttempt).describe('newest first'));

export type GroupSummary = z.infer<typeof GroupSummary>;
export type StationCounted = z.infer<typeof StationCounted>;
export type GroupDetail = z.infer<typeof GroupDetail>;
export type StationSummary = z.infer<typeof StationSummary>;
export type StationDetail = z.infer<typeof StationDetail>;
export type SessionSummary = z.infer<typeof SessionSummary>;
export type SessionDetail = z.infer<typeof SessionDetail>;
export type SessionPage = z.infer<typeof SessionPage>;
export type ForecastSeries = z.infer<typeof ForecastSeries>;
export type Plan = z.infer<typeof Plan>;
export type HistorySample = z.infer<typeof HistorySample>;
export type Peer = z.infer<typeof Peer>;
export type OverrideView = z.infer<typeof OverrideView>;
export type ApiEventEnvelope = z.infer<typeof ApiEventEnvelope>;
export type EventLogPage = z.infer<typeof EventLogPage>;
