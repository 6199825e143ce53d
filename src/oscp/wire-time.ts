// Date-times on the OSCP wire (digest §9): RFC 3339 with an explicit offset in, UTC with `Z` out.
// Inside flexbridge every instant is epoch milliseconds; luxon parses the wire forms here and strings exist only here.
import { DateTime } from 'luxon';

/** RFC 3339 date-time with offset; `T`, `t` or a space between date and time, as the RFC allows. */
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([Zz]|[+-]\d{2}:\d{2})$/;
/** pyoscp's heartbeat quirk (digest §9): `YYYY-MM-DD HH:MM:SS`, no offset. */
const NAIVE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/;

function parseRfc3339(value: string): DateTime | undefined {
  const match = RFC3339.exec(value);
  if (!match) return undefined;
  const offset = (match[3] ?? 'Z').toUpperCase();
  const parsed = DateTime.fromISO(`${match[1]}T${match[2]}${offset}`, { setZone: true });
  return parsed.isValid ? parsed.toUTC() : undefined;
}

export function isRfc3339(value: string): boolean {
  return parseRfc3339(value) !== undefined;
}

/**
 * Accepts RFC 3339 and, for pyoscp, a naive date-time. The naive form has no zone; we read it as UTC
 * (pyoscp means its host's local time, which we cannot know — UTC is the usual server setting).
 */
export function isLenientDateTime(value: string): boolean {
  return isRfc3339(value) || parseNaive(value) !== undefined;
}

function parseNaive(value: string): DateTime | undefined {
  const match = NAIVE.exec(value);
  if (!match) return undefined;
  const parsed = DateTime.fromISO(`${match[1]}T${match[2]}`, { zone: 'utc' });
  return parsed.isValid ? parsed : undefined;
}

/** Epoch ms of a wire date-time that a schema already validated; throws on anything else. */
export function wireTimeMs(value: string): number {
  const parsed = parseRfc3339(value) ?? parseNaive(value);
  if (!parsed) throw new RangeError(`not an RFC 3339 date-time: ${value}`);
  return parsed.toMillis();
}

/** UTC, millisecond precision, `Z` — what every peer accepts (digest §15 item 7). */
export function toWireTime(ms: number): string {
  return new Date(ms).toISOString();
}
