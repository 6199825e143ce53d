// Secrets at rest (issue #17 item 6): the outbound OSCP tokens and the Local Controller's stored upstream passwords,
// sealed with AES-256-GCM under a key from FLEXBRIDGE_SECRETS_KEY; clear rows are sealed on open, a wrong key stops it.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import Sqlite, { type Database } from 'better-sqlite3';
import { z } from 'zod';
import type { KeyValueRepository } from '../../core/ports';

/** The environment variable that holds the key; unset = secrets stay in clear (as before). */
export const SECRETS_KEY_ENV = 'FLEXBRIDGE_SECRETS_KEY';

/** Version 1 of the sealed form: `fbsec1:<key id>:<iv>:<ciphertext‖tag>` (base64url). */
const PREFIX = 'fbsec1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** kv keys whose value is a secret: the Local Controller's stored upstream passwords, the station-password digest key. */
export const SECRET_KV_KEY = /^(relay:.+:password|ocpp:password-key)$/;

/** A key that is not 32 bytes, one that does not open what the store holds, or sealed rows without a key. */
export class SecretsKeyError extends Error {
  override readonly name = 'SecretsKeyError';
}

/** The 32 key bytes of FLEXBRIDGE_SECRETS_KEY (or `name`): 64 hex characters, or base64 / base64url of exactly 32 bytes. */
export function parseSecretsKey(text: string, name = SECRETS_KEY_ENV): Buffer {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length === 32) return bytes;
  }
  throw new SecretsKeyError(
    `${name} must be 32 random bytes written as 64 hex characters or as base64 (openssl rand -base64 32); got ${value.length} characters`,
  );
}

/**
 * Seals and opens secrets with one key. The AES key and the key id are derived from the environment's bytes with
 * HKDF-SHA256 (salt "flexbridge-secrets", info "aes-256-gcm v1" and "key id v1"), so the id in each row names the key
 * without revealing it. Each value is bound to its row (table, column, key) as GCM's associated data: a sealed token
 * copied onto another peer does not open.
 */
export class SecretBox {
  readonly keyId: string;
  private readonly key: Buffer;

  /** `name`: the environment variable the key came from, as errors name it. */
  constructor(
    keyBytes: Buffer,
    private readonly name = SECRETS_KEY_ENV,
  ) {
    const derive = (info: string, length: number): Buffer => Buffer.from(hkdfSync('sha256', keyBytes, 'flexbridge-secrets', info, length));
    this.key = derive('aes-256-gcm v1', 32);
    this.keyId = derive('key id v1', 4).toString('hex');
  }

  static fromEnvironment(value: string | undefined, name = SECRETS_KEY_ENV): SecretBox | undefined {
    return value === undefined || value.trim() === '' ? undefined : new SecretBox(parseSecretsKey(value, name), name);
  }

