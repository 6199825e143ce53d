// `flexbridge secrets rekey` (#17 item 6): on real SQLite files — clear → sealed, key A → key B, a wrong or missing old
// key refused with nothing changed (all or nothing), a store a running agent holds refused, and the real entry point.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { PeerRecord } from '../../../src/core/ports';
import { runSecretsCli } from '../../../src/cli/secrets';
import { openSqliteStore, StoreOpenError } from '../../../src/store/sqlite';
import { rekeySecretsFile } from '../../../src/store/sqlite/secrets';
import { startAgentProcess } from '../../helpers/agent-process';
import { collectOutput, exited, spawnTs, tempDir } from '../../helpers/processes';

const TOKEN = 'outbound-token-of-the-cp-0123456789abcdef';
const OTHER_TOKEN = 'outbound-token-of-cp-2-fedcba9876543210';
const PASSWORD = 'upstream-password-0001';
const KEY_A = randomBytes(32).toString('hex');
const KEY_B = randomBytes(32).toString('base64');

const peer = (peerId: string, outboundToken: string): PeerRecord => ({
  peerId,
  role: 'CP',
  state: 'REGISTERED',
  baseUrl: 'http://cp.example/oscp/cp/2.0',
  outboundToken,
  awaitingRegisterReply: false,
  measurementConfiguration: [],
  updatedAt: '2026-01-01T00:00:00.000Z',
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function rekey(argv: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runSecretsCli(['rekey', ...argv], { env, stdout: (t) => (out += t), stderr: (t) => (err += t) }, rekeySecretsFile);
  return { code, out, err };
}

describe('flexbridge secrets rekey', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('flexbridge-rekey-'));
    file = path.join(dir, 'agent.db');
  });
  afterEach(() => cleanup());

  /** A store with two outbound tokens and a stored upstream password, sealed with `key` (clear without one). */
  const seed = (key?: string): void => {
    const store = openSqliteStore(file, key === undefined ? {} : { secretsKey: key });
    store.peers.upsert(peer('cp-1', TOKEN));
    store.peers.upsert(peer('cp-2', OTHER_TOKEN));
    store.kv.set('relay:CS-1:password', PASSWORD);
    store.kv.set('energy:g1', { wh: 5 });
    store.close();
  };

  /** The secret columns as stored (cp-1, cp-2, the relay password, then a kv row that is no secret), and the file's bytes. */
  const raw = (): { rows: unknown[]; bytes: string } => {
    const db = new Database(file);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const rows = [
      ...db.prepare('SELECT outbound_token FROM peers ORDER BY peer_id').pluck().all(),
      db.prepare("SELECT value FROM kv WHERE key = 'relay:CS-1:password'").pluck().get(),
      db.prepare("SELECT value FROM kv WHERE key = 'energy:g1'").pluck().get(),
    ];
    db.close();
    return { rows, bytes: fs.readFileSync(file).toString('latin1') };
  };

  const readsBackWith = (key: string): void => {
    const store = openSqliteStore(file, { secretsKey: key });
    expect(store.peers.list().map((p) => p.outboundToken)).toEqual([TOKEN, OTHER_TOKEN]);
    expect(store.kv.get('relay:CS-1:password')).toBe(PASSWORD);
    expect(store.kv.get('energy:g1')).toEqual({ wh: 5 });
    store.close();
  };

  it('clear → sealed: every clear secret is sealed with the new key, counted, and nothing is left in clear in the file', async () => {
    seed();
    const result = await rekey(['--store', file], { FLEXBRIDGE_SECRETS_KEY_NEW: KEY_B });
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toMatch(/3 secret\(s\) now sealed with key id [0-9a-f]{8}: 0 re-sealed, 3 sealed from clear/);
    const stored = raw();
    expect(stored.rows.slice(0, 3).every((value) => String(value).replace(/^"/, '').startsWith('fbsec1:'))).toBe(true);
    expect(stored.rows[3]).toBe(JSON.stringify({ wh: 5 }));
    for (const secret of [TOKEN, OTHER_TOKEN, PASSWORD]) expect(stored.bytes).not.toContain(secret);
    readsBackWith(KEY_B);
    expect(() => openSqliteStore(file)).toThrow(/is encrypted .* FLEXBRIDGE_SECRETS_KEY is not set/);
  });

  it('key A → key B: every value re-sealed; B opens the store, A no longer does, and no sealed value of A is left in the file', async () => {
    seed(KEY_A);
    const before = raw();
    const result = await rekey(['--store', file, '--json'], { FLEXBRIDGE_SECRETS_KEY: KEY_A, FLEXBRIDGE_SECRETS_KEY_NEW: KEY_B });
    expect(result.code).toBe(0);
    const report: unknown = JSON.parse(result.out);
    expect(report).toMatchObject({ store: file, resealed: 3, sealed: 0, fromKeyId: expect.stringMatching(/^[0-9a-f]{8}$/) });
    readsBackWith(KEY_B);
    expect(() => openSqliteStore(file, { secretsKey: KEY_A })).toThrow(/was sealed with key id [0-9a-f]{8}, but FLEXBRIDGE_SECRETS_KEY/);
    // secure_delete and the checkpoint: the old ciphertexts are not in a free page or the WAL either.
    const after = raw();
    const ciphertexts = before.rows.slice(0, 3).map((old) => String(old).replace(/^"|"$/g, '').split(':')[3] ?? '?');
    expect(ciphertexts.filter((c) => after.bytes.includes(c))).toEqual([]);
    expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).toBe(0);
  });

  it('a wrong old key, or none for a sealed store, is refused with the row and key ids, and nothing changes', async () => {
    seed(KEY_A);
    const before = raw().rows;
    const wrong = await rekey(['--store', file], {
      FLEXBRIDGE_SECRETS_KEY: randomBytes(32).toString('hex'),
      FLEXBRIDGE_SECRETS_KEY_NEW: KEY_B,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(
      /not re-keyed, nothing changed: peers.outbound_token peer_id=cp-1 was sealed with key id [0-9a-f]{8}, but FLEXBRIDGE_SECRETS_KEY is key id/,
    );
    const none = await rekey(['--store', file], { FLEXBRIDGE_SECRETS_KEY_NEW: KEY_B });
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/nothing changed: peers.outbound_token peer_id=cp-1 is encrypted .* FLEXBRIDGE_SECRETS_KEY is not set/);
    expect(raw().rows).toEqual(before);
    readsBackWith(KEY_A);
  });

  it('all or nothing: a later row that does not open leaves the earlier ones as they were', async () => {
    seed(KEY_A);
    // cp-2's token replaced by cp-1's sealed one: it is bound to cp-1's row and does not open as cp-2's.
    const db = new Database(file);
    db.prepare("UPDATE peers SET outbound_token = (SELECT outbound_token FROM peers WHERE peer_id = 'cp-1') WHERE peer_id = 'cp-2'").run();
    db.close();
    const before = raw().rows;
    const result = await rekey(['--store', file], { FLEXBRIDGE_SECRETS_KEY: KEY_A, FLEXBRIDGE_SECRETS_KEY_NEW: KEY_B });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/peer_id=cp-2 does not open .*moved from another row/);
    expect(raw().rows).toEqual(before);
  });

  it('keys: the new one must be set and well-formed and differ from the old; --from-env and --to-env name other variables', async () => {
    seed(KEY_A);
    const before = raw().rows;
    expect((await rekey(['--store', file], { FLEXBRIDGE_SECRETS_KEY: KEY_A })).err).toMatch(
      /FLEXBRIDGE_SECRETS_KEY_NEW is not set: it must hold the new key/,
    );
    expect((await rekey(['--store', file], { FLEXBRIDGE_SECRETS_KEY: KEY_A, FLEXBRIDGE_SECRETS_KEY_NEW: 'short' })).err).toMatch(
      /FLEXBRIDGE_SECRETS_KEY_NEW must be 32 random bytes/,
    );
    expect((await rekey(['--store', file], { FLEXBRIDGE_SECRETS_KEY: KEY_A, FLEXBRIDGE_SECRETS_KEY_NEW: KEY_A })).err).toMatch(
      /is the same key as FLEXBRIDGE_SECRETS_KEY .*nothing to re-key/,
    );
    expect((await rekey(['--store', path.join(dir, 'missing.db')], { FLEXBRIDGE_SECRETS_KEY_NEW: KEY_B })).err).toMatch(
      /cannot open the store at .*missing\.db/,
    );
    expect(fs.existsSync(path.join(dir, 'missing.db'))).toBe(false);
    expect(raw().rows).toEqual(before);
    const named = await rekey(['--store', file, '--from-env', 'OLD', '--to-env', 'NEW'], { OLD: KEY_A, NEW: KEY_B });
    expect(named.code).toBe(0);
    expect(named.out).toContain('3 re-sealed');
    readsBackWith(KEY_B);
  });

  // Skipped: flaky (the exclusive lock sometimes fails again after the agent has stopped); see the stop-21 note.
  it('refuses a store a running agent holds (nothing changed), and re-keys it once the agent has stopped', async () => {
    seed(KEY_A);
    const agent = await startAgentProcess(
      dir,
      { http: { port: 0 }, ocpp: { port: 0 }, store: { path: file }, log: { level: 'info' }, groups: [{ id: 'g1', safeLimitA: 32 }] },
      { FLEXBRIDGE_SECRETS_KEY: KEY_A },
    );
    let stopped = false;
    try {
      const before = raw().rows;
      const held = await rekey(['--store', file], { FLEXBRIDGE_SECRETS_KEY: KEY_A, FLEXBRIDGE_SECRETS_KEY_NEW: KEY_B });
      expect(held.code).toBe(1);
      expect(held.err).toMatch(/is open in another process \(a running flexbridge\?\): stop the agent first/);
      expect(raw().rows).toEqual(before);
      expect(await agent.stop()).toBe(0);
      stopped = true;
    } finally {
      if (!stopped) await agent.kill9();
    }
    expect((await rekey(['--store', file], { FLEXBRIDGE_SECRETS_KEY: KEY_A, FLEXBRIDGE_SECRETS_KEY_NEW: KEY_B })).code).toBe(0);
    readsBackWith(KEY_B);
  });

  it("the real command line: `flexbridge secrets rekey --config <file>` re-keys the configuration's store.path", async () => {
    seed(KEY_A);
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ store: { path: file }, groups: [{ id: 'g1', safeLimitA: 32 }] }));
    const child = spawnTs('src/main.ts', ['secrets', 'rekey', '--config', config], {
      FLEXBRIDGE_SECRETS_KEY: KEY_A,
      FLEXBRIDGE_SECRETS_KEY_NEW: KEY_B,
    });
    const output = collectOutput(child);
    expect((await exited(child)).code).toBe(0);
    expect(output.stdout()).toContain(`${file}: 3 secret(s) now sealed`);
    readsBackWith(KEY_B);
    expect(() => openSqliteStore(file, { secretsKey: KEY_A })).toThrow(StoreOpenError);
  });
});
