// A00 Basic auth as fleets get it wrong (a third-party fleet's shared template: one user name for every station):
// refused with 401, and the log says exactly why — user name vs identity — without the password, unredacted prose.
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { WebSocket } from 'ws';
import { OcppConfig as OcppConfigSchema } from '../../../src/config/sections';
import { createLogger } from '../../../src/observability/log';
import { startCsms, type Csms } from '../../../src/ocpp/csms';
import { openSqliteStore } from '../../../src/store/sqlite';
import type { Store } from '../../../src/core/ports';
import { tempDir } from '../../helpers/processes';
import { PASSWORD } from './harness';

function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['ocpp2.0.1'], { headers });
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('error', reject);
  });
}

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('A00 — Basic-auth refusals say why', () => {
  const { dir, cleanup } = tempDir('flexbridge-basic-');
  const lines: Record<string, unknown>[] = [];
  let store: Store;
  let csms: Csms;
  let url: string;
  beforeAll(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) =>
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      ),
    );
    store = openSqliteStore(path.join(dir, 'flexbridge.db'));
    csms = await startCsms({
      config: { ...OcppConfigSchema.parse({}), host: '127.0.0.1', port: 0 },
      stations: [{ id: 'CS-2', groupId: 'g1', password: PASSWORD, evseMaxCurrentA: 32, evseCount: 1, phases: 3 }],
      store,
      inbound: {
        onStationUpdated: () => undefined,
        onStationConnection: () => undefined,
        onStationBooted: () => undefined,
        onStationUncontrollable: () => undefined,
        onSession: () => undefined,
        onSessionRestored: () => undefined,
      },
      logger: createLogger({ level: 'info', stream }),
    });
    url = `ws://127.0.0.1:${csms.port}/ocpp/CS-2`;
  });
  afterAll(async () => {
    await csms.stop();
    store.close();
    cleanup();
  });

  const refusal = (): Record<string, unknown> | undefined => lines.filter((l) => l.message === 'station connection refused').pop();

  test.each([
    ['a shared template user name', basic('fleet', PASSWORD), /Basic-auth user name "fleet" is not the station identity "CS-2"/],
    ['no Authorization header', undefined, /no Authorization header/],
    ['a Bearer token instead of Basic', 'Bearer abcdefgh12345678', /scheme "Bearer" is not Basic/],
    ['a wrong password', basic('CS-2', 'not-the-password-000'), /wrong password/],
  ])('%s → 401 and the exact reason in the log', async (_what, authorization, reason) => {
    const status = await upgradeStatus(url, authorization ? { Authorization: authorization } : {});
    expect(status).toBe(401);
    const line = refusal();
    expect(String(line?.reason)).toMatch(reason);
    expect(String(line?.reason)).toContain('CS-2');
    expect(JSON.stringify(lines)).not.toContain(PASSWORD);
    expect(JSON.stringify(lines)).not.toContain('[redacted] with');
  });

  test('the right identity and password still get in', async () => {
    expect(await upgradeStatus(url, { Authorization: basic('CS-2', PASSWORD) })).toBe(101);
  });
});
