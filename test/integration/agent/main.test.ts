// The real process: starts from a config file, answers /healthz and /readyz, stops cleanly on SIGTERM,
// and refuses a bad configuration with exit code 2 and a message naming the field.
import fs from 'node:fs';
import path from 'node:path';
import axios from 'axios';
import { collectOutput, exited, spawnTs, tempDir, waitForLine } from '../../helpers/processes';

describe('flexbridge process', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  function writeConfig(config: unknown): string {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify(config));
    return file;
  }

  it('starts on its config, is healthy and ready, and stops gracefully on SIGTERM', async () => {
    const storePath = path.join(dir, 'data', 'agent.db');
    const file = writeConfig({
      http: { port: 0 },
      ocpp: { port: 0 },
      store: { path: storePath },
      groups: [{ id: 'demo', safeLimitA: 32 }],
    });
    const child = spawnTs('src/main.ts', ['--config', file]);
    const output = collectOutput(child);
    try {
      const started = JSON.parse(await waitForLine(child, (line) => line.includes('"flexbridge started"'))) as { httpPort: number };
      const base = `http://127.0.0.1:${started.httpPort}`;
      expect((await axios.get(`${base}/healthz`)).data).toEqual({ status: 'ok' });
      expect((await axios.get(`${base}/readyz`)).data).toMatchObject({ status: 'ready', checks: { store: true, http: true } });
      expect(fs.existsSync(storePath)).toBe(true);
      const metrics = await axios.get<string>(`${base}/metrics`);
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      expect(metrics.data).toMatch(/^flexbridge_stations_connected 0$/m);
      expect(metrics.data).toContain('flexbridge_process_nodejs_eventloop_lag_seconds');

      child.kill('SIGTERM');
      expect(await exited(child)).toEqual({ code: 0, signal: null });
      expect(output.stdout()).toContain('"flexbridge stopped"');
      await expect(axios.get(`${base}/healthz`, { timeout: 2000 })).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a SIGTERM during the start-up (or right after the started line) is a clean stop, not a kill by the signal', async () => {
    const file = writeConfig({
      http: { port: 0 },
      ocpp: { port: 0 },
      store: { path: path.join(dir, 'agent.db') },
      groups: [{ id: 'g', safeLimitA: 32 }],
    });
    const child = spawnTs('src/main.ts', ['--config', file]);
    const output = collectOutput(child);
    try {
      // The OCPP endpoint listens before the HTTP one and before "flexbridge started": the agent is mid start-up.
      await waitForLine(child, (line) => line.includes('"OCPP endpoint listening"'));
      child.kill('SIGTERM');
      expect(await exited(child)).toEqual({ code: 0, signal: null });
      expect(output.stdout()).toContain('"flexbridge stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--version prints the version of package.json and exits 0 without reading a config', async () => {
    const manifest: unknown = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));
    const child = spawnTs('src/main.ts', ['--version', '--config', path.join(dir, 'missing.json')]);
    const output = collectOutput(child);
    expect((await exited(child)).code).toBe(0);
    expect(output.stdout().trim()).toBe(String(Reflect.get(Object(manifest), 'version')));
  });

  it('exits with code 2 and names the field, the value and the expectation for a bad config', async () => {
    const file = writeConfig({ http: { port: 'eighty' }, groups: [{ id: 'demo', safeLimitA: 32 }] });
    const child = spawnTs('src/main.ts', ['--config', file]);
    const output = collectOutput(child);
    expect((await exited(child)).code).toBe(2);
    expect(output.stderr()).toContain('http.port: got "eighty", expected number');
  });

  it('takes the config file from FLEXBRIDGE_CONFIG and validates it with --check-config', async () => {
    const file = writeConfig({ groups: [{ id: 'demo', safeLimitA: 32 }] });
    const child = spawnTs('src/main.ts', ['--check-config'], { FLEXBRIDGE_CONFIG: file });
    const output = collectOutput(child);
    expect((await exited(child)).code).toBe(0);
    expect(output.stdout()).toContain(`${file} is valid (1 groups, 0 stations, 0 OSCP peers)`);
  });

  it('--check-config: a TLS file that is missing or not a file is named with its field, exit 2, no stack trace', async () => {
    const file = writeConfig({
      http: { tls: { certFile: '/nonexistent/flexbridge-cert.pem', keyFile: '/' } },
      groups: [{ id: 'demo', safeLimitA: 32 }],
    });
    const child = spawnTs('src/main.ts', ['--check-config', '--config', file]);
    const output = collectOutput(child);
    expect((await exited(child)).code).toBe(2);
    expect(output.stderr()).toContain('http.tls.certFile: /nonexistent/flexbridge-cert.pem: not found');
    expect(output.stderr()).toContain('http.tls.keyFile: /: not a file');
    expect(output.stderr()).not.toMatch(/\n\s+at /);
  });

  it('exits with code 2 on an unknown flag', async () => {
    const child = spawnTs('src/main.ts', ['--no-such-flag']);
    const output = collectOutput(child);
    expect((await exited(child)).code).toBe(2);
    expect(output.stderr()).toContain("unknown option '--no-such-flag'");
  });
});
