// Wire shapes (zod) of the OSCP 2.0 messages a Capacity Provider sends and receives, as strict as the
// OSCP 2.0 JSON schemas (spec §7): unknown fields are ignored, everything the schemas require is required.
import { z } from 'zod';

/** RFC 3339 with an explicit offset (`Z` or ±hh:mm), as the schemas' `date-time` format (spec §9). */
export const DateTimeString = z.iso.datetime({ offset: true });

export const PhaseIndicator = z.enum(['UNKNOWN', 'ONE', 'TWO', 'THREE', 'ALL']);
export type PhaseIndicator = z.infer<typeof PhaseIndicator>;

export const ForecastedBlockUnit = z.enum(['A', 'W', 'KW', 'WH', 'KWH']);
export type ForecastedBlockUnit = z.infer<typeof ForecastedBlockUnit>;

export const CapacityForecastType = z.enum(['CONSUMPTION', 'GENERATION', 'FALLBACK_CONSUMPTION', 'FALLBACK_GENERATION', 'OPTIMUM']);
export type CapacityForecastType = z.infer<typeof CapacityForecastType>;

export const MeasurementConfiguration = z.enum(['CONTINUOUS', 'INTERMITTENT']);
export type MeasurementConfiguration = z.infer<typeof MeasurementConfiguration>;

export const VersionUrl = z.looseObject({ version: z.string(), base_url: z.string() });
export type VersionUrl = z.infer<typeof VersionUrl>;

export const Register = z.looseObject({
  token: z.string().min(1, 'token must not be empty'),
  version_url: z.array(VersionUrl).min(1),
});
export type Register = z.infer<typeof Register>;

export const RequiredBehaviour = z.looseObject({
  /** Seconds; the digest (§7) says ≥ 1 when present, absent = no heartbeats wanted. */
  heartbeat_interval: z.number().min(1).optional(),
  measurement_configuration: z
    .array(MeasurementConfiguration)
    .refine((list) => new Set(list).size === list.length, 'measurement_configuration items must be unique'),
});
export type RequiredBehaviour = z.infer<typeof RequiredBehaviour>;

export const Handshake = z.looseObject({ required_behaviour: RequiredBehaviour.optional() });
export type Handshake = z.infer<typeof Handshake>;

export const HandshakeAcknowledge = z.looseObject({ required_behaviour: RequiredBehaviour.optional() });
export type HandshakeAcknowledge = z.infer<typeof HandshakeAcknowledge>;

export const Heartbeat = z.looseObject({ offline_mode_at: DateTimeString });
export type Heartbeat = z.infer<typeof Heartbeat>;

export const ForecastedBlock = z
  .looseObject({
    capacity: z.number().min(0),
    phase: PhaseIndicator,
    unit: ForecastedBlockUnit,
    start_time: DateTimeString,
    end_time: DateTimeString,
  })
  .refine((block) => Date.parse(block.end_time) > Date.parse(block.start_time), 'end_time must be after start_time');
export type ForecastedBlock = z.infer<typeof ForecastedBlock>;

/** UpdateGroupCapacityForecast and AdjustGroupCapacityForecast share this shape. */
export const GroupCapacityForecast = z.looseObject({
  group_id: z.string().min(1, 'group_id must not be empty'),
  type: CapacityForecastType,
  forecasted_blocks: z.array(ForecastedBlock).min(1),
});
export type GroupCapacityForecast = z.infer<typeof GroupCapacityForecast>;

export const GroupCapacityComplianceError = z.looseObject({
  message: z.string().min(1, 'message must not be empty'),
  forecasted_blocks: z.array(ForecastedBlock).min(1).optional(),
});
export type GroupCapacityComplianceError = z.infer<typeof GroupCapacityComplianceError>;

export const EnergyMeasurement = z.looseObject({
  value: z.number(),
  phase: PhaseIndicator,
  unit: z.enum(['WH', 'KWH']),
  direction: z.enum(['NET', 'IMPORT', 'EXPORT']),
  energy_type: z.enum(['FLEXIBLE', 'NONFLEXIBLE', 'TOTAL']).optional(),
  measure_time: DateTimeString,
  initial_measure_time: DateTimeString.optional(),
});
export type EnergyMeasurement = z.infer<typeof EnergyMeasurement>;

export const UpdateGroupMeasurements = z.looseObject({
  group_id: z.string().min(1, 'group_id must not be empty'),
  measurements: z.array(EnergyMeasurement).min(1),
});
export type UpdateGroupMeasurements = z.infer<typeof UpdateGroupMeasurements>;

/** Body schema per endpoint the CP serves; `register` may come without a body on DELETE (§6.1). */
export const ReceivedBodies = {
  register: Register.optional(),
  handshake: Handshake,
  handshake_acknowledge: HandshakeAcknowledge,
  heartbeat: Heartbeat,
  update_group_measurements: UpdateGroupMeasurements,
  adjust_group_capacity_forecast: GroupCapacityForecast,
  group_capacity_compliance_error: GroupCapacityComplianceError,
} as const;
export type ReceivedKind = keyof typeof ReceivedBodies;
export type ReceivedBody<K extends ReceivedKind> = z.infer<(typeof ReceivedBodies)[K]>;
export const RECEIVED_KINDS: readonly ReceivedKind[] = [
  'register',
  'handshake',
  'handshake_acknowledge',
  'heartbeat',
  'update_group_measurements',
  'adjust_group_capacity_forecast',
  'group_capacity_compliance_error',
];

/** Paths the CP calls on the FP. */
export type SentKind = 'register' | 'handshake' | 'handshake_acknowledge' | 'heartbeat' | 'update_group_capacity_forecast';

export type HttpMethod = 'POST' | 'PUT' | 'DELETE';

export const OSCP_VERSION = '2.0';
