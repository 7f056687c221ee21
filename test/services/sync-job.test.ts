// The scheduled sync meeting HubSpot's daily API limit (src/services/sync-job.ts, what `heed start` runs): the
// pass that meets it fails and is recorded; passes before the portal's midnight send no request at all and say
// why; the first pass after it resumes from the stored cursor and finishes the backfill; the one after runs as
// usual. The HubSpot simulator over HTTP, on SQLite and PostgreSQL.
import { afterEach, describe, expect, it } from 'vitest';
import type { HubspotError } from '../../src/hubspot/client.ts';
import type { SyncStats } from '../../src/services/sync.ts';
import { syncJob } from '../../src/services/sync-job.ts';
import { capturingLogger, type Harness, startHarness } from '../hubspot/harness.ts';
import { testProviders } from '../support/db.ts';

const LIST = 'GET /crm/objects/2026-09/tickets';

describe.each(testProviders())('the scheduled sync and HubSpot’s daily limit on %s', (provider) => {
  let h: Harness;
  afterEach(() => h?.close());

  const requests = () => [...h.sim.counts.values()].reduce((sum, n) => sum + n, 0);

  it('skips every pass until the limit resets, without a request, then resumes where it stopped', async () => {
    h = await startHarness(provider, { portal: { tickets: 600 } });
    const { logger, lines } = capturingLogger();
    const ctx = () => ({ now: h.clock.now(), logger });
    const finished: SyncStats[] = [];
    const job = syncJob({ run: () => h.service.run(), onStats: (stats) => finished.push(stats) });

    // Three pages, then the daily limit.
    h.sim.injectFault({ match: LIST, kind: 'delay', ms: 0, times: 3 });
    h.sim.injectFault({ match: LIST, kind: 'rate-limit', policy: 'DAILY' });
    const error = (await job(ctx()).catch((e: unknown) => e)) as HubspotError;
    expect(error.code).toBe('HUBSPOT_DAILY_LIMIT');
    const resetAt = error.resetAt!;
    expect(resetAt.getTime()).toBeGreaterThan(h.clock.now().getTime());
    expect(finished).toEqual([]);
    const synced = await h.db.prisma.ticket.count();
    expect(synced).toBeGreaterThanOrEqual(290);

    // Until the reset: nothing sent to HubSpot, one line each saying why.
    h.sim.resetCounts();
    await job(ctx());
    h.clock.advance(resetAt.getTime() - h.clock.now().getTime() - 60_000);
    await job(ctx());
    expect(requests()).toBe(0);
    const skipped = lines().filter((line) => line['msg'] === 'sync skipped: HubSpot daily limit used up');
    expect(skipped.map((line) => line['resetsAt'])).toEqual([resetAt.toISOString(), resetAt.toISOString()]);
    expect(await h.db.prisma.ticket.count()).toBe(synced);

    // After it: the backfill goes on from the fourth page and finishes.
    h.clock.advance(2 * 60_000);
    await job(ctx());
    expect(h.sim.counts.get(LIST)).toBe(3);
    // (A pass that starts from a stored cursor counts as incremental, though it finishes the first backfill.)
    expect(finished.map((stats) => stats.kind)).toEqual(['incremental']);
    const live = h.sim.portal.t.archived.subarray(0, h.sim.portal.ticketCount).filter((a) => a === 0).length;
    expect(await h.db.prisma.ticket.count()).toBe(live);

    // And the next pass is an ordinary one: the reset is forgotten.
    h.sim.resetCounts();
    await job(ctx());
    expect(requests()).toBeGreaterThan(0);
    expect(finished).toHaveLength(2);
  });

  it('another failure is not a daily limit: the next pass tries again at once', async () => {
    h = await startHarness(provider, { portal: { tickets: 50 } });
    const { logger } = capturingLogger();
    const job = syncJob({ run: () => h.service.run() });
    h.sim.injectFault({ match: LIST, kind: 'status', status: 400, times: 1 });
    await expect(job({ now: h.clock.now(), logger })).rejects.toThrow();
    h.sim.resetCounts();
    await job({ now: h.clock.now(), logger });
    expect(requests()).toBeGreaterThan(0);
    expect(await h.db.prisma.ticket.count()).toBeGreaterThan(0);
  });
});
