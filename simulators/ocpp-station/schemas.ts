// Wire shapes (zod) of the OCPP 2.0.1 messages the simulated station receives or reads answers of.
// ocpp-rpc strict mode already checks them against the OCA schemas; zod gives us the TypeScript types.
import { z } from 'zod';

export const ChargingRateUnit = z.enum(['A', 'W']);
export type ChargingRateUnit = z.infer<typeof ChargingRateUnit>;

export const ChargingProfilePurpose = z.enum([
  'ChargingStationExternalConstraints',
  'ChargingStationMaxProfile',
  'TxDefaultProfile',
  'TxProfile',
]);
export type ChargingProfilePurpose = z.infer<typeof ChargingProfilePurpose>;

export const ChargingProfileKind = z.enum(['Absolute', 'Recurring', 'Relative']);
export type ChargingProfileKind = z.infer<typeof ChargingProfileKind>;

export const ChargingSchedulePeriod = z.looseObject({
  startPeriod: z.number().int(),
  limit: z.number(),
  numberPhases: z.number().int().min(1).max(3).optional(),
  phaseToUse: z.number().int().min(1).max(3).optional(),
});
export type ChargingSchedulePeriod = z.infer<typeof ChargingSchedulePeriod>;

export const ChargingSchedule = z.looseObject({
  id: z.number().int(),
  startSchedule: z.string().optional(),
  duration: z.number().int().optional(),
  chargingRateUnit: ChargingRateUnit,
  chargingSchedulePeriod: z.array(ChargingSchedulePeriod).min(1),
  minChargingRate: z.number().optional(),
});
export type ChargingSchedule = z.infer<typeof ChargingSchedule>;

export const ChargingProfile = z.looseObject({
  id: z.number().int(),
  stackLevel: z.number().int().min(0),
  chargingProfilePurpose: ChargingProfilePurpose,
  chargingProfileKind: ChargingProfileKind,
  recurrencyKind: z.enum(['Daily', 'Weekly']).optional(),
  validFrom: z.string().optional(),
  validTo: z.string().optional(),
  transactionId: z.string().max(36).optional(),
  chargingSchedule: z.array(ChargingSchedule).min(1).max(3),
});
export type ChargingProfile = z.infer<typeof ChargingProfile>;

export const SetChargingProfileRequest = z.looseObject({
  evseId: z.number().int().min(0),
  chargingProfile: ChargingProfile,
});

export const ClearChargingProfileRequest = z.looseObject({
  chargingProfileId: z.number().int().optional(),
  chargingProfileCriteria: z
    .looseObject({
      evseId: z.number().int().min(0).optional(),
      chargingProfilePurpose: ChargingProfilePurpose.optional(),
      stackLevel: z.number().int().min(0).optional(),
    })
    .optional(),
});
export type ClearChargingProfileRequest = z.infer<typeof ClearChargingProfileRequest>;

export const ChargingLimitSource = z.enum(['EMS', 'Other', 'SO', 'CSO']);
export type ChargingLimitSource = z.infer<typeof ChargingLimitSource>;

export const GetChargingProfilesRequest = z.looseObject({
  requestId: z.number().int(),
  evseId: z.number().int().min(0).optional(),
  chargingProfile: z.looseObject({
    chargingProfilePurpose: ChargingProfilePurpose.optional(),
    stackLevel: z.number().int().min(0).optional(),
    chargingProfileId: z.array(z.number().int()).optional(),
    chargingLimitSource: z.array(ChargingLimitSource).optional(),
  }),
});
export type GetChargingProfilesRequest = z.infer<typeof GetChargingProfilesRequest>;

export const GetCompositeScheduleRequest = z.looseObject({
  duration: z.number().int(),
  evseId: z.number().int().min(0),
  chargingRateUnit: ChargingRateUnit.optional(),
});

export const ComponentVariable = z.looseObject({
  component: z.looseObject({ name: z.string(), instance: z.string().optional() }),
  variable: z.looseObject({ name: z.string(), instance: z.string().optional() }),
  attributeType: z.enum(['Actual', 'Target', 'MinSet', 'MaxSet']).optional(),
});
export type ComponentVariable = z.infer<typeof ComponentVariable>;

export const GetVariablesRequest = z.looseObject({ getVariableData: z.array(ComponentVariable).min(1) });

export const SetVariablesRequest = z.looseObject({
  setVariableData: z.array(ComponentVariable.extend({ attributeValue: z.string() })).min(1),
});

export const TriggerMessageRequest = z.looseObject({
  requestedMessage: z.string(),
  evse: z.looseObject({ id: z.number().int(), connectorId: z.number().int().optional() }).optional(),
});

export const BootNotificationResponse = z.looseObject({
  currentTime: z.string(),
  interval: z.number().int(),
  status: z.enum(['Accepted', 'Pending', 'Rejected']),
});

export const HeartbeatResponse = z.looseObject({ currentTime: z.string() });
