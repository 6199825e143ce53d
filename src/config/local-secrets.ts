// First-run secrets for a local agent (`npm start`): every ${NAME} the configuration refers to that the environment
// does not set is taken from a file next to the store, generated there once (random, mode 0600) if it is missing.
// The environment always wins; the values are never logged — only the file and the names.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface LocalSecrets {
  /** The environment to load the configuration with: the file's values under the real environment's. */
  readonly env: NodeJS.ProcessEnv;
  /** Names generated now (the file was written). */
  readonly generated: readonly string[];
  /** Names taken from the file. */
  readonly used: readonly string[];
}

/** The ${NAME} references of a configuration file's text. */
export function referencedNames(configText: string): string[] {
  return [...new Set([...configText.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((match) => match[1] ?? ''))].filter(Boolean);
}

/** npm start's secrets file, where the default configuration's tokens live on a local install. */
export const LOCAL_SECRETS_FILE = 'data/local-secrets.json';

/** The environment with a secrets file's values under it, the file only read (tools beside the agent use it). */
export function withLocalSecrets(file: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...readSecrets(file), ...env };
}

function readSecrets(file: string): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file}: not a JSON object of secrets`);
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new Error(`${file}: ${name} is not a string`);
    secrets[name] = value;
  }
  return secrets;
}

export function localSecrets(file: string, configText: string, env: NodeJS.ProcessEnv): LocalSecrets {
  const stored = readSecrets(file);
  const missing = referencedNames(configText).filter((name) => env[name] === undefined);
  const generated = missing.filter((name) => stored[name] === undefined);
  if (generated.length > 0) {
    // 24 random bytes as hex: 48 characters, inside every length rule a token or bootstrap token has.
    for (const name of generated) stored[name] = randomBytes(24).toString('hex');
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  }
  return {
    env: { ...stored, ...env },
    generated,
    used: missing.filter((name) => !generated.includes(name)),
  };
}
