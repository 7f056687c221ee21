// The HubSpot copy in the database: bulk upserts of tickets, feedback, owners and pipelines, stage periods,
// sync cursors and runs, webhook bookkeeping. Bulk writes are raw SQL (a prepared statement in one transaction on
// SQLite, INSERT … SELECT FROM UNNEST on PostgreSQL): Prisma's per-row writes run ~50× slower (docs/prisma-offline).
// A page and the cursor that points past it commit in one transaction, so a sync killed at any moment resumes
// from the last committed page, losing and duplicating nothing.
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { FeedbackRow, OwnerRow, PipelineRow, StageRow, TeamRow, TicketRow, UserRow } from '../hubspot/map.ts';
import { type Db, sqliteWrite } from './client.ts';
import { cachedStatement } from './raw-sql.ts';

export type CursorWrite = { name: string; value: string };

export type TicketUpsertResult = {
  /** Tickets Heed had not seen before (their associations still need fetching when the payload had none). */
  inserted: string[];
  /** Tickets whose stage changed: a stage period was closed and a new one opened. */
  stageChanges: number;
  /** Rows ignored because the stored copy is newer (a late page or batch read). */
  stale: number;
};

export type NameUpdate = {
  contactId: string;
  contactName: string | null;
  contactEmail: string | null;
  /** Company name per ticket, when the ticket's own company association is known. */
  companyName: string | null;
};

const TICKET_COLUMNS = [
  'id',
  'subject',
  'pipelineId',
  'stageId',
  'priority',
  'ownerId',
  'hubspotTeamId',
  'category',
  'source',
  'createdAt',
  'modifiedAt',
  'closedAt',
  'reopenedAt',
  'firstAgentReplyAt',
  'lastCustomerMessageAt',
  'lastAgentMessageAt',
  'lastMessageFromVisitor',
  'stageEnteredAt',
  'hsFirstResponseDueAt',
  'hsNextResponseDueAt',
  'hsCloseDueAt',
  'hsFirstResponseStatus',
  'hsNextResponseStatus',
  'hsCloseStatus',
  'contactId',
  'isClosed',
  'archived',
  'syncedAt',
] as const;

type TicketColumn = (typeof TICKET_COLUMNS)[number];
type ColumnKind = 'text' | 'time' | 'bool';
const TICKET_KINDS: Record<TicketColumn, ColumnKind> = {
  id: 'text',
  subject: 'text',
  pipelineId: 'text',
  stageId: 'text',
  priority: 'text',
  ownerId: 'text',
  hubspotTeamId: 'text',
  category: 'text',
  source: 'text',
  createdAt: 'time',
  modifiedAt: 'time',
  closedAt: 'time',
  reopenedAt: 'time',
  firstAgentReplyAt: 'time',
  lastCustomerMessageAt: 'time',
  lastAgentMessageAt: 'time',
  lastMessageFromVisitor: 'bool',
  stageEnteredAt: 'time',
  hsFirstResponseDueAt: 'time',
  hsNextResponseDueAt: 'time',
  hsCloseDueAt: 'time',
  hsFirstResponseStatus: 'text',
  hsNextResponseStatus: 'text',
  hsCloseStatus: 'text',
  contactId: 'text',
  isClosed: 'bool',
  archived: 'bool',
  syncedAt: 'time',
};

