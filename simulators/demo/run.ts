// `npm run demo`: the agent, the OSCP Capacity Provider simulator and 50 simulated stations, started together as
// child processes (talking only over the wire), with secrets made up at run time. Ctrl-C (or SIGTERM) stops them all.
// `npm run demo -- --upstream`: the same with flexbridge as a Local Controller (`ocpp.upstream`) in front of the CSMS
// simulator, which plays simulators/demo/csms-scenario.json and records every frame it sees.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';

const ROOT = path.resolve(__dirname, '..', '..');
// Node itself with tsx's loader (not the tsx binary), so a signal reaches the program and it can stop gracefully.
const TSX_LOADER = require.resolve('tsx/cjs');
const DATA = path.join('data', 'demo');
const UPSTREAM_CONFIG = path.join(DATA, 'flexbridge-upstream.json');
const CSMS_RECORD = path.join(DATA, 'csms-frames.ndjson');
const CSMS_SCENARIO = path.join('simulators', 'demo', 'csms-scenario.json');
// The simulators redraw a progress line every second (ending in \r): shown once per this interval.
const PROGRESS_EVERY_MS = 30_000;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function positiveInt(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 65535)
    throw new InvalidArgumentError(`${flag}: got "${value}", expected a whole number 1–65535`);
  return number;
}

const options = new Command('demo')
  .description('flexbridge with a simulated DSO (OSCP) and simulated chargers (OCPP), all on 127.0.0.1')
  .option('--upstream', 'Local Controller mode: flexbridge between the stations and a CSMS simulator', false)
  .option('--stations <n>', 'simulated chargers', (value) => positiveInt('--stations', value), 50)
  .option('--http-port <port>', "flexbridge's HTTP port (OSCP, API, dashboard)", (value) => positiveInt('--http-port', value), 8080)
  .option('--ocpp-port <port>', "flexbridge's OCPP port", (value) => positiveInt('--ocpp-port', value), 9000)
  .addOption(
    new Option('--ocpp <version>', 'OCPP version of the stations; mixed: half 2.0.1, half 1.6J in one group')
      .choices(['2.0.1', '1.6', 'mixed'])
      .default('2.0.1'),
  )
  .parse()
  .opts<{ upstream: boolean; ocpp: '2.0.1' | '1.6' | 'mixed'; stations: number; httpPort: number; ocppPort: number }>();
const STATIONS = options.stations;
const HTTP = `http://127.0.0.1:${options.httpPort}`;

if (options.upstream && options.ocpp === 'mixed') {
  process.stderr.write('demo: --upstream takes --ocpp 2.0.1 or 1.6 (the CSMS simulator speaks one version at a time)\n');
  process.exit(2);
}

const cpToken = randomBytes(24).toString('hex');
const stationPassword = randomBytes(12).toString('hex');
const apiToken = randomBytes(16).toString('hex');
const env = {
  ...process.env,
  FLEXBRIDGE_DEMO_CP_TOKEN: cpToken,
  FLEXBRIDGE_DEMO_API_TOKEN: apiToken,
  // The agent reads config/demo.json; these override its ports (and the OSCP address it gives the CP).
  FLEXBRIDGE_HTTP_PORT: String(options.httpPort),
  FLEXBRIDGE_OCPP_PORT: String(options.ocppPort),
  FLEXBRIDGE_PUBLIC_BASE_URL: `${HTTP}/oscp/fp/2.0`,
};

const children: ChildProcess[] = [];
let csms: ChildProcess | undefined;