  seal(plain: string, where: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(where, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.keyId}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  open(sealed: string, where: string): string {
    const [keyId, iv, body] = sealed.slice(PREFIX.length).split(':');
    const bytes = Buffer.from(body ?? '', 'base64url');
    const ivBytes = Buffer.from(iv ?? '', 'base64url');
    if (keyId !== this.keyId)
      throw new SecretsKeyError(
        `${where} was sealed with key id ${keyId ?? '?'}, but ${this.name} is key id ${this.keyId}: set the key it was sealed with`,
      );
    if (ivBytes.length !== IV_BYTES || bytes.length < TAG_BYTES)
      throw new SecretsKeyError(`${where} is not a sealed secret flexbridge wrote (damaged)`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, ivBytes);
      decipher.setAAD(Buffer.from(where, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretsKeyError(`${where} does not open with ${this.name} (key id ${this.keyId}): damaged, or moved from another row`);
    }
  }
}

export const isSealed = (value: string): boolean => value.startsWith(PREFIX);

/** Where a secret lives: the associated data it is sealed with, and how errors name it. */
export const peerTokenAt = (peerId: string): string => `peers.outbound_token peer_id=${peerId}`;
export const kvSecretAt = (key: string): string => `kv.value key=${key}`;

/** Reads a stored secret: opened with the box, in clear as it is without one; sealed without a key is an error. */
export function readSecret(box: SecretBox | undefined, stored: string, where: string): string {
  if (!isSealed(stored)) return stored;
  if (!box) throw new SecretsKeyError(`${where} is encrypted (key id ${stored.split(':')[1] ?? '?'}) but ${SECRETS_KEY_ENV} is not set`);
  return box.open(stored, where);
}

export const writeSecret = (box: SecretBox | undefined, plain: string, where: string): string => (box ? box.seal(plain, where) : plain);

const PeerTokenRow = z.object({ peer_id: z.string(), outbound_token: z.string() });
const KvRow = z.object({ key: z.string(), value: z.string() });

/** A kv value that is a JSON string; anything else is not a secret this module wrote. */
function jsonString(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined; // not JSON: the kv repository's read reports it as a CorruptRowError
  }
}

/** A secret as stored: where it lives (its associated data), its stored form, and how to store another. */
interface StoredSecret {
  readonly where: string;
  readonly stored: string;
  readonly replace: (stored: string) => void;
}

/** Every secret in the store. Rows of another shape are left to the repositories' zod reads, which name them. */
function storedSecrets(db: Database): StoredSecret[] {
  const setToken = db.prepare('UPDATE peers SET outbound_token = ? WHERE peer_id = ?');
  const setKv = db.prepare('UPDATE kv SET value = ? WHERE key = ?');
  const peers = db
    .prepare('SELECT peer_id, outbound_token FROM peers WHERE outbound_token IS NOT NULL')
    .all()
    .flatMap((raw): StoredSecret[] => {
      const row = PeerTokenRow.safeParse(raw);
      if (!row.success) return [];
      const { peer_id: peerId, outbound_token: stored } = row.data;
      return [{ where: peerTokenAt(peerId), stored, replace: (value) => setToken.run(value, peerId) }];
    });
  const kv = db
    .prepare("SELECT key, value FROM kv WHERE key LIKE 'relay:%:password'")
    .all()
    .flatMap((raw): StoredSecret[] => {
      const row = KvRow.safeParse(raw);
      if (!row.success || !SECRET_KV_KEY.test(row.data.key)) return [];
      const { key } = row.data;
      const stored = jsonString(row.data.value);
      return stored === undefined ? [] : [{ where: kvSecretAt(key), stored, replace: (value) => setKv.run(JSON.stringify(value), key) }];
    });
  return [...peers, ...kv];
}

/**
 * Run on every open: with a key, every clear secret is sealed and every sealed one must open (a wrong key stops the
 * start, naming the row, before anything is sent with a token it cannot read); without a key a sealed row stops it too.
 * Returns how many clear rows were sealed.
 */
export function sealSecretsAtRest(db: Database, box: SecretBox | undefined): number {
  let sealed = 0;
  db.transaction(() => {
    for (const secret of storedSecrets(db)) {
      readSecret(box, secret.stored, secret.where);
      if (box && !isSealed(secret.stored)) {
        secret.replace(box.seal(secret.stored, secret.where));
        sealed++;
      }
    }
  })();
  return sealed;
}

export interface ResealCount {
  /** Values sealed with the old key before, with the new one now. */
  readonly resealed: number;
  /** Values in clear before (no old key), sealed with the new one now. */
  readonly sealed: number;
}

/**
 * Re-keying: every secret opened with `from` (clear ones read as they are) and sealed anew with `to`, in one
 * transaction. A row that does not open with `from` throws a SecretsKeyError naming it, and nothing is written.
 */
export function resealSecretsAtRest(db: Database, from: SecretBox | undefined, to: SecretBox): ResealCount {
  return db.transaction(() => {
    let resealed = 0;
    let sealed = 0;
    const secrets = storedSecrets(db);
    // Every row is opened before the first is written: a wrong old key is found before anything changes.
    const opened = secrets.map((secret) => ({ ...secret, plain: readSecret(from, secret.stored, secret.where) }));
    for (const secret of opened) {
      secret.replace(to.seal(secret.plain, secret.where));
      if (isSealed(secret.stored)) resealed++;
      else sealed++;
    }
    return { resealed, sealed };
  })();
}

/** The store cannot be re-keyed now: it is open elsewhere (a running agent), missing, or not a flexbridge store. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

export interface RekeyReport extends ResealCount {
  /** Key id of the old key; undefined when there was none (the store was in clear). */
  readonly fromKeyId?: string;
  readonly toKeyId: string;
}

