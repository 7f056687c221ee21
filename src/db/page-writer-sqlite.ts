// The SQLite dialect of a page write (see page-writer.ts): one cached prepared statement per kind of row, run row
// by row inside better-sqlite3's synchronous transaction, so nothing else interleaves.
import type BetterSqlite3 from 'better-sqlite3';
import type { FeedbackRow, TicketRow, UserRow } from '../hubspot/map.ts';
import {
  FEEDBACK_COLUMNS,
  FEEDBACK_KINDS,
  FEEDBACK_UPDATE_SET,
  q,
  TICKET_COLUMNS,
  TICKET_UPDATE_SET,
  USER_COLUMNS,
  USER_UPDATE_SET,
  userValues,
} from './hubspot-columns.ts';
import type { CursorWrite, PageWriter, TicketUpsertResult } from './page-writer.ts';
import { cachedStatement, epochMs } from './raw-sql.ts';
import { sqliteDate } from './sqlite-date.ts';
import { type StoredTicketStage, ticketChange } from './ticket-change.ts';

const SQLITE = { provider: 'sqlite' } as const;
const placeholders = (columns: readonly string[]) => columns.map(() => '?').join(', ');

const SQL = {
  // One lookup per page (ids passed as a JSON array) instead of one per row.
  ticketStored: `SELECT "id", "stageId", ${epochMs(SQLITE, '"modifiedAt"')} FROM "Ticket" WHERE "id" IN (SELECT value FROM json_each(?))`,
  ticketUpsert: `INSERT INTO "Ticket" (${TICKET_COLUMNS.map(q).join(', ')}) VALUES (${placeholders(TICKET_COLUMNS)})
    ON CONFLICT ("id") DO UPDATE SET ${TICKET_UPDATE_SET}
    WHERE excluded."modifiedAt" >= "Ticket"."modifiedAt"`,
  periodClose: `UPDATE "TicketStagePeriod" SET "exitedAt" = ? WHERE "ticketId" = ? AND "exitedAt" IS NULL AND "enteredAt" <= ?`,
  periodOpen: `INSERT INTO "TicketStagePeriod" ("ticketId", "enteredAt", "stageId", "exitedAt") VALUES (?, ?, ?, NULL)
    ON CONFLICT ("ticketId", "enteredAt") DO UPDATE SET "stageId" = excluded."stageId"`,
  feedbackExists: `SELECT 1 FROM "FeedbackSubmission" WHERE "id" = ?`,
  feedbackUpsert: `INSERT INTO "FeedbackSubmission" (${FEEDBACK_COLUMNS.map(q).join(', ')}) VALUES (${placeholders(FEEDBACK_COLUMNS)})
    ON CONFLICT ("id") DO UPDATE SET ${FEEDBACK_UPDATE_SET}
    WHERE excluded."modifiedAt" >= "FeedbackSubmission"."modifiedAt"`,
  userStored: `SELECT ${epochMs(SQLITE, '"modifiedAt"')} FROM "HubspotUser" WHERE "id" = ?`,
  userUpsert: `INSERT INTO "HubspotUser" (${USER_COLUMNS.map(q).join(', ')}) VALUES (${placeholders(USER_COLUMNS)})
    ON CONFLICT ("id") DO UPDATE SET ${USER_UPDATE_SET}`,
  hoursClear: `DELETE FROM "UserWorkingHours" WHERE "userId" = ?`,
  hoursAdd: `INSERT INTO "UserWorkingHours" ("userId", "weekday", "startMinute", "endMinute") VALUES (?, ?, ?, ?)`,
  awayClear: `DELETE FROM "UserOutOfOffice" WHERE "userId" = ?`,
  awayAdd: `INSERT INTO "UserOutOfOffice" ("userId", "startsAt", "endsAt") VALUES (?, ?, ?)`,
  cursor: `INSERT INTO "SyncCursor" ("name", "value", "updatedAt") VALUES (?, ?, ?)
    ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value", "updatedAt" = excluded."updatedAt"`,
};

const bit = (value: boolean | null) => (value === null ? null : value ? 1 : 0);

/** One row's values in TICKET_COLUMNS order, written out (this runs 100,000 times in a backfill). */
function ticketValues(r: TicketRow, synced: string): unknown[] {
  return [
    r.id,
    r.subject,
    r.pipelineId,
    r.stageId,
    r.priority,
    r.ownerId,
    r.hubspotTeamId,
    r.category,
    r.source,
    sqliteDate(r.createdAt),
    sqliteDate(r.modifiedAt),
    sqliteDate(r.closedAt),
    sqliteDate(r.reopenedAt),
    sqliteDate(r.firstAgentReplyAt),
    sqliteDate(r.lastCustomerMessageAt),
    sqliteDate(r.lastAgentMessageAt),
    bit(r.lastMessageFromVisitor),
    sqliteDate(r.stageEnteredAt),
    sqliteDate(r.hsFirstResponseDueAt),
    sqliteDate(r.hsNextResponseDueAt),
    sqliteDate(r.hsCloseDueAt),
    r.hsFirstResponseStatus,
    r.hsNextResponseStatus,
    r.hsCloseStatus,
    r.contactId,
    bit(r.isClosed),
    bit(r.archived),
    synced,
  ];
}

