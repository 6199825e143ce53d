// Station Basic-auth passwords (OCPP security profiles 1 and 2): only a salted scrypt hash is ever stored.
// Format `scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>`, so the cost can be raised later without breaking old hashes.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST.N, COST.r, COST.p);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `stored`; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * scrypt is slow on purpose (~50 ms on the libuv pool); a reconnect storm of thousands of stations must not pay it
 * again for a password already proven in this process. A success is remembered as a SHA-256 of (hash, password)
 * per station; a wrong password, a changed hash or a new process always goes through scrypt.
 */
export class PasswordVerifier {
  private readonly proven = new Map<string, { readonly stored: string; readonly digest: Buffer }>();

  async verify(stationId: string, password: string, stored: string): Promise<boolean> {
    const digest = createHash('sha256').update(stored).update('\0').update(password).digest();
    const known = this.proven.get(stationId);
    if (known && known.stored === stored && timingSafeEqual(known.digest, digest)) return true;
    const valid = await verifyPassword(password, stored);
    if (valid) this.proven.set(stationId, { stored, digest });
    return valid;
  }

  forget(stationId: string): void {
    this.proven.delete(stationId);
  }
}
