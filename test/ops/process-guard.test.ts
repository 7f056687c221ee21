// The process-level handler of `heed start`: an unhandled rejection or an uncaught exception is logged with context
// and survived; the process exits only when memory is exhausted, Node's internals are broken, or errors storm.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installProcessGuard, UNRECOVERABLE_EXIT_CODE } from '../../src/ops/process-guard.ts';
import { captureLogger } from '../slack/support/capture-logger.ts';

function fakeProcess() {
  const emitter = new EventEmitter();
  return Object.assign(emitter, {
    memoryUsage: () => ({ rss: 200 * 1_048_576, heapUsed: 80 * 1_048_576 }) as NodeJS.MemoryUsage,
    uptime: () => 42,
  });
}

describe('process guard', () => {
  it('logs an unhandled rejection and an uncaught exception with context, without secrets, and carries on', () => {
    const target = fakeProcess();
    const log = captureLogger();
    const exits: number[] = [];
    const kinds: string[] = [];
    const remove = installProcessGuard({
      logger: log.logger,
      exit: (code) => exits.push(code),
      onError: (kind) => kinds.push(kind),
      target: target as unknown as NodeJS.Process,
    });
    target.emit('unhandledRejection', new Error('upstream said no for xoxb-1111-2222-secret'), Promise.resolve());
    target.emit(
      'uncaughtException',
      new TypeError("Cannot read properties of null (reading 'ssl_check')"),
      'uncaughtException',
    );
    target.emit('unhandledRejection', 'a plain string reason', Promise.resolve());
    expect(exits).toEqual([]);
    expect(kinds).toEqual(['unhandledRejection', 'uncaughtException', 'unhandledRejection']);
    const lines = log.lines();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: 50,
      kind: 'unhandledRejection',
      rssMb: 200,
      heapUsedMb: 80,
      uptimeSeconds: 42,
      msg: expect.stringMatching(/^unhandled promise rejection: logged, Heed carries on/),
    });
    expect(JSON.stringify(lines[0])).not.toContain('xoxb-1111');
    expect(lines[1]).toMatchObject({ kind: 'uncaughtException', origin: 'uncaughtException' });
    expect((lines[1]!['err'] as { message: string }).message).toBe(
      "Cannot read properties of null (reading 'ssl_check')",
    );
    expect((lines[2]!['err'] as { message: string }).message).toBe('a plain string reason');
    remove();
    expect(target.listenerCount('unhandledRejection')).toBe(0);
  });

  it.each([
    [
      'memory exhausted',
      Object.assign(new Error('Array buffer allocation failed'), {}),
      'the process ran out of memory',
    ],
    [
      "Node's internals broken",
      Object.assign(new Error('This is caused by either a bug in Node.js'), { code: 'ERR_INTERNAL_ASSERTION' }),
      "Node's internal state is broken (ERR_INTERNAL_ASSERTION)",
    ],
  ])('exits, saying why, when %s', (_name, error, reason) => {
    const target = fakeProcess();
    const log = captureLogger();
    const exits: number[] = [];
    installProcessGuard({
      logger: log.logger,
      exit: (code) => exits.push(code),
      target: target as unknown as NodeJS.Process,
    });
    target.emit('uncaughtException', error, 'uncaughtException');
    target.emit('uncaughtException', error, 'uncaughtException');
    expect(exits).toEqual([UNRECOVERABLE_EXIT_CODE]);
    const fatal = log.lines().filter((l) => l['level'] === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({
      reason,
      msg: `Heed is exiting: ${reason}; a process manager should start it again`,
    });
  });

  it('exits on an error storm, not on errors spread over time', () => {
    const target = fakeProcess();
    const log = captureLogger();
    const exits: number[] = [];
    let now = 0;
    installProcessGuard({
      logger: log.logger,
      exit: (code) => exits.push(code),
      target: target as unknown as NodeJS.Process,
      clock: () => now,
      storm: { count: 5, windowMs: 60_000 },
    });
    for (let i = 0; i < 10; i++) {
      now += 20_000; // one every 20 s: never 5 within a minute
      target.emit('unhandledRejection', new Error(`slow ${i}`), Promise.resolve());
    }
    expect(exits).toEqual([]);
    for (let i = 0; i < 5; i++) target.emit('unhandledRejection', new Error(`fast ${i}`), Promise.resolve());
    expect(exits).toEqual([UNRECOVERABLE_EXIT_CODE]);
    expect(log.lines().at(-1)).toMatchObject({
      level: 60,
      reason: '5 unhandled errors within 60 s: something fails in a loop',
    });
  });

  it('keeps a real process alive through a stray rejection and a throwing timer', async () => {
    const script = `
      import { installProcessGuard } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'ops', 'process-guard.ts'))};
      import { createLogger } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'logger.ts'))};
      installProcessGuard({ logger: createLogger({ level: 'info', pretty: false }), exit: (code) => process.exit(code) });
      Promise.reject(new Error('nobody awaited me'));
      setTimeout(() => { throw new TypeError('a timer callback threw'); }, 10);
      setTimeout(() => { console.log('still alive'); process.exit(0); }, 200);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
    expect({ code, alive: stdout.includes('still alive') }).toEqual({ code: 0, alive: true });
    expect(stdout).toContain('nobody awaited me');
    expect(stdout).toContain('a timer callback threw');
  });
});
