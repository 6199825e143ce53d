// Configuration loading: every bad value is refused with its field, its value and what was expected.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../../src/config/load';
import { tempDir } from '../../helpers/processes';

const minimal = { groups: [{ id: 'g1', safeLimitA: 32 }] };

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseConfig(raw, 'test.json');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config schema', () => {
  it('fills every default from a minimal file', () => {
    const config = parseConfig(minimal, 'test.json');
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 8080,
      shutdownTimeoutMs: 10000,
      headersTimeoutMs: 10000,
      requestTimeoutMs: 30000,
    });
    expect(config.ocpp.securityProfile).toBe(1);
    // Issue #17 limits: the defaults an operator can rely on without writing them down.
    expect(config.ocpp.admission).toEqual({
      maxUpgradesInProgress: 256,
      maxConnectionsPerAddress: 10000,
      headersTimeoutMs: 10000,
      upgradeTimeoutMs: 30000,
      maxFrameBytes: 1048576,
      maxBadMessages: 10,
    });
    expect(config.authThrottle).toEqual({
      freeFailures: 5,
      baseDelayMs: 1000,
      maxDelayMs: 300000,
      forgetAfterMs: 900000,
      maxTracked: 100000,
    });
    expect(config.oscp.basePath).toBe('/oscp/fp/2.0');
    expect(config.groups[0]).toMatchObject({ id: 'g1', phases: 3, phaseVoltageV: 230, safetyMarginA: 1, leaseS: 900 });
  });

  it('names the field, the value and the expectation for a wrong type', () => {
    expect(problemsOf({ ...minimal, http: { port: 'eighty' } })).toEqual(['http.port: got "eighty", expected number']);
  });

  it('names array positions and enumerated choices', () => {
    const problems = problemsOf({ groups: [{ id: 'g1', safeLimitA: 32, phases: 2 }], ocpp: { securityProfile: 4 } });
    expect(problems).toContain('groups[0].phases: got 2, expected 1 or 3');
    expect(problems).toContain('ocpp.securityProfile: got 4, expected 1, 2 or 3');
  });

  it('reports a missing required field', () => {
    expect(problemsOf({ groups: [{ id: 'g1' }] })).toEqual(['groups[0].safeLimitA: got nothing, expected number']);
  });

  it('refuses references to unknown groups and peers, and duplicates', () => {
    const problems = problemsOf({
      groups: [
        { id: 'g1', safeLimitA: 32, peerId: 'dso' },
        { id: 'g1', safeLimitA: 10 },
      ],
      stations: [{ id: 'CS1', groupId: 'nowhere' }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'groups[0].peerId: got "dso", no OSCP peer with id "dso" in oscp.peers',
        'groups[1].id: got "g1", duplicate group id "g1"',
        'stations[0].groupId: got "nowhere", no group with id "nowhere" in groups',
      ]),
    );
  });

  it('cross-field rules: the margin below the safe limit, a station at least as strong as one of its EVSEs', () => {
    const problems = problemsOf({
      groups: [{ id: 'g1', safeLimitA: 6, safetyMarginA: 6 }],
      stations: [{ id: 'CS1', groupId: 'g1', evseMaxCurrentA: 32, stationMaxCurrentA: 16 }],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'groups[0].safetyMarginA: got 6, safetyMarginA 6 A leaves nothing of safeLimitA 6 A: the margin must be below it',
        'stations[0].stationMaxCurrentA: got 16, stationMaxCurrentA 16 A is below evseMaxCurrentA 32 A: one EVSE cannot draw more than its station',
      ]),
    );
  });

  it('issue #17 0b — groups[].maxCapacityA defaults to 6300 A and may not be below the safe limit', () => {
    expect(parseConfig({ groups: [{ id: 'g1', safeLimitA: 32 }] }, 'test.json').groups[0]?.maxCapacityA).toBe(6300);
    expect(parseConfig({ groups: [{ id: 'g1', safeLimitA: 32 }] }, 'test.json').oscp).toMatchObject({
      forecastHorizonDays: 7,
      maxForecastBlocks: 10_000,
      outboxFailedRetentionDays: 7,
    });
    expect(problemsOf({ groups: [{ id: 'g1', safeLimitA: 32, maxCapacityA: 25 }] })).toEqual([
      "groups[0].safeLimitA: got 32, safeLimitA 32 A is above maxCapacityA 25 A, the group's physical maximum",
    ]);
  });

  it('requires TLS for security profiles 2 and 3, and a CA for 3', () => {
    expect(problemsOf({ ...minimal, ocpp: { securityProfile: 3 } })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ocpp\.tls: .*security profile 3 needs ocpp\.tls/),
        expect.stringMatching(/^ocpp\.tls\.caFile: /),
      ]),
    );
  });

  it('requires a way to register for every OSCP peer', () => {
    expect(problemsOf({ ...minimal, oscp: { peers: [{ id: 'dso' }] } })).toEqual([
      expect.stringMatching(/^oscp\.peers\[0\]: .*bootstrapToken/),
    ]);
  });
});