const FEEDBACK_COLUMNS = [
  'id',
  'surveyType',
  'value',
  'responseGroup',
  'content',
  'submittedAt',
  'surveyId',
  'surveyName',
  'channel',
  'sentiment',
  'contactId',
  'ticketId',
  'modifiedAt',
  'archived',
  'syncedAt',
] as const;
type FeedbackColumn = (typeof FEEDBACK_COLUMNS)[number];
const FEEDBACK_KINDS: Record<FeedbackColumn, ColumnKind | 'float'> = {
  id: 'text',
  surveyType: 'text',
  value: 'float',
  responseGroup: 'text',
  content: 'text',
  submittedAt: 'time',
  surveyId: 'text',
  surveyName: 'text',
  channel: 'text',
  sentiment: 'text',
  contactId: 'text',
  ticketId: 'text',
  modifiedAt: 'time',
  archived: 'bool',
  syncedAt: 'time',
};

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * SQLite DateTime text exactly as Prisma's adapter writes it (`2026-01-01T10:00:00.123+00:00`); other forms fall
 * out of range filters. Formatted by arithmetic (days → civil date, H. Hinnant's algorithm) rather than through
 * `new Date().toISOString()`: a backfill formats 15 dates per ticket and the Date round trip was a quarter of
 * the ingest time. Equivalence with toISOString is property-tested.
 */
export function sqliteTime(ms: number | null): string | null {
  if (ms === null) return null;
  if (!Number.isInteger(ms) || ms < 0 || ms >= 253402300800000)
    return new Date(ms).toISOString().replace('Z', '+00:00');
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  return `${String(year).padStart(4, '0')}-${PAD2[month]}-${PAD2[day]}T${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}.${PAD3[rest - second * 1000]}+00:00`;
}

function pgTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

const q = (name: string) => `"${name}"`;

/** Columns (besides the key) an upsert overwrites; contactId keeps the stored value when the payload has none. */
function ticketUpdateSet(): string {
  return TICKET_COLUMNS.filter((c) => c !== 'id')
    .map((c) => {
      if (c === 'contactId') return `"contactId" = COALESCE(excluded."contactId", "Ticket"."contactId")`;
      // Archived only moves forward unless HubSpot shows a newer version (a restored ticket).
      if (c === 'archived') {
        return `"archived" = CASE WHEN excluded."modifiedAt" > "Ticket"."modifiedAt" THEN excluded."archived" ELSE ("Ticket"."archived" OR excluded."archived") END`;
      }
      return `${q(c)} = excluded.${q(c)}`;
    })
    .join(', ');
}

/** A feedback answer's upsert: a later version without its contact or ticket keeps the ones already known. */
function feedbackUpdateSet(): string {
  return FEEDBACK_COLUMNS.filter((c) => c !== 'id')
    .map((c) =>
      c === 'contactId' || c === 'ticketId'
        ? `${q(c)} = COALESCE(excluded.${q(c)}, "FeedbackSubmission".${q(c)})`
        : `${q(c)} = excluded.${q(c)}`,
    )
    .join(', ');
}

export class HubspotRepo {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  get provider(): 'sqlite' | 'postgresql' {
    return this.db.provider;
  }

  // ------------------------------------------------------------ cursors

  async getCursor(name: string): Promise<string | undefined> {
    const row = await this.db.prisma.syncCursor.findUnique({ where: { name } });
    return row?.value;
  }

  async setCursor(cursor: CursorWrite, now: number): Promise<void> {
    await this.inTransaction(now, (tx) => tx.cursor(cursor));
  }

  async deleteCursor(name: string): Promise<void> {
    await this.db.prisma.syncCursor.deleteMany({ where: { name } });
  }

  /**
   * Moves a cursor only if it still holds `expected` (undefined: only if it does not exist yet). Returns whether it
   * moved. Two readers of one stream (a replica that lost its lease and does not know it yet) cannot move it back.
   */
  async compareAndSetCursor(name: string, expected: string | undefined, value: string, now: number): Promise<boolean> {
    const prisma = this.db.prisma;
    if (expected === undefined) {
      try {
        await prisma.syncCursor.create({ data: { name, value, updatedAt: new Date(now) } });
        return true;
      } catch {
        return false;
      }
    }
    const result = await prisma.syncCursor.updateMany({
      where: { name, value: expected },
      data: { value, updatedAt: new Date(now) },
    });
    return result.count === 1;
  }

  // ------------------------------------------------------------ tickets

  /**
   * Upserts a page of tickets, records stage changes as stage periods, and moves the cursor, all in one
   * transaction. A row older than the stored copy (by hs_lastmodifieddate) changes nothing.
   */
  async upsertTickets(rows: readonly TicketRow[], now: number, cursor?: CursorWrite): Promise<TicketUpsertResult> {
    return this.inTransaction(now, (tx) => {
      const result = tx.tickets(rows);
      if (cursor) tx.cursor(cursor);
      return result;
    });
  }

  /** Marks tickets archived (deleted in HubSpot). Returns how many changed. */
  async archiveTickets(ids: readonly string[], now: number): Promise<number> {
    if (ids.length === 0) return 0;
    if (this.db.provider === 'sqlite') {
      const sqlite = this.db.sqlite;
      const stmt = cachedStatement(
        this.db.sqlite,
        `UPDATE "Ticket" SET "archived" = 1, "syncedAt" = ? WHERE "id" = ? AND "archived" = 0`,
      );
      return sqliteWrite(sqlite, () => {
        let changed = 0;
        for (const id of ids) changed += stmt.run(sqliteTime(now), id).changes;
        return changed;
      });
    }
    const result = await this.db.pg.query(
      `UPDATE "Ticket" SET "archived" = true, "syncedAt" = $2::timestamp(3) WHERE "id" = ANY($1::text[]) AND NOT "archived"`,
      [ids, pgTime(now)],
    );
    return result.rowCount ?? 0;
  }

  /** Sets the primary contact of tickets whose payload carried no associations (search and batch read results). */
  async setTicketContacts(updates: readonly { ticketId: string; contactId: string }[]): Promise<void> {
    if (updates.length === 0) return;
    if (this.db.provider === 'sqlite') {
      const stmt = cachedStatement(this.db.sqlite, `UPDATE "Ticket" SET "contactId" = ? WHERE "id" = ?`);
      await sqliteWrite(this.db.sqlite, () => {
        for (const u of updates) stmt.run(u.contactId, u.ticketId);
      });
      return;
    }
    await this.db.pg.query(
      `UPDATE "Ticket" AS t SET "contactId" = u.c FROM UNNEST($1::text[], $2::text[]) AS u(id, c) WHERE t."id" = u.id`,
      [updates.map((u) => u.ticketId), updates.map((u) => u.contactId)],
    );
  }

  /** Tickets whose contact is known but whose names were never looked up: open ones first, newest first. */
  async ticketsNeedingNames(limit: number): Promise<{ id: string; contactId: string }[]> {
    return this.db.prisma.ticket.findMany({
      where: { archived: false, contactId: { not: null }, contactName: null },
      select: { id: true, contactId: true },
      orderBy: [{ isClosed: 'asc' }, { modifiedAt: 'desc' }],
      take: limit,
    }) as Promise<{ id: string; contactId: string }[]>;
  }

  /**
   * Writes contact and company names onto tickets. `byTicket` carries the company per ticket when the ticket's
   * own company association is known; otherwise the contact's company is used.
   * An empty string marks "looked up, HubSpot has no name" so the lookup is not repeated every run.
   */
  async setTicketNames(
    updates: readonly {
      ticketId: string;
      contactName: string;
      contactEmail: string | null;
      companyName: string | null;
    }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    if (this.db.provider === 'sqlite') {
      const stmt = cachedStatement(
        this.db.sqlite,
        `UPDATE "Ticket" SET "contactName" = ?, "contactEmail" = ?, "companyName" = ? WHERE "id" = ?`,
      );
      await sqliteWrite(this.db.sqlite, () => {
        for (const u of updates) stmt.run(u.contactName, u.contactEmail, u.companyName, u.ticketId);
      });
      return;
    }
    await this.db.pg.query(
      `UPDATE "Ticket" AS t SET "contactName" = u.n, "contactEmail" = u.e, "companyName" = u.c
       FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) AS u(id, n, e, c) WHERE t."id" = u.id`,
      [
        updates.map((u) => u.ticketId),
        updates.map((u) => u.contactName),
        updates.map((u) => u.contactEmail),
        updates.map((u) => u.companyName),
      ],
    );
  }

  // ------------------------------------------------------------ feedback

  async upsertFeedback(
    rows: readonly FeedbackRow[],
    now: number,
    cursor?: CursorWrite,
  ): Promise<{ inserted: string[] }> {
    return this.inTransaction(now, (tx) => {
      const result = tx.feedback(rows);
      if (cursor) tx.cursor(cursor);
      return result;
    });
  }

  /** Sets contact/ticket associations on feedback submissions whose payload carried none. */
  async setFeedbackAssociations(
    updates: readonly { id: string; contactId: string | null; ticketId: string | null }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    if (this.db.provider === 'sqlite') {
      const stmt = cachedStatement(
        this.db.sqlite,
        `UPDATE "FeedbackSubmission" SET "contactId" = COALESCE(?, "contactId"), "ticketId" = COALESCE(?, "ticketId") WHERE "id" = ?`,
      );
      await sqliteWrite(this.db.sqlite, () => {
        for (const u of updates) stmt.run(u.contactId, u.ticketId, u.id);
      });
      return;
    }
    await this.db.pg.query(
      `UPDATE "FeedbackSubmission" AS f SET "contactId" = COALESCE(u.c, f."contactId"), "ticketId" = COALESCE(u.t, f."ticketId")
       FROM UNNEST($1::text[], $2::text[], $3::text[]) AS u(id, c, t) WHERE f."id" = u.id`,
      [updates.map((u) => u.id), updates.map((u) => u.contactId), updates.map((u) => u.ticketId)],
    );
  }

  async feedbackNeedingNames(submittedSince: number, limit: number): Promise<{ id: string; contactId: string }[]> {
    return this.db.prisma.feedbackSubmission.findMany({
      where: { contactId: { not: null }, contactName: null, submittedAt: { gte: new Date(submittedSince) } },
      select: { id: true, contactId: true },
      orderBy: { submittedAt: 'desc' },
      take: limit,
    }) as Promise<{ id: string; contactId: string }[]>;
  }

  async setFeedbackNames(
    updates: readonly { id: string; contactName: string; contactEmail: string | null }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    if (this.db.provider === 'sqlite') {
      const stmt = cachedStatement(
        this.db.sqlite,
        `UPDATE "FeedbackSubmission" SET "contactName" = ?, "contactEmail" = ? WHERE "id" = ?`,
      );
      await sqliteWrite(this.db.sqlite, () => {
        for (const u of updates) stmt.run(u.contactName, u.contactEmail, u.id);
      });
      return;
    }
    await this.db.pg.query(
      `UPDATE "FeedbackSubmission" AS f SET "contactName" = u.n, "contactEmail" = u.e
       FROM UNNEST($1::text[], $2::text[], $3::text[]) AS u(id, n, e) WHERE f."id" = u.id`,
      [updates.map((u) => u.id), updates.map((u) => u.contactName), updates.map((u) => u.contactEmail)],
    );
  }

  // ------------------------------------------------------------ users and their availability

  /**
   * Upserts a page of users with their working hours and out-of-office periods (each user's replaced as a whole)
   * and moves the cursor, in one transaction. A row older than the stored copy changes nothing.
   */
  async upsertUsers(rows: readonly UserRow[], now: number, cursor?: CursorWrite): Promise<{ inserted: string[] }> {
    return this.inTransaction(now, (tx) => {
      const result = tx.users(rows);
      if (cursor) tx.cursor(cursor);
      return result;
    });
  }

  // ------------------------------------------------------------ owners, pipelines, portal

  async replaceOwners(owners: readonly OwnerRow[], teams: readonly TeamRow[], now: number): Promise<void> {
    const prisma = this.db.prisma;
    const at = new Date(now);
    // A few hundred rows at most: Prisma is fast enough, and keeps this readable. Owners no longer listed
    // are marked archived rather than deleted, so old tickets still show who owned them.
    await prisma.$transaction(async (tx) => {
      for (const team of teams) {
        await tx.hubspotTeam.upsert({
          where: { id: team.id },
          create: { id: team.id, name: team.name, updatedAt: at },
          update: { name: team.name, updatedAt: at },
        });
      }
      for (const o of owners) {
        const data = {
          email: o.email,
          firstName: o.firstName,
          lastName: o.lastName,
          userId: o.userId,
          type: o.type,
          teamIds: JSON.stringify(o.teamIds),
          primaryTeamId: o.primaryTeamId,
          archived: o.archived,
          updatedAt: at,
        };
        await tx.owner.upsert({ where: { id: o.id }, create: { id: o.id, ...data }, update: data });
      }
      await tx.owner.updateMany({
        where: { id: { notIn: owners.map((o) => o.id) }, archived: false },
        data: { archived: true, updatedAt: at },
      });
    });
  }

  async replacePipelines(pipelines: readonly PipelineRow[], stages: readonly StageRow[], now: number): Promise<void> {
    const at = new Date(now);
    await this.db.prisma.$transaction(async (tx) => {
      for (const p of pipelines) {
        const data = { label: p.label, displayOrder: p.displayOrder, archived: p.archived, updatedAt: at };
        await tx.pipeline.upsert({ where: { id: p.id }, create: { id: p.id, ...data }, update: data });
      }
      for (const s of stages) {
        const data = {
          label: s.label,
          displayOrder: s.displayOrder,
          isClosed: s.isClosed,
          archived: s.archived,
          updatedAt: at,
        };
        await tx.stage.upsert({
          where: { pipelineId_id: { pipelineId: s.pipelineId, id: s.id } },
          create: { pipelineId: s.pipelineId, id: s.id, ...data },
          update: data,
        });
      }
    });
  }

  /** Stage id → closed?, keyed `${pipelineId}/${stageId}`. */
  async stageStates(): Promise<Map<string, boolean>> {
    const stages = await this.db.prisma.stage.findMany({ select: { pipelineId: true, id: true, isClosed: true } });
    return new Map(stages.map((s) => [`${s.pipelineId}/${s.id}`, s.isClosed]));
  }

  async upsertPortal(portal: { id: string; uiDomain: string; timeZone: string | null }, now: number): Promise<void> {
    const data = { uiDomain: portal.uiDomain, timeZone: portal.timeZone, updatedAt: new Date(now) };
    await this.db.prisma.$transaction([
      this.db.prisma.portal.deleteMany({ where: { id: { not: portal.id } } }),
      this.db.prisma.portal.upsert({ where: { id: portal.id }, create: { id: portal.id, ...data }, update: data }),
    ]);
  }

  async getPortal(): Promise<{ id: string; uiDomain: string; timeZone: string | null } | undefined> {
    const row = await this.db.prisma.portal.findFirst();
    return row ? { id: row.id, uiDomain: row.uiDomain, timeZone: row.timeZone } : undefined;
  }

  // ------------------------------------------------------------ sync runs

  async startRun(run: { id: string; kind: string }, now: number): Promise<void> {
    await this.db.prisma.syncRun.create({
      data: { id: run.id, kind: run.kind, startedAt: new Date(now), status: 'running' },
    });
  }

  async finishRun(
    run: { id: string; status: string; stats: unknown; error?: string | undefined },
    now: number,
  ): Promise<void> {
    await this.db.prisma.syncRun.update({
      where: { id: run.id },
      data: {
        finishedAt: new Date(now),
        status: run.status,
        stats: JSON.stringify(run.stats),
        error: run.error ?? null,
      },
    });
  }

  // ------------------------------------------------------------ webhooks

  /** Records event ids; returns those not seen before (the rest are duplicates HubSpot re-delivered). */
  async claimEvents(source: string, ids: readonly string[], now: number): Promise<Set<string>> {
    const fresh = new Set<string>();
    if (ids.length === 0) return fresh;
    if (this.db.provider === 'sqlite') {
      const stmt = cachedStatement(
        this.db.sqlite,
        `INSERT INTO "ProcessedEvent" ("source", "id", "receivedAt") VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
      );
      await sqliteWrite(this.db.sqlite, () => {
        for (const id of ids) if (stmt.run(source, id, sqliteTime(now)).changes > 0) fresh.add(id);
      });
      return fresh;
    }
    const result = await this.db.pg.query<{ id: string }>(
      `INSERT INTO "ProcessedEvent" ("source", "id", "receivedAt")
       SELECT $1, id, $3::timestamp(3) FROM UNNEST($2::text[]) AS id ON CONFLICT DO NOTHING RETURNING "id"`,
      [source, [...new Set(ids)], pgTime(now)],
    );
    for (const row of result.rows) fresh.add(row.id);
    return fresh;
  }

  /** Forgets event ids (when queuing their work failed, so HubSpot's retry is processed). */
  async releaseEvents(source: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.prisma.processedEvent.deleteMany({ where: { source, id: { in: [...ids] } } });
  }

  async enqueuePending(
    items: readonly { objectType: string; objectId: string; deleted: boolean }[],
    now: number,
  ): Promise<void> {
    if (items.length === 0) return;
    // A deletion wins over a change queued earlier for the same object.
    if (this.db.provider === 'sqlite') {
      const stmt = cachedStatement(
        this.db.sqlite,
        `INSERT INTO "PendingFetch" ("objectType", "objectId", "deleted", "queuedAt") VALUES (?, ?, ?, ?)
         ON CONFLICT ("objectType", "objectId") DO UPDATE SET "deleted" = ("PendingFetch"."deleted" OR excluded."deleted")`,
      );
      await sqliteWrite(this.db.sqlite, () => {
        for (const i of items) stmt.run(i.objectType, i.objectId, i.deleted ? 1 : 0, sqliteTime(now));
      });
      return;
    }
    await this.db.pg.query(
      `INSERT INTO "PendingFetch" ("objectType", "objectId", "deleted", "queuedAt")
       SELECT t, o, d, $4::timestamp(3) FROM UNNEST($1::text[], $2::text[], $3::boolean[]) AS u(t, o, d)
       ON CONFLICT ("objectType", "objectId") DO UPDATE SET "deleted" = ("PendingFetch"."deleted" OR excluded."deleted")`,
      [items.map((i) => i.objectType), items.map((i) => i.objectId), items.map((i) => i.deleted), pgTime(now)],
    );
  }

  async peekPending(
    objectType: string,
    limit: number,
  ): Promise<{ objectId: string; deleted: boolean; queuedAt: Date }[]> {
    return this.db.prisma.pendingFetch.findMany({
      where: { objectType },
      orderBy: { queuedAt: 'asc' },
      take: limit,
      select: { objectId: true, deleted: true, queuedAt: true },
    });
  }

  /** Removes handled entries, but only those not re-queued since they were read (`queuedAt` unchanged). */
  async removePending(objectType: string, entries: readonly { objectId: string; queuedAt: Date }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.prisma.$transaction(
      entries.map((e) =>
        this.db.prisma.pendingFetch.deleteMany({ where: { objectType, objectId: e.objectId, queuedAt: e.queuedAt } }),
      ),
    );
  }

  async countPending(objectType: string): Promise<number> {
    return this.db.prisma.pendingFetch.count({ where: { objectType } });
  }

  // ------------------------------------------------------------ internals

  /** Runs the writes of one page in one transaction on either database. */
  private async inTransaction<T>(now: number, block: (tx: PageWriter) => T | Promise<T>): Promise<T> {
    const db = this.db;
    if (db.provider === 'sqlite') {
      const writer = new SqlitePageWriter(now, (_key, sql) => cachedStatement(db.sqlite, sql));
      // better-sqlite3 transactions are synchronous: the block must not await, and SqlitePageWriter never does.
      return sqliteWrite(db.sqlite, () => block(writer) as T);
    }
    const client = await db.pg.connect();
    try {
      await client.query('BEGIN');
      const writer = new PgPageWriter(client, now);
      const result = await block(writer);
      await writer.flush();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/**
 * What a page transaction can do. SQLite runs each call immediately (synchronously); PostgreSQL queues the
 * statements and `flush` sends them, so callers treat results as available only after the transaction.
 */
type PageWriter = {
  tickets(rows: readonly TicketRow[]): TicketUpsertResult | Promise<TicketUpsertResult>;
  feedback(rows: readonly FeedbackRow[]): { inserted: string[] } | Promise<{ inserted: string[] }>;
  users(rows: readonly UserRow[]): { inserted: string[] } | Promise<{ inserted: string[] }>;
  cursor(cursor: CursorWrite): void | Promise<void>;
};

const USER_COLUMNS = [
  'id',
  'ownerId',
  'email',
  'firstName',
  'lastName',
  'availabilityStatus',
  'timeZone',
  'jobTitle',
  'workingHoursRaw',
  'outOfOfficeRaw',
  'scheduleReadable',
  'archived',
  'modifiedAt',
  'syncedAt',
] as const;

function userValues(r: UserRow): Record<(typeof USER_COLUMNS)[number], unknown> {
  return {
    id: r.id,
    ownerId: r.ownerId,
    email: r.email,
    firstName: r.firstName,
    lastName: r.lastName,
    availabilityStatus: r.availabilityStatus,
    timeZone: r.timeZone,
    jobTitle: r.jobTitle,
    workingHoursRaw: r.workingHoursRaw,
    outOfOfficeRaw: r.outOfOfficeRaw,
    scheduleReadable: r.scheduleProblem === null,
    archived: r.archived,
    modifiedAt: r.modifiedAt,
    syncedAt: null,
  };
}

const USER_UPDATE_SET = USER_COLUMNS.filter((c) => c !== 'id')
  .map((c) => `${q(c)} = excluded.${q(c)}`)
  .join(', ');

const bit = (value: boolean | null) => (value === null ? null : value ? 1 : 0);

/** One row's values in TICKET_COLUMNS order, written out (this runs 100,000 times in a backfill). */
function sqliteTicketValues(r: TicketRow, synced: string | null): unknown[] {
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
    sqliteTime(r.createdAt),
    sqliteTime(r.modifiedAt),
    sqliteTime(r.closedAt),
    sqliteTime(r.reopenedAt),
    sqliteTime(r.firstAgentReplyAt),
    sqliteTime(r.lastCustomerMessageAt),
    sqliteTime(r.lastAgentMessageAt),
    bit(r.lastMessageFromVisitor),
    sqliteTime(r.stageEnteredAt),
    sqliteTime(r.hsFirstResponseDueAt),
    sqliteTime(r.hsNextResponseDueAt),
    sqliteTime(r.hsCloseDueAt),
    r.hsFirstResponseStatus,
    r.hsNextResponseStatus,
    r.hsCloseStatus,
    r.contactId,
    bit(r.isClosed),
    bit(r.archived),
    synced,
  ];
}

class SqlitePageWriter implements PageWriter {
  private readonly now: number;
  private readonly statement: (key: string, sql: string) => BetterSqlite3.Statement;

  constructor(now: number, statement: (key: string, sql: string) => BetterSqlite3.Statement) {
    this.now = now;
    this.statement = statement;
  }

  tickets(rows: readonly TicketRow[]): TicketUpsertResult {
    // One lookup per page (ids passed as a JSON array) instead of one per row.
    const select = this.statement(
      'ticket-prev',
      `SELECT "id", "stageId", "modifiedAt" FROM "Ticket" WHERE "id" IN (SELECT value FROM json_each(?))`,
    );
    const previous = new Map<string, { stageId: string | null; modifiedAt: string }>();
    for (const p of select.all(JSON.stringify(rows.map((r) => r.id))) as {
      id: string;
      stageId: string | null;
      modifiedAt: string;
    }[]) {
      previous.set(p.id, p);
    }
    const upsert = this.statement(
      'ticket-upsert',
      `INSERT INTO "Ticket" (${TICKET_COLUMNS.map(q).join(', ')}) VALUES (${TICKET_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT ("id") DO UPDATE SET ${ticketUpdateSet()}
       WHERE excluded."modifiedAt" >= "Ticket"."modifiedAt"`,
    );
    const closePeriod = this.statement(
      'period-close',
      `UPDATE "TicketStagePeriod" SET "exitedAt" = ? WHERE "ticketId" = ? AND "exitedAt" IS NULL AND "enteredAt" <= ?`,
    );
    const openPeriod = this.statement(
      'period-open',
      `INSERT INTO "TicketStagePeriod" ("ticketId", "enteredAt", "stageId", "exitedAt") VALUES (?, ?, ?, NULL)
       ON CONFLICT ("ticketId", "enteredAt") DO UPDATE SET "stageId" = excluded."stageId"`,
    );
    const synced = sqliteTime(this.now);
    const result: TicketUpsertResult = { inserted: [], stageChanges: 0, stale: 0 };
    for (const row of rows) {
      const prev = previous.get(row.id);
      const modified = sqliteTime(row.modifiedAt)!;
      if (prev && prev.modifiedAt > modified) {
        result.stale++;
        continue;
      }
      upsert.run(sqliteTicketValues(row, synced));
      // A page repeating an id (a caller's batch may) sees its own earlier row.
      previous.set(row.id, { stageId: row.stageId, modifiedAt: modified });
      const entered = sqliteTime(row.stageEnteredAt ?? row.modifiedAt)!;
      if (!prev) {
        result.inserted.push(row.id);
        if (row.stageId) openPeriod.run(row.id, entered, row.stageId);
      } else if (row.stageId && prev.stageId !== row.stageId) {
        result.stageChanges++;
        closePeriod.run(entered, row.id, entered);
        openPeriod.run(row.id, entered, row.stageId);
      }
    }
    return result;
  }

  feedback(rows: readonly FeedbackRow[]): { inserted: string[] } {
    const exists = this.statement('fb-exists', `SELECT 1 FROM "FeedbackSubmission" WHERE "id" = ?`);
    const upsert = this.statement(
      'fb-upsert',
      `INSERT INTO "FeedbackSubmission" (${FEEDBACK_COLUMNS.map(q).join(', ')}) VALUES (${FEEDBACK_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT ("id") DO UPDATE SET ${feedbackUpdateSet()}
       WHERE excluded."modifiedAt" >= "FeedbackSubmission"."modifiedAt"`,
    );
    const synced = sqliteTime(this.now);
    const inserted: string[] = [];
    for (const row of rows) {
      if (!exists.get(row.id)) inserted.push(row.id);
      upsert.run(
        FEEDBACK_COLUMNS.map((c) => {
          if (c === 'syncedAt') return synced;
          const value = row[c as keyof FeedbackRow];
          const kind = FEEDBACK_KINDS[c];
          if (kind === 'time') return sqliteTime(value as number | null);
          if (kind === 'bool') return value ? 1 : 0;
          return value;
        }),
      );
    }
    return { inserted };
  }

  users(rows: readonly UserRow[]): { inserted: string[] } {
    const previous = this.statement('user-prev', `SELECT "modifiedAt" FROM "HubspotUser" WHERE "id" = ?`);
    const upsert = this.statement(
      'user-upsert',
      `INSERT INTO "HubspotUser" (${USER_COLUMNS.map(q).join(', ')}) VALUES (${USER_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT ("id") DO UPDATE SET ${USER_UPDATE_SET}`,
    );
    const clearHours = this.statement('user-hours-clear', `DELETE FROM "UserWorkingHours" WHERE "userId" = ?`);
    const addHours = this.statement(
      'user-hours-add',
      `INSERT INTO "UserWorkingHours" ("userId", "weekday", "startMinute", "endMinute") VALUES (?, ?, ?, ?)`,
    );
    const clearAway = this.statement('user-ooo-clear', `DELETE FROM "UserOutOfOffice" WHERE "userId" = ?`);
    const addAway = this.statement(
      'user-ooo-add',
      `INSERT INTO "UserOutOfOffice" ("userId", "startsAt", "endsAt") VALUES (?, ?, ?)`,
    );
    const synced = sqliteTime(this.now);
    const inserted: string[] = [];
    for (const row of rows) {
      const prev = previous.get(row.id) as { modifiedAt: string } | undefined;
      if (prev && prev.modifiedAt > sqliteTime(row.modifiedAt)!) continue;
      if (!prev) inserted.push(row.id);
      const values = userValues(row);
      upsert.run(
        USER_COLUMNS.map((c) => {
          if (c === 'syncedAt') return synced;
          if (c === 'modifiedAt') return sqliteTime(row.modifiedAt);
          const v = values[c];
          return typeof v === 'boolean' ? (v ? 1 : 0) : v;
        }),
      );
      clearHours.run(row.id);
      for (const slot of row.workingHours) addHours.run(row.id, slot.weekday, slot.startMinute, slot.endMinute);
      clearAway.run(row.id);
      for (const period of row.outOfOffice) addAway.run(row.id, sqliteTime(period.startsAt), sqliteTime(period.endsAt));
    }
    return { inserted };
  }

  cursor(cursor: CursorWrite): void {
    this.statement(
      'cursor',
      `INSERT INTO "SyncCursor" ("name", "value", "updatedAt") VALUES (?, ?, ?)
       ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value", "updatedAt" = excluded."updatedAt"`,
    ).run(cursor.name, cursor.value, sqliteTime(this.now));
  }
}

const PG_ARRAY_TYPES: Record<ColumnKind | 'float', string> = {
  text: 'text',
  time: 'timestamp(3)',
  bool: 'boolean',
  float: 'double precision',
};

/**
 * One array per column (times as text, `syncedAt` set to `synced`) and its cast, for
 * `INSERT … SELECT * FROM UNNEST(casts)` on PostgreSQL.
 */
function pgUnnest<C extends string>(
  columns: readonly C[],
  kinds: Record<C, ColumnKind | 'float'>,
  rows: readonly object[],
  synced: string | null,
): { params: unknown[][]; casts: string[] } {
  const params = columns.map((c) =>
    rows.map((row) => {
      if (c === 'syncedAt') return synced;
      const value = (row as Record<string, unknown>)[c];
      return kinds[c] === 'time' ? pgTime(value as number | null) : value;
    }),
  );
  const casts = columns.map((c, k) => `$${k + 1}::${PG_ARRAY_TYPES[kinds[c]]}[]`);
  return { params, casts };
}

class PgPageWriter implements PageWriter {
  private readonly client: pg.PoolClient;
  private readonly now: number;

  constructor(client: pg.PoolClient, now: number) {
    this.client = client;
    this.now = now;
  }

  async flush(): Promise<void> {}

  async tickets(rows: readonly TicketRow[]): Promise<TicketUpsertResult> {
    const result: TicketUpsertResult = { inserted: [], stageChanges: 0, stale: 0 };
    if (rows.length === 0) return result;
    // The newest version of each ticket in the page (a page never repeats an id, but a caller's batch might).
    const byId = new Map<string, TicketRow>();
    for (const row of rows) {
      const seen = byId.get(row.id);
      if (!seen || seen.modifiedAt <= row.modifiedAt) byId.set(row.id, row);
    }
    const fresh = [...byId.values()];
    const prev = await this.client.query<{ id: string; stageId: string | null; modifiedAt: Date }>(
      `SELECT "id", "stageId", "modifiedAt" FROM "Ticket" WHERE "id" = ANY($1::text[]) FOR UPDATE`,
      [fresh.map((r) => r.id)],
    );
    const previous = new Map(prev.rows.map((r) => [r.id, r]));
    const accepted = fresh.filter((row) => {
      const p = previous.get(row.id);
      // node-postgres reads `timestamp` as local time; the session runs in UTC (client.ts), so getTime() is right.
      if (p && p.modifiedAt.getTime() > row.modifiedAt) {
        result.stale++;
        return false;
      }
      return true;
    });
    if (accepted.length === 0) return result;
    const { params, casts } = pgUnnest(TICKET_COLUMNS, TICKET_KINDS, accepted, pgTime(this.now));
    await this.client.query(
      `INSERT INTO "Ticket" (${TICKET_COLUMNS.map(q).join(', ')})
       SELECT * FROM UNNEST(${casts.join(', ')})
       ON CONFLICT ("id") DO UPDATE SET ${ticketUpdateSet()}
       WHERE excluded."modifiedAt" >= "Ticket"."modifiedAt"`,
      params,
    );
    const open: { id: string; entered: string; stage: string }[] = [];
    const close: { id: string; entered: string }[] = [];
    for (const row of accepted) {
      const p = previous.get(row.id);
      const entered = pgTime(row.stageEnteredAt ?? row.modifiedAt)!;
      if (!p) {
        result.inserted.push(row.id);
        if (row.stageId) open.push({ id: row.id, entered, stage: row.stageId });
      } else if (row.stageId && p.stageId !== row.stageId) {
        result.stageChanges++;
        close.push({ id: row.id, entered });
        open.push({ id: row.id, entered, stage: row.stageId });
      }
    }
    if (close.length > 0) {
      await this.client.query(
        `UPDATE "TicketStagePeriod" AS p SET "exitedAt" = u.e
         FROM UNNEST($1::text[], $2::timestamp(3)[]) AS u(id, e)
         WHERE p."ticketId" = u.id AND p."exitedAt" IS NULL AND p."enteredAt" <= u.e`,
        [close.map((c) => c.id), close.map((c) => c.entered)],
      );
    }
    if (open.length > 0) {
      await this.client.query(
        `INSERT INTO "TicketStagePeriod" ("ticketId", "enteredAt", "stageId", "exitedAt")
         SELECT id, e, s, NULL FROM UNNEST($1::text[], $2::timestamp(3)[], $3::text[]) AS u(id, e, s)
         ON CONFLICT ("ticketId", "enteredAt") DO UPDATE SET "stageId" = excluded."stageId"`,
        [open.map((o) => o.id), open.map((o) => o.entered), open.map((o) => o.stage)],
      );
    }
    return result;
  }

  async feedback(rows: readonly FeedbackRow[]): Promise<{ inserted: string[] }> {
    if (rows.length === 0) return { inserted: [] };
    const unique = [...new Map(rows.map((r) => [r.id, r])).values()];
    const existing = await this.client.query<{ id: string }>(
      `SELECT "id" FROM "FeedbackSubmission" WHERE "id" = ANY($1::text[])`,
      [unique.map((r) => r.id)],
    );
    const known = new Set(existing.rows.map((r) => r.id));
    const { params, casts } = pgUnnest(FEEDBACK_COLUMNS, FEEDBACK_KINDS, unique, pgTime(this.now));
    await this.client.query(
      `INSERT INTO "FeedbackSubmission" (${FEEDBACK_COLUMNS.map(q).join(', ')})
       SELECT * FROM UNNEST(${casts.join(', ')})
       ON CONFLICT ("id") DO UPDATE SET ${feedbackUpdateSet()}
       WHERE excluded."modifiedAt" >= "FeedbackSubmission"."modifiedAt"`,
      params,
    );
    return { inserted: unique.filter((r) => !known.has(r.id)).map((r) => r.id) };
  }

  async users(rows: readonly UserRow[]): Promise<{ inserted: string[] }> {
    if (rows.length === 0) return { inserted: [] };
    const unique = [...new Map(rows.map((r) => [r.id, r])).values()];
    const prev = await this.client.query<{ id: string; modifiedAt: Date }>(
      `SELECT "id", "modifiedAt" FROM "HubspotUser" WHERE "id" = ANY($1::text[]) FOR UPDATE`,
      [unique.map((r) => r.id)],
    );
    const previous = new Map(prev.rows.map((r) => [r.id, r.modifiedAt.getTime()]));
    const accepted = unique.filter((r) => (previous.get(r.id) ?? -Infinity) <= r.modifiedAt);
    if (accepted.length === 0) return { inserted: [] };
    const kinds: Record<(typeof USER_COLUMNS)[number], ColumnKind> = {
      id: 'text',
      ownerId: 'text',
      email: 'text',
      firstName: 'text',
      lastName: 'text',
      availabilityStatus: 'text',
      timeZone: 'text',
      jobTitle: 'text',
      workingHoursRaw: 'text',
      outOfOfficeRaw: 'text',
      scheduleReadable: 'bool',
      archived: 'bool',
      modifiedAt: 'time',
      syncedAt: 'time',
    };
    const { params, casts } = pgUnnest(USER_COLUMNS, kinds, accepted.map(userValues), pgTime(this.now));
    await this.client.query(
      `INSERT INTO "HubspotUser" (${USER_COLUMNS.map(q).join(', ')})
       SELECT * FROM UNNEST(${casts.join(', ')})
       ON CONFLICT ("id") DO UPDATE SET ${USER_UPDATE_SET}`,
      params,
    );
    const ids = accepted.map((r) => r.id);
    await this.client.query(`DELETE FROM "UserWorkingHours" WHERE "userId" = ANY($1::text[])`, [ids]);
    await this.client.query(`DELETE FROM "UserOutOfOffice" WHERE "userId" = ANY($1::text[])`, [ids]);
    const slots = accepted.flatMap((r) => r.workingHours.map((s) => ({ id: r.id, ...s })));
    if (slots.length > 0) {
      await this.client.query(
        `INSERT INTO "UserWorkingHours" ("userId", "weekday", "startMinute", "endMinute")
         SELECT * FROM UNNEST($1::text[], $2::int[], $3::int[], $4::int[])`,
        [
          slots.map((s) => s.id),
          slots.map((s) => s.weekday),
          slots.map((s) => s.startMinute),
          slots.map((s) => s.endMinute),
        ],
      );
    }
    const away = accepted.flatMap((r) => r.outOfOffice.map((p) => ({ id: r.id, ...p })));
    if (away.length > 0) {
      await this.client.query(
        `INSERT INTO "UserOutOfOffice" ("userId", "startsAt", "endsAt")
         SELECT * FROM UNNEST($1::text[], $2::timestamp(3)[], $3::timestamp(3)[])`,
        [away.map((a) => a.id), away.map((a) => pgTime(a.startsAt)), away.map((a) => pgTime(a.endsAt))],
      );
    }
    return { inserted: accepted.filter((r) => !previous.has(r.id)).map((r) => r.id) };
  }

  async cursor(cursor: CursorWrite): Promise<void> {
    await this.client.query(
      `INSERT INTO "SyncCursor" ("name", "value", "updatedAt") VALUES ($1, $2, $3::timestamp(3))
       ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value", "updatedAt" = excluded."updatedAt"`,
      [cursor.name, cursor.value, pgTime(this.now)],
    );
  }
}
