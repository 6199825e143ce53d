// Command line for the CSMS simulator: `npm run sim:csms -- --port 9100 --ocpp 2.0.1 --scenario file.json --record frames.ndjson`.
// Serves stations (or a Local Controller's upstream legs) until Ctrl-C; progress line on stderr, summary table at the end.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import Table from 'cli-table3';
import { z } from 'zod';
import {
  CsmsSimulatorConfigError,
  loadScenario,
  ScenarioFileError,
  startCsmsSimulator,
  type BootStatus,
  type CsmsSimulator,
  type CsmsSimulatorOptionsInput,
} from './index';

function number(name: string, { integer = false, min = 0 } = {}): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || (integer && !Number.isInteger(parsed))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${value}"`);
    }
    return parsed;
  };
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const program = new Command('sim:csms')
  .description('Simulate a CSMS (the upstream of a Local Controller): answer station messages, send scripted CALLs, record every frame')
  .option('--port <n>', 'port to listen on', number('--port', { integer: true }), 9100)
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--path <path>', 'path before the station identity', '/ocpp')
  .addOption(new Option('--ocpp <version>', 'OCPP version (subprotocol ocpp2.0.1 or ocpp1.6)').choices(['2.0.1', '1.6']).default('2.0.1'))
  .option('--scenario <file>', 'JSON scenario of our own CALLs, started at each station BootNotification (see README)')
  .option('--record <file>', 'NDJSON file every frame is written to')
  .option('--password-file <file>', 'JSON object { "<identity>": "<Basic-auth password>" }; without it any station gets in')
  .option('--refuse <identities>', 'comma-separated identities refused at the upgrade', list, [])
  .addOption(new Option('--refuse-status <status>', 'HTTP status for --refuse').choices(['401', '404']).default('404'))
  .option(
    '--boot-interval <s>',
    'heartbeat interval answered with an Accepted BootNotification',
    number('--boot-interval', { integer: true }),
    300,
  )
  .option('--retry-interval <s>', 'interval answered with Pending / Rejected', number('--retry-interval', { integer: true }), 10)
  .option('--pending <identities>', 'comma-separated identities whose BootNotification is answered Pending', list, [])
  .option('--reject-boot <identities>', 'comma-separated identities whose BootNotification is answered Rejected', list, [])
  .option('--reject-tokens <idTokens>', 'comma-separated idTokens / idTags answered Invalid', list, [])
  .option('--call-timeout <ms>', 'timeout of each of our CALLs', number('--call-timeout', { integer: true, min: 1 }), 10_000)
  .option('--down-at <s>', 'go down this many seconds after start', number('--down-at'))
  .option('--down-for <s>', 'how long a down lasts (--down-at, SIGUSR1)', number('--down-for'), 30)
  .addOption(new Option('--down-close <how>', 'how sockets end when going down').choices(['close', 'terminate']).default('close'))
  .addOption(new Option('--down-refusal <how>', 'what new connections get while down').choices(['refuse', '503']).default('refuse'))
  .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)', number('--duration', { min: 1 }))
  .addHelpText('after', '\nSend SIGUSR1 to go down for --down-for seconds (kill -USR1 <pid>).');

interface CliOptions {
  port: number;
  host: string;
  path: string;
  ocpp: '2.0.1' | '1.6';
  scenario?: string;
  record?: string;
  passwordFile?: string;
  refuse: string[];
  refuseStatus: '401' | '404';
  bootInterval: number;
  retryInterval: number;
  pending: string[];
  rejectBoot: string[];
  rejectTokens: string[];
  callTimeout: number;
  downAt?: number;
  downFor: number;
  downClose: 'close' | 'terminate';
  downRefusal: 'refuse' | '503';
  duration?: number;
}

class CliError extends Error {}

const PasswordFile = z.record(z.string().min(1), z.string().min(1));

