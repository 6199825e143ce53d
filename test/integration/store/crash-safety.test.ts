// DESIGN invariant 3 — nothing lost: a process killed with SIGKILL mid-write loses no committed change,
// and no transaction is half applied.
import path from 'node:path';
import { openSqliteStore } from '../../../src/store/sqlite';
import { exited, spawnTs, tempDir } from '../../helpers/processes';

describe('SQLite store crash safety (invariant 3)', () => {
  it('keeps every committed change and no partial one after kill -9 mid-write', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'crash.db');
      const child = spawnTs('test/helpers/store-writer.ts', [file]);
      let lastCommitted = -1;
      let buffer = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) {
            const match = /^committed (\d+)$/.exec(line);
            if (match) lastCommitted = Number(match[1]);
          }
          if (lastCommitted >= 300) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.once('exit', (code) => (lastCommitted < 300 ? reject(new Error(`writer exited early with ${code}`)) : resolve()));
      });
      expect((await exited(child)).signal).toBe('SIGKILL');

      const store = openSqliteStore(file);
      try {
        const sessions = store.sessions.active({ groupId: 'g1' });
        const outbox = store.outbox.pending();
        const forecasts = store.forecasts.list({ groupId: 'g1' });
        // Every change the writer reported as committed is there...
        for (let n = 0; n <= lastCommitted; n++) {
          expect(store.sessions.get(`tx-${n}`)).toMatchObject({ transactionId: `tx-${n}`, meterWh: n * 10 });
        }
        expect(outbox.map((m) => m.requestId).slice(0, lastCommitted + 1)).toEqual(
          Array.from({ length: lastCommitted + 1 }, (_, n) => `req-${n}`),
        );
        // ...and each logical change is all or nothing: the three tables and the counter agree.
        expect(outbox).toHaveLength(sessions.length);
        expect(forecasts).toHaveLength(sessions.length);
        expect(store.kv.get('last')).toBe(sessions.length - 1);
      } finally {
        store.close();
      }
    } finally {
      cleanup();
    }
  });
});
