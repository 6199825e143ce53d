// The agent under soak as a child process on fixed ports and one SQLite file, so a restart after kill -9 comes back
// where the fleet and the CP expect it. Spawns `node --require tsx/cjs src/main.ts --config <file>`; never imports src/.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export class AgentStartError extends Error {}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
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

/** One run of the agent process; a restart is a new SoakAgent on the same config file. */
export class SoakAgent {
  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    private readonly exited: Promise<void>,
  ) {}

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the agent on `configFile`, appending its output to `logFile`; resolves once /readyz answers 200. */
  static async start(configFile: string, logFile: string, httpUrl: string, timeoutMs = 60_000): Promise<SoakAgent> {
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    const child = spawn(
      process.execPath,
      ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, 'src', 'main.ts'), '--config', configFile],
      {
        cwd: REPO_ROOT,
        env: process.env,
        stdio: 'pipe',
      },
    );
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const agent = new SoakAgent(child, exited);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await fetch(`${httpUrl}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) return agent;
      if (!agent.running)
        throw new AgentStartError(`the agent exited (${String(child.exitCode ?? child.signalCode)}) before it was ready; see ${logFile}`);
      if (Date.now() > deadline) {
        await agent.kill9();
        throw new AgentStartError(`the agent was not ready within ${timeoutMs} ms; see ${logFile}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async kill9(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not ended within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
