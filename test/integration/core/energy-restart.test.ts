// The group's energy register across a restart (a real SQLite file, the real session tracker and core): a session
// that runs on through the restart adds only what it draws after it; what it drew before is in the stored total once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChargingSession } from '../../../src/domain/session';
import { SessionTracker } from '../../../src/ocpp/session-tracker';
import { silentLogger } from '../../../src/observability/log';
import { openSqliteStore } from '../../../src/store/sqlite';
import type { Store } from '../../../src/core/ports';
import { quietCore } from '../../helpers/quiet-core';
import { VirtualClock, virtualTime } from '../../helpers/virtual-clock';

const started: ChargingSession = {
  transactionId: 'tx-1',
  stationId: 'CS-1',
  groupId: 'g1',
  evseId: 1,
  chargingState: 'Charging',
  startedAt: '2026-01-01T00:00:00.000Z',
  meterStartWh: 1_000,
  meterWh: 1_000,
  lastSeqNo: 0,
  priority: 0,
};

/**
 * One life of the agent's session path on `store`: the tracker restores, then feeds core, and writes the energy totals
 * with each batch of sessions, as csms.ts and agent.ts wire them. Its batch timer runs on virtual time.
 */
function life(store: Store) {
  const time = virtualTime();
  const clock = new VirtualClock(time.nowMs());
  const core = quietCore(store, time);
  const tracker = new SessionTracker(
    store.sessions,
    { session: (s) => core.onSession(s), restored: (s) => core.onSessionRestored(s) },
    silentLogger,
    { clock, flushMs: 250, withBatch: { transaction: (work) => store.transaction(work), write: () => core.energy.flush() } },
  );
  tracker.restore();
  const reading = (meterWh: number, seqNo: number): void => {
    const session = tracker.get(started.transactionId) ?? started;
    tracker.record(session, { ...session, meterWh, lastSeqNo: seqNo }, { started: seqNo === 0, ended: false });
  };
  /** The batch's tick: what the tracker writes 250 ms after a change. */
  const tick = (): void => clock.advance(250);
  return { core, reading, tick, stop: () => tracker.stop() };
}

describe('group energy across a restart', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-energy-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a session running through a restart is counted once: 5,000 Wh drawn, 5,000 Wh in the total', () => {
    const file = path.join(dir, 'store.db');
    let store = openSqliteStore(file);
    const first = life(store);
    first.reading(1_000, 0);
    first.reading(4_000, 1);
    expect(first.core.energy.totalWh('g1')).toBe(3_000);
    first.stop();
    store.close();

    store = openSqliteStore(file);
    const second = life(store);
    expect(second.core.energy.totalWh('g1')).toBe(3_000);
    second.reading(6_000, 2);
    expect(second.core.energy.totalWh('g1')).toBe(5_000);
    second.stop();
    store.close();
  });

  it('killed between batches: the stored total counts exactly up to the stored reading, so the next reading adds the rest once', () => {
    const file = path.join(dir, 'store.db');
    let store = openSqliteStore(file);
    const first = life(store);
    first.reading(1_000, 0);
    first.reading(4_000, 1);
    first.tick();
    first.reading(5_000, 2);
    expect(first.core.energy.totalWh('g1')).toBe(4_000);
    // kill -9: the process is gone before the next batch; nothing more is written.
    store.close();

    store = openSqliteStore(file);
    const second = life(store);
    expect(store.sessions.get('tx-1')?.meterWh).toBe(4_000);
    expect(second.core.energy.totalWh('g1')).toBe(3_000);
    second.reading(6_000, 3);
    expect(second.core.energy.totalWh('g1')).toBe(5_000);
    second.stop();
    store.close();
  });
});
