// A strict OCPP 1.6J ocpp-rpc client standing in for a 1.6 charger: answers GetConfiguration, TriggerMessage,
// SetChargingProfile and ClearChargingProfile over the wire, and records what the CSMS sent.
import type { RPCClient } from 'ocpp-rpc';
import { PASSWORD, strictClient } from './harness';

export interface Station16Options {
  identity?: string;
  /** A string, or the AuthorizationKey's raw bytes (OCPP-J 1.6 §6.2.2); null = no Basic auth. */
  password?: string | Buffer | null;
  protocols?: string[];
  wsOpts?: Record<string, unknown>;
  /** Configuration keys the station reports (values as strings); absent ones are unknownKey. */
  configuration?: Record<string, string>;
  setChargingProfile?: (params: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

export interface Station16 {
  client: RPCClient;
  log: string[];
  profiles: Record<string, unknown>[];
  triggers: string[];
  configurationReads: string[][];
}

export const SMART_CHARGING_16: Record<string, string> = {
  SupportedFeatureProfiles: 'Core,SmartCharging,RemoteTrigger',
  ChargeProfileMaxStackLevel: '3',
  ChargingScheduleAllowedChargingRateUnit: 'Current',
  ChargingScheduleMaxPeriods: '24',
  MaxChargingProfilesInstalled: '10',
  NumberOfConnectors: '2',
};

export async function connectStation16(url: string, options: Station16Options = {}): Promise<Station16> {
  const client = strictClient(
    url,
    options.identity ?? 'CS-1',
    options.protocols ?? ['ocpp1.6'],
    options.password === null ? null : (options.password ?? PASSWORD),
    options.wsOpts ?? {},
  );
  const station: Station16 = { client, log: [], profiles: [], triggers: [], configurationReads: [] };
  const configuration = options.configuration ?? SMART_CHARGING_16;
  client.handle('GetConfiguration', async ({ params }) => {
    station.log.push('GetConfiguration');
    const keys = (params as { key?: string[] }).key ?? Object.keys(configuration);
    station.configurationReads.push(keys);
    return {
      configurationKey: keys
        .filter((k) => configuration[k] !== undefined)
        .map((k) => ({ key: k, readonly: true, value: configuration[k] })),
      unknownKey: keys.filter((k) => configuration[k] === undefined),
    };
  });
  client.handle('TriggerMessage', async ({ params }) => {
    station.log.push('TriggerMessage');
    station.triggers.push(String((params as { requestedMessage: string }).requestedMessage));
    return { status: 'Accepted' };
  });
  client.handle('SetChargingProfile', async ({ params }) => {
    station.log.push('SetChargingProfile');
    station.profiles.push(params as Record<string, unknown>);
    return options.setChargingProfile ? options.setChargingProfile(params as Record<string, unknown>) : { status: 'Accepted' };
  });
  await client.connect();
  return station;
}

export async function boot16(station: Station16): Promise<{ status: string; interval: number; currentTime: string }> {
  const response = (await station.client.call('BootNotification', {
    chargePointVendor: 'flexbridge',
    chargePointModel: 'Test AC 1.6',
    firmwareVersion: '1.6.0',
  })) as { status: string; interval: number; currentTime: string };
  station.log.push(`BootNotification ${response.status}`);
  return response;
}
