// Device-model discovery (OCPP digest §1.4, §3.1, §4): the one GetVariables for the SmartChargingCtrlr limits every
// profile is checked against, and the TriggerMessages that rebuild a station's state after it connects or boots.
import type { z } from 'zod';
import { DEFAULT_SMART_CHARGING_LIMITS, type SmartChargingLimits } from '../../domain/station';
import { GetVariablesResponse } from './payloads';
import type { VersionDiscovery } from '../discovery';

// Unknown or rejected variables fall back to conservative values (stack 0, 1 period, A).
const COMPONENT = 'SmartChargingCtrlr';

export const SMART_CHARGING_VARIABLES = [
  { name: 'Available' },
  { name: 'Enabled' },
  { name: 'ProfileStackLevel' },
  { name: 'PeriodsPerSchedule' },
  { name: 'RateUnit' },
  { name: 'Entries', instance: 'ChargingProfiles' },
] as const;

export function smartChargingRequest(): {
  getVariableData: { component: { name: string }; variable: { name: string; instance?: string } }[];
} {
  return { getVariableData: SMART_CHARGING_VARIABLES.map((variable) => ({ component: { name: COMPONENT }, variable: { ...variable } })) };
}

export interface SmartChargingDiscovery {
  /** Available and Enabled are not "false": the station takes charging profiles at all. */
  readonly smartChargingAvailable: boolean;
  readonly limits: SmartChargingLimits;
}

function nonNegativeInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

export function readSmartCharging(response: z.infer<typeof GetVariablesResponse>): SmartChargingDiscovery {
  const values = new Map<string, string>();
  for (const result of response.getVariableResult) {
    if (result.component.name.toLowerCase() !== COMPONENT.toLowerCase() || result.attributeStatus !== 'Accepted') continue;
    if (result.attributeValue !== undefined) values.set(result.variable.name.toLowerCase(), result.attributeValue);
  }
  const isFalse = (name: string): boolean => values.get(name)?.trim().toLowerCase() === 'false';
  const rateUnits = (values.get('rateunit') ?? 'A')
    .split(',')
    .map((u) => u.trim())
    .filter((u): u is 'A' | 'W' => u === 'A' || u === 'W');
  return {
    smartChargingAvailable: !isFalse('available') && !isFalse('enabled'),
    limits: {
      profileStackLevel: nonNegativeInteger(values.get('profilestacklevel')) ?? DEFAULT_SMART_CHARGING_LIMITS.profileStackLevel,
      periodsPerSchedule: Math.max(
        1,
        nonNegativeInteger(values.get('periodsperschedule')) ?? DEFAULT_SMART_CHARGING_LIMITS.periodsPerSchedule,
      ),
      rateUnits: rateUnits.length > 0 ? rateUnits : DEFAULT_SMART_CHARGING_LIMITS.rateUnits,
    },
  };
}

/** Entries[ChargingProfiles] maxLimit from a NotifyReport, when a station volunteers one. */
export function maxProfilesFromReport(
  reportData: readonly {
    component: { name: string };
    variable: { name: string; instance?: string };
    variableCharacteristics?: { maxLimit?: number };
  }[],
): number | undefined {
  const entry = reportData.find(
    (d) =>
      d.component.name.toLowerCase() === COMPONENT.toLowerCase() &&
      d.variable.name.toLowerCase() === 'entries' &&
      d.variableCharacteristics?.maxLimit !== undefined,
  );
  return entry?.variableCharacteristics?.maxLimit;
}

/** 2.0.1: GetVariables for the SmartChargingCtrlr limits, TriggerMessage for the station's state. */
export const SMART_CHARGING_CTRLR_DISCOVERY: VersionDiscovery<z.infer<typeof GetVariablesResponse>> = {
  action: 'GetVariables',
  request: smartChargingRequest,
  response: GetVariablesResponse,
  found: (runtime, response) => {
    const found = readSmartCharging(response);
    const limits = {
      ...found.limits,
      ...(runtime.record.smartCharging?.maxProfiles !== undefined && { maxProfiles: runtime.record.smartCharging.maxProfiles }),
    };
    return { outcome: { kind: 'read', limits, smartChargingAvailable: found.smartChargingAvailable }, logged: { ...limits } };
  },
  trigger: (requestedMessage) => ({ requestedMessage }),
};
