// Options of the CSMS simulator (one zod schema: defaults, limits and the CLI all come from here). Stations are
// told apart by identity: per-station passwords, refusals at the upgrade and boot answers are keyed by it.
import { z } from 'zod';
import { Scenario } from './scenario';

export const OcppVersion = z.enum(['2.0.1', '1.6']);
export type OcppVersion = z.infer<typeof OcppVersion>;

export const BootStatus = z.enum(['Accepted', 'Pending', 'Rejected']);
export type BootStatus = z.infer<typeof BootStatus>;

/** Statuses valid both in 1.6 idTagInfo and in 2.0.1 idTokenInfo, so one setting serves both modes. */
export const AuthorizationStatus = z.enum(['Accepted', 'Blocked', 'Expired', 'Invalid', 'ConcurrentTx']);
export type AuthorizationStatus = z.infer<typeof AuthorizationStatus>;

/** One status for every boot, or one per successive BootNotification of the station (the last one repeats). */
const BootAnswers = z.union([BootStatus, z.array(BootStatus).min(1)]);

export const CsmsSimulatorOptions = z.object({
  /** TCP port; 0 = any free port (tests). goDown/comeBack listen again on the port first bound. */
  port: z.number().int().min(0).max(65535).default(9100),
  host: z.string().min(1).default('127.0.0.1'),
  /** Path before the station identity, e.g. /ocpp → ws://host:port/ocpp/<identity>; '' = identity right after the host. */
  path: z
    .string()
    .regex(/^(\/[^/?#]+)*$/, 'path must be empty or start with "/" and not end with "/"')
    .default('/ocpp'),
  ocppVersion: OcppVersion.default('2.0.1'),
  /**
   * Versions served on the one endpoint, preferred first when a station offers several (as a CSMS serving 1.6J and
   * 2.0.1 stations on one URL does); each connection is answered in the version negotiated. Default: [ocppVersion].
   */
  versions: z.array(OcppVersion).min(1).optional(),
  /** Basic-auth password per identity; an identity not listed gets 401. Absent = any station, with or without credentials. */
  passwords: z.record(z.string(), z.string()).optional(),
  /** Identities refused at the upgrade, before any WebSocket exists, with this HTTP status. */
  refuse: z.record(z.string(), z.union([z.literal(401), z.literal(404)])).default({}),
  boot: z
    .object({
      /** Heartbeat interval answered with Accepted, s. */
      intervalS: z.number().int().min(0).default(300),
      /** Interval answered with Pending or Rejected: when the station may boot again, s. */
      retryIntervalS: z.number().int().min(0).default(10),
      status: BootAnswers.default('Accepted'),
      perStation: z.record(z.string(), BootAnswers).default({}),
    })
    .prefault({}),
  authorization: z
    .object({
      default: AuthorizationStatus.default('Accepted'),
      /** Status per idToken (2.0.1) / idTag (1.6), e.g. { "BAD-TAG": "Invalid" }. */
      idTokens: z.record(z.string(), AuthorizationStatus).default({}),
    })
    .prefault({}),
  /** How long one of our CALLs waits for the station's answer before it counts as timed out. */
  callTimeoutMs: z.number().int().positive().default(10_000),
  /** NDJSON file every frame is appended to (one JSON object a line). */
  recordFile: z.string().min(1).optional(),
  /** Frames kept in memory for the query helpers; older ones are dropped (the file keeps them all). */
  recordCapacity: z.number().int().min(10).default(10_000),
  /** goDown: 'close' = WebSocket close 1001 Going Away; 'terminate' = TCP connection dropped with no close frame. */
  downClose: z.enum(['close', 'terminate']).default('close'),
  /** goDown: 'refuse' = stop listening (connection refused); '503' = keep listening and answer 503 to every upgrade. */
  downRefusal: z.enum(['refuse', '503']).default('refuse'),
  /** Our own CALLs, started at each station's BootNotification (Accepted or Pending). */
  scenario: Scenario.optional(),
});
export type CsmsSimulatorOptions = z.infer<typeof CsmsSimulatorOptions>;
export type CsmsSimulatorOptionsInput = z.input<typeof CsmsSimulatorOptions>;

export class CsmsSimulatorConfigError extends Error {}

export function parseOptions(input: CsmsSimulatorOptionsInput): CsmsSimulatorOptions {
  const parsed = CsmsSimulatorOptions.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CsmsSimulatorConfigError(`CSMS simulator option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function subprotocolOf(version: OcppVersion): string {
  return version === '1.6' ? 'ocpp1.6' : 'ocpp2.0.1';
}
