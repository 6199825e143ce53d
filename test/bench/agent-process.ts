// The agent as a child process for the limit benches of issue #17: a temporary folder with a config (provisioned
// stations, ports 0 on 127.0.0.1), `node --require tsx/cjs src/main.ts`, and a good OCPP 2.0.1 station to time.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { parseMetrics, procCpuSeconds, procRssKiB } from '../../simulators/loadtest/agent-child';
import { bootNotification, callFrame, errorFrame, getVariablesResult, resultFrame } from '../../simulators/loadtest/frames';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const GROUP = 'bench';

export interface BenchStation {
  readonly id: string;
  readonly password: string;
}

export interface BenchAgentOptions {
  readonly stations: readonly BenchStation[];
  /** Merged into the config's `http` and `ocpp` sections (host and port stay 127.0.0.1:0). */
  readonly http?: Record<string, unknown>;
  readonly ocpp?: Record<string, unknown>;
}

export interface BenchAgent {
  readonly pid: number;
  readonly httpPort: number;
  readonly ocppPort: number;
  readonly ocppUrl: string;
  /** Resident set size now, KiB (/proc/<pid>/status VmRSS). */
  rssKiB(): number | undefined;
  /** User + system CPU time of the agent so far, s. */
  cpuSeconds(): number | undefined;
  metrics(): Promise<Map<string, number>>;
  /** SIGTERM (SIGKILL after 10 s), then the temporary folder is removed. */
  stop(): Promise<void>;
}

/** Agents still running, so an error in a bench does not leave one behind. */
const running = new Set<ChildProcessWithoutNullStreams>();
process.once('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** Starts the agent with `options.stations` provisioned (security profile 1, Basic auth); resolves once it listens. */
export async function startBenchAgent(options: BenchAgentOptions): Promise<BenchAgent> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flexbridge-bench17-'));
  const config = {
    http: { ...options.http, host: '127.0.0.1', port: 0 },
    store: { path: path.join(dir, 'agent.db') },
    // info, as an operator runs it (and the ports for port 0 are read from its start line).
    log: { level: 'info' },
    ocpp: { heartbeatIntervalS: 3600, ...options.ocpp, host: '127.0.0.1', port: 0, securityProfile: 1 },
    groups: [{ id: GROUP, safeLimitA: 32 * options.stations.length, maxCapacityA: 1_000_000 }],
    stations: options.stations.map((s) => ({ id: s.id, groupId: GROUP, password: s.password })),
  };
  const configFile = path.join(dir, 'config.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const log = fs.createWriteStream(path.join(dir, 'agent.log'));
  const child = spawn(
    process.execPath,
    ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'src', 'main.ts'), '--config', configFile],
    { cwd: REPO_ROOT, env: process.env, stdio: 'pipe' },
  );
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr.pipe(log);
  const cleanUp = async (): Promise<void> => {
    running.delete(child);
    await new Promise<void>((resolve) => log.end(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // The ports the agent got for port 0, from its "flexbridge started" line; everything is logged to the file.
  const ports = await new Promise<{ httpPort: number; ocppPort: number } | undefined>((resolve) => {
    let partial = '';
    let found = false;
    const timer = setTimeout(() => resolve(undefined), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (found) return;
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"flexbridge started"')) continue;
        const http = /"httpPort":(\d+)/.exec(line)?.[1];
        const ocpp = /"ocppPort":(\d+)/.exec(line)?.[1];
        found = true;
        clearTimeout(timer);
        resolve(http && ocpp ? { httpPort: Number(http), ocppPort: Number(ocpp) } : undefined);
      }
    });
    void exited.then(() => resolve(undefined));
  });
  const pid = child.pid;
  if (!ports || pid === undefined) {
    child.kill('SIGKILL');
    await exited;
    const tail = fs.existsSync(path.join(dir, 'agent.log')) ? fs.readFileSync(path.join(dir, 'agent.log'), 'utf8').slice(-2000) : '';
    await cleanUp();
    throw new Error(`the agent did not start:\n${tail}`);
  }
  return {
    pid,
    ...ports,
    ocppUrl: `ws://127.0.0.1:${ports.ocppPort}/ocpp`,
    rssKiB: () => procRssKiB(pid),
    cpuSeconds: () => procCpuSeconds(pid),
    metrics: async () => parseMetrics(await (await fetch(`http://127.0.0.1:${ports.httpPort}/metrics`)).text()),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await cleanUp();
    },
  };
}

