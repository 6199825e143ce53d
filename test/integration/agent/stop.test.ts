// The stop order: stop accepting, stop sending, close the sockets, flush the store — so a station that never
// answers cannot hold a graceful stop (before, core waited for its in-flight SetChargingProfile: up to a minute).
import path from 'node:path';
import { startAgent, type Agent } from '../../../src/agent';
import { parseConfig } from '../../../src/config/load';
import { silentLogger } from '../../../src/observability/log';
import { tempDir } from '../../helpers/processes';
import { boot, connectStation, eventually, PASSWORD, type FakeStation } from '../ocpp/harness';

describe('agent stop — bounded, whatever the stations do', () => {
  const { dir, cleanup } = tempDir('flexbridge-stop-');
  let agent: Agent | undefined;
  let station: FakeStation | undefined;
  afterAll(async () => {
    await station?.client.close({ force: true });
    cleanup();
  });

  test('a station that never answers its SetChargingProfile does not hold the stop; the store is flushed and closed', async () => {
    agent = await startAgent(
      parseConfig(
        {
          http: { host: '127.0.0.1', port: 0, shutdownTimeoutMs: 5000 },
          store: { path: path.join(dir, 'flexbridge.db') },
          // A call timeout far beyond the test's own: a stop that waited for the station would time the test out.
          ocpp: { host: '127.0.0.1', port: 0, callTimeoutMs: 120_000 },
          groups: [{ id: 'g1', safeLimitA: 32 }],
          stations: [{ id: 'CS-1', groupId: 'g1', password: PASSWORD }],
        },
        'stop test',
      ),
      { logger: silentLogger },
    );
    const silent = await connectStation(`ws://127.0.0.1:${agent.ocppPort}/ocpp`, {
      setChargingProfile: () => new Promise(() => undefined),
    });
    station = silent;
    const closed = new Promise<number>((resolve) => silent.client.once('close', ({ code }: { code: number }) => resolve(code)));
    await boot(silent);
    // Core's standing limit is on its way and will never be answered.
    await eventually(() => silent.profiles.length > 0, 10_000);
    const store = agent.store;
    await agent.stop('test');
    expect(store.isOpen()).toBe(false);
    expect(await closed).toBe(1001);
  }, 20_000);
});
