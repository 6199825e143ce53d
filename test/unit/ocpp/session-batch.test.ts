// The session tracker's write batch, through the session repository port on virtual time: each batch holds every
// session written since the last one once, as its latest record; starts and ends go at once; an ended session
// leaves the batch's bookkeeping, and comes back if an event reopens it.
import type { ChargingSession } from '../../../src/domain/session';
import type { SessionRepository } from '../../../src/core/ports';
import { SessionTracker } from '../../../src/ocpp/session-tracker';
import { silentLogger } from '../../../src/observability/log';
import type { MeterValue } from '../../../src/ocpp/v201/payloads';
import { VirtualClock } from '../../helpers/virtual-clock';

const session = (transactionId: string): ChargingSession => ({
  transactionId,
  stationId: `CS-${transactionId}`,
  groupId: 'g1',
  evseId: 1,
  chargingState: 'Charging',
  startedAt: '2026-01-01T00:00:00.000Z',
  meterStartWh: 0,
  meterWh: 0,
  lastSeqNo: 0,
  priority: 0,
});

const energy = (wh: number): MeterValue[] => [
  { timestamp: '2026-01-01T00:01:00.000Z', sampledValue: [{ value: wh, measurand: 'Energy.Active.Import.Register' }] },
];

function tracked() {
  const batches: { transactionId: string; meterWh: number | undefined; ended: boolean }[][] = [];
  const repository: SessionRepository = {
    get: () => undefined,
    active: () => [],
    upsertMany: (sessions) =>
      batches.push(sessions.map((s) => ({ transactionId: s.transactionId, meterWh: s.meterWh, ended: s.endedAt !== undefined }))),
    prune: () => 0,
    ended: () => ({ sessions: [], total: 0 }),
  };
  const clock = new VirtualClock(0);
  const tracker = new SessionTracker(repository, { session: () => undefined, restored: () => undefined }, silentLogger, {
    clock,
    flushMs: 250,
  });
  const start = (transactionId: string): void => void tracker.record(undefined, session(transactionId), { started: true, ended: false });
  const end = (transactionId: string): void => {
    const previous = tracker.get(transactionId)!;
    tracker.record(previous, { ...previous, endedAt: '2026-01-01T01:00:00.000Z' }, { started: false, ended: true });
  };
  return { tracker, clock, batches, start, end };
}

describe('the session write batch', () => {
  it('holds each session written since the last batch once, as its latest reading', () => {
    const { tracker, clock, batches, start } = tracked();
    start('a');
    start('b');
    expect(batches).toEqual([[{ transactionId: 'a', meterWh: 0, ended: false }], [{ transactionId: 'b', meterWh: 0, ended: false }]]);
    tracker.meterValues('a', energy(100));
    tracker.meterValues('b', energy(200));
    tracker.meterValues('a', energy(300));
    clock.advance(249);
    expect(batches).toHaveLength(2);
    clock.advance(1);
    expect(batches[2]).toEqual([
      { transactionId: 'a', meterWh: 300, ended: false },
      { transactionId: 'b', meterWh: 200, ended: false },
    ]);
  });

  it('writes only what changed since: the next batch has the one session read again', () => {
    const { tracker, clock, batches, start } = tracked();
    start('a');
    start('b');
    tracker.meterValues('a', energy(100));
    tracker.meterValues('b', energy(200));
    clock.advance(250);
    tracker.meterValues('b', energy(400));
    clock.advance(250);
    expect(batches.slice(3)).toEqual([[{ transactionId: 'b', meterWh: 400, ended: false }]]);
    clock.advance(10_000);
    expect(batches).toHaveLength(4);
  });

  it('writes an end at once, with the readings queued before it, and writes nothing more for it', () => {
    const { tracker, clock, batches, start, end } = tracked();
    start('a');
    start('b');
    tracker.meterValues('b', energy(50));
    tracker.meterValues('a', energy(100));
    end('a');
    expect(batches[2]).toEqual([
      { transactionId: 'b', meterWh: 50, ended: false },
      { transactionId: 'a', meterWh: 100, ended: true },
    ]);
    tracker.meterValues('a', energy(999));
    clock.advance(10_000);
    expect(batches).toHaveLength(3);
  });

  it('queues a session again after its end was written, when an event brings it back', () => {
    const { tracker, clock, batches, start, end } = tracked();
    start('a');
    end('a');
    const ended = tracker.find('a', 'CS-a')!;
    tracker.record(ended, { ...session('a'), meterWh: 10 }, { started: false, ended: false });
    tracker.meterValues('a', energy(20));
    clock.advance(250);
    expect(batches.at(-1)).toEqual([{ transactionId: 'a', meterWh: 20, ended: false }]);
  });
});
