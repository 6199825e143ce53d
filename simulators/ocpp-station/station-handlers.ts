// CSMS → station calls a simulated station answers: SetChargingProfile, ClearChargingProfile, GetChargingProfiles,
// GetCompositeSchedule, GetVariables, SetVariables, TriggerMessage; anything else gets ocpp-rpc's NotImplemented.
import { createRPCError } from 'ocpp-rpc';
import ocppRpcSymbols from 'ocpp-rpc/lib/symbols';
import type { z } from 'zod';
import { compositeSchedule } from './composite';
import { isoAt, meterValue } from './meter-values';
import {
  ClearChargingProfileRequest,
  GetChargingProfilesRequest,
  GetCompositeScheduleRequest,
  GetVariablesRequest,
  SetChargingProfileRequest,
  SetVariablesRequest,
  TriggerMessageRequest,
  type ComponentVariable,
} from './schemas';
import type { Station } from './station';

/** ocpp-rpc's typings call NOREPLY an object; at runtime it is the symbol the library compares handler results with. */
const symbolsModule: object = ocppRpcSymbols;
const NO_REPLY: Record<string, unknown> = Reflect.get(symbolsModule, 'NOREPLY');

function parse<T extends z.ZodType>(schema: T, params: unknown, action: string): z.infer<T> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw createRPCError('FormatViolation', `${action}: ${parsed.error.issues[0]?.message ?? 'invalid payload'}`);
  return parsed.data;
}

/** Run after the CALLRESULT is on the wire (OCPP-J: the answer first, then the follow-up CALL). */
function afterReply(work: () => void): void {
  setImmediate(work);
}

type Attribute = { value: string } | { status: 'UnknownComponent' | 'UnknownVariable' | 'Rejected' };

function readVariable(station: Station, item: ComponentVariable): Attribute {
  const component = item.component.name.toLowerCase();
  const variable = item.variable.name.toLowerCase();
  const limits = station.smartCharging;
  const tables: Record<string, Record<string, string>> = {
    smartchargingctrlr: {
      available: 'true',
      enabled: 'true',
      profilestacklevel: String(limits.profileStackLevel),
      periodsperschedule: String(limits.periodsPerSchedule),
      entries: String(station.profiles.count),
      rateunit: limits.rateUnits.join(','),
      limitchangesignificance: '0',
      acphaseswitchingsupported: 'false',
      phases3to1: 'false',
    },
    sampleddatactrlr: {
      txupdatedinterval: String(station.meterIntervalS),
      txupdatedmeasurands: 'Energy.Active.Import.Register,Current.Import,Current.Offered,Power.Active.Import,SoC',
    },
    ocppcommctrlr: { heartbeatinterval: String(station.heartbeatIntervalS) },
  };
  const table = tables[component];
  if (table === undefined) return { status: 'UnknownComponent' };
  const value = table[variable];
  return value === undefined ? { status: 'UnknownVariable' } : { value };
}

function writeVariable(
  station: Station,
  item: ComponentVariable,
  value: string,
): 'Accepted' | 'Rejected' | 'UnknownComponent' | 'UnknownVariable' {
  const component = item.component.name.toLowerCase();
  const variable = item.variable.name.toLowerCase();
  const seconds = Number(value);
  const positiveInteger = Number.isInteger(seconds) && seconds > 0;
  if (component === 'sampleddatactrlr' && variable === 'txupdatedinterval') {
    if (!positiveInteger) return 'Rejected';
    station.meterIntervalS = seconds;
    return 'Accepted';
  }
  if (component === 'ocppcommctrlr' && variable === 'heartbeatinterval') {
    if (!positiveInteger) return 'Rejected';
    station.heartbeatIntervalS = seconds;
    return 'Accepted';
  }
  const read = readVariable(station, item);
  return 'value' in read ? 'Rejected' : read.status;
}

