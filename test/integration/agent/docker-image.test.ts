// What the container image runs, without a container engine: its default configuration (config/docker.json) refuses
// unknown stations and an API without credentials, and its health probe (src/healthcheck.ts) reaches the agent where
// the configuration says it listens — TLS, and a port given only in the file or the environment, included.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load';
import { healthUrl } from '../../../src/healthcheck';
import { startAgentProcess, type AgentProcess } from '../../helpers/agent-process';
import { createTestPki } from '../../helpers/certificates';
import { exited, spawnTs, tempDir } from '../../helpers/processes';

const DOCKER_CONFIG = path.join(__dirname, '../../../config/docker.json');
const TOKEN = 'docker-test-api-token-0123456789';

async function healthcheck(env: NodeJS.ProcessEnv): Promise<number | null> {
  const child = spawnTs('src/healthcheck.ts', [], env);
  return (await exited(child)).code;
}

describe('the container image', () => {
  test('its default configuration: no auto-registration, the API behind a token from the environment', () => {
    const config = loadConfig(DOCKER_CONFIG, { FLEXBRIDGE_API_TOKEN: TOKEN });
    expect(config.ocpp.autoRegisterGroup).toBeUndefined();
    expect(config.api.tokens).toHaveLength(1);
    expect(config.http.host).toBe('0.0.0.0');
    expect(() => loadConfig(DOCKER_CONFIG, {})).toThrow(/FLEXBRIDGE_API_TOKEN/);
  });

  test('the probe URL: a wildcard address is reached on loopback, TLS by https', () => {
    expect(healthUrl({ host: '0.0.0.0', port: 8080 })).toBe('http://127.0.0.1:8080/healthz');
    expect(healthUrl({ host: '::', port: 8443, tls: {} })).toBe('https://127.0.0.1:8443/healthz');
    expect(healthUrl({ host: '::1', port: 8080 })).toBe('http://[::1]:8080/healthz');
  });

  describe('the health probe against a running agent with TLS on its HTTP port', () => {
    const { dir, cleanup } = tempDir('flexbridge-docker-');
    let agent: AgentProcess | undefined;
    let configFile: string;
    let port: number;
    beforeAll(async () => {
      const files = createTestPki().writeServerFiles(dir);
      const config = JSON.parse(fs.readFileSync(DOCKER_CONFIG, 'utf8')) as Record<string, Record<string, unknown>>;
      const run = {
        ...config,
        http: { host: '127.0.0.1', port: 0, tls: { certFile: files.certFile, keyFile: files.keyFile } },
        ocpp: { ...config.ocpp, host: '127.0.0.1', port: 0 },
        store: { path: path.join(dir, 'agent.db') },
      };
      agent = await startAgentProcess(dir, run, { FLEXBRIDGE_API_TOKEN: TOKEN });
      port = Number(new URL(agent.httpUrl).port);
      configFile = path.join(dir, 'config.json');
    }, 60_000);
    afterAll(async () => {
      await agent?.stop();
      cleanup();
    });

    test('healthy while it runs (the port from the environment, as a container would set it); unhealthy once it stopped', async () => {
      const env = { FLEXBRIDGE_CONFIG: configFile, FLEXBRIDGE_HTTP_PORT: String(port), FLEXBRIDGE_API_TOKEN: TOKEN };
      expect(await healthcheck(env)).toBe(0);
      await agent?.stop();
      agent = undefined;
      expect(await healthcheck(env)).toBe(1);
    }, 60_000);
  });
});
