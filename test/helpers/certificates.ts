// Test PKI made at run time (nothing committed): a CA, a server certificate for 127.0.0.1, client certificates.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

export interface Pem {
  readonly key: string;
  readonly cert: string;
}

function keyPair(): { publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    privateKey: forge.pki.privateKeyFromPem(keyPem),
    keyPem,
  };
}

let serial = 1;

function certificate(
  commonName: string,
  issuer: { cert?: forge.pki.Certificate; key?: forge.pki.rsa.PrivateKey },
  extensions: object[],
): Pem & { forgeCert: forge.pki.Certificate; forgeKey: forge.pki.rsa.PrivateKey } {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3_600_000);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'flexbridge test CSO' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(issuer.cert ? issuer.cert.subject.attributes : subject);
  cert.setExtensions(extensions);
  cert.sign(issuer.key ?? keys.privateKey, forge.md.sha256.create());
  return { key: keys.keyPem, cert: forge.pki.certificateToPem(cert), forgeCert: cert, forgeKey: keys.privateKey };
}

export interface TestPki {
  readonly ca: Pem;
  readonly server: Pem;
  client(commonName: string): Pem;
  /** Writes the CA and server files into `dir`, returning their paths (for config.ocpp.tls). */
  writeServerFiles(dir: string): { certFile: string; keyFile: string; caFile: string };
}

export function createTestPki(): TestPki {
  const ca = certificate('flexbridge test CA', {}, [
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true },
  ]);
  const issuer = { cert: ca.forgeCert, key: ca.forgeKey };
  const server = certificate('127.0.0.1', issuer, [
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
  ]);
  return {
    ca: { key: ca.key, cert: ca.cert },
    server: { key: server.key, cert: server.cert },
    client: (commonName) => {
      const client = certificate(commonName, issuer, [{ name: 'extKeyUsage', clientAuth: true }]);
      return { key: client.key, cert: client.cert };
    },
    writeServerFiles: (dir) => {
      const files = { certFile: path.join(dir, 'server.crt'), keyFile: path.join(dir, 'server.key'), caFile: path.join(dir, 'ca.crt') };
      writeFileSync(files.certFile, server.cert);
      writeFileSync(files.keyFile, server.key);
      writeFileSync(files.caFile, ca.cert);
      return files;
    },
  };
}
