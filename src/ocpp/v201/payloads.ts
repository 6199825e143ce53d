// zod views of the OCPP 2.0.1 payloads flexbridge reads. ocpp-rpc's strict mode has already checked them against
// the official schemas; these give typed values without casts and cover only the fields the agent uses.
import { z } from 'zod';
import { CHARGING_STATES } from '../../domain/session';

const SampledValue = z.object({
  value: z.number(),
  measurand: z.string().optional(),
  phase: z.string().optional(),
  unitOfMeasure: z.object({ unit: z.string().optional(), multiplier: z.number().int().optional() }).optional(),
});
export type SampledValue = z.infer<typeof SampledValue>;

export const MeterValue = z.object({ timestamp: z.string(), sampledValue: z.array(SampledValue) });
export type MeterValue = z.infer<typeof MeterValue>;

export const BootNotificationRequest = z.object({
  reason: z.string(),
  chargingStation: z.object({
    model: z.string(),
    vendorName: z.string(),
    serialNumber: z.string().optional(),
    firmwareVersion: z.string().optional(),
  }),
});

export const StatusNotificationRequest = z.object({
  timestamp: z.string(),
  connectorStatus: z.enum(['Available', 'Occupied', 'Reserved', 'Unavailable', 'Faulted']),
  evseId: z.number().int(),
  connectorId: z.number().int(),
});

export const TransactionEventRequest = z.object({
  eventType: z.enum(['Started', 'Updated', 'Ended']),
  timestamp: z.string(),
  triggerReason: z.string(),
  seqNo: z.number().int(),
  offline: z.boolean().optional(),
  numberOfPhasesUsed: z.number().int().optional(),
  transactionInfo: z.object({
    transactionId: z.string(),
    chargingState: z.enum(CHARGING_STATES).optional(),
    stoppedReason: z.string().optional(),
  }),
  evse: z.object({ id: z.number().int(), connectorId: z.number().int().optional() }).optional(),
  idToken: z.object({ idToken: z.string(), type: z.string() }).optional(),
  meterValue: z.array(MeterValue).optional(),
});
export type TransactionEventRequest = z.infer<typeof TransactionEventRequest>;

export const MeterValuesRequest = z.object({ evseId: z.number().int(), meterValue: z.array(MeterValue) });

export const NotifyEVChargingNeedsRequest = z.object({
  evseId: z.number().int(),
  chargingNeeds: z.object({
    requestedEnergyTransfer: z.string(),
    departureTime: z.string().optional(),
    acChargingParameters: z
      .object({ energyAmount: z.number(), evMinCurrent: z.number(), evMaxCurrent: z.number(), evMaxVoltage: z.number() })
      .optional(),
    dcChargingParameters: z
      .object({ evMaxCurrent: z.number(), energyAmount: z.number().optional(), evMaxPower: z.number().optional() })
      .optional(),
  }),
});

export const NotifyChargingLimitRequest = z.object({
  evseId: z.number().int().optional(),
  chargingLimit: z.object({ chargingLimitSource: z.string(), isGridCritical: z.boolean().optional() }),
});

export const ReportChargingProfilesRequest = z.object({
  requestId: z.number().int(),
  chargingLimitSource: z.string(),
  evseId: z.number().int(),
  chargingProfile: z.array(z.record(z.string(), z.unknown())),
  tbc: z.boolean().optional(),
});

export const NotifyReportRequest = z.object({
  requestId: z.number().int(),
  seqNo: z.number().int(),
  tbc: z.boolean().optional(),
  reportData: z
    .array(
      z.object({
        component: z.object({ name: z.string() }),
        variable: z.object({ name: z.string(), instance: z.string().optional() }),
        variableAttribute: z.array(z.object({ type: z.string().optional(), value: z.string().optional() })),
        variableCharacteristics: z.object({ maxLimit: z.number().optional() }).optional(),
      }),
    )
    .optional(),
});

export const GetVariablesResponse = z.object({
  getVariableResult: z.array(
    z.object({
      attributeStatus: z.string(),
      attributeValue: z.string().optional(),
      component: z.object({ name: z.string() }),
      variable: z.object({ name: z.string(), instance: z.string().optional() }),
    }),
  ),
});

export const StatusResponse = z.object({
  status: z.string(),
  statusInfo: z.object({ reasonCode: z.string(), additionalInfo: z.string().optional() }).optional(),
});
export const AuthorizeRequest = z.object({ idToken: z.object({ idToken: z.string(), type: z.string() }) });
