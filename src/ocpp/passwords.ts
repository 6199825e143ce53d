// Station Basic-auth passwords (OCPP security profiles 1 and 2): only a salted, keyed digest is ever stored.
// `hmac-sha256$<key id>$<salt b64>$<mac b64>` today; `scrypt$<N>$<r>$<p>$<salt>$<hash>` (before #15) still verifies.
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { KeyValueRepository } from '../core/ports';

const KEY_LENGTH = 32;
const KEY_KV = 'ocpp:password-key';
const StoredKey = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);

/**
 * The per-install HMAC key. Why a keyed digest and not a KDF: station passwords are 16–40 character machine secrets
 * (enforced at auto-registration and in the config schema); their entropy, not a slow hash, is what keeps them
 * unrecoverable, and a KDF per connect capped reconnect storms at ~40 stations/s (issue #15).
 */
export class PasswordKey {
  private constructor(
    private readonly key: Buffer,
    readonly id: string,
  ) {}

  /** Reads the key from the store, or makes one on first use. */
  static fromStore(kv: KeyValueRepository): PasswordKey {
    const saved = StoredKey.safeParse(kv.get(KEY_KV));
    if (saved.success) return PasswordKey.of(Buffer.from(saved.data, 'base64'));
    const key = randomBytes(KEY_LENGTH);
    kv.set(KEY_KV, key.toString('base64'));
    return PasswordKey.of(key);
  }

  /** A key that lives as long as the process (tests, stores without a kv). */
  static ephemeral(): PasswordKey {
    return PasswordKey.of(randomBytes(KEY_LENGTH));
  }

  private static of(key: Buffer): PasswordKey {
    return new PasswordKey(key, createHash('sha256').update(key).digest('base64url').slice(0, 8));
  }

  mac(salt: Buffer, password: string): Buffer {
    return createHmac('sha256', this.key).update(salt).update(password, 'utf8').digest();
  }
}

export function hashPassword(password: string, key: PasswordKey): string {
  const salt = randomBytes(16);
  return ['hmac-sha256', key.id, salt.toString('base64'), key.mac(salt, password).toString('base64')].join('$');
}

/** True when the stored hash is in the format before #15 (scrypt) and should be replaced on the next success. */
export function isLegacyHash(stored: string): boolean {
  return stored.startsWith('scrypt$');
}

/** True when `password` matches `stored`; a malformed hash, or one made with another install's key, never matches. */
export async function verifyPassword(password: string, stored: string, key: PasswordKey): Promise<boolean> {
  const parts = stored.split('$');
  if (parts[0] === 'scrypt') return verifyScrypt(password, parts);
  const [scheme, keyId, salt, mac] = parts;
  if (scheme !== 'hmac-sha256' || keyId !== key.id || !salt || !mac || parts.length !== 4) return false;
  const expected = Buffer.from(mac, 'base64');
  const actual = key.mac(Buffer.from(salt, 'base64'), password);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

async function verifyScrypt(password: string, parts: readonly string[]): Promise<boolean> {
  const [, n, r, p, salt, hash] = parts;
  if (!n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await new Promise<Buffer>((resolve, reject) => {
    const options = { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 };
    scrypt(password, Buffer.from(salt, 'base64'), expected.length, options, (error, derived) => (error ? reject(error) : resolve(derived)));
  }).catch(() => undefined);
  return key !== undefined && key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * Checks station passwords against stored hashes with the install's key. A legacy scrypt hash that verifies is
 * handed to `upgraded` with its replacement, so each station pays scrypt once more after the upgrade, never again.
 */
export class PasswordVerifier {
  constructor(
    readonly key: PasswordKey,
    private readonly upgraded: (stationId: string, from: string, to: string) => void = () => undefined,
  ) {}

  hash(password: string): string {
    return hashPassword(password, this.key);
  }

  matches(password: string, stored: string): Promise<boolean> {
    return verifyPassword(password, stored, this.key);
  }

  async verify(stationId: string, password: string, stored: string): Promise<boolean> {
    const valid = await verifyPassword(password, stored, this.key);
    if (valid && isLegacyHash(stored)) this.upgraded(stationId, stored, this.hash(password));
    return valid;
  }
}
