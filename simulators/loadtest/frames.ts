// OCPP-J frames of a lean load-test station (OCPP 2.0.1): the hot MeterValues / TransactionEvent frames built
// as strings, the set-up messages, and minimal but schema-valid answers to the CSMS calls the agent makes.

/** What a hot frame needs to know about its station right now. */
export interface MeterState {
  readonly energyWh: number;
  /** Current drawn on each of the three phases, A. */
  readonly currentA: number;
  readonly transactionId: string;
  readonly seqNo: number;
}

function sampledValues(meter: MeterState, context: string): string {
  const current = (phase: string): string =>
    `{"value":${meter.currentA},"context":"${context}","measurand":"Current.Import","phase":"${phase}","unitOfMeasure":{"unit":"A"}}`;
  return (
    `[{"value":${Math.round(meter.energyWh)},"context":"${context}","measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"Wh"}},` +
    `${current('L1')},${current('L2')},${current('L3')}]`
  );
}

/** MeterValues for EVSE 1 (E02: periodic samples of the running transaction). */
export function meterValuesFrame(callId: string, timestamp: string, meter: MeterState): string {
  return `[2,"${callId}","MeterValues",{"evseId":1,"meterValue":[{"timestamp":"${timestamp}","sampledValue":${sampledValues(meter, 'Sample.Periodic')}}]}]`;
}

/** TransactionEvent Updated with the periodic meter values (E02.FR.09); consumes the transaction's seqNo. */
export function transactionUpdatedFrame(callId: string, timestamp: string, meter: MeterState): string {
  return (
    `[2,"${callId}","TransactionEvent",{"eventType":"Updated","timestamp":"${timestamp}","triggerReason":"MeterValuePeriodic",` +
    `"seqNo":${meter.seqNo},"transactionInfo":{"transactionId":"${meter.transactionId}","chargingState":"Charging"},` +
    `"evse":{"id":1,"connectorId":1},"meterValue":[{"timestamp":"${timestamp}","sampledValue":${sampledValues(meter, 'Sample.Periodic')}}]}]`
  );
}

export function callFrame(callId: string, action: string, payload: object): string {
  return JSON.stringify([2, callId, action, payload]);
}

export function bootNotification(reason: 'PowerUp' | 'Triggered'): object {
  return { reason, chargingStation: { model: 'LoadGen AC', vendorName: 'flexbridge-loadtest' } };
}

export function statusNotification(timestamp: string): object {
  return { timestamp, connectorStatus: 'Occupied', evseId: 1, connectorId: 1 };
}

export function transactionStarted(timestamp: string, meter: MeterState): object {
  return {
    eventType: 'Started',
    timestamp,
    triggerReason: 'CablePluggedIn',
    seqNo: meter.seqNo,
    transactionInfo: { transactionId: meter.transactionId, chargingState: 'Charging' },
    evse: { id: 1, connectorId: 1 },
    numberOfPhasesUsed: 3,
    meterValue: [
      {
        timestamp,
        sampledValue: [{ value: Math.round(meter.energyWh), measurand: 'Energy.Active.Import.Register', context: 'Transaction.Begin' }],
      },
    ],
  };
}

export function transactionTriggered(timestamp: string, meter: MeterState): object {
  return {
    eventType: 'Updated',
    timestamp,
    triggerReason: 'Trigger',
    seqNo: meter.seqNo,
    transactionInfo: { transactionId: meter.transactionId, chargingState: 'Charging' },
    evse: { id: 1, connectorId: 1 },
  };
}

/** SmartChargingCtrlr as the guide asks: stack levels 0–3, 24 periods, amps. */
const SMART_CHARGING: Record<string, string> = {
  available: 'true',
  enabled: 'true',
  profilestacklevel: '3',
  periodsperschedule: '24',
  rateunit: 'A',
  entries: '0',
};

interface VariableRequest {
  component: { name: string; instance?: string };
  variable: { name: string; instance?: string };
  attributeType?: string;
}

