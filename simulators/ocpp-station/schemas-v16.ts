// Wire shapes (zod) of the OCPP 1.6J messages a simulated 1.6 station receives or reads answers of.
// ocpp-rpc strict mode already checks them against the 1.6 JSON schemas; zod gives us the TypeScript types.
import { z } from 'zod';
import { ChargingProfileKind, ChargingRateUnit } from './schemas';

export const ChargingProfilePurposeV16 = z.enum(['ChargePointMaxProfile', 'TxDefaultProfile', 'TxProfile']);
export type ChargingProfilePurposeV16 = z.infer<typeof ChargingProfilePurposeV16>;

export const ChargingScheduleV16 = z.looseObject({
  duration: z.number().int().optional(),
  startSchedule: z.string().optional(),
  chargingRateUnit: ChargingRateUnit,
  chargingSchedulePeriod: z
    .array(z.looseObject({ startPeriod: z.number().int(), limit: z.number(), numberPhases: z.number().int().optional() }))
    .min(1),
  minChargingRate: z.number().optional(),
});
export type ChargingScheduleV16 = z.infer<typeof ChargingScheduleV16>;

export const CsChargingProfiles = z.looseObject({
  chargingProfileId: z.number().int(),
  transactionId: z.number().int().optional(),
  stackLevel: z.number().int().min(0),
  chargingProfilePurpose: ChargingProfilePurposeV16,
  chargingProfileKind: ChargingProfileKind,
  recurrencyKind: z.enum(['Daily', 'Weekly']).optional(),
  validFrom: z.string().optional(),
  validTo: z.string().optional(),
  chargingSchedule: ChargingScheduleV16,
});
export type CsChargingProfiles = z.infer<typeof CsChargingProfiles>;

export const SetChargingProfileRequestV16 = z.looseObject({ connectorId: z.number().int().min(0), csChargingProfiles: CsChargingProfiles });

export const ClearChargingProfileRequestV16 = z.looseObject({
  id: z.number().int().optional(),
  connectorId: z.number().int().min(0).optional(),
  chargingProfilePurpose: ChargingProfilePurposeV16.optional(),
  stackLevel: z.number().int().min(0).optional(),
});
export type ClearChargingProfileRequestV16 = z.infer<typeof ClearChargingProfileRequestV16>;

export const GetCompositeScheduleRequestV16 = z.looseObject({
  connectorId: z.number().int().min(0),
  duration: z.number().int().min(0),
  chargingRateUnit: ChargingRateUnit.optional(),
});

export const GetConfigurationRequest = z.looseObject({ key: z.array(z.string()).optional() });
export const ChangeConfigurationRequest = z.looseObject({ key: z.string(), value: z.string() });

export const TriggerMessageRequestV16 = z.looseObject({
  requestedMessage: z.enum([
    'BootNotification',
    'DiagnosticsStatusNotification',
    'FirmwareStatusNotification',
    'Heartbeat',
    'MeterValues',
    'StatusNotification',
  ]),
  connectorId: z.number().int().min(0).optional(),
});

export const RemoteStartTransactionRequest = z.looseObject({
  idTag: z.string().max(20),
  connectorId: z.number().int().optional(),
  chargingProfile: CsChargingProfiles.optional(),
});
export const RemoteStopTransactionRequest = z.looseObject({ transactionId: z.number().int() });
export const ResetRequest = z.looseObject({ type: z.enum(['Hard', 'Soft']) });
export const ChangeAvailabilityRequest = z.looseObject({
  connectorId: z.number().int().min(0),
  type: z.enum(['Inoperative', 'Operative']),
});
export const UnlockConnectorRequest = z.looseObject({ connectorId: z.number().int() });

export const BootNotificationResponseV16 = z.looseObject({
  currentTime: z.string(),
  interval: z.number().int(),
  status: z.enum(['Accepted', 'Pending', 'Rejected']),
});

export const StartTransactionResponse = z.looseObject({
  idTagInfo: z.looseObject({ status: z.string() }),
  transactionId: z.number().int(),
});
