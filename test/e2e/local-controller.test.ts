// Local Controller mode end to end, child processes and real sockets: CP forecast → flexbridge → stations, every
// station relayed to the independent CSMS simulator. Checked on the stations' own draw logs and the CSMS's frames.
import { startCsmsSimulator, type CsmsSimulator, type RecordedFrame } from '../../simulators/csms';
import { eventually, excesses, flatDay, GROUP, startRig, stationIds, withDiagnostics, type Rig } from './harness';

const STATIONS = 6;
const MARGIN_A = 1;
/** The CSMS outage: long enough for sessions to start and end while it lasts (not the 5 minutes: CI time). */
const OUTAGE_MS = 20_000;

const T = (): string => new Date().toISOString();

function capProfile(id: number, limitA: number): Record<string, unknown> {
  return {
    evseId: 0,
    chargingProfile: {
      id,
      stackLevel: 0,
      chargingProfilePurpose: 'ChargingStationMaxProfile',
      chargingProfileKind: 'Absolute',
      chargingSchedule: [{ id: 1, startSchedule: T(), chargingRateUnit: 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: limitA }] }],
    },
  };
}

interface TxFrame {
  transactionId: string;
  eventType: string;
  seqNo: number;
  offline?: boolean;
}

function transactionFrames(csms: CsmsSimulator, identity: string): TxFrame[] {
  return csms.frames.calls('TransactionEvent', { identity, direction: 'in' }).map((frame: RecordedFrame) => {
    const payload = JSON.parse(frame.raw)[3] as {
      transactionInfo: { transactionId: string };
      eventType: string;
      seqNo: number;
      offline?: boolean;
    };
    return {
      transactionId: payload.transactionInfo.transactionId,
      eventType: payload.eventType,
      seqNo: payload.seqNo,
      ...(payload.offline && { offline: true }),
    };
  });
}

/** Every transaction the CSMS saw: its events once each, in seqNo order, from Started; Ended last if it ended. */
function expectCompleteTransactions(frames: readonly TxFrame[]): void {
  const byTransaction = new Map<string, TxFrame[]>();
  for (const frame of frames) byTransaction.set(frame.transactionId, [...(byTransaction.get(frame.transactionId) ?? []), frame]);
  for (const [transactionId, events] of byTransaction) {
    const seqNos = events.map((e) => e.seqNo);
    expect({ transactionId, seqNos }).toEqual({ transactionId, seqNos: seqNos.map((_, i) => (events[0]?.seqNo ?? 0) + i) });
    expect(events[0]?.eventType).toBe('Started');
    const ended = events.findIndex((e) => e.eventType === 'Ended');
    if (ended >= 0) expect(ended).toBe(events.length - 1);
  }
}

