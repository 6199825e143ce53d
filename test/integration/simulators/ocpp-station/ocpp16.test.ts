// The station simulator in OCPP 1.6J mode over real WebSockets against a strict ocpp-rpc RPCServer (ocpp1.6 schemas
// check every frame both ways): boot, configuration, 1.6 profiles applied to the draw, transactions with meter values.
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { createRPCError, RPCServer } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { z } from 'zod';
import { createFleet, type Fleet, type FleetOptionsInput } from '../../../../simulators/ocpp-station';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const TRANSACTION_ID = 4711;

const SampledValue = z.object({
  value: z.string(),
  measurand: z.string().optional(),
  phase: z.string().optional(),
  unit: z.string().optional(),
});
const MeterValue = z.object({ timestamp: z.string(), sampledValue: z.array(SampledValue) });
const MeterValues = z.object({ connectorId: z.number(), transactionId: z.number().optional(), meterValue: z.array(MeterValue) });
const StopTransaction = z.object({
  transactionId: z.number(),
  meterStop: z.number(),
  timestamp: z.string(),
  reason: z.string().optional(),
  transactionData: z.array(MeterValue).optional(),
});

interface Received {
  identity: string;
  protocol: string;
  method: string;
  params: unknown;
}

interface Csms {
  server: RPCServer;
  port: number;
  received: Received[];
  clients: Map<string, RpcServerClient>;
  /** Frames ocpp-rpc's strict mode refused, either way. */
  invalid: unknown[];
  /** How StartTransaction is answered: an id, or a CALLERROR. */
  startAnswer: 'id' | 'error';
}

async function startCsms(protocols: string[] = ['ocpp1.6']): Promise<Csms> {
  const server = new RPCServer({ protocols, strictMode: true });
  const csms: Csms = { server, port: 0, received: [], clients: new Map(), invalid: [], startAnswer: 'id' };
  server.auth((accept) => accept({}));
  server.on('client', (client: RpcServerClient) => {
    const identity = client.identity ?? '';
    csms.clients.set(identity, client);
    client.on('strictValidationFailure', (failure: unknown) => csms.invalid.push(failure));
    const record = (method: string, params: unknown): void =>
      void csms.received.push({ identity, protocol: client.protocol ?? '', method, params });
    client.handle('BootNotification', async ({ params }) => {
      record('BootNotification', params);
      return { currentTime: new Date(T0).toISOString(), interval: 300, status: 'Accepted' };
    });
    client.handle('Heartbeat', async ({ params }) => (record('Heartbeat', params), { currentTime: iso(T0) }));
    client.handle('Authorize', async ({ params }) => (record('Authorize', params), { idTagInfo: { status: 'Accepted' } }));
    client.handle('StartTransaction', async ({ params }) => {
      record('StartTransaction', params);
      if (csms.startAnswer === 'error') throw createRPCError('InternalError', 'the test CSMS refuses this StartTransaction');
      return { idTagInfo: { status: 'Accepted' }, transactionId: TRANSACTION_ID };
    });
    client.handle('StopTransaction', async ({ params }) => (record('StopTransaction', params), {}));
    client.handle('NotifyEVChargingNeeds', async ({ params }) => (record('NotifyEVChargingNeeds', params), { status: 'Accepted' }));
    client.handle(async ({ method, params }) => (record(method ?? '', params), {}));
  });
  const httpServer = await server.listen(0, '127.0.0.1');
  const address = httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('test CSMS did not bind a TCP port');
  csms.port = (address satisfies AddressInfo).port;
  return csms;
}

