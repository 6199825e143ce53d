// Schema-valid station→CSMS requests for every action the CSMS simulator answers (2.0.1 and 1.6), and the
// official OCA JSON schemas (as bundled with ocpp-rpc) to check requests and responses against.
import { createValidator } from 'ocpp-rpc';
import schemas16 from 'ocpp-rpc/lib/schemas/ocpp1_6.json';
import schemas201 from 'ocpp-rpc/lib/schemas/ocpp2_0_1.json';

const validators = { '2.0.1': createValidator('ocpp2.0.1', schemas201), '1.6': createValidator('ocpp1.6', schemas16) };

/** Throws with the schema's complaint when `payload` is not a valid `<action>.req` / `.conf` of that version. */
export function validate(version: '2.0.1' | '1.6', action: string, kind: 'req' | 'conf', payload: unknown): void {
  validators[version].validate(`urn:${action}.${kind}`, payload);
}

const at = '2026-03-02T10:00:00.000Z';
const idToken = { idToken: 'TAG-1', type: 'ISO14443' };
const profile = {
  id: 1,
  stackLevel: 0,
  chargingProfilePurpose: 'ChargingStationMaxProfile',
  chargingProfileKind: 'Absolute',
  chargingSchedule: [{ id: 1, startSchedule: at, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 32 }] }],
};

export const V201_REQUESTS: Record<string, Record<string, unknown>> = {
  BootNotification: { reason: 'PowerUp', chargingStation: { model: 'SIM-AC', vendorName: 'Flexbridge' } },
  Heartbeat: {},
  StatusNotification: { timestamp: at, connectorStatus: 'Available', evseId: 1, connectorId: 1 },
  TransactionEvent: {
    eventType: 'Started',
    timestamp: at,
    triggerReason: 'Authorized',
    seqNo: 0,
    transactionInfo: { transactionId: 'tx-1' },
    idToken,
    evse: { id: 1, connectorId: 1 },
  },
  MeterValues: { evseId: 1, meterValue: [{ timestamp: at, sampledValue: [{ value: 1234 }] }] },
  Authorize: { idToken },
  NotifyEvent: {
    generatedAt: at,
    seqNo: 0,
    eventData: [
      {
        eventId: 1,
        timestamp: at,
        trigger: 'Alerting',
        actualValue: 'true',
        eventNotificationType: 'HardWiredNotification',
        component: { name: 'EVSE' },
        variable: { name: 'Problem' },
      },
    ],
  },
  NotifyReport: { requestId: 1, generatedAt: at, seqNo: 0 },
  NotifyMonitoringReport: { requestId: 1, generatedAt: at, seqNo: 0 },
  NotifyCustomerInformation: { data: 'no data', seqNo: 0, generatedAt: at, requestId: 1 },
  NotifyDisplayMessages: { requestId: 1 },
  SecurityEventNotification: { type: 'StartupOfTheDevice', timestamp: at },
  FirmwareStatusNotification: { status: 'Installed' },
  PublishFirmwareStatusNotification: { status: 'Idle' },
  LogStatusNotification: { status: 'Idle' },
  ReservationStatusUpdate: { reservationId: 1, reservationUpdateStatus: 'Expired' },
  NotifyEVChargingNeeds: {
    evseId: 1,
    chargingNeeds: {
      requestedEnergyTransfer: 'AC_three_phase',
      acChargingParameters: { energyAmount: 20000, evMinCurrent: 6, evMaxCurrent: 32, evMaxVoltage: 400 },
    },
  },
  NotifyEVChargingSchedule: {
    timeBase: at,
    evseId: 1,
    chargingSchedule: { id: 1, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
  },
  NotifyChargingLimit: { chargingLimit: { chargingLimitSource: 'EMS' } },
  ClearedChargingLimit: { chargingLimitSource: 'EMS' },
  ReportChargingProfiles: { requestId: 1, chargingLimitSource: 'CSO', evseId: 0, chargingProfile: [profile] },
  DataTransfer: { vendorId: 'com.example.vendor' },
  SignCertificate: { csr: '-----BEGIN CERTIFICATE REQUEST-----MIIB-----END CERTIFICATE REQUEST-----' },
  Get15118EVCertificate: { iso15118SchemaVersion: 'urn:iso:15118:2:2013:MsgDef', action: 'Install', exiRequest: 'AAAA' },
  GetCertificateStatus: {
    ocspRequestData: {
      hashAlgorithm: 'SHA256',
      issuerNameHash: 'aa',
      issuerKeyHash: 'bb',
      serialNumber: '01',
      responderURL: 'http://ocsp.example',
    },
  },
};

export const V16_REQUESTS: Record<string, Record<string, unknown>> = {
  BootNotification: { chargePointVendor: 'Flexbridge', chargePointModel: 'SIM-16' },
  Heartbeat: {},
  StatusNotification: { connectorId: 1, errorCode: 'NoError', status: 'Available' },
  Authorize: { idTag: 'TAG-1' },
  StartTransaction: { connectorId: 1, idTag: 'TAG-1', meterStart: 0, timestamp: at },
  StopTransaction: { meterStop: 1000, timestamp: at, transactionId: 1, idTag: 'TAG-1' },
  MeterValues: { connectorId: 1, transactionId: 1, meterValue: [{ timestamp: at, sampledValue: [{ value: '1234' }] }] },
  DataTransfer: { vendorId: 'com.example.vendor' },
  DiagnosticsStatusNotification: { status: 'Idle' },
  FirmwareStatusNotification: { status: 'Idle' },
  SecurityEventNotification: { type: 'StartupOfTheDevice', timestamp: at },
  SignedFirmwareStatusNotification: { status: 'Idle' },
  LogStatusNotification: { status: 'Idle' },
  SignCertificate: { csr: '-----BEGIN CERTIFICATE REQUEST-----MIIB-----END CERTIFICATE REQUEST-----' },
};
