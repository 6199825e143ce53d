// The CSMS over real WebSockets and a real SQLite file: boot, discovery, transactions, commands and their outcomes.
import http from 'node:http';
import { randomBytes, scryptSync } from 'node:crypto';
import { WebSocket } from 'ws';
import { BootNotificationResponse } from './schemas';
import { boot, connectStation, eventually, PASSWORD, startTestCsms, type TestCsms } from './harness';

const LIVE = {
  kind: 'live',
  stationCap: { periods: [{ startMs: Date.now(), limitA: 20 }], leaseEndMs: Date.now() + 600_000 },
  sessions: [],
} as const;

describe('OCPP CSMS — boot, discovery and sessions', () => {
  let t: TestCsms;
  beforeEach(async () => {
    t = await startTestCsms();
  });
  afterEach(async () => {
    await t.stop();
  });

  test('B02 — a station with unknown smart-charging limits boots Pending, is read with GetVariables, then Accepted', async () => {
    const station = await connectStation(t.url);
    const first = BootNotificationResponse.parse(await boot(station));
    expect(first.status).toBe('Pending');
    await eventually(() => station.triggers.includes('BootNotification'));
    const record = t.store.stations.get('CS-1');
    expect(record?.smartCharging).toEqual({ profileStackLevel: 2, periodsPerSchedule: 24, rateUnits: ['A'] });
    const second = BootNotificationResponse.parse(await boot(station));
    expect(second.status).toBe('Accepted');
    expect(second.interval).toBe(300);
    await eventually(() => t.recorded.booted.includes('CS-1'));
    expect(t.recorded.stations.get('CS-1')).toMatchObject({ connected: true, profileStackLevel: 2, periodsPerSchedule: 24 });
    await station.client.close();
  });

  test("a connection keeps no handshake: the upgrade request and the station's password are not held for its life", async () => {
    const station = await connectStation(t.url);
    const runtime = await eventually(() => t.csms.registry.get('CS-1')?.client && t.csms.registry.get('CS-1'));
    expect(runtime.client?.identity).toBe('CS-1');
    expect(runtime.client?.handshake).toBeUndefined();
    await station.client.close();
  });

  test('B02.FR.09 — while Pending, other messages get SecurityError', async () => {
    const station = await connectStation(t.url);
    await boot(station);
    await expect(station.client.call('Heartbeat', {})).rejects.toMatchObject({ rpcErrorCode: 'SecurityError' });
    await station.client.close();
  });

  test('E01/E02/E06 — TransactionEvent Started, Updated with meter values and phases, Ended; stored and told to core', async () => {
    const station = await connectStation(t.url);
    const ts = new Date().toISOString();
    await station.client.call('TransactionEvent', {
      eventType: 'Started',
      timestamp: ts,
      triggerReason: 'CablePluggedIn',
      seqNo: 0,
      transactionInfo: { transactionId: 'tx-1', chargingState: 'EVConnected' },
      evse: { id: 2, connectorId: 1 },
      idToken: { idToken: 'RFID-1', type: 'ISO14443' },
      meterValue: [
        { timestamp: ts, sampledValue: [{ value: 1.5, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' } }] },
      ],
    });
    await station.client.call('TransactionEvent', {
      eventType: 'Updated',
      timestamp: ts,
      triggerReason: 'MeterValuePeriodic',
      seqNo: 1,
      numberOfPhasesUsed: 1,
      transactionInfo: { transactionId: 'tx-1', chargingState: 'Charging' },
      meterValue: [
        {
          timestamp: ts,
          sampledValue: [
            { value: 2000, measurand: 'Energy.Active.Import.Register' },
            { value: 15.5, measurand: 'Current.Import', phase: 'L1' },
          ],
        },
      ],
    });
    // A replay of seqNo 1 (offline queue) changes nothing.
    await station.client.call('TransactionEvent', {
      eventType: 'Updated',
      timestamp: ts,
      triggerReason: 'MeterValuePeriodic',
      seqNo: 1,
      offline: true,
      transactionInfo: { transactionId: 'tx-1', chargingState: 'SuspendedEV' },
    });
    const needs = await station.client.call('NotifyEVChargingNeeds', {
      evseId: 2,
      chargingNeeds: {
        requestedEnergyTransfer: 'AC_single_phase',
        departureTime: new Date(Date.now() + 3_600_000).toISOString(),
        acChargingParameters: { energyAmount: 20000, evMinCurrent: 6, evMaxCurrent: 16, evMaxVoltage: 400 },
      },
    });
    expect(needs).toEqual({ status: 'Accepted' });
    const session = await eventually(() => t.store.sessions.get('tx-1')?.evNeeds && t.store.sessions.get('tx-1'));
    expect(session).toMatchObject({
      stationId: 'CS-1',
      groupId: 'g1',
      evseId: 2,
      chargingState: 'Charging',
      phasesUsed: 1,
      meterStartWh: 1500,
      meterWh: 2000,
      measuredCurrentA: [15.5, 0, 0],
      lastSeqNo: 1,
      evNeeds: { energyAmountWh: 20000, evMinCurrentA: 6, evMaxCurrentA: 16 },
    });
    await station.client.call('TransactionEvent', {
      eventType: 'Ended',
      timestamp: ts,
      triggerReason: 'EVDeparted',
      seqNo: 2,
      transactionInfo: { transactionId: 'tx-1', stoppedReason: 'EVDisconnected' },
    });
    expect(t.store.sessions.get('tx-1')?.endedAt).toBeDefined();
    expect(t.store.sessions.active()).toHaveLength(0);
    expect(t.recorded.sessions.map((s) => s.lastSeqNo)).toEqual([0, 1, 1, 2]);
    await station.client.close();
  });

  test('sessions survive a restart of the CSMS and are asked for again when the station reconnects', async () => {
    let station = await connectStation(t.url);
    await station.client.call('TransactionEvent', {
      eventType: 'Started',
      timestamp: new Date().toISOString(),
      triggerReason: 'CablePluggedIn',
      seqNo: 0,
      transactionInfo: { transactionId: 'tx-9' },
      evse: { id: 1, connectorId: 1 },
    });
    await station.client.close();
    await t.restart();
    expect(t.recorded.sessions.filter((s) => s.transactionId === 'tx-9').length).toBeGreaterThanOrEqual(2);
    station = await connectStation(t.url);
    // Reconnected without booting: its first message tells the CSMS it is Accepted on its side.
    await station.client.call('Heartbeat', {});
    await eventually(() => station.triggers.includes('TransactionEvent'));
    expect(station.triggers).toContain('StatusNotification');
    await station.client.close();
  });

  test('E — a StatusNotification Available ends a transaction whose Ended was lost', async () => {
    const station = await connectStation(t.url);
    await station.client.call('TransactionEvent', {
      eventType: 'Started',
      timestamp: new Date().toISOString(),
      triggerReason: 'CablePluggedIn',
      seqNo: 0,
      transactionInfo: { transactionId: 'tx-lost' },
      evse: { id: 1, connectorId: 1 },
    });
    await station.client.call('StatusNotification', {
      timestamp: new Date().toISOString(),
      connectorStatus: 'Available',
      evseId: 1,
      connectorId: 1,
    });
    expect(t.store.sessions.get('tx-lost')?.endedAt).toBeDefined();
    await station.client.close();
  });

  test('Authorize follows the configured policy; unknown actions get NotImplemented', async () => {
    const station = await connectStation(t.url);
    expect(await station.client.call('Authorize', { idToken: { idToken: 'X', type: 'ISO14443' } })).toEqual({
      idTokenInfo: { status: 'Accepted' },
    });
    await expect(
      station.client.call('Get15118EVCertificate', { iso15118SchemaVersion: 'x', action: 'Install', exiRequest: 'x' }),
    ).rejects.toMatchObject({
      rpcErrorCode: 'NotImplemented',
    });
    await station.client.close();
  });
});

describe('OCPP CSMS — commands and their outcomes (K01)', () => {
  let t: TestCsms;
  beforeEach(async () => {
    t = await startTestCsms({ callTimeoutMs: 300 });
  });
  afterEach(async () => {
    await t.stop();
  });

  /** A station that reconnects without booting (it was Accepted before): its first message opens it to calls. */
  async function discovered(options: Parameters<typeof connectStation>[1] = {}): Promise<Awaited<ReturnType<typeof connectStation>>> {
    const station = await connectStation(t.url, options);
    await station.client.call('Heartbeat', {});
    await eventually(() => t.store.stations.get('CS-1')?.smartCharging);
    return station;
  }

  test('K01 — standing limits go out as ChargingStationMaxProfile and TxDefaultProfile at stack 0; Accepted', async () => {
    const station = await discovered();
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10.27 })).toBe('Accepted');
    expect(station.profiles.map((p) => (p.chargingProfile as { chargingProfilePurpose: string }).chargingProfilePurpose)).toEqual([
      'ChargingStationMaxProfile',
      'TxDefaultProfile',
    ]);
    expect(station.profiles[0]).toMatchObject({
      evseId: 0,
      chargingProfile: { stackLevel: 0, chargingSchedule: [{ chargingSchedulePeriod: [{ limit: 10.2 }] }] },
    });
    await station.client.close();
  });

  test('K01 — a Rejected profile is reported; three in a row make the station uncontrollable', async () => {
    const station = await discovered({ setChargingProfile: async () => ({ status: 'Rejected' }) });
    for (let i = 0; i < 3; i++) expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 })).toBe('Rejected');
    expect(t.recorded.uncontrollable).toEqual(['CS-1']);
    expect(t.store.stations.get('CS-1')?.controllable).toBe(false);
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 })).toBe('NotSupported');
    await station.client.close();
  });

  test('K01.FR.09 — TxProfiles rejected TxNotFound (the session ended meanwhile) never make a station uncontrollable', async () => {
    // Found by the soak through the Local Controller: short sessions raced their TxProfiles, three in a row marked the
    // station uncontrollable for good, and its folded profiles were no longer refreshed when the CSMS lowered its cap.
    const station = await discovered({
      setChargingProfile: async (params) =>
        (params['chargingProfile'] as { chargingProfilePurpose?: string } | undefined)?.chargingProfilePurpose === 'TxProfile'
          ? { status: 'Rejected', statusInfo: { reasonCode: 'TxNotFound' } }
          : { status: 'Accepted' },
    });
    const schedule = { periods: [{ startMs: Date.now(), limitA: 16 }], leaseEndMs: Date.now() + 600_000 };
    const live = { kind: 'live', stationCap: schedule, sessions: [{ transactionId: 'tx-gone', evseId: 1, schedule }] } as const;
    for (let i = 0; i < 4; i++) expect(await t.csms.commands.applyLimits('CS-1', live)).toBe('Rejected');
    expect(t.recorded.uncontrollable).toEqual([]);
    expect(t.store.stations.get('CS-1')?.controllable).toBe(true);
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 })).toBe('Accepted');
    await station.client.close();
  });

  test('K01.FR.29 — NotImplemented marks the station uncontrollable at once', async () => {
    const station = await connectStation(t.url);
    station.client.removeHandler('SetChargingProfile');
    await station.client.call('Heartbeat', {});
    await eventually(() => t.store.stations.get('CS-1')?.smartCharging);
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 })).toBe('NotSupported');
    expect(t.recorded.uncontrollable).toEqual(['CS-1']);
    await station.client.close();
  });

  test('a station that never answers times out (after one retry), and an unconnected one is Offline', async () => {
    const station = await discovered({ setChargingProfile: () => new Promise(() => undefined) });
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 })).toBe('Timeout');
    expect(station.profiles).toHaveLength(2);
    await station.client.close({ force: true });
    await eventually(() => t.recorded.connections.some((c) => !c.connected));
    expect(await t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 })).toBe('Offline');
    expect(await t.csms.commands.applyLimits('nobody', { kind: 'standing', limitA: 10 })).toBe('Offline');
  });

  test("a live profile beyond the station's ProfileStackLevel is not sent, with an error naming the limit", async () => {
    const station = await discovered({ stackLevel: 0 });
    expect(await t.csms.commands.applyLimits('CS-1', LIVE)).toBe('Rejected');
    expect(station.profiles).toHaveLength(0);
    await station.client.close();
  });

  test('coalescing — a queued limit change for the same slot is superseded by the newer one', async () => {
    await t.stop();
    t = await startTestCsms({ callTimeoutMs: 10_000 });
    let release: () => void = () => undefined;
    const station = await discovered({
      setChargingProfile: () => new Promise((resolve) => (release = () => resolve({ status: 'Accepted' }))),
    });
    await eventually(() => t.csms.registry.get('CS-1')?.queue.depth === 0);
    const first = t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 8 });
    const second = t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 9 });
    const third = t.csms.commands.applyLimits('CS-1', { kind: 'standing', limitA: 10 });
    expect(await second).toBe('Superseded');
    for (let sent = 1; sent <= 4; sent++) {
      await eventually(() => station.profiles.length >= sent);
      release();
    }
    expect(await first).toBe('Accepted');
    expect(await third).toBe('Accepted');
    const limits = station.profiles.map(
      (p) =>
        (p.chargingProfile as { chargingSchedule: { chargingSchedulePeriod: { limit: number }[] }[] }).chargingSchedule[0]
          ?.chargingSchedulePeriod[0]?.limit,
    );
    expect(limits).toEqual([8, 8, 10, 10]);
    await station.client.close();
  });

  test('K09/K08 — GetChargingProfiles collects the ReportChargingProfiles parts; GetCompositeSchedule returns the payload', async () => {
    const station = await discovered();
    station.client.handle('GetChargingProfiles', async ({ params }) => {
      const requestId = Number(params?.requestId);
      setTimeout(() => {
        void (async () => {
          const profile = {
            id: 1,
            stackLevel: 0,
            chargingProfilePurpose: 'TxDefaultProfile',
            chargingProfileKind: 'Absolute',
            chargingSchedule: [
              {
                id: 1,
                startSchedule: new Date().toISOString(),
                chargingRateUnit: 'A',
                chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }],
              },
            ],
          };
          await station.client.call('ReportChargingProfiles', {
            requestId,
            chargingLimitSource: 'CSO',
            evseId: 0,
            chargingProfile: [profile],
            tbc: true,
          });
          await station.client.call('ReportChargingProfiles', {
            requestId,
            chargingLimitSource: 'CSO',
            evseId: 1,
            chargingProfile: [{ ...profile, id: 2 }],
          });
        })();
      }, 10);
      return { status: 'Accepted' };
    });
    station.client.handle('GetCompositeSchedule', async () => ({
      status: 'Accepted',
      schedule: {
        evseId: 1,
        duration: 60,
        scheduleStart: new Date().toISOString(),
        chargingRateUnit: 'A',
        chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }],
      },
    }));
    const report = await t.csms.commands.getChargingProfiles('CS-1');
    expect(report.status).toBe('Accepted');
    expect(report.profiles).toHaveLength(2);
    const composite = await t.csms.commands.getCompositeSchedule('CS-1', 1, 60);
    expect(composite).toMatchObject({ kind: 'result', payload: { status: 'Accepted' } });
    station.client.handle('ClearChargingProfile', async () => ({ status: 'Accepted' }));
    expect(await t.csms.commands.clearChargingProfile('CS-1', { chargingProfileId: 1 })).toBe('Accepted');
    await station.client.close();
  });
});