function start(name: string, args: string[], onLine?: (line: string) => void): ChildProcess {
  // Own process group: a Ctrl-C in the terminal (or a SIGTERM to the whole group) reaches only the demo, which then
  // sends each child exactly one SIGTERM — a second signal would make the agent and the simulators stop at once.
  const child = spawn(process.execPath, ['--require', TSX_LOADER, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let partial = '';
  let progressShownMs = 0;
  const relay = (chunk: Buffer): void => {
    partial += chunk.toString('utf8');
    let end: number;
    while ((end = partial.search(/[\r\n]/)) !== -1) {
      const line = partial.slice(0, end).replace(ANSI, '');
      const redrawn = partial[end] === '\r';
      partial = partial.slice(end + 1);
      onLine?.(line);
      if (!line.trim()) continue;
      if (redrawn) {
        if (Date.now() - progressShownMs < PROGRESS_EVERY_MS) continue;
        progressShownMs = Date.now();
      }
      process.stdout.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  child.on('exit', (code, signal) => {
    process.stdout.write(`[demo] ${name} exited (${signal ?? code})\n`);
    if (!stopping) void stop(1);
  });
  return child;
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

let stopping = false;
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(code), 10_000).unref();
  // The CSMS goes last, so flexbridge does not see an outage while it stops.
  for (const stage of [children.filter((child) => child !== csms), children.filter((child) => child === csms)]) {
    for (const child of stage) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(stage.map(exited));
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// The children have their own process group: if the demo ends any other way, they must not outlive it.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

// A fresh demo every time: the store holds the tokens of the previous run.
rmSync(path.join(ROOT, DATA), { recursive: true, force: true });

if (options.upstream) {
  mkdirSync(path.join(ROOT, DATA), { recursive: true });
  let url: string | undefined;
  // Port 0: the CSMS simulator takes a free port and says which in its first line. No --password-file: any station
  // password is accepted (flexbridge forwards each station's own credentials).
  const csmsArgs = ['simulators/csms/cli.ts', '--port', '0', '--ocpp', options.ocpp, '--scenario', CSMS_SCENARIO, '--record', CSMS_RECORD];
  csms = start('csms', csmsArgs, (line) => {
    const found = /CSMS at (ws:\/\/\S+)\/<identity>/.exec(line)?.[1];
    if (url !== undefined || found === undefined) return;
    url = found;
    writeUpstreamConfig(url);
    startAgent(UPSTREAM_CONFIG, url);
  });
} else {
  startAgent('config/demo.json');
}

/** config/demo.json plus `ocpp.upstream` (the ${…} secrets stay references to the environment). */
function writeUpstreamConfig(url: string): void {
  const config = JSON.parse(readFileSync(path.join(ROOT, 'config', 'demo.json'), 'utf8')) as { ocpp: Record<string, unknown> };
  config.ocpp = { ...config.ocpp, upstream: { url, credentials: 'forward' } };
  writeFileSync(path.join(ROOT, UPSTREAM_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
}

function startAgent(configFile: string, csmsUrl?: string): void {
  let started = false;
  start('agent', ['src/main.ts', '--config', configFile], (line) => {
    if (started || !line.includes('"flexbridge started"')) return;
    started = true;
    start('cp', [
      'simulators/oscp-cp/cli.ts',
      '--direction',
      'cp',
      '--fp-url',
      `${HTTP}/oscp/fp/2.0`,
      '--token',
      cpToken,
      '--scenario',
      'config/scenarios/demo-day.json',
      '--heartbeat-interval',
      '30',
      '--pause-heartbeats',
      '240-330',
    ]);
    start('stations', [
      'simulators/ocpp-station/cli.ts',
      '--count',
      String(STATIONS),
      '--url',
      `ws://127.0.0.1:${options.ocppPort}/ocpp`,
      '--security-profile',
      '1',
      '--password',
      stationPassword,
      '--mean-idle',
      '120',
      '--mean-stay',
      '1800',
      '--ocpp',
      options.ocpp,
    ]);
    const lines =
      csmsUrl === undefined
        ? ['', `[demo] flexbridge, a Capacity Provider simulator and ${STATIONS} stations (OCPP ${options.ocpp}) are running.`]
        : [
            '',
            `[demo] flexbridge as Local Controller between ${STATIONS} stations and a CSMS simulator, with a Capacity Provider simulator, is running.`,
          ];
    lines.push(
      `[demo]   dashboard  ${HTTP}/?token=${apiToken}`,
      `[demo]   API        curl -H 'Authorization: Bearer ${apiToken}' ${HTTP}/api/v1/groups`,
      `[demo]   metrics    ${HTTP}/metrics`,
    );
    if (csmsUrl !== undefined) {
      lines.push(
        `[demo]   CSMS       ${csmsUrl}/<identity> (simulator; its progress line shows as [csms], a table per station at the end)`,
        `[demo]   frames     ${CSMS_RECORD} (every frame the CSMS sent and received, one JSON object a line)`,
        `[demo]   config     ${UPSTREAM_CONFIG} (config/demo.json plus ocpp.upstream)`,
        '[demo] 2 minutes after SIM-00001..3 boot, the CSMS sets them a 48 A station cap (above the grid share: flexbridge keeps',
        '[demo] the grid share), 3 minutes after, 6 A (below: it takes effect); GetCompositeSchedule 5 s after each shows it.',
      );
    }
    lines.push(
      '[demo] The CP stops its heartbeats 4 minutes in for 90 s: watch the group fall back and recover. Ctrl-C stops everything.',
      '',
    );
    process.stdout.write(lines.join('\n'));
  });
}
