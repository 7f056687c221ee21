// HubSpot answering 5xx, 429 (each policy) and timeouts for a stretch, then recovering: the sync completes and
// nothing is skipped — the database ends equal to the portal, for a backfill and for an incremental pass.
// In-process (the client's waits run on a sped-up clock), on every test database provider.
import { afterEach, describe, expect, it } from 'vitest';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { createHubspotClient, HubspotApi, HubspotError } from '../../src/hubspot/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type SimFault, type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { SyncService } from '../../src/services/sync.ts';
import { PORTAL_NOW, TOKEN, testClock } from '../hubspot/harness.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';
import { compareTickets } from './support/compare.ts';
import { scenarioTally } from './support/results.ts';

const LIST = 'GET /crm/objects/2026-09/tickets';
const SEARCH = 'POST /crm/objects/2026-09/tickets/search';
/** The client gives up on an attempt after this long; 'delay' faults hold answers longer. */
const TIMEOUT_MS = 250;
const MAX_ATTEMPTS = 6;

/** A fault without its `match` (kept per variant: a plain Omit of the union would lose the variants' fields). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type FaultSpec = DistributiveOmit<SimFault, 'match'>;

type Outage = {
  name: string;
  /** The fault, minus what it matches (the backfill's list, then the incremental pass's search). */
  fault: FaultSpec;
  /** The status the simulator answers during the outage (counted to prove the outage happened). */
  status?: number;
  /** Longer than the client's retries: the run fails, and the next one must finish the job. */
  outlastsRetries?: boolean;
};

const OUTAGES: Outage[] = [
  { name: '500 ×4', fault: { kind: 'status', status: 500, times: 4 }, status: 500 },
  { name: '502 ×3', fault: { kind: 'status', status: 502, times: 3 }, status: 502 },
  { name: '503 ×5', fault: { kind: 'status', status: 503, times: 5 }, status: 503 },
  {
    name: '429 TEN_SECONDLY_ROLLING ×5',
    fault: { kind: 'rate-limit', policy: 'TEN_SECONDLY_ROLLING', times: 5 },
    status: 429,
  },
  { name: '429 SECONDLY ×5', fault: { kind: 'rate-limit', policy: 'SECONDLY', times: 5 }, status: 429 },
  { name: 'timeouts ×4', fault: { kind: 'delay', ms: TIMEOUT_MS * 4, times: 4 } },
  { name: 'connection resets ×4', fault: { kind: 'reset', times: 4 } },
  {
    name: '503 ×9 (outlasts retries)',
    fault: { kind: 'status', status: 503, times: 9 },
    status: 503,
    outlastsRetries: true,
  },
];

