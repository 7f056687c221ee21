// The PostgreSQL dialect of a page write (see page-writer.ts): a whole page per statement, one array per column
// (`INSERT … SELECT * FROM UNNEST(…)`), on the transaction's client.
import type pg from 'pg';
import type { FeedbackRow, TicketRow, UserRow } from '../hubspot/map.ts';
import {
  type ColumnKind,
  FEEDBACK_COLUMNS,
  FEEDBACK_KINDS,
  FEEDBACK_UPDATE_SET,
  q,
  TICKET_COLUMNS,
  TICKET_KINDS,
  TICKET_UPDATE_SET,
  USER_COLUMNS,
  USER_KINDS,
  USER_UPDATE_SET,
  userValues,
} from './hubspot-columns.ts';
import type { CursorWrite, PageWriter, TicketUpsertResult } from './page-writer.ts';
import { ticketChange } from './ticket-change.ts';

const PG_ARRAY_TYPES: Record<ColumnKind, string> = {
  text: 'text',
  time: 'timestamp(3)',
  bool: 'boolean',
  float: 'double precision',
  int: 'int',
};

/** Stored as UTC `timestamp` (no zone): written as UTC ISO text. */
function pgTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * One array per column (times as text, `syncedAt` set to `synced`) and its cast, for
 * `INSERT … SELECT * FROM UNNEST(casts)`.
 */
