// The HubSpot account Heed reads (Portal): its id, the domain links point to, and its time zone. One row.
import type { Db } from './client.ts';

export type PortalInfo = { id: string; uiDomain: string; timeZone: string | null };

export class PortalRepo {
  readonly #db: Pick<Db, 'prisma'>;

  constructor(db: Pick<Db, 'prisma'>) {
    this.#db = db;
  }

  /** Replaces the stored account (a token for another account replaces it rather than adding a second). */
  async upsert(portal: PortalInfo, now: number): Promise<void> {
    const prisma = this.#db.prisma;
    const data = { uiDomain: portal.uiDomain, timeZone: portal.timeZone, updatedAt: new Date(now) };
    await prisma.$transaction([
      prisma.portal.deleteMany({ where: { id: { not: portal.id } } }),
      prisma.portal.upsert({ where: { id: portal.id }, create: { id: portal.id, ...data }, update: data }),
    ]);
  }

  async get(): Promise<PortalInfo | undefined> {
    const row = await this.#db.prisma.portal.findFirst();
    return row ? { id: row.id, uiDomain: row.uiDomain, timeZone: row.timeZone } : undefined;
  }
}
