// SLA targets by customer tier, end to end: HubSpot (the simulator) → the sync, which reads only the company and
// contact properties the rules name → the evaluation, which applies the tier's targets → a company moved to
// Enterprise in HubSpot, whose open tickets the next (incremental) evaluation re-reads and re-targets.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config.ts';
import { customerProperties } from '../../src/domain/sla-policy.ts';
import { createHubspotWebhookHandler } from '../../src/hubspot/webhook-handler.ts';
import { silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import { WebhookDrainer } from '../../src/services/sync-webhooks.ts';
import { type Harness, startHarness } from '../hubspot/harness.ts';
import { testProviders } from '../support/db.ts';

const allDay = [['00:00', '24:00']] as [string, string][];
const policy = parsePolicy(
  {
    calendars: {
      default: {
        timezone: 'UTC',
        hours: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
      },
    },
    teams: [{ name: 'support', channel: 'C0SUPPORT' }],
    sla: [
      { name: 'enterprise', when: { company: { tier: ['Enterprise'] } }, firstResponse: '1h', resolution: '1d' },
      { name: 'vip', when: { contact: { vip: ['true'] } }, firstResponse: '2h', resolution: '2d' },
      { name: 'standard', firstResponse: '8h', resolution: '5d' },
    ],
  },
  'tier policy',
);
const MINUTE = 60_000;

describe.each(testProviders())('SLA targets by customer tier on %s', (provider) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('syncs only the named properties, gives each tier its targets, and re-targets a company’s open tickets when its tier changes', async () => {
    h = await startHarness(provider, {
      portal: { tickets: 240, seed: 5 },
      sim: { recordRequests: true },
      customerProperties: customerProperties(policy.sla),
    });
    const { sim, db, service, clock } = h;
    const deps = { db, config: { policy }, logger: silentLogger() };
    const first = await service.run();
    expect(first.records.customers).toMatchObject({ linked: 0 });

    // Only what the rules name was asked of HubSpot for the rules (names are a separate lookup).
    const reads = (type: string) =>
      sim.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${type}/batch/read`));
    const ruleReads = (type: string, property: string) =>
      reads(type).filter((r) => (r.body as { properties: string[] }).properties.includes(property));
    expect(ruleReads('companies', 'tier').map((r) => (r.body as { properties: string[] }).properties)).toEqual(
      ruleReads('companies', 'tier').map(() => ['tier', 'hs_lastmodifieddate']),
    );
    expect(ruleReads('contacts', 'vip').map((r) => (r.body as { properties: string[] }).properties)).toEqual(
      ruleReads('contacts', 'vip').map(() => ['vip', 'lastmodifieddate']),
    );
    expect(ruleReads('companies', 'tier').length).toBeGreaterThan(0);

    // Every open ticket's company and contact is stored, with only the named properties.
    const open = await db.prisma.ticket.findMany({ where: { isClosed: false, archived: false } });
    const companies = new Map(
      (await db.prisma.company.findMany()).map((c) => [c.id, JSON.parse(c.properties) as Record<string, string>]),
    );
    const contacts = new Map(
      (await db.prisma.contact.findMany()).map((c) => [c.id, JSON.parse(c.properties) as Record<string, string>]),
    );
    expect(open.length).toBeGreaterThan(20);
    for (const t of open) {
      expect(t.companyId, `ticket ${t.id}`).not.toBeNull();
      if (t.companyId) expect(Object.keys(companies.get(t.companyId)!)).toEqual(['tier']);
      if (t.contactId) expect(Object.keys(contacts.get(t.contactId)!)).toEqual(['vip']);
    }

    // The evaluation gives each open ticket its tier's rule, as HubSpot's portal says.
    const now = clock.now();
    await evaluate(deps, now, { mode: 'full' });
    const expected = (ticketId: string) => {
      const t = open.find((o) => o.id === ticketId)!;
      if (t.companyId && companies.get(t.companyId)?.['tier'] === 'Enterprise') return 'enterprise';
      if (t.contactId && contacts.get(t.contactId)?.['vip'] === 'true') return 'vip';
      return 'standard';
    };
    const clocks = await db.prisma.clockState.findMany({ where: { clock: 'firstResponse' } });
    const byPolicy = (name: string) => clocks.filter((c) => c.policy === name).length;
    for (const c of clocks.filter((c) => open.some((t) => t.id === c.ticketId))) {
      expect(c.policy, `ticket ${c.ticketId}`).toBe(expected(c.ticketId));
    }
    expect([byPolicy('enterprise'), byPolicy('vip'), byPolicy('standard')].every((n) => n > 0)).toBe(true);

    // A Starter company with open tickets (and no VIP contact on them) becomes Enterprise in HubSpot.
    const candidates = open.filter(
      (t) => t.companyId && expected(t.id) === 'standard' && companies.get(t.companyId)?.['tier'] === 'Starter',
    );
    const companyId = candidates[0]!.companyId!;
    const affected = open.filter((t) => t.companyId === companyId).map((t) => t.id);
    // Half an hour of quiet evaluations first, so the tickets the first sync wrote are out of the incremental
    // scope's margin: only the company's change can bring its tickets back in.
    clock.advance(30 * MINUTE);
    expect((await evaluate(deps, clock.now(), { fullEveryMinutes: 100_000 })).stats.mode).toBe('incremental');
    sim.portal.setCompanyProperties(companyId, { tier: 'Enterprise' }, clock.now().getTime() + MINUTE);
    clock.advance(5 * MINUTE);
    sim.requests.length = 0;
    const second = await service.run();
    // Found by the search on the last-modified date: one company changed, nothing read again for nothing.
    expect(second.records.customers?.companies).toEqual({ read: 0, changed: 1 });
    expect(sim.requests.filter((r) => r.path.endsWith('/companies/search'))).toHaveLength(1);
    expect(JSON.parse((await db.prisma.company.findUniqueOrThrow({ where: { id: companyId } })).properties)).toEqual({
      tier: 'Enterprise',
    });

    // The next evaluation is incremental and re-reads exactly that company's open tickets, now Enterprise.
    const later = clock.now();
    const run = await evaluate(deps, later, { fullEveryMinutes: 100_000 });
    expect(run.stats.mode).toBe('incremental');
    expect(run.stats.tickets).toBeLessThan(open.length / 4);
    const after = await db.prisma.clockState.findMany({
      where: { ticketId: { in: affected }, clock: 'firstResponse' },
      orderBy: { ticketId: 'asc' },
    });
    expect(after.map((c) => [c.ticketId, c.policy, c.targetMinutes])).toEqual(
      [...affected].sort().map((id) => [id, 'enterprise', 60]),
    );
    // …and a full run at the same instant finds nothing the incremental one missed.
    const full = await evaluate(deps, later, { mode: 'full' });
    expect(full.stats.clockRowsWritten + full.stats.flagRowsWritten).toBe(0);
  });

  it('a company’s tier change pushed by webhook re-targets its open tickets at the next evaluation', async () => {
    const secret = 'tier-webhook-secret-000';
    let drainer: WebhookDrainer | undefined;
    let handle: ReturnType<typeof createHubspotWebhookHandler> | undefined;
    const server: Server = createServer((req, res) => void handle!(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hubspot/webhooks`;
      h = await startHarness(provider, {
        portal: { tickets: 240, seed: 5 },
        sim: { recordRequests: true, webhooks: { targetUrl: target, clientSecret: secret } },
        customerProperties: customerProperties(policy.sla),
      });
      const { sim, db, service, clock, repos } = h;
      const deps = { db, config: { policy }, logger: silentLogger() };
      await service.run();
      await evaluate(deps, clock.now(), { mode: 'full' });
      const open = await db.prisma.ticket.findMany({ where: { isClosed: false, archived: false } });
      const companies = new Map(
        (await db.prisma.company.findMany()).map((c) => [c.id, JSON.parse(c.properties) as Record<string, string>]),
      );
      const companyId = open.find((t) => t.companyId && companies.get(t.companyId)?.['tier'] === 'Starter')!.companyId!;
      const affected = open.filter((t) => t.companyId === companyId).map((t) => t.id);
      clock.advance(30 * MINUTE);
      await evaluate(deps, clock.now(), { fullEveryMinutes: 100_000 });
      drainer = new WebhookDrainer({ repos, sync: service, logger: silentLogger(), clock, debounceMs: 10 });
      let drained: Promise<unknown> = Promise.resolve();
      handle = createHubspotWebhookHandler({
        clientSecret: secret,
        queue: repos.webhooks,
        clock,
        logger: silentLogger(),
        onQueued: () => {
          drained = drainer!.drain();
        },
      });
      sim.requests.length = 0;
      sim.portal.setCompanyProperties(companyId, { tier: 'Enterprise' }, clock.now().getTime());
      await expect
        .poll(async () => (await db.prisma.pendingFetch.count()) === 0 && sim.webhookStats.batches > 0)
        .toBe(true);
      await drained;
      expect(sim.webhookStats).toMatchObject({ batches: 1, events: 1, failed: 0 });
      // One batch read of the one company, with the rule's property only; no search.
      const reads = sim.requests.filter((r) => r.path.endsWith('/companies/batch/read'));
      expect(reads).toHaveLength(1);
      expect(reads[0]!.body).toMatchObject({
        inputs: [{ id: companyId }],
        properties: ['tier', 'hs_lastmodifieddate'],
      });
      expect(sim.requests.filter((r) => r.path.endsWith('/search'))).toEqual([]);

      const run = await evaluate(deps, clock.now(), { fullEveryMinutes: 100_000 });
      expect(run.stats.mode).toBe('incremental');
      const after = await db.prisma.clockState.findMany({
        where: { ticketId: { in: affected }, clock: 'firstResponse' },
        orderBy: { ticketId: 'asc' },
      });
      expect(after.map((c) => [c.ticketId, c.policy, c.targetMinutes])).toEqual(
        [...affected].sort().map((id) => [id, 'enterprise', 60]),
      );
    } finally {
      await drainer?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('asks HubSpot nothing about companies or contacts when no rule names their properties', async () => {
    h = await startHarness(provider, { portal: { tickets: 60, seed: 5 }, sim: { recordRequests: true } });
    const stats = await h.service.run();
    expect(stats.records.customers).toBeUndefined();
    expect(h.sim.requests.filter((r) => /companies\/search|tickets\/companies/.test(r.path))).toEqual([]);
    expect(await h.db.prisma.company.count()).toBe(0);
  });
});
