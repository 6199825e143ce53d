// Starts flexbridge as a real child process on a temporary config (ports 0, SQLite file in a temp folder)
// for end-to-end tests: read its ports from the start log line, stop it gracefully or kill -9 and restart it.
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { exited, spawnTs, waitForLine } from './processes';

export interface AgentProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly httpUrl: string;
  readonly ocppUrl: string;
  readonly oscpUrl: string;
  /** Every JSON log line so far, parsed. */
  logs(): Record<string, unknown>[];
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

interface StartedLine {
  httpPort: number;
  ocppPort?: number;
}

/** Writes `config` to `<dir>/config.json` (store in `<dir>/agent.db` unless given) and starts the agent on it. */
export async function startAgentProcess(dir: string, config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
  const file = path.join(dir, 'config.json');
  const withDefaults = { store: { path: path.join(dir, 'agent.db') }, log: { level: 'debug' }, ...config };
  fs.writeFileSync(file, JSON.stringify(withDefaults, null, 2));
  const child = spawnTs('src/main.ts', ['--config', file], env);
  const lines: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  child.stderr.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
  const started = JSON.parse(await waitForLine(child, (line) => line.includes('"flexbridge started"'), 30000)) as StartedLine;
  const httpUrl = `http://127.0.0.1:${started.httpPort}`;
  const basePath = (config.oscp as { basePath?: string } | undefined)?.basePath ?? '/oscp/fp/2.0';
  return {
    child,
    httpUrl,
    ocppUrl: `ws://127.0.0.1:${started.ocppPort ?? 0}/ocpp`,
    oscpUrl: `${httpUrl}${basePath}`,
    logs: () =>
      lines.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    stop: async () => {
      child.kill('SIGTERM');
      return (await exited(child)).code;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}
