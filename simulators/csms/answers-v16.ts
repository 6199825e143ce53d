// Answers to the OCPP 1.6 Charge Point→Central System messages (1.6 edition 2 §6 and the security whitepaper's
// additions), schema-valid per the 1.6 JSON schemas; StartTransaction gets an id unique across all stations.
import { z } from 'zod';
import { action, type ActionHandler } from './answers';

const Text = z.string();
const Int = z.number().int();

function acknowledged(shape: z.ZodRawShape): ActionHandler {
  return action(z.looseObject(shape), () => ({}));
}

export const V16_ANSWERS: Readonly<Record<string, ActionHandler>> = {
  BootNotification: action(z.looseObject({ chargePointVendor: Text, chargePointModel: Text }), (_request, context) => {
    const { status, intervalS } = context.nextBoot();
    return { status, currentTime: context.nowIso(), interval: intervalS };
  }),
  Heartbeat: action(z.looseObject({}), (_request, context) => ({ currentTime: context.nowIso() })),
  StatusNotification: acknowledged({ connectorId: Int, errorCode: Text, status: Text }),
  Authorize: action(z.looseObject({ idTag: Text }), (request, context) => ({ idTagInfo: { status: context.authorize(request.idTag) } })),
  StartTransaction: action(z.looseObject({ connectorId: Int, idTag: Text, meterStart: Int, timestamp: Text }), (request, context) => {
    const transactionId = context.newTransactionId();
    context.transactionSeen(transactionId, false);
    return { idTagInfo: { status: context.authorize(request.idTag) }, transactionId };
  }),
  StopTransaction: action(
    z.looseObject({ meterStop: Int, timestamp: Text, transactionId: Int, idTag: Text.optional() }),
    (request, context) => {
      context.transactionSeen(request.transactionId, true);
      // idTagInfo is optional and only meaningful when the stop was authorized with an idTag.
      return request.idTag === undefined ? {} : { idTagInfo: { status: context.authorize(request.idTag) } };
    },
  ),
  MeterValues: acknowledged({ connectorId: Int, meterValue: z.array(z.unknown()).min(1) }),
  DataTransfer: action(z.looseObject({ vendorId: Text }), () => ({ status: 'UnknownVendorId' })),
  DiagnosticsStatusNotification: acknowledged({ status: Text }),
  FirmwareStatusNotification: acknowledged({ status: Text }),
  SecurityEventNotification: acknowledged({ type: Text, timestamp: Text }),
  SignedFirmwareStatusNotification: acknowledged({ status: Text }),
  LogStatusNotification: acknowledged({ status: Text }),
  SignCertificate: action(z.looseObject({ csr: Text }), () => ({ status: 'Accepted' })),
};
