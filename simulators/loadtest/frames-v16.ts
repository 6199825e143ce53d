// OCPP-J frames of a lean load-test station in OCPP 1.6 form: the hot MeterValues frame built as a string, the
// set-up messages (boot, status, Start/StopTransaction) and minimal schema-valid answers to the agent's calls.
import { scheduleEndMs, type ProfileSeen } from './frames';

/** What a 1.6 frame needs to know about its station right now. */
export interface MeterStateV16 {
  readonly energyWh: number;
  /** Current drawn on each of the three phases, A. */
  readonly currentA: number;
  /** From StartTransaction.conf; -1 until then (E16 3.18). */
  readonly transactionId: number;
}

function sampledValues(meter: MeterStateV16, context: string): string {
  const current = (phase: string): string =>
    `{"value":"${meter.currentA}","context":"${context}","measurand":"Current.Import","phase":"${phase}","unit":"A"}`;
  return (
    `[{"value":"${Math.round(meter.energyWh)}","context":"${context}","measurand":"Energy.Active.Import.Register","unit":"Wh"},` +
    `${current('L1')},${current('L2')},${current('L3')},` +
    `{"value":"${meter.currentA}","context":"${context}","measurand":"Current.Offered","unit":"A"},` +
    `{"value":"${Math.round(meter.currentA * 3 * 230)}","context":"${context}","measurand":"Power.Active.Import","unit":"W"}]`
  );
}

/** MeterValues of connector 1's transaction (1.6 §4.7: periodic samples). */
export function meterValuesFrameV16(callId: string, timestamp: string, meter: MeterStateV16): string {
  return (
    `[2,"${callId}","MeterValues",{"connectorId":1,"transactionId":${meter.transactionId},` +
    `"meterValue":[{"timestamp":"${timestamp}","sampledValue":${sampledValues(meter, 'Sample.Periodic')}}]}]`
  );
}

export function bootNotificationV16(): object {
  return { chargePointVendor: 'flexbridge-load', chargePointModel: 'LoadGen AC 1.6' };
}

export function statusNotificationV16(connectorId: number, status: string, timestamp: string): object {
  return { connectorId, errorCode: 'NoError', status, timestamp };
}

export function startTransactionV16(timestamp: string, meter: MeterStateV16): object {
  return { connectorId: 1, idTag: 'LOADGEN', meterStart: Math.round(meter.energyWh), timestamp };
}

export function stopTransactionV16(timestamp: string, meter: MeterStateV16): object {
  return { transactionId: meter.transactionId, meterStop: Math.round(meter.energyWh), timestamp, reason: 'Local' };
}

/** The transactionId of a StartTransaction.conf frame `[3, id, {…, transactionId}]`, or -1. */
export function startedTransactionId(data: Buffer): number {
  try {
    const frame: unknown = JSON.parse(data.toString('utf8'));
    const payload: unknown = Array.isArray(frame) ? frame[2] : undefined;
    const id: unknown = typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'transactionId') : undefined;
    return typeof id === 'number' && Number.isInteger(id) ? id : -1;
  } catch {
    return -1;
  }
}

/** The keys the agent reads while the station is Pending (digest §4): stack levels 0–3, 24 periods, amps. */
const CONFIGURATION: Record<string, string> = {
  SupportedFeatureProfiles: 'Core,SmartCharging,RemoteTrigger',
  ChargeProfileMaxStackLevel: '3',
  ChargingScheduleAllowedChargingRateUnit: 'Current',
  ChargingScheduleMaxPeriods: '24',
  MaxChargingProfilesInstalled: '24',
  ConnectorSwitch3to1PhaseSupported: 'false',
  NumberOfConnectors: '1',
  MeterValuesSampledData: 'Energy.Active.Import.Register,Current.Import,Current.Offered,Power.Active.Import',
};

/** GetConfiguration.conf: every key asked for that the table has, the others in unknownKey; no keys = all. */
export function getConfigurationResult(params: unknown): object {
  const asked: unknown = typeof params === 'object' && params !== null ? Reflect.get(params, 'key') : undefined;
  const keys = Array.isArray(asked) ? asked.filter((key): key is string => typeof key === 'string') : Object.keys(CONFIGURATION);
  const configurationKey = keys.flatMap((key) => {
    const value = CONFIGURATION[key];
    return value === undefined ? [] : [{ key, readonly: true, value }];
  });
  return { configurationKey, unknownKey: keys.filter((key) => CONFIGURATION[key] === undefined).map((key) => key.slice(0, 50)) };
}

/** What a 1.6 SetChargingProfile asks for (csChargingProfiles with one chargingSchedule object). */
export function profileSeenV16(params: unknown): ProfileSeen | undefined {
  const profile: unknown = typeof params === 'object' && params !== null ? Reflect.get(params, 'csChargingProfiles') : undefined;
  if (typeof profile !== 'object' || profile === null) return undefined;
  const purpose: unknown = Reflect.get(profile, 'chargingProfilePurpose');
  const stackLevel: unknown = Reflect.get(profile, 'stackLevel');
  const schedule: unknown = Reflect.get(profile, 'chargingSchedule');
  const periods: unknown = typeof schedule === 'object' && schedule !== null ? Reflect.get(schedule, 'chargingSchedulePeriod') : undefined;
  const first: unknown = Array.isArray(periods) ? periods[0] : undefined;
  const limit: unknown = typeof first === 'object' && first !== null ? Reflect.get(first, 'limit') : undefined;
  if (typeof purpose !== 'string' || typeof stackLevel !== 'number') return undefined;
  return { purpose, stackLevel, firstLimitA: typeof limit === 'number' ? limit : undefined, endMs: scheduleEndMs(schedule) };
}
