// Heed's copy of HubSpot's feedback answers (FeedbackSubmission): pages from the sync and the associations and
// names looked up after a page.
import type { FeedbackRow } from '../hubspot/map.ts';
import { type Db, sqliteWrite } from './client.ts';
import { type CursorWrite, writePageWithCursor } from './page-writer.ts';
import { cachedStatement } from './raw-sql.ts';

export class FeedbackRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Upserts a page of answers and moves the cursor in one transaction; returns the answers not seen before. */
  upsertPage(rows: readonly FeedbackRow[], now: number, cursor?: CursorWrite): Promise<{ inserted: string[] }> {
    return writePageWithCursor(this.#db, now, cursor, (tx) => tx.feedback(rows));
  }

  /** Sets contact/ticket associations on feedback submissions whose payload carried none. */
  async setAssociations(
    updates: readonly { id: string; contactId: string | null; ticketId: string | null }[],
  ): Promise<void> {
    if (updates.length === 0) return;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const stmt = cachedStatement(
        db.sqlite,
        `UPDATE "FeedbackSubmission" SET "contactId" = COALESCE(?, "contactId"), "ticketId" = COALESCE(?, "ticketId") WHERE "id" = ?`,
      );
      await sqliteWrite(db.sqlite, () => {
        for (const u of updates) stmt.run(u.contactId, u.ticketId, u.id);
      });
      return;
    }
    await db.pg.query(
      `UPDATE "FeedbackSubmission" AS f SET "contactId" = COALESCE(u.c, f."contactId"), "ticketId" = COALESCE(u.t, f."ticketId")
       FROM UNNEST($1::text[], $2::text[], $3::text[]) AS u(id, c, t) WHERE f."id" = u.id`,
      [updates.map((u) => u.id), updates.map((u) => u.contactId), updates.map((u) => u.ticketId)],
    );
  }

  async needingNames(submittedSince: number, limit: number): Promise<{ id: string; contactId: string }[]> {
    return this.#db.prisma.feedbackSubmission.findMany({
      where: { contactId: { not: null }, contactName: null, submittedAt: { gte: new Date(submittedSince) } },
      select: { id: true, contactId: true },
      orderBy: { submittedAt: 'desc' },
      take: limit,
    }) as Promise<{ id: string; contactId: string }[]>;
  }

  async setNames(updates: readonly { id: string; contactName: string; contactEmail: string | null }[]): Promise<void> {
    if (updates.length === 0) return;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const stmt = cachedStatement(
        db.sqlite,
        `UPDATE "FeedbackSubmission" SET "contactName" = ?, "contactEmail" = ? WHERE "id" = ?`,
      );
      await sqliteWrite(db.sqlite, () => {
        for (const u of updates) stmt.run(u.contactName, u.contactEmail, u.id);
      });
      return;
    }
    await db.pg.query(
      `UPDATE "FeedbackSubmission" AS f SET "contactName" = u.n, "contactEmail" = u.e
       FROM UNNEST($1::text[], $2::text[], $3::text[]) AS u(id, n, e) WHERE f."id" = u.id`,
      [updates.map((u) => u.id), updates.map((u) => u.contactName), updates.map((u) => u.contactEmail)],
    );
  }
}
