// The CSMS with OCPP 1.6J stations over real sockets and a real SQLite file: subprotocol choice, boot gate and
// GetConfiguration discovery, standing and live limits as 1.6 profiles, transactions with the ids flexbridge assigns
// (unique, persisted, never reused), meter values, -1 transactions, and CALLERROR codes spelled as 1.6 spells them.
import { WebSocket } from 'ws';
import { startTestCsms, eventually, connectStation, type TestCsms } from './harness';
import { boot16, connectStation16, SMART_CHARGING_16 } from './harness-v16';

const nowIso = (): string => new Date().toISOString();

async function accepted16(t: TestCsms, options: Parameters<typeof connectStation16>[1] = {}) {
  const station = await connectStation16(t.url, options);
  expect((await boot16(station)).status).toBe('Pending');
  await eventually(() => station.triggers.includes('BootNotification'));
  expect((await boot16(station)).status).toBe('Accepted');
  return station;
}

describe('OCPP 1.6J — transport', () => {
  let t: TestCsms;
  beforeEach(async () => {
    t = await startTestCsms();
  });
  afterEach(async () => {
    await t.stop();
  });

  test('J16 §3.1.2 — ocpp1.6 is served on the same port and path; a station offering both gets ocpp2.0.1', async () => {
    const v16 = await connectStation16(t.url);
    expect(v16.client.protocol).toBe('ocpp1.6');
    await v16.client.close();
    const both = await connectStation(t.url, { protocols: ['ocpp1.6', 'ocpp2.0.1'] });
    expect(both.client.protocol).toBe('ocpp2.0.1');
    await both.client.close();
  });

  test('J16 §4.2.3 — CALLERRORs are spelled as 1.6 spells them: FormationViolation, OccurenceConstraintViolation', async () => {
    const ws = new WebSocket(`${t.url}/CS-1`, ['ocpp1.6'], {
      headers: { Authorization: `Basic ${Buffer.from('CS-1:correct-horse-battery-1').toString('base64')}` },
    });
    const frames: unknown[][] = [];
    ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString('utf8')) as unknown[]));
    await new Promise((resolve) => ws.once('open', resolve));
    // A required field missing (schema "required") and a value of the wrong shape (maxLength, the 1.6 schema's 20).
    ws.send(JSON.stringify([2, 'm1', 'BootNotification', { chargePointModel: 'X' }]));
    ws.send(JSON.stringify([2, 'm2', 'BootNotification', { chargePointModel: 'X', chargePointVendor: 'v'.repeat(21) }]));
    ws.send('not json');
    const errors = await eventually(() => (frames.length >= 3 ? frames : undefined));
    ws.close();
    const codes = errors.map((frame) => frame[2]);
    expect(codes).toContain('OccurenceConstraintViolation');
    expect(codes).toContain('FormationViolation');
    expect(codes).not.toContain('OccurrenceConstraintViolation');
    expect(codes).not.toContain('RpcFrameworkError');
    expect(codes).not.toContain('FormatViolation');
  });
});

