// Heed's copy of HubSpot's tickets (Ticket, and their stage history in TicketStagePeriod): pages from the sync,
// archiving of deleted tickets, and the associations and names looked up after a page.
import type { TicketRow } from '../hubspot/map.ts';
import { type Db, sqliteWrite } from './client.ts';
import { type CursorWrite, type TicketUpsertResult, writePageWithCursor } from './page-writer.ts';
import { cachedStatement } from './raw-sql.ts';
import { sqliteDate } from './sqlite-date.ts';

export type { TicketUpsertResult };

export type TicketNames = {
  ticketId: string;
  contactName: string;
  contactEmail: string | null;
  companyName: string | null;
};

export class TicketRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Upserts a page of tickets, records stage changes as stage periods, and moves the cursor, all in one
   * transaction. A row older than the stored copy (by hs_lastmodifieddate) changes nothing.
   */
  upsertPage(rows: readonly TicketRow[], now: number, cursor?: CursorWrite): Promise<TicketUpsertResult> {
    return writePageWithCursor(this.#db, now, cursor, (tx) => tx.tickets(rows));
  }

  /** Marks tickets archived (deleted in HubSpot). Returns how many changed. */
  async archive(ids: readonly string[], now: number): Promise<number> {
    if (ids.length === 0) return 0;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const stmt = cachedStatement(
        db.sqlite,
        `UPDATE "Ticket" SET "archived" = 1, "syncedAt" = ? WHERE "id" = ? AND "archived" = 0`,
      );
      return sqliteWrite(db.sqlite, () => {
        let changed = 0;
        for (const id of ids) changed += stmt.run(sqliteDate(now), id).changes;
        return changed;
      });
    }
    const result = await db.pg.query(
      `UPDATE "Ticket" SET "archived" = true, "syncedAt" = $2::timestamp(3) WHERE "id" = ANY($1::text[]) AND NOT "archived"`,
      [ids, new Date(now).toISOString()],
    );
    return result.rowCount ?? 0;
  }

  /** Sets the primary contact of tickets whose payload carried no associations (search and batch read results). */
  async setContacts(updates: readonly { ticketId: string; contactId: string }[]): Promise<void> {
    if (updates.length === 0) return;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const stmt = cachedStatement(db.sqlite, `UPDATE "Ticket" SET "contactId" = ? WHERE "id" = ?`);
      await sqliteWrite(db.sqlite, () => {
        for (const u of updates) stmt.run(u.contactId, u.ticketId);
      });
      return;
    }
    await db.pg.query(
      `UPDATE "Ticket" AS t SET "contactId" = u.c FROM UNNEST($1::text[], $2::text[]) AS u(id, c) WHERE t."id" = u.id`,
      [updates.map((u) => u.ticketId), updates.map((u) => u.contactId)],
    );
  }

  /**
   * Sets tickets' primary company ("" when HubSpot has none: looked up, so not asked again). Only written
   * while the policy's SLA rules match company properties (sync-customers.ts).
   */
  async setCompanies(updates: readonly { ticketId: string; companyId: string }[]): Promise<void> {
    if (updates.length === 0) return;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const stmt = cachedStatement(db.sqlite, `UPDATE "Ticket" SET "companyId" = ? WHERE "id" = ?`);
      await sqliteWrite(db.sqlite, () => {
        for (const u of updates) stmt.run(u.companyId, u.ticketId);
      });
      return;
    }
    await db.pg.query(
      `UPDATE "Ticket" AS t SET "companyId" = u.c FROM UNNEST($1::text[], $2::text[]) AS u(id, c) WHERE t."id" = u.id`,
      [updates.map((u) => u.ticketId), updates.map((u) => u.companyId)],
    );
  }

  /** Open tickets whose company association was never looked up (synced before rules needed it), oldest id first. */
  async needingCompany(limit: number): Promise<string[]> {
    const rows = await this.#db.prisma.ticket.findMany({
      where: { archived: false, isClosed: false, companyId: null },
      select: { id: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map((r) => r.id);
  }

  /** Tickets whose contact is known but whose names were never looked up: open ones first, newest first. */
  async needingNames(limit: number): Promise<{ id: string; contactId: string }[]> {
    return this.#db.prisma.ticket.findMany({
      where: { archived: false, contactId: { not: null }, contactName: null },
      select: { id: true, contactId: true },
      orderBy: [{ isClosed: 'asc' }, { modifiedAt: 'desc' }],
      take: limit,
    }) as Promise<{ id: string; contactId: string }[]>;
  }

  /**
   * Writes contact and company names onto tickets (the company per ticket when the ticket's own company
   * association is known; otherwise the contact's). An empty string marks "looked up, HubSpot has no name" so
   * the lookup is not repeated every run.
   */
  async setNames(updates: readonly TicketNames[]): Promise<void> {
    if (updates.length === 0) return;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const stmt = cachedStatement(
        db.sqlite,
        `UPDATE "Ticket" SET "contactName" = ?, "contactEmail" = ?, "companyName" = ? WHERE "id" = ?`,
      );
      await sqliteWrite(db.sqlite, () => {
        for (const u of updates) stmt.run(u.contactName, u.contactEmail, u.companyName, u.ticketId);
      });
      return;
    }
    await db.pg.query(
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
}
