// Logging: structured JSON with context fields, and no secret ever reaches the output.
import { Writable } from 'node:stream';
import { createLogger, redact } from '../../../src/observability/log';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return {
    stream,
    text: () => text,
    lines: () =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('log', () => {
  it('writes one JSON object per event with the child context', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', stream: out.stream }).child({ groupId: 'g1' }).child({ stationId: 'CS-7' });
    logger.info('profile accepted', { evseId: 1 });
    logger.debug('not shown at info');
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 'info', message: 'profile accepted', groupId: 'g1', stationId: 'CS-7', evseId: 1 }),
    ]);
  });

  it('never logs tokens or passwords, at any depth or inside text', () => {
    const out = capture();
    const logger = createLogger({ level: 'debug', stream: out.stream }).child({ peer: 'dso' });
    logger.info('register received', { token: 'SECRET-TOKEN-1', body: { token: 'SECRET-TOKEN-2', version_url: [] } });
    logger.debug('outbound headers', { headers: { Authorization: 'Token SECRET-TOKEN-3' } });
    logger.warn('auth failed', { detail: 'header was Token SECRET-TOKEN-4 and Basic U0VDUkVULVBBU1M=' });
    logger.info('station added', { station: { id: 'CS-1', password: 'SECRET-PASSWORD-5' } });
    logger.error('request failed', { error: new Error('401 for Bearer SECRET-TOKEN-6') });
    const text = out.text();
    expect(text).not.toMatch(/SECRET/);
    expect(out.lines()).toHaveLength(5);
    expect(text).toContain('[redacted]');
  });

  it("#17 item 6: a token in a URL query (the event stream's ?token=) is redacted in every line, the rest of the URL kept", () => {
    const out = capture();
    const logger = createLogger({ level: 'debug', stream: out.stream });
    logger.info('request', { url: '/api/v1/events?token=SECRET-TOKEN-7&since=3' });
    logger.warn('upgrade refused', { url: '/ocpp/CS-1?access_token=SECRET-TOKEN-8' });
    logger.error('GET http://cp.example/x?a=1&TOKEN=SECRET-TOKEN-9#frag failed');
    expect(out.text()).not.toMatch(/SECRET/);
    expect(redact('/api/v1/events?token=abc&since=3')).toBe('/api/v1/events?token=[redacted]&since=3');
    expect(redact('the token=… word in prose')).toBe('the token=… word in prose');
  });

  it('keeps prose about credentials readable: "HTTP Basic auth" is a reason, not a secret', () => {
    const reason =
      'station CS-2: Basic-auth user name "fleet" is not the station identity "CS-2" (HTTP Basic auth with the station identity)';
    expect(redact(reason)).toBe(reason);
    expect(redact('send a Bearer token')).toBe('send a Bearer token');
    expect(redact('Basic Q1MtMjpzZWNyZXQ=')).toBe('Basic [redacted]');
  });

  it('redact keeps non-secret structure and survives cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redact({ stationId: 'CS-1', password: 'x', nested: [{ bootstrapToken: 'y' }], cyclic })).toEqual({
      stationId: 'CS-1',
      password: '[redacted]',
      nested: [{ bootstrapToken: '[redacted]' }],
      cyclic: { a: 1, self: '[…]' },
    });
  });
});
