// `flexbridge secrets rekey`: rotates FLEXBRIDGE_SECRETS_KEY, or turns sealing on for a store kept in clear, by
// re-sealing every secret at rest in one transaction with the agent stopped. Exit 0 ok, 1 refused or failed, 2 usage.
import { Command, CommanderError } from 'commander';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load';
import { localEnv, type CliIo } from './station';

/** The environment variables the keys are read from unless --from-env / --to-env name others. */
export const OLD_KEY_ENV = 'FLEXBRIDGE_SECRETS_KEY';
export const NEW_KEY_ENV = 'FLEXBRIDGE_SECRETS_KEY_NEW';

/**
 * The store's re-keying, handed in by main (the CLI layer does not reach into the store): opens `file` exclusively,
 * re-seals from the old key (none: the values are in clear) to the new one, and throws an Error whose message says
 * why nothing was changed (store open elsewhere, wrong old key, bad key format).
 */
export type RekeySecrets = (
  file: string,
  keys: {
    readonly from: { readonly name: string; readonly value: string | undefined };
    readonly to: { readonly name: string; readonly value: string | undefined };
  },
) => { readonly resealed: number; readonly sealed: number; readonly fromKeyId?: string; readonly toKeyId: string };

interface RekeyOptions {
  config?: string;
  store?: string;
  fromEnv: string;
  toEnv: string;
  json?: boolean;
}

class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The store file: --store, else store.path of the configuration the agent runs with. */
function storeFile(options: RekeyOptions, env: NodeJS.ProcessEnv): string {
  if (options.store !== undefined) return options.store;
  const file = options.config ?? env.FLEXBRIDGE_CONFIG ?? DEFAULT_CONFIG_FILE;
  try {
    // A local install keeps the default configuration's ${NAME} secrets where npm start generated them.
    return loadConfig(file, options.config === undefined && env.FLEXBRIDGE_CONFIG === undefined ? localEnv(env) : env).store.path;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliFailure(`${error.message}\n(or name the store file with --store <file>)`, 2);
    throw error;
  }
}

/** Runs `flexbridge secrets …` with `argv` after "secrets"; resolves with the exit code. */
export async function runSecretsCli(argv: readonly string[], io: CliIo, rekey: RekeySecrets): Promise<number> {
  const program = new Command('secrets')
    .description('manage the key that seals the secrets at rest (outbound OSCP tokens, stored upstream passwords)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program
    .command('rekey')
    .description(
      `re-seal every secret in the store from the old key ($${OLD_KEY_ENV}; unset: the store is in clear) to the new one ` +
        `($${NEW_KEY_ENV}), in one transaction; the agent must be stopped (a store it holds is refused)`,
    )
    .option(
      '-c, --config <file>',
      `configuration file whose store.path is re-keyed (default: $FLEXBRIDGE_CONFIG or ${DEFAULT_CONFIG_FILE})`,
    )
    .option('--store <file>', 'the SQLite store file itself, instead of the one in the configuration')
    .option('--from-env <name>', 'environment variable holding the old key', OLD_KEY_ENV)
    .option('--to-env <name>', 'environment variable holding the new key', NEW_KEY_ENV)
    .option('--json', 'machine-readable output')
    .action((options: RekeyOptions) => {
      const file = storeFile(options, io.env);
      let report: ReturnType<RekeySecrets>;
      try {
        report = rekey(file, {
          from: { name: options.fromEnv, value: io.env[options.fromEnv] },
          to: { name: options.toEnv, value: io.env[options.toEnv] },
        });
      } catch (error) {
        if (error instanceof Error) throw new CliFailure(`${file} not re-keyed, nothing changed: ${error.message}`);
        throw error;
      }
      const total = report.resealed + report.sealed;
      io.stdout(
        options.json
          ? `${JSON.stringify({ store: file, ...report }, null, 2)}\n`
          : `${file}: ${total} secret(s) now sealed with key id ${report.toKeyId}: ${report.resealed} re-sealed` +
              `${report.fromKeyId === undefined ? '' : ` from key id ${report.fromKeyId}`}, ${report.sealed} sealed from clear.\n` +
              `Start the agent with ${OLD_KEY_ENV} set to the new key (the value of ${options.toEnv}); the old key opens nothing any more.\n`,
      );
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof CliFailure) {
      io.stderr(`flexbridge secrets: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  return 0;
}
