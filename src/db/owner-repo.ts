// HubSpot's owners and teams as Heed last read them (Owner, HubspotTeam): a few hundred rows at most, replaced
// as a whole each sync through Prisma (fast enough at that size, and readable).
import type { OwnerRow, TeamRow } from '../hubspot/map.ts';
import type { Db } from './client.ts';

export class OwnerRepo {
  readonly #db: Pick<Db, 'prisma'>;

  constructor(db: Pick<Db, 'prisma'>) {
    this.#db = db;
  }

  /** Owners no longer listed are marked archived rather than deleted, so old tickets still show who owned them. */
  async replace(owners: readonly OwnerRow[], teams: readonly TeamRow[], now: number): Promise<void> {
    const at = new Date(now);
    await this.#db.prisma.$transaction(async (tx) => {
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
}
