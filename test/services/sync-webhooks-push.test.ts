// Push webhooks stay for deployments with a public URL: the simulator plays HubSpot delivering a developer-platform
// app's `object.*` subscriptions (signed v3, batches of ≤ 100) to Heed's real route; Heed checks the signature,
// queues, and the drainer re-fetches: created, changed and deleted tickets end up as in HubSpot.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubspotWebhookHandler, type WebhookOutcome } from '../../src/hubspot/webhook-handler.ts';
import { silentLogger } from '../../src/logger.ts';
import { WebhookDrainer } from '../../src/services/sync-webhooks.ts';
import { compareTickets } from '../faults/support/compare.ts';
import { type Harness, startHarness } from '../hubspot/harness.ts';
import { testProviders } from '../support/db.ts';

const SECRET = 'push-client-secret-0000';

describe.each(testProviders())('HubSpot pushing object.* webhooks to Heed on %s', (provider) => {
  let h: Harness | undefined;
  let server: Server | undefined;
  let drainer: WebhookDrainer | undefined;
  afterEach(async () => {
    await drainer?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await h?.close();
    h = undefined;
    server = undefined;
  });

  it('signed batches arrive, are accepted, and the tickets match HubSpot', async () => {
    const outcomes: WebhookOutcome[] = [];
    let handle: ((req: never, res: never) => Promise<WebhookOutcome>) | undefined;
    server = createServer((req, res) => {
      void handle!(req as never, res as never).then((o) => outcomes.push(o));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hubspot/webhooks`;
    h = await startHarness(provider, { sim: { webhooks: { targetUrl: target, clientSecret: SECRET } } });
    await h.service.run();
    const harness = h;
    drainer = new WebhookDrainer({
      repos: harness.repos,
      sync: harness.service,
      logger: silentLogger(),
      clock: harness.clock,
      debounceMs: 20,
    });
    handle = createHubspotWebhookHandler({
      clientSecret: SECRET,
      queue: harness.repos.webhooks,
      clock: harness.clock,
      logger: silentLogger(),
      onQueued: () => drainer!.kick(),
    });
    h.clock.advance(1000);
    h.sim.resetCounts();
    const now = h.clock.now().getTime();
    const changed = h.sim.portal.touchTickets(60, now);
    const created = h.sim.portal.createTickets(3, now);
    h.sim.portal.archiveTicket(h.sim.portal.ticketId(11), now);
    // Wait for delivery and the drain.
    for (let i = 0; i < 200; i++) {
      const now = await compareTickets(h.sim.portal, h.db);
      if (now.lost.length === 0 && now.stale.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await compareTickets(h.sim.portal, h.db)).toMatchObject({ lost: [], duplicated: [], stale: [] });
    // Every batch passed the signature check; each change is one event per property, all accepted once.
    expect(h.sim.webhookStats.failed).toBe(0);
    expect(outcomes.every((o) => o.status === 204)).toBe(true);
    expect(outcomes.reduce((n, o) => n + o.accepted, 0)).toBe(h.sim.webhookStats.events);
    expect(h.sim.webhookStats.events).toBe(changed.length * 4 + created.length + 1);
    // No search: the webhooks named the tickets.
    expect([...h.sim.counts.keys()].filter((k) => k.endsWith('/search'))).toEqual([]);
  });
});
