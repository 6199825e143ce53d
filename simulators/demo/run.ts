// `npm run demo`: the agent, the OSCP Capacity Provider simulator and 50 simulated stations, started together as
// child processes (talking only over the wire), with secrets made up at run time. Ctrl-C stops all three.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
// Node itself with tsx's loader (not the tsx binary), so a signal reaches the program and it can stop gracefully.
const TSX_LOADER = require.resolve('tsx/cjs');
const STATIONS = Number(process.env.DEMO_STATIONS ?? 50);

const cpToken = randomBytes(24).toString('hex');
const stationPassword = randomBytes(12).toString('hex');
const apiToken = randomBytes(16).toString('hex');
const env = { ...process.env, FLEXBRIDGE_DEMO_CP_TOKEN: cpToken, FLEXBRIDGE_DEMO_API_TOKEN: apiToken };

const children: ChildProcess[] = [];

function start(name: string, args: string[], onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--require', TSX_LOADER, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let partial = '';
  const relay = (chunk: Buffer): void => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      onLine?.(line);
      if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  child.on('exit', (code, signal) => {
    process.stdout.write(`[demo] ${name} exited (${signal ?? code})\n`);
    if (!stopping) stop(1);
  });
  return child;
}

let stopping = false;
function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  // SIGTERM: a Ctrl-C in the terminal already sent SIGINT to the children, and a second SIGINT means "stop now".
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 5000).unref();
  Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve))))).then(() =>
    process.exit(code),
  );
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// A fresh demo every time: the store holds the tokens of the previous run.
rmSync(path.join(ROOT, 'data', 'demo'), { recursive: true, force: true });

let started = false;
start('agent', ['src/main.ts', '--config', 'config/demo.json'], (line) => {
  if (started || !line.includes('"flexbridge started"')) return;
  started = true;
  start('cp', [
    'simulators/oscp-cp/cli.ts',
    '--direction',
    'cp',
    '--fp-url',
    'http://127.0.0.1:8080/oscp/fp/2.0',
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
    'ws://127.0.0.1:9000/ocpp',
    '--security-profile',
    '1',
    '--password',
    stationPassword,
    '--mean-idle',
    '120',
    '--mean-stay',
    '1800',
  ]);
  process.stdout.write(
    [
      '',
      '[demo] flexbridge, a Capacity Provider simulator and ' + STATIONS + ' stations are running.',
      `[demo]   dashboard  http://127.0.0.1:8080/?token=${apiToken}`,
      `[demo]   API        curl -H 'Authorization: Bearer ${apiToken}' http://127.0.0.1:8080/api/v1/groups`,
      '[demo]   metrics    http://127.0.0.1:8080/metrics',
      '[demo] The CP stops its heartbeats 4 minutes in for 90 s: watch the group fall back and recover. Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
});
