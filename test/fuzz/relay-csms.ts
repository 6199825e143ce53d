// The CPO's CSMS as the relay fuzzer plays it: a raw ws server on 127.0.0.1:0 that picks 2.0.1 or 1.6 as offered,
// sends any frame down a station's twin and records every frame the agent sends back (answers, strays).
import { WebSocketServer, type WebSocket } from 'ws';

export type Json = unknown;

/** The CSMS end of one station's twin: raw frames out, every frame in recorded and checked. */
export class FakeCsmsLink {
  private readonly waiting = new Map<string, (frame: Json[] | undefined) => void>();
  private readonly sent = new Set<string>();
  /** Frames from the agent that answer nothing we sent, or answer it twice, or are not OCPP-J. */
  readonly strays: string[] = [];

  /** The close code the agent's side sent, once closed. */
  closeCode: number | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => this.onFrame(isBinary ? '<binary>' : data.toString()));
    ws.on('close', (code) => {
      this.closeCode = code;
      // A closed twin answers nothing more: whoever waits learns it now.
      for (const waiter of this.waiting.values()) waiter(undefined);
      this.waiting.clear();
    });
  }

  send(frame: string | Buffer, binary = false): void {
    this.ws.send(frame, { binary });
  }

  /** Sends a CALL and resolves with the agent's answer frame, or undefined when none came within `waitMs`. */
  call(id: string, text: string | Buffer, binary = false, waitMs = 15_000): Promise<Json[] | undefined> {
    this.sent.add(id);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(undefined);
      }, waitMs);
      this.waiting.set(id, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
      this.send(text, binary);
    });
  }

  private onFrame(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.strays.push(text.slice(0, 200));
      return;
    }
    if (!Array.isArray(frame) || typeof frame[1] !== 'string') {
      this.strays.push(text.slice(0, 200));
      return;
    }
    const id = frame[1];
    if (frame[0] === 2) return this.answerStationCall(id, String(frame[2]));
    const waiter = this.waiting.get(id);
    if (!waiter && !this.sent.has(id)) this.strays.push(`answer to an id never sent: ${text.slice(0, 200)}`);
    else if (!waiter) this.strays.push(`second or late answer: ${text.slice(0, 200)}`);
    this.waiting.delete(id);
    this.sent.delete(id);
    waiter?.(frame);
  }

  /** The CSMS's side of the station's own traffic: Accepted, with the interval a real CSMS gives. */
  private answerStationCall(id: string, action: string): void {
    const currentTime = new Date().toISOString();
    const payload =
      action === 'BootNotification'
        ? { currentTime, interval: 300, status: 'Accepted' }
        : action === 'Heartbeat'
          ? { currentTime }
          : action === 'Authorize'
            ? { idTagInfo: { status: 'Accepted' }, idTokenInfo: { status: 'Accepted' } }
            : {};
    this.ws.send(JSON.stringify([3, id, payload]));
  }
}

/** A raw ws CSMS on 127.0.0.1:0 picking 2.0.1 or 1.6 as offered; one link per station identity. */
export interface FakeCsms {
  readonly url: string;
  /** The open twin of a station, waiting for it if it is not (re)connected yet. */
  link(identity: string): Promise<FakeCsmsLink>;
  /** Called on every new twin in the tick it opens (a CSMS that speaks first, as many do right after a connect). */
  greet: ((link: FakeCsmsLink) => void) | undefined;
  close(): Promise<void>;
}

export async function startFakeCsms(): Promise<FakeCsms> {
  const links = new Map<string, FakeCsmsLink>();
  const arrivals: ((identity: string) => void)[] = [];
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: true,
    handleProtocols: (offered) => (offered.has('ocpp2.0.1') ? 'ocpp2.0.1' : offered.has('ocpp1.6') ? 'ocpp1.6' : false),
  });
  server.on('connection', (ws, request) => {
    const identity = decodeURIComponent((request.url ?? '').split('/').pop() ?? '');
    const link = new FakeCsmsLink(ws);
    links.set(identity, link);
    csms.greet?.(link);
    for (const arrived of arrivals.splice(0)) arrived(identity);
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const link = async (identity: string): Promise<FakeCsmsLink> => {
    for (;;) {
      const current = links.get(identity);
      if (current && current.ws.readyState === current.ws.OPEN) return current;
      await new Promise<void>((resolve) => arrivals.push(() => resolve()));
    }
  };
  const csms: FakeCsms = {
    url: `ws://127.0.0.1:${port}/csms`,
    link,
    greet: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of server.clients) ws.terminate();
        server.close(() => resolve());
      }),
  };
  return csms;
}
