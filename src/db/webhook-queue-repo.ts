// HubSpot webhook bookkeeping: the event ids already received (ProcessedEvent, so a re-delivery is recognised)
// and the objects waiting to be re-fetched (PendingFetch, drained by src/services/sync-webhooks.ts).
import { type Db, pgTransaction, sqliteWrite } from './client.ts';
import { cachedStatement } from './raw-sql.ts';
import { sqliteDate } from './sqlite-date.ts';

export type PendingFetchItem = { objectType: string; objectId: string; deleted: boolean };

/** One event of a webhook delivery: its id, and the object it asks Heed to re-fetch (none for what Heed ignores). */
export type WebhookEvent = { id: string; fetch: PendingFetchItem | undefined };

/** The objects the new events name, one entry per object, a deletion winning over a change. */
function queueOf(events: readonly WebhookEvent[], fresh: ReadonlySet<string>): PendingFetchItem[] {
  const queue = new Map<string, PendingFetchItem>();
  for (const { id, fetch } of events) {
    if (!fetch || !fresh.has(id)) continue;
    const key = `${fetch.objectType}/${fetch.objectId}`;
    queue.set(key, { ...fetch, deleted: fetch.deleted || (queue.get(key)?.deleted ?? false) });
  }
  return [...queue.values()];
}

export class WebhookQueueRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Records a delivery's events and queues the objects its new events name, in one transaction, and returns the ids
   * of the events not seen before (the rest are re-deliveries). Both or neither: a delivery that fails half way
   * leaves no trace, so HubSpot's retry of it is processed, not dropped as a duplicate. Of several events about one
   * object, a deletion wins, also over a change queued earlier.
   */
  async accept(source: string, events: readonly WebhookEvent[], now: number): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const db = this.#db;
    if (db.provider === 'sqlite') {
      const claim = cachedStatement(
        db.sqlite,
        `INSERT INTO "ProcessedEvent" ("source", "id", "receivedAt") VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
      );
      const enqueue = cachedStatement(
        db.sqlite,
        `INSERT INTO "PendingFetch" ("objectType", "objectId", "deleted", "queuedAt") VALUES (?, ?, ?, ?)
         ON CONFLICT ("objectType", "objectId") DO UPDATE SET "deleted" = ("PendingFetch"."deleted" OR excluded."deleted")`,
      );
      const at = sqliteDate(now);
      return sqliteWrite(db.sqlite, () => {
        const fresh = new Set<string>();
        for (const event of events) if (claim.run(source, event.id, at).changes > 0) fresh.add(event.id);
        for (const item of queueOf(events, fresh)) {
          enqueue.run(item.objectType, item.objectId, item.deleted ? 1 : 0, at);
        }
        return fresh;
      });
    }
    const at = new Date(now).toISOString();
    return pgTransaction(db.pg, async (client) => {
      const claimed = await client.query<{ id: string }>(
        `INSERT INTO "ProcessedEvent" ("source", "id", "receivedAt")
         SELECT $1, id, $3::timestamp(3) FROM UNNEST($2::text[]) AS id ON CONFLICT DO NOTHING RETURNING "id"`,
        [source, [...new Set(events.map((e) => e.id))], at],
      );
      const fresh = new Set(claimed.rows.map((row) => row.id));
      const items = queueOf(events, fresh);
      if (items.length > 0) {
        await client.query(
          `INSERT INTO "PendingFetch" ("objectType", "objectId", "deleted", "queuedAt")
           SELECT t, o, d, $4::timestamp(3) FROM UNNEST($1::text[], $2::text[], $3::boolean[]) AS u(t, o, d)
           ON CONFLICT ("objectType", "objectId") DO UPDATE SET "deleted" = ("PendingFetch"."deleted" OR excluded."deleted")`,
          [items.map((i) => i.objectType), items.map((i) => i.objectId), items.map((i) => i.deleted), at],
        );
      }
      return fresh;
    });
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
