// rpcCall against a real ocpp-rpc peer on 127.0.0.1: a call still answers, an unanswered one still rejects with a
// TimeoutError (now without a stack), and a call on a closed connection still fails as before.
import type { AddressInfo } from 'node:net';
import { RPCServer, TimeoutError } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { rpcCall } from '../../../src/ocpp/rpc-call';
import { strictClient } from './harness';

describe('rpcCall against a real ocpp-rpc peer', () => {
  let server: RPCServer;
  let client: ReturnType<typeof strictClient>;
  let station: RpcServerClient;
  beforeEach(async () => {
    server = new RPCServer({ protocols: ['ocpp2.0.1'] });
    const connected = new Promise<RpcServerClient>((resolve) => server.on('client', resolve));
    const http = await server.listen(0, '127.0.0.1');
    client = strictClient(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, 'CS-1', ['ocpp2.0.1'], null, {});
    client.handle('Heartbeat', () => Promise.resolve({ currentTime: '2026-01-01T00:00:00Z' }));
    client.handle('ClearCache', () => new Promise<never>(() => undefined));
    await client.connect();
    station = await connected;
  });
  afterEach(async () => {
    await client.close({ force: true });
    await server.close({ force: true });
  });

  it('answers, and a call left unanswered still rejects with a TimeoutError (now without a stack)', async () => {
    await expect(rpcCall(station, 'Heartbeat', {}, 5000)).resolves.toEqual({ currentTime: '2026-01-01T00:00:00Z' });
    const timedOut = await rpcCall(station, 'ClearCache', {}, 50).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect((timedOut as Error).stack).not.toMatch(/\n\s+at /);
  });

  it('a call on a closed connection still rejects', async () => {
    const closed = new Promise((resolve) => station.once('close', resolve));
    await client.close({ force: true });
    await closed;
    await expect(rpcCall(station, 'Heartbeat', {}, 60_000)).rejects.toThrow('Cannot make call while socket not open');
  });
});