/** Where the old and the new key come from: their values and the names of their environment variables. */
export interface RekeyKeys {
  readonly from: { readonly name: string; readonly value: string | undefined };
  readonly to: { readonly name: string; readonly value: string | undefined };
}

/**
 * SQLITE_BUSY and its extended codes, told by the error's code alone: better-sqlite3 registers its SqliteError class
 * once per process (the first load of the module), so the error may come from another module instance or another
 * realm (jest runs each test file in its own context), where neither `instanceof SqliteError` nor `instanceof Error`
 * holds.
 */
function isBusy(error: unknown): boolean {
  const code: unknown = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * `flexbridge secrets rekey`: re-seals the store file's secrets from one key (or none) to another. The file is taken
 * with an exclusive lock first: every other connection to a WAL store holds a shared lock for as long as it is open,
 * so a running agent makes this fail at once (StoreUnavailableError), and an agent started meanwhile waits for the lock.
 */
export function rekeySecretsFile(file: string, keys: RekeyKeys): RekeyReport {
  const from = SecretBox.fromEnvironment(keys.from.value, keys.from.name);
  const to = SecretBox.fromEnvironment(keys.to.value, keys.to.name);
  if (!to) throw new SecretsKeyError(`${keys.to.name} is not set: it must hold the new key (openssl rand -base64 32)`);
  if (from?.keyId === to.keyId)
    throw new SecretsKeyError(`${keys.to.name} is the same key as ${keys.from.name} (key id ${to.keyId}): nothing to re-key`);
  let db: Database;
  try {
    db = new Sqlite(file, { fileMustExist: true, timeout: 0 });
  } catch (error) {
    throw new StoreUnavailableError(`cannot open the store at ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The values sealed with the old key are zeroed, not left in free pages.
    db.pragma('secure_delete = ON');
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      if (isBusy(error))
        throw new StoreUnavailableError(`the store at ${file} is open in another process (a running flexbridge?): stop the agent first`);
      throw error;
    }
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('peers', 'kv')").pluck().all();
    if (tables.length !== 2) throw new StoreUnavailableError(`${file} is not a flexbridge store (no peers and kv tables)`);
    const count = resealSecretsAtRest(db, from, to);
    db.exec('COMMIT');
    // The WAL is folded into the file and emptied: no page of the old values is left in it either.
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { ...count, ...(from && { fromKeyId: from.keyId }), toKeyId: to.keyId };
  } catch (error) {
    // In WAL mode BEGIN EXCLUSIVE can succeed beside a reader; the exclusive WAL-index lock then fails on the first read.
    if (isBusy(error))
      throw new StoreUnavailableError(`the store at ${file} is open in another process (a running flexbridge?): stop the agent first`);
    throw error;
  } finally {
    try {
      if (db.inTransaction) db.exec('ROLLBACK');
    } catch {
      // A ROLLBACK refused (SQLITE_BUSY after a half-taken lock) would hide the error above; closing rolls back too.
    }
    db.close();
  }
}

/** The kv repository with secret keys sealed on write and opened on read; every other key passes through. */
export function sealedKeyValue(inner: KeyValueRepository, box: SecretBox | undefined): KeyValueRepository {
  return {
    get: (key) => {
      const value = inner.get(key);
      return SECRET_KV_KEY.test(key) && typeof value === 'string' ? readSecret(box, value, kvSecretAt(key)) : value;
    },
    set: (key, value) => {
      inner.set(key, SECRET_KV_KEY.test(key) && typeof value === 'string' ? writeSecret(box, value, kvSecretAt(key)) : value);
    },
  };
}
