// OSCP tokens (digest §4): minted from crypto.randomBytes, kept only as SHA-256 when they authenticate peers to us.
// Also reads `Authorization: Token <token>`; the scheme word is matched case-insensitively, like SolarNetwork.
import crypto from 'node:crypto';
import { ForbiddenError, MissingTokenError } from './errors';

/** 48 random bytes, base64url: 64 characters, the shape SolarNetwork uses. */
export function mintToken(): string {
  return crypto.randomBytes(48).toString('base64url');
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex SHA-256 digests. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && crypto.timingSafeEqual(left, right);
}

/** The token of an `Authorization` header; 401 when absent or empty, 403 for another scheme such as Bearer. */
export function tokenFromHeader(header: string | undefined): string {
  if (header === undefined || header.trim() === '') throw new MissingTokenError('Authorization header missing: expected "Token <token>"');
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header.trim());
  if (!match) throw new MissingTokenError('Authorization header carries no token: expected "Token <token>"');
  if ((match[1] ?? '').toLowerCase() !== 'token')
    throw new ForbiddenError(`Authorization scheme "${match[1] ?? ''}" is not OSCP: expected "Token"`);
  return match[2] ?? '';
}
