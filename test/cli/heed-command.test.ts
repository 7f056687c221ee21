// Runs the real `heed` command in a child process, as someone at a terminal would.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { parseSchemaFile } from '../../src/db/schema-file.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';

const HEED = join(import.meta.dirname, '..', '..', 'bin', 'heed.js');

type Result = { code: number | null; stdout: string; stderr: string };

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // Only what a fresh shell would have: no tokens leak in from the developer's environment.
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...extra };
}

/** Runs `heed` to its end; one still running after `timeoutMs` is killed (and its code is null). */
function runHeed(args: string[], env: Record<string, string>, cwd: string, timeoutMs = 20_000): Promise<Result> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [HEED, ...args], { cwd, env: baseEnv(env) });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

const workdir = () => mkdtempSync(join(tmpdir(), 'heed-cli-'));

/**
 * What `heed start` needs, pointing at vendors that are down: nothing listens on Slack's port, and HubSpot (the
 * simulator, shared by the file) refuses this token with a 401. Start-up must not wait for either.
 */
let hubspot: Simulator | undefined;
beforeAll(async () => {
  hubspot = await startSimulator({
    portal: new SimPortal({ now: Date.now(), tickets: 1, seed: 1 }),
    accessToken: 'pat-na1-the-only-token-the-simulator-accepts',
  });
});
afterAll(async () => {
  await hubspot?.close();
});
function serverEnv(): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-cli-test-token',
    SLACK_SIGNING_SECRET: 'cli-test-signing-secret',
    SLACK_API_URL: 'http://127.0.0.1:9/api/',
    HUBSPOT_ACCESS_TOKEN: 'pat-na1-cli-test-revoked-token',
    HUBSPOT_API_URL: hubspot!.url,
  };
}

/** Spawns `heed start` and resolves with the port from its "Heed is listening" line. */
function startListening(
  env: Record<string, string>,
  cwd: string,
): { child: ChildProcess; port: Promise<number>; output: () => string } {
  const child = spawn(process.execPath, [HEED, 'start', '--port', '0'], { cwd, env: baseEnv(env) });
  let output = '';
  child.stderr!.on('data', (chunk) => (output += chunk));
  const port = new Promise<number>((resolvePort, rejectPort) => {
    const timer = setTimeout(() => rejectPort(new Error(`no port in output: ${output}`)), 20_000);
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /"port":(\d+)[^\n]*Heed is listening/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    });
    child.on('close', () => rejectPort(new Error(`heed start exited: ${output}`)));
  });
  return { child, port, output: () => output };
}

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
    // The policy file, and the three tokens `heed start` needs (none is set here).
    expect(result.stdout).toMatch(/✗ HubSpot token: HUBSPOT_ACCESS_TOKEN is not set/);
    expect(result.stdout).toMatch(/4 check\(s\) failed/);
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

  it('start serves /healthz while Slack and HubSpot are down, says why on /readyz, and shuts down cleanly on SIGTERM', async () => {
    const database = await createTestDatabase(provider);
    databases.push(database);
    const started = startListening({ ...serverEnv(), DATABASE_URL: database.url, LOG_LEVEL: 'info' }, workdir());
    children.push(started.child);
    const port = await started.port;
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'ok' });
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    // Not ready, naming both vendors and what each said (once each has been tried).
    let ready: { status: number; body: { reasons?: string[]; dependencies?: { name: string; code: string }[] } };
    const deadline = Date.now() + 15_000;
    do {
      const answer = await fetch(`http://127.0.0.1:${port}/readyz`);
      ready = { status: answer.status, body: (await answer.json()) as typeof ready.body };
      const codes = Object.fromEntries((ready.body.dependencies ?? []).map((d) => [d.name, d.code]));
      if (codes['slack'] === 'unreachable' && codes['hubspot'] === 'HUBSPOT_AUTH') break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
    expect(ready.status).toBe(503);
    expect(ready.body.dependencies?.map((d) => [d.name, d.code]).sort()).toEqual([
      ['hubspot', 'HUBSPOT_AUTH'],
      ['slack', 'unreachable'],
    ]);
    expect(ready.body.reasons?.join('\n')).toMatch(/^slack: cannot reach Slack: .*\(unreachable, since /m);
    expect(ready.body.reasons?.join('\n')).toMatch(
      /^hubspot: HubSpot refused the access token \(401\); sync is paused/m,
    );
    const exit = new Promise<number | null>((resolveExit) => started.child.on('close', resolveExit));
    started.child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(started.output()).toMatch(/Heed stopped/);
    // One line for the paused sync, not one per retry.
    expect(started.output().match(/HubSpot refused the access token \(401\): sync is paused/g)).toHaveLength(1);
  });
});

