// Loads the configuration: JSON file (from --config or FLEXBRIDGE_CONFIG), ${VAR} secrets from the
// environment, FLEXBRIDGE_* overrides for ports and paths, then one zod validation with field-level errors.
import fs from 'node:fs';
import type { z } from 'zod';
import { FlexbridgeConfigSchema, type FlexbridgeConfig } from './schema';

export const DEFAULT_CONFIG_FILE = 'config/default.json';

/** A configuration problem; `problems` name the field, the value and what was expected. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variables that override one field each (ports, paths, secrets a container injects). */
const ENV_OVERRIDES: ReadonlyArray<{ variable: string; path: readonly string[]; kind: 'string' | 'integer' }> = [
  { variable: 'FLEXBRIDGE_HTTP_HOST', path: ['http', 'host'], kind: 'string' },
  { variable: 'FLEXBRIDGE_HTTP_PORT', path: ['http', 'port'], kind: 'integer' },
  { variable: 'FLEXBRIDGE_OCPP_HOST', path: ['ocpp', 'host'], kind: 'string' },
  { variable: 'FLEXBRIDGE_OCPP_PORT', path: ['ocpp', 'port'], kind: 'integer' },
  { variable: 'FLEXBRIDGE_STORE_PATH', path: ['store', 'path'], kind: 'string' },
  { variable: 'FLEXBRIDGE_LOG_LEVEL', path: ['log', 'level'], kind: 'string' },
  { variable: 'FLEXBRIDGE_PUBLIC_BASE_URL', path: ['oscp', 'publicBaseUrl'], kind: 'string' },
];

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '') ||
    '(root)'
  );
}

/** Replaces "${NAME}" inside string values with the environment variable NAME; a missing one is an error. */
function substituteEnv(value: unknown, env: Env, path: PropertyKey[], problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)\}/g, (_match, name: string) => {
      const found = env[name];
      if (found === undefined)
        problems.push(`${fieldPath(path)}: environment variable ${name} is not set (the value refers to \${${name}})`);
      return found ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, [...path, i], problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteEnv(item, env, [...path, key], problems)]));
  }
  return value;
}

function applyOverrides(raw: Record<string, unknown>, env: Env, problems: string[]): void {
  for (const { variable, path, kind } of ENV_OVERRIDES) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    const value = kind === 'integer' ? Number(text) : text;
    if (kind === 'integer' && !Number.isInteger(value)) {
      problems.push(`${variable}: got ${describe(text)}, expected an integer (it overrides ${path.join('.')})`);
      continue;
    }
    let node = raw;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node[key] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
  }
}

/** Fields whose value must not appear in an error message (it would end up in logs and terminals). */
const SECRET_FIELD = /(password|token|secret)$/i;

/** Every key the configuration knows, at any depth: the candidates for "did you mean". */
function knownKeys(schema: z.core.$ZodType, into = new Set<string>()): Set<string> {
  const def = schema._zod.def as {
    shape?: Record<string, z.core.$ZodType>;
    element?: z.core.$ZodType;
    innerType?: z.core.$ZodType;
    in?: z.core.$ZodType;
  };
  if (def.shape) {
    for (const [key, child] of Object.entries(def.shape)) {
      into.add(key);
      knownKeys(child, into);
    }
  }
  for (const inner of [def.element, def.innerType, def.in]) if (inner) knownKeys(inner, into);
  return into;
}

const KNOWN_KEYS = [...knownKeys(FlexbridgeConfigSchema)];

/** Edit distance, for suggesting the key that was meant (typos are one or two edits away). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const kept = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      previous = kept;
    }
  }
  return row[b.length] ?? 0;
}

function closestKey(key: string): string | undefined {
  let best: { key: string; score: number } | undefined;
  for (const candidate of KNOWN_KEYS) {
    const score = distance(key, candidate);
    if (!best || score < best.score) best = { key: candidate, score };
  }
  return best && best.score <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const suggestion = closestKey(key);
        return `${fieldPath([...issue.path, key])}: unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
      });
    }
    const expected = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
    const secret = SECRET_FIELD.test(String(issue.path[issue.path.length - 1] ?? ''));
    const got = !('input' in issue)
      ? ''
      : secret
        ? issue.input === undefined
          ? 'missing'
          : 'got [redacted]'
        : `got ${describe(issue.input)}`;
    return [[fieldPath(issue.path), [got, expected].filter(Boolean).join(', ')].join(': ')];
  });
}

/** Validates an already-parsed configuration object (after substitution and overrides). */
export function parseConfig(raw: unknown, source: string): FlexbridgeConfig {
  const result = FlexbridgeConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(source, formatIssues(result.error.issues));
  return result.data;
}

/** Reads, substitutes, overrides and validates the configuration file. Throws ConfigError on any problem. */
export function loadConfig(file: string, env: Env = process.env): FlexbridgeConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file: ${error instanceof Error ? error.message : String(error)}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(file, [`(root): got ${describe(parsed)}, expected a JSON object`]);
  }
  const problems: string[] = [];
  const substituted = substituteEnv(parsed, env, [], problems) as Record<string, unknown>;
  applyOverrides(substituted, env, problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return parseConfig(substituted, file);
}
