// Runs the real `heed status` in a child process, as someone with shell access would.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { openDatabase } from '../../src/db/client.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';

const HEED = join(import.meta.dirname, '..', '..', 'bin', 'heed.js');

function runHeed(args: string[], env: Record<string, string>, cwd: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun) => {
    const child = spawn(process.execPath, [HEED, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** `heed` in this process, with the given environment variables set for the call only. */
async function inProcess(args: string[], env: Record<string, string>) {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  try {
    const code = await main(args, { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`) });
    return { code, stdout, stderr };
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

describe.each(testProviders())('heed status on %s', (provider) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it('prints the last sync, queues, open flags per team and the next digest', async () => {
    database = await createTestDatabase(provider);
    const db = await openDatabase(database.url, { migrate: true });
    const finishedAt = new Date(Date.now() - 3 * 60_000);
    try {
      await db.prisma.syncRun.create({
        data: {
          id: 's1',
          kind: 'backfill',
          status: 'ok',
          startedAt: new Date(finishedAt.getTime() - 60_000),
          finishedAt,
          stats: JSON.stringify({ records: { tickets: 250, feedback: 40 } }),
        },
      });
      await db.prisma.pendingFetch.create({ data: { objectType: 'ticket', objectId: '7', queuedAt: finishedAt } });
      await db.prisma.flag.create({
        data: {
          key: 'k1',
          kind: 'ticket',
          team: 'support',
          state: 'breached',
          raisedAt: finishedAt,
          updatedAt: finishedAt,
        },
      });
    } finally {
      await db.close();
    }
    const cwd = mkdtempSync(join(tmpdir(), 'heed-status-'));
    const text = await runHeed(['status'], { DATABASE_URL: database.url }, cwd);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Heed status at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    // No HubSpot token in this environment: nothing to wait for, and the database is fine.
    expect(text.stdout).toMatch(/\nReady: +yes\n/);
    // Minutes, not exactly 3: the child process may take a while to start on a busy machine.
    expect(text.stdout).toMatch(/Last sync: +backfill, ok, finished .* \(\d+ min ago\); 250 tickets, 40 feedback/);
    expect(text.stdout).toMatch(/Webhook fetches: +1 pending/);
    // No policy file: the default team "support" (digest Mon–Fri 09:00 UTC).
    expect(text.stdout).toMatch(/ {2}support {2}1 open: 0 at risk, 1 breached, 0 feedback; next digest /);

    // --json in-process (a second child process would only repeat the start-up cost).
    const json = await inProcess(['status', '--json'], {
      DATABASE_URL: database.url,
      HEED_CONFIG: join(cwd, 'none.json'),
    });
    expect(json.code).toBe(0);
    const facts = JSON.parse(json.stdout);
    expect(facts).toMatchObject({ provider, pendingWebhookFetches: 1, lastSync: { id: 's1', status: 'ok' } });
    expect(facts.teams[0]).toMatchObject({ team: 'support', open: 1, breached: 1 });

    // With a HubSpot token, a sync older than readyMaxSyncAgeMinutes (30) makes it not ready, and says why.
    const stale = await inProcess(['status'], {
      DATABASE_URL: database.url,
      HEED_CONFIG: join(cwd, 'none.json'),
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-00000000-0000-0000-0000-000000000000',
    });
    expect(stale.code).toBe(0);
    expect(stale.stdout).toMatch(/\nReady: +yes\n/); // 3 minutes old: still fresh
    const db2 = await openDatabase(database.url);
    try {
      await db2.prisma.syncRun.updateMany({ data: { finishedAt: new Date(Date.now() - 45 * 60_000) } });
    } finally {
      await db2.close();
    }
    const old = await inProcess(['status'], {
      DATABASE_URL: database.url,
      HEED_CONFIG: join(cwd, 'none.json'),
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-00000000-0000-0000-0000-000000000000',
    });
    expect(old.stdout).toMatch(/\nReady: +no: the last successful HubSpot sync finished 4\d minutes ago/);
  });
});

describe('heed status without a database', () => {
  it('says so instead of creating an empty one', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'heed-status-'));
    const path = join(cwd, 'nothing-here.db');
    const result = await inProcess(['status'], { DATABASE_URL: `file:${path}`, HEED_CONFIG: join(cwd, 'none.json') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`heed status: There is no Heed database at ${path}.`);
    expect(result.stderr).toContain('To fix: check DATABASE_URL');
    expect(result.stdout).toBe('');
  });
});
