// One page of a sync stream and the cursor that points past it, written in one transaction: a sync killed at any
// moment resumes from the last committed page, losing and duplicating nothing. Bulk writes are raw SQL (a
// prepared statement per row in one transaction on SQLite, INSERT … SELECT FROM UNNEST on PostgreSQL): Prisma's
// per-row writes run ~50× slower (../shared/docs/prisma-offline.md). The two dialects live apart (page-writer-sqlite.ts,
// page-writer-pg.ts) and share their columns (hubspot-columns.ts) and their ticket rule (ticket-change.ts).
import type { FeedbackRow, TicketRow, UserRow } from '../hubspot/map.ts';
import { type DbDriver, pgTransaction, sqliteWrite } from './client.ts';
import { PgPageWriter } from './page-writer-pg.ts';
import { SqlitePageWriter } from './page-writer-sqlite.ts';

/** A sync cursor's new value, written with the page it points past. */
export type CursorWrite = { name: string; value: string };

export type TicketUpsertResult = {
  /** Tickets Heed had not seen before (their associations still need fetching when the payload had none). */
  inserted: string[];
  /** Tickets whose stage changed: a stage period was closed and a new one opened. */
  stageChanges: number;
  /** Rows ignored because the stored copy is newer (a late page or batch read). */
  stale: number;
};

/**
 * What a page transaction can do. SQLite's writer runs each call synchronously inside better-sqlite3's
 * transaction; PostgreSQL's awaits each statement on the transaction's client.
 */
export type PageWriter = {
  tickets(rows: readonly TicketRow[]): TicketUpsertResult | Promise<TicketUpsertResult>;
  feedback(rows: readonly FeedbackRow[]): { inserted: string[] } | Promise<{ inserted: string[] }>;
  users(rows: readonly UserRow[]): { inserted: string[] } | Promise<{ inserted: string[] }>;
  cursor(cursor: CursorWrite): void | Promise<void>;
};

/** Runs the writes of one page in one transaction on either database; `now` is the rows' syncedAt. */
export async function writePage<T>(db: DbDriver, now: number, block: (tx: PageWriter) => T | Promise<T>): Promise<T> {
  if (db.provider === 'sqlite') {
    const writer = new SqlitePageWriter(db.sqlite, now);
    // better-sqlite3 transactions are synchronous: the block must not await, and SqlitePageWriter never does.
    return sqliteWrite(db.sqlite, () => block(writer) as T);
  }
  return pgTransaction(db.pg, async (client) => block(new PgPageWriter(client, now)));
}

/** Writes a page of one stream and, when given, moves its cursor in the same transaction. */
export function writePageWithCursor<T>(
  db: DbDriver,
  now: number,
  cursor: CursorWrite | undefined,
  write: (tx: PageWriter) => T | Promise<T>,
): Promise<T> {
  return writePage(db, now, (tx) => {
    const result = write(tx);
    if (result instanceof Promise) {
      return result.then(async (value) => {
        if (cursor) await tx.cursor(cursor);
        return value;
      });
    }
    if (cursor) tx.cursor(cursor);
    return result;
  });
}
