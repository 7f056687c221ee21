// Opens Heed's database: SQLite (the embedded default) or PostgreSQL (for several replicas), with one Prisma
// client over a driver adapter, plus the raw driver for the bulk writes Prisma is too slow for
// (Prisma's bulk writes run at ~1.8k rows/s; a prepared statement in one transaction runs at 100k+).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { databaseProvider } from '../config.ts';
import { AppError } from '../errors.ts';
import { PrismaClient as PostgresPrismaClient } from '../generated/postgresql/client.ts';
import { PrismaClient } from '../generated/sqlite/client.ts';
import { applyMigrations, type MigrationReport, pendingMigrations } from './migrate.ts';
import { cachedStatement } from './raw-sql.ts';

export type { PrismaClient };

/** SQLite's raw driver. */
export type SqliteDriver = {
  readonly provider: 'sqlite';
  /**
   * The very connection Prisma's adapter uses (one connection, so raw writes and Prisma never wait on each
   * other's locks). It returns integers as BigInt unless a statement calls `.safeIntegers(false)`.
   * Run raw writes with `sqliteWrite`, which waits while a Prisma transaction is open on the connection.
   */
  readonly sqlite: BetterSqlite3.Database;
};

/** PostgreSQL's raw driver: the pool Prisma's adapter uses. */
export type PostgresDriver = {
  readonly provider: 'postgresql';
  readonly pg: pg.Pool;
};

/**
 * The raw driver, discriminated by provider: code that writes SQL of its own narrows on `provider` and then
 * has the one driver that provider has (no optional fields, no assertions).
 */
export type DbDriver = SqliteDriver | PostgresDriver;

export type Db = DbDriver & {
  /**
   * The Prisma client. Typed as the SQLite client: both generated clients have the same model API
   * (only `$transaction` isolation levels differ), so code is written once against this type.
   */
  readonly prisma: PrismaClient;
  migrate(): Promise<MigrationReport>;
  pendingMigrations(): Promise<string[]>;
  /** Cheap round trip, for /healthz and /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
};

export type OpenDatabaseOptions = {
  /** Apply pending migrations before returning (start-up does; `heed doctor` does not). */
  migrate?: boolean;
  /** SQLite busy timeout in ms. */
  busyTimeoutMs?: number;
};

/** `file:./data/heed.db` → absolute path; `file::memory:` stays in memory. */
export function sqlitePath(url: string): string {
  const path = url.replace(/^file:/, '');
  return path === ':memory:' ? path : resolve(path);
}

export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<Db> {
  const db = databaseProvider(url) === 'postgresql' ? await openPostgres(url) : await openSqlite(url, options);
  if (options.migrate) {
    // A migration that cannot apply leaves no connection open behind it (heed start's next attempt, a CLI's exit).
    await db.migrate().catch(async (error: unknown) => {
      await db.close();
      throw error;
    });
  }
  return db;
}

async function openSqlite(url: string, options: OpenDatabaseOptions): Promise<Db> {
  const path = sqlitePath(url);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const factory = new PrismaBetterSqlite3({ url: path, timeout: options.busyTimeoutMs ?? 5000 });
  let connection: BetterSqlite3.Database | undefined;
  // Wrap the adapter factory to keep hold of the better-sqlite3 connection it opens.
  const capturing: typeof factory = Object.assign(Object.create(Object.getPrototypeOf(factory)), factory, {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      connection = (adapter as unknown as { client: BetterSqlite3.Database }).client;
      return adapter;
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  });
  const prisma = new PrismaClient({ adapter: capturing });
  try {
    await prisma.$connect();
    await prisma.$queryRawUnsafe('SELECT 1');
  } catch (error) {
    throw new AppError('DB_UNREACHABLE', `Cannot open the SQLite database at ${path}: ${(error as Error).message}`, {
      fix: 'check DATABASE_URL and that the folder is writable',
      cause: error,
    });
  }
  if (!connection) throw new Error('openDatabase: the SQLite adapter did not expose its connection');
  const sqlite = connection;
  if (path !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  sqlite.pragma('synchronous = NORMAL');
  const target: SqliteDriver = { provider: 'sqlite', sqlite };
  return {
    ...target,
    prisma,
    migrate: () => applyMigrations(target),
    pendingMigrations: () => pendingMigrations(target),
    ping: async () => {
      cachedStatement(sqlite, 'SELECT 1').get();
    },
    close: async () => {
      await prisma.$disconnect();
      if (sqlite.open) sqlite.close();
    },
  };
}

async function openPostgres(url: string): Promise<Db> {
  // Sessions in UTC: Prisma maps `timestamp` (without zone) columns as UTC, and so must raw SQL.
  const pool = new pg.Pool({
    connectionString: url,
    options: '-c TimeZone=UTC',
    max: 10,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its server (a restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new AppError('DB_UNREACHABLE', `Cannot reach PostgreSQL: ${(error as Error).message}`, {
      fix: 'check DATABASE_URL (host, port, user, password, database) and that the server is running',
      cause: error,
    });
  }
  const prisma = new PostgresPrismaClient({ adapter: new PrismaPg(pool) }) as unknown as PrismaClient;
  const target: PostgresDriver = { provider: 'postgresql', pg: pool };
  return {
    ...target,
    prisma,
    migrate: () => applyMigrations(target),
    pendingMigrations: () => pendingMigrations(target),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: async () => {
      await prisma.$disconnect();
      await pool.end().catch(() => undefined);
    },
  };
}

/**
 * Runs a synchronous block of raw SQLite writes in one transaction on Prisma's own connection.
 * better-sqlite3 is synchronous, so the block cannot interleave with other JS; it only has to wait
 * while a Prisma interactive transaction is open on the connection (between its awaits).
 */
export async function sqliteWrite<T>(sqlite: BetterSqlite3.Database, block: () => T): Promise<T> {
  while (sqlite.inTransaction) await new Promise((resolveWait) => setTimeout(resolveWait, 1));
  return sqlite.transaction(block).immediate();
}

/** Runs `block` in one transaction on a client of the pool: committed when it returns, rolled back when it throws. */
export async function pgTransaction<T>(pool: pg.Pool, block: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await block(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
