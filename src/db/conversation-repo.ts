// Heed's copy of tickets' conversations (ConversationThread, TicketMessage): what the conversation sync reads to
// know what it has, and its writes — a thread with its new messages and the sync's cursor in one transaction, so
// a sync killed at any moment loses and duplicates nothing (messages are keyed by HubSpot's id: written twice,
// stored once). Writing a thread also marks its ticket synced, so the next incremental evaluation judges it.
import type { MessageRow, ThreadRow } from '../hubspot/conversation-map.ts';
import { type Db, pgTransaction, sqliteWrite } from './client.ts';
import type { CursorWrite } from './page-writer.ts';
import { cachedStatement, epochMs, rawRows } from './raw-sql.ts';
import { sqliteDate } from './sqlite-date.ts';

/** What Heed holds of a thread: whose it is, how far its listing and its messages have been read. */
export type StoredThread = {
  ticketId: string;
  latestMessageAt: number | null;
  messagesSyncedTo: number | null;
};

/** A thread to write: its row, the messages read (maybe none), and how far messages are now read. */
export type ThreadWrite = {
  thread: ThreadRow & { ticketId: string };
  messages: readonly MessageRow[];
  /** The newest message read so far (null: messages not read, the ticket's clocks keep to its properties). */
  messagesSyncedTo: number | null;
  /** The ticket the thread belonged to before, when HubSpot moved it (its clocks change too). */
  previousTicketId?: string | null | undefined;
};

const SQL = {
  thread: `INSERT INTO "ConversationThread" ("id", "ticketId", "contactId", "inboxId", "channelId", "status",
      "createdAt", "closedAt", "latestMessageAt", "messagesSyncedTo", "syncedAt")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT ("id") DO UPDATE SET "ticketId" = excluded."ticketId", "contactId" = excluded."contactId",
      "inboxId" = excluded."inboxId", "channelId" = excluded."channelId", "status" = excluded."status",
      "createdAt" = excluded."createdAt", "closedAt" = excluded."closedAt",
      "latestMessageAt" = excluded."latestMessageAt", "messagesSyncedTo" = excluded."messagesSyncedTo",
      "syncedAt" = excluded."syncedAt"`,
  message: `INSERT INTO "TicketMessage" ("id", "ticketId", "threadId", "type", "direction", "senderKind", "createdAt", "text")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT ("id") DO UPDATE SET "ticketId" = excluded."ticketId", "threadId" = excluded."threadId",
      "type" = excluded."type", "direction" = excluded."direction", "senderKind" = excluded."senderKind",
      "createdAt" = excluded."createdAt", "text" = excluded."text"`,
  reassign: `UPDATE "TicketMessage" SET "ticketId" = ? WHERE "threadId" = ? AND "ticketId" <> ?`,
  touchTicket: `UPDATE "Ticket" SET "syncedAt" = ? WHERE "id" = ?`,
  deleteMessages: `DELETE FROM "TicketMessage" WHERE "threadId" = ?`,
  deleteThread: `DELETE FROM "ConversationThread" WHERE "id" = ?`,
  cursor: `INSERT INTO "SyncCursor" ("name", "value", "updatedAt") VALUES (?, ?, ?)
    ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value", "updatedAt" = excluded."updatedAt"`,
};

/** `?` placeholders numbered for PostgreSQL, timestamps cast. */
function pgSql(sql: string, times: readonly number[] = []): string {
  let index = 0;
  return sql.replace(/\?/g, () => {
    index++;
    return times.includes(index) ? `$${index}::timestamp(3)` : `$${index}`;
  });
}

