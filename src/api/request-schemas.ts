// zod schemas of what the operator API accepts: path parameters, query strings and bodies. Routes validate with
// them and the OpenAPI document is generated from them (bodies are components of `requestSchemas`).
import { z } from 'zod';
import { StationConfig } from '../config/sections';
import { Override } from '../core/overrides';
import { LOGGED_EVENTS } from './event-log';

/** Request body schemas by component name (converted with io: 'input', so defaults show as such). */
export const requestSchemas = z.registry<{ id: string }>();
function component<T extends z.ZodType>(id: string, schema: T): T {
  requestSchemas.add(schema, { id });
  return schema;
}

const Instant = z.iso.datetime({ offset: true }).describe('ISO 8601 with a time zone');

export const IdParams = z.object({ id: z.string().min(1).max(64) });
/** A station identity as OCPP 2.0.1 allows it (printable ASCII without ':', as the CSMS accepts it), not only config ids. */
export const StationIdParams = z.object({
  id: z.string().regex(/^[\x21-\x39\x3b-\x7e]{1,48}$/, 'an OCPP station identity: 1–48 printable ASCII characters, no colon'),
});

export const StationsQuery = z.strictObject({ groupId: z.string().min(1).optional() });

export const ConnectionAttemptsQuery = z.strictObject({
  identity: z.string().min(1).max(200).optional().describe('only the attempts of this station identity'),
});

/**
 * Where a page of sessions resumes: the sort key of the last session of the previous page (startedAt for active
 * sessions, endedAt for ended ones, then transactionId), so sessions added meanwhile neither repeat nor push others
 * out. Sent as base64url JSON, which clients treat as opaque.
 */
export const SessionCursor = z.object({
  state: z.enum(['active', 'ended']),
  at: z.string().min(1).max(64),
  id: z.string().min(1).max(256),
});
export type SessionCursor = z.infer<typeof SessionCursor>;

export function encodeSessionCursor(cursor: SessionCursor): string {
  return Buffer.from(JSON.stringify([cursor.state, cursor.at, cursor.id]), 'utf8').toString('base64url');
}

const CursorFields = z.tuple([SessionCursor.shape.state, SessionCursor.shape.at, SessionCursor.shape.id]);

function decodeSessionCursor(text: string): SessionCursor | undefined {
  // Node's base64url decoder skips what is not base64url; insisting on the canonical form refuses mangled cursors.
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = CursorFields.safeParse(fields);
  return parsed.success ? { state: parsed.data[0], at: parsed.data[1], id: parsed.data[2] } : undefined;
}

export const SessionsQuery = z
  .strictObject({
    state: z
      .enum(['active', 'ended', 'recent'])
      .default('active')
      // `recent` was the name before ended sessions were paged from the store; scripts may still send it.
      .transform((state) => (state === 'recent' ? 'ended' : state))
      .describe('active sessions (oldest start first), or ended ones (newest end first, the whole stored history); recent = ended'),
    groupId: z.string().min(1).optional(),
    stationId: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100).describe('sessions per page'),
    cursor: z
      .string()
      .max(512, { abort: true })
      .transform((text, ctx) => {
        // Empty is the first page, so a script's loop can start with `cursor=$NEXT` unset.
        if (text === '') return undefined;
        const cursor = decodeSessionCursor(text);
        if (cursor === undefined) ctx.addIssue({ code: 'custom', message: 'not a cursor this API returned as nextCursor' });
        return cursor ?? z.NEVER;
      })
      .optional()
      .describe('nextCursor of the previous page, with the same state and filters; empty or absent: the first page'),
  })
  .superRefine((query, ctx) => {
    if (query.cursor !== undefined && query.cursor.state !== query.state)
      ctx.addIssue({ code: 'custom', path: ['cursor'], message: `a cursor of ${query.cursor.state} sessions, not ${query.state} ones` });
  });

export const RangeQuery = z.strictObject({
  from: Instant.optional(),
  to: Instant.optional(),
});

/** GET /event-log: which events, about whom, and from where on (ids count up, the log is read newest first). */
export const EventLogQuery = z.strictObject({
  event: z
    .string()
    .max(1000)
    .optional()
    .transform((text) => (text === undefined || text === '' ? [] : text.split(',').map((name) => name.trim())))
    .pipe(z.array(z.enum(LOGGED_EVENTS)))
    .describe(`comma-separated event names (${LOGGED_EVENTS.join(', ')}); empty: all of them`),
  groupId: z.string().min(1).max(64).optional().describe('only events about this group'),
  stationId: z.string().min(1).max(200).optional().describe('only events about this station (or refused identity)'),
  before: z.coerce.number().int().min(1).optional().describe('only events older than this id: `nextBefore` of the previous page'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** `?token=` is read by the authentication (EventSource cannot set headers); listed here to document it. */
export const EventsQuery = z.strictObject({ token: z.string().optional().describe('API token, for EventSource clients') });

/**
 * PUT /stations/:id: fields left out keep the station's current values (or the configuration defaults for a new
 * station). `groupId` moves a station; it is required for a new one. The password is hashed and never returned.
 */
export const StationUpsert = component(
  'StationUpsert',
  z.strictObject({
    groupId: StationConfig.shape.groupId.optional(),
    password: StationConfig.shape.password.describe('Basic-auth password, 16–40 characters; stored only as a hash'),
    evseMaxCurrentA: StationConfig.shape.evseMaxCurrentA.unwrap().optional(),
    stationMaxCurrentA: StationConfig.shape.stationMaxCurrentA,
    evseCount: StationConfig.shape.evseCount.unwrap().optional(),
    phases: StationConfig.shape.phases.unwrap().optional(),
  }),
);
export type StationUpsert = z.infer<typeof StationUpsert>;

/** POST /overrides: core's Override schema as it is. */
export const OverrideBody = component('Override', Override);

/** DELETE /overrides: which override to remove (one per target). */
export const OverrideTarget = component(
  'OverrideTarget',
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('group-cap'), groupId: z.string().min(1) }),
    z.strictObject({ kind: z.literal('station-pause'), stationId: z.string().min(1) }),
    z.strictObject({ kind: z.literal('session-priority'), transactionId: z.string().min(1) }),
  ]),
);
export type OverrideTarget = z.infer<typeof OverrideTarget>;
