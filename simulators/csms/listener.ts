// The simulator's HTTP listener: binds host/port, hands every upgrade on, and can stop listening and listen again
// on the same port — goDown with 'refuse' makes stations get "connection refused", as with a CSMS process gone.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

export class Listener {
  private server: Server | undefined;
  private boundPort: number;

  constructor(
    private readonly host: string,
    port: number,
    private readonly onUpgrade: UpgradeHandler,
  ) {
    this.boundPort = port;
  }

  /** The port first bound (the free one chosen for port 0), kept across goDown/comeBack. */
  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  async listen(): Promise<void> {
    if (this.server !== undefined) return;
    const server = createServer((_request, response) => {
      // Plain HTTP is not an OCPP endpoint; 426 tells a curious human what is expected.
      response.writeHead(426, { Upgrade: 'websocket', 'Content-Type': 'text/plain' }).end('OCPP-J: open a WebSocket\n');
    });
    server.on('upgrade', this.onUpgrade);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const address = server.address();
    if (address !== null && typeof address !== 'string') this.boundPort = address.port;
  }

  /**
   * Stops accepting at once; resolves when every connection of this server has ended (the WebSockets are closed
   * by their owner meanwhile — upgraded sockets are not ours to end).
   */
  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
