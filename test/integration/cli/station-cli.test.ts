// `flexbridge station add|list|show|remove|url` (#16 item 4): through the operator API of a real agent (HTTP on
// 127.0.0.1:0, a real station then connecting with the generated password) and by editing a real config file;
// what it prints for the charger (URL, identity, password, profile, 1.6 AuthorizationKey, Local Controller upstream).
import fs from 'node:fs';
import path from 'node:path';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { runStationCli } from '../../../src/cli/station';
import { main } from '../../../src/main';
import { loadConfig } from '../../../src/config/load';
import { ADMIN_TOKEN, READ_TOKEN, startRig, type Rig } from '../api/harness';
import { tempDir } from '../../helpers/processes';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runStationCli(argv, { env, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

function upgrade(url: string, user: string, password: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, ['ocpp2.0.1'], {
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
    });
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(-1));
  });
}

const Added = z.object({
  created: z.boolean(),
  station: z.object({ id: z.string(), groupId: z.string(), hasPassword: z.boolean() }),
  charger: z.object({
    identity: z.string(),
    csmsUrl: z.string(),
    stationUrl: z.string(),
    securityProfile: z.number(),
    password: z.string(),
    authorizationKeyHex: z.string(),
    deviceModel: z.record(z.string(), z.string()),
  }),
});

