// Structured JSON logging (winston): one event per line, child loggers carry groupId / stationId / peer.
// Secrets never reach a transport: known secret keys are masked, `Token`/`Basic` credentials and `?token=` redacted.
import winston from 'winston';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Context fields every log line of a component carries. */
export interface LogContext {
  component?: string;
  groupId?: string;
  stationId?: string;
  peer?: string;
  [key: string]: unknown;
}

export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  child(context: LogContext): Logger;
}

const SECRET_KEY = /^(password|passwd|token|bootstraptoken|registertoken|outboundtoken|authorization|secret|apikey|api_key|bearer)$/i;
const CREDENTIAL_IN_TEXT = /\b(Token|Bearer|Basic)\s+([A-Za-z0-9._~+/=-]+)/g;
/** A credential in a URL's query (the event stream's `?token=`, a webhook or peer URL's `access_token=`, …). */
const CREDENTIAL_IN_QUERY = /([?&;](?:token|access_token|api_key|apikey|password|secret)=)[^&#\s"']*/gi;

/**
 * Whether the word after Token/Bearer/Basic is a credential rather than prose ("HTTP Basic auth", "Bearer token"):
 * anything but one plain lower-case word is treated as a credential.
 */
function isCredential(word: string): boolean {
  return !/^[a-z]+$/.test(word);
}
export const REDACTED = '[redacted]';

/**
 * A number as people read it: binary float noise of sums and differences removed (385.9999999999997 → 386,
 * 0.30000000000000004 → 0.3), at most 3 decimals — amps to the milliamp, times to the millisecond. Integers and
 * non-finite values pass unchanged.
 */
export function readableNumber(value: number): number {
  if (!Number.isFinite(value) || Number.isInteger(value)) return value;
  const rounded = Math.round(value * 1000) / 1000;
  return Object.is(rounded, -0) ? 0 : rounded;
}

/** JSON.stringify's replacer that makes every number a readable one (API answers, events, webhooks). */
export const readableNumbers = (_key: string, value: unknown): unknown => (typeof value === 'number' ? readableNumber(value) : value);

/** Deep copy of `value` with secrets masked; safe on cycles and bounded in depth. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'number') return readableNumber(value);
  if (typeof value === 'string')
    return value
      .replace(CREDENTIAL_IN_TEXT, (match, scheme: string, word: string) => (isCredential(word) ? `${scheme} ${REDACTED}` : match))
      .replace(CREDENTIAL_IN_QUERY, (_match, name: string) => `${name}${REDACTED}`);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return { name: value.name, message: redact(value.message, depth + 1, seen), stack: redact(value.stack, depth + 1, seen) };
  if (seen.has(value) || depth > 8) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== undefined && item !== null ? REDACTED : redact(item, depth + 1, seen);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'timestamp') continue;
    const value = info[key];
    info[key] = SECRET_KEY.test(key) && value !== undefined ? REDACTED : redact(value);
  }
  return info;
});

function wrap(logger: winston.Logger): Logger {
  return {
    error: (message, fields) => logger.error(message, fields),
    warn: (message, fields) => logger.warn(message, fields),
    info: (message, fields) => logger.info(message, fields),
    debug: (message, fields) => logger.debug(message, fields),
    child: (context) => wrap(logger.child(context)),
  };
}

export interface LoggerOptions {
  level: LogLevel;
  /** Extra transport (tests capture lines with it); defaults to JSON on stdout. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console({ stderrLevels: [] });
  return wrap(
    winston.createLogger({
      level: options.level,
      format: winston.format.combine(winston.format.timestamp(), redactFormat(), winston.format.json()),
      transports: [transport],
    }),
  );
}

/** A logger that drops everything, for unit tests of pure parts. */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