describe('OCPP CSMS — refusals and robustness', () => {
  let t: TestCsms;
  beforeEach(async () => {
    t = await startTestCsms();
  });
  afterEach(async () => {
    await t.stop();
  });

  async function upgradeStatus(path: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${t.csms.port}${path}`, ['ocpp2.0.1'], {
        headers: { Authorization: `Basic ${Buffer.from(`CS-1:${PASSWORD}`).toString('base64')}`, ...headers },
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        resolve(101);
        ws.close();
      });
      ws.on('error', () => resolve(-1));
    });
  }

  const unchanged = (): void => {
    expect(t.recorded.connections).toEqual([]);
    expect(t.store.stations.list().map((s) => s.stationId)).toEqual(['CS-1']);
  };

  test('§1.2 — permessage-deflate is negotiated, without context takeover (small frames stay uncompressed)', async () => {
    const extensions = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${t.csms.port}/ocpp/CS-1`, ['ocpp2.0.1'], {
        headers: { Authorization: `Basic ${Buffer.from(`CS-1:${PASSWORD}`).toString('base64')}` },
        perMessageDeflate: true,
      });
      ws.on('upgrade', (res) => resolve(String(res.headers['sec-websocket-extensions'] ?? '')));
      ws.on('open', () => ws.close());
      ws.on('error', reject);
    });
    expect(extensions).toMatch(/permessage-deflate/);
    expect(extensions).toMatch(/server_no_context_takeover/);
    expect(extensions).toMatch(/client_no_context_takeover/);
  });

  test('§1.2 / TC_B_58 — a connection that offers neither ocpp2.0.1 nor ocpp1.6 is refused', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${t.url}/CS-1`, ['ocpp2.0', 'ocpp1.5'], {
        headers: { Authorization: `Basic ${Buffer.from(`CS-1:${PASSWORD}`).toString('base64')}` },
      });
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(400);
    unchanged();
  });

  test('A00.FR.205 — wrong password, missing Basic auth, user name not the identity, unknown station: refused', async () => {
    await expect(connectStation(t.url, { password: 'wrong-password-0000' })).rejects.toMatchObject({ code: 401 });
    await expect(connectStation(t.url, { password: null })).rejects.toMatchObject({ code: 401 });
    expect(await upgradeStatus('/ocpp/CS-1', { Authorization: `Basic ${Buffer.from(`CS-2:${PASSWORD}`).toString('base64')}` })).toBe(401);
    await expect(connectStation(t.url, { identity: 'CS-404' })).rejects.toMatchObject({ code: 404 });
    unchanged();
  });

  test('§9.4 #2/#3 — malformed percent-encoding, empty identity, trailing slash and wrong path are refused; the process survives', async () => {
    expect(await upgradeStatus('/ocpp/%E0%A4%A')).toBe(400);
    expect(await upgradeStatus('/ocpp/')).toBe(400);
    expect(await upgradeStatus('/ocpp/CS-1/')).toBe(400);
    expect(await upgradeStatus('/other/CS-1')).toBe(400);
    expect(await upgradeStatus(`/ocpp/${'x'.repeat(49)}`)).toBe(400);
    unchanged();
    expect(await upgradeStatus('/ocpp/CS-1')).toBe(101);
  });

  test('malformed frames are answered with errors and change nothing; the connection and the CSMS keep working', async () => {
    const station = await connectStation(t.url);
    const ws = new WebSocket(`ws://127.0.0.1:${t.csms.port}/ocpp/CS-1`, ['ocpp2.0.1'], {
      headers: { Authorization: `Basic ${Buffer.from(`CS-1:${PASSWORD}`).toString('base64')}` },
    });
    const replies: string[] = [];
    ws.on('message', (data: Buffer) => replies.push(data.toString()));
    await new Promise((resolve) => ws.on('open', resolve));
    ws.send('not json');
    ws.send(JSON.stringify([2, 'm1', 'TransactionEvent', { eventType: 'Started' }]));
    ws.send(JSON.stringify([9, 'm2']));
    await eventually(() => replies.length >= 2);
    // 2.0.1 spells it OccurrenceConstraintViolation (ocpp-rpc's own validators answer in 1.6's "Occurence").
    const m1 = replies.map((r) => JSON.parse(r) as unknown[]).find((r) => r[1] === 'm1');
    expect(m1?.[0]).toBe(4);
    expect(m1?.[2]).toBe('OccurrenceConstraintViolation');
    expect(t.store.sessions.active()).toHaveLength(0);
    expect(
      await new Promise((resolve) =>
        ws.send(JSON.stringify([2, 'm3', 'Heartbeat', {}]), () => setTimeout(() => resolve(replies.some((r) => r.includes('m3'))), 200)),
      ),
    ).toBe(true);
    ws.close();
    await station.client.close();
  });

  /** A raw HTTP upgrade with exactly this Sec-WebSocket-Protocol header (a ws client would refuse to send it). */
  function rawUpgradeStatus(protocolHeader: string, withCredentials = true): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = http.request({
        host: '127.0.0.1',
        port: t.csms.port,
        path: '/ocpp/CS-1',
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
          'Sec-WebSocket-Protocol': protocolHeader,
          ...(withCredentials && { Authorization: `Basic ${Buffer.from(`CS-1:${PASSWORD}`).toString('base64')}` }),
        },
      });
      request.on('upgrade', (response, socket) => {
        socket.destroy();
        resolve(response.statusCode ?? 101);
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end();
    });
  }

  test('a malformed Sec-WebSocket-Protocol is a 400, with or without credentials — never a 500', async () => {
    for (const header of [
      'ocpp2.0.1,ocpp2.0.1',
      'ocpp2.0.1 ,',
      '',
      ' ',
      Array.from({ length: 2000 }, (_, i) => `p${i}`).join(','),
      'ocpp 2.0.1',
    ]) {
      for (const withCredentials of [true, false])
        expect({ header: header.slice(0, 30), status: await rawUpgradeStatus(header, withCredentials) }).toEqual({
          header: header.slice(0, 30),
          status: 400,
        });
    }
    expect(await rawUpgradeStatus('ocpp1.6, ocpp2.0.1')).toBe(101);
  });

  test('§9.4 #5 — a second connection with the same identity replaces the first; no ghost offline event', async () => {
    const first = await connectStation(t.url);
    await first.client.call('Heartbeat', {});
    const closed = new Promise((resolve) => first.client.once('close', resolve));
    const second = await connectStation(t.url);
    await closed;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(t.recorded.connections).toEqual([{ stationId: 'CS-1', connected: true }]);
    expect(t.csms.registry.get('CS-1')?.client?.state).toBe(1);
    expect(await second.client.call('Heartbeat', {})).toHaveProperty('currentTime');
    expect((await t.metrics.stationsConnected.get()).values[0]?.value).toBe(1);
    await second.client.close();
    await eventually(() => t.recorded.connections.length === 2);
    expect(t.recorded.connections[1]).toEqual({ stationId: 'CS-1', connected: false });
  });
});

