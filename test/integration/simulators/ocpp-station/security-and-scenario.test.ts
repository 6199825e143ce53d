// Station simulator: security profiles 1 (ws + Basic auth) and 2 (wss + Basic auth), a scripted scenario on
// virtual time, and a station that never answers — each against a fake CSMS on 127.0.0.1:0.
import { generateKeyPairSync } from 'node:crypto';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import forge from 'node-forge';
import { RPCServer, TimeoutError } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import { createFleet, FleetConfigError, type Fleet, type FleetOptionsInput } from '../../../../simulators/ocpp-station';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const PASSWORD = 'correct-horse-battery-1';

interface Csms {
  server: RPCServer;
  port: number;
  calls: { identity: string; method: string; params: unknown }[];
  /** WebSocket upgrade attempts that reached the auth step. */
  attempts: { count: number };
  clients: Map<string, RpcServerClient>;
  close(): Promise<void>;
}

/** Fake CSMS; with `tls` it serves wss:// from an https server (security profile 2). Basic auth is checked when a password is set. */
async function startCsms(options: { password?: string; tls?: { key: string; cert: string } } = {}): Promise<Csms> {
  const server = new RPCServer({ protocols: ['ocpp2.0.1'], strictMode: true });
  const calls: Csms['calls'] = [];
  const clients = new Map<string, RpcServerClient>();
  const attempts = { count: 0 };
  server.auth((accept, reject, handshake) => {
    attempts.count++;
    if (options.password !== undefined && handshake.password?.toString('utf8') !== options.password) return reject(401, 'Unauthorized');
    accept({});
  });
  server.on('client', (client: RpcServerClient) => {
    clients.set(client.identity ?? '', client);
    client.handle('BootNotification', async () => ({ currentTime: new Date().toISOString(), interval: 300, status: 'Accepted' }));
    client.handle('Heartbeat', async () => ({ currentTime: new Date().toISOString() }));
    client.handle(async ({ method, params }) => {
      calls.push({ identity: client.identity ?? '', method: method ?? '', params });
      return {};
    });
  });
  if (options.tls) {
    const https: HttpsServer = createHttpsServer({ key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' });
    https.on('upgrade', server.handleUpgrade);
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    return {
      server,
      port: portOf(https),
      calls,
      attempts,
      clients,
      close: async () => {
        await server.close({ force: true });
        await new Promise<void>((resolve) => https.close(() => resolve()));
      },
    };
  }
  const http = await server.listen(0, '127.0.0.1');
  return { server, port: portOf(http), calls, attempts, clients, close: () => server.close({ force: true }) };
}

function portOf(server: { address(): AddressInfo | string | null }): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake CSMS did not bind a TCP port');
  return address.port;
}

function selfSignedCertificate(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3_600_000);
  const attrs = [{ name: 'commonName', value: '127.0.0.1' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }]);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { key: keyPem, cert: forge.pki.certificateToPem(cert) };
}