function isVariableRequest(value: unknown): value is VariableRequest {
  if (typeof value !== 'object' || value === null) return false;
  const component: unknown = Reflect.get(value, 'component');
  const variable: unknown = Reflect.get(value, 'variable');
  return (
    typeof component === 'object' &&
    component !== null &&
    typeof Reflect.get(component, 'name') === 'string' &&
    typeof variable === 'object' &&
    variable !== null &&
    typeof Reflect.get(variable, 'name') === 'string'
  );
}

/** GetVariablesResponse (B06): SmartChargingCtrlr is known, every other component is not. */
export function getVariablesResult(params: unknown): object {
  const data: unknown = typeof params === 'object' && params !== null ? Reflect.get(params, 'getVariableData') : undefined;
  const items = Array.isArray(data) ? data.filter(isVariableRequest) : [];
  return {
    getVariableResult: items.map((item) => {
      const base = {
        component: item.component,
        variable: item.variable,
        ...(item.attributeType === undefined ? {} : { attributeType: item.attributeType }),
      };
      if (item.attributeType !== undefined && item.attributeType !== 'Actual')
        return { ...base, attributeStatus: 'NotSupportedAttributeType' };
      if (item.component.name.toLowerCase() !== 'smartchargingctrlr') return { ...base, attributeStatus: 'UnknownComponent' };
      const value = SMART_CHARGING[item.variable.name.toLowerCase()];
      return value === undefined
        ? { ...base, attributeStatus: 'UnknownVariable' }
        : { ...base, attributeStatus: 'Accepted', attributeValue: value };
    }),
  };
}

/** What a SetChargingProfile asks for, as far as the load test cares. */
export interface ProfileSeen {
  readonly purpose: string;
  readonly stackLevel: number;
  /** Limit of the first period, A (the schedules the agent sends for a flat forecast have one period). */
  readonly firstLimitA: number | undefined;
  /** startSchedule + duration, epoch ms; undefined when the schedule has no duration (a standing profile). */
  readonly endMs: number | undefined;
}

/** When a schedule ends (startSchedule + duration), epoch ms; undefined without a duration (it holds until replaced). */
export function scheduleEndMs(schedule: unknown): number | undefined {
  if (typeof schedule !== 'object' || schedule === null) return undefined;
  const duration: unknown = Reflect.get(schedule, 'duration');
  const start: unknown = Reflect.get(schedule, 'startSchedule');
  if (typeof duration !== 'number') return undefined;
  const startMs = typeof start === 'string' ? Date.parse(start) : NaN;
  return (Number.isFinite(startMs) ? startMs : Date.now()) + duration * 1000;
}

export function profileSeen(params: unknown): ProfileSeen | undefined {
  const profile: unknown = typeof params === 'object' && params !== null ? Reflect.get(params, 'chargingProfile') : undefined;
  if (typeof profile !== 'object' || profile === null) return undefined;
  const purpose: unknown = Reflect.get(profile, 'chargingProfilePurpose');
  const stackLevel: unknown = Reflect.get(profile, 'stackLevel');
  const schedules: unknown = Reflect.get(profile, 'chargingSchedule');
  const schedule: unknown = Array.isArray(schedules) ? schedules[0] : undefined;
  const periods: unknown = typeof schedule === 'object' && schedule !== null ? Reflect.get(schedule, 'chargingSchedulePeriod') : undefined;
  const first: unknown = Array.isArray(periods) ? periods[0] : undefined;
  const limit: unknown = typeof first === 'object' && first !== null ? Reflect.get(first, 'limit') : undefined;
  if (typeof purpose !== 'string' || typeof stackLevel !== 'number') return undefined;
  return { purpose, stackLevel, firstLimitA: typeof limit === 'number' ? limit : undefined, endMs: scheduleEndMs(schedule) };
}

export function resultFrame(callId: string, payload: object): string {
  return JSON.stringify([3, callId, payload]);
}

export function errorFrame(callId: string, code: string, description: string): string {
  return JSON.stringify([4, callId, code, description, {}]);
}
