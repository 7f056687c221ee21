// Where each sync stream stopped (SyncCursor): a page's cursor is written with the page (page-writer.ts); these
// are the reads, the moves outside a page, and the compare-and-set of the webhooks journal.
import type { Db } from './client.ts';
import { type CursorWrite, writePage } from './page-writer.ts';

export class SyncCursorRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(name: string): Promise<string | undefined> {
    const row = await this.#db.prisma.syncCursor.findUnique({ where: { name } });
    return row?.value;
  }

  async set(cursor: CursorWrite, now: number): Promise<void> {
    await writePage(this.#db, now, (tx) => tx.cursor(cursor));
  }

  async delete(name: string): Promise<void> {
    await this.#db.prisma.syncCursor.deleteMany({ where: { name } });
  }

  /**
   * Moves a cursor only if it still holds `expected` (undefined: only if it does not exist yet). Returns whether it
   * moved. Two readers of one stream (a replica that lost its lease and does not know it yet) cannot move it back.
   */
  async compareAndSet(name: string, expected: string | undefined, value: string, now: number): Promise<boolean> {
    const prisma = this.#db.prisma;
    if (expected === undefined) {
      try {
        await prisma.syncCursor.create({ data: { name, value, updatedAt: new Date(now) } });
        return true;
      } catch (error) {
        // Another reader created it first (a unique violation); anything else (the database down) is an error.
        if ((error as { code?: unknown }).code === 'P2002') return false;
        throw error;
      }
    }
    const result = await prisma.syncCursor.updateMany({
      where: { name, value: expected },
      data: { value, updatedAt: new Date(now) },
    });
    return result.count === 1;
  }
}
