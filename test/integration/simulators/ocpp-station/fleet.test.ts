// The station simulator over real WebSockets against a fake CSMS (ocpp-rpc RPCServer on 127.0.0.1:0):
// profiles sent over the wire are applied, the limit log and the power drawn follow them, meter values follow the power.
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { RPCServer } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { z } from 'zod';
import { createFleet, type Fleet, type FleetOptionsInput } from '../../../../simulators/ocpp-station';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

const SampledValue = z.object({ value: z.number(), measurand: z.string().optional(), phase: z.string().optional() });
const TransactionEvent = z.object({
  eventType: z.enum(['Started', 'Updated', 'Ended']),
  timestamp: z.string(),
  triggerReason: z.string(),
  seqNo: z.number(),
  offline: z.boolean().optional(),
  transactionInfo: z.object({ transactionId: z.string(), chargingState: z.string().optional() }),
  evse: z.object({ id: z.number() }).optional(),
  meterValue: z.array(z.object({ timestamp: z.string(), sampledValue: z.array(SampledValue) })).optional(),
});
type TransactionEvent = z.infer<typeof TransactionEvent>;

interface Received {
  identity: string;
  method: string;
  params: unknown;
}

/** A minimal CSMS that accepts everyone and records every CALL it receives. */
async function startCsms(): Promise<{ server: RPCServer; port: number; received: Received[]; clients: Map<string, RpcServerClient> }> {
  const server = new RPCServer({ protocols: ['ocpp2.0.1'], strictMode: true });
  const received: Received[] = [];
  const clients = new Map<string, RpcServerClient>();
  server.auth((accept) => accept({}));
  server.on('client', (client: RpcServerClient) => {
    clients.set(client.identity ?? '', client);
    const record = (method: string, params: unknown): void => void received.push({ identity: client.identity ?? '', method, params });
    client.handle('BootNotification', async ({ params }) => {
      record('BootNotification', params);
      return { currentTime: new Date().toISOString(), interval: 300, status: 'Accepted' };
    });
    client.handle('Heartbeat', async ({ params }) => (record('Heartbeat', params), { currentTime: new Date().toISOString() }));
    client.handle('NotifyEVChargingNeeds', async ({ params }) => (record('NotifyEVChargingNeeds', params), { status: 'Accepted' }));
    client.handle(async ({ method, params }) => (record(method ?? '', params), {}));
  });
  const httpServer = await server.listen(0, '127.0.0.1');
  const address = httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('fake CSMS did not bind a TCP port');
  return { server, port: (address satisfies AddressInfo).port, received, clients };
}

function transactionEvents(received: Received[], identity: string): TransactionEvent[] {
  return received.filter((r) => r.identity === identity && r.method === 'TransactionEvent').map((r) => TransactionEvent.parse(r.params));
}

function sample(event: TransactionEvent, measurand: string, phase?: string): number | undefined {
  return event.meterValue?.[0]?.sampledValue.find((s) => s.measurand === measurand && (phase === undefined || s.phase === phase))?.value;
}

