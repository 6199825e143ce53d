// Security profiles 2 (TLS + Basic auth) and 3 (mutual TLS, certificate CN names the station) over real TLS sockets,
// with a CA and certificates generated at run time.
import { createTestPki, type TestPki } from '../../helpers/certificates';
import { tempDir } from '../../helpers/processes';
import { connectStation, startTestCsms } from './harness';
import { connectStation16 } from './harness-v16';

describe('OCPP CSMS — security profiles 2 and 3', () => {
  let pki: TestPki;
  let files: { certFile: string; keyFile: string; caFile: string };
  let cleanup: () => void;
  beforeAll(() => {
    pki = createTestPki();
    const dir = tempDir('flexbridge-pki-');
    cleanup = dir.cleanup;
    files = pki.writeServerFiles(dir.dir);
  });
  afterAll(() => cleanup());

  test('A00 profile 2 — wss:// with Basic auth: right password in, wrong password out', async () => {
    const t = await startTestCsms({ securityProfile: 2, tls: { certFile: files.certFile, keyFile: files.keyFile } });
    try {
      expect(t.url.startsWith('wss://')).toBe(true);
      const station = await connectStation(t.url, { wsOpts: { ca: pki.ca.cert } });
      expect(await station.client.call('Heartbeat', {})).toHaveProperty('currentTime');
      await station.client.close();
      await expect(connectStation(t.url, { wsOpts: { ca: pki.ca.cert }, password: 'wrong-password-0000' })).rejects.toMatchObject({
        code: 401,
      });
    } finally {
      await t.stop();
    }
  });

  test('A00.FR.405 profile 3 — a CA-signed client certificate whose CN names the station connects; others are refused', async () => {
    const t = await startTestCsms({ securityProfile: 3, tls: files });
    try {
      const own = pki.client('CS-1');
      const station = await connectStation(t.url, { password: null, wsOpts: { ca: pki.ca.cert, cert: own.cert, key: own.key } });
      expect(await station.client.call('Heartbeat', {})).toHaveProperty('currentTime');
      await station.client.close();

      const other = pki.client('CS-2');
      await expect(
        connectStation(t.url, { password: null, wsOpts: { ca: pki.ca.cert, cert: other.cert, key: other.key } }),
      ).rejects.toMatchObject({
        code: 401,
      });
      // The identity must be the CN exactly: certificates for CS-10 and CS-1x are not certificates for CS-1.
      for (const lookalike of ['CS-10', 'CS-1x', 'XCS-1']) {
        const cert = pki.client(lookalike);
        await expect(
          connectStation(t.url, { password: null, wsOpts: { ca: pki.ca.cert, cert: cert.cert, key: cert.key } }),
        ).rejects.toMatchObject({ code: 401 });
      }
      // No certificate, or one from another CA: the TLS handshake itself fails (A00: invalid/absent cert → terminate).
      await expect(connectStation(t.url, { password: null, wsOpts: { ca: pki.ca.cert } })).rejects.toBeTruthy();
      const rogue = createTestPki().client('CS-1');
      await expect(
        connectStation(t.url, { password: null, wsOpts: { ca: pki.ca.cert, cert: rogue.cert, key: rogue.key } }),
      ).rejects.toBeTruthy();
      expect(t.recorded.connections).toEqual([
        { stationId: 'CS-1', connected: true },
        { stationId: 'CS-1', connected: false },
      ]);
      // The failed TLS handshakes are in the connection attempts too, without an identity (none was sent yet).
      const tls = t.csms.attempts.list().filter((a) => a.status === 0);
      expect(tls.length).toBeGreaterThanOrEqual(2);
      expect(tls[0]?.reason).toMatch(/^TLS handshake failed/);
    } finally {
      await t.stop();
    }
  });

  describe('OCPP 1.6J — Security Whitepaper ed. 2 profiles', () => {
    const KEY_HEX = '00112233445566778899aabbccddeeff01020304';
    const station16 = [{ id: 'CS-1', groupId: 'g1', password: KEY_HEX, evseMaxCurrentA: 32, evseCount: 1, phases: 3 as const }];

    test('SW16 §2.3 profile 1 — the AuthorizationKey as its hex text or as its raw 20 bytes; a wrong key is refused', async () => {
      const t = await startTestCsms({}, station16);
      try {
        const asText = await connectStation16(t.url, { password: KEY_HEX });
        expect(asText.client.protocol).toBe('ocpp1.6');
        await asText.client.close();
        const asBytes = await connectStation16(t.url, { password: Buffer.from(KEY_HEX, 'hex') });
        await asBytes.client.close();
        await expect(
          connectStation16(t.url, { password: Buffer.from('ffeeddccbbaa99887766554433221100ffeeddcc', 'hex') }),
        ).rejects.toMatchObject({
          code: 401,
        });
      } finally {
        await t.stop();
      }
    });

    test('SW16 §2.4 profile 2 — wss:// with the AuthorizationKey', async () => {
      const t = await startTestCsms({ securityProfile: 2, tls: { certFile: files.certFile, keyFile: files.keyFile } }, station16);
      try {
        const station = await connectStation16(t.url, { password: KEY_HEX, wsOpts: { ca: pki.ca.cert } });
        expect(station.client.protocol).toBe('ocpp1.6');
        await station.client.close();
        await expect(connectStation16(t.url, { password: 'not-the-key-000000000', wsOpts: { ca: pki.ca.cert } })).rejects.toMatchObject({
          code: 401,
        });
      } finally {
        await t.stop();
      }
    });

    test('SW16 §2.5 / A00.FR.405 profile 3 — the client certificate CN is the identity, exactly', async () => {
      const t = await startTestCsms({ securityProfile: 3, tls: files }, station16);
      try {
        const own = pki.client('CS-1');
        const station = await connectStation16(t.url, { password: null, wsOpts: { ca: pki.ca.cert, cert: own.cert, key: own.key } });
        expect(station.client.protocol).toBe('ocpp1.6');
        await station.client.close();
        const lookalike = pki.client('CS-10');
        await expect(
          connectStation16(t.url, { password: null, wsOpts: { ca: pki.ca.cert, cert: lookalike.cert, key: lookalike.key } }),
        ).rejects.toMatchObject({ code: 401 });
      } finally {
        await t.stop();
      }
    });
  });
});
