// A raw `ws` client standing in for a station (or a Local Controller's upstream leg) in the CSMS simulator tests:
// sends CALLs and waits for their answers by message id, waits for the simulator's CALLs and answers them.
import WebSocket from 'ws';

export type Frame = unknown[];

export interface OpenOptions {
  protocols?: string[];
  /** Basic auth; the user defaults to the identity, as OCPP wants. */
  password?: string;
  user?: string;
}

function authHeaders(identity: string, options: OpenOptions): Record<string, string> {
  if (options.password === undefined) return {};
  return { Authorization: `Basic ${Buffer.from(`${options.user ?? identity}:${options.password}`).toString('base64')}` };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class StationSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();
  private readonly taken = new Set<Frame>();
  private nextId = 1;

  private constructor(
    readonly identity: string,
    readonly socket: WebSocket,
  ) {
    socket.on('message', (data: Buffer) => {
      const value: unknown = JSON.parse(data.toString('utf8'));
      this.frames.push(Array.isArray(value) ? value : [value]);
      for (const waiter of [...this.waiters]) waiter();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
  }

  /** Opens the socket; rejects with the HTTP status (as `status`) when the upgrade is refused. */
  static open(baseUrl: string, identity: string, options: OpenOptions = {}): Promise<StationSocket> {
    const socket = new WebSocket(`${baseUrl}/${encodeURIComponent(identity)}`, options.protocols ?? ['ocpp2.0.1'], {
      headers: authHeaders(identity, options),
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new StationSocket(identity, socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(
          Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode, headers: response.headers }),
        );
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  /** The HTTP status that refused the upgrade (throws if the socket opened instead). */
  static async refusal(
    baseUrl: string,
    identity: string,
    options: OpenOptions = {},
  ): Promise<{ status: number; headers: Record<string, unknown> }> {
    try {
      const station = await StationSocket.open(baseUrl, identity, options);
      station.socket.terminate();
    } catch (error) {
      if (error instanceof Error && 'status' in error && typeof error.status === 'number') {
        return { status: error.status, headers: 'headers' in error && typeof error.headers === 'object' ? { ...error.headers } : {} };
      }
      throw error;
    }
    throw new Error(`the upgrade of ${identity} was accepted`);
  }

  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Sends a CALL and resolves with the CALLRESULT or CALLERROR carrying its id. */
  async call(action: string, payload: unknown, messageId = `${this.identity}-${this.nextId++}`): Promise<Frame> {
    this.socket.send(JSON.stringify([2, messageId, action, payload]));
    return this.waitFor((frame) => (frame[0] === 3 || frame[0] === 4) && frame[1] === messageId, `answer to ${action}`);
  }

  /** The next CALL from the simulator not yet taken by nextCall (optionally of one action). */
  async nextCall(action?: string, timeoutMs = 3000): Promise<{ messageId: string; action: string; payload: Record<string, unknown> }> {
    const frame = await this.waitFor(
      (f) => f[0] === 2 && !this.taken.has(f) && (action === undefined || f[2] === action),
      `a CALL ${action ?? ''} from the CSMS`,
      timeoutMs,
    );
    this.taken.add(frame);
    return { messageId: String(frame[1]), action: String(frame[2]), payload: isRecord(frame[3]) ? frame[3] : {} };
  }

  answer(messageId: string, payload: unknown): void {
    this.socket.send(JSON.stringify([3, messageId, payload]));
  }

  answerError(messageId: string, code: string, description = ''): void {
    this.socket.send(JSON.stringify([4, messageId, code, description, {}]));
  }

  waitFor(predicate: (frame: Frame) => boolean, what: string, timeoutMs = 3000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.frames.find(predicate);
        if (found === undefined) return false;
        this.waiters.delete(listener);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        this.waiters.delete(listener);
        reject(new Error(`${this.identity}: timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(listener);
      check();
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000);
    await this.closed;
  }
}