export class SqlitePageWriter implements PageWriter {
  readonly #sqlite: BetterSqlite3.Database;
  readonly #synced: string;

  constructor(sqlite: BetterSqlite3.Database, now: number) {
    this.#sqlite = sqlite;
    this.#synced = sqliteDate(now);
  }

  #statement(sql: string): BetterSqlite3.Statement {
    return cachedStatement(this.#sqlite, sql);
  }

  tickets(rows: readonly TicketRow[]): TicketUpsertResult {
    const stored = new Map<string, StoredTicketStage>();
    const found = this.#statement(SQL.ticketStored)
      .raw(true)
      .all(JSON.stringify(rows.map((r) => r.id))) as [string, string | null, number][];
    for (const [id, stageId, modifiedAt] of found) stored.set(id, { stageId, modifiedAt });
    const upsert = this.#statement(SQL.ticketUpsert);
    const closePeriod = this.#statement(SQL.periodClose);
    const openPeriod = this.#statement(SQL.periodOpen);
    const result: TicketUpsertResult = { inserted: [], stageChanges: 0, stale: 0 };
    for (const row of rows) {
      const change = ticketChange(stored.get(row.id), row);
      if (change.kind === 'stale') {
        result.stale++;
        continue;
      }
      upsert.run(ticketValues(row, this.#synced));
      // A page repeating an id (a caller's batch may) sees its own earlier row.
      stored.set(row.id, { stageId: row.stageId, modifiedAt: row.modifiedAt });
      if (change.kind === 'insert') result.inserted.push(row.id);
      const period = change.period;
      if (!period) continue;
      const entered = sqliteDate(period.enteredAt);
      if (change.kind === 'update') {
        result.stageChanges++;
        closePeriod.run(entered, row.id, entered);
      }
      openPeriod.run(row.id, entered, period.stageId);
    }
    return result;
  }

  feedback(rows: readonly FeedbackRow[]): { inserted: string[] } {
    const exists = this.#statement(SQL.feedbackExists);
    const upsert = this.#statement(SQL.feedbackUpsert);
    const inserted: string[] = [];
    for (const row of rows) {
      if (!exists.get(row.id)) inserted.push(row.id);
      upsert.run(
        FEEDBACK_COLUMNS.map((c) => {
          if (c === 'syncedAt') return this.#synced;
          const value = row[c];
          const kind = FEEDBACK_KINDS[c];
          if (kind === 'time') return sqliteDate(value as number | null);
          if (kind === 'bool') return bit(value as boolean | null);
          return value;
        }),
      );
    }
    return { inserted };
  }

  users(rows: readonly UserRow[]): { inserted: string[] } {
    const stored = this.#statement(SQL.userStored).pluck(true);
    const upsert = this.#statement(SQL.userUpsert);
    const clearHours = this.#statement(SQL.hoursClear);
    const addHours = this.#statement(SQL.hoursAdd);
    const clearAway = this.#statement(SQL.awayClear);
    const addAway = this.#statement(SQL.awayAdd);
    const inserted: string[] = [];
    for (const row of rows) {
      const modifiedAt = stored.get(row.id) as number | undefined;
      if (modifiedAt !== undefined && modifiedAt > row.modifiedAt) continue;
      if (modifiedAt === undefined) inserted.push(row.id);
      const values = userValues(row);
      upsert.run(
        USER_COLUMNS.map((c) => {
          if (c === 'syncedAt') return this.#synced;
          if (c === 'modifiedAt') return sqliteDate(row.modifiedAt);
          const v = values[c];
          return typeof v === 'boolean' ? bit(v) : v;
        }),
      );
      clearHours.run(row.id);
      for (const slot of row.workingHours) addHours.run(row.id, slot.weekday, slot.startMinute, slot.endMinute);
      clearAway.run(row.id);
      for (const period of row.outOfOffice) addAway.run(row.id, sqliteDate(period.startsAt), sqliteDate(period.endsAt));
    }
    return { inserted };
  }

  cursor(cursor: CursorWrite): void {
    this.#statement(SQL.cursor).run(cursor.name, cursor.value, this.#synced);
  }
}
