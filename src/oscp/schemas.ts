// zod schemas of every OSCP 2.0 message body (digest §7–§8), the single source of truth for their types.
// Input is tolerant where peers differ (digest §14: flat handshake, any offset, string capacity); unknown fields are dropped.
import { z } from 'zod';
import { CAPACITY_FORECAST_TYPES } from '../domain/capacity';
import { isLenientDateTime, isRfc3339, wireTimeMs } from './wire-time';

export const PhaseIndicator = z.enum(['UNKNOWN', 'ONE', 'TWO', 'THREE', 'ALL']);
export const ForecastedBlockUnit = z.enum(['A', 'W', 'KW', 'WH', 'KWH']);
export const CapacityForecastType = z.enum(CAPACITY_FORECAST_TYPES);
export const MeasurementConfiguration = z.enum(['CONTINUOUS', 'INTERMITTENT']);
export const EnergyMeasurementUnit = z.enum(['WH', 'KWH']);
export const EnergyFlowDirection = z.enum(['NET', 'IMPORT', 'EXPORT']);
export const EnergyType = z.enum(['FLEXIBLE', 'NONFLEXIBLE', 'TOTAL']);
export const InstantaneousMeasurementUnit = z.enum(['A', 'W', 'KW', 'WH', 'KWH']);
export const AssetCategory = z.enum(['CHARGING', 'CONSUMPTION', 'GENERATION', 'STORAGE']);

export type PhaseIndicator = z.infer<typeof PhaseIndicator>;
export type ForecastedBlockUnit = z.infer<typeof ForecastedBlockUnit>;
export type MeasurementConfiguration = z.infer<typeof MeasurementConfiguration>;

/** RFC 3339 with an explicit offset (digest §9); any offset accepted, normalised to UTC by `wireTimeMs`. */
export const WireDateTime = z
  .string()
  .refine(isRfc3339, { message: 'expected an RFC 3339 date-time with offset, e.g. 2025-05-01T13:00:00Z' });
/** Heartbeat only: also pyoscp's naive `YYYY-MM-DD HH:MM:SS` (read as UTC). */
const LenientDateTime = z.string().refine(isLenientDateTime, { message: 'expected an RFC 3339 date-time, e.g. 2025-05-01T13:00:00Z' });

/** Opaque token (digest §4): at least 767 characters must fit; we cap far above that. */
const Token = z.string().min(1, 'token must not be empty').max(4096);

export const VersionUrl = z.object({ version: z.string().min(1), base_url: z.string().min(1) });
export type VersionUrl = z.infer<typeof VersionUrl>;

export const Register = z.object({ token: Token, version_url: z.array(VersionUrl).min(1) });
export type Register = z.infer<typeof Register>;

/**
 * `heartbeat_interval` absent, 0 or null means "no heartbeats" (digest §7: omit = not interested; SolarNetwork sends
 * 0/null). pyoscp may omit measurement_configuration, which the schema requires: absent stays undefined, so the
 * receiver keeps what it had rather than reading "none" into an omission (issue #17 0b).
 */
export const RequiredBehaviour = z.object({
  heartbeat_interval: z
    .number()
    .min(0)
    .nullish()
    .transform((value) => (value ? value : undefined)),
  measurement_configuration: z
    .array(MeasurementConfiguration)
    .optional()
    .transform((list) => (list === undefined ? undefined : [...new Set(list)])),
});
export type RequiredBehaviour = z.infer<typeof RequiredBehaviour>;

/**
 * Handshake and HandshakeAcknowledge share one shape. Nested `required_behaviour` is the schema; the flat
 * variant (ELMO doc, SDK) is read the same way. Output is always the nested form.
 */
