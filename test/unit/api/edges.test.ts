// The operator API's edges without a server: credentials by token, Basic user or ?token=; zod issues as
// problem `errors` naming each field; webhook signatures and the bounded queue; the `api` config section.
import { createHmac } from 'node:crypto';
import { Credentials } from '../../../src/api/auth';
import { issuesToErrors } from '../../../src/api/problems';
import { StationUpsert } from '../../../src/api/request-schemas';
import { signature, verifySignature, WebhookDelivery } from '../../../src/api/webhooks';
import { parseConfig } from '../../../src/config/load';
import { Backoff } from '../../../src/core/backoff';
import { Scheduler } from '../../../src/core/scheduler';
import type { Logger } from '../../../src/observability/log';
import { VirtualClock } from '../../helpers/virtual-clock';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Credentials', () => {
  const credentials = new Credentials({
    tokens: [
      { name: 'viewer', token: 'viewer-token-0123456789', role: 'read' },
      { name: 'admin', token: 'admin-token-0123456789', role: 'admin' },
    ],
    users: [{ username: 'ops', password: 'ops-password-123', role: 'admin' }],
  });

  it('identifies Bearer tokens, Basic users and query tokens (only without a header)', () => {
    expect(credentials.identify('Bearer viewer-token-0123456789', undefined)).toEqual({ name: 'viewer', role: 'read' });
    expect(credentials.identify('bearer   admin-token-0123456789', undefined)).toEqual({ name: 'admin', role: 'admin' });
    expect(credentials.identify(basic('ops', 'ops-password-123'), undefined)).toEqual({ name: 'ops', role: 'admin' });
    expect(credentials.identify(undefined, 'viewer-token-0123456789')).toEqual({ name: 'viewer', role: 'read' });
    expect(credentials.identify('Bearer wrong', 'viewer-token-0123456789')).toBeUndefined();
  });

  it('refuses unknown tokens, wrong passwords, unknown users and malformed headers', () => {
    for (const header of [
      'Bearer viewer-token-012345678',
      basic('ops', 'ops-password-124'),
      basic('nobody', 'ops-password-123'),
      'Basic bm8tY29sb24',
      'Token viewer-token-0123456789',
      'Bearer',
      '',
    ])
      expect(credentials.identify(header, undefined)).toBeUndefined();
    expect(new Credentials({ tokens: [], users: [] }).empty).toBe(true);
  });
});

describe('issuesToErrors', () => {
  it('names each field, and each unknown key itself', () => {
    const result = StationUpsert.safeParse({ groupId: 'bad id', evseCount: 0, extra: 1, other: 2 });
    expect(result.success).toBe(false);
    const errors = result.success ? [] : issuesToErrors(result.error.issues);
    expect(errors.map((e) => e.path).sort()).toEqual(['evseCount', 'extra', 'groupId', 'other']);
    expect(errors.find((e) => e.path === 'extra')?.message).toBe('unknown field');
  });
});

