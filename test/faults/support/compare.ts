// "HubSpot and the database identical": every live ticket of the simulated portal is a Ticket row with the same
// hs_lastmodifieddate and not archived; every row Heed holds as live is live in HubSpot; each ticket has exactly
// one open stage period (a page re-read after a crash must not open a second one).
import type { Db } from '../../../src/db/client.ts';
import type { SimPortal } from '../../../src/hubspot/simulator/portal.ts';

export type Comparison = {
  /** Live in HubSpot, missing from the database or behind it (older hs_lastmodifieddate), or archived there. */
  lost: string[];
  /** More than one row or open stage period for a ticket. */
  duplicated: string[];
  /** Live in the database but archived in HubSpot (only checked when the scenario archives). */
  stale: string[];
  live: number;
  rows: number;
  /** A few lost tickets spelled out (HubSpot's hs_lastmodifieddate against the row's), for the failure message. */
  examples: string[];
};

export async function compareTickets(portal: SimPortal, db: Db): Promise<Comparison> {
  const rows = await db.prisma.ticket.findMany({ select: { id: true, modifiedAt: true, archived: true } });
  const byId = new Map<string, { modifiedAt: Date; archived: boolean }>();
  const duplicated: string[] = [];
  for (const row of rows) {
    if (byId.has(row.id)) duplicated.push(row.id);
    byId.set(row.id, row);
  }
  const openPeriods = await db.prisma.ticketStagePeriod.groupBy({
    by: ['ticketId'],
    where: { exitedAt: null },
    _count: { _all: true },
  });
  for (const p of openPeriods) if (p._count._all > 1) duplicated.push(`${p.ticketId} (stage periods)`);

  const lost: string[] = [];
  const stale: string[] = [];
  const examples: string[] = [];
  let live = 0;
  for (let i = 0; i < portal.ticketCount; i++) {
    const id = portal.ticketId(i);
    const row = byId.get(id);
    if (portal.t.archived[i]) {
      if (row && !row.archived) stale.push(id);
      continue;
    }
    live += 1;
    if (!row || row.archived || row.modifiedAt.getTime() !== portal.t.modifiedAt[i]) {
      lost.push(id);
      if (examples.length < 5) {
        const held = row ? `${row.modifiedAt.toISOString()}${row.archived ? ' archived' : ''}` : 'missing';
        examples.push(`${id}: HubSpot ${new Date(portal.t.modifiedAt[i]!).toISOString()}, database ${held}`);
      }
    }
  }
  return { lost, duplicated, stale, live, rows: rows.length, examples };
}
