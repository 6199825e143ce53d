// OCPP 1.6 discovery (1.6 digest §4, §7): GetConfiguration for the smart-charging keys every profile is checked
// against, and the 1.6 TriggerMessages that rebuild a station's state. Keys a station does not know (SAP's
// simulator knows none of the four smart-charging ones) fall back to conservative values: stack 0, 1 period, A.
import { DEFAULT_SMART_CHARGING_LIMITS, type SmartChargingLimits } from '../../domain/station';
import type { StateMessage, VersionDiscovery } from '../discovery';
import { GetConfigurationResponse16, type GetConfigurationResponse16 as ConfigurationAnswer } from './payloads';

export const CONFIGURATION_KEYS = [
  'SupportedFeatureProfiles',
  'ChargeProfileMaxStackLevel',
  'ChargingScheduleAllowedChargingRateUnit',
  'ChargingScheduleMaxPeriods',
  'MaxChargingProfilesInstalled',
  'ConnectorSwitch3to1PhaseSupported',
  'NumberOfConnectors',
] as const;

export interface ConfigurationFindings {
  /** SupportedFeatureProfiles lists SmartCharging (or the station did not say). */
  readonly smartChargingAvailable: boolean;
  readonly limits: SmartChargingLimits;
  readonly connectorCount?: number;
  /** ConnectorSwitch3to1PhaseSupported, when reported. */
  readonly phases3to1?: boolean;
}

function nonNegativeInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** ChargingScheduleAllowedChargingRateUnit is a CSL of `Current`/`Power` (C16 §9.4.2); some stations write A/W. */
function rateUnits(value: string | undefined): ('A' | 'W')[] {
  const units = new Set<'A' | 'W'>();
  for (const entry of (value ?? '').split(',')) {
    const unit = entry.trim().toLowerCase();
    if (unit === 'current' || unit === 'a') units.add('A');
    if (unit === 'power' || unit === 'w') units.add('W');
  }
  return [...units];
}

export function readConfiguration(response: ConfigurationAnswer): ConfigurationFindings {
  const values = new Map<string, string>();
  for (const entry of response.configurationKey ?? []) {
    if (entry.value !== undefined) values.set(entry.key.toLowerCase(), entry.value);
  }
  const get = (key: (typeof CONFIGURATION_KEYS)[number]): string | undefined => values.get(key.toLowerCase());
  const profiles = get('SupportedFeatureProfiles');
  const units = rateUnits(get('ChargingScheduleAllowedChargingRateUnit'));
  const maxProfiles = nonNegativeInteger(get('MaxChargingProfilesInstalled'));
  const connectorCount = nonNegativeInteger(get('NumberOfConnectors'));
  const switch3to1 = get('ConnectorSwitch3to1PhaseSupported')?.trim().toLowerCase();
  return {
    smartChargingAvailable:
      profiles === undefined ||
      profiles
        .split(',')
        .map((p) => p.trim().toLowerCase())
        .includes('smartcharging'),
    limits: {
      profileStackLevel: nonNegativeInteger(get('ChargeProfileMaxStackLevel')) ?? DEFAULT_SMART_CHARGING_LIMITS.profileStackLevel,
      periodsPerSchedule: Math.max(
        1,
        nonNegativeInteger(get('ChargingScheduleMaxPeriods')) ?? DEFAULT_SMART_CHARGING_LIMITS.periodsPerSchedule,
      ),
      rateUnits: units.length > 0 ? units : DEFAULT_SMART_CHARGING_LIMITS.rateUnits,
      ...(maxProfiles !== undefined && { maxProfiles }),
    },
    ...(connectorCount !== undefined && connectorCount > 0 && { connectorCount }),
    ...((switch3to1 === 'true' || switch3to1 === 'false') && { phases3to1: switch3to1 === 'true' }),
  };
}

/** 2.0.1's state messages in 1.6: a transaction's state is in its MeterValues (there is no TransactionEvent). */
const TRIGGERED: Readonly<Record<StateMessage, string>> = {
  BootNotification: 'BootNotification',
  StatusNotification: 'StatusNotification',
  TransactionEvent: 'MeterValues',
};

/** 1.6: GetConfiguration for the smart-charging keys, TriggerMessage (MeterValues for a transaction's state). */
export const CONFIGURATION_DISCOVERY: VersionDiscovery<ConfigurationAnswer> = {
  action: 'GetConfiguration',
  request: () => ({ key: [...CONFIGURATION_KEYS] }),
  response: GetConfigurationResponse16,
  found: (_runtime, response) => {
    const found = readConfiguration(response);
    const unknown = response.unknownKey ?? [];
    return {
      outcome: {
        kind: 'read',
        limits: found.limits,
        smartChargingAvailable: found.smartChargingAvailable,
        ...(found.connectorCount !== undefined && { connectorCount: found.connectorCount }),
      },
      logged: {
        ...found.limits,
        ...(found.connectorCount !== undefined && { connectors: found.connectorCount }),
        ...(found.phases3to1 !== undefined && { phases3to1: found.phases3to1 }),
        ...(unknown.length > 0 && { unknownKeys: unknown }),
      },
    };
  },
  trigger: (requested) => ({ requestedMessage: TRIGGERED[requested] }),
};