describe('OCPP station simulator over the wire', () => {
  let csms: Awaited<ReturnType<typeof startCsms>>;
  let fleet: Fleet | undefined;
  let nowMs = T0;
  const now = (): DateTime => DateTime.fromMillis(nowMs, { zone: 'utc' });

  /** Poll while driving the fleet's scheduler; the network is real, the clock virtual. */
  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      fleet?.tick();
      if (condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async function startFleet(options: Partial<FleetOptionsInput> = {}): Promise<Fleet> {
    nowMs = T0;
    fleet = createFleet(
      {
        url: `ws://127.0.0.1:${csms.port}/ocpp`,
        count: 2,
        autoTick: false,
        connectRatePerS: 1_000_000,
        backoff: { minS: 0, randomS: 0, repeatTimes: 0 },
        ...options,
      },
      now,
    );
    fleet.start();
    const started = fleet;
    await until(() => started.summary().bootAccepted === started.stations.size, 'all stations booted');
    return started;
  }

  async function advance(toMs: number): Promise<void> {
    nowMs = toMs;
    fleet?.tick();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  function csmsClient(identity: string): RpcServerClient {
    const client = csms.clients.get(identity);
    if (!client) throw new Error(`${identity} is not connected to the fake CSMS`);
    return client;
  }

  beforeEach(async () => {
    csms = await startCsms();
  });

  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
    await csms.server.close({ force: true });
  });

  it('boots, reports status, and on plug-in starts a transaction with seqNo 0', async () => {
    const f = await startFleet();
    expect(csms.received.filter((r) => r.method === 'BootNotification')).toHaveLength(2);
    await until(() => csms.received.filter((r) => r.method === 'StatusNotification').length >= 4, 'StatusNotification per EVSE');
    expect(csms.received.filter((r) => r.method === 'StatusNotification')).toHaveLength(4);
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16, iso15118: true, departureAfterS: 3600 });
    await until(() => transactionEvents(csms.received, 'SIM-00001').length >= 2, 'Started and Charging events');
    const [started, charging] = transactionEvents(csms.received, 'SIM-00001');
    expect(started).toMatchObject({ eventType: 'Started', triggerReason: 'CablePluggedIn', seqNo: 0, timestamp: iso(T0) });
    expect(charging).toMatchObject({
      eventType: 'Updated',
      triggerReason: 'ChargingStateChanged',
      seqNo: 1,
      transactionInfo: { chargingState: 'Charging' },
    });
    expect(csms.received.some((r) => r.method === 'NotifyEVChargingNeeds')).toBe(true);
    // No profile: a gap means the hardware maximum (32 A); the EV draws its own maximum.
    expect(f.limitLog('SIM-00001', 1).at(-1)).toEqual({ atMs: T0, limitA: [32, 32, 32], drawnA: [16, 16, 16] });
  });

  it('K01 — applies a TxProfile received over the wire; the log and meter values follow it, then the lease expires to the hardware maximum', async () => {
    const f = await startFleet();
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16 });
    await until(() => transactionEvents(csms.received, 'SIM-00001').length >= 1, 'Started');
    const transactionId = transactionEvents(csms.received, 'SIM-00001')[0]?.transactionInfo.transactionId;
    const answer = await csmsClient('SIM-00001').call('SetChargingProfile', {
      evseId: 1,
      chargingProfile: {
        id: 11,
        stackLevel: 1,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Absolute',
        transactionId,
        chargingSchedule: [
          {
            id: 1,
            startSchedule: iso(T0),
            duration: 600,
            chargingRateUnit: 'A',
            chargingSchedulePeriod: [
              { startPeriod: 0, limit: 10 },
              { startPeriod: 300, limit: 8 },
            ],
          },
        ],
      },
    });
    expect(answer).toEqual({ status: 'Accepted' });
    await advance(T0 + 60_000);
    await advance(T0 + 300_000);
    await advance(T0 + 600_000);
    await until(
      () => transactionEvents(csms.received, 'SIM-00001').some((e) => e.timestamp === iso(T0 + 600_000)),
      'event at lease expiry',
    );

    expect(f.limitLog('SIM-00001', 1)).toEqual([
      { atMs: T0, limitA: [32, 32, 32], drawnA: [0, 0, 0] },
      { atMs: T0, limitA: [32, 32, 32], drawnA: [16, 16, 16] },
      { atMs: T0, limitA: [10, 10, 10], drawnA: [10, 10, 10] },
      { atMs: T0 + 300_000, limitA: [8, 8, 8], drawnA: [8, 8, 8] },
      { atMs: T0 + 600_000, limitA: [32, 32, 32], drawnA: [16, 16, 16] },
    ]);

    const events = transactionEvents(csms.received, 'SIM-00001');
    const periodic = events.find((e) => e.triggerReason === 'MeterValuePeriodic' && e.timestamp === iso(T0 + 60_000));
    expect(periodic && sample(periodic, 'Current.Import', 'L1')).toBe(10);
    expect(periodic && sample(periodic, 'Power.Active.Import')).toBe(6900);
    // 10 A × 3 phases × 230 V for 60 s = 115 Wh.
    expect(periodic && sample(periodic, 'Energy.Active.Import.Register')).toBe(115);
    const stepDown = events.find((e) => e.triggerReason === 'ChargingRateChanged' && e.timestamp === iso(T0 + 300_000));
    expect(stepDown && sample(stepDown, 'Current.Offered')).toBe(8);
    expect(stepDown && sample(stepDown, 'Power.Active.Import')).toBe(5520);
    expect(stepDown && sample(stepDown, 'Energy.Active.Import.Register')).toBe(575);
    const expired = events.find((e) => e.timestamp === iso(T0 + 600_000) && e.triggerReason === 'ChargingRateChanged');
    // 575 Wh + 8 A × 3 × 230 V × 300 s = 575 + 460 = 1035 Wh.
    expect(expired && sample(expired, 'Energy.Active.Import.Register')).toBe(1035);
    expect(expired && sample(expired, 'Current.Import', 'L3')).toBe(16);
    expect(events.map((e) => e.seqNo)).toEqual(events.map((_, i) => i));
  });

  it('station sum capped by ChargingStationMaxProfile: two EVs share the cap', async () => {
    const f = await startFleet({ count: 1 });
    const answer = await csmsClient('SIM-00001').call('SetChargingProfile', {
      evseId: 0,
      chargingProfile: {
        id: 1,
        stackLevel: 0,
        chargingProfilePurpose: 'ChargingStationMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          { id: 1, startSchedule: iso(T0 - 3_600_000), chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 13_800 }] },
        ],
      },
    });
    expect(answer).toEqual({ status: 'Accepted' });
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16 });
    expect(f.limitLog('SIM-00001', 1).at(-1)).toMatchObject({ drawnA: [16, 16, 16] });
    f.plugIn('SIM-00001', 2, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16 });
    // 13 800 W / (230 V × 3) = 20 A per phase for the station, shared 10 A + 10 A.
    expect(f.limitLog('SIM-00001', 1).at(-1)).toEqual({ atMs: T0, limitA: [10, 10, 10], drawnA: [10, 10, 10] });
    expect(f.limitLog('SIM-00001', 2).at(-1)).toEqual({ atMs: T0, limitA: [10, 10, 10], drawnA: [10, 10, 10] });
  });

  it('per EVSE: min with ChargingStationExternalConstraints set by the local EMS, reported with NotifyChargingLimit', async () => {
    const f = await startFleet({ count: 2, stationOverrides: { 'SIM-00002': { periodsPerSchedule: 5, evseMaxA: 16 } } });
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 32 });
    const verdict = f.setExternalConstraint('SIM-00001', 1, {
      id: 900,
      stackLevel: 0,
      chargingProfilePurpose: 'ChargingStationExternalConstraints',
      chargingProfileKind: 'Absolute',
      chargingSchedule: [{ id: 1, startSchedule: iso(T0), chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 12 }] }],
    });
    expect(verdict).toEqual({ status: 'Accepted' });
    expect(f.limitLog('SIM-00001', 1).at(-1)).toEqual({ atMs: T0, limitA: [12, 12, 12], drawnA: [12, 12, 12] });
    await until(() => csms.received.some((r) => r.method === 'NotifyChargingLimit'), 'NotifyChargingLimit');
    expect(csms.received.find((r) => r.method === 'NotifyChargingLimit')?.params).toEqual({
      chargingLimit: { chargingLimitSource: 'EMS' },
      evseId: 1,
    });
    // Per-station device model: SIM-00002 was configured differently from the fleet default.
    const variables = await csmsClient('SIM-00002').call('GetVariables', {
      getVariableData: [{ component: { name: 'SmartChargingCtrlr' }, variable: { name: 'PeriodsPerSchedule' } }],
    });
    expect(variables).toMatchObject({ getVariableResult: [{ attributeValue: '5' }] });
    expect(f.limitLog('SIM-00002', 1).at(-1)?.limitA).toEqual([16, 16, 16]);
  });

  it('rejects invalid profiles like a real station and answers K08/K09/GetVariables', async () => {
    await startFleet({ count: 1, periodsPerSchedule: 2, profileStackLevel: 1 });
    const client = csmsClient('SIM-00001');
    const txProfile = (transactionId: string) => ({
      evseId: 1,
      chargingProfile: {
        id: 5,
        stackLevel: 0,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Relative',
        transactionId,
        chargingSchedule: [{ id: 1, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] }],
      },
    });
    expect(await client.call('SetChargingProfile', txProfile('no-such-tx'))).toMatchObject({
      status: 'Rejected',
      statusInfo: { reasonCode: 'TxNotFound' },
    });
    const tooHigh = {
      evseId: 0,
      chargingProfile: {
        id: 6,
        stackLevel: 2,
        chargingProfilePurpose: 'TxDefaultProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          { id: 1, startSchedule: iso(T0), chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] },
        ],
      },
    };
    expect(await client.call('SetChargingProfile', tooHigh)).toMatchObject({
      status: 'Rejected',
      statusInfo: { reasonCode: 'InvalidStackLevel' },
    });
    const good = {
      ...tooHigh,
      chargingProfile: {
        ...tooHigh.chargingProfile,
        stackLevel: 1,
        chargingSchedule: [{ ...tooHigh.chargingProfile.chargingSchedule[0], duration: 900 }],
      },
    };
    expect(await client.call('SetChargingProfile', good)).toEqual({ status: 'Accepted' });

    expect(await client.call('GetCompositeSchedule', { evseId: 1, duration: 1800, chargingRateUnit: 'A' })).toEqual({
      status: 'Accepted',
      schedule: {
        evseId: 1,
        duration: 1800,
        scheduleStart: iso(T0),
        chargingRateUnit: 'A',
        chargingSchedulePeriod: [
          { startPeriod: 0, limit: 6, numberPhases: 3 },
          { startPeriod: 900, limit: 32, numberPhases: 3 },
        ],
      },
    });
    const variables = await client.call('GetVariables', {
      getVariableData: [
        { component: { name: 'SmartChargingCtrlr' }, variable: { name: 'PeriodsPerSchedule' } },
        { component: { name: 'SmartChargingCtrlr' }, variable: { name: 'Entries', instance: 'ChargingProfiles' } },
        { component: { name: 'NoSuchCtrlr' }, variable: { name: 'X' } },
      ],
    });
    expect(variables).toMatchObject({
      getVariableResult: [
        { attributeStatus: 'Accepted', attributeValue: '2' },
        { attributeStatus: 'Accepted', attributeValue: '1' },
        { attributeStatus: 'UnknownComponent' },
      ],
    });
    expect(
      await client.call('GetChargingProfiles', { requestId: 7, chargingProfile: { chargingProfilePurpose: 'TxDefaultProfile' } }),
    ).toEqual({ status: 'Accepted' });
    await until(() => csms.received.some((r) => r.method === 'ReportChargingProfiles'), 'ReportChargingProfiles');
    expect(csms.received.find((r) => r.method === 'ReportChargingProfiles')?.params).toMatchObject({
      requestId: 7,
      chargingLimitSource: 'CSO',
      evseId: 0,
      chargingProfile: [{ id: 6 }],
    });
    expect(await client.call('ClearChargingProfile', { chargingProfileId: 6 })).toEqual({ status: 'Accepted' });
    expect(await client.call('ClearChargingProfile', { chargingProfileId: 6 })).toEqual({ status: 'Unknown' });
  });

  it('failure modes: reject every profile, or answer NotImplemented', async () => {
    await startFleet({ count: 1, rejectProfilesPercent: 100 });
    const profile = {
      evseId: 0,
      chargingProfile: {
        id: 1,
        stackLevel: 0,
        chargingProfilePurpose: 'TxDefaultProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          { id: 1, startSchedule: iso(T0), chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] },
        ],
      },
    };
    expect(await csmsClient('SIM-00001').call('SetChargingProfile', profile)).toMatchObject({ status: 'Rejected' });
    await fleet?.stop();
    csms.clients.clear();
    await startFleet({ count: 1, notImplementedPercent: 100 });
    await expect(csmsClient('SIM-00001').call('SetChargingProfile', profile)).rejects.toMatchObject({ rpcErrorCode: 'NotImplemented' });
  });

  it('a dropped connection reconnects with back-off, without a new BootNotification, and replays offline events', async () => {
    const f = await startFleet({ count: 1 });
    const station = f.stationOrThrow('SIM-00001');
    station.drop();
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 1, maxCurrentA: 16 });
    await until(() => station.stats.connects === 2 && transactionEvents(csms.received, 'SIM-00001').length >= 2, 'reconnect and replay');
    expect(csms.received.filter((r) => r.method === 'BootNotification')).toHaveLength(1);
    const replayed = transactionEvents(csms.received, 'SIM-00001');
    expect(replayed[0]).toMatchObject({ eventType: 'Started', offline: true, seqNo: 0 });
    expect(f.limitLog('SIM-00001', 1).at(-1)).toEqual({ atMs: T0, limitA: [32, 32, 32], drawnA: [16, 0, 0] });
  });

  it('a TransactionEvent whose socket dies before the answer is kept and sent again, in order, after reconnecting', async () => {
    const f = await startFleet({ count: 1 });
    const station = f.stationOrThrow('SIM-00001');
    // This connection takes the first TransactionEvent down with it: recorded, never answered, the socket cut.
    const first = csmsClient('SIM-00001');
    first.handle('TransactionEvent', ({ params }) => {
      csms.received.push({ identity: 'SIM-00001', method: 'TransactionEvent', params });
      void first.close({ force: true });
      return new Promise<never>(() => undefined);
    });
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16 });
    await until(() => station.stats.connects === 2 && transactionEvents(csms.received, 'SIM-00001').length >= 3, 'reconnect and replay');
    const events = transactionEvents(csms.received, 'SIM-00001');
    // The lost Started arrives again (a CSMS may see it twice: at least once), then what was queued behind it.
    expect(events.map((e) => [e.seqNo, e.eventType, e.offline ?? false])).toEqual([
      [0, 'Started', false],
      [0, 'Started', true],
      [1, 'Updated', true],
    ]);
  });
});
