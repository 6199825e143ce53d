// Test helpers to run TypeScript entry points as real child processes (through tsx) and read their output.
// Used by crash-safety and start/stop tests that need kill -9 and real exit codes.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Starts `file` (a .ts path relative to the repo root) under Node with tsx's CommonJS loader. */
export function spawnTs(file: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(REPO_ROOT, file), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
}

/** Resolves with the first stdout line that satisfies `match`; rejects if the process exits first. */
export function waitForLine(child: ChildProcessWithoutNullStreams, match: (line: string) => boolean, timeoutMs = 20000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => finish(new Error(`no matching line within ${timeoutMs} ms; output so far:\n${buffer}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      for (const line of lines.slice(0, -1)) if (match(line)) return finish(undefined, line);
    };
    const onExit = (code: number | null): void => finish(new Error(`process exited (${code}) before a matching line; output:\n${buffer}`));
    function finish(error?: Error, line?: string): void {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(line ?? '');
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Resolves with the exit code (or signal) once the child has ended. */
export function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export function collectOutput(child: ChildProcessWithoutNullStreams): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { stdout: () => stdout, stderr: () => stderr };
}

/** A fresh temporary folder, removed by the returned cleanup function. */
export function tempDir(prefix = 'flexbridge-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
