// Command line of the load test: `npm run loadtest -- --stations 1000 --rate 14000 --duration 30`.
// Starts the agent, a CP simulator and the lean station fleet; progress line on stderr, summary table on stdout.
import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AgentStartError } from './agent-child';
import { LOAD_MESSAGES, LoadTestConfigError, type LoadMessage } from './options';
import type { Progress } from './phases';
import { notes, summaryTable } from './report';
import { abortRunningLoadTests, runLoadTest } from './run';

function number(name: string, { integer = false, min = 0 } = {}): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || (integer && !Number.isInteger(parsed))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${value}"`);
    }
    return parsed;
  };
}

const program = new Command('loadtest')
  .description('Load-test flexbridge over the wire: stations held, OCPP messages per second, forecast → stations')
  .option(
    '--stations <n>',
    'simulated stations (one EVSE, one charging session each)',
    number('--stations', { integer: true, min: 1 }),
    1000,
  )
  .option('--rate <msgPerS>', 'OCPP messages per second the fleet tries to send (0 = no rate phase)', number('--rate'), 14_000)
  .option('--duration <s>', 'length of the message-rate phase, s', number('--duration', { min: 1 }), 30)
  .addOption(new Option('--message <action>', 'what the stations send during the rate phase').choices(LOAD_MESSAGES).default('MeterValues'))
  .addOption(
    new Option('--ocpp <version>', 'OCPP version of the stations; mixed: odd-numbered 2.0.1, even-numbered 1.6')
      .choices(['2.0.1', '1.6', 'mixed'])
      .default('2.0.1'),
  )
  .option('--workers <n>', 'worker threads for the stations', number('--workers', { integer: true, min: 1 }), 1)
  .option(
    '--connect-concurrency <n>',
    'connection attempts in flight at once (each makes the agent hash a password on its libuv pool)',
    number('--connect-concurrency', { integer: true, min: 1 }),
    64,
  )
  .option('--connect-stall <s>', 'give up connecting when no station got ready for this long', number('--connect-stall', { min: 1 }), 60)
  .option(
    '--forecasts <n>',
    'forecasts timed from the 204 to the last acknowledged TxProfile (0 = none)',
    number('--forecasts', { integer: true }),
    5,
  )
  .option(
    '--memory-settle <s>',
    "longest wait for the agent's heap to stop shrinking once connected (RSS held idle; 0 = skip)",
    number('--memory-settle', { min: 0 }),
    60,
  )
  .option('--forecast-timeout <s>', 'longest wait for one forecast to reach every station', number('--forecast-timeout', { min: 1 }), 60)
  .option('--no-deflate', 'do not offer permessage-deflate (offered by default, as ws and ocpp-rpc clients do)')
  .option('--agent-node-flags <flags>', 'node flags for the agent process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"', '')
  .addOption(
    new Option('--agent-from <what>', 'run the agent as npm start does (built: npm run build, then dist/) or from src/ through tsx')
      .choices(['built', 'source'])
      .default('built'),
  )
  .addOption(
    new Option('--lone-session <mode>', "the agent's ocpp.loneSession: cap only per change, or cap and TxProfile")
      .choices(['follow-cap', 'own-limit'])
      .default('follow-cap'),
  )
  .option(
    '--trace-frames <n>',
    "the agent's ocpp.trace.frames: OCPP frames each station keeps for its trace (default: the agent's, 20)",
    number('--trace-frames', { integer: true, min: 0 }),
  )
  .option(
    '--dial-rate <n>',
    "with --upstream: the agent's ocpp.upstream.dialRate, CSMS connections opened per second (default: the agent's, 50)",
    number('--dial-rate', { min: 1 }),
  )
  .option('--no-heap-trim', "switch the agent's idle heap trim off (heap.trimWhenIdle false): V8 alone decides when to collect")
  .option(
    '--upstream',
    'Local Controller mode: relay every station to a CSMS simulator, then compare with the same fleet connected to it directly',
    false,
  )
  .option(
    '--restart-storm',
    'after the forecasts: kill -9 the agent, restart it on the same store, time until every station is back and re-profiled',
    false,
  )
  .option('--keep', 'keep the temporary folder (config, SQLite file, agent log)', false)
  .option('--json <file>', 'also write the result as JSON to this file')
  .addHelpText(
    'after',
    '\nHolding thousands of connections needs file descriptors in this shell (the agent inherits them):\n' +
      '  ulimit -n 65536   # or as high as `ulimit -Hn` allows\n' +
      'Figures and their meaning: simulators/loadtest/README.md',
  );

interface CliOptions {
  stations: number;
  rate: number;
  duration: number;
  message: LoadMessage;
  ocpp: '2.0.1' | '1.6' | 'mixed';
  workers: number;
  connectConcurrency: number;
  connectStall: number;
  forecasts: number;
  forecastTimeout: number;
  memorySettle: number;
  deflate: boolean;
  agentNodeFlags: string;
  agentFrom: 'built' | 'source';
  loneSession: 'follow-cap' | 'own-limit';
  heapTrim: boolean;
  traceFrames?: number;
  dialRate?: number;
  upstream: boolean;
  restartStorm: boolean;
  keep: boolean;
  json?: string;
}

function progressBar(): { progress: Progress; stop(): void } {
  const bar = new SingleBar({ format: '{phase} [{bar}] {value}/{total} | {status}', hideCursor: false, barsize: 20, etaBuffer: 1 });
  let started = false;
  return {
    progress: {
      phase: (name, total) => {
        if (started) bar.stop();
        bar.start(Math.max(total, 1), 0, { phase: name.padEnd(16), status: '' });
        started = true;
      },
      update: (value, status) => bar.update(value, { status }),
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

async function main(): Promise<void> {
  program.parse();
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      abortRunningLoadTests();
      process.stderr.write(`\nloadtest: ${signal}: agent stopped, no summary\n`);
      process.exit(130);
    });
  const cli = program.opts<CliOptions>();
  const { progress, stop } = progressBar();
  const result = await runLoadTest(
    {
      stations: cli.stations,
      rate: cli.rate,
      durationS: cli.duration,
      message: cli.message,
      ocpp: cli.ocpp,
      workers: cli.workers,
      connectConcurrency: cli.connectConcurrency,
      connectStallS: cli.connectStall,
      forecasts: cli.forecasts,
      forecastTimeoutS: cli.forecastTimeout,
      memorySettleS: cli.memorySettle,
      deflate: cli.deflate,
      agentNodeFlags: cli.agentNodeFlags,
      agentFrom: cli.agentFrom,
      loneSession: cli.loneSession,
      heapTrim: cli.heapTrim,
      traceFrames: cli.traceFrames,
      dialRate: cli.dialRate,
      upstream: cli.upstream,
      restartStorm: cli.restartStorm,
      keep: cli.keep,
    },
    progress,
  ).finally(stop);
  process.stdout.write(`${summaryTable(result)}\n`);
  for (const line of notes(result)) process.stdout.write(`- ${line}\n`);
  if (cli.json) {
    // The command that produced it travels with the figures (bench/results/ keeps these files).
    const command = `npm run loadtest -- ${process.argv.slice(2).join(' ')}`;
    writeFileSync(cli.json, JSON.stringify({ command, measuredAt: new Date().toISOString(), ...result }, null, 2));
  }
}

main().catch((error: unknown) => {
  const known = error instanceof LoadTestConfigError || error instanceof AgentStartError;
  process.stderr.write(
    `loadtest: ${known && error instanceof Error ? error.message : String(error instanceof Error ? error.stack : error)}\n`,
  );
  process.exit(1);
});
