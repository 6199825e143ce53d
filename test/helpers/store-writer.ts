// Child process for the crash test: writes one logical change per transaction, forever, and prints
// "committed N" after each commit so the parent knows what must survive a kill -9.
import { openSqliteStore } from '../../src/store/sqlite';

const file = process.argv[2];
if (!file) throw new Error('usage: store-writer <db file>');
const store = openSqliteStore(file);

let n = 0;
function writeOne(): void {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  store.transaction(() => {
    store.sessions.upsertMany([
      {
        transactionId: `tx-${n}`,
        stationId: `CS-${n % 50}`,
        groupId: 'g1',
        evseId: 1,
        chargingState: 'Charging',
        startedAt: at,
        lastSeqNo: n,
        priority: 0,
        meterWh: n * 10,
      },
    ]);
    store.outbox.enqueue({
      peerId: 'dso',
      path: 'update_group_measurements',
      method: 'POST',
      requestId: `req-${n}`,
      body: { n },
      nextAttemptAtMs: 0,
      createdAt: at,
    });
    store.forecasts.append({
      groupId: 'g1',
      type: 'CONSUMPTION',
      requestId: `fc-${n}`,
      peerId: 'dso',
      receivedAt: at,
      blocks: [{ n }],
      endsAt: '2099-01-01T00:00:00.000Z',
    });
    store.kv.set('last', n);
  });
  process.stdout.write(`committed ${n}\n`);
  n += 1;
  setImmediate(writeOne);
}
writeOne();
