// CSMS → station calls a simulated OCPP 1.6 station answers: smart charging (Set/ClearChargingProfile,
// GetCompositeSchedule), configuration, TriggerMessage, remote start/stop, Reset, ChangeAvailability, UnlockConnector.
import { createRPCError } from 'ocpp-rpc';
import ocppRpcSymbols from 'ocpp-rpc/lib/symbols';
import type { z } from 'zod';
import { compositeSchedule } from './composite';
import { changeConfiguration, getConfiguration } from './configuration-v16';
import {
  ChangeAvailabilityRequest,
  ChangeConfigurationRequest,
  ClearChargingProfileRequestV16,
  GetCompositeScheduleRequestV16,
  GetConfigurationRequest,
  RemoteStartTransactionRequest,
  RemoteStopTransactionRequest,
  ResetRequest,
  SetChargingProfileRequestV16,
  TriggerMessageRequestV16,
  UnlockConnectorRequest,
} from './schemas-v16';
import { isoAt } from './meter-values';
import type { ConnectorState } from './connector-v16';
import type { StationV16 } from './station-v16';

const symbolsModule: object = ocppRpcSymbols;
const NO_REPLY: Record<string, unknown> = Reflect.get(symbolsModule, 'NOREPLY');

function parse<T extends z.ZodType>(schema: T, params: unknown, action: string): z.infer<T> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw createRPCError('FormationViolation', `${action}: ${parsed.error.issues[0]?.message ?? 'invalid payload'}`);
  return parsed.data;
}

/** Run after the CALLRESULT is on the wire (OCPP-J: the answer first, then the follow-up CALL). */
function afterReply(work: () => void): void {
  setImmediate(work);
}

function requireSmartCharging(station: StationV16, action: string): void {
  if (!station.featureProfiles.includes('SmartCharging'))
    throw createRPCError('NotSupported', `${action}: this station does not support the SmartCharging feature profile`);
}

/** The connectors a request names: connectorId 0 or absent = all; undefined when the connector does not exist. */
function connectorsOf(station: StationV16, connectorId: number | undefined): ConnectorState[] | undefined {
  if (connectorId === undefined || connectorId === 0) return [...station.evses.values()];
  const connector = station.evses.get(connectorId);
  return connector ? [connector] : undefined;
}

function registerSmartCharging(station: StationV16): void {
  const { client } = station;

  client.handle('SetChargingProfile', async ({ params }) => {
    const request = parse(SetChargingProfileRequestV16, params, 'SetChargingProfile');
    if (!station.featureProfiles.includes('SmartCharging')) return { status: 'NotSupported' };
    switch (station.failure.profiles) {
      case 'silent':
        return NO_REPLY;
      case 'notImplemented':
        throw createRPCError('NotImplemented', 'SetChargingProfile is not implemented by this simulated station');
      case 'reject':
        station.stats.profilesRejected++;
        return { status: 'Rejected' };
      case 'ignore':
        station.stats.profilesAccepted++;
        return { status: 'Accepted' };
      case 'none':
        break;
    }
    const result = station.profiles.install(request.connectorId, request.csChargingProfiles, station.installContext());
    if (result.status === 'Rejected') {
      station.stats.profilesRejected++;
      return { status: 'Rejected' };
    }
    station.stats.profilesAccepted++;
    station.profilesChanged();
    return { status: 'Accepted' };
  });

  client.handle('ClearChargingProfile', async ({ params }) => {
    const request = parse(ClearChargingProfileRequestV16, params, 'ClearChargingProfile');
    requireSmartCharging(station, 'ClearChargingProfile');
    const removed = station.profiles.clear(request);
    if (removed > 0) station.profilesChanged();
    return { status: removed > 0 ? 'Accepted' : 'Unknown' };
  });

  client.handle('GetCompositeSchedule', async ({ params }) => {
    const request = parse(GetCompositeScheduleRequestV16, params, 'GetCompositeSchedule');
    const unit = request.chargingRateUnit ?? station.smartCharging.rateUnits[0] ?? 'A';
    const known = request.connectorId === 0 || station.evses.has(request.connectorId);
    if (!station.featureProfiles.includes('SmartCharging') || !known || !station.smartCharging.rateUnits.includes(unit)) {
      return { status: 'Rejected' };
    }
    const nowMs = station.nowMs();
    const periods = compositeSchedule(station.compositeInput(), request.connectorId, nowMs, request.duration, unit);
    if (periods.length === 0) return { status: 'Rejected' };
    return {
      status: 'Accepted',
      connectorId: request.connectorId,
      scheduleStart: isoAt(nowMs),
      // E16 3.57: no startSchedule inside the conf's schedule.
      chargingSchedule: { duration: request.duration, chargingRateUnit: unit, chargingSchedulePeriod: periods },
    };
  });
}

function registerConfiguration(station: StationV16): void {
  station.client.handle('GetConfiguration', async ({ params }) => {
    const request = parse(GetConfigurationRequest, params, 'GetConfiguration');
    return getConfiguration(station, request.key);
  });

  station.client.handle('ChangeConfiguration', async ({ params }) => {
    const request = parse(ChangeConfigurationRequest, params, 'ChangeConfiguration');
    const status = changeConfiguration(station, request.key, request.value);
    if (status === 'Accepted') station.armMeter(station.nowMs());
    return { status };
  });
}

