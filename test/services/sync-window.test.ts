// Incremental sync past HubSpot's 10,000-result search cap: the window restarts from the last timestamp seen,
// and when more than 10,000 records share one timestamp it is pinned and walked by hs_object_id.
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../hubspot/harness.ts';
import { testProviders } from '../support/db.ts';

const SEARCH = 'POST /crm/objects/2026-09/tickets/search';

describe.each(testProviders())('incremental windows on %s', (provider) => {
  let h: Harness;
  afterEach(() => h?.close());

  async function expectInSync(harness: Harness, ids: readonly string[]) {
    const rows = await harness.db.prisma.ticket.findMany({
      where: { id: { in: [...ids] } },
      select: { id: true, modifiedAt: true, stageId: true },
    });
    expect(rows).toHaveLength(ids.length);
    for (const row of rows) {
      const i = harness.sim.portal.ticketIndex(row.id)!;
      expect(row.modifiedAt.getTime()).toBe(harness.sim.portal.t.modifiedAt[i]);
      expect(row.stageId).toBe(harness.sim.portal.ticketStageId(i));
    }
  }

  it('syncs more than 10,000 changes in one pass without ever hitting the cap', async () => {
    h = await startHarness(provider, { portal: { tickets: 11_000, feedbackPerTicket: 0 } });
    await h.service.run();
    h.clock.advance(30 * 60_000);
    const changed = h.sim.portal.touchTickets(10_450, h.clock.now().getTime() - 60_000);
    h.sim.resetCounts();
    const stats = await h.service.run();
    expect(h.sim.statuses.get(400) ?? 0).toBe(0);
    expect(stats.restarts).toBeGreaterThanOrEqual(1);
    expect(stats.records.tickets).toBeGreaterThanOrEqual(10_450);
    // 50 pages to the cap, then the restarted window re-reads at most one timestamp's records.
    expect(h.sim.counts.get(SEARCH)).toBeLessThanOrEqual(Math.ceil(10_450 / 200) + 2);
    await expectInSync(h, changed);
  }, 120_000);

  it('pins a timestamp shared by more than 10,000 records and pages it by hs_object_id', async () => {
    h = await startHarness(provider, { portal: { tickets: 10_800, feedbackPerTicket: 0 } });
    await h.service.run();
    h.clock.advance(30 * 60_000);
    const at = h.clock.now().getTime() - 60_000;
    const changed = h.sim.portal.touchTickets(10_300, at, { sameTimestamp: true });
    h.sim.resetCounts();
    const stats = await h.service.run();
    expect(h.sim.statuses.get(400) ?? 0).toBe(0);
    expect(stats.restarts).toBeGreaterThanOrEqual(2);
    await expectInSync(h, changed);
    // The cursor moved past the pinned timestamp: the next pass finds nothing new.
    h.clock.advance(60_000);
    h.sim.resetCounts();
    const next = await h.service.run();
    expect(next.records.tickets).toBe(0);
    expect(h.sim.counts.get(SEARCH)).toBe(1);
  }, 180_000);

  it.each([
    ['ends its window before what search may not have indexed yet', 120_000, true],
    ['would lose changes search had not indexed when it looked (no margin)', 0, false],
  ])('%s', async (_name, searchLagMs, expectAll) => {
    // HubSpot's search index trails writes; the simulator hides records changed in the last 90 s from search.
    h = await startHarness(provider, {
      portal: { tickets: 400, feedbackPerTicket: 0 },
      sim: { searchLagMs: 90_000 },
      sync: { searchLagMs },
    });
    await h.service.run();
    h.clock.advance(30 * 60_000);
    const changed = h.sim.portal.touchTickets(50, h.clock.now().getTime() - 30_000);
    await h.service.run();
    h.clock.advance(10 * 60_000);
    await h.service.run();
    const rows = await h.db.prisma.ticket.findMany({
      where: { id: { in: changed } },
      select: { id: true, modifiedAt: true },
    });
    const current = rows.filter(
      (r) => r.modifiedAt.getTime() === h.sim.portal.t.modifiedAt[h.sim.portal.ticketIndex(r.id)!],
    );
    if (expectAll) expect(current).toHaveLength(50);
    else expect(current.length).toBeLessThan(50);
  });

  it('restarts the window when records leave it while paging (no record skipped by shifting offsets)', async () => {
    let onRequest = (_key: string, _count: number) => {};
    h = await startHarness(provider, {
      portal: { tickets: 1200, feedbackPerTicket: 0 },
      sim: { onRequest: (key, count) => onRequest(key, count) },
    });
    await h.service.run();
    h.clock.advance(30 * 60_000);
    // 900 changes at distinct, ascending timestamps: the window holds exactly these, in this order.
    const changed = h.sim.portal.touchTickets(900, h.clock.now().getTime() - 120_000);
    const firstPage = changed.slice(0, 10);
    // When the second search request arrives, ten records of the first page change again (past the window's upper
    // bound): without a restart, records 200–209 would shift onto offsets already read and be skipped for good.
    onRequest = (key, count) => {
      if (key === SEARCH && count === 2) h.sim.portal.touchTicketIds(firstPage, h.clock.now().getTime() + 3_600_000);
    };
    h.sim.resetCounts();
    const stats = await h.service.run();
    await expectInSync(
      h,
      changed.filter((id) => !firstPage.includes(id)),
    );
    expect(stats.restarts).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