describe('OCPP station simulator — security, scenarios, silence', () => {
  let csms: Csms | undefined;
  let fleet: Fleet | undefined;
  let nowMs = T0;
  const now = (): DateTime => DateTime.fromMillis(nowMs, { zone: 'utc' });

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 300; i++) {
      fleet?.tick();
      if (condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  function makeFleet(options: Partial<FleetOptionsInput> & { url: string }): Fleet {
    nowMs = T0;
    fleet = createFleet(
      { count: 1, autoTick: false, connectRatePerS: 1_000_000, backoff: { minS: 0, randomS: 0, repeatTimes: 0 }, ...options },
      now,
    );
    return fleet;
  }

  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
    await csms?.close();
    csms = undefined;
  });

  it('security profile 1: boots with the right Basic-auth password; with a wrong one the CSMS refuses and the station keeps retrying', async () => {
    csms = await startCsms({ password: PASSWORD });
    const good = makeFleet({ url: `ws://127.0.0.1:${csms.port}/ocpp`, securityProfile: 1, password: PASSWORD });
    good.start();
    await until(() => good.summary().bootAccepted === 1, 'boot with the right password');
    await good.stop();
    const bad = makeFleet({
      url: `ws://127.0.0.1:${csms.port}/ocpp`,
      securityProfile: 1,
      password: 'wrong-password-123456',
      backoff: { minS: 0.001, randomS: 0, repeatTimes: 0 },
    });
    bad.start();
    const station = bad.stationOrThrow('SIM-00001');
    const attemptsBefore = csms.attempts.count;
    // Each refused attempt schedules a retry; advancing virtual time lets it happen.
    for (let i = 0; i < 20 && station.stats.connects === 0; i++) {
      nowMs += 1000;
      bad.tick();
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    expect(station.stats.connects).toBe(0);
    expect(csms.attempts.count - attemptsBefore).toBeGreaterThanOrEqual(3);
    expect(bad.summary().bootAccepted).toBe(0);
  });

  it('security profile 2: boots over wss:// with TLS and Basic auth', async () => {
    const tls = selfSignedCertificate();
    csms = await startCsms({ password: PASSWORD, tls });
    const f = makeFleet({ url: `wss://127.0.0.1:${csms.port}/ocpp`, securityProfile: 2, password: PASSWORD, insecureTls: true });
    f.start();
    await until(() => f.summary().bootAccepted === 1, 'boot over TLS');
  });

  it('refuses inconsistent security settings with a clear error', () => {
    expect(() => createFleet({ url: 'ws://127.0.0.1:1/ocpp', securityProfile: 2, password: PASSWORD })).toThrow(FleetConfigError);
    expect(() => createFleet({ url: 'ws://127.0.0.1:1/ocpp', securityProfile: 1 })).toThrow(/needs a Basic-auth password/);
    expect(() => createFleet({ url: 'http://127.0.0.1:1/ocpp' })).toThrow(/ws:\/\/ or wss:\/\//);
  });

  it('runs a scripted scenario on virtual time: plug-in at 60 s, unplug at 660 s ends the transaction', async () => {
    csms = await startCsms();
    const f = makeFleet({
      url: `ws://127.0.0.1:${csms.port}/ocpp`,
      scenario: {
        steps: [
          {
            atS: 60,
            action: 'plugIn',
            station: 'SIM-00001',
            evse: 2,
            ev: { batteryWh: 40_000, socPercent: 50, phases: 1, maxCurrentA: 32 },
          },
          { atS: 660, action: 'unplug', station: 'SIM-00001', evse: 2 },
        ],
      },
    });
    f.start();
    await until(() => f.summary().bootAccepted === 1, 'boot');
    nowMs = T0 + 60_000;
    f.tick();
    nowMs = T0 + 660_000;
    f.tick();
    const calls = csms.calls;
    await until(() => calls.some((c) => c.method === 'TransactionEvent' && JSON.stringify(c.params).includes('"Ended"')), 'Ended');
    expect(f.limitLog('SIM-00001', 2)).toEqual([
      { atMs: T0, limitA: [32, 32, 32], drawnA: [0, 0, 0] },
      { atMs: T0 + 60_000, limitA: [32, 32, 32], drawnA: [32, 0, 0] },
      { atMs: T0 + 660_000, limitA: [32, 32, 32], drawnA: [0, 0, 0] },
    ]);
    const ended = calls.find((c) => c.method === 'TransactionEvent' && JSON.stringify(c.params).includes('"Ended"'));
    // 32 A × 230 V × 600 s on one phase = 1226.7 Wh.
    expect(ended?.params).toMatchObject({
      triggerReason: 'EVDeparted',
      transactionInfo: { stoppedReason: 'EVDisconnected' },
      meterValue: [
        { sampledValue: expect.arrayContaining([expect.objectContaining({ measurand: 'Energy.Active.Import.Register', value: 1226.7 })]) },
      ],
    });
    await until(() => calls.filter((c) => c.method === 'StatusNotification').length >= 4, 'status back to Available');
    expect(calls.filter((c) => c.method === 'StatusNotification').at(-1)?.params).toMatchObject({
      evseId: 2,
      connectorStatus: 'Available',
    });
  });

  it('failure mode "not answering": SetChargingProfile gets no reply at all', async () => {
    csms = await startCsms();
    const f = makeFleet({ url: `ws://127.0.0.1:${csms.port}/ocpp`, silentPercent: 100 });
    f.start();
    await until(() => f.summary().bootAccepted === 1, 'boot');
    const client = csms.clients.get('SIM-00001');
    const profile = {
      evseId: 0,
      chargingProfile: {
        id: 1,
        stackLevel: 0,
        chargingProfilePurpose: 'TxDefaultProfile',
        chargingProfileKind: 'Absolute',
        chargingSchedule: [
          {
            id: 1,
            startSchedule: new Date(T0).toISOString(),
            chargingRateUnit: 'A',
            chargingSchedulePeriod: [{ startPeriod: 0, limit: 6 }],
          },
        ],
      },
    };
    await expect(client?.call('SetChargingProfile', profile, { callTimeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
    expect(f.limitLog('SIM-00001', 1).at(-1)?.limitA).toEqual([32, 32, 32]);
  });
});