describe('OCPP 1.6J station simulator over the wire', () => {
  let csms: Csms;
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
        protocol: '1.6',
        count: 1,
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

  function client(identity = 'SIM-00001'): RpcServerClient {
    const found = csms.clients.get(identity);
    if (!found) throw new Error(`${identity} is not connected to the test CSMS`);
    return found;
  }

  const calls = (method: string, identity = 'SIM-00001'): unknown[] =>
    csms.received.filter((r) => r.identity === identity && r.method === method).map((r) => r.params);
  const statuses = (identity = 'SIM-00001'): { connectorId: number; status: string }[] =>
    calls('StatusNotification', identity).map((p) => z.object({ connectorId: z.number(), status: z.string() }).parse(p));
  const meterValues = (identity = 'SIM-00001'): z.infer<typeof MeterValues>[] =>
    calls('MeterValues', identity).map((p) => MeterValues.parse(p));
  const sample = (value: z.infer<typeof MeterValue> | undefined, measurand: string, phase?: string): string | undefined =>
    value?.sampledValue.find((s) => s.measurand === measurand && (phase === undefined || s.phase === phase))?.value;

  const txProfile = (limit: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    connectorId: 1,
    csChargingProfiles: {
      chargingProfileId: 11,
      transactionId: TRANSACTION_ID,
      stackLevel: 1,
      chargingProfilePurpose: 'TxProfile',
      chargingProfileKind: 'Absolute',
      chargingSchedule: { startSchedule: iso(T0), chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit }] },
      ...extra,
    },
  });

  beforeEach(async () => {
    csms = await startCsms();
  });

  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
    await csms.server.close({ force: true });
    expect(csms.invalid).toEqual([]);
  });

  it('connects with ocpp1.6, boots with the 1.6 BootNotification and reports connector 0 and each connector', async () => {
    await startFleet({ evsesPerStation: 2 });
    expect(client().protocol).toBe('ocpp1.6');
    expect(calls('BootNotification')).toEqual([
      {
        chargePointVendor: 'flexbridge',
        chargePointModel: 'FlexSim AC 1.6',
        chargePointSerialNumber: 'SIM-00001',
        firmwareVersion: 'flexsim-1.6',
      },
    ]);
    await until(() => calls('StatusNotification').length >= 3, 'StatusNotification for 0, 1, 2');
    expect(calls('StatusNotification')).toEqual(
      [0, 1, 2].map((connectorId) => ({ connectorId, errorCode: 'NoError', status: 'Available', timestamp: iso(T0) })),
    );
  });

  it('GetConfiguration reports the smart-charging keys from the same limits as 2.0.1; ChangeConfiguration by access', async () => {
    await startFleet({ profileStackLevel: 2, periodsPerSchedule: 5, entriesMax: 7, rateUnits: ['A'], meterIntervalS: 60 });
    const all = await client().call('GetConfiguration', {});
    const values = Object.fromEntries(
      z
        .object({ configurationKey: z.array(z.object({ key: z.string(), value: z.string() })) })
        .parse(all)
        .configurationKey.map((k) => [k.key, k.value]),
    );
    expect(values).toMatchObject({
      SupportedFeatureProfiles: 'Core,SmartCharging,RemoteTrigger',
      ChargeProfileMaxStackLevel: '2',
      ChargingScheduleAllowedChargingRateUnit: 'Current',
      ChargingScheduleMaxPeriods: '5',
      MaxChargingProfilesInstalled: '7',
      ConnectorSwitch3to1PhaseSupported: 'false',
      NumberOfConnectors: '2',
      MeterValueSampleInterval: '60',
      MeterValuesSampledData: 'Current.Import,Current.Offered,Power.Active.Import,Energy.Active.Import.Register',
      HeartbeatInterval: '300',
    });
    expect(await client().call('GetConfiguration', { key: ['NumberOfConnectors', 'NoSuchKey'] })).toEqual({
      configurationKey: [{ key: 'NumberOfConnectors', readonly: true, value: '2' }],
      unknownKey: ['NoSuchKey'],
    });
    expect(await client().call('ChangeConfiguration', { key: 'MeterValueSampleInterval', value: '30' })).toEqual({ status: 'Accepted' });
    expect(await client().call('ChangeConfiguration', { key: 'NumberOfConnectors', value: '3' })).toEqual({ status: 'Rejected' });
    expect(await client().call('ChangeConfiguration', { key: 'MeterValuesSampledData', value: 'Voltage' })).toEqual({ status: 'Rejected' });
    expect(await client().call('ChangeConfiguration', { key: 'NoSuchKey', value: '1' })).toEqual({ status: 'NotSupported' });
    expect(await client().call('GetConfiguration', { key: ['MeterValueSampleInterval'] })).toMatchObject({
      configurationKey: [{ key: 'MeterValueSampleInterval', readonly: false, value: '30' }],
    });
  });

  it('a transaction: StartTransaction takes the CSMS id, the draw follows TxProfile ∧ ChargePointMaxProfile, MeterValues and StopTransaction carry the id', async () => {
    const f = await startFleet({ evsesPerStation: 1, meterIntervalS: 60, authorizeBeforeStart: true });
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16 });
    await until(() => calls('StartTransaction').length === 1 && calls('Authorize').length === 1, 'Authorize and StartTransaction');
    expect(calls('Authorize')).toEqual([{ idTag: 'FLEXSIM-TAG' }]);
    expect(calls('StartTransaction')).toEqual([{ connectorId: 1, idTag: 'FLEXSIM-TAG', meterStart: 0, timestamp: iso(T0) }]);
    const station = f.stationOrThrow('SIM-00001');
    await until(() => station.protocol === '1.6' && station.evses.get(1)?.transaction?.csmsTransactionId === TRANSACTION_ID, 'the id');

    // A TxProfile for another transaction is rejected; the right one applies.
    expect(await client().call('SetChargingProfile', txProfile(10, { transactionId: 99 }))).toEqual({ status: 'Rejected' });
    expect(await client().call('SetChargingProfile', txProfile(10))).toEqual({ status: 'Accepted' });
    const stationMax = {
      connectorId: 0,
      csChargingProfiles: {
        chargingProfileId: 1,
        stackLevel: 0,
        chargingProfilePurpose: 'ChargePointMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: {
          startSchedule: iso(T0 - 60_000),
          chargingRateUnit: 'W',
          chargingSchedulePeriod: [{ startPeriod: 0, limit: 5520 }],
        },
      },
    };
    expect(await client().call('SetChargingProfile', stationMax)).toEqual({ status: 'Accepted' });
    // 5520 W / (230 V × 3) = 8 A: the station cap binds below the TxProfile's 10 A.
    expect(f.standingLog('SIM-00001').map((e) => e.limitA)).toEqual([8]);
    expect(await client().call('GetCompositeSchedule', { connectorId: 1, duration: 600, chargingRateUnit: 'A' })).toEqual({
      status: 'Accepted',
      connectorId: 1,
      scheduleStart: iso(T0),
      chargingSchedule: { duration: 600, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 8, numberPhases: 3 }] },
    });

    await advance(T0 + 60_000);
    await until(() => meterValues().some((m) => m.meterValue[0]?.timestamp === iso(T0 + 60_000)), 'the periodic sample');
    const periodic = meterValues().find((m) => m.meterValue[0]?.timestamp === iso(T0 + 60_000));
    expect(periodic?.transactionId).toBe(TRANSACTION_ID);
    expect(sample(periodic?.meterValue[0], 'Current.Import', 'L1')).toBe('8');
    expect(sample(periodic?.meterValue[0], 'Current.Offered')).toBe('8');
    expect(sample(periodic?.meterValue[0], 'Power.Active.Import')).toBe('5520');
    // 8 A × 3 phases × 230 V for 60 s = 92 Wh.
    expect(sample(periodic?.meterValue[0], 'Energy.Active.Import.Register')).toBe('92');

    f.unplug('SIM-00001', 1);
    await until(() => calls('StopTransaction').length === 1, 'StopTransaction');
    const stop = StopTransaction.parse(calls('StopTransaction')[0]);
    expect(stop).toMatchObject({ transactionId: TRANSACTION_ID, meterStop: 92, timestamp: iso(T0 + 60_000), reason: 'EVDisconnected' });
    expect(stop.transactionData?.map((m) => m.sampledValue.find((s) => s.measurand === 'Energy.Active.Import.Register')?.value)).toEqual([
      '0',
      '92',
    ]);
    // The TxProfile died with its transaction; the ChargePointMaxProfile stays.
    expect(station.protocol === '1.6' && station.profiles.installed().map((p) => p.wire.chargingProfileId)).toEqual([1]);
    expect(f.limitLog('SIM-00001', 1)).toEqual([
      { atMs: T0, limitA: [32, 32, 32], drawnA: [0, 0, 0] },
      { atMs: T0, limitA: [32, 32, 32], drawnA: [16, 16, 16] },
      { atMs: T0, limitA: [10, 10, 10], drawnA: [10, 10, 10] },
      { atMs: T0, limitA: [8, 8, 8], drawnA: [8, 8, 8] },
      { atMs: T0 + 60_000, limitA: [8, 8, 8], drawnA: [0, 0, 0] },
    ]);
    const connector1 = (): string[] =>
      calls('StatusNotification')
        .map((p) => z.object({ connectorId: z.number(), status: z.string() }).parse(p))
        .filter((s) => s.connectorId === 1)
        .map((s) => s.status);
    await until(() => connector1().length === 5, 'Finishing and Available');
    expect(f.summary().callErrors).toBe(0);
    expect(connector1()).toEqual(['Available', 'Preparing', 'Charging', 'Finishing', 'Available']);
  });

  it('transaction messages queue while offline and go out in order after the reconnect, with the id StartTransaction got', async () => {
    const f = await startFleet({ evsesPerStation: 1, meterIntervalS: 30 });
    const station = f.stationOrThrow('SIM-00001');
    station.drop();
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 1, maxCurrentA: 16 });
    await advance(T0 + 30_000);
    await until(() => station.stats.connects === 2 && calls('MeterValues').length >= 1, 'reconnect and replay');
    expect(calls('BootNotification')).toHaveLength(1);
    const order = csms.received.filter((r) => ['StartTransaction', 'MeterValues'].includes(r.method)).map((r) => r.method);
    expect(order.slice(0, 2)).toEqual(['StartTransaction', 'MeterValues']);
    expect(meterValues()[0]).toMatchObject({ transactionId: TRANSACTION_ID, meterValue: [{ timestamp: iso(T0 + 30_000) }] });
    expect(f.limitLog('SIM-00001', 1).at(-1)).toEqual({ atMs: T0, limitA: [32, 32, 32], drawnA: [16, 0, 0] });
  });

  it('E16 3.18 — a StartTransaction refused after every attempt leaves the transaction with id -1', async () => {
    csms.startAnswer = 'error';
    const f = await startFleet({
      evsesPerStation: 1,
      meterIntervalS: 60,
      transactionMessageAttempts: 2,
      transactionMessageRetryIntervalS: 5,
    });
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16 });
    await until(() => calls('StartTransaction').length === 1, 'the first attempt');
    // The retry waits TransactionMessageRetryInterval × 1 on the virtual clock.
    await advance(T0 + 5_000);
    await until(() => calls('StartTransaction').length === 2, 'the second attempt');
    await advance(T0 + 60_000);
    await until(() => calls('MeterValues').length >= 1, 'the periodic sample');
    expect(calls('StartTransaction')).toHaveLength(2);
    expect(meterValues()[0]?.transactionId).toBe(-1);
    // A TxProfile naming a transaction the station never got an id for is not for this one.
    expect(await client().call('SetChargingProfile', txProfile(10))).toEqual({ status: 'Rejected' });
  });

  it('failure modes and a station without SmartCharging answer as a 1.6 station would', async () => {
    await startFleet({ rejectProfilesPercent: 100 });
    await until(() => csms.clients.has('SIM-00001'), 'connected');
    const stationMax = {
      connectorId: 0,
      csChargingProfiles: {
        chargingProfileId: 1,
        stackLevel: 0,
        chargingProfilePurpose: 'ChargePointMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: { startSchedule: iso(T0), chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] },
      },
    };
    expect(await client().call('SetChargingProfile', stationMax)).toEqual({ status: 'Rejected' });
    await fleet?.stop();
    csms.clients.clear();
    await startFleet({ notImplementedPercent: 100 });
    await expect(client().call('SetChargingProfile', stationMax)).rejects.toMatchObject({ rpcErrorCode: 'NotImplemented' });
    await fleet?.stop();
    csms.clients.clear();
    await startFleet({ featureProfiles: ['Core', 'RemoteTrigger'] });
    expect(await client().call('SetChargingProfile', stationMax)).toEqual({ status: 'NotSupported' });
    expect(await client().call('GetConfiguration', { key: ['SupportedFeatureProfiles', 'ChargeProfileMaxStackLevel'] })).toEqual({
      configurationKey: [{ key: 'SupportedFeatureProfiles', readonly: true, value: 'Core,RemoteTrigger' }],
      unknownKey: ['ChargeProfileMaxStackLevel'],
    });
  });

  it('TriggerMessage, RemoteStart with a TxProfile, RemoteStop, an empty ClearChargingProfile clears everything', async () => {
    const f = await startFleet({ evsesPerStation: 1 });
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16 });
    await until(() => calls('StartTransaction').length === 1, 'StartTransaction');
    // The connector reports Charging on the tick after StartTransaction's conf; count only once it has, so the
    // triggered pair is all that arrives after `before`.
    await until(() => statuses().some((s) => s.connectorId === 1 && s.status === 'Charging'), 'the connector charging');
    const before = statuses().length;
    expect(await client().call('TriggerMessage', { requestedMessage: 'StatusNotification' })).toEqual({ status: 'Accepted' });
    await until(() => statuses().length >= before + 2, 'the station and its connector');
    expect(
      statuses()
        .slice(before)
        .sort((a, b) => a.connectorId - b.connectorId),
    ).toEqual([
      { connectorId: 0, status: 'Available' },
      { connectorId: 1, status: 'Charging' },
    ]);
    expect(await client().call('TriggerMessage', { requestedMessage: 'MeterValues', connectorId: 1 })).toEqual({ status: 'Accepted' });
    await until(() => meterValues().some((m) => m.meterValue[0]?.sampledValue[0]?.measurand !== undefined), 'triggered MeterValues');
    expect(await client().call('TriggerMessage', { requestedMessage: 'MeterValues', connectorId: 7 })).toEqual({ status: 'Rejected' });

    expect(await client().call('RemoteStopTransaction', { transactionId: TRANSACTION_ID })).toEqual({ status: 'Accepted' });
    await until(() => calls('StopTransaction').length === 1, 'StopTransaction');
    expect(StopTransaction.parse(calls('StopTransaction')[0]).reason).toBe('Remote');
    expect(f.limitLog('SIM-00001', 1).at(-1)?.drawnA).toEqual([0, 0, 0]);

    const remoteProfile = txProfile(12).csChargingProfiles;
    const { transactionId: _unused, ...withoutId } = z.record(z.string(), z.unknown()).parse(remoteProfile);
    expect(await client().call('RemoteStartTransaction', { idTag: 'REMOTE-1', connectorId: 1, chargingProfile: withoutId })).toEqual({
      status: 'Accepted',
    });
    await until(() => calls('StartTransaction').length === 2, 'the remote StartTransaction');
    await until(() => f.limitLog('SIM-00001', 1).at(-1)?.drawnA[0] === 12, 'the remote TxProfile applied');
    expect(await client().call('ClearChargingProfile', {})).toEqual({ status: 'Accepted' });
    expect(f.limitLog('SIM-00001', 1).at(-1)?.drawnA).toEqual([16, 16, 16]);
    expect(await client().call('ClearChargingProfile', {})).toEqual({ status: 'Unknown' });
  });

  it('a mixed fleet: odd-numbered stations speak 2.0.1, even-numbered 1.6, on one server; both draw logs read the same', async () => {
    await csms.server.close({ force: true });
    csms = await startCsms(['ocpp2.0.1', 'ocpp1.6']);
    const f = await startFleet({ protocol: 'mixed', count: 2, evsesPerStation: 1 });
    expect([client('SIM-00001').protocol, client('SIM-00002').protocol]).toEqual(['ocpp2.0.1', 'ocpp1.6']);
    expect([f.protocolOf('SIM-00001'), f.protocolOf('SIM-00002')]).toEqual(['2.0.1', '1.6']);
    f.plugIn('SIM-00001', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16 });
    f.plugIn('SIM-00002', 1, { batteryWh: 60_000, socPercent: 20, phases: 3, maxCurrentA: 16 });
    await until(
      () => calls('StartTransaction', 'SIM-00002').length === 1 && calls('TransactionEvent', 'SIM-00001').length >= 1,
      'both started',
    );
    expect(f.limitLog('SIM-00001', 1).at(-1)).toEqual(f.limitLog('SIM-00002', 1).at(-1));
  });
});