function passwords(path: string): Record<string, string> {
  try {
    return PasswordFile.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new CliError(
      `--password-file ${path}: expected a JSON object of identity → password (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

function simulatorOptions(cli: CliOptions): CsmsSimulatorOptionsInput {
  const status: 401 | 404 = cli.refuseStatus === '401' ? 401 : 404;
  const perStation: Record<string, BootStatus> = {};
  for (const identity of cli.pending) perStation[identity] = 'Pending';
  for (const identity of cli.rejectBoot) perStation[identity] = 'Rejected';
  return {
    port: cli.port,
    host: cli.host,
    path: cli.path,
    ocppVersion: cli.ocpp,
    ...(cli.passwordFile === undefined ? {} : { passwords: passwords(cli.passwordFile) }),
    refuse: Object.fromEntries(cli.refuse.map((identity) => [identity, status])),
    boot: { intervalS: cli.bootInterval, retryIntervalS: cli.retryInterval, perStation },
    authorization: { idTokens: Object.fromEntries(cli.rejectTokens.map((token) => [token, 'Invalid' as const])) },
    callTimeoutMs: cli.callTimeout,
    ...(cli.record === undefined ? {} : { recordFile: cli.record }),
    downClose: cli.downClose,
    downRefusal: cli.downRefusal,
    ...(cli.scenario === undefined ? {} : { scenario: loadScenario(cli.scenario) }),
  };
}

function counts(sim: CsmsSimulator): { in: number; out: number; byStatus: Map<string, number> } {
  const frames = sim.frames.all();
  const byStatus = new Map<string, number>();
  for (const outcome of sim.outcomes()) byStatus.set(outcome.status, (byStatus.get(outcome.status) ?? 0) + 1);
  return { in: frames.filter((f) => f.direction === 'in').length, out: frames.filter((f) => f.direction === 'out').length, byStatus };
}

function progressLine(sim: CsmsSimulator, startedMs: number): string {
  const c = counts(sim);
  const connected = sim.connectedStations();
  const shown = connected.slice(0, 3).join(', ') + (connected.length > 3 ? ', …' : '');
  const calls = ['result', 'error', 'timeout', 'closed'].map((status) => `${status} ${c.byStatus.get(status) ?? 0}`).join(' ');
  return (
    `t=${Math.round((Date.now() - startedMs) / 1000)}s ${sim.isDown ? 'DOWN' : 'up'} | stations ${connected.length}${shown === '' ? '' : ` (${shown})`} | ` +
    `frames in ${c.in} out ${c.out} | our calls: ${calls}`
  );
}

function summaryTable(sim: CsmsSimulator): string {
  const table = new Table({
    head: ['station', 'connects', 'boots', 'last boot', 'frames', 'our calls answered / all'],
    style: { head: [], border: [] },
  });
  for (const station of sim.stations.all()) {
    const outcomes = sim.outcomes(station.identity);
    const answered = outcomes.filter((outcome) => outcome.status === 'result' || outcome.status === 'error').length;
    const row = [
      station.identity,
      station.connects,
      station.boots,
      station.bootStatus ?? '–',
      sim.frames.ofStation(station.identity).length,
    ];
    table.push([...row, `${answered} / ${outcomes.length}`]);
  }
  if (table.length === 0) table.push(['–', 0, 0, '–', 0, '0 / 0']);
  return table.toString();
}

async function main(): Promise<void> {
  program.parse();
  const cli = program.opts<CliOptions>();
  const sim = await startCsmsSimulator(simulatorOptions(cli));
  const say = (line: string): boolean => process.stderr.write(`${line}\n`);
  say(`sim:csms: OCPP ${cli.ocpp} CSMS at ${sim.url}/<identity>${cli.record === undefined ? '' : `, recording to ${cli.record}`}`);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (cli.duration !== undefined) setTimeout(resolve, cli.duration * 1000).unref();
  });
  const goDown = (): void => {
    say(`\nsim:csms: going down for ${cli.downFor}s`);
    void sim.goDown(cli.downFor);
  };
  process.on('SIGUSR1', () => (sim.isDown ? void sim.comeBack() : goDown()));
  if (cli.downAt !== undefined) setTimeout(goDown, cli.downAt * 1000).unref();

  const startedMs = Date.now();
  const progress = setInterval(() => process.stderr.write(`\r${progressLine(sim, startedMs)}\x1b[K`), 1000);
  await stopped;
  clearInterval(progress);
  process.stderr.write(`\r${progressLine(sim, startedMs)}\x1b[K\n`);
  process.removeAllListeners('SIGUSR1');
  await sim.stop();
  process.stdout.write(`${summaryTable(sim)}\n`);
  if (sim.frames.fileError !== undefined) say(`sim:csms: could not write ${cli.record}: ${sim.frames.fileError.message}`);
}

main().catch((error: unknown) => {
  const known = error instanceof CliError || error instanceof CsmsSimulatorConfigError || error instanceof ScenarioFileError;
  process.stderr.write(
    `sim:csms: ${known && error instanceof Error ? error.message : String(error instanceof Error ? error.stack : error)}\n`,
  );
  process.exit(1);
});