export function registerCsmsHandlers(station: Station): void {
  const { client } = station;

  client.handle('SetChargingProfile', async ({ params }) => {
    const request = parse(SetChargingProfileRequest, params, 'SetChargingProfile');
    switch (station.failure.profiles) {
      case 'silent':
        return NO_REPLY;
      case 'notImplemented':
        throw createRPCError('NotImplemented', 'SetChargingProfile is not implemented by this simulated station');
      case 'reject':
        station.stats.profilesRejected++;
        return {
          status: 'Rejected',
          statusInfo: { reasonCode: 'Simulated', additionalInfo: 'this simulated station rejects every profile' },
        };
      case 'ignore':
        station.stats.profilesAccepted++;
        return { status: 'Accepted' };
      case 'none':
        break;
    }
    const result = station.profiles.install(request.evseId, request.chargingProfile, station.installContext());
    if (result.status === 'Rejected') {
      station.stats.profilesRejected++;
      return { status: 'Rejected', statusInfo: { reasonCode: result.reasonCode, additionalInfo: result.additionalInfo.slice(0, 512) } };
    }
    station.stats.profilesAccepted++;
    station.profilesChanged();
    return { status: 'Accepted' };
  });

  client.handle('ClearChargingProfile', async ({ params }) => {
    const request = parse(ClearChargingProfileRequest, params, 'ClearChargingProfile');
    if (request.chargingProfileId === undefined && request.chargingProfileCriteria === undefined) {
      throw createRPCError('OccurrenceConstraintViolation', 'K10.FR.02: give chargingProfileId or chargingProfileCriteria');
    }
    const removed = station.profiles.clear(request);
    if (removed > 0) station.profilesChanged();
    return { status: removed > 0 ? 'Accepted' : 'Unknown' };
  });

  client.handle('GetChargingProfiles', async ({ params }) => {
    const request = parse(GetChargingProfilesRequest, params, 'GetChargingProfiles');
    const groups = station.profiles.query(request);
    if (groups.length === 0) return { status: 'NoProfiles' };
    afterReply(() => {
      groups.forEach((group, i) => {
        void station.call('ReportChargingProfiles', {
          requestId: request.requestId,
          chargingLimitSource: group.source,
          evseId: group.evseId,
          chargingProfile: group.profiles,
          ...(i < groups.length - 1 ? { tbc: true } : {}),
        });
      });
    });
    return { status: 'Accepted' };
  });

  client.handle('GetCompositeSchedule', async ({ params }) => {
    const request = parse(GetCompositeScheduleRequest, params, 'GetCompositeSchedule');
    const unit = request.chargingRateUnit ?? station.smartCharging.rateUnits[0] ?? 'A';
    if (request.evseId !== 0 && !station.evses.has(request.evseId)) {
      return { status: 'Rejected', statusInfo: { reasonCode: 'UnknownEVSE', additionalInfo: `EVSE ${request.evseId} does not exist` } };
    }
    if (!station.smartCharging.rateUnits.includes(unit)) {
      return {
        status: 'Rejected',
        statusInfo: { reasonCode: 'UnsupportedRateUnit', additionalInfo: `RateUnit is ${station.smartCharging.rateUnits.join(',')}` },
      };
    }
    const nowMs = station.nowMs();
    const periods = compositeSchedule(station.compositeInput(), request.evseId, nowMs, request.duration, unit);
    return {
      status: 'Accepted',
      schedule: {
        evseId: request.evseId,
        duration: request.duration,
        scheduleStart: isoAt(nowMs),
        chargingRateUnit: unit,
        chargingSchedulePeriod: periods,
      },
    };
  });

  client.handle('GetVariables', async ({ params }) => {
    const request = parse(GetVariablesRequest, params, 'GetVariables');
    const getVariableResult = request.getVariableData.map((item) => {
      const base = {
        component: item.component,
        variable: item.variable,
        ...(item.attributeType ? { attributeType: item.attributeType } : {}),
      };
      if (item.attributeType !== undefined && item.attributeType !== 'Actual')
        return { ...base, attributeStatus: 'NotSupportedAttributeType' };
      const read = readVariable(station, item);
      return 'value' in read
        ? { ...base, attributeStatus: 'Accepted', attributeValue: read.value }
        : { ...base, attributeStatus: read.status };
    });
    return { getVariableResult };
  });

  client.handle('SetVariables', async ({ params }) => {
    const request = parse(SetVariablesRequest, params, 'SetVariables');
    const setVariableResult = request.setVariableData.map((item) => ({
      component: item.component,
      variable: item.variable,
      ...(item.attributeType ? { attributeType: item.attributeType } : {}),
      attributeStatus: writeVariable(station, item, item.attributeValue),
    }));
    return { setVariableResult };
  });

  client.handle('TriggerMessage', async ({ params }) => {
    const request = parse(TriggerMessageRequest, params, 'TriggerMessage');
    const evses = [...station.evses.values()].filter((evse) => request.evse === undefined || request.evse.id === evse.evseId);
    if (request.evse !== undefined && evses.length === 0) return { status: 'Rejected' };
    const nowMs = station.nowMs();
    const actions: Record<string, () => void> = {
      BootNotification: () => station.bootNotification('Triggered'),
      Heartbeat: () => void station.call('Heartbeat', {}),
      StatusNotification: () => evses.forEach((evse) => station.sendStatus(evse, nowMs)),
      TransactionEvent: () => evses.forEach((evse) => station.sendTransactionEvent(evse, nowMs, 'Updated', 'Trigger', 'Trigger')),
      MeterValues: () =>
        evses.forEach(
          (evse) =>
            void station.call('MeterValues', { evseId: evse.evseId, meterValue: [meterValue(nowMs, station.reading(evse), 'Trigger')] }),
        ),
    };
    const action = actions[request.requestedMessage];
    if (action === undefined) return { status: 'NotImplemented' };
    afterReply(() => {
      station.settle(station.nowMs());
      action();
    });
    return { status: 'Accepted' };
  });
}
