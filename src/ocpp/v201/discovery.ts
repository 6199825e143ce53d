// Device-model discovery (OCPP digest §1.4, §3.1, §4): the one GetVariables for the SmartChargingCtrlr limits every
// profile is checked against, and the TriggerMessages that rebuild a station's state after it connects or boots.
import type { z } from 'zod';
import { DEFAULT_SMART_CHARGING_LIMITS, type SmartChargingLimits } from '../../domain/station';
import { callStation, type CallResult } from '../station-call';
import type { StationRuntime } from '../station-registry';
import { GetVariablesResponse } from './payloads';
import { NOT_READ, type DiscoveryDeps, type DiscoveryOutcome, type StateMessage, type VersionDiscovery } from '../discovery';

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

/** The 2.0.1 calls that read and refresh a station: GetVariables for its limits, TriggerMessage for its state. */
export class SmartChargingCtrlrDiscovery implements VersionDiscovery {
  constructor(private readonly deps: DiscoveryDeps) {}

  /** GetVariables(SmartChargingCtrlr). A station without the component gets conservative defaults. */
  /** The read, and what it found applied (`apply`) inside the station's command slot, before any profile is built. */
  read(runtime: StationRuntime, apply: (outcome: DiscoveryOutcome) => void): Promise<DiscoveryOutcome> {
    return runtime.queue.enqueue(
      'discovery',
      async () => {
        const outcome = this.interpret(
          runtime,
          await callStation(runtime, 'GetVariables', smartChargingRequest(), {
            timeoutMs: this.deps.timeoutMs,
            metrics: this.deps.metrics,
          }),
        );
        apply(outcome);
        return outcome;
      },
      NOT_READ,
    );
  }

  private interpret(runtime: StationRuntime, result: CallResult): DiscoveryOutcome {
    const log = this.deps.logger.child({ stationId: runtime.record.stationId });
    if (result.kind === 'offline' || result.kind === 'timeout' || result.kind === 'backed-off') {
      log.warn('smart-charging limits not read; will retry on the next connect or boot', { outcome: result.kind });
      return { kind: 'not-read', why: result.kind };
    }
    const parsed = result.kind === 'result' ? GetVariablesResponse.safeParse(result.payload) : undefined;
    if (!parsed?.success) {
      log.warn('GetVariables not answered usefully; assuming conservative smart-charging limits', {
        outcome: result.kind === 'error' ? result.code : 'unreadable response',
      });
      return { kind: 'read', limits: runtime.record.smartCharging ?? DEFAULT_SMART_CHARGING_LIMITS, smartChargingAvailable: true };
    }
    const found = readSmartCharging(parsed.data);
    const limits = {
      ...found.limits,
      ...(runtime.record.smartCharging?.maxProfiles !== undefined && { maxProfiles: runtime.record.smartCharging.maxProfiles }),
    };
    log.info('smart-charging limits', { ...limits });
    return { kind: 'read', limits, smartChargingAvailable: found.smartChargingAvailable };
  }

  /** Asks the station to send `requestedMessage` now (TC_B_31 for a Pending boot; state refresh after a connect). */
  async trigger(runtime: StationRuntime, requestedMessage: StateMessage): Promise<void> {
    const result = await runtime.queue.enqueue(
      `trigger:${requestedMessage}`,
      () => callStation(runtime, 'TriggerMessage', { requestedMessage }, { timeoutMs: this.deps.timeoutMs, metrics: this.deps.metrics }),
      { superseded: { kind: 'offline' }, closed: { kind: 'offline' }, failed: { kind: 'offline' } },
    );
    if (result.kind !== 'result') {
      this.deps.logger.debug('TriggerMessage not answered', {
        stationId: runtime.record.stationId,
        requestedMessage,
        outcome: result.kind,
      });
    }
  }
}
