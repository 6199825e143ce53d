// Issue #17 item 6, at rest: with FLEXBRIDGE_SECRETS_KEY the outbound OSCP tokens (peers) and the Local Controller's
// stored upstream passwords (kv relay:<station>:password) are AES-256-GCM sealed in the file — real SQLite files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { PeerRecord } from '../../../src/core/ports';
import { openSqliteStore, StoreOpenError } from '../../../src/store/sqlite';
import { parseSecretsKey, SecretBox } from '../../../src/store/sqlite/secrets';
import { hashPassword, PasswordKey, verifyPassword } from '../../../src/ocpp/passwords';

const TOKEN = 'outbound-token-of-the-cp-0123456789abcdef';
const PASSWORD = 'upstream-password-0001';

const peer = (peerId: string, outboundToken: string | undefined): PeerRecord => ({
  peerId,
  role: 'CP',
  state: 'REGISTERED',
  baseUrl: 'http://cp.example/oscp/cp/2.0',
  ...(outboundToken !== undefined && { outboundToken }),
  awaitingRegisterReply: false,
  measurementConfiguration: [],
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('secrets at rest (FLEXBRIDGE_SECRETS_KEY)', () => {
  let dir: string;
  let file: string;
  const key = randomBytes(32).toString('hex');
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-secrets-'));
    file = path.join(dir, 'agent.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const raw = (): { tokens: unknown[]; kv: unknown[]; bytes: string } => {
    const db = new Database(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const tokens = db.prepare('SELECT outbound_token FROM peers ORDER BY peer_id').pluck().all();
    const kv = db.prepare("SELECT value FROM kv WHERE key LIKE 'relay:%'").pluck().all();
    db.close();
    return { tokens, kv, bytes: fs.readFileSync(file).toString('latin1') };
  };

  it('without a key nothing changes: tokens and passwords are stored as given (the former behaviour)', () => {
    const store = openSqliteStore(file);
    store.peers.upsert(peer('cp-1', TOKEN));
    store.kv.set('relay:CS-1:password', PASSWORD);
    store.close();
    expect(raw().tokens).toEqual([TOKEN]);
    expect(raw().kv).toEqual([JSON.stringify(PASSWORD)]);
  });

  it('with a key, nothing secret is in the file in clear, and it reads back the same', () => {
    const store = openSqliteStore(file, { secretsKey: key });
    store.peers.upsert(peer('cp-1', TOKEN));
    store.peers.upsert(peer('cp-2', undefined));
    store.kv.set('relay:CS-1:password', PASSWORD);
    store.kv.set('energy:g1', { wh: 5 });
    expect(store.peers.get('cp-1')?.outboundToken).toBe(TOKEN);
    expect(store.peers.get('cp-2')?.outboundToken).toBeUndefined();
    expect(store.kv.get('relay:CS-1:password')).toBe(PASSWORD);
    store.close();
    const stored = raw();
    expect(stored.tokens[0]).toMatch(/^fbsec1:[0-9a-f]{8}:/);
    expect(stored.tokens[1]).toBeNull();
    expect(String(stored.kv[0])).toMatch(/^"fbsec1:/);
    expect(stored.bytes).not.toContain(TOKEN);
    expect(stored.bytes).not.toContain(PASSWORD);
    const again = openSqliteStore(file, { secretsKey: key });
    expect(again.peers.list().map((p) => p.outboundToken)).toEqual([TOKEN, undefined]);
    expect(again.kv.get('relay:CS-1:password')).toBe(PASSWORD);
    expect(again.kv.get('energy:g1')).toEqual({ wh: 5 });
    again.close();
  });

  it("with a key, the stations' password-digest key is sealed too, and a stored digest still verifies after reopening", async () => {
    const store = openSqliteStore(file, { secretsKey: key });
    const digest = hashPassword('station-password-0001', PasswordKey.fromStore(store.kv));
    store.close();
    const db = new Database(file, { readonly: true });
    const stored = db.prepare("SELECT value FROM kv WHERE key = 'ocpp:password-key'").pluck().get();
    db.close();
    expect(String(stored)).toMatch(/^"fbsec1:/);
    const again = openSqliteStore(file, { secretsKey: key });
    await expect(verifyPassword('station-password-0001', digest, PasswordKey.fromStore(again.kv))).resolves.toBe(true);
    await expect(verifyPassword('station-password-0002', digest, PasswordKey.fromStore(again.kv))).resolves.toBe(false);
    again.close();
  });

  it('clear rows written before the key was set are sealed on the first open with it', () => {
    const before = openSqliteStore(file);
    before.peers.upsert(peer('cp-1', TOKEN));
    before.kv.set('relay:CS-1:password', PASSWORD);
    before.close();
    const store = openSqliteStore(file, { secretsKey: key });
    expect(raw().tokens[0]).toMatch(/^fbsec1:/);
    expect(String(raw().kv[0])).toMatch(/^"fbsec1:/);
    expect(raw().bytes).not.toContain(TOKEN);
    expect(raw().bytes).not.toContain(PASSWORD);
    expect(store.peers.get('cp-1')?.outboundToken).toBe(TOKEN);
    expect(store.kv.get('relay:CS-1:password')).toBe(PASSWORD);
    store.close();
  });

  it('a wrong key, or none, stops the open with an error naming the row and the key ids — never a silent empty token', () => {
    const store = openSqliteStore(file, { secretsKey: key });
    store.peers.upsert(peer('cp-1', TOKEN));
    store.close();
    const other = randomBytes(32).toString('base64');
    expect(() => openSqliteStore(file, { secretsKey: other })).toThrow(StoreOpenError);
    expect(() => openSqliteStore(file, { secretsKey: other })).toThrow(
      /peers.outbound_token peer_id=cp-1 was sealed with key id [0-9a-f]{8}, but FLEXBRIDGE_SECRETS_KEY is key id [0-9a-f]{8}/,
    );
    expect(() => openSqliteStore(file)).toThrow(/peers.outbound_token peer_id=cp-1 is encrypted .* FLEXBRIDGE_SECRETS_KEY is not set/);
    // The right key still opens it: a failed open changed nothing.
    const again = openSqliteStore(file, { secretsKey: key });
    expect(again.peers.get('cp-1')?.outboundToken).toBe(TOKEN);
    again.close();
  });

  it('a sealed token copied onto another peer does not open (each value is bound to its row)', () => {
    const store = openSqliteStore(file, { secretsKey: key });
    store.peers.upsert(peer('cp-1', TOKEN));
    store.peers.upsert(peer('cp-2', 'another-token-0123456789'));
    store.close();
    const db = new Database(file);
    db.prepare("UPDATE peers SET outbound_token = (SELECT outbound_token FROM peers WHERE peer_id = 'cp-1') WHERE peer_id = 'cp-2'").run();
    db.close();
    expect(() => openSqliteStore(file, { secretsKey: key })).toThrow(/peer_id=cp-2 does not open .*moved from another row/);
  });

  it('the key must be 32 bytes, as 64 hex characters or base64; anything else is refused with the rule', () => {
    expect(parseSecretsKey('ab'.repeat(32))).toHaveLength(32);
    expect(parseSecretsKey(randomBytes(32).toString('base64'))).toHaveLength(32);
    expect(parseSecretsKey(randomBytes(32).toString('base64url'))).toHaveLength(32);
    for (const bad of ['secret', 'ab'.repeat(31), randomBytes(24).toString('base64'), 'zz'.repeat(32)])
      expect(() => parseSecretsKey(bad)).toThrow(/FLEXBRIDGE_SECRETS_KEY must be 32 random bytes/);
    expect(() => openSqliteStore(file, { secretsKey: 'too-short' })).toThrow(StoreOpenError);
    expect(SecretBox.fromEnvironment(undefined)).toBeUndefined();
    expect(SecretBox.fromEnvironment('')).toBeUndefined();
  });
});
