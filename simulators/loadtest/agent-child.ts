// The agent under test as a child process: a temporary config (free ports, SQLite file in a temp folder, log level
// warn), built and run as `npm start` runs it (`npm run build`, then `node dist/src/main.js`) or from src/ through tsx,
// readiness via /readyz, and its RSS and CPU read from /proc.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface AgentSettings {
  readonly dir: string;
  readonly bootstrapToken: string;
  readonly groupId: string;
  /** Extra node flags, whitespace-separated, before the script. */
  readonly nodeFlags: string;
  /** `built`: `npm run build` once, then `node dist/src/main.js`; `source`: `node --require tsx/cjs src/main.ts`. */
  readonly from: 'built' | 'source';
  /** `ocpp.loneSession` (the agent's default when absent). */
  readonly loneSession?: 'follow-cap' | 'own-limit';
  /** `heap.trimWhenIdle` (the agent's default, on, when absent). */
  readonly heapTrim?: boolean;
  /** `ocpp.trace.frames` (the agent's default when absent). */
  readonly traceFrames?: number;
  /** `ocpp.upstream.dialRate` (the agent's default when absent). */
  readonly dialRate?: number;
  /** Local Controller mode: the CSMS the agent relays every station to (`ocpp.upstream.url`), credentials forwarded. */
  readonly upstreamUrl?: string;
}

export interface AgentChild {
  readonly pid: number;
  readonly httpUrl: string;
  readonly ocppUrl: string;
  readonly oscpUrl: string;
  readonly logFile: string;
  /** Warnings and errors the agent logged, counted by message. */
  logCounts(): Map<string, number>;
  /** Resident set size now, KiB (/proc/<pid>/status VmRSS). */
  rssKiB(): number | undefined;
  /** User + system CPU time so far, s (/proc/<pid>/stat). */
  cpuSeconds(): number | undefined;
  /** Soft limit of open files of the agent process (/proc/<pid>/limits). */
  openFilesLimit(): number | undefined;
  metrics(): Promise<Map<string, number>>;
  /** Round trip of GET /healthz, ms: the agent's event-loop lag as a client sees it. */
  probeMs(): Promise<number>;
  stop(): Promise<number | null>;
  /** `kill -9`: no shutdown, the SQLite file as the kill left it; resolves once the process is gone. */
  kill9(): Promise<void>;
  /**
   * A new agent process on the same config file (same ports, the same SQLite store), its log appended to the same
   * file and its warnings counted with this one's; resolves once it answers /readyz. Only after kill9 or stop.
   */
  restart(): Promise<AgentChild>;
}

/** Agents still running, so a signal to the driver does not leave one behind. */
const running = new Set<ChildProcessWithoutNullStreams>();

export function killRunningAgents(): void {
  for (const child of running) child.kill('SIGTERM');
}

export class AgentStartError extends Error {}

