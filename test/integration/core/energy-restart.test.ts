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
import { virtualTime } from '../../helpers/virtual-clock';

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

/** One life of the agent's session path on `store`: the tracker restores, then feeds core, as csms.ts wires them. */
function life(store: Store) {
  const time = virtualTime();
  const core = quietCore(store, time);
  const tracker = new SessionTracker(
    store.sessions,
    { session: (s) => core.onSession(s), restored: (s) => core.onSessionRestored(s) },
    silentLogger,
  );
  tracker.restore();
  const reading = (meterWh: number, seqNo: number): void => {
    const session = tracker.get(started.transactionId) ?? started;
    tracker.record(session, { ...session, meterWh, lastSeqNo: seqNo }, { started: seqNo === 0, ended: false });
  };
  /** What the agent's tick and stop do: the totals and the sessions written. */
  const stop = (): void => {
    store.transaction(() => core.energy.flush());
    tracker.stop();
  };
  return { core, reading, stop };
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
});