describe('webhooks', () => {
  it('#17 item 6: signs t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">, so a captured delivery cannot be replayed later', () => {
    // RFC 4231 test case 2, message "<t>." + body.
    const t = 1_767_225_600;
    const expected = createHmac('sha256', 'Jefe').update(`${t}.what do ya want for nothing?`).digest('hex');
    expect(signature('Jefe', 'what do ya want for nothing?', t + 0.9)).toBe(`t=${t},v1=${expected}`);
    const header = signature('s'.repeat(16), '{"id":1}', t);
    expect(verifySignature(header, 's'.repeat(16), '{"id":1}', t + 300)).toBe(true);
    expect(verifySignature(header, 's'.repeat(16), '{"id":1}', t - 300)).toBe(true);
    // Replayed six minutes later, with another body, another secret, or the time edited: refused.
    expect(verifySignature(header, 's'.repeat(16), '{"id":1}', t + 301)).toBe(false);
    expect(verifySignature(header, 's'.repeat(16), '{"id":2}', t)).toBe(false);
    expect(verifySignature(header, 'x'.repeat(16), '{"id":1}', t)).toBe(false);
    expect(verifySignature(header.replace(`t=${t}`, `t=${t + 600}`), 's'.repeat(16), '{"id":1}', t + 600)).toBe(false);
    for (const bad of [undefined, '', 'sha256=' + expected, `v1=${expected},t=${t}`, `t=${t},v1=${expected.toUpperCase()}`])
      expect(verifySignature(bad, 'Jefe', 'what do ya want for nothing?', t)).toBe(false);
  });

  it('drops the oldest delivery with a warning when the queue is full', () => {
    const warnings: string[] = [];
    const logger: Logger = {
      error: () => undefined,
      warn: (message) => warnings.push(message),
      info: () => undefined,
      debug: () => undefined,
      child: () => logger,
    };
    const hooks = [{ url: 'http://127.0.0.1:9/hook', secret: 's'.repeat(16), timeoutMs: 1000, maxAttempts: 1 }];
    const results: string[] = [];
    const delivery = new WebhookDelivery(
      hooks,
      { queueLimit: 2, backoff: new Backoff({ minMs: 10, maxMs: 100 }), concurrency: 1 },
      logger,
      new Scheduler(new VirtualClock(0)).scope('api:'),
      (r) => results.push(r),
    );
    try {
      for (let id = 1; id <= 3; id++) delivery.enqueue({ id, event: 'plan.applied', at: new Date().toISOString(), data: {} });
      expect(delivery.depth).toBe(2);
      expect(warnings).toEqual(['webhook queue full: oldest delivery dropped']);
      expect(results).toEqual(['dropped']);
    } finally {
      delivery.stop();
    }
  });
});

describe('config api section', () => {
  const base = { groups: [{ id: 'g1', safeLimitA: 32 }] };

  it('defaults to no tokens, users or webhooks', () => {
    expect(parseConfig(base, 'test').api).toEqual({ tokens: [], users: [], webhooks: [], webhookQueueLimit: 1000 });
  });

  it('accepts tokens, users and webhooks with defaults', () => {
    const api = parseConfig(
      {
        ...base,
        api: {
          tokens: [{ name: 'dash', token: 'x'.repeat(16) }],
          users: [{ username: 'ops', password: 'y'.repeat(12), role: 'admin' }],
          webhooks: [{ url: 'https://hooks.example.org/flexbridge', secret: 'z'.repeat(16), events: ['fallback.entered'] }],
        },
      },
      'test',
    ).api;
    expect(api.tokens[0]).toEqual({ name: 'dash', token: 'x'.repeat(16), role: 'read' });
    expect(api.webhooks[0]).toMatchObject({ timeoutMs: 5000, maxAttempts: 8 });
  });

  it('names the field of each problem', () => {
    const bad = {
      ...base,
      api: {
        tokens: [
          { name: 'a', token: 'short', role: 'read' },
          { name: 'b', token: 'q'.repeat(16), role: 'root' },
          { name: 'b', token: 'q'.repeat(16) },
        ],
        users: [{ username: 'with:colon', password: 'p'.repeat(12) }],
        webhooks: [{ url: 'ftp://example.org/x', secret: 's'.repeat(16), events: ['station.exploded'] }],
      },
    };
    expect(() => parseConfig(bad, 'test')).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([
          expect.stringMatching(/^api\.tokens\[0\]\.token: /),
          expect.stringMatching(/^api\.tokens\[1\]\.role: /),
          expect.stringMatching(/^api\.users\[0\]\.username: /),
          expect.stringMatching(/^api\.webhooks\[0\]\.url: /),
          expect.stringMatching(/^api\.webhooks\[0\]\.events\[0\]: /),
        ]),
      }),
    );
    const duplicates = {
      ...base,
      api: {
        tokens: [
          { name: 'b', token: 'q'.repeat(16) },
          { name: 'b', token: 'q'.repeat(16) },
        ],
      },
    };
    expect(() => parseConfig(duplicates, 'test')).toThrow(
      expect.objectContaining({
        problems: ['api.tokens[1].name: got "b", duplicate name "b"', 'api.tokens[1].token: got [redacted], the same token is given twice'],
      }),
    );
  });
});
