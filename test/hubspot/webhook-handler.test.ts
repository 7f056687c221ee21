// The webhook route end to end: a real HTTP server running the handler, a real database, the simulator behind the
// drainer's batch reads. Requests are signed exactly as HubSpot signs them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubspotWebhookHandler, WEBHOOK_PATH, type WebhookOutcome } from '../../src/hubspot/webhook-handler.ts';
import { signV3 } from '../../src/hubspot/webhook-signature.ts';
import { silentLogger } from '../../src/logger.ts';
import { WebhookDrainer } from '../../src/services/sync-webhooks.ts';
import { type OpenTestDb, testProviders } from '../support/db.ts';
import { type Harness, startHarness } from './harness.ts';

const SECRET = 'hubspot-client-secret-1234';
const BATCH_READ = 'POST /crm/objects/2026-09/tickets/batch/read';

describe.each(testProviders())('POST /hubspot/webhooks on %s', (provider) => {
  let h: Harness;
  let server: Server | undefined;
  let drainer: WebhookDrainer;
  let url: string;
  let outcomes: WebhookOutcome[];
  afterEach(async () => {
    await drainer?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    await h?.close();
  });

  async function start(options: { secret?: string | undefined; latencyMs?: number } = {}) {
    h = await startHarness(provider, { portal: { tickets: 400 } });
    await h.service.run();
    h.sim.setLatency(options.latencyMs ?? 0);
    drainer = new WebhookDrainer({
      repos: h.repos,
      sync: h.service,
      logger: silentLogger(),
      clock: h.clock,
      debounceMs: 20,
    });
    const handler = createHubspotWebhookHandler({
      clientSecret: 'secret' in options ? options.secret : SECRET,
      queue: h.repos.webhooks,
      clock: h.clock,
      logger: silentLogger(),
      onQueued: () => drainer.kick(),
    });
    outcomes = [];
    server = createServer((req, res) => {
      void handler(req, res).then((o) => outcomes.push(o));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}${WEBHOOK_PATH}`;
  }

  function events(ticketIds: readonly string[], type = 'ticket.propertyChange', firstEventId = 1000) {
    return ticketIds.map((id, k) => ({
      eventId: firstEventId + k,
      subscriptionId: 77,
      portalId: h.sim.portal.portalId,
      appId: 123,
      occurredAt: h.clock.now().getTime() - 1000,
      subscriptionType: type,
      attemptNumber: 0,
      objectId: Number(id),
      propertyName: 'hs_pipeline_stage',
      propertyValue: '2',
      changeSource: 'CRM_UI',
    }));
  }

  async function deliver(body: string, headers: { signature?: string; timestamp?: string } = {}) {
    const timestamp = headers.timestamp ?? String(h.clock.now().getTime());
    const signature = headers.signature ?? signV3(SECRET, 'POST', url, body, timestamp);
    const started = Date.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signature,
        'x-hubspot-request-timestamp': timestamp,
      },
      body,
    });
    return { status: response.status, ms: Date.now() - started };
  }

  const until = async (predicate: () => Promise<boolean>) => {
    for (let i = 0; i < 200; i++) {
      if (await predicate()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('condition not met in 5 s');
  };

  it('accepts a signed delivery, answers at once, and re-fetches the tickets in batches of ≤ 100', async () => {
    await start();
    const ids = h.sim.portal.touchTickets(150, h.clock.now().getTime() - 500, { seed: 3 });
    h.sim.resetCounts();
    const result = await deliver(JSON.stringify(events(ids)));
    expect(result.status).toBe(204);
    await until(async () => (await h.repos.webhooks.count('ticket')) === 0);
    expect(h.sim.counts.get(BATCH_READ)).toBe(2);
    for (const id of ids.slice(0, 20)) {
      const row = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
      expect(row.modifiedAt.getTime()).toBe(h.sim.portal.t.modifiedAt[h.sim.portal.ticketIndex(id)!]);
    }
    expect(outcomes[0]).toMatchObject({ status: 204, accepted: 150, duplicates: 0 });
  });

  it('answers well within HubSpot’s 5 s even when HubSpot itself is slow (answer first, fetch after)', async () => {
    await start({ latencyMs: 1500 });
    const ids = h.sim.portal.touchTickets(3, h.clock.now().getTime() - 500, { seed: 4 });
    const result = await deliver(JSON.stringify(events(ids)));
    expect(result.status).toBe(204);
    expect(result.ms).toBeLessThan(1000);
    await until(async () => (await h.repos.webhooks.count('ticket')) === 0);
  });

  it('refuses a wrong signature and a stale timestamp with 401, queuing nothing', async () => {
    await start();
    const body = JSON.stringify(events([h.sim.portal.ticketId(1)]));
    const wrong = await deliver(body, {
      signature: signV3('not-the-secret', 'POST', url, body, String(h.clock.now().getTime())),
    });
    const staleTs = String(h.clock.now().getTime() - 6 * 60_000);
    const stale = await deliver(body, { timestamp: staleTs, signature: signV3(SECRET, 'POST', url, body, staleTs) });
    expect([wrong.status, stale.status]).toEqual([401, 401]);
    expect(await h.repos.webhooks.count('ticket')).toBe(0);
    expect(await h.db.prisma.processedEvent.count()).toBe(0);
  });

  it('ignores a replayed delivery (same eventIds) and a retried event inside a new batch', async () => {
    await start();
    const ids = h.sim.portal.touchTickets(2, h.clock.now().getTime() - 500, { seed: 8 });
    const body = JSON.stringify(events(ids));
    await deliver(body);
    await until(async () => (await h.repos.webhooks.count('ticket')) === 0);
    h.sim.resetCounts();
    const replay = await deliver(body);
    expect(replay.status).toBe(204);
    const mixed = await deliver(
      JSON.stringify([...events(ids), ...events([h.sim.portal.ticketId(5)], 'ticket.propertyChange', 5000)]),
    );
    expect(mixed.status).toBe(204);
    await until(async () => (await h.repos.webhooks.count('ticket')) === 0);
    expect(outcomes.slice(1)).toMatchObject([
      { status: 204, accepted: 0, duplicates: 2 },
      { status: 204, accepted: 1, duplicates: 2 },
    ]);
    // Only the new ticket was fetched again.
    expect(h.sim.counts.get(BATCH_READ)).toBe(1);
  });

  it('processes HubSpot’s retry of a delivery that failed between claiming its events and queuing their tickets', async () => {
    await start();
    const ids = h.sim.portal.touchTickets(3, h.clock.now().getTime() - 500, { seed: 21 });
    const body = JSON.stringify(events(ids, 'ticket.propertyChange', 7000));
    // The fault, injected in the database itself: queuing the tickets fails after the events were claimed, and so
    // would un-claiming them (the compensation two transactions needed, which failed quietly).
    await injectFaults(h.db, 'add');
    const failed = await deliver(body);
    expect(failed.status).toBe(500);
    expect(await h.db.prisma.processedEvent.count()).toBe(0);
    expect(await h.repos.webhooks.count('ticket')).toBe(0);
    await injectFaults(h.db, 'drop');
    h.sim.resetCounts();
    // HubSpot retries the same delivery: it is processed, not dropped as a duplicate.
    const retried = await deliver(body);
    expect(retried.status).toBe(204);
    await until(async () => (await h.repos.webhooks.count('ticket')) === 0);
    expect(outcomes).toMatchObject([
      { status: 500, accepted: 0 },
      { status: 204, accepted: 3, duplicates: 0 },
    ]);
    expect(h.sim.counts.get(BATCH_READ)).toBe(1);
    for (const id of ids) {
      const row = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
      expect(row.modifiedAt.getTime()).toBe(h.sim.portal.t.modifiedAt[h.sim.portal.ticketIndex(id)!]);
    }
    expect(await h.db.prisma.processedEvent.count()).toBe(3);
  });

  it('archives a deleted ticket without calling HubSpot', async () => {
    await start();
    const open = await h.db.prisma.ticket.findFirstOrThrow({ where: { archived: false, isClosed: false } });
    h.sim.portal.archiveTicket(open.id, h.clock.now().getTime());
    h.sim.resetCounts();
    await deliver(JSON.stringify(events([open.id], 'ticket.deletion')));
    await until(async () => (await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: open.id } })).archived);
    expect(h.sim.totalRequests()).toBe(0);
  });

  it('queues company and contact changes, and drops them without a HubSpot call when no SLA rule names their properties', async () => {
    await start();
    h.sim.resetCounts();
    const companies = events([h.sim.portal.companyId(1), h.sim.portal.companyId(2)], 'company.propertyChange', 2000);
    const contact = events([h.sim.portal.contactId(1)], 'object.propertyChange', 3000).map((e) => ({
      ...e,
      objectTypeId: '0-1',
    }));
    expect((await deliver(JSON.stringify([...companies, ...contact]))).status).toBe(204);
    expect(outcomes.at(-1)).toMatchObject({ status: 204, accepted: 3, ignored: 0 });
    await until(
      async () => (await h.repos.webhooks.count('company')) + (await h.repos.webhooks.count('contact')) === 0,
    );
    expect(h.sim.totalRequests()).toBe(0);
  });

  it('archives a ticket the batch read no longer returns (deleted before we fetched it)', async () => {
    await start();
    const open = await h.db.prisma.ticket.findFirstOrThrow({ where: { archived: false } });
    h.sim.portal.archiveTicket(open.id, h.clock.now().getTime());
    await deliver(JSON.stringify(events([open.id])));
    await until(async () => (await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: open.id } })).archived);
  });

  it('refuses a body streamed past 1 MB (no Content-Length) with 413 and says so for the refusal counter', async () => {
    await start();
    // A chunked body: its size is only known while it streams in, so the route guard cannot refuse it up front.
    const chunk = new TextEncoder().encode(`[${' '.repeat(64 * 1024)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const status = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit).then(
      (r) => r.status,
      () => 0, // Heed may close while the client is still writing: a reset, not an answer
    );
    await until(async () => outcomes.length === 1);
    expect([413, 0]).toContain(status);
    expect(outcomes[0]).toMatchObject({ status: 413, refused: 'too_large', accepted: 0 });
    expect(await h.repos.webhooks.count('0-5')).toBe(0);
  });

  it('answers 404 when no client secret is configured (webhooks off)', async () => {
    await start({ secret: undefined });
    const result = await deliver('[]');
    expect(result.status).toBe(404);
  });
});

/** Triggers that make queuing a re-fetch and forgetting an event fail, on either database. */
async function injectFaults(db: OpenTestDb, action: 'add' | 'drop'): Promise<void> {
  if (db.provider === 'sqlite') {
    const statements =
      action === 'add'
        ? [
            `CREATE TRIGGER "fault_queue" BEFORE INSERT ON "PendingFetch" BEGIN SELECT RAISE(ABORT, 'injected: queue down'); END`,
            `CREATE TRIGGER "fault_release" BEFORE DELETE ON "ProcessedEvent" BEGIN SELECT RAISE(ABORT, 'injected: release failed'); END`,
          ]
        : ['DROP TRIGGER "fault_queue"', 'DROP TRIGGER "fault_release"'];
    for (const sql of statements) db.sqlite.exec(sql);
    return;
  }
  const statements =
    action === 'add'
      ? [
          `CREATE FUNCTION heed_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected: %', TG_TABLE_NAME; END $$`,
          `CREATE TRIGGER "fault_queue" BEFORE INSERT ON "PendingFetch" FOR EACH ROW EXECUTE FUNCTION heed_fault()`,
          `CREATE TRIGGER "fault_release" BEFORE DELETE ON "ProcessedEvent" FOR EACH ROW EXECUTE FUNCTION heed_fault()`,
        ]
      : [
          'DROP TRIGGER "fault_queue" ON "PendingFetch"',
          'DROP TRIGGER "fault_release" ON "ProcessedEvent"',
          'DROP FUNCTION heed_fault()',
        ];
  for (const sql of statements) await db.pg.query(sql);
}
