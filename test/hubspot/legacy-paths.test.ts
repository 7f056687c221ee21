// HubSpot ends support for the v4 paths on 2027-03-30 and for v1–v3 in September 2027. With the simulator
// answering every legacy path as retired (404 or 410 with HubSpot's error body), a full sync, the webhooks journal,
// users and an owner change still work, and not one request went to a legacy path. When HubSpot retires the version
// Heed speaks, Heed stops with "upgrade Heed" (code and fix), records the run as failed, and stores nothing: never
// a silent empty sync.
import { afterEach, describe, expect, it } from 'vitest';
import { API_VERSION, LEGACY_PATH, paths } from '../../src/hubspot/api-version.ts';
import { HubspotError } from '../../src/hubspot/client.ts';
import { setTicketOwner } from '../../src/hubspot/crm.ts';
import { ZHubspotError } from '../../src/hubspot/schemas.ts';
import { testProviders } from '../support/db.ts';
import { type Harness, startHarness, TOKEN } from './harness.ts';

describe.each(testProviders())('legacy HubSpot paths retired, on %s', (provider) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it.each([404, 410] as const)(
    'sync, journal, users and an owner change use no legacy path (legacy answers %i)',
    { timeout: 60_000 },
    async (status) => {
      h = await startHarness(provider, { sim: { retired: { legacy: true, status } } });
      // The option works: a legacy path answers as retired, in HubSpot's error shape.
      const legacy = await fetch(`${h.sim.url}/crm/v3/objects/tickets?limit=1`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(legacy.status).toBe(status);
      const body = ZHubspotError.parse(await legacy.json());
      expect(body.message).toContain('no longer supported');
      h.sim.resetCounts();

      const liveAtStart = h.sim.portal.t.archived.subarray(0, h.sim.portal.ticketCount).filter((a) => a === 0).length;
      const backfill = await h.service.run();
      const reader = h.journal();
      await reader.readOnce();
      // Changes happen after the last pass's search window (which ends at its "now").
      h.clock.advance(1000);
      const now = h.clock.now().getTime();
      h.sim.portal.touchTickets(40, now - 100);
      h.sim.portal.createTickets(4, now - 50);
      h.sim.portal.archiveTicket(h.sim.portal.ticketId(7), now - 40);
      h.sim.portal.updateUser(h.sim.portal.users[0]!.id, { availability: 'away' }, now - 30);
      const journal = await reader.readOnce();
      const incremental = await h.service.run();
      await setTicketOwner(h.api, h.sim.portal.ticketId(9), h.sim.portal.owners[1]!.id);

      const legacyCalls = [...h.sim.counts.keys()].filter((key) => LEGACY_PATH.test(key.split(' ')[1]!));
      expect(legacyCalls).toEqual([]);
      expect(h.sim.statuses.get(404) ?? 0).toBe(0);
      expect(h.sim.statuses.get(410) ?? 0).toBe(0);
      expect(backfill.records.tickets).toBe(liveAtStart);
      expect(backfill.records.users).toBe(h.sim.portal.users.length);
      expect(journal.entries).toBeGreaterThan(0);
      expect(journal.ticketsArchived).toBe(1);
      expect(incremental.records.users).toBe(1);
      // Every path Heed called is on the date-versioned families.
      for (const key of h.sim.counts.keys()) {
        expect(key).toMatch(
          / \/(crm\/[a-z]+\/20\d\d-\d\d|account-info\/20\d\d-\d\d|conversations\/conversations\/20\d\d-\d\d|webhooks-journal|oauth\/20\d\d-\d\d|journal-files)/,
        );
      }
    },
  );

  it.each([404, 410] as const)(
    'a retired %i on the version Heed speaks stops the sync with "upgrade Heed", records it, stores nothing',
    async (status) => {
      h = await startHarness(provider, { sim: { retired: { versions: [API_VERSION], status } } });
      const error = (await h.service.run().catch((e: unknown) => e)) as HubspotError;
      expect(error).toBeInstanceOf(HubspotError);
      expect(error.code).toBe('HUBSPOT_API_RETIRED');
      expect(error.status).toBe(status);
      expect(error.message).toBe(
        `HubSpot no longer serves GET ${paths.accountDetails()} (${status}): the API version ${API_VERSION} has been retired. ` +
          `API version ${API_VERSION} is no longer supported (${paths.accountDetails()}). Migrate to a supported date-based version: ` +
          'https://developers.hubspot.com/docs/api-reference/legacy/migration-guide',
      );
      expect(error.fix).toMatch(/^upgrade Heed to a release that speaks a HubSpot API version still supported/);
      expect(error.describe()).toContain(`To fix: upgrade Heed`);
      const run = await h.db.prisma.syncRun.findFirstOrThrow();
      expect(run.status).toBe('failed');
      expect(run.error).toContain('no longer serves');
      expect(await h.db.prisma.ticket.count()).toBe(0);
      // Retries would not help: one call, no backoff loop.
      expect(h.sim.totalRequests()).toBe(1);
    },
  );

  it('a retired search path mid-sync is an error too, not an incremental pass that found nothing', async () => {
    h = await startHarness(provider);
    await h.service.run();
    h.sim.portal.touchTickets(10, h.clock.now().getTime() - 1000);
    h.sim.injectFault({
      match: `POST ${paths.search('tickets')}`,
      kind: 'status',
      status: 410,
      body: {
        status: 'error',
        category: 'GONE',
        message: 'This API version is no longer supported.',
        correlationId: 'c',
      },
    });
    const error = (await h.service.run().catch((e: unknown) => e)) as HubspotError;
    expect(error.code).toBe('HUBSPOT_API_RETIRED');
    const runs = await h.db.prisma.syncRun.findMany({ orderBy: { startedAt: 'asc' } });
    expect(runs.map((r) => r.status)).toEqual(['ok', 'failed']);
  });
});