function registerTrigger(station: StationV16): void {
  station.client.handle('TriggerMessage', async ({ params }) => {
    const request = parse(TriggerMessageRequestV16, params, 'TriggerMessage');
    if (!station.featureProfiles.includes('RemoteTrigger'))
      throw createRPCError('NotSupported', 'TriggerMessage: this station does not support the RemoteTrigger feature profile');
    const connectors = connectorsOf(station, request.connectorId);
    if (connectors === undefined) return { status: 'Rejected' };
    const actions: Record<typeof request.requestedMessage, () => void> = {
      BootNotification: () => station.bootNotification(),
      Heartbeat: () => void station.call('Heartbeat', {}, true),
      // connectorId absent: the station and every connector (1.6 §5.17).
      StatusNotification: () => {
        const nowMs = station.nowMs();
        if (request.connectorId === undefined || request.connectorId === 0) station.sendStationStatus(nowMs, true);
        if (request.connectorId !== 0) for (const c of connectors) station.updateStatus(c, nowMs, true);
      },
      MeterValues: () => {
        const nowMs = station.nowMs();
        for (const c of connectors) {
          const transactionId = c.transaction?.csmsTransactionId;
          void station.call(
            'MeterValues',
            {
              connectorId: c.evseId,
              ...(transactionId === undefined ? {} : { transactionId }),
              meterValue: [station.meterValue(c, nowMs, 'Trigger')],
            },
            true,
          );
        }
      },
      FirmwareStatusNotification: () => void station.call('FirmwareStatusNotification', { status: 'Idle' }, true),
      DiagnosticsStatusNotification: () => void station.call('DiagnosticsStatusNotification', { status: 'Idle' }, true),
    };
    afterReply(() => {
      station.settle(station.nowMs());
      actions[request.requestedMessage]();
    });
    return { status: 'Accepted' };
  });
}

function registerRemoteControl(station: StationV16): void {
  const { client } = station;

  client.handle('RemoteStartTransaction', async ({ params }) => {
    const request = parse(RemoteStartTransactionRequest, params, 'RemoteStartTransaction');
    const free = [...station.evses.values()].filter((c) => c.transaction === undefined && c.operative && station.operative);
    // Without connectorId: the connector with an EV waiting, else the first free one.
    const connector =
      request.connectorId === undefined
        ? (free.find((c) => c.ev !== undefined) ?? free[0])
        : free.find((c) => c.evseId === request.connectorId);
    const profile = request.chargingProfile;
    // The profile must be a TxProfile without transactionId (1.6 §5.11); stations without smart charging ignore it.
    const smart = station.featureProfiles.includes('SmartCharging');
    if (
      connector === undefined ||
      (smart && profile && (profile.chargingProfilePurpose !== 'TxProfile' || profile.transactionId !== undefined))
    )
      return { status: 'Rejected' };
    afterReply(() => {
      const nowMs = station.nowMs();
      station.settle(nowMs);
      station.startTransaction(connector, request.idTag, nowMs);
      if (smart && profile && station.profiles.install(connector.evseId, profile, station.installContext()).status === 'Accepted')
        station.profilesChanged();
      station.settle(nowMs);
    });
    return { status: 'Accepted' };
  });

  client.handle('RemoteStopTransaction', async ({ params }) => {
    const request = parse(RemoteStopTransactionRequest, params, 'RemoteStopTransaction');
    const connector = [...station.evses.values()].find((c) => c.transaction?.csmsTransactionId === request.transactionId);
    if (connector === undefined) return { status: 'Rejected' };
    afterReply(() => station.stopTransaction(connector, station.nowMs(), 'Remote'));
    return { status: 'Accepted' };
  });

  client.handle('Reset', async ({ params }) => {
    const request = parse(ResetRequest, params, 'Reset');
    afterReply(() => {
      const nowMs = station.nowMs();
      for (const c of station.evses.values()) station.stopTransaction(c, nowMs, request.type === 'Hard' ? 'HardReset' : 'SoftReset');
      station.reboot();
    });
    return { status: 'Accepted' };
  });

  client.handle('ChangeAvailability', async ({ params }) => {
    const request = parse(ChangeAvailabilityRequest, params, 'ChangeAvailability');
    const connectors = connectorsOf(station, request.connectorId);
    if (connectors === undefined) return { status: 'Rejected' };
    const operative = request.type === 'Operative';
    const busy = !operative && connectors.some((c) => c.transaction !== undefined);
    afterReply(() => {
      const nowMs = station.nowMs();
      if (request.connectorId === 0) station.operative = operative;
      for (const c of connectors) {
        if (!operative && c.transaction) c.inoperativeWhenIdle = true;
        else c.operative = operative;
      }
      if (request.connectorId === 0) station.sendStationStatus(nowMs);
      station.settle(nowMs);
    });
    return { status: busy ? 'Scheduled' : 'Accepted' };
  });

  client.handle('UnlockConnector', async ({ params }) => {
    const request = parse(UnlockConnectorRequest, params, 'UnlockConnector');
    const connector = station.evses.get(request.connectorId);
    if (connector === undefined) return { status: 'NotSupported' };
    afterReply(() => station.stopTransaction(connector, station.nowMs(), 'UnlockCommand'));
    return { status: 'Unlocked' };
  });

  client.handle('DataTransfer', async () => ({ status: 'UnknownVendorId' }));
}

export function registerCsmsHandlersV16(station: StationV16): void {
  registerSmartCharging(station);
  registerConfiguration(station);
  registerTrigger(station);
  registerRemoteControl(station);
}
