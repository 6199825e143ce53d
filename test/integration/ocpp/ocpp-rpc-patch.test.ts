// flexbridge's patch of ocpp-rpc 2.2.1 (patches/ocpp-rpc+2.2.1.patch, applied by `npm ci` through patch-package),
// against a real peer on 127.0.0.1: the patch is in place, an answered call leaves no timer, an unanswered one
// still rejects with a TimeoutError at its timeout, a handler that reads its signal still sees it aborted when the
// connection goes, and calls on a closed connection still fail; the upgrade's listeners leave the socket once it is a
// WebSocket, and keep-alive pings run on one timer that stops with the connection.
import fs from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket } from 'ws';
import { createRPCError, createValidator, RPCError, RPCServer, TimeoutError } from 'ocpp-rpc';
import schemas from 'ocpp-rpc/lib/schemas/ocpp2_0_1.json';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { strictClient } from './harness';

const until = async (done: () => boolean): Promise<void> => {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
};

const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('ocpp-rpc as patched by flexbridge', () => {
  let server: RPCServer;
  let client: ReturnType<typeof strictClient>;
  let station: RpcServerClient;
  let signalSeen: Promise<AbortSignal>;
  beforeEach(async () => {
    server = new RPCServer({ protocols: ['ocpp2.0.1'] });
    const connected = new Promise<RpcServerClient>((resolve) => server.on('client', resolve));
    const http = await server.listen(0, '127.0.0.1');
    client = strictClient(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, 'CS-1', ['ocpp2.0.1'], null, {});
    client.handle('Heartbeat', () => Promise.resolve({ currentTime: '2026-01-01T00:00:00Z' }));
    client.handle('ClearCache', () => new Promise<never>(() => undefined));
    await client.connect();
    station = await connected;
    signalSeen = new Promise((resolve) =>
      station.handle('Heartbeat', ({ signal }) => (resolve(signal as AbortSignal), new Promise<never>(() => undefined))),
    );
  });
  afterEach(async () => {
    await client.close({ force: true });
    await server.close({ force: true });
  });

  it('is applied (npm ci runs patch-package)', () => {
    expect(fs.readFileSync(require.resolve('ocpp-rpc/lib/client.js'), 'utf8')).toContain('flexbridge patch');
  });

  it('an answered call leaves no timer behind', async () => {
    const before = timers();
    await expect(station.call('Heartbeat', {}, { callTimeoutMs: 60_000 })).resolves.toEqual({ currentTime: '2026-01-01T00:00:00Z' });
    expect(timers()).toBe(before);
  });

  it('an unanswered call still rejects with a TimeoutError, and its timer is gone', async () => {
    const before = timers();
    const outcome = await station.call('ClearCache', {}, { callTimeoutMs: 50 }).then(
      () => 'answered',
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(TimeoutError);
    expect((outcome as Error).message).toBe('Call timeout');
    expect(timers()).toBe(before);
  });

  it("a handler that reads its signal sees it aborted when the connection goes (the station's own CALL)", async () => {
    void client.call('Heartbeat', {}).catch(() => undefined);
    const signal = await signalSeen;
    expect(signal.aborted).toBe(false);
    const aborted = new Promise((resolve) => signal.addEventListener('abort', resolve));
    await client.close({ force: true });
    await aborted;
    expect(signal.aborted).toBe(true);
  });

  it('a call on a closed connection still fails', async () => {
    const closed = new Promise((resolve) => station.once('close', resolve));
    await client.close({ force: true });
    await closed;
    await expect(station.call('Heartbeat', {}, { callTimeoutMs: 60_000 })).rejects.toThrow('Cannot make call while socket not open');
  });
});

describe('ocpp-rpc as patched by flexbridge: what a connection keeps', () => {
  let server: RPCServer;
  let url: string;
  const peers: WebSocket[] = [];
  beforeEach(async () => {
    server = new RPCServer({ protocols: ['ocpp2.0.1'], pingIntervalMs: 40 });
    const http = await server.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/CS-1`;
  });
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.terminate();
    await server.close({ force: true });
  });
  const connect = async (options: { autoPong?: boolean } = {}) => {
    const accepted = new Promise<RpcServerClient>((resolve) => server.once('client', resolve));
    const peer = new WebSocket(url, ['ocpp2.0.1'], options);
    peers.push(peer);
    await new Promise((resolve, reject) => peer.once('open', resolve).once('error', reject));
    return { peer, station: await accepted };
  };

  it("the upgrade's socket listeners leave once it is a WebSocket (their closures held the request and handshake)", async () => {
    const { station } = await connect();
    const socket = (station as unknown as { _ws: { _socket: Socket } })._ws._socket;
    const upgradeListeners = (['end', 'close', 'error'] as const).flatMap((event) =>
      socket.listeners(event).filter((listener) => /upgrade|abortUpgrade/.test(String(listener))),
    );
    expect(upgradeListeners).toEqual([]);
    // What ws put there for the connection is still there.
    expect(socket.listenerCount('close')).toBeGreaterThan(0);
    expect(socket.listenerCount('error')).toBeGreaterThan(0);
  });

  it('keep-alive: a peer that answers is pinged again and again and stays', async () => {
    const { peer, station } = await connect();
    let pings = 0;
    await new Promise<void>((resolve) =>
      peer.on('ping', () => {
        if (++pings === 3) resolve();
      }),
    );
    expect(station.state).toBe(1);
  });

  it('keep-alive: a peer that stops answering pings is cut off', async () => {
    const { peer, station } = await connect({ autoPong: false });
    const closed = new Promise((resolve) => station.once('close', resolve));
    await new Promise((resolve) => peer.once('ping', resolve));
    await closed;
    expect(station.state).toBe(3);
  });

  it('keep-alive stops with the connection: its timer is cleared once it closed', async () => {
    const { peer, station } = await connect();
    const internals = station as unknown as { _nextPingTimeout: NodeJS.Timeout | undefined };
    const timer = internals._nextPingTimeout;
    expect(timer?.hasRef()).toBe(true);
    const closed = new Promise((resolve) => station.once('close', resolve));
    peer.close();
    await closed;
    expect(internals._nextPingTimeout).toBeUndefined();
    expect((timer as unknown as { _destroyed: boolean })._destroyed).toBe(true);
  });
});

describe('ocpp-rpc as patched by flexbridge: handlers that answer by returning', () => {
  let server: RPCServer;
  let client: ReturnType<typeof strictClient>;
  let station: RpcServerClient;
  const atOnce = (answer: (call: { method?: string; params?: unknown }) => object) =>
    Object.assign(answer, { answersByReturn: true }) as unknown as Parameters<RpcServerClient['handle']>[0];
  beforeEach(async () => {
    server = new RPCServer({ protocols: ['ocpp2.0.1'], strictMode: true });
    const connected = new Promise<RpcServerClient>((resolve) => server.on('client', resolve));
    const http = await server.listen(0, '127.0.0.1');
    client = strictClient(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, 'CS-1', ['ocpp2.0.1'], null, {});
    await client.connect();
    station = await connected;
  });
  afterEach(async () => {
    await client.close({ force: true });
    await server.close({ force: true });
  });

  it('the answer is sent in the same turn, before any microtask the handler queued', async () => {
    let sentBeforeMicrotask: boolean | undefined;
    let sent = false;
    station.on('response', ({ outbound }: { outbound: boolean }) => {
      if (outbound) sent = true;
    });
    station.handle(
      atOnce(() => {
        queueMicrotask(() => (sentBeforeMicrotask = sent));
        return { currentTime: '2026-01-01T00:00:00Z' };
      }),
    );
    await expect(client.call('Heartbeat', {})).resolves.toEqual({ currentTime: '2026-01-01T00:00:00Z' });
    expect(sentBeforeMicrotask).toBe(true);
  });

  it('an unmarked handler still takes the published path: its answer goes after its microtasks', async () => {
    let sentBeforeMicrotask: boolean | undefined;
    let sent = false;
    station.on('response', ({ outbound }: { outbound: boolean }) => {
      if (outbound) sent = true;
    });
    station.handle(() => {
      queueMicrotask(() => (sentBeforeMicrotask = sent));
      return Promise.resolve({ currentTime: '2026-01-01T00:00:00Z' });
    });
    await expect(client.call('Heartbeat', {})).resolves.toEqual({ currentTime: '2026-01-01T00:00:00Z' });
    expect(sentBeforeMicrotask).toBe(false);
  });

  it('a thrown RPC error goes back as that CALLERROR, and is told as a callError', async () => {
    const told = new Promise<{ method: string }>((resolve) => station.once('callError', resolve));
    station.handle(
      atOnce(() => {
        throw createRPCError('SecurityError', 'not while Pending');
      }),
    );
    await expect(client.call('Heartbeat', {})).rejects.toMatchObject({ rpcErrorCode: 'SecurityError', message: 'not while Pending' });
    await expect(told).resolves.toMatchObject({ method: 'Heartbeat' });
  });

  it('strict mode: an invalid request never reaches the handler, an invalid answer goes back as InternalError', async () => {
    const calls: unknown[] = [];
    station.handle(
      atOnce(({ method, params }) => {
        calls.push(params);
        return method === 'Heartbeat' ? { currentTime: 'not a date' } : { currentTime: '2026-01-01T00:00:00Z' };
      }),
    );
    // The client is strict too: send the bad request raw.
    const raw = (client as unknown as { _ws: WebSocket })._ws;
    const answer = new Promise<unknown>((resolve) => raw.once('message', (data) => resolve(JSON.parse(String(data)))));
    raw.send(JSON.stringify([2, 'bad-1', 'MeterValues', { evseId: 1 }])); // meterValue missing
    await expect(answer).resolves.toEqual([4, 'bad-1', 'OccurenceConstraintViolation', expect.any(String), expect.anything()]);
    expect(calls).toEqual([]);
    await expect(client.call('Heartbeat', {})).rejects.toMatchObject({ rpcErrorCode: 'InternalError' });
    expect(calls).toEqual([{}]);
  });

  it('a returned promise is awaited: its value is the answer, its rejection the CALLERROR', async () => {
    station.handle(
      atOnce(({ method }) =>
        method === 'Heartbeat'
          ? new Promise((resolve) => setImmediate(() => resolve({ currentTime: '2026-01-01T00:00:00Z' })))
          : Promise.reject(createRPCError('GenericError', 'the CSMS is unreachable')),
      ),
    );
    await expect(client.call('Heartbeat', {})).resolves.toEqual({ currentTime: '2026-01-01T00:00:00Z' });
    await expect(client.call('ClearCache', {})).rejects.toMatchObject({ rpcErrorCode: 'GenericError', message: 'the CSMS is unreachable' });
  });

  it('a message id whose promise still waits is refused, not answered twice', async () => {
    let release: (value: object) => void = () => undefined;
    station.handle(
      atOnce(({ method }) =>
        method === 'ClearCache' ? new Promise<object>((resolve) => (release = resolve)) : { currentTime: '2026-01-01T00:00:00Z' },
      ),
    );
    const raw = (client as unknown as { _ws: WebSocket })._ws;
    const frames: unknown[] = [];
    raw.on('message', (data) => frames.push(JSON.parse(String(data))));
    raw.send(JSON.stringify([2, 'same-id', 'ClearCache', {}]));
    raw.send(JSON.stringify([2, 'same-id', 'Heartbeat', {}]));
    await until(() => frames.length >= 1);
    expect(frames).toEqual([[4, 'same-id', 'RpcFrameworkError', expect.stringContaining('Already processing'), expect.anything()]]);
    release({ status: 'Accepted' });
    await until(() => frames.length >= 2);
    expect(frames[1]).toEqual([3, 'same-id', { status: 'Accepted' }]);
    // Answered, the id is free again.
    raw.send(JSON.stringify([2, 'same-id', 'Heartbeat', {}]));
    await until(() => frames.length >= 3);
    expect(frames[2]).toEqual([3, 'same-id', { currentTime: '2026-01-01T00:00:00Z' }]);
  });

  it('a promise that settles after the connection closed sends nothing and throws nothing', async () => {
    let release: (value: object) => void = () => undefined;
    const asked = new Promise<void>((resolve) =>
      station.handle(
        atOnce(() => {
          resolve();
          return new Promise<object>((settle) => (release = settle));
        }),
      ),
    );
    void client.call('Heartbeat', {}).catch(() => undefined);
    await asked;
    const closed = new Promise((resolve) => station.once('close', resolve));
    await client.close({ force: true });
    await closed;
    const sent: unknown[] = [];
    station.on('message', ({ outbound }: { outbound: boolean }) => outbound && sent.push(outbound));
    release({ currentTime: '2026-01-01T00:00:00Z' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([]);
  });
});

describe('ocpp-rpc as patched by flexbridge: the strict-mode validator', () => {
  it('looks a schema up once and keeps its verdicts, call after call', () => {
    const validator = createValidator('ocpp2.0.1', schemas);
    const ajv = Reflect.get(validator, '_ajv') as { getSchema(id: string): unknown };
    const getSchema = jest.spyOn(ajv, 'getSchema');
    for (let i = 0; i < 3; i++) {
      expect(validator.validate('urn:Heartbeat.conf', { currentTime: '2026-01-01T00:00:00Z' })).toBe(true);
      expect(() => validator.validate('urn:Heartbeat.conf', { currentTime: 7 })).toThrow(RPCError);
    }
    expect(getSchema).toHaveBeenCalledTimes(1);
  });

  it('a schema it does not have is still a ProtocolError each time (nothing missing is kept)', () => {
    const validator = createValidator('ocpp2.0.1', schemas);
    for (let i = 0; i < 2; i++) {
      try {
        validator.validate('urn:NoSuch.req', {});
        throw new Error('validated against a schema that does not exist');
      } catch (error) {
        expect(error).toBeInstanceOf(RPCError);
        expect((error as RPCError).rpcErrorCode).toBe('ProtocolError');
      }
    }
  });
});
