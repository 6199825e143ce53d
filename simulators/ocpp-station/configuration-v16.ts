// The configuration keys a simulated OCPP 1.6 station reports and accepts (1.6 §9, digest §4): GetConfiguration
// answers, ChangeConfiguration for the read-write ones; the smart-charging keys come from the same limits as 2.0.1's.
import type { SmartChargingLimits } from './profile-store';
import { isMeasurandV16, type MeasurandV16 } from './meter-values-v16';

/** What the keys read and write on the station. */
export interface ConfigurableV16 {
  readonly smartCharging: SmartChargingLimits;
  readonly featureProfiles: readonly string[];
  readonly connectorCount: number;
  meterIntervalS: number;
  heartbeatIntervalS: number;
  sampledData: readonly MeasurandV16[];
  transactionMessageAttempts: number;
  transactionMessageRetryIntervalS: number;
}

interface Key {
  read(station: ConfigurableV16): string;
  /** Read-write keys: apply `value`, false when it is not acceptable. */
  write?(station: ConfigurableV16, value: string): boolean;
}

function integer(value: string, min: number): number | undefined {
  const parsed = Number(value);
  return value.trim() !== '' && Number.isInteger(parsed) && parsed >= min ? parsed : undefined;
}

function writeInteger(min: number, apply: (station: ConfigurableV16, value: number) => void): Key['write'] {
  return (station, value) => {
    const parsed = integer(value, min);
    if (parsed === undefined) return false;
    apply(station, parsed);
    return true;
  };
}

const CORE_KEYS: Readonly<Record<string, Key>> = {
  SupportedFeatureProfiles: { read: (s) => s.featureProfiles.join(',') },
  NumberOfConnectors: { read: (s) => String(s.connectorCount) },
  AuthorizeRemoteTxRequests: { read: () => 'false' },
  HeartbeatInterval: {
    read: (s) => String(s.heartbeatIntervalS),
    write: writeInteger(1, (s, v) => (s.heartbeatIntervalS = v)),
  },
  MeterValueSampleInterval: {
    read: (s) => String(s.meterIntervalS),
    write: writeInteger(0, (s, v) => (s.meterIntervalS = v)),
  },
  MeterValuesSampledData: {
    read: (s) => s.sampledData.join(','),
    // A list with one unsupported entry is rejected whole (1.6 §3.16.4).
    write: (s, value) => {
      const items = value.split(',').map((item) => item.trim());
      if (!items.every(isMeasurandV16)) return false;
      s.sampledData = items;
      return true;
    },
  },
  TransactionMessageAttempts: {
    read: (s) => String(s.transactionMessageAttempts),
    write: writeInteger(1, (s, v) => (s.transactionMessageAttempts = v)),
  },
  TransactionMessageRetryInterval: {
    read: (s) => String(s.transactionMessageRetryIntervalS),
    write: writeInteger(0, (s, v) => (s.transactionMessageRetryIntervalS = v)),
  },
};

const SMART_CHARGING_KEYS: Readonly<Record<string, Key>> = {
  ChargeProfileMaxStackLevel: { read: (s) => String(s.smartCharging.profileStackLevel) },
  ChargingScheduleAllowedChargingRateUnit: {
    read: (s) => s.smartCharging.rateUnits.map((unit) => (unit === 'A' ? 'Current' : 'Power')).join(','),
  },
  ChargingScheduleMaxPeriods: { read: (s) => String(s.smartCharging.periodsPerSchedule) },
  MaxChargingProfilesInstalled: { read: (s) => String(s.smartCharging.entriesMax) },
  ConnectorSwitch3to1PhaseSupported: { read: () => 'false' },
};

function keysOf(station: ConfigurableV16): Readonly<Record<string, Key>> {
  // A station without the SmartCharging feature profile does not know its keys (digest §4: expect them in unknownKey).
  return station.featureProfiles.includes('SmartCharging') ? { ...CORE_KEYS, ...SMART_CHARGING_KEYS } : CORE_KEYS;
}

/** GetConfiguration: every key when none is asked for; keys are matched case-sensitively as 1.6 names them. */
export function getConfiguration(
  station: ConfigurableV16,
  wanted: readonly string[] | undefined,
): { configurationKey: { key: string; readonly: boolean; value: string }[]; unknownKey: string[] } {
  const keys = keysOf(station);
  const names = wanted === undefined || wanted.length === 0 ? Object.keys(keys) : wanted;
  const configurationKey: { key: string; readonly: boolean; value: string }[] = [];
  const unknownKey: string[] = [];
  for (const name of names) {
    const key = keys[name];
    if (key === undefined) unknownKey.push(name.slice(0, 50));
    else configurationKey.push({ key: name, readonly: key.write === undefined, value: key.read(station) });
  }
  return { configurationKey, unknownKey };
}

export function changeConfiguration(station: ConfigurableV16, name: string, value: string): 'Accepted' | 'Rejected' | 'NotSupported' {
  const key = keysOf(station)[name];
  if (key === undefined) return 'NotSupported';
  if (key.write === undefined) return 'Rejected';
  return key.write(station, value) ? 'Accepted' : 'Rejected';
}