describe('OCPP 1.6J — boot, discovery and limits', () => {
  let t: TestCsms;
  beforeEach(async () => {
    t = await startTestCsms();
  });
  afterEach(async () => {
    await t.stop();
  });

  test('C16 §4.2 — Pending until GetConfiguration is read and the standing profiles are in, then Accepted', async () => {
    const station = await accepted16(t);
    expect(station.configurationReads[0]).toEqual(
      expect.arrayContaining([
        'SupportedFeatureProfiles',
        'ChargeProfileMaxStackLevel',
        'ChargingScheduleAllowedChargingRateUnit',
        'ChargingScheduleMaxPeriods',
        'MaxChargingProfilesInstalled',
        'ConnectorSwitch3to1PhaseSupported',
      ]),
    );
    const record = t.store.stations.get('CS-1');
    expect(record?.smartCharging).toEqual({ profileStackLevel: 3, periodsPerSchedule: 24, rateUnits: ['A'], maxProfiles: 10 });
    expect(record?.protocol).toBe('1.6');
    expect(record?.bootInfo).toEqual({ vendor: 'flexbridge', model: 'Test AC 1.6', firmwareVersion: '1.6.0' });
    // Standing limits: ChargePointMaxProfile and TxDefaultProfile, connector 0, stack 0, Absolute, no duration.
    expect(station.profiles.slice(0, 2)).toEqual([
      {
        connectorId: 0,
        csChargingProfiles: {
          chargingProfileId: 9_100_001,
          stackLevel: 0,
          chargingProfilePurpose: 'ChargePointMaxProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: {
            startSchedule: '2020-01-01T00:00:00.000Z',
            chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
          },
        },
      },
      {
        connectorId: 0,
        csChargingProfiles: {
          chargingProfileId: 9_100_002,
          stackLevel: 0,
          chargingProfilePurpose: 'TxDefaultProfile',
          chargingProfileKind: 'Absolute',
          chargingSchedule: {
            startSchedule: '2020-01-01T00:00:00.000Z',
            chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }],
          },
        },
      },
    ]);
    await eventually(() => t.recorded.stations.get('CS-1')?.connected);
    expect(t.recorded.stations.get('CS-1')).toMatchObject({ profileStackLevel: 3, periodsPerSchedule: 24, evseCount: 2 });
    await station.client.close();
  });

  test("errata 3.8 — while Pending, a 1.6 station's other messages get SecurityError", async () => {
    const station = await connectStation16(t.url);
    await boot16(station);
    await expect(station.client.call('Heartbeat', {})).rejects.toMatchObject({ rpcErrorCode: 'SecurityError' });
    await station.client.close();
  });

  test('C16 §9.1.29 — no SmartCharging in SupportedFeatureProfiles: uncontrollable, let in without profiles', async () => {
    const station = await connectStation16(t.url, {
      configuration: { ...SMART_CHARGING_16, SupportedFeatureProfiles: 'Core,RemoteTrigger' },
    });
    expect((await boot16(station)).status).toBe('Pending');
    await eventually(() => t.recorded.uncontrollable.includes('CS-1'));
    await eventually(() => station.triggers.includes('BootNotification'));
    expect((await boot16(station)).status).toBe('Accepted');
    expect(station.profiles).toHaveLength(0);
    await station.client.close();
  });

  test('SAP-like station without the smart-charging keys: conservative limits (stack 0, 1 period, A)', async () => {
    const station = await accepted16(t, { configuration: { SupportedFeatureProfiles: 'Core,SmartCharging' } });
    expect(t.store.stations.get('CS-1')?.smartCharging).toEqual({ profileStackLevel: 0, periodsPerSchedule: 1, rateUnits: ['A'] });
    await station.client.close();
  });

  test('live limits (own-limit): a leased ChargePointMaxProfile above the standing one and a TxProfile with the integer transactionId', async () => {
    await t.stop();
    t = await startTestCsms({ loneSession: 'own-limit' });
    const station = await accepted16(t);
    const { transactionId } = (await station.client.call('StartTransaction', {
      connectorId: 2,
      idTag: 'RFID-1',
      meterStart: 1000,
      timestamp: nowIso(),
    })) as { transactionId: number };
    const startMs = Date.now();
    const schedule = { periods: [{ startMs, limitA: 12.34 }], leaseEndMs: startMs + 600_000 };
    const outcome = await t.csms.commands.applyLimits('CS-1', {
      kind: 'live',
      stationCap: { periods: [{ startMs, limitA: 20 }], leaseEndMs: startMs + 600_000 },
      sessions: [{ transactionId: String(transactionId), evseId: 2, schedule }],
    });
    expect(outcome).toBe('Accepted');
    const [cap, tx] = station.profiles.slice(-2);
    expect(cap).toMatchObject({
      connectorId: 0,
      csChargingProfiles: {
        chargingProfileId: 9_100_003,
        stackLevel: 1,
        chargingProfilePurpose: 'ChargePointMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: { duration: 600, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 20 }] },
      },
    });
    expect(tx).toMatchObject({
      connectorId: 2,
      csChargingProfiles: {
        chargingProfileId: 9_100_102,
        transactionId,
        stackLevel: 1,
        chargingProfilePurpose: 'TxProfile',
        chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 12.3 }] },
      },
    });
    await station.client.close();
  });

  test('live limits (follow-cap): a lone transaction gets its lift once, then each change is the ChargePointMaxProfile alone', async () => {
    const station = await accepted16(t);
    const start = async (connectorId: number) =>
      (
        (await station.client.call('StartTransaction', { connectorId, idTag: 'RFID-1', meterStart: 0, timestamp: nowIso() })) as {
          transactionId: number;
        }
      ).transactionId;
    const first = await start(2);
    const startMs = Date.now();
    const leased = (limitA: number) => ({ periods: [{ startMs, limitA }], leaseEndMs: startMs + 600_000 });
    const purposes = () => station.profiles.map((p) => (p.csChargingProfiles as { chargingProfilePurpose: string }).chargingProfilePurpose);
    const alone = (limitA: number) =>
      t.csms.commands.applyLimits('CS-1', {
        kind: 'live',
        stationCap: leased(limitA),
        sessions: [{ transactionId: String(first), evseId: 2, schedule: leased(limitA) }],
      });
    const before = station.profiles.length;
    expect(await alone(12.34)).toBe('Accepted');
    const [cap, lift] = station.profiles.slice(before);
    expect(cap).toMatchObject({
      connectorId: 0,
      csChargingProfiles: {
        chargingProfilePurpose: 'ChargePointMaxProfile',
        stackLevel: 1,
        chargingSchedule: { duration: 600, chargingSchedulePeriod: [{ startPeriod: 0, limit: 12.3 }] },
      },
    });
    // The EVSE's maximum (32 A in the harness), no duration: the cap above is the session's limit.
    expect(lift).toMatchObject({
      connectorId: 2,
      csChargingProfiles: {
        chargingProfileId: 9_100_102,
        transactionId: first,
        stackLevel: 1,
        chargingProfilePurpose: 'TxProfile',
        chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 32 }] },
      },
    });
    expect((lift?.csChargingProfiles as { chargingSchedule: object }).chargingSchedule).not.toHaveProperty('duration');
    expect(await alone(8)).toBe('Accepted');
    expect(await alone(16)).toBe('Accepted');
    expect(purposes().slice(before)).toEqual(['ChargePointMaxProfile', 'TxProfile', 'ChargePointMaxProfile', 'ChargePointMaxProfile']);

    // A second transaction: the cap cannot split the two, so each gets its own leased TxProfile.
    const second = await start(1);
    const mark = station.profiles.length;
    const outcome = await t.csms.commands.applyLimits('CS-1', {
      kind: 'live',
      stationCap: leased(16),
      sessions: [
        { transactionId: String(first), evseId: 2, schedule: leased(10) },
        { transactionId: String(second), evseId: 1, schedule: leased(6) },
      ],
    });
    expect(outcome).toBe('Accepted');
    const limits = station.profiles.slice(mark).map((p) => {
      const c = p.csChargingProfiles as {
        chargingProfilePurpose: string;
        chargingSchedule: { duration?: number; chargingSchedulePeriod: { limit: number }[] };
      };
      return [c.chargingProfilePurpose, c.chargingSchedule.chargingSchedulePeriod[0]?.limit, c.chargingSchedule.duration];
    });
    expect(limits).toEqual([
      ['ChargePointMaxProfile', 16, 600],
      ['TxProfile', 10, 600],
      ['TxProfile', 6, 600],
    ]);
    // Alone again: its leased TxProfile replaced the lift, so the lift goes out again.
    const again = station.profiles.length;
    expect(await alone(14)).toBe('Accepted');
    expect(purposes().slice(again)).toEqual(['ChargePointMaxProfile', 'TxProfile']);
    await station.client.close();
  });

  test('C16 §9.4.2 — a station that takes only Power gets W (A × 230 V per phase it may carry), whole watts', async () => {
    const station = await accepted16(t, { configuration: { ...SMART_CHARGING_16, ChargingScheduleAllowedChargingRateUnit: 'Power' } });
    expect(station.profiles[0]).toMatchObject({
      csChargingProfiles: { chargingSchedule: { chargingRateUnit: 'W', chargingSchedulePeriod: [{ startPeriod: 0, limit: 3680 }] } },
    });
    await station.client.close();
  });
});

