// Applies the committed SQL migrations (prisma/migrations/<provider>/<timestamp>_<name>/migration.sql) at start-up
// and on `heed migrate`. Prisma's CLI needs a schema-engine binary it cannot download offline, so Heed applies
// them itself — recording each in `_prisma_migrations` with Prisma's own column layout and checksum, so that
// `prisma migrate deploy` (where the internet is) sees them as applied.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import type { DbDriver } from './client.ts';
import type { Provider } from './schema-file.ts';

export const MIGRATIONS_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prisma', 'migrations');

/** The key Prisma itself locks while migrating PostgreSQL, so Heed and `prisma migrate deploy` exclude each other. */
export const PRISMA_ADVISORY_LOCK = 72707369;

export type MigrationFile = { name: string; sql: string; checksum: string };

export type MigrationReport = { applied: string[]; alreadyApplied: number; warnings: string[] };

export function migrationsDir(provider: Provider, root = MIGRATIONS_ROOT): string {
  return join(root, provider);
}

export function readMigrations(provider: Provider, root = MIGRATIONS_ROOT): MigrationFile[] {
  const dir = migrationsDir(provider, root);
  if (!existsSync(dir)) throw new Error(`migrations folder missing: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const POSTGRES_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

type AppliedRow = { migration_name: string; checksum: string; finished_at: unknown; rolled_back_at: unknown };

/** Compares what the database recorded with the files; throws on a failed migration, returns warnings otherwise. */
function plan(files: MigrationFile[], rows: AppliedRow[]): { pending: MigrationFile[]; warnings: string[] } {
  const warnings: string[] = [];
  const failed = rows.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed) {
    throw new AppError(
      'DB_MIGRATION_FAILED',
      `Migration ${failed.migration_name} started earlier but never finished.`,
      {
        fix: `inspect the database, then delete that row from _prisma_migrations (or run \`prisma migrate resolve --rolled-back ${failed.migration_name}\`) and start again`,
      },
    );
  }
  const applied = new Map(rows.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row]));
  for (const file of files) {
    const row = applied.get(file.name);
    if (row && row.checksum !== file.checksum) {
      warnings.push(
        `migration ${file.name} was edited after it was applied (checksum differs); the database keeps the old version`,
      );
    }
  }
  const known = new Set(files.map((file) => file.name));
  for (const name of applied.keys()) {
    if (!known.has(name))
      warnings.push(`the database has migration ${name}, which this version of Heed does not know (newer Heed?)`);
  }
  return { pending: files.filter((file) => !applied.has(file.name)), warnings };
}

function migrateSqlite(db: BetterSqlite3.Database, files: MigrationFile[]): MigrationReport {
  db.exec(SQLITE_TABLE);
  // BEGIN IMMEDIATE takes the write lock first, so two processes starting together apply each migration once.
  const lockAndPlan = db.transaction(() => {
    const rows = db
      .prepare('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"')
      .all() as AppliedRow[];
    return plan(files, rows);
  });
  const { pending, warnings } = lockAndPlan.immediate();
  const applied: string[] = [];
  for (const file of pending) {
    const apply = db.transaction(() => {
      const stillPending = !db
        .prepare('SELECT 1 FROM "_prisma_migrations" WHERE migration_name = ? AND rolled_back_at IS NULL')
        .get(file.name);
      if (!stillPending) return false;
      const startedAt = Date.now();
      db.exec(file.sql);
      db.prepare(
        'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)',
      ).run(randomUUID(), file.checksum, Date.now(), file.name, startedAt);
      return true;
    });
    try {
      if (apply.immediate()) applied.push(file.name);
    } catch (error) {
      throw new AppError(
        'DB_MIGRATION_FAILED',
        `Migration ${file.name} failed and was rolled back: ${(error as Error).message}`,
        {
          fix: 'check that DATABASE_URL points at a Heed database and that the disk is writable',
          cause: error,
        },
      );
    }
  }
  return { applied, alreadyApplied: files.length - pending.length, warnings };
}

async function migratePostgres(pool: pg.Pool, files: MigrationFile[]): Promise<MigrationReport> {
  const client = await pool.connect();
  try {
    // Session-level advisory lock (Prisma's key): replicas starting together wait here and then find nothing to do.
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(POSTGRES_TABLE);
    const { rows } = await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
    );
    const { pending, warnings } = plan(files, rows);
    const applied: string[] = [];
    for (const file of pending) {
      try {
        await client.query('BEGIN');
        const started = new Date();
        await client.query(file.sql);
        await client.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)',
          [randomUUID(), file.checksum, file.name, started.toISOString()],
        );
        await client.query('COMMIT');
        applied.push(file.name);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new AppError(
          'DB_MIGRATION_FAILED',
          `Migration ${file.name} failed and was rolled back: ${(error as Error).message}`,
          {
            fix: 'check that DATABASE_URL points at a Heed database and that its user may create tables',
            cause: error,
          },
        );
      }
    }
    return { applied, alreadyApplied: files.length - pending.length, warnings };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => undefined);
    client.release();
  }
}

export async function applyMigrations(
  target: DbDriver,
  files = readMigrations(target.provider),
): Promise<MigrationReport> {
  return target.provider === 'sqlite' ? migrateSqlite(target.sqlite, files) : migratePostgres(target.pg, files);
}

/** Names of committed migrations the database has not applied (for readiness and `heed doctor`). */
export async function pendingMigrations(target: DbDriver, files = readMigrations(target.provider)): Promise<string[]> {
  const query =
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';
  let names: string[];
  try {
    names =
      target.provider === 'sqlite'
        ? (target.sqlite.prepare(query).all() as { migration_name: string }[]).map((row) => row.migration_name)
        : (await target.pg.query<{ migration_name: string }>(query)).rows.map((row) => row.migration_name);
  } catch {
    return files.map((file) => file.name); // no migrations table yet
  }
  const applied = new Set(names);
  return files.filter((file) => !applied.has(file.name)).map((file) => file.name);
}
