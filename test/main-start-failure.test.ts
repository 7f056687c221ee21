// A `heed start` that fails half way — after it took the SQLite instance lock and opened the database — gives
// everything back: the lock is free, the database connection closed, the port unbound, and the next start (once
// the cause is fixed) comes up. Two real causes: a migration that cannot apply (a table someone created by hand)
// and the port taken by another process. On SQLite and PostgreSQL.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { sqlitePath } from '../src/db/client.ts';
import { acquireSqliteInstanceLock } from '../src/db/instance-lock.ts';
import { silentLogger } from '../src/logger.ts';
import { type RunningHeed, startHeed } from '../src/main.ts';
import { TEST_SIGNING_SECRET } from './slack/support/slack-requests.ts';
import { createTestDatabase, type TestDatabase, testProviders } from './support/db.ts';

const POLICY = {
  calendars: { office: { timezone: 'UTC', hours: { mon: [['09:00', '17:00']] } } },
  teams: [{ name: 'tier1', channel: 'CTIER1', calendar: 'office' }],
  sla: [{ name: 'standard', firstResponse: '1h' }],
};

function configFor(url: string) {
  return loadConfig({
    env: {
      DATABASE_URL: url,
      HUBSPOT_ACCESS_TOKEN: 'pat-na1-00000000-start-failure',
      // Nobody answers there: the vendors' watches only retry, which is all this test needs of them.
      HUBSPOT_API_URL: 'http://127.0.0.1:9',
      SLACK_BOT_TOKEN: 'xoxb-test-start-failure',
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      HEED_CONFIG: '/policy.json',
    },
    fileExists: () => true,
    readFile: () => JSON.stringify(POLICY),
  });
}

/** Runs SQL on the test database with a connection of its own (not Heed's). */
async function sql(database: TestDatabase, statement: string): Promise<void> {
  if (database.provider === 'sqlite') {
    const connection = new Database(sqlitePath(database.url));
    connection.exec(statement);
    connection.close();
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(statement);
  await client.end();
}

/** Connections Heed holds to the database: open SQLite files (WAL mode keeps -wal/-shm while one is open), or backends. */
async function heedConnections(database: TestDatabase): Promise<number> {
  if (database.provider === 'sqlite') {
    const path = sqlitePath(database.url);
    return [`${path}-wal`, `${path}-shm`].filter((file) => existsSync(file)).length;
  }
  const name = new URL(database.url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: process.env.HEED_TEST_PG_URL });
  await admin.connect();
  try {
    // A closed pool's backends take a moment to leave pg_stat_activity (longer on a loaded machine: up to 10 s).
    for (const deadline = Date.now() + 10_000; ; ) {
      const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
      const n = (rows[0] as { n: number }).n;
      if (n === 0 || Date.now() > deadline) return n;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await admin.end();
  }
}

function lockIsFree(database: TestDatabase): boolean {
  if (database.provider !== 'sqlite') return true;
  try {
    acquireSqliteInstanceLock(sqlitePath(database.url))?.release();
    return true;
  } catch {
    return false;
  }
}

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve) => server.listen(port, resolve));
  return (server.address() as { port: number }).port;
}

describe.each(testProviders())('a start that fails half way on %s', (provider) => {
  let database: TestDatabase;
  let heed: RunningHeed | undefined;
  let blocker: Server | undefined;
  afterEach(async () => {
    await heed?.stop();
    heed = undefined;
    if (blocker?.listening) await new Promise((resolve) => blocker!.close(resolve));
    await database?.drop();
  });

  it('a migration that cannot apply: the lock is free and the database closed; fixed, the next start comes up', async () => {
    database = await createTestDatabase(provider);
    await sql(database, 'CREATE TABLE "Portal" ("made" INTEGER)');
    const config = configFor(database.url);

    await expect(startHeed({ config, logger: silentLogger(), port: 0, schedules: false })).rejects.toThrow(/Portal/);
    expect(lockIsFree(database)).toBe(true);
    expect(await heedConnections(database)).toBe(0);

    await sql(database, 'DROP TABLE "Portal"');
    heed = await startHeed({ config, logger: silentLogger(), port: 0, schedules: false });
    expect(await heed.db.prisma.portal.count()).toBe(0);
    // PostgreSQL has no instance lock: replicas share the database.
    if (provider === 'sqlite') expect(lockIsFree(database)).toBe(false);
    await heed.stop();
    heed = undefined;
    expect(lockIsFree(database)).toBe(true);
    expect(await heedConnections(database)).toBe(0);
  });

  it('the port taken by another process: lock, database and Slack app given back; once it is free, Heed starts on it', async () => {
    database = await createTestDatabase(provider);
    blocker = createServer();
    const port = await listen(blocker);
    const config = configFor(database.url);

    await expect(startHeed({ config, logger: silentLogger(), port, schedules: false })).rejects.toThrow(
      /EADDRINUSE|in use/,
    );
    expect(lockIsFree(database)).toBe(true);
    expect(await heedConnections(database)).toBe(0);

    await new Promise((resolve) => blocker!.close(resolve));
    heed = await startHeed({ config, logger: silentLogger(), port, schedules: false });
    expect(heed.port).toBe(port);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
