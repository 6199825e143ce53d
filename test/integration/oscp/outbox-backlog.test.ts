// Issue #17 item 4: a 100,000-message backlog on a real SQLite file drains in order per peer, and each run of the
// delivery loop reads heads only (one row per peer), never the whole queue. Failed rows are pruned after their
// retention. Timing belongs to `npm run bench -- oscp`, not here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Backoff } from '../../../src/core/backoff';
import type { OutboxMessage, OutboxRepository } from '../../../src/core/ports';
import { Scheduler } from '../../../src/core/scheduler';
import { silentLogger } from '../../../src/observability/log';
import { createMetrics } from '../../../src/observability/metrics';
import { OutboxDelivery } from '../../../src/oscp/outbox';
import { PeerClient, type OutboundRequest, type SendOutcome } from '../../../src/oscp/peer-client';
import { openSqliteStore } from '../../../src/store/sqlite';
import { VirtualClock } from '../../helpers/virtual-clock';

const BACKLOG = 100_000;
const PEERS = ['cp-a', 'cp-b', 'cp-c'];

/** The repository, counting the rows each method hands out. */
function counting(repo: OutboxRepository): { repo: OutboxRepository; rows: Record<'pending' | 'heads' | 'head', number[]> } {
  const rows = { pending: [] as number[], heads: [] as number[], head: [] as number[] };
  return {
    rows,
    repo: {
      ...repo,
      pending: () => {
        const all = repo.pending();
        rows.pending.push(all.length);
        return all;
      },
      heads: () => {
        const heads = repo.heads();
        rows.heads.push(heads.length);
        return heads;
      },
      head: (peerId) => {
        const head = repo.head(peerId);
        rows.head.push(head ? 1 : 0);
        return head;
      },
    },
  };
}

describe('outbox with a 100,000-message backlog', () => {
  let dir: string;
  // A real file; on tmpfs where there is one, so 100,000 committed deletes (synchronous=FULL) do not wait on a disk.
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  beforeEach(() => (dir = fs.mkdtempSync(path.join(base, 'flexbridge-outbox-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('drains every message in order per peer; each loop run reads one row per peer, never the whole queue', async () => {
    const file = path.join(dir, 'agent.db');
    const store = openSqliteStore(file);
    store.transaction(() => {
      for (let i = 0; i < BACKLOG; i++)
        store.outbox.enqueue({
          peerId: PEERS[i % PEERS.length] as string,
          path: 'update_group_measurements',
          method: 'POST',
          requestId: `m-${i}`,
          body: { i },
          nextAttemptAtMs: 0,
          createdAt: new Date(0).toISOString(),
        });
    });
    const clock = new VirtualClock(1_000);
    const scheduler = new Scheduler(clock);
    const delivered = new Map<string, number[]>(PEERS.map((p) => [p, []]));
    class Peer extends PeerClient {
      override send(request: OutboundRequest): Promise<SendOutcome> {
        const peer = new URL(request.url).hostname.split('.')[0] as string;
        delivered.get(peer)?.push(Number(request.requestId.slice(2)));
        return Promise.resolve({ kind: 'delivered', status: 204 });
      }
    }
    const { repo, rows } = counting(store.outbox);
    const outbox = new OutboxDelivery({
      repo,
      client: new Peer(),
      timers: scheduler.scope('oscp:'),
      resolve: (message: OutboxMessage) => ({ url: `http://${message.peerId}.test/x`, token: 't', body: message.body, timeoutMs: 100 }),
      nowMs: () => clock.nowMs(),
      logger: silentLogger,
      metrics: createMetrics({ defaultMetrics: false }),
      options: { backoff: new Backoff({ minMs: 1000, maxMs: 300_000 }), random: () => 0 },
    });
    outbox.kick();
    for (let turn = 0; turn < 1000 && [...delivered.values()].reduce((n, l) => n + l.length, 0) < BACKLOG; turn++)
      await new Promise<void>((resolve) => setImmediate(resolve));

    for (const [i, peer] of PEERS.entries()) {
      const ids = delivered.get(peer) ?? [];
      expect(ids).toHaveLength(Math.ceil((BACKLOG - i) / PEERS.length));
      expect(ids.every((id, k) => k === 0 || id > (ids[k - 1] as number))).toBe(true);
    }
    expect(store.outbox.pending()).toEqual([]);
    // Delivery never read the whole queue; every kick read at most one row per peer, each drain step one row.
    expect(rows.pending).toEqual([]);
    expect(rows.heads.length).toBeGreaterThan(0);
    expect(Math.max(...rows.heads)).toBeLessThanOrEqual(PEERS.length);
    expect(rows.head.every((n) => n <= 1)).toBe(true);
    await outbox.stop(0);
    scheduler.stop();
    store.close();
  });

  it('a failed message stays for oscp.outboxFailedRetentionDays, then is pruned; pending ones are never pruned', () => {
    const file = path.join(dir, 'agent.db');
    const store = openSqliteStore(file);
    const enqueue = (requestId: string): number =>
      store.outbox.enqueue({ peerId: 'cp', path: 'x', method: 'POST', requestId, body: null, nextAttemptAtMs: 0, createdAt: '' });
    const old = enqueue('old');
    const recent = enqueue('recent');
    enqueue('pending');
    store.outbox.failPermanently(old, '400 Bad Request', 1_000);
    store.outbox.failPermanently(recent, '400 Bad Request', 5_000);
    expect(store.outbox.pruneFailed(2_000)).toBe(1);
    expect(store.outbox.pruneFailed(2_000)).toBe(0);
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT request_id, status FROM outbox ORDER BY id').all()).toEqual([
      { request_id: 'recent', status: 'failed' },
      { request_id: 'pending', status: 'pending' },
    ]);
    db.close();
  });
});