/** The commit the agent runs from, marked when src/ has changes not yet committed (the agent runs from the work tree). */
export function agentVersion(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit} + uncommitted src/ changes` : commit;
  } catch {
    return 'unknown (not a git work tree)';
  }
}

/** A port that was free a moment ago (the agent logs at warn, so its start line with the real ports is not printed). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Resident set size of a process now, KiB (/proc/<pid>/status VmRSS). */
export function procRssKiB(pid: number): number | undefined {
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(readProc(pid, 'status') ?? '');
  return match ? Number(match[1]) : undefined;
}

/** User + system CPU time of a process so far, s (/proc/<pid>/stat). */
export function procCpuSeconds(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return undefined;
  // Fields after the command name (which may hold spaces): utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** Prometheus text format → "name{labels}" → value (sums nothing; callers pick the series they need). */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const value = Number(line.slice(space + 1));
    if (space > 0 && Number.isFinite(value)) values.set(line.slice(0, space), value);
  }
  return values;
}

/** The project's own `npm run build` (incremental tsc into dist/): the JavaScript `npm start` runs. */
function buildAgent(): void {
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    const output = `${stdout ?? ''}${stderr ?? ''}` || String(error);
    throw new AgentStartError(`npm run build failed, so there is no agent to run:\n${output.slice(0, 2000)}`);
  }
}

/** The agent's command line after the node flags. */
function agentEntry(from: AgentSettings['from']): string[] {
  return from === 'built'
    ? [path.join(REPO_ROOT, 'dist', 'src', 'main.js')]
    : ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'src', 'main.ts')];
}

export async function startAgentChild(settings: AgentSettings): Promise<AgentChild> {
  if (settings.from === 'built') buildAgent();
  const [httpPort, ocppPort] = [await freePort(), await freePort()];
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const config = {
    http: { host: '127.0.0.1', port: httpPort },
    store: { path: path.join(settings.dir, 'agent.db') },
    log: { level: 'warn' },
    ...(settings.heapTrim !== undefined && { heap: { trimWhenIdle: settings.heapTrim } }),
    ocpp: {
      host: '127.0.0.1',
      port: ocppPort,
      autoRegisterGroup: settings.groupId,
      heartbeatIntervalS: 3600,
      callTimeoutMs: 30_000,
      ...(settings.loneSession !== undefined && { loneSession: settings.loneSession }),
      ...(settings.traceFrames !== undefined && { trace: { frames: settings.traceFrames } }),
      // The whole fleet comes from one address (this machine): above ocpp.admission's 10,000 sockets per address.
      admission: { maxConnectionsPerAddress: 100_000 },
      ...(settings.upstreamUrl !== undefined && {
        // dialRate: the agent's default (50/s) unless --dial-rate; it protects the CPO's CSMS from a reconnect storm.
        upstream: {
          url: settings.upstreamUrl,
          credentials: 'forward',
          ...(settings.dialRate !== undefined && { dialRate: settings.dialRate }),
        },
      }),
    },
    oscp: {
      publicBaseUrl: `${httpUrl}/oscp/fp/2.0`,
      peers: [{ id: 'dso', bootstrapToken: settings.bootstrapToken, heartbeatIntervalS: 30, offlineGraceS: 60, measurementIntervalS: 60 }],
    },
    // safeLimitA stays small so the standing shares do not change as stations join (no re-sends to the whole fleet).
    // One group for the whole fleet: its capacity is the fleet's (19,000 stations × 32 A), far above one LV feeder's.
    groups: [{ id: settings.groupId, peerId: 'dso', safeLimitA: 40, safetyMarginA: 1, leaseS: 900, maxCapacityA: 1_000_000 }],
  };
  const configFile = path.join(settings.dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  return launchAgent(settings, configFile, httpUrl, ocppPort, new Map<string, number>(), false);
}

async function launchAgent(
  settings: AgentSettings,
  configFile: string,
  httpUrl: string,
  ocppPort: number,
  counts: Map<string, number>,
  append: boolean,
): Promise<AgentChild> {
  const logFile = path.join(settings.dir, 'agent.log');
  const log = fs.createWriteStream(logFile, { flags: append ? 'a' : 'w' });
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [...settings.nodeFlags.split(/\s+/).filter((flag) => flag !== ''), ...agentEntry(settings.from), '--config', configFile],
    { cwd: REPO_ROOT, env: process.env, stdio: 'pipe' },
  );
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    log.write(chunk);
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const message = /"message":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 120);
      counts.set(message, (counts.get(message) ?? 0) + 1);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    const text = chunk.toString('utf8').trim().split('\n')[0]?.slice(0, 160) ?? '';
    if (text) counts.set(`stderr: ${text}`, (counts.get(`stderr: ${text}`) ?? 0) + 1);
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new AgentStartError('the agent process did not start');

  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`${httpUrl}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new AgentStartError(
        `the agent did not become ready (exit code ${child.exitCode}); see ${logFile}:\n${[...counts.keys()].join('\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    pid,
    httpUrl,
    ocppUrl: `ws://127.0.0.1:${ocppPort}/ocpp`,
    oscpUrl: `${httpUrl}/oscp/fp/2.0`,
    logFile,
    logCounts: () => counts,
    rssKiB: () => procRssKiB(pid),
    cpuSeconds: () => procCpuSeconds(pid),
    openFilesLimit: () => {
      const match = /Max open files\s+(\d+)/.exec(readProc(pid, 'limits') ?? '');
      return match ? Number(match[1]) : undefined;
    },
    metrics: async () => {
      const response = await fetch(`${httpUrl}/metrics`);
      return parseMetrics(await response.text());
    },
    probeMs: async () => {
      const startMs = performance.now();
      await fetch(`${httpUrl}/healthz`).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
      return performance.now() - startMs;
    },
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      if (!log.writableEnded) log.end();
    },
    restart: () => launchAgent(settings, configFile, httpUrl, ocppPort, counts, true),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      if (!log.writableEnded) log.end();
      return code;
    },
  };
}