function unnest<C extends string>(
  columns: readonly C[],
  kinds: Record<C, ColumnKind>,
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

/** The newest version of each id (a page never repeats an id, but a caller's batch might). */
function newestById<R extends { id: string; modifiedAt: number }>(rows: readonly R[]): R[] {
  const byId = new Map<string, R>();
  for (const row of rows) {
    const seen = byId.get(row.id);
    if (!seen || seen.modifiedAt <= row.modifiedAt) byId.set(row.id, row);
  }
  return [...byId.values()];
}

export class PgPageWriter implements PageWriter {
  readonly #client: pg.PoolClient;
  readonly #synced: string | null;

  constructor(client: pg.PoolClient, now: number) {
    this.#client = client;
    this.#synced = pgTime(now);
  }

  async tickets(rows: readonly TicketRow[]): Promise<TicketUpsertResult> {
    const result: TicketUpsertResult = { inserted: [], stageChanges: 0, stale: 0 };
    if (rows.length === 0) return result;
    const fresh = newestById(rows);
    // Locked, so that two replicas writing the same ticket decide its stage periods one after the other.
    const stored = await this.#client.query<{ id: string; stageId: string | null; modifiedAt: number }>(
      `SELECT "id", "stageId", (EXTRACT(EPOCH FROM "modifiedAt") * 1000)::float8 AS "modifiedAt"
         FROM "Ticket" WHERE "id" = ANY($1::text[]) FOR UPDATE`,
      [fresh.map((r) => r.id)],
    );
    const byId = new Map(stored.rows.map((r) => [r.id, r]));
    const accepted: TicketRow[] = [];
    const open: { id: string; entered: string; stage: string }[] = [];
    const close: { id: string; entered: string }[] = [];
    for (const row of fresh) {
      const change = ticketChange(byId.get(row.id), row);
      if (change.kind === 'stale') {
        result.stale++;
        continue;
      }
      accepted.push(row);
      if (change.kind === 'insert') result.inserted.push(row.id);
      const period = change.period;
      if (!period) continue;
      const entered = pgTime(period.enteredAt)!;
      if (change.kind === 'update') {
        result.stageChanges++;
        close.push({ id: row.id, entered });
      }
      open.push({ id: row.id, entered, stage: period.stageId });
    }
    if (accepted.length === 0) return result;
    const { params, casts } = unnest(TICKET_COLUMNS, TICKET_KINDS, accepted, this.#synced);
    await this.#client.query(
      `INSERT INTO "Ticket" (${TICKET_COLUMNS.map(q).join(', ')})
       SELECT * FROM UNNEST(${casts.join(', ')})
       ON CONFLICT ("id") DO UPDATE SET ${TICKET_UPDATE_SET}
       WHERE excluded."modifiedAt" >= "Ticket"."modifiedAt"`,
      params,
    );
    if (close.length > 0) {
      await this.#client.query(
        `UPDATE "TicketStagePeriod" AS p SET "exitedAt" = u.e
         FROM UNNEST($1::text[], $2::timestamp(3)[]) AS u(id, e)
         WHERE p."ticketId" = u.id AND p."exitedAt" IS NULL AND p."enteredAt" <= u.e`,
        [close.map((c) => c.id), close.map((c) => c.entered)],
      );
    }
    if (open.length > 0) {
      await this.#client.query(
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
    const existing = await this.#client.query<{ id: string }>(
      `SELECT "id" FROM "FeedbackSubmission" WHERE "id" = ANY($1::text[])`,
      [unique.map((r) => r.id)],
    );
    const known = new Set(existing.rows.map((r) => r.id));
    const { params, casts } = unnest(FEEDBACK_COLUMNS, FEEDBACK_KINDS, unique, this.#synced);
    await this.#client.query(
      `INSERT INTO "FeedbackSubmission" (${FEEDBACK_COLUMNS.map(q).join(', ')})
       SELECT * FROM UNNEST(${casts.join(', ')})
       ON CONFLICT ("id") DO UPDATE SET ${FEEDBACK_UPDATE_SET}
       WHERE excluded."modifiedAt" >= "FeedbackSubmission"."modifiedAt"`,
      params,
    );
    return { inserted: unique.filter((r) => !known.has(r.id)).map((r) => r.id) };
  }

  async users(rows: readonly UserRow[]): Promise<{ inserted: string[] }> {
    if (rows.length === 0) return { inserted: [] };
    const unique = [...new Map(rows.map((r) => [r.id, r])).values()];
    const stored = await this.#client.query<{ id: string; modifiedAt: number }>(
      `SELECT "id", (EXTRACT(EPOCH FROM "modifiedAt") * 1000)::float8 AS "modifiedAt"
         FROM "HubspotUser" WHERE "id" = ANY($1::text[]) FOR UPDATE`,
      [unique.map((r) => r.id)],
    );
    const previous = new Map(stored.rows.map((r) => [r.id, r.modifiedAt]));
    const accepted = unique.filter((r) => (previous.get(r.id) ?? -Infinity) <= r.modifiedAt);
    if (accepted.length === 0) return { inserted: [] };
    const { params, casts } = unnest(USER_COLUMNS, USER_KINDS, accepted.map(userValues), this.#synced);
    await this.#client.query(
      `INSERT INTO "HubspotUser" (${USER_COLUMNS.map(q).join(', ')})
       SELECT * FROM UNNEST(${casts.join(', ')})
       ON CONFLICT ("id") DO UPDATE SET ${USER_UPDATE_SET}`,
      params,
    );
    const ids = accepted.map((r) => r.id);
    await this.#client.query(`DELETE FROM "UserWorkingHours" WHERE "userId" = ANY($1::text[])`, [ids]);
    await this.#client.query(`DELETE FROM "UserOutOfOffice" WHERE "userId" = ANY($1::text[])`, [ids]);
    const slots = accepted.flatMap((r) => r.workingHours.map((s) => ({ id: r.id, ...s })));
    if (slots.length > 0) {
      await this.#client.query(
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
      await this.#client.query(
        `INSERT INTO "UserOutOfOffice" ("userId", "startsAt", "endsAt")
         SELECT * FROM UNNEST($1::text[], $2::timestamp(3)[], $3::timestamp(3)[])`,
        [away.map((a) => a.id), away.map((a) => pgTime(a.startsAt)), away.map((a) => pgTime(a.endsAt))],
      );
    }
    return { inserted: accepted.filter((r) => !previous.has(r.id)).map((r) => r.id) };
  }

  async cursor(cursor: CursorWrite): Promise<void> {
    await this.#client.query(
      `INSERT INTO "SyncCursor" ("name", "value", "updatedAt") VALUES ($1, $2, $3::timestamp(3))
       ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value", "updatedAt" = excluded."updatedAt"`,
      [cursor.name, cursor.value, this.#synced],
    );
  }
}
