// Gives each test a fresh, migrated database: SQLite in a temp file always, and PostgreSQL too when
// HEED_TEST_PG_URL points at a server (CI starts one with .ci/pg.sh). Never mocked.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Db, openDatabase } from '../../src/db/client.ts';

export type TestProvider = 'sqlite' | 'postgresql';

/**
 * The providers to run database tests on: `describe.each(testProviders())(...)`.
 * SQLite alone by default; both when HEED_TEST_PG_URL names a server; HEED_TEST_DATABASE=postgresql
 * (CI's second pass) or =sqlite picks one.
 */
export function testProviders(): TestProvider[] {
  const only = process.env.HEED_TEST_DATABASE;
  if (only === 'sqlite' || only === 'postgresql') return [only];
  return process.env.HEED_TEST_PG_URL ? ['sqlite', 'postgresql'] : ['sqlite'];
}

export type TestDatabase = { url: string; provider: TestProvider; drop(): Promise<void> };

/** Creates an empty database (not migrated) and returns its URL. */
export async function createTestDatabase(provider: TestProvider): Promise<TestDatabase> {
  if (provider === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'heed-test-'));
    return {
      url: `file:${join(dir, 'heed.db')}`,
      provider,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl = process.env.HEED_TEST_PG_URL;
  if (!adminUrl) throw new Error('HEED_TEST_PG_URL is not set: start a server with .ci/pg.sh start');
  const name = `heed_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    provider,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export type OpenTestDb = Db & { url: string; dispose(): Promise<void> };

/** A fresh migrated database; call `dispose()` in afterEach/afterAll. */
export async function openTestDb(provider: TestProvider): Promise<OpenTestDb> {
  const database = await createTestDatabase(provider);
  const db = await openDatabase(database.url, { migrate: true });
  return Object.assign(db, {
    url: database.url,
    dispose: async () => {
      await db.close();
      await database.drop();
    },
  });
}
