// Raw SQL for the repositories that read more rows than Prisma's per-row runtime can map in time (the SLA
// engine, the digest, the /unanswered lists): one way to prepare, parameterise and read on both databases.
// `?` placeholders everywhere, rows as arrays in SELECT order, DateTime columns read as epoch milliseconds.
import type BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { DbDriver } from './client.ts';
import { sqliteDate } from './sqlite-date.ts';

export type RawRow = unknown[];

/**
 * Prepared statements by SQL text, per connection. Planning a query can cost more than running it, and a
 * statement prepared anew each time holds native memory until the garbage collector gets round to it.
 * IN lists and incremental scopes vary the text a little; the cache is bounded so that cannot grow it.
 */
const statements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();
const MAX_CACHED_STATEMENTS = 500;

/** A cached statement returning plain numbers (not BigInt); callers choose `.raw()` rows or objects. */
export function cachedStatement(sqlite: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
  let cache = statements.get(sqlite);
  if (!cache) {
    cache = new Map();
    statements.set(sqlite, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
    statement = sqlite.prepare(sql).safeIntegers(false);
    cache.set(sql, statement);
  }
  return statement;
}

// node-postgres reads `timestamp` (without zone) columns in the process's local zone; Heed stores UTC.
// (Reads fetch dates as epoch milliseconds anyway; this covers any timestamp that slips through.)
const PG_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === 1114
      ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
      : pg.types.getTypeParser(oid, format ?? 'text'),
} as pg.CustomTypesConfig;

/** Rows as arrays in SELECT order; Date and boolean parameters in each provider's stored form. */
export async function rawRows(db: DbDriver, sql: string, params: readonly unknown[] = []): Promise<RawRow[]> {
  if (db.provider === 'sqlite') {
    const values = params.map((p) => (p instanceof Date ? sqliteDate(p) : typeof p === 'boolean' ? Number(p) : p));
    return cachedStatement(db.sqlite, sql)
      .raw(true)
      .all(...values) as RawRow[];
  }
  let index = 0;
  const result = await db.pg.query({
    text: sql.replace(/\?/g, () => `$${++index}`),
    // Stored as UTC `timestamp` (no zone): compared with UTC ISO strings.
    values: params.map((p) => (p instanceof Date ? p.toISOString() : p)),
    types: PG_TYPES,
    rowMode: 'array',
  });
  return result.rows as RawRow[];
}

/**
 * A DateTime expression as epoch milliseconds. Turning 100,000 ISO strings into JS strings and then Dates
 * costs more than the whole query; numbers cost next to nothing.
 */
export function epochMs(db: Pick<DbDriver, 'provider'>, expression: string): string {
  return db.provider === 'sqlite'
    ? `CAST(ROUND(unixepoch(${expression}, 'subsec') * 1000) AS INTEGER)`
    : `(EXTRACT(EPOCH FROM ${expression}) * 1000)::float8`;
}
