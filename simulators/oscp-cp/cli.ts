// Command line for the CP (DSO) simulator: `npm run sim:cp -- --direction cp --fp-url http://127.0.0.1:8080/oscp/fp/2.0 --token …`.
// Serves the CP endpoints, registers, handshakes, plays a scenario; progress line on stderr, summary table at the end.
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import {
  CapacityProviderConfigError,
  loadScenario,
  ScenarioFileError,
  startCapacityProvider,
  type CapacityProvider,
  type CapacityProviderOptionsInput,
  type ScenarioRun,
} from './index';
import { MeasurementConfiguration } from './wire';

function number(name: string, { integer = false, min = 0 } = {}): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || (integer && !Number.isInteger(parsed))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${value}"`);
    }
    return parsed;
  };
}

function measurementList(value: string): MeasurementConfiguration[] {
  const items = value === '' ? [] : value.split(',').map((item) => item.trim().toUpperCase());
  const parsed = MeasurementConfiguration.array().safeParse(items);
  if (!parsed.success)
    throw new InvalidArgumentError(`--measurement takes CONTINUOUS, INTERMITTENT or both, comma-separated; got "${value}"`);
  return parsed.data;
}

function pauseWindow(value: string): [number, number] {
  const match = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(value);
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  if (match === null || !(to > from))
    throw new InvalidArgumentError(`--pause-heartbeats takes <fromS>-<toS>, e.g. 120-300; got "${value}"`);
  return [from, to];
}

const program = new Command('sim:cp')
  .description('Simulate an OSCP 2.0 Capacity Provider (DSO) towards a Flexibility Provider')
  .addOption(
    new Option(
      '--direction <who>',
      'who registers first: cp = we register with the FP (needs --fp-url, --token); fp = the FP registers with us',
    )
      .choices(['cp', 'fp'])
      .default('fp'),
  )
  .option('--fp-url <url>', 'FP base URL, e.g. http://127.0.0.1:8080/oscp/fp/2.0 (direction fp: fallback if its Register has none usable)')
  .option(
    '--token <token>',
    'bootstrap token: direction cp = the one the FP operator issued; direction fp = the one we accept (default: generated)',
  )
  .option('--port <n>', 'port of the CP endpoints', number('--port', { integer: true }), 9930)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--base-path <path>', 'path of the CP endpoints', '/oscp/cp/2.0')
  .option('--public-url <url>', 'base URL announced to the FP (default http://<host>:<port><base-path>)')
  .option('--scenario <file>', 'JSON scenario (e.g. config/scenarios/cp-day.json), played once the handshake is done')
  .option('--group <id>', 'group_id to use instead of the scenario one')
  .option('--heartbeat-interval <s>', 'heartbeat_interval we ask the FP for, s (0 = none)', number('--heartbeat-interval'), 60)
  .option('--measurement <list>', 'measurement_configuration we ask for: CONTINUOUS, INTERMITTENT or both', measurementList, ['CONTINUOUS'])
  .option('--pause-heartbeats <fromS-toS>', 'stop our heartbeats in this window (s after start) so the FP falls back', pauseWindow)
  .addOption(new Option('--adjust-answer <mode>', 'answer to AdjustGroupCapacityForecast').choices(['none', 'grant']).default('none'))
  .option('--reply-delay <ms>', 'delay before Register back / HandshakeAcknowledge', number('--reply-delay', { integer: true }), 500)
  .option('--handshake-delay <ms>', 'delay between registration and our Handshake', number('--handshake-delay', { integer: true }), 1000)
  .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)', number('--duration', { min: 1 }))
  .addHelpText('after', '\nSend SIGUSR1 to stop / resume our heartbeats while running (kill -USR1 <pid>).');

interface CliOptions {
  direction: 'cp' | 'fp';
  fpUrl?: string;
  token?: string;
  port: number;
  host: string;
  basePath: string;
  publicUrl?: string;
  scenario?: string;
  group?: string;
  heartbeatInterval: number;
  measurement: MeasurementConfiguration[];
  pauseHeartbeats?: [number, number];
  adjustAnswer: 'none' | 'grant';
  replyDelay: number;
  handshakeDelay: number;
  duration?: number;
}

class CliError extends Error {}

function simulatorOptions(cli: CliOptions): CapacityProviderOptionsInput {
  return {
    port: cli.port,
    host: cli.host,
    basePath: cli.basePath,
    ...(cli.publicUrl === undefined ? {} : { publicBaseUrl: cli.publicUrl }),
    ...(cli.fpUrl === undefined ? {} : { fpBaseUrl: cli.fpUrl }),
    bootstrapTokens: cli.direction === 'fp' && cli.token !== undefined ? [cli.token] : [],
    heartbeatIntervalS: cli.heartbeatInterval,
    measurementConfiguration: cli.measurement,
    adjustAnswer: cli.adjustAnswer,
    replyDelayMs: cli.replyDelay,
    handshakeDelayMs: cli.handshakeDelay,
  };
}

