// HubSpot webhook bookkeeping: the event ids already received (ProcessedEvent, so a re-delivery is recognised)
// and the objects waiting to be re-fetched (PendingFetch, drained by src/services/sync-webhooks.ts).
import { type Db, sqliteWrite } from './client.ts';
import { cachedStatement } from './raw-sql.ts';
import { sqliteDate } from './sqlite-date.ts';

export type PendingFetchItem = { objectType: string; objectId: string; deleted: boolean };

export class WebhookQueueRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Records event ids; returns those not seen before (the rest are duplicates HubSpot re-delivered). */
  async claim(source: string, ids: readonly string[], now: number): Promise<Set<string>> {
    const fresh = new Set<string>();
    if (ids.length === 0) return fresh;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const stmt = cachedStatement(
        db.sqlite,
        `INSERT INTO "ProcessedEvent" ("source", "id", "receivedAt") VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
      );
      await sqliteWrite(db.sqlite, () => {
        for (const id of ids) if (stmt.run(source, id, sqliteDate(now)).changes > 0) fresh.add(id);
      });
      return fresh;
    }
    const result = await db.pg.query<{ id: string }>(
      `INSERT INTO "ProcessedEvent" ("source", "id", "receivedAt")
       SELECT $1, id, $3::timestamp(3) FROM UNNEST($2::text[]) AS id ON CONFLICT DO NOTHING RETURNING "id"`,
      [source, [...new Set(ids)], new Date(now).toISOString()],
    );
    for (const row of result.rows) fresh.add(row.id);
    return fresh;
  }

  /** Forgets event ids (when queuing their work failed, so HubSpot's retry is processed). */
  async release(source: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#db.prisma.processedEvent.deleteMany({ where: { source, id: { in: [...ids] } } });
  }

  /** Queues objects for a re-fetch. A deletion wins over a change queued earlier for the same object. */
  async enqueue(items: readonly PendingFetchItem[], now: number): Promise<void> {
    if (items.length === 0) return;
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const stmt = cachedStatement(
        db.sqlite,
        `INSERT INTO "PendingFetch" ("objectType", "objectId", "deleted", "queuedAt") VALUES (?, ?, ?, ?)
         ON CONFLICT ("objectType", "objectId") DO UPDATE SET "deleted" = ("PendingFetch"."deleted" OR excluded."deleted")`,
      );
      await sqliteWrite(db.sqlite, () => {
        for (const i of items) stmt.run(i.objectType, i.objectId, i.deleted ? 1 : 0, sqliteDate(now));
      });
      return;
    }
    await db.pg.query(
      `INSERT INTO "PendingFetch" ("objectType", "objectId", "deleted", "queuedAt")
       SELECT t, o, d, $4::timestamp(3) FROM UNNEST($1::text[], $2::text[], $3::boolean[]) AS u(t, o, d)
       ON CONFLICT ("objectType", "objectId") DO UPDATE SET "deleted" = ("PendingFetch"."deleted" OR excluded."deleted")`,
      [
        items.map((i) => i.objectType),
        items.map((i) => i.objectId),
        items.map((i) => i.deleted),
        new Date(now).toISOString(),
      ],
    );
  }

  /** The oldest queued objects of a type. */
  async peek(objectType: string, limit: number): Promise<{ objectId: string; deleted: boolean; queuedAt: Date }[]> {
    return this.#db.prisma.pendingFetch.findMany({
      where: { objectType },
      orderBy: { queuedAt: 'asc' },
      take: limit,
      select: { objectId: true, deleted: true, queuedAt: true },
    });
  }

  /** Removes handled entries, but only those not re-queued since they were read (`queuedAt` unchanged). */
  async remove(objectType: string, entries: readonly { objectId: string; queuedAt: Date }[]): Promise<void> {
    if (entries.length === 0) return;
    const prisma = this.#db.prisma;
    await prisma.$transaction(
      entries.map((e) =>
        prisma.pendingFetch.deleteMany({ where: { objectType, objectId: e.objectId, queuedAt: e.queuedAt } }),
      ),
    );
  }

  async count(objectType: string): Promise<number> {
    return this.#db.prisma.pendingFetch.count({ where: { objectType } });
  }
}
