// What differs between a lean 2.0.1 and a lean 1.6 load-test station: subprotocol, set-up messages, the hot frame,
// the answers to the agent's calls and the triggers; the socket, pacing and one-call-in-flight rule are shared.
import {
  bootNotification,
  getVariablesResult,
  meterValuesFrame,
  profileSeen,
  statusNotification,
  transactionStarted,
  transactionTriggered,
  transactionUpdatedFrame,
  type ProfileSeen,
} from './frames';
import {
  bootNotificationV16,
  getConfigurationResult,
  meterValuesFrameV16,
  profileSeenV16,
  startedTransactionId,
  startTransactionV16,
  statusNotificationV16,
  stopTransactionV16,
} from './frames-v16';
import type { LoadMessage, StationProtocol } from './options';

export type SetupAction =
  | 'BootNotification'
  | 'StatusNotification'
  | 'TransactionEvent'
  | 'MeterValues'
  | 'Heartbeat'
  | 'StartTransaction'
  | 'StopTransaction'
  | 'FirmwareStatusNotification'
  | 'DiagnosticsStatusNotification';

export interface SetupMessage {
  readonly action: SetupAction;
  readonly payload: () => object;
}

/** A lean station's meter and transaction, as both dialects read and write it. */
export interface LeanMeter {
  energyWh: number;
  currentA: number;
  /** 2.0.1: the station's own transaction id. */
  readonly transactionId: string;
  seqNo: number;
  /** 1.6: the CSMS's id from StartTransaction.conf, -1 until it came. */
  csmsTransactionId: number;
}

export interface LeanDialect {
  readonly subprotocol: 'ocpp2.0.1' | 'ocpp1.6';
  boot(triggered: boolean): object;
  /** Once the boot is accepted: the status, then the transaction start unless it started on an earlier connection. */
  afterBoot(now: () => string, meter: LeanMeter, started: boolean): SetupMessage[];
  /** The set-up message whose answer makes the station ready. */
  readonly startAction: SetupAction;
  onStarted(answer: Buffer, meter: LeanMeter): void;
  loadFrame(message: LoadMessage, callId: string, timestamp: string, meter: LeanMeter): string;
  /** The answer to a CSMS call other than Set/ClearChargingProfile and TriggerMessage; undefined: NotImplemented. */
  answer(action: string, params: unknown): object | undefined;
  profileSeen(params: unknown): ProfileSeen | undefined;
  triggers(now: () => string, meter: LeanMeter): Partial<Record<string, SetupMessage>>;
  /** A triggered message the station sends while its boot is Pending. */
  allowedWhilePending(action: SetupAction): boolean;
  /** A triggered message that needs the started transaction. */
  needsTransaction(action: SetupAction): boolean;
  /** Sent before the socket closes at the end of a run (1.6: the session ends), if any. */
  farewell?(now: () => string, meter: LeanMeter): SetupMessage;
}

export const V201: LeanDialect = {
  subprotocol: 'ocpp2.0.1',
  boot: (triggered) => bootNotification(triggered ? 'Triggered' : 'PowerUp'),
  afterBoot: (now, meter, started) => [
    { action: 'StatusNotification', payload: () => statusNotification(now()) },
    ...(started ? [] : [{ action: 'TransactionEvent' as const, payload: () => transactionStarted(now(), meter) }]),
  ],
  startAction: 'TransactionEvent',
  onStarted: () => undefined,
  loadFrame: (message, callId, timestamp, meter) =>
    message === 'MeterValues'
      ? meterValuesFrame(callId, timestamp, meter)
      : transactionUpdatedFrame(callId, timestamp, { ...meter, seqNo: ++meter.seqNo }),
  answer: (action, params) => (action === 'GetVariables' ? getVariablesResult(params) : undefined),
  profileSeen,
  triggers: (now, meter) => ({
    BootNotification: { action: 'BootNotification', payload: () => bootNotification('Triggered') },
    StatusNotification: { action: 'StatusNotification', payload: () => statusNotification(now()) },
    Heartbeat: { action: 'Heartbeat', payload: () => ({}) },
    TransactionEvent: { action: 'TransactionEvent', payload: () => transactionTriggered(now(), { ...meter, seqNo: ++meter.seqNo }) },
    MeterValues: {
      action: 'MeterValues',
      payload: () => ({ evseId: 1, meterValue: [{ timestamp: now(), sampledValue: [{ value: Math.round(meter.energyWh) }] }] }),
    },
  }),
  // While Pending only a boot is welcome (B02.FR.02).
  allowedWhilePending: (action) => action === 'BootNotification',
  needsTransaction: (action) => action === 'TransactionEvent',
};

const meterV16 = (meter: LeanMeter): { energyWh: number; currentA: number; transactionId: number } => ({
  energyWh: meter.energyWh,
  currentA: meter.currentA,
  transactionId: meter.csmsTransactionId,
});

export const V16: LeanDialect = {
  subprotocol: 'ocpp1.6',
  boot: () => bootNotificationV16(),
  afterBoot: (now, meter, started) => [
    { action: 'StatusNotification', payload: () => statusNotificationV16(0, 'Available', now()) },
    { action: 'StatusNotification', payload: () => statusNotificationV16(1, 'Charging', now()) },
    ...(started ? [] : [{ action: 'StartTransaction' as const, payload: () => startTransactionV16(now(), meterV16(meter)) }]),
  ],
  startAction: 'StartTransaction',
  onStarted: (answer, meter) => {
    meter.csmsTransactionId = startedTransactionId(answer);
  },
  // 1.6 has no TransactionEvent: MeterValues with the transactionId is its transaction message either way.
  loadFrame: (_message, callId, timestamp, meter) => meterValuesFrameV16(callId, timestamp, meterV16(meter)),
  answer: (action, params) =>
    action === 'GetConfiguration'
      ? getConfigurationResult(params)
      : action === 'ChangeConfiguration'
        ? { status: 'Rejected' }
        : action === 'DataTransfer'
          ? { status: 'UnknownVendorId' }
          : undefined,
  profileSeen: profileSeenV16,
  triggers: (now, meter) => ({
    BootNotification: { action: 'BootNotification', payload: () => bootNotificationV16() },
    StatusNotification: { action: 'StatusNotification', payload: () => statusNotificationV16(1, 'Charging', now()) },
    Heartbeat: { action: 'Heartbeat', payload: () => ({}) },
    MeterValues: {
      action: 'MeterValues',
      payload: () => ({
        connectorId: 1,
        meterValue: [{ timestamp: now(), sampledValue: [{ value: String(Math.round(meter.energyWh)), context: 'Trigger', unit: 'Wh' }] }],
      }),
    },
    FirmwareStatusNotification: { action: 'FirmwareStatusNotification', payload: () => ({ status: 'Idle' }) },
    DiagnosticsStatusNotification: { action: 'DiagnosticsStatusNotification', payload: () => ({ status: 'Idle' }) },
  }),
  // 1.6 §4.2: while Pending the station sends only what the CSMS triggers.
  allowedWhilePending: () => true,
  needsTransaction: () => false,
  farewell: (now, meter) => ({ action: 'StopTransaction', payload: () => stopTransactionV16(now(), meterV16(meter)) }),
};

export function dialectOf(protocol: StationProtocol): LeanDialect {
  return protocol === '1.6' ? V16 : V201;
}
