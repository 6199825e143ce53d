// Local Controller mode over real sockets: stations → flexbridge (ocpp-rpc server) → the independent CSMS simulator
// (plain ws). Each test names the item of the Local Controller digest's checklist (§7) or of the issue it proves.
import { startCsmsSimulator, type CsmsSimulator } from '../../../simulators/csms';
import { boot, connectStation, eventually, PASSWORD, startTestCsms, type FakeStation, type TestCsms } from './harness';

const T = '2026-12-01T10:00:00.000Z';

function txEvent(eventType: 'Started' | 'Updated' | 'Ended', seqNo: number, timestamp: string): Record<string, unknown> {
  return {
    eventType,
    timestamp,
    triggerReason: 'Authorized',
    seqNo,
    transactionInfo: { transactionId: 'tx-lc-1' },
    ...(eventType === 'Started' && { evse: { id: 1, connectorId: 1 } }),
  };
}

interface Profile {
  id: number;
  stackLevel: number;
  chargingProfilePurpose: string;
  chargingSchedule: { chargingSchedulePeriod: { limit: number }[] }[];
}

const profileOf = (params: Record<string, unknown>): Profile => params.chargingProfile as Profile;

describe('Local Controller mode (OCPP 2.0.1)', () => {
  let csms: CsmsSimulator;
  let t: TestCsms;
  const stations: FakeStation[] = [];
  const connect = async (options: Parameters<typeof connectStation>[1] = {}): Promise<FakeStation> => {
    const station = await connectStation(t.url, options);
    stations.push(station);
    return station;
  };

  beforeEach(async () => {
    csms = await startCsmsSimulator({ port: 0, passwords: { 'CS-1': PASSWORD }, callTimeoutMs: 5000 });
    t = await startTestCsms({
      upstream: {
        url: csms.url,
        securityProfile: 1,
        credentials: 'forward',
        dialRate: 50,
        dialTimeoutMs: 2000,
        callTimeoutMs: 2000,
        outage: { mode: 'hold', graceS: 30, authorize: 'reject', queueLimit: 100 },
      },
    });
  });
  afterEach(async () => {
    for (const station of stations.splice(0)) await station.client.close({ force: true }).catch(() => undefined);
    await t.stop();
    await csms.stop();
  });

  test('§7.1/§2 — the station connects upstream with its own identity and forwarded credentials; the CSMS sees it', async () => {
    await connect();
    await csms.waitForStation('CS-1');
    expect(csms.isConnected('CS-1')).toBe(true);
  });

  test('§7.2 — the CSMS refusing the station (401) is mirrored to the station and no socket stays open', async () => {
    csms.refuse('CS-1', 401);
    await expect(connectStation(t.url)).rejects.toMatchObject({ code: 401 });
    expect(t.csms.registry.get('CS-1')?.client).toBeUndefined();
  });

  test('§7.4 — the station socket closing closes its upstream twin', async () => {
    const station = await connect();
    await csms.waitForStation('CS-1');
    await station.client.close();
    await csms.waitForDisconnect('CS-1', 2000);
  });

  test('relay — station CALLs reach the CSMS once with their payload, and the CSMS answer reaches the station', async () => {
    const station = await connect();
    await csms.waitForStation('CS-1');
    // Invariant 2 behind a CSMS: its Accepted reaches the station only once flexbridge's standing limits are in.
    expect(await boot(station)).toMatchObject({ status: 'Pending', interval: 10 });
    await eventually(() => station.triggers.includes('BootNotification'), 5000);
    expect(await boot(station)).toMatchObject({ status: 'Accepted', interval: 300 });
    expect(csms.frames.calls('BootNotification', { identity: 'CS-1', direction: 'in' })).toHaveLength(2);
    await station.client.call('TransactionEvent', txEvent('Started', 0, T));
    const frames = csms.frames.calls('TransactionEvent', { identity: 'CS-1' });
    expect(frames).toHaveLength(1);
    expect(JSON.parse(frames[0]?.raw ?? '[]')[3]).toEqual(txEvent('Started', 0, T));
    // Tapped for core: flexbridge tracks the session it relayed, and counts it per action as in direct mode.
    await eventually(() => t.store.sessions.get('tx-lc-1'));
    const counted = (await t.metrics.ocppCalls.get()).values.filter(
      (v) => v.labels.direction === 'in' && v.labels.action === 'TransactionEvent',
    );
    expect(counted.map((v) => [v.labels.result, v.value])).toEqual([['relayed', 1]]);
  });

  test('§7.5/§7.6 — a CSMS CALL goes through the station’s one queue: never two outstanding, replies routed by id', async () => {
    let inFlight = 0;
    let most = 0;
    let releaseStanding: () => void = () => undefined;
    const station = await connect({
      setChargingProfile: () => {
        inFlight++;
        most = Math.max(most, inFlight);
        // flexbridge's own standing limit is held by the station until the test releases it.
        return new Promise((resolve) => (releaseStanding = () => resolve({ status: 'Accepted' }))).finally(() => inFlight--) as Promise<
          Record<string, unknown>
        >;
      },
    });
    const heartbeatInterval = {
      attributeStatus: 'Accepted',
      attributeValue: '300',
      component: { name: 'OCPPCommCtrlr' },
      variable: { name: 'HeartbeatInterval' },
    };
    station.client.handle('GetVariables', async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      inFlight--;
      return { getVariableResult: [heartbeatInterval] };
    });
    await csms.waitForStation('CS-1');
    await boot(station);
    await eventually(() => station.profiles.length > 0, 5000);
    const fromCsms = csms.call('CS-1', 'GetVariables', {
      getVariableData: [{ component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } }],
    });
    // The standing limit is two profiles (station cap, TxDefault); the CSMS's CALL waits behind both.
    releaseStanding();
    await eventually(() => station.profiles.length >= 2, 5000);
    releaseStanding();
    const outcome = await fromCsms;
    expect(outcome).toMatchObject({ status: 'result', response: { getVariableResult: [heartbeatInterval] } });
    expect(most).toBe(1);
    // The station's answers to flexbridge's own SetChargingProfile never reach the CSMS.
    expect(csms.frames.ofStation('CS-1').filter((f) => f.action === 'SetChargingProfile')).toHaveLength(0);
  });

  test('§7.13/§7.12 — a CSMS station cap is shifted below flexbridge’s levels and folded into flexbridge’s own cap', async () => {
    const station = await connect({ stackLevel: 3 });
    await csms.waitForStation('CS-1');
    await boot(station);
    await eventually(() => t.store.stations.get('CS-1')?.smartCharging?.profileStackLevel === 3, 5000);
    await eventually(() => station.profiles.some((p) => profileOf(p).chargingProfilePurpose === 'ChargingStationMaxProfile'), 5000);
    const before = station.profiles.length;
    const outcome = await csms.call('CS-1', 'SetChargingProfile', {
      evseId: 0,
      chargingProfile: {
        id: 77,
        stackLevel: 3,
        chargingProfilePurpose: 'ChargingStationMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [{ id: 1, startSchedule: T, chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }] }],
      },
    });
    expect(outcome).toMatchObject({ status: 'result', response: { status: 'Accepted' } });
    // The CSMS's profile reached the station below flexbridge's standing (2) and live (3) levels.
    const csmsProfile = station.profiles.map(profileOf).find((p) => p.id === 77);
    expect(csmsProfile?.stackLevel).toBeLessThan(2);
    // flexbridge re-sent its own station cap, folded: never above the CSMS's 6 A.
    const refolded = await eventually(
      () =>
        station.profiles
          .slice(before)
          .map(profileOf)
          .find((p) => p.id !== 77 && p.chargingProfilePurpose === 'ChargingStationMaxProfile'),
      5000,
    );
    expect(refolded.stackLevel).toBeGreaterThanOrEqual(2);
    expect(refolded.chargingSchedule[0]?.chargingSchedulePeriod[0]?.limit).toBeLessThanOrEqual(6);
  });

  test('§7.13 — the fold survives a reconnect, and a CSMS limit that has ended (duration) no longer limits', async () => {
    const station = await connect({ stackLevel: 3 });
    await csms.waitForStation('CS-1');
    await boot(station);
    await eventually(() => t.store.stations.get('CS-1')?.smartCharging?.profileStackLevel === 3, 5000);
    const cap = (id: number, limit: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      evseId: 0,
      chargingProfile: {
        id,
        stackLevel: 0,
        chargingProfilePurpose: 'ChargingStationMaxProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          {
            id: 1,
            startSchedule: new Date().toISOString(),
            chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit }],
            ...extra,
          },
        ],
      },
    });
    expect(await csms.call('CS-1', 'SetChargingProfile', cap(81, 7))).toMatchObject({ response: { status: 'Accepted' } });
    // Already over: a 1 s schedule that has run out folds nothing.
    expect(await csms.call('CS-1', 'SetChargingProfile', cap(82, 2, { startSchedule: '2026-01-01T00:00:00Z', duration: 1 }))).toMatchObject(
      {
        response: { status: 'Accepted' },
      },
    );
    await station.client.close();
    await csms.waitForDisconnect('CS-1');
    const again = await connect({ stackLevel: 3 });
    await boot(again);
    const standing = await eventually(() => again.profiles.map(profileOf).find((p) => p.id === 9_100_001), 5000);
    expect(standing.chargingSchedule[0]?.chargingSchedulePeriod[0]?.limit).toBe(7);
  });

  test('§7.15 — ClearChargingProfile by a flexbridge id answers Unknown, and the station is untouched', async () => {
    const station = await connect();
    await csms.waitForStation('CS-1');
    await boot(station);
    const cleared: unknown[] = [];
    station.client.handle('ClearChargingProfile', async ({ params }) => {
      cleared.push(params);
      return { status: 'Accepted' };
    });
    const outcome = await csms.call('CS-1', 'ClearChargingProfile', { chargingProfileId: 9_100_001 });
    expect(outcome).toMatchObject({ status: 'result', response: { status: 'Unknown' } });
    const byCriteria = await csms.call('CS-1', 'ClearChargingProfile', {
      chargingProfileCriteria: { chargingProfilePurpose: 'ChargingStationMaxProfile' },
    });
    expect(byCriteria).toMatchObject({ status: 'result', response: { status: 'Unknown' } });
    expect(cleared).toEqual([]);
  });

  test('§7.18/§7.19 — CSMS outage (hold): local answers, queued in order, replayed marked offline when it is back', async () => {
    const station = await connect();
    await csms.waitForStation('CS-1');
    await boot(station);
    await csms.goDown();
    await eventually(() => t.csms.registry.get('CS-1')?.relay?.upstream.state !== 'connected', 5000);
    // The station stays connected and is answered locally.
    expect(await station.client.call('Heartbeat', {})).toHaveProperty('currentTime');
    expect(await station.client.call('TransactionEvent', txEvent('Started', 0, T))).toEqual({});
    expect(await station.client.call('TransactionEvent', txEvent('Ended', 1, '2026-12-01T10:05:00.000Z'))).toEqual({});
    expect(t.store.relayQueue.depth('CS-1')).toBe(2);
    expect(t.store.sessions.get('tx-lc-1')?.endedAt).toBeDefined();
    await csms.comeBack();
    const replayed = await eventually(() => {
      const calls = csms.frames.calls('TransactionEvent', { identity: 'CS-1' });
      return calls.length >= 2 && calls;
    }, 15_000);
    const payloads = replayed.map((f) => JSON.parse(f.raw)[3] as Record<string, unknown>);
    expect(payloads.map((p) => [p.eventType, p.seqNo, p.timestamp, p.offline])).toEqual([
      ['Started', 0, T, true],
      ['Ended', 1, '2026-12-01T10:05:00.000Z', true],
    ]);
    await eventually(() => t.store.relayQueue.depth('CS-1') === 0, 5000);
    expect(t.csms.registry.get('CS-1')?.relay?.upstream.state).toBe('connected');
  });

  test('§7.20 — a second connection with the same identity: newest wins on both legs, one session remains', async () => {
    const first = await connect();
    await csms.waitForStation('CS-1');
    const firstClosed = new Promise((resolve) => first.client.once('close', resolve));
    const second = await connect();
    await firstClosed;
    await eventually(() => csms.station('CS-1').connects >= 2, 5000);
    expect(await second.client.call('Heartbeat', {})).toHaveProperty('currentTime');
    expect(csms.connectedStations()).toEqual(['CS-1']);
  });
});