describe('OCPP CSMS — auto-registration', () => {
  test('an unknown station joins the configured group with its first password, which it must then keep', async () => {
    const t = await startTestCsms({ autoRegisterGroup: 'demo' }, []);
    try {
      const station = await connectStation(t.url, { identity: 'NEW-7', password: 'first-password-123' });
      expect(t.store.stations.get('NEW-7')).toMatchObject({ groupId: 'demo', controllable: true });
      expect(t.store.stations.get('NEW-7')?.passwordHash).toMatch(/^hmac-sha256\$/);
      expect(JSON.stringify(t.store.stations.get('NEW-7'))).not.toContain('first-password-123');
      await station.client.close();
      await expect(connectStation(t.url, { identity: 'NEW-7', password: 'other-password-456' })).rejects.toMatchObject({ code: 401 });
      await expect(connectStation(t.url, { identity: 'NEW-8', password: 'short' })).rejects.toMatchObject({ code: 401 });
    } finally {
      await t.stop();
    }
  });
});

describe('OCPP CSMS — stored password hashes from before #15', () => {
  test('a station whose stored hash is scrypt connects with its password, and the hash becomes a keyed digest', async () => {
    const t = await startTestCsms({}, []);
    try {
      const salt = Buffer.from('legacy-salt-0001');
      const key = scryptSync(PASSWORD, salt, 32, { N: 16384, r: 8, p: 1 });
      const legacy = ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
      const record = { stationId: 'CS-1', groupId: 'g1', evseMaxCurrentA: 32, stationMaxCurrentA: 64, evseCount: 2, phases: 3 as const };
      t.store.stations.upsert({ ...record, controllable: true, passwordHash: legacy });
      await t.restart();
      await expect(connectStation(t.url, { password: 'not-the-password-1234' })).rejects.toMatchObject({ code: 401 });
      expect(t.store.stations.get('CS-1')?.passwordHash).toBe(legacy);
      const station = await connectStation(t.url);
      await station.client.close();
      const upgraded = t.store.stations.get('CS-1')?.passwordHash;
      expect(upgraded).toMatch(/^hmac-sha256\$/);
      expect(t.csms.registry.get('CS-1')?.record.passwordHash).toBe(upgraded);
      await t.restart();
      const again = await connectStation(t.url);
      await again.client.close();
      await expect(connectStation(t.url, { password: 'not-the-password-1234' })).rejects.toMatchObject({ code: 401 });
    } finally {
      await t.stop();
    }
  });
});
