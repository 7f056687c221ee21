// `heed <command>` as a child process (bin/heed.js), so a scenario can SIGKILL it at any moment: no cleanup,
// no finally blocks, exactly what a crash or an OOM kill leaves behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const HEED_BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'heed.js');

export type HeedExit = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

export type HeedRun = { child: ChildProcess; exit: Promise<HeedExit> };

export function runHeed(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): HeedRun {
  const child = spawn(process.execPath, [HEED_BIN, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<HeedExit>((resolveExit) => {
    child.on('close', (code, signal) => resolveExit({ code, signal, stdout, stderr }));
  });
  return { child, exit };
}

/** Sends SIGKILL unless the child already exited; says whether the kill landed. */
export function killNow(child: ChildProcess): boolean {
  if (child.exitCode !== null || child.signalCode !== null) return false;
  return child.kill('SIGKILL');
}

/** A minimal environment for a child: nothing of this process's secrets or settings leaks into it. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], LOG_LEVEL: 'warn', ...extra };
}
