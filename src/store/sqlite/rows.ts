// Reading rows back from SQLite: every row goes through a zod schema, and a row that does not fit is an error naming
// the table, the row's key and the field — flexbridge stops on a corrupt store rather than act on it (issue #17 item 7).
import { z } from 'zod';

/** A row (or its JSON column) that does not match what flexbridge wrote: the file was damaged or edited. */
export class CorruptRowError extends Error {
  override readonly name = 'CorruptRowError';

  constructor(
    readonly table: string,
    readonly key: string,
    problem: string,
  ) {
    super(
      `store: table ${table}, row ${key}: ${problem} — the row is not what flexbridge wrote; repair or delete it (sqlite3 <store.path>) and start again`,
    );
  }
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(value)'}: ${issue.message}`)
    .join('; ');
}

/** `value` read with `schema`, or a CorruptRowError naming `table` and `key`. */
export function readRow<T>(schema: z.ZodType<T>, table: string, key: string, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CorruptRowError(table, key, describe(parsed.error));
  return parsed.data;
}

/** A JSON column read with `schema`: malformed JSON and a wrong shape are both a CorruptRowError. */
export function readJson<T>(schema: z.ZodType<T>, table: string, key: string, column: string, text: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CorruptRowError(table, key, `${column}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CorruptRowError(table, key, `${column}: ${describe(parsed.error)}`);
  return parsed.data;
}

/** The key of a row for the error message, whatever shape the row has. */
export function keyOf(row: unknown, column: string): string {
  if (typeof row === 'object' && row !== null && column in row) return `${column}=${String((row as Record<string, unknown>)[column])}`;
  return '(no key)';
}
