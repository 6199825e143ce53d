// Local Controller mode with OCPP 1.6J over real sockets: 1.6 stations → flexbridge → the CSMS simulator in 1.6 mode.
// The CSMS assigns the transaction ids (flexbridge's TxProfiles use them), its profile calls are read in 1.6 terms
// (an empty ClearChargingProfile never clears flexbridge's cap), and an outage never mints an id the CSMS lacks.
import { startCsmsSimulator, type CsmsSimulator } from '../../../simulators/csms';
import { eventually, PASSWORD, startTestCsms, type TestCsms } from './harness';
import { boot16, connectStation16, type Station16 } from './harness-v16';

const nowIso = (): string => new Date().toISOString();

describe('Local Controller mode (OCPP 1.6J)', () => {
  let csms: CsmsSimulator;
  let t: TestCsms;
  const stations: Station16[] = [];
  const connect = async (): Promise<Station16> => {
    const station = await connectStation16(t.url);
    stations.push(station);
    return station;
  };
  const accepted = async (): Promise<Station16> => {
    const station = await connect();
    await csms.waitForStation('CS-1');
    expect(await boot16(station)).toMatchObject({ status: 'Pending', interval: 10 });
    await eventually(() => station.triggers.includes('BootNotification'), 5000);
    expect(await boot16(station)).toMatchObject({ status: 'Accepted' });
    return station;
  };

  beforeEach(async () => {
    csms = await startCsmsSimulator({ port: 0, ocppVersion: '1.6', passwords: { 'CS-1': PASSWORD }, callTimeoutMs: 5000 });
    t = await startTestCsms({
      upstream: {
        url: csms.url,
        securityProfile: 1,
        credentials: 'forward',
        dialRate: 50,
        dialTimeoutMs: 2000,
        callTimeoutMs: 1000,
        outage: { mode: 'hold', graceS: 30, authorize: 'reject', queueLimit: 100 },
      },
    });
  });
  afterEach(async () => {
    for (const station of stations.splice(0)) await station.client.close({ force: true }).catch(() => undefined);
    await t.stop();
    await csms.stop();
  });

  test('§7.3 — a 1.6 station is relayed as 1.6; the CSMS’s BootNotification Accepted waits for the standing limits', async () => {
    const station = await accepted();
    expect(station.client.protocol).toBe('ocpp1.6');
    expect(station.profiles[0]).toMatchObject({ connectorId: 0, csChargingProfiles: { chargingProfilePurpose: 'ChargePointMaxProfile' } });
    expect(csms.frames.calls('BootNotification', { identity: 'CS-1', direction: 'in' })).toHaveLength(2);
  });

  test('§5.1 — the CSMS assigns the transaction id; flexbridge tracks the session under it and its TxProfile uses it', async () => {
    const station = await accepted();
    const { transactionId } = (await station.client.call('StartTransaction', {
      connectorId: 1,
      idTag: 'RFID-1',
      meterStart: 100,
      timestamp: nowIso(),
    })) as { transactionId: number };
    const conf = csms.frames.calls('StartTransaction', { identity: 'CS-1' });
    expect(conf).toHaveLength(1);
    const session = await eventually(() => t.store.sessions.get(String(transactionId)));
    expect(session).toMatchObject({ stationId: 'CS-1', evseId: 1, meterStartWh: 100 });
    const startMs = Date.now();
    const schedule = { periods: [{ startMs, limitA: 10 }], leaseEndMs: startMs + 600_000 };
    await t.csms.commands.applyLimits('CS-1', {
      kind: 'live',
      stationCap: schedule,
      sessions: [{ transactionId: String(transactionId), evseId: 1, schedule }],
    });
    const tx = station.profiles.find(
      (p) => (p.csChargingProfiles as { chargingProfilePurpose: string }).chargingProfilePurpose === 'TxProfile',
    );
    expect(tx).toMatchObject({ connectorId: 1, csChargingProfiles: { transactionId } });
    await station.client.call('StopTransaction', { transactionId, meterStop: 900, timestamp: nowIso() });
    await eventually(() => t.store.sessions.get(String(transactionId))?.endedAt);
  });

  test('§7.14 / E16 3.25 — an empty ClearChargingProfile from the CSMS clears only the CSMS’s profiles, never flexbridge’s', async () => {
    const station = await accepted();
    const clears: Record<string, unknown>[] = [];
    station.client.handle('ClearChargingProfile', async ({ params }) => {
      clears.push(params as Record<string, unknown>);
      return { status: 'Accepted' };
    });
    const csmsProfile = {
      connectorId: 0,
      csChargingProfiles: {
        chargingProfileId: 77,
        stackLevel: 3,
        chargingProfilePurpose: 'TxDefaultProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: {
          startSchedule: '2026-01-01T00:00:00Z',
          chargingRateUnit: 'A',
          chargingSchedulePeriod: [{ startPeriod: 0, limit: 10 }],
        },
      },
    };
    expect(await csms.call('CS-1', 'SetChargingProfile', csmsProfile)).toMatchObject({ response: { status: 'Accepted' } });
    // Shifted below flexbridge's two levels (the station's top two of 0..3: 2 and 3), its purpose and id kept.
    const relayed = station.profiles.find((p) => (p.csChargingProfiles as { chargingProfileId: number }).chargingProfileId === 77) as {
      csChargingProfiles: { chargingProfileId: number; stackLevel: number };
    };
    expect(relayed.csChargingProfiles).toMatchObject({ chargingProfileId: 77, stackLevel: 1 });
    expect(await csms.call('CS-1', 'ClearChargingProfile', {})).toMatchObject({ response: { status: 'Accepted' } });
    expect(clears).toEqual([{ id: 77 }]);
    expect(await csms.call('CS-1', 'ClearChargingProfile', { id: 9_100_001 })).toMatchObject({ response: { status: 'Unknown' } });
    expect(clears).toHaveLength(1);
  });

  test('LC digest §4 — a RemoteStartTransaction’s TxProfile is shifted below flexbridge’s levels (1.6 replaces on the same level)', async () => {
    const station = await accepted();
    const received: Record<string, unknown>[] = [];
    station.client.handle('RemoteStartTransaction', async ({ params }) => {
      received.push(params as Record<string, unknown>);
      return { status: 'Accepted' };
    });
    const request = {
      idTag: 'RFID-9',
      connectorId: 1,
      chargingProfile: {
        chargingProfileId: 55,
        stackLevel: 3,
        chargingProfilePurpose: 'TxProfile',
        chargingProfileKind: 'Relative',
        chargingSchedule: { chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 20 }] },
      },
    };
    expect(await csms.call('CS-1', 'RemoteStartTransaction', request)).toMatchObject({ response: { status: 'Accepted' } });
    expect(received).toEqual([{ ...request, chargingProfile: { ...request.chargingProfile, stackLevel: 1 } }]);
  });

  test('§6.1 — CSMS outage (hold): Stop and meter values answered locally and replayed in order; a StartTransaction waits, then the station is let go and its start is not lost', async () => {
    const station = await accepted();
    const { transactionId } = (await station.client.call('StartTransaction', {
      connectorId: 1,
      idTag: 'RFID-1',
      meterStart: 100,
      timestamp: nowIso(),
    })) as { transactionId: number };
    await csms.goDown();
    await eventually(() => t.csms.registry.get('CS-1')?.relay?.upstream.state !== 'connected', 5000);
    const meter = {
      connectorId: 1,
      transactionId,
      meterValue: [{ timestamp: nowIso(), sampledValue: [{ value: '500', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }],
    };
    expect(await station.client.call('MeterValues', meter)).toEqual({});
    expect(await station.client.call('StopTransaction', { transactionId, meterStop: 700, timestamp: nowIso() })).toEqual({});
    expect(t.store.relayQueue.depth('CS-1')).toBe(2);
    // No id can be given without the CSMS: the call fails and the station is disconnected, so it keeps the message.
    const closed = new Promise((resolve) => station.client.once('close', resolve));
    await expect(
      station.client.call('StartTransaction', { connectorId: 2, idTag: 'RFID-2', meterStart: 0, timestamp: nowIso() }),
    ).rejects.toBeDefined();
    await closed;
    expect(t.store.relayQueue.depth('CS-1')).toBe(2);
    expect(t.store.sessions.active({ stationId: 'CS-1' })).toHaveLength(0);
    await csms.comeBack();
    // The station comes back and sends its start again: the queue goes first, then the start gets the CSMS's id.
    const again = await connect();
    await boot16(again);
    await eventually(() => t.store.relayQueue.depth('CS-1') === 0, 15_000);
    const second = (await again.client.call('StartTransaction', {
      connectorId: 2,
      idTag: 'RFID-2',
      meterStart: 0,
      timestamp: nowIso(),
    })) as { transactionId: number };
    const atCsms = csms.frames.calls('StopTransaction', { identity: 'CS-1' }).map((f) => JSON.parse(f.raw)[3] as { transactionId: number });
    expect(atCsms).toEqual([expect.objectContaining({ transactionId, meterStop: 700 })]);
    expect(csms.frames.calls('MeterValues', { identity: 'CS-1' })).toHaveLength(1);
    expect(second.transactionId).not.toBe(transactionId);
    expect(csms.frames.calls('StartTransaction', { identity: 'CS-1' })).toHaveLength(2);
    await eventually(() => t.store.sessions.get(String(second.transactionId)));
  });
});