describe.each(testProviders())('HubSpot outages then recovery on %s', (provider) => {
  const tally = scenarioTally(`HubSpot 5xx/429/timeouts, recovery (${provider})`);
  let sim: Simulator | undefined;
  let db: OpenTestDb | undefined;
  afterEach(async () => {
    await sim?.close();
    await db?.dispose();
    sim = undefined;
    db = undefined;
    tally.write();
  });

  async function setup() {
    const portal = new SimPortal({ now: PORTAL_NOW, tickets: 450, seed: 17, feedbackPerTicket: 0.1 });
    // The outage starts at the third request of what it matches, so it lands mid-stream with pages committed.
    let pendingOutage: SimFault | undefined;
    sim = await startSimulator({
      portal,
      accessToken: TOKEN,
      onRequest: (key, count) => {
        if (pendingOutage && key === pendingOutage.match && count >= 3) {
          sim!.injectFault(pendingOutage);
          pendingOutage = undefined;
        }
      },
    });
    db = await openTestDb(provider);
    const clock = testClock(2000);
    const service = new SyncService({
      api: new HubspotApi({
        client: createHubspotClient({ accessToken: TOKEN, baseUrl: sim.url }),
        requestsPer10s: 1000,
        searchPerSecond: 5,
        clock,
        timeoutMs: TIMEOUT_MS,
        maxAttempts: MAX_ATTEMPTS,
        backoffMs: 200,
      }),
      repos: hubspotRepos(db),
      clock,
      logger: silentLogger(),
      // Small search pages so the incremental pass has pages to interrupt.
      options: { searchPageSize: 40 },
    });
    return {
      portal,
      sim,
      db,
      clock,
      service,
      outageOn: (match: string, fault: FaultSpec) => {
        pendingOutage = { ...fault, match } as SimFault;
      },
      outageServed: () => pendingOutage === undefined,
    };
  }

  /** Runs passes until one completes (at most 3); returns how many failed first. */
  async function syncUntilDone(service: SyncService): Promise<number> {
    for (let failed = 0; failed < 3; failed++) {
      try {
        await service.run();
        return failed;
      } catch (error) {
        if (!(error instanceof HubspotError)) throw error;
      }
    }
    throw new Error('three passes in a row failed after the outage ended');
  }

  it.each(OUTAGES)('$name: backfill and incremental pass complete, nothing skipped', async (outage) => {
    let counted = false;
    try {
      const s = await setup();
      // Backfill, with the list endpoint failing for a stretch from its third page.
      s.outageOn(LIST, outage.fault);
      const failedBackfills = await syncUntilDone(s.service);
      expect(s.outageServed()).toBe(true);
      if (outage.status) expect(s.sim.statuses.get(outage.status) ?? 0).toBeGreaterThanOrEqual(3);
      expect(failedBackfills).toBe(outage.outlastsRetries ? 1 : 0);
      const afterBackfill = await compareTickets(s.portal, s.db);

      // HubSpot changes; the incremental pass's search fails for a stretch from its third page. Changes are stamped
      // 30.5 s before Heed's now (its windows end 30 s back, where HubSpot's search index has caught up).
      s.clock.advance(120_000);
      const base = s.clock.now().getTime() - 30_500;
      s.portal.touchTickets(200, base, { seed: 3 });
      s.portal.createTickets(40, base - 300);
      s.outageOn(SEARCH, outage.fault);
      const failedIncrementals = await syncUntilDone(s.service);
      expect(s.outageServed()).toBe(true);
      expect(failedIncrementals).toBe(outage.outlastsRetries ? 1 : 0);
      const afterIncremental = await compareTickets(s.portal, s.db);
      counted = true;
      tally.trial({
        lost: afterBackfill.lost.length + afterIncremental.lost.length,
        duplicated: afterBackfill.duplicated.length + afterIncremental.duplicated.length,
      });
      expect(afterBackfill.lost, afterBackfill.examples.join('\n')).toEqual([]);
      expect(afterIncremental.lost, afterIncremental.examples.join('\n')).toEqual([]);
      expect(afterIncremental.duplicated).toEqual([]);
      expect(afterIncremental.rows).toBe(afterIncremental.live);
    } finally {
      if (!counted) tally.failed();
    }
  });

  it('DAILY limit: the pass stops and says when the limit resets; the next pass (after the reset) completes', async () => {
    let counted = false;
    try {
      const s = await setup();
      s.outageOn(LIST, { kind: 'rate-limit', policy: 'DAILY' });
      const stopped = await s.service.run().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(stopped).toBeInstanceOf(HubspotError);
      expect((stopped as HubspotError).code).toBe('HUBSPOT_DAILY_LIMIT');
      // The portal's day resets at its midnight (America/New_York for the simulator's account).
      expect((stopped as HubspotError).resetAt?.getTime()).toBeGreaterThan(PORTAL_NOW);
      const run = await s.db.prisma.syncRun.findFirst({ orderBy: { startedAt: 'desc' } });
      expect(run?.status).toBe('daily-limit');
      const partial = await compareTickets(s.portal, s.db);
      expect(partial.lost.length).toBeGreaterThan(0);
      // The next day: the same service, resumed.
      await s.service.run();
      const done = await compareTickets(s.portal, s.db);
      counted = true;
      tally.trial({ lost: done.lost.length, duplicated: done.duplicated.length });
      expect(done.lost).toEqual([]);
      expect(done.rows).toBe(done.live);
    } finally {
      if (!counted) tally.failed();
    }
  });
});