const HandshakeShape = z
  .object({
    required_behaviour: RequiredBehaviour.optional(),
    heartbeat_interval: z.unknown().optional(),
    measurement_configuration: z.unknown().optional(),
  })
  .transform((body, ctx) => {
    if (body.required_behaviour || (body.heartbeat_interval === undefined && body.measurement_configuration === undefined))
      return { required_behaviour: body.required_behaviour };
    const flat = RequiredBehaviour.safeParse({
      heartbeat_interval: body.heartbeat_interval,
      measurement_configuration: body.measurement_configuration,
    });
    if (!flat.success) {
      for (const issue of flat.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    return { required_behaviour: flat.data };
  });
export const Handshake = HandshakeShape;
export const HandshakeAcknowledge = HandshakeShape;
export type Handshake = z.infer<typeof Handshake>;

export const Heartbeat = z.object({ offline_mode_at: LenientDateTime });
export type Heartbeat = z.infer<typeof Heartbeat>;

/** `capacity` is a number ≥ 0; the SDK's numeric string is tolerated and turned into a number. */
const Capacity = z.preprocess(
  (value) => (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value),
  z.number().min(0),
);

export const ForecastedBlock = z
  .object({ capacity: Capacity, phase: PhaseIndicator, unit: ForecastedBlockUnit, start_time: WireDateTime, end_time: WireDateTime })
  // Runs even when a time failed its own check; only a pair of valid times is compared.
  .refine(
    (block) => !isRfc3339(block.start_time) || !isRfc3339(block.end_time) || wireTimeMs(block.end_time) > wireTimeMs(block.start_time),
    {
      message: 'end_time must be after start_time',
      path: ['end_time'],
    },
  );
export type ForecastedBlock = z.infer<typeof ForecastedBlock>;

export const UpdateGroupCapacityForecast = z.object({
  group_id: z.string().min(1),
  type: CapacityForecastType,
  forecasted_blocks: z.array(ForecastedBlock).min(1),
});
export type UpdateGroupCapacityForecast = z.infer<typeof UpdateGroupCapacityForecast>;

export const AdjustGroupCapacityForecast = UpdateGroupCapacityForecast;
export type AdjustGroupCapacityForecast = UpdateGroupCapacityForecast;

export const GroupCapacityComplianceError = z.object({
  message: z.string().min(1),
  forecasted_blocks: z.array(ForecastedBlock).min(1).optional(),
});
export type GroupCapacityComplianceError = z.infer<typeof GroupCapacityComplianceError>;

export const EnergyMeasurement = z.object({
  value: z.number(),
  phase: PhaseIndicator,
  unit: EnergyMeasurementUnit,
  direction: EnergyFlowDirection,
  energy_type: EnergyType.optional(),
  measure_time: WireDateTime,
  initial_measure_time: WireDateTime.optional(),
});
export type EnergyMeasurement = z.infer<typeof EnergyMeasurement>;

export const InstantaneousMeasurement = z.object({
  value: z.number(),
  phase: PhaseIndicator,
  unit: InstantaneousMeasurementUnit,
  measure_time: WireDateTime,
});

export const AssetMeasurement = z.object({
  asset_id: z.string().min(1),
  asset_category: AssetCategory,
  energy_measurement: EnergyMeasurement.optional(),
  instantaneous_measurement: InstantaneousMeasurement.optional(),
});
export type AssetMeasurement = z.infer<typeof AssetMeasurement>;

export const UpdateGroupMeasurements = z.object({ group_id: z.string().min(1), measurements: z.array(EnergyMeasurement).min(1) });
export type UpdateGroupMeasurements = z.infer<typeof UpdateGroupMeasurements>;

export const UpdateAssetMeasurements = z.object({ group_id: z.string().min(1), measurements: z.array(AssetMeasurement).min(1) });
export type UpdateAssetMeasurements = z.infer<typeof UpdateAssetMeasurements>;

/** Optional error response body (digest §7 "Error"). */
export const ErrorBody = z.object({ message: z.string().optional() });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The first issues of a failed parse as `path: problem`, for the `message` of a 400 answer. */
export function describeIssues(error: z.ZodError, max = 3): string {
  const issues = error.issues.slice(0, max).map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`);
  const more = error.issues.length > max ? ` (+${error.issues.length - max} more)` : '';
  return issues.join('; ') + more;
}