export interface ConnectTiming {
  /** From the upgrade request to the socket open (101), ms. */
  readonly openMs: number;
  /** From the upgrade request to BootNotification Accepted, ms. */
  readonly acceptedMs: number;
}

/**
 * One connect of a good OCPP 2.0.1 station: upgrade with its password, BootNotification until Accepted (answering
 * the boot gate's GetVariables, SetChargingProfile and triggered boot), then `lingerMs` answering calls before it
 * closes, so the agent's post-boot refresh does not meet a closed socket. Rejects with the reason it did not get in.
 */
export function connectGoodStation(
  ocppUrl: string,
  station: BenchStation,
  lingerMs: number,
  localAddress?: string,
): Promise<ConnectTiming> {
  return new Promise((resolve, reject) => {
    const startMs = performance.now();
    const socket = new WebSocket(`${ocppUrl}/${station.id}`, ['ocpp2.0.1'], {
      headers: { Authorization: `Basic ${Buffer.from(`${station.id}:${station.password}`).toString('base64')}` },
      handshakeTimeout: 60_000,
      perMessageDeflate: false,
      ...(localAddress !== undefined && { localAddress }),
    });
    let openMs: number | undefined;
    let timing: ConnectTiming | undefined;
    let seq = 0;
    const boot = (reason: 'PowerUp' | 'Triggered'): void =>
      socket.send(callFrame(`boot-${++seq}`, 'BootNotification', bootNotification(reason)));
    const deadline = setTimeout(() => {
      socket.terminate();
      reject(new Error(`station ${station.id}: not Accepted within 60 s`));
    }, 60_000);
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(deadline);
      reject(new Error(`station ${station.id}: upgrade answered ${response.statusCode ?? '?'}`));
      socket.terminate();
    });
    socket.once('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
    socket.once('open', () => {
      openMs = performance.now() - startMs;
      boot('PowerUp');
    });
    socket.once('close', () => {
      clearTimeout(deadline);
      if (timing) resolve(timing);
      else reject(new Error(`station ${station.id}: closed before its boot was accepted`));
    });
    socket.on('message', (data: Buffer) => {
      const frame: unknown = JSON.parse(data.toString('utf8'));
      if (!Array.isArray(frame)) return;
      const [type, id, action, payload]: unknown[] = frame;
      if (typeof id !== 'string') return;
      if (type === 3 && id.startsWith('boot-') && typeof action === 'object' && action !== null) {
        if (Reflect.get(action, 'status') !== 'Accepted' || timing) return;
        timing = { openMs: openMs ?? NaN, acceptedMs: performance.now() - startMs };
        setTimeout(() => socket.close(1000, 'bench'), lingerMs);
        return;
      }
      if (type !== 2 || typeof action !== 'string') return;
      if (action === 'GetVariables') socket.send(resultFrame(id, getVariablesResult(payload)));
      else if (action === 'SetChargingProfile' || action === 'ClearChargingProfile') socket.send(resultFrame(id, { status: 'Accepted' }));
      else if (action === 'TriggerMessage') {
        const wanted = typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'requestedMessage') : undefined;
        socket.send(resultFrame(id, { status: wanted === 'BootNotification' && !timing ? 'Accepted' : 'Rejected' }));
        if (wanted === 'BootNotification' && !timing) boot('Triggered');
      } else socket.send(errorFrame(id, 'NotImplemented', `${action} is not implemented by the bench station`));
    });
  });
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function median(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const middle = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? known[middle] : ((known[middle - 1] ?? 0) + (known[middle] ?? 0)) / 2;
}

export const fmt = (value: number | undefined, digits = 1): string => (value === undefined ? '–' : value.toFixed(digits));
export const int = (value: number | undefined): string => (value === undefined ? '–' : Math.round(value).toLocaleString('en'));

/** `uptime`'s load averages, for the table's caption: these benches share the machine's cores with everything else. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');
}
