// A sync gives the event loop a turn between pages and batches, so Slack's requests (3 s to ack) are answered
// while it runs. Measured without any network in the way: HubSpot's answers are recorded once from the simulator,
// then replayed by a client whose answers are already there (as a fast HubSpot's often are: the next page is
// prefetched). Without the yields, a whole backfill then runs in one go and a waiting callback runs only at its end.
import { describe, expect, it } from 'vitest';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import {
  createHubspotClient,
  HubspotApi,
  type HubspotTransport,
  type TransportRequest,
  type TransportResponse,
} from '../../src/hubspot/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { SyncService } from '../../src/services/sync.ts';
import { fakeClock, PORTAL_NOW, TOKEN } from '../hubspot/harness.ts';
import { openTestDb } from '../support/db.ts';

const keyOf = (o: TransportRequest) => JSON.stringify([o.method, o.path, o.query, o.body, o.form]);

function apiOver(client: HubspotTransport) {
  const clock = fakeClock(PORTAL_NOW);
  return {
    clock,
    api: new HubspotApi({ client, requestsPer10s: 100_000, searchPerSecond: 5, clock }),
  };
}

describe('sync and the event loop', () => {
  it('lets a waiting callback run after the first page, not after the whole backfill', async () => {
    // Record: one real backfill against the simulator.
    const sim = await startSimulator({
      portal: new SimPortal({ now: PORTAL_NOW, tickets: 1500, seed: 4, feedbackPerTicket: 0.2 }),
      accessToken: TOKEN,
    });
    const real = createHubspotClient({ accessToken: TOKEN, baseUrl: sim.url });
    const tape = new Map<string, TransportResponse>();
    const recorder: HubspotTransport = {
      send: async (request, timeoutMs) => {
        const answer = await real.send(request, timeoutMs);
        if (answer !== 'timeout') tape.set(keyOf(request), answer);
        return answer;
      },
      invalidateToken: () => false,
    };
    const recordDb = await openTestDb('sqlite');
    const first = apiOver(recorder);
    await new SyncService({
      api: first.api,
      repos: hubspotRepos(recordDb),
      clock: first.clock,
      logger: silentLogger(),
    }).run();
    await recordDb.dispose();
    await sim.close();
    expect(tape.size).toBeGreaterThan(15);

    // Replay, answers already resolved: how many pages are written before a setImmediate callback gets its turn?
    const replay: HubspotTransport = {
      send: (request) =>
        Promise.resolve(
          tape.get(keyOf(request)) ?? { status: 404, headers: new Headers(), text: '{"message":"not recorded"}' },
        ),
      invalidateToken: () => false,
    };
    const pagesBeforeTurn = async (yieldBetweenBatches: boolean) => {
      const db = await openTestDb('sqlite');
      try {
        const { api, clock } = apiOver(replay);
        let pages = 0;
        let turnAfter: number | undefined;
        const service = new SyncService({
          api,
          repos: hubspotRepos(db),
          clock,
          logger: silentLogger(),
          options: { yieldBetweenBatches },
          onProgress: () => {
            pages++;
          },
        });
        const running = service.run();
        setImmediate(() => {
          turnAfter = pages;
        });
        const stats = await running;
        return { turnAfter: turnAfter ?? pages, pages, tickets: stats.records.tickets };
      } finally {
        await db.dispose();
      }
    };
    const blocking = await pagesBeforeTurn(false);
    const yielding = await pagesBeforeTurn(true);
    expect(blocking.tickets).toBe(yielding.tickets);
    expect(yielding.tickets).toBeGreaterThanOrEqual(1400);
    // Without yields the callback waits for (nearly) every page; with them it runs after the first one.
    expect(blocking.turnAfter).toBeGreaterThan(blocking.pages / 2);
    expect(yielding.turnAfter).toBeLessThanOrEqual(1);
  });
});
