// Date-times on the OSCP wire (digest §9): RFC 3339 with an explicit offset in, UTC with `Z` out.
// Inside flexbridge every instant is epoch milliseconds; strings exist only here and in stored records.

/** RFC 3339 date-time with offset; `T`, `t` or a space between date and time, as the RFC allows. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
/** pyoscp's heartbeat quirk (digest §9): `YYYY-MM-DD HH:MM:SS`, no offset. */
const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/**
 * Epoch ms of the fields, or undefined when one is out of range (month 13, 31 February, hour 24, second 60, offset
 * beyond ±23:59). Parsed by hand, not by luxon: a 1 MB forecast carries ~18,000 of them, checked several times each,
 * and luxon's parser took ~15 µs apiece (half a second of main thread per forecast, issue #17 item 3).
 */
function fieldsMs(match: RegExpExecArray, offsetIndex: number | undefined): number | undefined {
  const field = (i: number): number => Number(match[i]);
  const [year, month, day, hour, minute, second] = [field(1), field(2), field(3), field(4), field(5), field(6)];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1) return undefined;
  const fraction = match[7];
  const ms = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  let offsetMin = 0;
  if (offsetIndex !== undefined && match[offsetIndex] !== undefined) {
    const offsetH = Number(match[offsetIndex + 1]);
    const offsetM = Number(match[offsetIndex + 2]);
    if (offsetH > 23 || offsetM > 59) return undefined;
    offsetMin = (match[offsetIndex] === '-' ? -1 : 1) * (offsetH * 60 + offsetM);
  }
  return date.getTime() + ((hour * 60 + minute - offsetMin) * 60 + second) * 1000 + ms;
}

/**
 * The last wire times read, and what they meant (null: not RFC 3339). A forecast names each instant up to six times
 * (the end of one block is the start of the next, per-phase blocks share theirs) and every check reads them again;
 * bounded, and simply emptied when full.
 */
const recent = new Map<string, number | null>();
const RECENT_MAX = 50_000;

function parseRfc3339(value: string): number | undefined {
  const known = recent.get(value);
  if (known !== undefined) return known ?? undefined;
  const match = RFC3339.exec(value);
  const ms = match ? fieldsMs(match, 9) : undefined;
  if (recent.size >= RECENT_MAX) recent.clear();
  recent.set(value, ms ?? null);
  return ms;
}

function parseNaive(value: string): number | undefined {
  const match = NAIVE.exec(value);
  return match ? fieldsMs(match, undefined) : undefined;
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

/** Epoch ms of a wire date-time that a schema already validated; throws on anything else. */
export function wireTimeMs(value: string): number {
  const parsed = parseRfc3339(value) ?? parseNaive(value);
  if (parsed === undefined) throw new RangeError(`not an RFC 3339 date-time: ${value}`);
  return parsed;
}

/** UTC, millisecond precision, `Z` — what every peer accepts (digest §15 item 7). */
export function toWireTime(ms: number): string {
  return new Date(ms).toISOString();
}
