// The per-station OCPP trace ring (#16 item 2): bounded, oldest out first, resized keeping the newest, live only while
// traced; secrets (BasicAuthPassword, AuthorizationKey, certificates, keys) never leave it; and the upstream leg's tap.
import fc from 'fast-check';
import { WebSocketServer } from 'ws';
import { redact, StationTraces } from '../../../src/ocpp/trace';
import { dialUpstream } from '../../../src/ocpp/upstream/upstream-link';
import { systemClock } from '../../../src/core/scheduler';

const call = (id: number, action = 'Heartbeat', payload: unknown = {}): string => JSON.stringify([2, String(id), action, payload]);

describe('StationTrace ring', () => {
  let now = 0;
  const traces = (): StationTraces => new StationTraces({ defaultFrames: 3, maxFrames: 10 }, () => now);

  test('keeps the last N frames oldest first, with direction, leg and time', () => {
    const trace = traces().create('CS-1');
    for (let i = 1; i <= 5; i++) {
      now = i * 1000;
      trace.record(i % 2 ? 'station' : 'csms', i % 2 === 0, call(i));
    }
    const entries = trace.entries();
    expect(entries.map((e) => e.messageId)).toEqual(['3', '4', '5']);
    expect(entries[1]).toMatchObject({ leg: 'csms', direction: 'out', at: new Date(4000).toISOString(), action: 'Heartbeat' });
    expect(trace.state).toEqual({ enabled: false, capacity: 3, frames: 3 });
  });

  test('an answer carries the action of the CALL with its id on the same leg', () => {
    const trace = traces().create('CS-1');
    trace.record('station', false, call(7, 'StatusNotification'));
    trace.record('station', true, JSON.stringify([3, '7', {}]));
    trace.record('csms', true, JSON.stringify([4, '7', 'NotImplemented', 'no', {}]));
    const [, result, error] = trace.entries();
    expect(result).toMatchObject({ messageType: 'CALLRESULT', action: 'StatusNotification' });
    expect(error).toMatchObject({ messageType: 'CALLERROR', errorCode: 'NotImplemented' });
    expect(error?.action).toBeUndefined();
  });

  test('switched on: a larger ring keeping what it had, and every frame live; switched off: back to the small ring, newest kept', () => {
    const hub = traces();
    const live: string[] = [];
    hub.subscribe((stationId, entry) => live.push(`${stationId}:${entry.messageId ?? ''}`));
    const trace = hub.create('CS-1');
    trace.record('station', false, call(1));
    trace.record('station', false, call(2));
    expect(live).toEqual([]);
    expect(trace.configure(true, 50)).toEqual({ enabled: true, capacity: 10, frames: 2 });
    for (let i = 3; i <= 12; i++) trace.record('station', false, call(i));
    expect(live).toHaveLength(10);
    expect(trace.entries().map((e) => e.messageId)).toEqual(['3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    trace.configure(false);
    expect(trace.entries().map((e) => e.messageId)).toEqual(['10', '11', '12']);
    trace.record('station', false, call(13));
    expect(live).toHaveLength(10);
  });

  test('ocpp.trace.frames 0: nothing is kept for a station that is not traced', () => {
    const trace = new StationTraces({ defaultFrames: 0, maxFrames: 5 }, () => 0).create('CS-1');
    trace.record('station', false, call(1));
    expect(trace.entries()).toEqual([]);
    trace.configure(true);
    trace.record('station', false, call(2));
    expect(trace.entries()).toHaveLength(1);
  });

  test('an unparseable frame is shown as it came, unless it mentions a secret', () => {
    const trace = traces().create('CS-1');
    trace.record('station', false, 'not json');
    trace.record('station', false, '{"BasicAuthPassword": "x');
    const [plain, secret] = trace.entries();
    expect(plain).toMatchObject({ messageType: 'unparseable', raw: 'not json' });
    expect(secret?.raw).not.toContain('"x');
  });
});

describe('StationTrace ring: the arena the frames are copied to', () => {
  const frame = (id: number, text: string): string => call(id, 'DataTransfer', { data: text });
  const hub = (frames: number): StationTraces => new StationTraces({ defaultFrames: frames, maxFrames: 50 }, () => 0);

  test('frames of any size and script: what it keeps is the newest ones, in order, byte for byte', () => {
    // Rings of 4–12 frames (arenas of 1–3 KiB): frames of ~50–650 bytes wrap the arena many times over; a few are
    // too large for it; multi-byte characters make the bytes differ from the characters.
    const text = fc.oneof(
      { weight: 3, arbitrary: fc.string({ maxLength: 60 }) },
      { weight: 5, arbitrary: fc.string({ minLength: 200, maxLength: 700 }) },
      { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 50, maxLength: 150 }) },
      { weight: 1, arbitrary: fc.string({ minLength: 800, maxLength: 3000 }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 12 }), fc.array(text, { minLength: 0, maxLength: 120, size: 'max' }), (capacity, texts) => {
        const trace = hub(capacity).create('CS-1');
        texts.forEach((data, id) => trace.record('station', false, frame(id, data)));
        const entries = trace.entries();
        expect(entries.length).toBeLessThanOrEqual(Math.min(capacity, texts.length));
        if (texts.length > 0) expect(entries.length).toBeGreaterThan(0);
        // A suffix of what was recorded: the newest always, nothing older than what was dropped.
        const first = texts.length - entries.length;
        expect(entries.map((e) => e.payload)).toEqual(texts.slice(first).map((data) => ({ data })));
        expect(entries.map((e) => e.messageId)).toEqual(texts.slice(first).map((_, k) => String(first + k)));
      }),
      // A failure is reported as found: shrinking 120 frames of up to 3,000 characters takes minutes.
      { numRuns: 300, endOnFailure: true },
    );
  });

  test('frames of typical size: the ring holds as many as it is sized for', () => {
    const trace = hub(20).create('CS-1');
    for (let id = 0; id < 100; id++) trace.record('station', id % 2 === 1, frame(id, 'x'.repeat(id % 3 === 0 ? 180 : 20)));
    expect(trace.entries().map((e) => e.messageId)).toEqual(Array.from({ length: 20 }, (_, k) => String(80 + k)));
  });

  test('a frame too large for the arena is kept whole, beside the small ones', () => {
    const trace = hub(4).create('CS-1');
    const big = 'é'.repeat(5000);
    trace.record('station', false, frame(1, 'small'));
    trace.record('station', false, frame(2, big));
    trace.record('station', false, frame(3, 'small again'));
    expect(trace.entries().map((e) => e.payload)).toEqual([{ data: 'small' }, { data: big }, { data: 'small again' }]);
  });
});