describe('config file loading', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  const write = (content: string): string => {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, content);
    return file;
  };

  it('substitutes ${VAR} secrets from the environment', () => {
    const file = write(JSON.stringify({ ...minimal, stations: [{ id: 'CS1', groupId: 'g1', password: '${CS1_PASSWORD}' }] }));
    const config = loadConfig(file, { CS1_PASSWORD: 'a-long-enough-password' });
    expect(config.stations[0]?.password).toBe('a-long-enough-password');
  });

  it('refuses a ${VAR} that is not set, naming the field and the variable', () => {
    const file = write(JSON.stringify({ ...minimal, stations: [{ id: 'CS1', groupId: 'g1', password: '${CS1_PASSWORD}' }] }));
    expect(() => loadConfig(file, {})).toThrow(/stations\[0\]\.password: environment variable CS1_PASSWORD is not set/);
  });

  it('never repeats a secret in its error: a too-short password is named, its value redacted', () => {
    const file = write(JSON.stringify({ ...minimal, stations: [{ id: 'CS1', groupId: 'g1', password: 'short-secret' }] }));
    expect(() => loadConfig(file, {})).toThrow(/stations\[0\]\.password: got \[redacted\]/);
    expect(() => loadConfig(file, {})).not.toThrow(/short-secret/);
  });

  it('applies FLEXBRIDGE_* overrides for ports and paths', () => {
    const file = write(JSON.stringify(minimal));
    const config = loadConfig(file, {
      FLEXBRIDGE_HTTP_PORT: '0',
      FLEXBRIDGE_OCPP_PORT: '9100',
      FLEXBRIDGE_STORE_PATH: '/tmp/x.db',
      FLEXBRIDGE_LOG_LEVEL: 'debug',
    });
    expect([config.http.port, config.ocpp.port, config.store.path, config.log.level]).toEqual([0, 9100, '/tmp/x.db', 'debug']);
  });

  it('refuses a non-numeric port override', () => {
    const file = write(JSON.stringify(minimal));
    expect(() => loadConfig(file, { FLEXBRIDGE_HTTP_PORT: 'http' })).toThrow(/FLEXBRIDGE_HTTP_PORT: got "http", expected an integer/);
  });

  it('refuses a file that is not JSON, or not an object', () => {
    expect(() => loadConfig(write('{ groups: '), {})).toThrow(/not valid JSON/);
    expect(() => loadConfig(write('[1,2]'), {})).toThrow(/\(root\): got \[1,2\], expected a JSON object/);
  });

  it('the shipped config files are valid', () => {
    const root = path.resolve(__dirname, '../../../config');
    // default.json takes its two secrets from the environment (npm start generates them: --local-secrets).
    const local = { FLEXBRIDGE_API_TOKEN: 't'.repeat(48), FLEXBRIDGE_CP_TOKEN: 'c'.repeat(48) };
    expect(() => loadConfig(path.join(root, 'default.json'), local)).not.toThrow();
    expect(() => loadConfig(path.join(root, 'docker.json'), { FLEXBRIDGE_API_TOKEN: 't'.repeat(48) })).not.toThrow();
    const env = {
      FLEXBRIDGE_DSO_NORTH_BOOTSTRAP_TOKEN: 'b'.repeat(32),
      FLEXBRIDGE_SITE_EMS_TOKEN: 'token-from-the-ems',
      FLEXBRIDGE_CP_0001_PASSWORD: 'p'.repeat(20),
      FLEXBRIDGE_CP_0002_PASSWORD: 'q'.repeat(20),
      FLEXBRIDGE_API_DASHBOARD_TOKEN: 'd'.repeat(32),
      FLEXBRIDGE_API_ADMIN_TOKEN: 'a'.repeat(32),
      FLEXBRIDGE_API_NOC_PASSWORD: 'n'.repeat(16),
      FLEXBRIDGE_WEBHOOK_SECRET: 'w'.repeat(32),
    };
    expect(() => loadConfig(path.join(root, 'example.production.json'), env)).not.toThrow();
    const lc = { ...env, FLEXBRIDGE_CP_0001_CSMS_PASSWORD: 'c'.repeat(24), FLEXBRIDGE_CP_0002_CSMS_PASSWORD: 'e'.repeat(24) };
    expect(loadConfig(path.join(root, 'example.local-controller.json'), lc).ocpp.upstream).toMatchObject({
      credentials: 'stored',
      securityProfile: 2,
    });
  });

  it('Local Controller mode: a wss:// CSMS needs profile 2, stored credentials need a password per station, no silent downgrade', () => {
    const base = { groups: [{ id: 'g1', safeLimitA: 32 }] };
    const withUpstream = (upstream: object, stations: object[] = []): unknown => ({ ...base, stations, ocpp: { upstream } });
    expect(() => parseConfig(withUpstream({ url: 'ws://csms:9000/ocpp', securityProfile: 2 }), 't')).toThrow(
      /security profile 2 needs a wss:\/\/ URL/,
    );
    expect(() => parseConfig(withUpstream({ url: 'wss://csms/ocpp' }), 't')).toThrow(/set securityProfile 2/);
    expect(() => parseConfig(withUpstream({ url: 'ws://csms/ocpp', credentials: 'stored' }, [{ id: 'CS-1', groupId: 'g1' }]), 't')).toThrow(
      /stations\[0\]\.upstreamPassword: missing, credentials "stored" needs an upstreamPassword for station "CS-1"/,
    );
    expect(() => parseConfig(withUpstream({ url: 'ws://csms/ocpp', securityProfile: 3 }), 't')).toThrow(
      /profile 3 upstream is not supported/,
    );
    expect(() => parseConfig(withUpstream({ url: 'ws://csms/ocpp', dialrate: 5 }), 't')).toThrow(/dialrate/);
  });

  it('unknown keys are errors naming the key and the closest valid one, at any depth', () => {
    const check = (raw: unknown): string => {
      try {
        parseConfig(raw, 't');
        return 'accepted';
      } catch (error) {
        return error instanceof ConfigError ? error.message : String(error);
      }
    };
    expect(check({ groups: [{ id: 'g1', safeLimitA: 32, safteyMarginA: 1 }] })).toContain(
      'groups[0].safteyMarginA: unknown key (did you mean "safetyMarginA"?)',
    );
    expect(check({ htpp: { port: 1 }, groups: [{ id: 'g1', safeLimitA: 32 }] })).toContain('htpp: unknown key (did you mean "http"?)');
    expect(check({ ocpp: { upstream: { url: 'ws://csms/ocpp', dialrate: 3 } }, groups: [{ id: 'g1', safeLimitA: 32 }] })).toContain(
      'ocpp.upstream.dialrate: unknown key (did you mean "dialRate"?)',
    );
    expect(check({ groups: [{ id: 'g1', safeLimitA: 32 }], zzzqqq: 1 })).toMatch(/zzzqqq: unknown key$/m);
  });
});