describe('heed start without what it needs', () => {
  it('refuses to start, naming each missing token with its fix, in one message', async () => {
    const result = await runHeed(
      ['start', '--port', '0'],
      { DATABASE_URL: `file:${join(workdir(), 'heed.db')}` },
      workdir(),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const message = result.stderr.trim();
    expect(message).toMatch(/^heed start: 3 variables Heed needs to run are not set:/);
    expect(message).toContain(
      '  SLACK_BOT_TOKEN — needed to post and read in Slack.\n    To fix: copy the Bot User OAuth Token',
    );
    expect(message).toContain(
      "  SLACK_SIGNING_SECRET — needed to verify Slack's requests to /slack/events (or set SLACK_APP_TOKEN for Socket Mode).",
    );
    expect(message).toContain(
      '  HUBSPOT_ACCESS_TOKEN — needed to sync tickets and feedback from HubSpot.\n    To fix: create a HubSpot service key',
    );
    expect(message).toMatch(/To fix: set them in the environment .*or try `heed demo`, which needs none$/);
  });

  it('in Socket Mode needs no signing secret', async () => {
    const result = await runHeed(
      ['start', '--port', '0'],
      { DATABASE_URL: `file:${join(workdir(), 'heed.db')}`, SLACK_APP_TOKEN: 'xapp-1-A1-cli' },
      workdir(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/2 variables Heed needs to run are not set/);
    expect(result.stderr).toContain('SLACK_BOT_TOKEN');
    expect(result.stderr).toContain('HUBSPOT_ACCESS_TOKEN');
    expect(result.stderr).not.toContain('SLACK_SIGNING_SECRET');
  });
});

describe('heed start on SQLite', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  // The second process is started with the same file named another way: as written, through `..`, and through a
  // symlink (to the file, and to its folder). Each must find the first one's lock.
  it.each([
    ['the same path', (cwd: string) => join(cwd, 'data', 'heed.db')],
    ['a path through ..', (cwd: string) => join(cwd, 'data', '..', 'data', 'heed.db')],
    [
      'a symlink to the file',
      (cwd: string) => {
        symlinkSync(join(cwd, 'data', 'heed.db'), join(cwd, 'alias.db'));
        return join(cwd, 'alias.db');
      },
    ],
    [
      'a symlink to its folder',
      (cwd: string) => {
        symlinkSync(join(cwd, 'data'), join(cwd, 'linked'));
        return join(cwd, 'linked', 'heed.db');
      },
    ],
  ])('refuses a second process on the same SQLite file named by %s', async (_name, secondPath) => {
    const cwd = workdir();
    mkdirSync(join(cwd, 'data'));
    const env = { ...serverEnv(), DATABASE_URL: `file:${join(cwd, 'data', 'heed.db')}`, LOG_LEVEL: 'info' };
    const first = startListening(env, cwd);
    children.push(first.child);
    await first.port;
    const second = await runHeed(['start', '--port', '0'], { ...env, DATABASE_URL: `file:${secondPath(cwd)}` }, cwd);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('Another Heed process is already running on');
    expect(second.stderr).toContain('one process per SQLite file — use PostgreSQL to run replicas');
    // The first one is untouched.
    expect(first.child.exitCode).toBeNull();
  });
});
