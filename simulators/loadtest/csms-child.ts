// The CSMS simulator as a child process (tsx), the upstream of an `--upstream` run: its own process, so its CPU is
// neither the agent's nor the generator's. In-memory recording bounded small, no NDJSON file, Accepted boots.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { CsmsSimulatorOptionsInput } from '../csms';
import { procCpuSeconds, procRssKiB, REPO_ROOT } from './agent-child';

export type CsmsChildRequest = { type: 'stats'; id: number } | { type: 'stop' };
export type CsmsChildReply = { type: 'ready'; url: string } | { type: 'stats'; id: number; framesTotal: number; connected: number };

export interface CsmsStats {
  /** Frames recorded since the start, both directions (the simulator counts every one). */
  readonly framesTotal: number;
  readonly connected: number;
}

export interface CsmsChild {
  readonly pid: number;
  /** ws://127.0.0.1:<port>/ocpp — the identity is appended. */
  readonly url: string;
  rssKiB(): number | undefined;
  cpuSeconds(): number | undefined;
  stats(): Promise<CsmsStats | undefined>;
  stop(): Promise<void>;
}

/** Frames kept in memory by the simulator (its minimum is 10): the load test never queries them. */
export const CSMS_RECORD_CAPACITY = 100;

const running = new Set<ChildProcess>();

export function killRunningCsms(): void {
  for (const child of running) child.kill('SIGTERM');
}

export async function startCsmsChild(options: { heartbeatIntervalS: number; ocppVersion: '2.0.1' | '1.6' }): Promise<CsmsChild> {
  const simulatorOptions: CsmsSimulatorOptionsInput = {
    port: 0,
    host: '127.0.0.1',
    path: '/ocpp',
    ocppVersion: options.ocppVersion,
    // No passwords: the simulator lets in every station, whatever Basic credentials flexbridge forwards.
    boot: { intervalS: options.heartbeatIntervalS, status: 'Accepted' },
    recordCapacity: CSMS_RECORD_CAPACITY,
    callTimeoutMs: 30_000,
  };
  const child = fork(path.join(__dirname, 'csms-entry.ts'), [JSON.stringify(simulatorOptions)], {
    cwd: REPO_ROOT,
    execArgv: ['--require', require.resolve('tsx/cjs')],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('the CSMS simulator process did not start');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the CSMS simulator did not start within 30 s: ${stderr}`)), 30_000);
    child.on('message', (reply: CsmsChildReply) => {
      if (reply.type !== 'ready') return;
      clearTimeout(timer);
      resolve(reply.url);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the CSMS simulator exited (code ${code}): ${stderr}`));
    });
  });
  let nextId = 0;
  return {
    pid,
    url,
    rssKiB: () => procRssKiB(pid),
    cpuSeconds: () => procCpuSeconds(pid),
    stats: () =>
      new Promise((resolve) => {
        if (!child.connected) return resolve(undefined);
        const id = ++nextId;
        const timer = setTimeout(() => done(undefined), 5000);
        const onMessage = (reply: CsmsChildReply): void => {
          if (reply.type === 'stats' && reply.id === id) done({ framesTotal: reply.framesTotal, connected: reply.connected });
        };
        const done = (stats: CsmsStats | undefined): void => {
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(stats);
        };
        child.on('message', onMessage);
        child.send({ type: 'stats', id } satisfies CsmsChildRequest);
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'stop' } satisfies CsmsChildRequest);
      else child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