describe('flexbridge station — through the operator API', () => {
  let rig: Rig;
  let api: string;
  beforeAll(async () => {
    rig = await startRig({ autoRegister: false });
    api = `http://127.0.0.1:${rig.agent.httpPort}`;
  });
  afterAll(async () => {
    await rig.close();
  });

  test('add generates a 32-character password, prints the charger settings, and the charger connects with them', async () => {
    const csmsUrl = `ws://127.0.0.1:${rig.agent.ocppPort}/ocpp`;
    const added = await run(['add', 'CLI-0001', '--group', 'g1', '--api', api, '--token', ADMIN_TOKEN, '--csms-url', csmsUrl, '--json']);
    expect(added).toMatchObject({ code: 0 });
    const answer = Added.parse(JSON.parse(added.out));
    expect(answer).toMatchObject({ created: true, station: { id: 'CLI-0001', groupId: 'g1', hasPassword: true } });
    expect(answer.charger.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(answer.charger.authorizationKeyHex).toBe(Buffer.from(answer.charger.password).toString('hex'));
    expect(answer.charger.stationUrl).toBe(`${csmsUrl}/CLI-0001`);
    expect(answer.charger.deviceModel['SecurityCtrlr.BasicAuthPassword']).toBe(answer.charger.password);
    expect(await upgrade(answer.charger.stationUrl, 'CLI-0001', answer.charger.password)).toBe(101);
    expect(await upgrade(answer.charger.stationUrl, 'CLI-0001', 'not-the-password-at-all')).toBe(401);
  });

  test('list, show (no password: stored hashed), a given password, remove; env for URL and token', async () => {
    const env = { FLEXBRIDGE_API_URL: api, FLEXBRIDGE_API_TOKEN: ADMIN_TOKEN };
    const given = await run(['add', 'CLI-0002', '-g', 'g2', '-p', 'a-password-given-by-me-01', '--evse-count', '2'], env);
    expect(given.code).toBe(0);
    expect(given.out).toMatch(/^added: CLI-0002 {2}group g2 {2}2 EVSE/);
    expect(given.out).toContain('Password          a-password-given-by-me-01');
    expect(given.out).toContain('Security profile  1');
    const list = await run(['list', '--json'], env);
    expect(
      z
        .array(z.object({ id: z.string() }))
        .parse(JSON.parse(list.out))
        .map((s) => s.id),
    ).toEqual(['CLI-0001', 'CLI-0002']);
    expect((await run(['list', '--group', 'g2'], env)).out).toMatch(/^CLI-0002 .* offline\n$/);
    const show = await run(['show', 'CLI-0002'], env);
    expect(show.out).toContain('Identity          CLI-0002');
    expect(show.out).not.toContain('a-password-given-by-me-01');
    expect(show.out).toContain('stored only as a hash');
    expect((await run(['remove', 'CLI-0002'], env)).code).toBe(0);
    const gone = await run(['show', 'CLI-0002'], env);
    // (A line may come first saying the default configuration was not used for the charger URL: its secrets are unset.)
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/flexbridge station: no station "CLI-0002"\n$/);
  });

  test('a read token, a short password, a missing token, an unknown group: a message and an exit code, no stack trace', async () => {
    const readOnly = await run(['add', 'CLI-0003', '-g', 'g1', '--api', api, '--token', READ_TOKEN]);
    expect(readOnly.code).toBe(1);
    expect(readOnly.err).toContain('admin role');
    expect((await run(['add', 'CLI-0003', '-g', 'g1', '-p', 'short', '--api', api, '--token', ADMIN_TOKEN])).code).toBe(2);
    expect((await run(['add', 'CLI-0003', '-g', 'g1', '--api', api])).err).toContain('--api needs --token');
    const unknown = await run(['add', 'CLI-0003', '-g', 'nope', '--api', api, '--token', ADMIN_TOKEN]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no group "nope"');
    expect(unknown.err).not.toMatch(/\n\s+at /);
    const unreachable = await run(['list', '--api', 'http://127.0.0.1:1', '--token', ADMIN_TOKEN]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toContain('cannot reach the operator API');
  });
});

describe('flexbridge station — editing the config file', () => {
  const { dir, cleanup } = tempDir('flexbridge-cli-');
  const file = path.join(dir, 'flexbridge.json');
  afterAll(cleanup);
  beforeEach(() => {
    fs.writeFileSync(
      file,
      JSON.stringify({
        ocpp: { host: '0.0.0.0', port: 9443, securityProfile: 2, tls: { certFile: 'cert.pem', keyFile: 'key.pem' } },
        groups: [{ id: 'depot', safeLimitA: 40 }],
        stations: [{ id: 'OLD-1', groupId: 'depot', password: 'an-old-station-password' }],
      }),
    );
  });

  test('add writes the station with its password; the file still loads; wss:// and profile 2 from the config', async () => {
    const added = await run(['add', 'NEW-1', '--group', 'depot', '--config', file, '--evse-max-current-a', '16']);
    expect(added.code).toBe(0);
    expect(added.out).toContain('CSMS URL          wss://<this host>:9443/ocpp');
    expect(added.out).toContain('Security profile  2');
    expect(added.out).toContain('put the address the charger reaches it by in place of <this host>');
    const config = loadConfig(file, {});
    expect(config.stations.map((s) => [s.id, s.evseMaxCurrentA])).toEqual([
      ['OLD-1', 32],
      ['NEW-1', 16],
    ]);
    expect(config.stations[1]?.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(added.out).toContain(`Password          ${config.stations[1]?.password ?? '?'}`);
  });

  test('a new station without a group, or one the config refuses, leaves the file as it was (exit 2)', async () => {
    const before = fs.readFileSync(file, 'utf8');
    expect((await run(['add', 'NEW-2', '--config', file])).code).toBe(2);
    const refused = await run(['add', 'NEW-2', '-g', 'elsewhere', '--config', file]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('not changed');
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('remove; and `url` through main() with the Local Controller upstream setting', async () => {
    expect((await run(['remove', 'OLD-1', '--config', file])).code).toBe(0);
    expect(loadConfig(file, {}).stations).toEqual([]);
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    raw.ocpp = { ...raw.ocpp, upstream: { url: 'wss://csms.cpo.example/ocpp', securityProfile: 2 } };
    fs.writeFileSync(file, JSON.stringify(raw));
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await main(['node', 'flexbridge', 'station', 'url', 'LC-1', '--config', file], {})).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out).toContain('Local Controller: the CSMS sees it at wss://csms.cpo.example/ocpp/LC-1');
    expect(out).toContain('same password');
  });
});
