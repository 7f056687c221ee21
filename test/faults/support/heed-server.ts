// `heed start` as a child process (bin/heed.js), configured like a real deployment, with the vendors' stand-ins
// given by the scenario: the port comes from its "Heed is listening" line, its JSON log lines are kept, and it is
// asked to stop with SIGTERM (the exit code says whether it stopped cleanly).
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEED_BIN } from './heed-process.ts';

export type HeedServer = {
  child: ChildProcess;
  base: string;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** Parsed JSON log lines so far. */
  lines(): Record<string, unknown>[];
  alive(): boolean;
  /** SIGTERM, then the exit code (null and a signal name when it had to be killed). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

export async function startHeedServer(options: {
  cwd: string;
  policy: unknown;
  env: Record<string, string>;
  /** How long to wait for "Heed is listening". */
  timeoutMs?: number;
}): Promise<HeedServer> {
  const configPath = join(options.cwd, 'heed.config.json');
  writeFileSync(configPath, JSON.stringify(options.policy));
  const child = spawn(process.execPath, [HEED_BIN, 'start', '--port', '0'], {
    cwd: options.cwd,
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      LOG_LEVEL: 'info',
      HEED_CONFIG: configPath,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('close', (code, signal) => resolveExit({ code, signal })),
  );
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let port: number | undefined;
  while (port === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`heed start exited:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`heed start did not come up:\n${output}`);
    }
    const line = output.split('\n').find((l) => l.includes('"Heed is listening"'));
    if (line) port = (JSON.parse(line) as { port: number }).port;
    else await new Promise((r) => setTimeout(r, 100));
  }
  const lines = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    output: () => output,
    lines,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async (timeoutMs = 45_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
