#!/usr/bin/env node
// Command-line entry: parses flags, loads the configuration, starts the agent, stops it on SIGTERM/SIGINT.
// Exit codes: 0 clean stop, 1 start-up or runtime failure, 2 bad command line or configuration.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from './config/load';
import { localSecrets, type LocalSecrets } from './config/local-secrets';
import type { FlexbridgeConfig } from './config/schema';
import { systemClock } from './core/scheduler';
import { startAgent, type Agent } from './agent';
import { createLogger } from './observability/log';
import { runStationCli } from './cli/station';
import { runSecretsCli } from './cli/secrets';
import { rekeySecretsFile } from './store/sqlite/secrets';

export const EXIT_FAILURE = 1;
export const EXIT_BAD_CONFIG = 2;

interface CliOptions {
  config?: string;
  checkConfig?: boolean;
  localSecrets?: string;
}

/** The version in flexbridge's package.json: next to src/ when run from source, two folders up from dist/src/. */
export function packageVersion(): string {
  for (const file of [path.resolve(__dirname, '../package.json'), path.resolve(__dirname, '../../package.json')]) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    if (typeof manifest !== 'object' || manifest === null) continue;
    const name: unknown = Reflect.get(manifest, 'name');
    const version: unknown = Reflect.get(manifest, 'version');
    if (name === 'flexbridge' && typeof version === 'string') return version;
  }
  return 'unknown';
}

/** `http.tls.certFile: /etc/x.pem: not found` for each TLS file the agent would fail to read at start. */
export function tlsFileProblems(config: FlexbridgeConfig): string[] {
  const files: [string, string | undefined][] = [
    ['http.tls.certFile', config.http.tls?.certFile],
    ['http.tls.keyFile', config.http.tls?.keyFile],
    ['ocpp.tls.certFile', config.ocpp.tls?.certFile],
    ['ocpp.tls.keyFile', config.ocpp.tls?.keyFile],
    ['ocpp.tls.caFile', config.ocpp.tls?.caFile],
    ['ocpp.upstream.caFile', config.ocpp.upstream?.caFile],
  ];
  return files.flatMap(([field, file]) => {
    if (file === undefined) return [];
    try {
      if (!fs.statSync(file).isFile()) return [`${field}: ${file}: not a file`];
      fs.accessSync(file, fs.constants.R_OK);
      return [];
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : '';
      return [
        `${field}: ${file}: ${code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not readable by this user' : code || 'cannot be read'}`,
      ];
    }
  });
}

function parseArgs(argv: readonly string[]): CliOptions {
  const program = new Command()
    .name('flexbridge')
    .description('OSCP 2.0 Flexibility Provider agent: grid capacity forecasts → OCPP 2.0.1 charging profiles')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .option('-c, --config <file>', `configuration file (default: $FLEXBRIDGE_CONFIG or ${DEFAULT_CONFIG_FILE})`)
    .option('--check-config', 'validate the configuration, print the result and exit')
    .option(
      '--local-secrets <file>',
      'take the ${NAME} secrets the environment does not set from this file, generated there on first use (npm start)',
    )
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  program.parse(argv, { from: 'node' });
  return program.opts<CliOptions>();
}

export async function main(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const io = { env, stdout: (text: string) => process.stdout.write(text), stderr: (text: string) => process.stderr.write(text) };
  // `flexbridge station …`: provisioning; `flexbridge secrets rekey`: the store's key. Neither starts the agent.
  if (argv[2] === 'station') return runStationCli(argv.slice(3), io);
  if (argv[2] === 'secrets') return runSecretsCli(argv.slice(3), io, rekeySecretsFile);
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_BAD_CONFIG;
    throw error;
  }
  const file = options.config ?? env.FLEXBRIDGE_CONFIG ?? DEFAULT_CONFIG_FILE;
  let secrets: LocalSecrets | undefined;
  if (options.localSecrets !== undefined) {
    try {
      secrets = localSecrets(options.localSecrets, fs.readFileSync(file, 'utf8'), env);
    } catch (error) {
      process.stderr.write(
        `flexbridge: --local-secrets ${options.localSecrets}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return EXIT_BAD_CONFIG;
    }
  }
  let config;
  try {
    config = loadConfig(file, secrets?.env ?? env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`flexbridge: ${error.message}\n`);
    return EXIT_BAD_CONFIG;
  }
  // What start would fail on, said before it tries: every TLS file must exist and be readable.
  const unreadable = tlsFileProblems(config);
  if (unreadable.length > 0) {
    process.stderr.write(
      `flexbridge: ${file}: ${unreadable.length} TLS file(s) cannot be used:\n${unreadable.map((p) => `  ${p}`).join('\n')}\n`,
    );
    return EXIT_BAD_CONFIG;
  }
  if (options.checkConfig) {
    process.stdout.write(
      `flexbridge: ${file} is valid (${config.groups.length} groups, ${config.stations.length} stations, ${config.oscp.peers.length} OSCP peers)\n`,
    );
    return 0;
  }

  const logger = createLogger({ level: config.log.level });
  if (secrets && (secrets.generated.length > 0 || secrets.used.length > 0)) {
    logger.info('local secrets', {
      file: options.localSecrets,
      ...(secrets.generated.length > 0 && { generated: secrets.generated }),
      ...(secrets.used.length > 0 && { read: secrets.used }),
    });
  }
  process.on('unhandledRejection', (reason) => logger.error('unhandled promise rejection', { error: reason }));
  // The handlers are in place before the agent starts: a SIGTERM that arrives during the start-up, or just after the
  // "flexbridge started" line, stops the agent cleanly instead of killing the process with the signal's default action.
  let signalled: NodeJS.Signals | undefined;
  let onStopSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (onStopSignal) onStopSignal(signal);
    else signalled ??= signal;
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  let agent: Agent;
  try {
    agent = await startAgent(config, { logger });
  } catch (error) {
    logger.error('flexbridge failed to start', { error });
    return EXIT_FAILURE;
  }
  return new Promise<number>((resolve) => {
    onStopSignal = (signal) => {
      // A second signal, or a stop that overruns its budget, ends the process at once.
      systemClock.setTimer(() => resolve(EXIT_FAILURE), config.http.shutdownTimeoutMs + 2000);
      process.once(signal, () => resolve(EXIT_FAILURE));
      agent.stop(`received ${signal}`).then(
        () => resolve(0),
        (error: unknown) => {
          logger.error('flexbridge did not stop cleanly', { error });
          resolve(EXIT_FAILURE);
        },
      );
    };
    if (signalled) onStopSignal(signalled);
  });
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`flexbridge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(EXIT_FAILURE);
    },
  );
}