describe('OCPP 1.6J — transactions', () => {
  let t: TestCsms;
  beforeEach(async () => {
    t = await startTestCsms();
  });
  afterEach(async () => {
    await t.stop();
  });

  test('C16 §6.46 — StartTransaction gets a unique positive integer id; a repeated start gets the same one', async () => {
    const station = await accepted16(t);
    const start = { connectorId: 1, idTag: 'RFID-1', meterStart: 5000, timestamp: nowIso() };
    const first = (await station.client.call('StartTransaction', start)) as { transactionId: number; idTagInfo: { status: string } };
    expect(Number.isSafeInteger(first.transactionId) && first.transactionId > 0).toBe(true);
    expect(first.idTagInfo.status).toBe('Accepted');
    const again = (await station.client.call('StartTransaction', start)) as { transactionId: number };
    expect(again.transactionId).toBe(first.transactionId);
    const second = (await station.client.call('StartTransaction', { ...start, connectorId: 2 })) as { transactionId: number };
    expect(second.transactionId).not.toBe(first.transactionId);
    const session = t.store.sessions.get(String(first.transactionId));
    expect(session).toMatchObject({ stationId: 'CS-1', evseId: 1, meterStartWh: 5000, chargingState: 'Charging' });
    expect(session?.endedAt).toBeUndefined();
    await station.client.close();
  });

  test('MeterValues (strings, per phase, kWh) and StatusNotification feed the session; StopTransaction ends it', async () => {
    const station = await accepted16(t);
    const { transactionId } = (await station.client.call('StartTransaction', {
      connectorId: 1,
      idTag: 'RFID-1',
      meterStart: 5000,
      timestamp: nowIso(),
    })) as { transactionId: number };
    await station.client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'SuspendedEV' });
    await station.client.call('MeterValues', {
      connectorId: 1,
      transactionId,
      meterValue: [
        {
          timestamp: nowIso(),
          sampledValue: [
            { value: '7.5', measurand: 'Energy.Active.Import.Register', unit: 'kWh' },
            { value: '15.5', measurand: 'Current.Import', phase: 'L1', unit: 'A' },
            { value: '15.0', measurand: 'Current.Import', phase: 'L2', unit: 'A' },
            { value: '14.5', measurand: 'Current.Import', phase: 'L3', unit: 'A' },
            { value: '16', measurand: 'Current.Offered', unit: 'A' },
            { value: '10700', measurand: 'Power.Active.Import', unit: 'W' },
          ],
        },
      ],
    });
    const metered = await eventually(() => {
      const s = t.recorded.sessions.filter((x) => x.transactionId === String(transactionId)).pop();
      return s?.meterWh === 7500 ? s : undefined;
    });
    expect(metered).toMatchObject({ measuredCurrentA: [15.5, 15, 14.5], chargingState: 'SuspendedEV' });
    const stop = await station.client.call('StopTransaction', {
      transactionId,
      meterStop: 9000,
      timestamp: nowIso(),
      reason: 'EVDisconnected',
      idTag: 'RFID-1',
      transactionData: [{ timestamp: nowIso(), sampledValue: [{ value: '9000', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }],
    });
    expect(stop).toEqual({ idTagInfo: { status: 'Accepted' } });
    const ended = t.store.sessions.get(String(transactionId));
    expect(ended).toMatchObject({ meterStartWh: 5000, meterWh: 9000, chargingState: 'Idle' });
    expect(ended?.endedAt).toBeDefined();
    // A repeated StopTransaction changes nothing: an ended transaction is final.
    await station.client.call('StopTransaction', { transactionId, meterStop: 1, timestamp: nowIso() });
    expect(t.store.sessions.get(String(transactionId))?.meterWh).toBe(9000);
    await station.client.close();
  });

  test('E16 3.18 — messages with transactionId -1 are answered as valid and attached to nothing', async () => {
    const station = await accepted16(t);
    await station.client.call('MeterValues', {
      connectorId: 1,
      transactionId: -1,
      meterValue: [{ timestamp: nowIso(), sampledValue: [{ value: '100' }] }],
    });
    await expect(station.client.call('StopTransaction', { transactionId: -1, meterStop: 100, timestamp: nowIso() })).resolves.toEqual({});
    expect(t.store.sessions.active({ stationId: 'CS-1' })).toHaveLength(0);
    await station.client.close();
  });

  test('a StatusNotification Available that overtook a queued StopTransaction: the stop still sets the final reading', async () => {
    const station = await accepted16(t);
    const { transactionId } = (await station.client.call('StartTransaction', {
      connectorId: 1,
      idTag: 'RFID-1',
      meterStart: 100,
      timestamp: nowIso(),
    })) as { transactionId: number };
    await station.client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    await eventually(() => t.store.sessions.get(String(transactionId))?.endInferred);
    await station.client.call('StopTransaction', { transactionId, meterStop: 4200, timestamp: nowIso() });
    const ended = t.store.sessions.get(String(transactionId));
    expect(ended?.meterWh).toBe(4200);
    expect(ended?.endInferred).toBeUndefined();
    await station.client.close();
  });

  test('transaction ids are persisted: after a restart no id is given out twice', async () => {
    let station = await accepted16(t);
    const given = new Set<number>();
    for (const connectorId of [1, 2]) {
      const { transactionId } = (await station.client.call('StartTransaction', {
        connectorId,
        idTag: 'RFID-1',
        meterStart: 0,
        timestamp: nowIso(),
      })) as { transactionId: number };
      given.add(transactionId);
    }
    await station.client.close();
    await t.restart();
    station = await connectStation16(t.url);
    await boot16(station);
    await eventually(() => station.triggers.includes('BootNotification'));
    await boot16(station);
    const { transactionId } = (await station.client.call('StartTransaction', {
      connectorId: 1,
      idTag: 'RFID-2',
      meterStart: 0,
      timestamp: new Date(Date.now() + 1000).toISOString(),
    })) as { transactionId: number };
    expect(given.has(transactionId)).toBe(false);
    expect(transactionId).toBeGreaterThan(Math.max(...given));
    await station.client.close();
  });

  test('Authorize follows the configured policy; DataTransfer answers UnknownVendorId', async () => {
    const station = await accepted16(t);
    await expect(station.client.call('Authorize', { idTag: 'RFID-1' })).resolves.toEqual({ idTagInfo: { status: 'Accepted' } });
    await expect(station.client.call('DataTransfer', { vendorId: 'acme', messageId: 'x' })).resolves.toEqual({ status: 'UnknownVendorId' });
    await station.client.close();
  });
});
