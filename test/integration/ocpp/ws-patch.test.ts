// flexbridge's patch of ws 8.23.0 (patches/ws+8.23.0.patch, applied by `npm ci` through patch-package), against a
// real peer on 127.0.0.1: a receiver keeps one fragments array for its whole life (a new one per message outlived
// the young generation and kept the stream's read buffers alive until a full collection), and a small text frame
// leaves as one buffer in one socket write, masked or not; what arrives is what was sent, fragmented, binary,
// multi-byte, empty or larger than the merge limit.
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

/** What the patch touches, read through the instance (ws keeps them private). */
interface WsInternals {
  _receiver: { _fragments: unknown[] };
  _socket: Socket;
}
const internals = (ws: WebSocket): WsInternals => ws as unknown as WsInternals;

const MERGE_MAX_BYTES = 16 * 1024;

describe('ws as patched by flexbridge', () => {
  let server: WebSocketServer;
  let client: WebSocket;
  let peer: WebSocket;
  beforeEach(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const accepted = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
    client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await new Promise((resolve) => client.once('open', resolve));
    peer = await accepted;
  });
  afterEach(async () => {
    client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Messages `to` receives while `send` runs, as text (binary ones marked). */
  const received = async (to: WebSocket, count: number, send: () => void): Promise<string[]> => {
    const got: string[] = [];
    const done = new Promise<void>((resolve) =>
      to.on('message', (data: Buffer, isBinary) => {
        got.push(isBinary ? `binary:${data.toString('hex')}` : data.toString('utf8'));
        if (got.length === count) resolve();
      }),
    );
    send();
    await done;
    return got;
  };

  /** Socket writes and corks of `ws` while `send` runs (spied on, still carried out). */
  const writesOf = async (ws: WebSocket, send: () => void): Promise<{ writes: number; corks: number }> => {
    const socket = internals(ws)._socket;
    const write = jest.spyOn(socket, 'write');
    const cork = jest.spyOn(socket, 'cork');
    try {
      send();
      await new Promise((resolve) => setImmediate(resolve));
      return { writes: write.mock.calls.length, corks: cork.mock.calls.length };
    } finally {
      write.mockRestore();
      cork.mockRestore();
    }
  };

  it('is in place (a clean install applies it)', () => {
    // ws's exports map hides lib/: found beside its entry point.
    const lib = path.join(path.dirname(require.resolve('ws')), 'lib');
    expect(fs.readFileSync(path.join(lib, 'receiver.js'), 'utf8')).toContain('flexbridge patch');
    expect(fs.readFileSync(path.join(lib, 'sender.js'), 'utf8')).toContain('flexbridge patch');
  });

  it('keeps one fragments array per receiver, empty between messages', async () => {
    const fragments = internals(peer)._receiver._fragments;
    const sent = ['one', 'two', 'é'.repeat(300)];
    const got = await received(peer, sent.length, () => sent.forEach((text) => client.send(text)));
    expect(got).toEqual(sent);
    expect(internals(peer)._receiver._fragments).toBe(fragments);
    expect(fragments).toHaveLength(0);
  });

  it('still assembles fragmented, binary and empty messages', async () => {
    const got = await received(peer, 4, () => {
      client.send('frag', { fin: false });
      client.send('ment', { fin: false });
      client.send('ed', { fin: true });
      client.send(Buffer.from([1, 2, 3]), { binary: true });
      client.send('');
      client.send('after');
    });
    expect(got).toEqual(['fragmented', 'binary:010203', '', 'after']);
    expect(internals(peer)._receiver._fragments).toHaveLength(0);
  });

  it('hands out a new array when the fragments themselves are the message', async () => {
    peer.binaryType = 'fragments';
    const arrays: unknown[] = [];
    const done = new Promise<void>((resolve) =>
      peer.on('message', (data: unknown) => {
        arrays.push(data);
        if (arrays.length === 2) resolve();
      }),
    );
    client.send(Buffer.from([1]), { fin: false, binary: true });
    client.send(Buffer.from([2]), { fin: true, binary: true });
    client.send(Buffer.from([3]), { binary: true });
    await done;
    expect(arrays[0]).not.toBe(arrays[1]);
    expect((arrays[0] as Buffer[]).map((b) => [...b])).toEqual([[1], [2]]);
    expect((arrays[1] as Buffer[]).map((b) => [...b])).toEqual([[3]]);
  });

  it('sends a small text frame in one write, from the server (unmasked) and from the client (masked)', async () => {
    expect(await writesOf(peer, () => peer.send('[3,"1",{}]'))).toEqual({ writes: 1, corks: 0 });
    expect(await writesOf(client, () => client.send('[2,"1","Heartbeat",{}]'))).toEqual({ writes: 1, corks: 0 });
  });

  it('still sends a text frame over the merge limit as header and payload', async () => {
    expect(await writesOf(peer, () => peer.send('x'.repeat(MERGE_MAX_BYTES + 1)))).toEqual({ writes: 2, corks: 1 });
  });

  it('delivers merged frames intact: every length class, multi-byte text, both directions', async () => {
    const sizes = [0, 1, 125, 126, 127, 65_535 >> 2, MERGE_MAX_BYTES, MERGE_MAX_BYTES + 1, 70_000];
    const texts = sizes.map((size, i) => (i % 2 ? 'é€'.repeat(Math.ceil(size / 5)) : 'a'.repeat(size)));
    expect(await received(client, texts.length, () => texts.forEach((text) => peer.send(text)))).toEqual(texts);
    expect(await received(peer, texts.length, () => texts.forEach((text) => client.send(text)))).toEqual(texts);
  });
});
