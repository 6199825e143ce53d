// Answers to every OCPP 2.0.1 station→CSMS message, schema-valid per the OCA 2.0.1 response schemas: one
// entry per action; the request schemas list only the required fields (and those an answer reads).
import { z } from 'zod';
import { action, type ActionHandler } from './answers';

const Text = z.string();
const Int = z.number().int();
const IdToken = z.looseObject({ idToken: Text, type: Text });

/** Acknowledged with an empty response: every field of these responses is optional or there is none. */
function acknowledged(shape: z.ZodRawShape): ActionHandler {
  return action(z.looseObject(shape), () => ({}));
}

export const V201_ANSWERS: Readonly<Record<string, ActionHandler>> = {
  BootNotification: action(
    z.looseObject({ reason: Text, chargingStation: z.looseObject({ model: Text, vendorName: Text }) }),
    (_request, context) => {
      const { status, intervalS } = context.nextBoot();
      return { currentTime: context.nowIso(), interval: intervalS, status };
    },
  ),
  Heartbeat: action(z.looseObject({}), (_request, context) => ({ currentTime: context.nowIso() })),
  StatusNotification: acknowledged({ timestamp: Text, connectorStatus: Text, evseId: Int, connectorId: Int }),
  TransactionEvent: action(
    z.looseObject({
      eventType: z.enum(['Started', 'Updated', 'Ended']),
      timestamp: Text,
      triggerReason: Text,
      seqNo: Int,
      transactionInfo: z.looseObject({ transactionId: Text }),
      idToken: IdToken.optional(),
    }),
    (request, context) => {
      context.transactionSeen(request.transactionInfo.transactionId, request.eventType === 'Ended');
      // idTokenInfo only answers an idToken; sending it otherwise would authorize nothing and confuse a strict station.
      return request.idToken === undefined ? {} : { idTokenInfo: { status: context.authorize(request.idToken.idToken) } };
    },
  ),
  MeterValues: acknowledged({ evseId: Int, meterValue: z.array(z.unknown()).min(1) }),
  Authorize: action(z.looseObject({ idToken: IdToken }), (request, context) => ({
    idTokenInfo: { status: context.authorize(request.idToken.idToken) },
  })),
  NotifyEvent: acknowledged({ generatedAt: Text, seqNo: Int, eventData: z.array(z.unknown()).min(1) }),
  NotifyReport: acknowledged({ requestId: Int, generatedAt: Text, seqNo: Int }),
  NotifyMonitoringReport: acknowledged({ requestId: Int, generatedAt: Text, seqNo: Int }),
  NotifyCustomerInformation: acknowledged({ data: Text, seqNo: Int, generatedAt: Text, requestId: Int }),
  NotifyDisplayMessages: acknowledged({ requestId: Int }),
  SecurityEventNotification: acknowledged({ type: Text, timestamp: Text }),
  FirmwareStatusNotification: acknowledged({ status: Text }),
  PublishFirmwareStatusNotification: acknowledged({ status: Text }),
  LogStatusNotification: acknowledged({ status: Text }),
  ReservationStatusUpdate: acknowledged({ reservationId: Int, reservationUpdateStatus: Text }),
  NotifyEVChargingNeeds: action(z.looseObject({ evseId: Int, chargingNeeds: z.looseObject({ requestedEnergyTransfer: Text }) }), () => ({
    status: 'Accepted',
  })),
  NotifyEVChargingSchedule: action(z.looseObject({ timeBase: Text, evseId: Int, chargingSchedule: z.looseObject({}) }), () => ({
    status: 'Accepted',
  })),
  NotifyChargingLimit: acknowledged({ chargingLimit: z.looseObject({ chargingLimitSource: Text }) }),
  ClearedChargingLimit: acknowledged({ chargingLimitSource: Text }),
  ReportChargingProfiles: acknowledged({
    requestId: Int,
    chargingLimitSource: Text,
    evseId: Int,
    chargingProfile: z.array(z.unknown()).min(1),
  }),
  // No vendor extensions here: UnknownVendorId is the answer the spec gives for a vendorId we do not know.
  DataTransfer: action(z.looseObject({ vendorId: Text }), () => ({ status: 'UnknownVendorId' })),
  // Accepted only says the CSR will be forwarded to a CA; no CertificateSigned follows from the simulator.
  SignCertificate: action(z.looseObject({ csr: Text }), () => ({ status: 'Accepted' })),
  Get15118EVCertificate: action(z.looseObject({ iso15118SchemaVersion: Text, action: Text, exiRequest: Text }), () => ({
    status: 'Failed',
    exiResponse: '',
  })),
  GetCertificateStatus: action(z.looseObject({ ocspRequestData: z.looseObject({}) }), () => ({ status: 'Failed' })),
};
