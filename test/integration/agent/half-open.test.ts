// Issue #17, "limits": half-open sockets on BOTH of the agent's ports — silent, trickling a header (slowloris), stalled
// before the end of an upgrade's headers, a body that never comes — are closed by the agent itself after the configured
// timeouts (http.headersTimeoutMs / requestTimeoutMs, ocpp.admission.headersTimeoutMs), and whole requests still work.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { startAgent, type Agent } from '../../../src/agent';
import { parseConfig } from '../../../src/config/load';
import { silentLogger } from '../../../src/observability/log';

const PER_KIND = 20;
const PASSWORD = 'half-open-station-password-01';
const BOOTSTRAP = 'half-open-bootstrap-token-0123456789';

/** What the client saw before the socket closed: the bytes the agent sent, and that it was the agent that closed it. */
interface Ending {
  readonly answer: string;
  readonly byAgent: boolean;
}

/** A socket that connects and sends `first` (if any), and a trickle every `trickleMs` — then never closes by itself. */
function halfOpen(port: number, first?: string, trickle?: { text: string; everyMs: number }): Promise<Promise<Ending>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      if (first !== undefined) socket.write(first);
      const timer = trickle && setInterval(() => socket.writable && socket.write(trickle.text), trickle.everyMs);
      let answer = '';
      let byAgent = false;
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      // A FIN or a reset from the other side: this client never ends or destroys the socket itself.
      socket.once('end', () => (byAgent = true));
      socket.once('error', () => (byAgent = true));
      resolve(
        new Promise<Ending>((closed) =>
          socket.once('close', () => {
            if (timer) clearInterval(timer);
            closed({ answer, byAgent });
          }),
        ),
      );
    });
    socket.once('error', reject);
  });
}

const upgradeHead = (identity: string): string =>
  `GET /ocpp/${identity} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp2.0.1\r\n` +
  `Authorization: Basic ${Buffer.from(`${identity}:${PASSWORD}`).toString('base64')}\r\n`;

describe('#17 limits — half-open sockets on both ports of a running agent', () => {
  let agent: Agent;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-half-open-'));
    const config = parseConfig(
      {
        http: { host: '127.0.0.1', port: 0, headersTimeoutMs: 200, requestTimeoutMs: 300 },
        store: { path: path.join(dir, 'agent.db') },
        ocpp: { host: '127.0.0.1', port: 0, admission: { headersTimeoutMs: 200, upgradeTimeoutMs: 300 } },
        oscp: { peers: [{ id: 'cp', bootstrapToken: BOOTSTRAP, heartbeatIntervalS: 0 }] },
        groups: [{ id: 'g1', peerId: 'cp', safeLimitA: 32 }],
        stations: [{ id: 'CS-1', groupId: 'g1', password: PASSWORD }],
      },
      'half-open test',
    );
    agent = await startAgent(config, { logger: silentLogger });
  });
  afterAll(async () => {
    await agent.stop('test done');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const kinds = (head: string): [string, string | undefined, { text: string; everyMs: number } | undefined][] => [
    ['silent (connects, sends nothing)', undefined, undefined],
    ['slowloris (a header byte every 50 ms)', `${head}X-Slow: `, { text: 'a', everyMs: 50 }],
    ['stalled before the blank line that ends the headers', head, undefined],
  ];

  it('OCPP port: every half-open socket is closed by the agent after ocpp.admission.headersTimeoutMs; a station still connects', async () => {
    const endings = await Promise.all(
      kinds(upgradeHead('CS-1')).flatMap(([, first, trickle]) =>
        Array.from({ length: PER_KIND }, () => halfOpen(agent.ocppPort, first, trickle)),
      ),
    );
    const ended = await Promise.all(endings);
    expect(ended.filter((e) => e.byAgent)).toHaveLength(3 * PER_KIND);
    // The OCPP port drops them without an answer (its clientError handler): none was upgraded, none got a byte.
    expect(ended.filter((e) => e.answer !== '')).toEqual([]);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${agent.ocppPort}/ocpp/CS-1`, ['ocpp2.0.1'], {
        headers: { Authorization: `Basic ${Buffer.from(`CS-1:${PASSWORD}`).toString('base64')}` },
      });
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });
    expect(status).toBe(101);
  });

  it('HTTP port: silent, slowloris and stalled headers are cut after http.headersTimeoutMs, a stalled body after requestTimeoutMs (408); /readyz still answers', async () => {
    const head = 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nX-Padding: xxxxxxxxxxxxxxxx\r\n';
    // A request the agent reads the body of (a register with the bootstrap token), whose body never comes.
    const stalledBody =
      'POST /oscp/fp/2.0/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n' +
      `Authorization: Token ${BOOTSTRAP}\r\nX-Request-ID: r-1\r\n\r\n{`;
    const endings = await Promise.all([
      ...kinds(head).flatMap(([, first, trickle]) => Array.from({ length: PER_KIND }, () => halfOpen(agent.httpPort, first, trickle))),
      ...Array.from({ length: PER_KIND }, () => halfOpen(agent.httpPort, stalledBody)),
    ]);
    const ended = await Promise.all(endings);
    expect(ended.filter((e) => e.byAgent)).toHaveLength(4 * PER_KIND);
    // Each is told why: 408, from Node's header timeout (silent, slowloris, stalled) or request timeout (the body).
    expect(ended.filter((e) => e.answer.startsWith('HTTP/1.1 408 Request Timeout'))).toHaveLength(4 * PER_KIND);
    const ready = await fetch(`http://127.0.0.1:${agent.httpPort}/readyz`);
    expect(ready.status).toBe(200);
  });
});