const pgTime = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class ConversationRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The stored state of these threads, by id (absent: never stored). */
  async threads(ids: readonly string[]): Promise<Map<string, StoredThread>> {
    const out = new Map<string, StoredThread>();
    if (ids.length === 0) return out;
    const ms = (c: string) => epochMs(this.#db, `"${c}"`);
    const rows = await rawRows(
      this.#db,
      `SELECT "id", "ticketId", ${ms('latestMessageAt')}, ${ms('messagesSyncedTo')} FROM "ConversationThread"
        WHERE "id" IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    for (const r of rows) {
      out.set(String(r[0]), {
        ticketId: String(r[1]),
        latestMessageAt: r[2] === null ? null : Number(r[2]),
        messagesSyncedTo: r[3] === null ? null : Number(r[3]),
      });
    }
    return out;
  }

  /** Whether these tickets are open (false: closed or deleted in HubSpot); absent: not in Heed's copy (yet). */
  async ticketsOpen(ids: readonly string[]): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    const unique = [...new Set(ids)];
    if (unique.length === 0) return out;
    const rows = await rawRows(
      this.#db,
      `SELECT "id", "isClosed", "archived" FROM "Ticket" WHERE "id" IN (${unique.map(() => '?').join(', ')})`,
      unique,
    );
    const yes = (v: unknown) => v === true || v === 1;
    for (const r of rows) out.set(String(r[0]), !yes(r[1]) && !yes(r[2]));
    return out;
  }

  /**
   * Writes a thread, its messages (upserted by id), moves messages to the thread's ticket if HubSpot moved the
   * thread, marks the ticket(s) synced, and moves the cursor — one transaction.
   */
  async writeThread(write: ThreadWrite, now: number, cursor?: CursorWrite): Promise<void> {
    const { thread, messages } = write;
    const tickets = [thread.ticketId];
    if (write.previousTicketId && write.previousTicketId !== thread.ticketId) tickets.push(write.previousTicketId);
    const threadValues = [
      thread.id,
      thread.ticketId,
      thread.contactId,
      thread.inboxId,
      thread.channelId,
      thread.status,
      thread.createdAt,
      thread.closedAt,
      thread.latestMessageAt,
      write.messagesSyncedTo,
      now,
    ];
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const { sqlite } = db;
      const d = (ms: number | null) => (ms === null ? null : sqliteDate(ms));
      await sqliteWrite(sqlite, () => {
        cachedStatement(sqlite, SQL.thread).run(threadValues.map((v, k) => (k >= 6 ? d(v as number | null) : v)));
        const insert = cachedStatement(sqlite, SQL.message);
        for (const m of messages) {
          insert.run(m.id, thread.ticketId, thread.id, m.type, m.direction, m.senderKind, d(m.createdAt), m.text);
        }
        cachedStatement(sqlite, SQL.reassign).run(thread.ticketId, thread.id, thread.ticketId);
        const touch = cachedStatement(sqlite, SQL.touchTicket);
        for (const id of tickets) touch.run(sqliteDate(now), id);
        if (cursor) cachedStatement(sqlite, SQL.cursor).run(cursor.name, cursor.value, sqliteDate(now));
      });
      return;
    }
    await pgTransaction(db.pg, async (client) => {
      await client.query(
        pgSql(SQL.thread, [7, 8, 9, 10, 11]),
        threadValues.map((v, k) => (k >= 6 ? pgTime(v as number | null) : v)),
      );
      if (messages.length > 0) {
        await client.query(
          `INSERT INTO "TicketMessage" ("id", "ticketId", "threadId", "type", "direction", "senderKind", "createdAt", "text")
           SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamp(3)[], $8::text[])
           ON CONFLICT ("id") DO UPDATE SET "ticketId" = excluded."ticketId", "threadId" = excluded."threadId",
             "type" = excluded."type", "direction" = excluded."direction", "senderKind" = excluded."senderKind",
             "createdAt" = excluded."createdAt", "text" = excluded."text"`,
          [
            messages.map((m) => m.id),
            messages.map(() => thread.ticketId),
            messages.map(() => thread.id),
            messages.map((m) => m.type),
            messages.map((m) => m.direction),
            messages.map((m) => m.senderKind),
            messages.map((m) => pgTime(m.createdAt)),
            messages.map((m) => m.text),
          ],
        );
      }
      await client.query(pgSql(SQL.reassign), [thread.ticketId, thread.id, thread.ticketId]);
      await client.query(`UPDATE "Ticket" SET "syncedAt" = $1::timestamp(3) WHERE "id" = ANY($2::text[])`, [
        pgTime(now),
        tickets,
      ]);
      if (cursor) await client.query(pgSql(SQL.cursor, [3]), [cursor.name, cursor.value, pgTime(now)]);
    });
  }

  /**
   * Forgets a thread and its messages (HubSpot marked it spam): its ticket's clocks go back to the properties.
   * Marks the ticket synced, and moves the cursor, in the same transaction.
   */
  async deleteThread(threadId: string, ticketId: string, now: number, cursor?: CursorWrite): Promise<void> {
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const { sqlite } = db;
      await sqliteWrite(sqlite, () => {
        cachedStatement(sqlite, SQL.deleteMessages).run(threadId);
        cachedStatement(sqlite, SQL.deleteThread).run(threadId);
        cachedStatement(sqlite, SQL.touchTicket).run(sqliteDate(now), ticketId);
        if (cursor) cachedStatement(sqlite, SQL.cursor).run(cursor.name, cursor.value, sqliteDate(now));
      });
      return;
    }
    await pgTransaction(db.pg, async (client) => {
      await client.query(pgSql(SQL.deleteMessages), [threadId]);
      await client.query(pgSql(SQL.deleteThread), [threadId]);
      await client.query(pgSql(SQL.touchTicket, [1]), [pgTime(now), ticketId]);
      if (cursor) await client.query(pgSql(SQL.cursor, [3]), [cursor.name, cursor.value, pgTime(now)]);
    });
  }
}
