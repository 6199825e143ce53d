// The load test's lean stations over real sockets against a strict ocpp-rpc RPCServer (1.6 and 2.0.1 schemas check
// every frame): a 1.6 station boots Pending → GetConfiguration → triggered boot, starts its transaction with the
// CSMS's id, sends hot MeterValues with it, answers 1.6 profile calls and ends its session with StopTransaction.
import type { AddressInfo } from 'node:net';
import { RPCServer } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { z } from 'zod';
import { V16, V201 } from '../../../../simulators/loadtest/dialects';
import type { ProfileSeen } from '../../../../simulators/loadtest/frames';
import { LeanStation, type StationHost } from '../../../../simulators/loadtest/lean-station';
import { stationProtocol } from '../../../../simulators/loadtest/options';
import { STAT_SLOTS, WorkerStats } from '../../../../simulators/loadtest/worker-stats';

const TRANSACTION_ID = 77;

interface Received {
  identity: string;
  method: string;
  params: unknown;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('lean load-test stations in OCPP 1.6 form', () => {
  let server: RPCServer;
  let url = '';
  const received: Received[] = [];
  const invalid: unknown[] = [];
  const clients = new Map<string, RpcServerClient>();
  const stations: LeanStation[] = [];
  const acked: ProfileSeen[] = [];
  const stats = new WorkerStats(new Float64Array(STAT_SLOTS));
  const host: StationHost = {
    url: '',
    password: 'lean-station-password-01',
    deflate: false,
    stats,
    timestamp: () => '2026-03-02T10:00:00.000Z',
    idle: () => undefined,
    ready: () => undefined,
    profileAcked: (_station, profile) => void acked.push(profile),
    latency: () => undefined,
    lost: () => undefined,
  };

  beforeAll(async () => {
    server = new RPCServer({ protocols: ['ocpp1.6', 'ocpp2.0.1'], strictMode: true });
    server.auth((accept) => accept({}));
    server.on('client', (client: RpcServerClient) => {
      const identity = client.identity ?? '';
      clients.set(identity, client);
      client.on('strictValidationFailure', (failure: unknown) => invalid.push(failure));
      const record = (method: string, params: unknown): number => received.push({ identity, method, params });
      client.handle('BootNotification', async ({ params }) => {
        const boots = received.filter((r) => r.identity === identity && r.method === 'BootNotification').length;
        record('BootNotification', params);
        // 1.6 stations are told Pending first, as the agent does until its standing limits are in.
        const status = client.protocol === 'ocpp1.6' && boots === 0 ? 'Pending' : 'Accepted';
        return { currentTime: new Date().toISOString(), interval: 300, status };
      });
      client.handle('StartTransaction', async ({ params }) => {
        record('StartTransaction', params);
        return { idTagInfo: { status: 'Accepted' }, transactionId: TRANSACTION_ID };
      });
      client.handle('Heartbeat', async () => ({ currentTime: new Date().toISOString() }));
      client.handle('StopTransaction', async ({ params }) => (record('StopTransaction', params), {}));
      client.handle(async ({ method, params }) => (record(method ?? '', params), {}));
    });
    const httpServer = await server.listen(0, '127.0.0.1');
    const address = httpServer.address();
    if (address === null || typeof address === 'string') throw new Error('test CSMS did not bind a TCP port');
    url = `ws://127.0.0.1:${(address satisfies AddressInfo).port}/ocpp`;
  });

  afterAll(async () => {
    await Promise.all(stations.map((station) => station.close()));
    await server.close({ force: true });
  });

  const calls = (identity: string, method: string): unknown[] =>
    received.filter((r) => r.identity === identity && r.method === method).map((r) => r.params);

  function client(identity: string): RpcServerClient {
    const found = clients.get(identity);
    if (!found) throw new Error(`${identity} is not connected`);
    return found;
  }

  it('mixed fleets alternate: odd-numbered 2.0.1, even-numbered 1.6', () => {
    expect([0, 1, 2, 3].map((i) => stationProtocol('mixed', i))).toEqual(['2.0.1', '1.6', '2.0.1', '1.6']);
    expect(stationProtocol('1.6', 0)).toBe('1.6');
  });

  it('a 1.6 station: Pending, GetConfiguration, triggered boot, StartTransaction, MeterValues with the CSMS id, profiles, StopTransaction', async () => {
    const station = new LeanStation('LEAN-16', { ...host, url }, V16);
    stations.push(station);
    await station.connect();
    expect(client('LEAN-16').protocol).toBe('ocpp1.6');
    await until(() => station.state === 'pending', 'Pending');
    expect(await client('LEAN-16').call('GetConfiguration', { key: ['ChargeProfileMaxStackLevel', 'NoSuchKey'] })).toEqual({
      configurationKey: [{ key: 'ChargeProfileMaxStackLevel', readonly: true, value: '3' }],
      unknownKey: ['NoSuchKey'],
    });
    expect(await client('LEAN-16').call('GetConfiguration', {})).toMatchObject({
      configurationKey: expect.arrayContaining([{ key: 'ChargingScheduleAllowedChargingRateUnit', readonly: true, value: 'Current' }]),
    });
    expect(await client('LEAN-16').call('TriggerMessage', { requestedMessage: 'BootNotification' })).toEqual({ status: 'Accepted' });
    await until(() => station.state === 'ready', 'ready after StartTransaction');
    expect(calls('LEAN-16', 'StartTransaction')).toEqual([
      { connectorId: 1, idTag: 'LOADGEN', meterStart: 0, timestamp: '2026-03-02T10:00:00.000Z' },
    ]);
    expect(calls('LEAN-16', 'StatusNotification')).toEqual([
      { connectorId: 0, errorCode: 'NoError', status: 'Available', timestamp: '2026-03-02T10:00:00.000Z' },
      { connectorId: 1, errorCode: 'NoError', status: 'Charging', timestamp: '2026-03-02T10:00:00.000Z' },
    ]);

    const profile = {
      connectorId: 1,
      csChargingProfiles: {
        chargingProfileId: 30,
        transactionId: TRANSACTION_ID,
        stackLevel: 1,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: {
          startSchedule: '2026-03-02T10:00:00.000Z',
          chargingRateUnit: 'A',
          chargingSchedulePeriod: [{ startPeriod: 0, limit: 12.5 }],
        },
      },
    };
    expect(await client('LEAN-16').call('SetChargingProfile', profile)).toEqual({ status: 'Accepted' });
    expect(acked).toEqual([{ purpose: 'TxProfile', stackLevel: 1, firstLimitA: 12.5 }]);
    expect(await client('LEAN-16').call('ClearChargingProfile', {})).toEqual({ status: 'Accepted' });

    expect(station.canSendLoad()).toBe(true);
    station.sendLoad('MeterValues', Date.now());
    await until(() => calls('LEAN-16', 'MeterValues').length === 1, 'the hot MeterValues');
    expect(calls('LEAN-16', 'MeterValues')[0]).toMatchObject({
      connectorId: 1,
      transactionId: TRANSACTION_ID,
      meterValue: [
        {
          sampledValue: expect.arrayContaining([
            { value: '12.5', context: 'Sample.Periodic', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
            { value: '12.5', context: 'Sample.Periodic', measurand: 'Current.Offered', unit: 'A' },
          ]),
        },
      ],
    });
    expect(await client('LEAN-16').call('TriggerMessage', { requestedMessage: 'StatusNotification', connectorId: 1 })).toEqual({
      status: 'Accepted',
    });
    await until(() => calls('LEAN-16', 'StatusNotification').length === 3, 'the triggered StatusNotification');
    await expect(client('LEAN-16').call('Reset', { type: 'Soft' })).rejects.toMatchObject({ rpcErrorCode: 'NotImplemented' });

    await until(() => station.canSendLoad(), 'nothing in flight');
    await station.close();
    // The meter runs on wall time at 12.5 A from the profile on, so how many Wh it read depends on this machine's
    // speed; what must hold is that StopTransaction ends the register where the last MeterValues left it.
    const register = z
      .object({ meterValue: z.array(z.object({ sampledValue: z.array(z.object({ measurand: z.string(), value: z.string() })) })) })
      .parse(calls('LEAN-16', 'MeterValues')[0])
      .meterValue[0]?.sampledValue.find((v) => v.measurand === 'Energy.Active.Import.Register')?.value;
    expect(register).toMatch(/^\d+$/);
    expect(calls('LEAN-16', 'StopTransaction')).toEqual([
      { transactionId: TRANSACTION_ID, meterStop: Number(register), timestamp: '2026-03-02T10:00:00.000Z', reason: 'Local' },
    ]);
    expect(invalid).toEqual([]);
  });

  it('a 2.0.1 station on the same server keeps its 2.0.1 frames', async () => {
    const station = new LeanStation('LEAN-201', { ...host, url }, V201);
    stations.push(station);
    await station.connect();
    await until(() => station.state === 'ready', 'ready after TransactionEvent Started');
    expect(client('LEAN-201').protocol).toBe('ocpp2.0.1');
    station.sendLoad('TransactionEvent', Date.now());
    await until(() => calls('LEAN-201', 'TransactionEvent').length === 2, 'the hot TransactionEvent');
    expect(calls('LEAN-201', 'StartTransaction')).toEqual([]);
    await station.close();
    expect(calls('LEAN-201', 'StopTransaction')).toEqual([]);
    expect(invalid).toEqual([]);
  });
});
