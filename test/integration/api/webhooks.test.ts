// Webhook retries over real HTTP on virtual time: a failed delivery waits the core back-off on the clock — not a
// millisecond less — and is given up after the hook's maxAttempts; a later success is delivered once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookDelivery, type DeliveryResult } from '../../../src/api/webhooks';
import { Backoff } from '../../../src/core/backoff';
import { Scheduler } from '../../../src/core/scheduler';
import { silentLogger } from '../../../src/observability/log';
import { VirtualClock } from '../../helpers/virtual-clock';

/** A local receiver answering the statuses it is given, in order (then 204). */
async function startReceiver(...statuses: number[]): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits += 1;
      res.statusCode = statuses.shift() ?? 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Polls for what real HTTP brings (never used to prove that something did not happen). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('webhook retries (core back-off, virtual time)', () => {
  const event = { id: 1, event: 'plan.applied' as const, at: '2030-05-01T12:00:00.000Z', data: {} };

  const rig = (url: string, maxAttempts: number) => {
    const clock = new VirtualClock(0);
    const scheduler = new Scheduler(clock);
    const results: DeliveryResult[] = [];
    const delivery = new WebhookDelivery(
      [{ url, secret: 's'.repeat(16), timeoutMs: 2000, maxAttempts }],
      { queueLimit: 10, backoff: new Backoff({ minMs: 1000, maxMs: 60_000 }), concurrency: 1, random: () => 0 },
      silentLogger,
      scheduler.scope('api:'),
      (result) => results.push(result),
    );
    return { clock, delivery, results, stop: () => (delivery.stop(), scheduler.stop()) };
  };

  it('retries after 1 s, then 2 s on the clock (the delivery stays queued until then), then gives up after maxAttempts', async () => {
    const receiver = await startReceiver(500, 503, 500);
    const { clock, delivery, results, stop } = rig(receiver.url, 3);
    try {
      delivery.enqueue(event);
      await until(() => results.length === 1, 'first failure');
      expect(results).toEqual(['retry']);
      clock.advance(999);
      expect(delivery.depth).toBe(1);
      clock.advance(1);
      expect(delivery.depth).toBe(0);
      await until(() => results.length === 2, 'second failure');
      clock.advance(1999);
      expect(delivery.depth).toBe(1);
      clock.advance(1);
      expect(delivery.depth).toBe(0);
      await until(() => results.length === 3, 'third failure');
      expect(results).toEqual(['retry', 'retry', 'dropped']);
      // Given up: nothing is queued, however long the clock runs.
      clock.advance(3_600_000);
      expect(delivery.depth).toBe(0);
      expect(receiver.hits()).toBe(3);
    } finally {
      stop();
      await receiver.close();
    }
  });

  it('a retry that succeeds is delivered once', async () => {
    const receiver = await startReceiver(500);
    const { clock, delivery, results, stop } = rig(receiver.url, 8);
    try {
      delivery.enqueue(event);
      await until(() => results.length === 1, 'first failure');
      clock.advance(1000);
      await until(() => results.length === 2, 'delivery');
      expect(results).toEqual(['retry', 'delivered']);
      clock.advance(3_600_000);
      expect(delivery.depth).toBe(0);
      expect(receiver.hits()).toBe(2);
    } finally {
      stop();
      await receiver.close();
    }
  });
});
