// Local Controller mode end to end with OCPP 1.6J: 1.6 stations → flexbridge → the CSMS simulator in 1.6 mode, child
// processes and real sockets. A CSMS outage while sessions start and stop: flexbridge mints no id, so every start
// reaches the CSMS once and every stop carries the id the CSMS gave that start; the draw logs stay under capacity.
import { startCsmsSimulator, type CsmsSimulator } from '../../simulators/csms';
import { eventually, excesses, flatDay, GROUP, startRig, stationIds, withDiagnostics, type Rig } from './harness';

const STATIONS = 6;
const MARGIN_A = 1;
/** Long enough for sessions to start and end while it lasts (not the 5 minutes: CI time). */
const OUTAGE_MS = 20_000;

interface Transaction16 {
  start?: { connectorId: number; meterStart: number };
  transactionId?: number;
  stops: { meterStop: number }[];
  meterValues: number;
}

/** What the CSMS saw of a station's transactions: starts (with the ids it answered), stops and meter values by id. */
function transactionsAt(
  csms: CsmsSimulator,
  identity: string,
): { byId: Map<number, Transaction16>; startsWithoutAnswer: number; unknownIds: number[] } {
  const byId = new Map<number, Transaction16>();
  const starts = csms.frames.calls('StartTransaction', { identity, direction: 'in' });
  let startsWithoutAnswer = 0;
  for (const frame of starts) {
    const [, messageId, , payload] = JSON.parse(frame.raw) as [number, string, string, { connectorId: number; meterStart: number }];
    const answer = csms.frames.answerTo(messageId, identity);
    const transactionId =
      answer?.type === 'CALLRESULT' ? (JSON.parse(answer.raw) as [number, string, { transactionId: number }])[2].transactionId : undefined;
    if (transactionId === undefined) startsWithoutAnswer++;
    else byId.set(transactionId, { start: payload, transactionId, stops: [], meterValues: 0 });
  }
  const unknownIds: number[] = [];
  for (const frame of csms.frames.calls('StopTransaction', { identity, direction: 'in' })) {
    const payload = JSON.parse(frame.raw)[3] as { transactionId: number; meterStop: number };
    const transaction = byId.get(payload.transactionId);
    if (transaction) transaction.stops.push(payload);
    else unknownIds.push(payload.transactionId);
  }
  for (const frame of csms.frames.calls('MeterValues', { identity, direction: 'in' })) {
    const payload = JSON.parse(frame.raw)[3] as { transactionId?: number };
    if (payload.transactionId === undefined) continue;
    const transaction = byId.get(payload.transactionId);
    if (transaction) transaction.meterValues++;
    else unknownIds.push(payload.transactionId);
  }
  return { byId, startsWithoutAnswer, unknownIds };
}

describe('e2e — Local Controller (OCPP 1.6J) in front of the CSMS simulator', () => {
  let csms: CsmsSimulator;
  let rig: Rig | undefined;
  const ids = stationIds(STATIONS);
  beforeEach(async () => {
    csms = await startCsmsSimulator({ port: 0, ocppVersion: '1.6', callTimeoutMs: 10_000 });
  });
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    await csms.stop();
  });

  test('CSMS outage while sessions start and stop: every start reaches the CSMS once, stops and meter values carry its ids', async () => {
    rig = await startRig({
      stations: STATIONS,
      safeLimitA: 60,
      safetyMarginA: MARGIN_A,
      fleet: { protocol: '1.6', meterIntervalS: 5 },
      upstream: { url: csms.url, credentials: 'forward', callTimeoutMs: 3000, outage: { mode: 'hold' } },
    });
    const r = rig;
    await withDiagnostics(
      'lc16-outage',
      () => r,
      async () => {
        await eventually(() => r.fleet.summary().bootAccepted === STATIONS, 30_000, 'all stations booted');
        await r.cp.sendForecast({ groupId: GROUP, type: 'FALLBACK_CONSUMPTION', blocks: flatDay(40) });
        await r.cp.sendForecast({ groupId: GROUP, type: 'CONSUMPTION', blocks: flatDay(60) });
        // Sessions that started before the outage: their stops and meter values are queued and replayed.
        for (const id of ids.slice(0, 3)) r.fleet.plugIn(id, 1, { batteryWh: 60_000, socPercent: 50, phases: 3, maxCurrentA: 16 });
        await eventually(
          () => ids.slice(0, 3).every((id) => transactionsAt(csms, id).byId.size === 1),
          30_000,
          'first sessions at the CSMS',
        );
        await csms.goDown();
        const downAt = Date.now();
        // Sessions that start during the outage: their StartTransaction waits for the CSMS (the station is let go
        // and keeps it); they charge on the limits flexbridge installed.
        for (const id of ids.slice(3)) r.fleet.plugIn(id, 1, { batteryWh: 60_000, socPercent: 50, phases: 3, maxCurrentA: 16 });
        await new Promise((resolve) => setTimeout(resolve, 5000));
        for (const id of [ids[0], ids[3]]) if (id) r.fleet.unplug(id, 1);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
        await csms.comeBack();
        await eventually(() => ids.every((id) => transactionsAt(csms, id).byId.size >= 1), 90_000, 'every start at the CSMS');
        await eventually(
          () =>
            [ids[0], ids[3]].every((id) => id !== undefined && [...transactionsAt(csms, id).byId.values()].some((t) => t.stops.length > 0)),
          60_000,
          'the stops',
        );
        // The starts during the outage were held, then their stations let go (never an id the CSMS lacks).
        expect(r.agent.logs().some((l) => String(l.message).startsWith('StartTransaction needs the CSMS'))).toBe(true);
        // Meter values taken during the outage reached the CSMS under the transaction's id.
        // (each station's queue is replayed on its own: wait for this one's).
        await eventually(
          () => ([...transactionsAt(csms, ids[1] ?? '').byId.values()][0]?.meterValues ?? 0) > 1,
          60_000,
          'meter values of the outage replayed',
        );
        for (const id of ids) {
          const seen = transactionsAt(csms, id);
          // One transaction per plug-in, each started once; nothing sent under an id the CSMS never gave.
          expect({ id, transactions: seen.byId.size, unknownIds: seen.unknownIds }).toEqual({ id, transactions: 1, unknownIds: [] });
          for (const transaction of seen.byId.values()) expect(transaction.stops.length).toBeLessThanOrEqual(1);
        }
        expect(excesses(r.fleet, ids, 1, () => 60 - MARGIN_A)).toEqual([]);
      },
    );
  }, 200_000);
});
