// Runs the real `heed` command in a child process, as someone at a terminal would.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { parseSchemaFile } from '../../src/db/schema-file.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';

const HEED = join(import.meta.dirname, '..', '..', 'bin', 'heed.js');

type Result = { code: number | null; stdout: string; stderr: string };

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // Only what a fresh shell would have: no tokens leak in from the developer's environment.
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...extra };
}

function runHeed(args: string[], env: Record<string, string>, cwd: string): Promise<Result> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [HEED, ...args], { cwd, env: baseEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

const workdir = () => mkdtempSync(join(tmpdir(), 'heed-cli-'));

describe('heed', () => {
  it('lists its commands and gives each a --help', async () => {
    const cwd = workdir();
    const overview = await runHeed(['--help'], {}, cwd);
    expect(overview.code).toBe(0);
    // Node runs the TypeScript sources itself: no ExperimentalWarning or other noise on stderr.
    expect(overview.stderr).toBe('');
    for (const name of ['start', 'migrate', 'doctor', 'demo', 'config-schema'])
      expect(overview.stdout).toContain(`  ${name}`);
    const help = await runHeed(['migrate', '--help'], {}, cwd);
    expect(help.stdout).toMatch(/^Usage: heed migrate/);
    const unknown = await runHeed(['frobnicate'], {}, cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    const badFlag = await runHeed(['doctor', '--verbose'], {}, cwd);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--verbose'[\s\S]*Usage: heed doctor/);
  });

  it('doctor names the offending key of a broken policy file and exits non-zero', async () => {
    const cwd = workdir();
    writeFileSync(
      join(cwd, 'heed.config.json'),
      JSON.stringify({
        calendars: { default: { timezone: 'Europe/Berlin', hours: { mon: [['09:00', '17:00']] } } },
        teams: [{ name: 'support', channel: 'C0SUPPORT', calendar: 'default' }],
        sla: [{ name: 'standard', firstResponse: '4 hours' }],
      }),
    );
    const result = await runHeed(['doctor'], { DATABASE_URL: `file:${join(cwd, 'heed.db')}` }, cwd);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /✗ Policy file: Policy file \.\/heed\.config\.json is invalid:\n\s+sla\[0\]\.firstResponse: "4 hours" is not a duration/,
    );
    expect(result.stdout).toMatch(/✓ Environment/);
    expect(result.stdout).toMatch(/1 check\(s\) failed/);
  });

  it('stops at start-up with one message naming a malformed variable', async () => {
    const cwd = workdir();
    const result = await runHeed(['migrate'], { PORT: 'eighty' }, cwd);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'heed migrate: Environment variable PORT is invalid: Invalid input: expected number, received NaN.\n  To fix: use a port number between 0 and 65535',
    );
  });

  it('prints the policy JSON Schema', async () => {
    const result = await runHeed(['config-schema'], {}, workdir());
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).properties.teams.type).toBe('array');
  });
});

describe.each(testProviders())('heed on %s', (provider) => {
  const databases: TestDatabase[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    for (const database of databases.splice(0)) await database.drop();
  });

  it('migrate creates every table, and a second run finds nothing to do', async () => {
    const database = await createTestDatabase(provider);
    databases.push(database);
    const cwd = workdir();
    const first = await runHeed(['migrate'], { DATABASE_URL: database.url }, cwd);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied \d+_init/);
    const second = await runHeed(['migrate'], { DATABASE_URL: database.url }, cwd);
    expect(second.stdout).toMatch(/Database is up to date/);
    const db = await openDatabase(database.url);
    try {
      const { readFileSync } = await import('node:fs');
      const models = parseSchemaFile(
        readFileSync(join(import.meta.dirname, '..', '..', 'prisma', 'schema.prisma'), 'utf8'),
      );
      const tables =
        db.provider === 'sqlite'
          ? (db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map(
              (r) => r.name,
            )
          : (
              await db.pg.query<{ table_name: string }>(
                "SELECT table_name FROM information_schema.tables WHERE table_schema='public'",
              )
            ).rows.map((r) => r.table_name);
      expect(tables).toEqual(expect.arrayContaining([...models.map((m) => m.name), '_prisma_migrations']));
    } finally {
      await db.close();
    }
  });

  it('start serves /healthz and shuts down cleanly on SIGTERM', async () => {
    const database = await createTestDatabase(provider);
    databases.push(database);
    const child = spawn(process.execPath, [HEED, 'start', '--port', '0'], {
      cwd: workdir(),
      env: baseEnv({ DATABASE_URL: database.url, LOG_LEVEL: 'info' }),
    });
    children.push(child);
    let output = '';
    const port = await new Promise<number>((resolvePort, rejectPort) => {
      const timer = setTimeout(() => rejectPort(new Error(`no port in output: ${output}`)), 20_000);
      child.stdout!.on('data', (chunk) => {
        output += chunk;
        const match = /"port":(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolvePort(Number(match[1]));
        }
      });
    });
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'ok' });
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    const exit = new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(output).toMatch(/Heed stopped/);
  });
});

describe('heed start on SQLite', () => {
  it('refuses a second process on the same SQLite file with a clear message', async () => {
    const cwd = workdir();
    const env = { DATABASE_URL: `file:${join(cwd, 'data', 'heed.db')}`, LOG_LEVEL: 'info' };
    const first = spawn(process.execPath, [HEED, 'start', '--port', '0'], { cwd, env: baseEnv(env) });
    try {
      await new Promise<void>((resolveStarted) => {
        let output = '';
        first.stdout.on('data', (chunk) => {
          output += chunk;
          if (output.includes('Heed is listening')) resolveStarted();
        });
      });
      const second = await runHeed(['start', '--port', '0'], env, cwd);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('one process per SQLite file — use PostgreSQL to run replicas');
    } finally {
      first.kill('SIGKILL');
    }
  });
});