function status(cp: CapacityProvider, run: ScenarioRun | undefined): string {
  const s = cp.state();
  const counts = cp.summary();
  const total = (direction: 'in' | 'out'): number => counts.filter((c) => c.direction === direction).reduce((sum, c) => sum + c.count, 0);
  const beats = s.heartbeats.held ? 'held' : s.heartbeats.running ? `every ${s.heartbeats.intervalS}s` : 'off';
  const fpBeat = s.lastHeartbeatFromFp === undefined ? '–' : s.fpOffline ? 'OFFLINE' : 'online';
  const planned = run === undefined ? '' : `/${run.planned.length}`;
  return (
    `${s.registration.toLowerCase()} handshake ${s.handshakeDone ? 'done' : 'pending'} | in ${total('in')} out ${total('out')} | ` +
    `forecasts ${s.forecastsSent}${planned} | our heartbeats ${beats} | FP ${fpBeat}`
  );
}

function summaryTable(cp: CapacityProvider): string {
  const table = new Table({ head: ['direction', 'message', 'status', 'count'], style: { head: [], border: [], compact: true } });
  for (const row of cp.summary()) table.push([row.direction, row.kind, row.status === 0 ? 'no answer' : row.status, row.count]);
  if (table.length === 0) table.push(['–', 'no messages', '', 0]);
  return table.toString();
}

async function main(): Promise<void> {
  program.parse();
  const cli = program.opts<CliOptions>();
  if (cli.direction === 'cp' && (cli.fpUrl === undefined || cli.token === undefined)) {
    throw new CliError('--direction cp needs --fp-url and --token (the bootstrap token the FP operator issued)');
  }
  const scenario = cli.scenario === undefined ? undefined : loadScenario(cli.scenario);
  if (scenario !== undefined && cli.group !== undefined) scenario.groupId = cli.group;
  const cp = await startCapacityProvider(simulatorOptions(cli));
  const say = (line: string): boolean => process.stderr.write(`${line}\n`);
  say(`sim:cp: CP endpoints at ${cp.baseUrl}`);

  let run: ScenarioRun | undefined;
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (cli.duration !== undefined) setTimeout(resolve, cli.duration * 1000).unref();
  });
  process.on('SIGUSR1', () => (cp.state().heartbeats.held ? cp.resumeHeartbeats() : cp.stopHeartbeats()));
  if (cli.pauseHeartbeats !== undefined) {
    const [fromS, toS] = cli.pauseHeartbeats;
    setTimeout(() => cp.stopHeartbeats(), fromS * 1000).unref();
    setTimeout(() => cp.resumeHeartbeats(), toS * 1000).unref();
  }

  if (cli.direction === 'fp') {
    const token = cli.token ?? cp.issueBootstrapToken();
    say(`sim:cp: waiting for the FP to register at ${cp.baseUrl}/register with bootstrap token ${token}`);
  } else if (cli.fpUrl !== undefined && cli.token !== undefined) {
    const result = await cp.registerWith(cli.fpUrl, cli.token);
    say(
      `sim:cp: Register to ${cli.fpUrl}: ${result.status === 0 ? 'no answer' : result.status}${result.error ? ` (${result.error})` : ''}`,
    );
  }

  const bar = new SingleBar({
    format: cli.duration === undefined ? 't={duration}s | {status}' : '[{bar}] {duration}/{total}s | {status}',
    hideCursor: false,
    barsize: 20,
  });
  bar.start(cli.duration ?? 0, 0, { status: status(cp, run) });
  const startedMs = Date.now();
  const ticker = setInterval(() => {
    if (scenario !== undefined && run === undefined && cp.state().handshakeDone) run = cp.runScenario(scenario);
    bar.update(Math.round((Date.now() - startedMs) / 1000), { status: status(cp, run) });
  }, 500);

  await stopped;
  clearInterval(ticker);
  bar.update(Math.round((Date.now() - startedMs) / 1000), { status: status(cp, run) });
  bar.stop();
  await cp.close();
  process.removeAllListeners('SIGUSR1');
  process.stdout.write(`${summaryTable(cp)}\n`);
}

main().catch((error: unknown) => {
  const known = error instanceof CliError || error instanceof CapacityProviderConfigError || error instanceof ScenarioFileError;
  process.stderr.write(
    `sim:cp: ${known && error instanceof Error ? error.message : String(error instanceof Error ? error.stack : error)}\n`,
  );
  process.exit(1);
});