describe('e2e — Local Controller in front of the CSMS simulator', () => {
  let csms: CsmsSimulator;
  let rig: Rig | undefined;
  const ids = stationIds(STATIONS);
  beforeEach(async () => {
    csms = await startCsmsSimulator({ port: 0, callTimeoutMs: 10_000 });
  });
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    await csms.stop();
  });

  const start = async (): Promise<Rig> => {
    rig = await startRig({
      stations: STATIONS,
      safeLimitA: 60,
      safetyMarginA: MARGIN_A,
      upstream: { url: csms.url, credentials: 'forward', callTimeoutMs: 3000, outage: { mode: 'hold' } },
    });
    return rig;
  };

  test('grid authority: CSMS profiles above and below the grid share never lift the fleet above capacity − margin', async () => {
    const r = await start();
    await withDiagnostics(
      'lc-authority',
      () => r,
      async () => {
        await eventually(() => r.fleet.summary().bootAccepted === STATIONS, 30_000, 'all stations booted through the CSMS');
        expect(csms.connectedStations().sort()).toEqual([...ids].sort());
        const capA = 40;
        expect((await r.cp.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(capA) })).status).toBe(204);
        for (const id of ids) r.fleet.plugIn(id, 1, { batteryWh: 80_000, socPercent: 10, phases: 3, maxCurrentA: 32 });
        // The CSMS grants every station 32 A (far above the grid share), and caps one at 6 A.
        for (const [i, id] of ids.entries()) {
          const outcome = await csms.call(id, 'SetChargingProfile', capProfile(500 + i, i === 0 ? 6 : 32));
          expect(outcome).toMatchObject({ status: 'result', response: { status: 'Accepted' } });
        }
        await eventually(() => ids.slice(1).every((id) => (r.fleet.limitLog(id, 1).at(-1)?.drawnA[0] ?? 0) >= 6), 40_000, 'fleet charging');
        // The lower CSMS cap takes effect: folded into flexbridge's own.
        await eventually(() => (r.fleet.limitLog(ids[0] ?? '', 1).at(-1)?.drawnA[0] ?? 99) <= 6, 20_000, 'the 6 A CSMS cap in force');
        await new Promise((resolve) => setTimeout(resolve, 3000));
        expect(excesses(r.fleet, ids, 1, () => capA - MARGIN_A)).toEqual([]);
      },
    );
  }, 120_000);

  test('CSMS outage while sessions start and end: every message reaches the CSMS once, in order, marked offline', async () => {
    const r = await start();
    await withDiagnostics(
      'lc-outage',
      () => r,
      async () => {
        await eventually(() => r.fleet.summary().bootAccepted === STATIONS, 30_000, 'all stations booted');
        await csms.goDown();
        const downAt = Date.now();
        for (const id of ids) r.fleet.plugIn(id, 1, { batteryWh: 60_000, socPercent: 50, phases: 3, maxCurrentA: 16 });
        await eventually(() => r.fleet.summary().evsesOccupied === STATIONS, 20_000, 'sessions started');
        await new Promise((resolve) => setTimeout(resolve, 2000));
        for (const id of ids.slice(0, 3)) r.fleet.unplug(id, 1);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
        await csms.comeBack();
        await eventually(() => ids.every((id) => transactionFrames(csms, id).some((f) => f.eventType === 'Started')), 75_000, 'replayed');
        await eventually(
          () => ids.slice(0, 3).every((id) => transactionFrames(csms, id).some((f) => f.eventType === 'Ended')),
          30_000,
          'ends',
        );
        for (const id of ids) {
          const frames = transactionFrames(csms, id);
          expectCompleteTransactions(frames);
          expect(frames[0]?.offline).toBe(true);
        }
      },
    );
  }, 150_000);

  test('the same outage with kill -9 of flexbridge in the middle: the queue survives, nothing is lost or doubled', async () => {
    const r = await start();
    await withDiagnostics(
      'lc-kill9',
      () => r,
      async () => {
        await eventually(() => r.fleet.summary().bootAccepted === STATIONS, 30_000, 'all stations booted');
        await csms.goDown();
        for (const id of ids) r.fleet.plugIn(id, 1, { batteryWh: 60_000, socPercent: 50, phases: 3, maxCurrentA: 16 });
        await eventually(() => r.fleet.summary().evsesOccupied === STATIONS, 20_000, 'sessions started');
        await new Promise((resolve) => setTimeout(resolve, 3000));
        await r.agent.kill9();
        // Sessions end while flexbridge is down — once the stations have noticed, so they queue their Ended as a
        // station does (the simulator drops a message sent on a socket it still thinks open).
        await eventually(() => r.fleet.summary().connected === 0, 10_000, 'stations noticed the agent is gone');
        for (const id of ids.slice(0, 3)) r.fleet.unplug(id, 1);
        await r.restartAgent();
        await eventually(() => r.fleet.summary().connected === STATIONS, 30_000, 'stations back on flexbridge');
        await csms.comeBack();
        await eventually(() => ids.every((id) => transactionFrames(csms, id).some((f) => f.eventType === 'Started')), 75_000, 'replayed');
        await eventually(
          () => ids.slice(0, 3).every((id) => transactionFrames(csms, id).some((f) => f.eventType === 'Ended')),
          75_000,
          'ends',
        );
        for (const id of ids) {
          const frames = transactionFrames(csms, id);
          expect(frames.length).toBeGreaterThan(0);
          expectCompleteTransactions(frames);
        }
      },
    );
  }, 200_000);
});