describe('redaction', () => {
  const SECRET = 'do-not-show-this-0001';
  test.each([
    [
      '2.0.1 SetVariables',
      { setVariableData: [{ component: { name: 'SecurityCtrlr' }, variable: { name: 'BasicAuthPassword' }, attributeValue: SECRET }] },
    ],
    [
      '2.0.1 GetVariables result',
      {
        getVariableResult: [
          {
            attributeStatus: 'Accepted',
            attributeValue: SECRET,
            component: { name: 'SecurityCtrlr' },
            variable: { name: 'BasicAuthPassword' },
          },
        ],
      },
    ],
    [
      '2.0.1 NotifyReport',
      {
        reportData: [
          { component: { name: 'SecurityCtrlr' }, variable: { name: 'BasicAuthPassword' }, variableAttribute: [{ value: SECRET }] },
        ],
      },
    ],
    ['1.6 ChangeConfiguration', { key: 'AuthorizationKey', value: SECRET }],
    ['1.6 GetConfiguration result', { configurationKey: [{ key: 'AuthorizationKey', readonly: false, value: SECRET }] }],
    ['CertificateSigned', { certificateChain: `-----BEGIN CERTIFICATE-----${SECRET}` }],
    ['InstallCertificate', { certificateType: 'V2GRootCertificate', certificate: SECRET }],
    ['SignCertificate', { csr: SECRET }],
    [
      'SetNetworkProfile',
      {
        connectionData: {
          vpn: { server: 'v', user: 'u', password: SECRET, key: SECRET, type: 'IPSec' },
          apn: { apn: 'a', apnPassword: SECRET },
        },
      },
    ],
  ])('%s', (_name, payload) => {
    const out = JSON.stringify(redact(payload));
    expect(out).not.toContain(SECRET);
    expect(out).toContain('[redacted]');
  });

  test('everything else is left as it is', () => {
    const payload = {
      configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }],
      certificateType: 'CSMSRootCertificate',
    };
    expect(redact(payload)).toEqual(payload);
  });
});

describe('upstream leg (Local Controller mode)', () => {
  test("the link's tap sees the CALL it sends and the CSMS's answer", async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'ocpp2.0.1' });
    server.on('connection', (ws) =>
      ws.on('message', (data: Buffer) => {
        const [, id] = JSON.parse(data.toString()) as [number, string];
        ws.send(JSON.stringify([3, id, { currentTime: 'now', interval: 60, status: 'Accepted' }]));
      }),
    );
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const outcome = await dialUpstream({
      url: `ws://127.0.0.1:${port}/ocpp`,
      encodedIdentity: 'CS-1',
      protocols: ['ocpp2.0.1'],
      timeoutMs: 2000,
      clock: systemClock,
    });
    if (outcome.kind !== 'open') throw new Error(`not open: ${outcome.kind}`);
    const trace = new StationTraces({ defaultFrames: 5, maxFrames: 5 }, Date.now).create('CS-1');
    outcome.link.tap = (text, outbound) => trace.record('csms', outbound, text);
    await outcome.link.call('BootNotification', { reason: 'PowerUp' }, 2000);
    outcome.link.close();
    server.close();
    expect(trace.entries().map((e) => [e.leg, e.direction, e.messageType, e.action])).toEqual([
      ['csms', 'out', 'CALL', 'BootNotification'],
      ['csms', 'in', 'CALLRESULT', 'BootNotification'],
    ]);
  });
});
