import { afterEach, describe, expect, it } from 'vitest';
import type { HubspotError } from '../../src/hubspot/client.ts';
import { capturingLogger, type Harness, startHarness } from '../hubspot/harness.ts';
import { testProviders } from '../support/db.ts';

const MINUTE = 60_000;

describe.each(testProviders())('SyncService on %s', (provider) => {
  let h: Harness;
  afterEach(() => h?.close());

  const liveTicketIds = (harness: Harness) => {
    const ids: string[] = [];
    for (let i = 0; i < harness.sim.portal.ticketCount; i++) {
      if (!harness.sim.portal.t.archived[i]) ids.push(harness.sim.portal.ticketId(i));
    }
    return ids.sort();
  };

  it('backfills everything through the list endpoint, 100 per page, with every SLA property', async () => {
    h = await startHarness(provider, { portal: { tickets: 450 } });
    const stats = await h.service.run();
    expect(stats.kind).toBe('backfill');
    const live = liveTicketIds(h);
    const rows = await h.db.prisma.ticket.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.id)).toEqual(live);
    expect(stats.apiCallsByEndpoint['GET /crm/objects/2026-09/tickets']).toBe(Math.ceil(450 / 100));
    // Compare one ticket field by field with what HubSpot says.
    const index = h.sim.portal.ticketIndex(live[17]!)!;
    const props = h.sim.portal.ticketProperties(index);
    const row = rows.find((r) => r.id === live[17])!;
    expect(row.createdAt.toISOString()).toBe(props['createdate']);
    expect(row.modifiedAt.toISOString()).toBe(props['hs_lastmodifieddate']);
    expect(row.stageId).toBe(props['hs_pipeline_stage']);
    expect(row.priority).toBe(props['hs_ticket_priority']);
    expect(row.ownerId).toBe(props['hubspot_owner_id']);
    expect(row.lastCustomerMessageAt?.toISOString() ?? null).toBe(props['hs_last_message_received_at']);
    expect(row.lastAgentMessageAt?.toISOString() ?? null).toBe(props['hs_last_message_sent_at']);
    expect(row.firstAgentReplyAt?.toISOString() ?? null).toBe(
      props['hs_first_agent_message_sent_at'] ?? props['first_agent_reply_date'],
    );
    expect(row.isClosed).toBe(props['hs_pipeline_stage'] === '4' || props['hs_pipeline_stage'] === '81234571');
    expect(row.contactId).toBe(h.sim.portal.contactId(h.sim.portal.t.contact[index]!));
    // Owners with teams, pipelines with open/closed stages, the portal for deep links.
    expect(await h.db.prisma.owner.count()).toBe(h.sim.portal.owners.length);
    const owner = await h.db.prisma.owner.findFirstOrThrow({ where: { type: 'PERSON' } });
    expect(JSON.parse(owner.teamIds).length).toBeGreaterThan(0);
    expect(owner.primaryTeamId).not.toBeNull();
    const stages = await h.db.prisma.stage.findMany({ where: { pipelineId: '0' }, orderBy: { displayOrder: 'asc' } });
    expect(stages.map((s) => [s.label, s.isClosed])).toEqual([
      ['New', false],
      ['Waiting on contact', false],
      ['Waiting on us', false],
      ['Closed', true],
    ]);
    expect(await h.db.prisma.portal.findFirst()).toMatchObject({
      id: String(h.sim.portal.portalId),
      uiDomain: 'app.hubspot.com',
      timeZone: 'US/Eastern',
    });
    const run = await h.db.prisma.syncRun.findFirstOrThrow();
    expect(run.status).toBe('ok');
    expect(JSON.parse(run.stats)).toMatchObject({
      records: { tickets: stats.records.tickets },
      apiCalls: stats.apiCalls,
    });
  });

  it('names the primary contact and company of every ticket, each contact and company read once', async () => {
    h = await startHarness(provider, { portal: { tickets: 400 } });
    const stats = await h.service.run();
    const all = await h.db.prisma.ticket.findMany({ where: { archived: false } });
    expect(all.filter((t) => !t.isClosed).length).toBeGreaterThan(20);
    const contacts = new Set(all.map((t) => t.contactId));
    expect(stats.apiCallsByEndpoint['POST /crm/objects/2026-09/contacts/batch/read']).toBe(
      Math.ceil(contacts.size / 100),
    );
    for (const t of all) {
      const i = h.sim.portal.ticketIndex(t.id)!;
      const contact = h.sim.portal.contactProperties(h.sim.portal.t.contact[i]!);
      expect(t.contactName).toBe(`${contact['firstname']} ${contact['lastname']}`);
      expect(t.contactEmail).toBe(contact['email']);
      const company = h.sim.portal.t.company[i]!;
      expect(t.companyName).toBe(company >= 0 ? h.sim.portal.companyProperties(company)['name'] : null);
    }
  });

  it('syncs incrementally through search with the minimal number of pages, and records stage changes', async () => {
    h = await startHarness(provider, { portal: { tickets: 1500 } });
    await h.service.run();
    h.clock.advance(10 * MINUTE);
    const changed = h.sim.portal.touchTickets(450, h.clock.now().getTime() - MINUTE);
    h.sim.resetCounts();
    const stats = await h.service.run();
    expect(stats.kind).toBe('incremental');
    expect(stats.records.tickets).toBe(450);
    // ⌈450 / 200⌉ search pages for tickets, none of the list endpoint.
    expect(h.sim.counts.get('POST /crm/objects/2026-09/tickets/search')).toBe(3);
    expect(h.sim.counts.get('GET /crm/objects/2026-09/tickets') ?? 0).toBe(0);
    for (const id of changed.slice(0, 50)) {
      const i = h.sim.portal.ticketIndex(id)!;
      const row = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
      expect(row.stageId).toBe(h.sim.portal.ticketStageId(i));
      expect(row.modifiedAt.getTime()).toBe(h.sim.portal.t.modifiedAt[i]);
      const periods = await h.db.prisma.ticketStagePeriod.findMany({
        where: { ticketId: id },
        orderBy: { enteredAt: 'asc' },
      });
      const current = periods.at(-1)!;
      expect(current.stageId).toBe(row.stageId);
      expect(current.exitedAt).toBeNull();
      expect(current.enteredAt.getTime()).toBe(h.sim.portal.t.stageEnteredAt[i]);
      // Every earlier period is closed exactly when the next one opened.
      for (let k = 0; k < periods.length - 1; k++) expect(periods[k]!.exitedAt).toEqual(periods[k + 1]!.enteredAt);
    }
    expect(stats.records.tickets).toBe(450);
    // Nothing changed: a further pass reads one empty search page.
    h.clock.advance(MINUTE);
    h.sim.resetCounts();
    const idle = await h.service.run();
    expect(idle.records.tickets).toBe(0);
    expect(h.sim.counts.get('POST /crm/objects/2026-09/tickets/search')).toBe(1);
  });

  it('stores a subject a customer wrote with NUL characters, without them (PostgreSQL text cannot hold U+0000)', async () => {
    h = await startHarness(provider, { portal: { tickets: 50 } });
    await h.service.run();
    h.clock.advance(10 * MINUTE);
    const [id, other] = liveTicketIds(h);
    h.sim.portal.updateTicket(id!, { subject: 'Re\u0000fund \u0000\u0000please' }, h.clock.now().getTime() - MINUTE);
    h.sim.portal.touchTicketIds([other!], h.clock.now().getTime() - MINUTE);
    const stats = await h.service.run();
    expect(stats.records.tickets).toBe(2);
    expect((await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: id! } })).subject).toBe('Refund please');
    // The rest of the page was written alongside it.
    const row = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: other! } });
    expect(row.modifiedAt.getTime()).toBe(h.sim.portal.t.modifiedAt[h.sim.portal.ticketIndex(other!)!]);
  });

  it('fetches associations and names for tickets created since the last pass', async () => {
    h = await startHarness(provider, { portal: { tickets: 200 } });
    await h.service.run();
    h.clock.advance(5 * MINUTE);
    const created = h.sim.portal.createTickets(3, h.clock.now().getTime() - MINUTE);
    await h.service.run();
    for (const id of created) {
      const row = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
      const i = h.sim.portal.ticketIndex(id)!;
      expect(row.contactId).toBe(h.sim.portal.contactId(h.sim.portal.t.contact[i]!));
      expect(row.contactName).toBeTruthy();
      expect(row.isClosed).toBe(false);
    }
  });

  it('archives tickets deleted in HubSpot (archived=true sweep on --full)', async () => {
    h = await startHarness(provider, { portal: { tickets: 300 } });
    await h.service.run();
    const [gone] = h.sim.portal.touchTickets(1, h.clock.now().getTime() - MINUTE, { seed: 99 });
    h.sim.portal.archiveTicket(gone!, h.clock.now().getTime());
    h.clock.advance(MINUTE);
    // An incremental pass within the sweep interval does not list archived tickets...
    await h.service.run();
    expect((await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: gone! } })).archived).toBe(false);
    // ...a full pass does, and resyncs everything else without duplicating anything.
    const stats = await h.service.run({ full: true });
    expect(stats.records.archived).toBe(1);
    expect((await h.db.prisma.ticket.findUniqueOrThrow({ where: { id: gone! } })).archived).toBe(true);
    expect(await h.db.prisma.ticket.count({ where: { archived: false } })).toBe(liveTicketIds(h).length);
  });

  it('skips a malformed record with its id and keeps the rest of the page', async () => {
    h = await startHarness(provider, { portal: { tickets: 250 } });
    const bad = h.sim.portal.ticketId(42);
    h.sim.portal.corruptTicket(bad);
    const stats = await h.service.run();
    expect(stats.records.ticketsRejected).toBe(1);
    expect(await h.db.prisma.ticket.findUnique({ where: { id: bad } })).toBeNull();
    const neighbours = [41, 43]
      .map((i) => h.sim.portal.ticketId(i))
      .filter((id) => !h.sim.portal.t.archived[h.sim.portal.ticketIndex(id)!]);
    expect(await h.db.prisma.ticket.count({ where: { id: { in: neighbours } } })).toBe(neighbours.length);
  });

  it('syncs feedback with contact, ticket and names; carries on without it on a 403 portal', async () => {
    const log = capturingLogger();
    h = await startHarness(provider, { portal: { tickets: 400, feedbackPerTicket: 0.2 }, logger: log.logger });
    const stats = await h.service.run();
    expect(stats.records.feedback).toBe(80);
    const fb = await h.db.prisma.feedbackSubmission.findMany();
    expect(fb).toHaveLength(80);
    const sample = fb.find((f) => f.ticketId !== null)!;
    const f = h.sim.portal.feedbackIndex(sample.id)!;
    expect(sample.ticketId).toBe(h.sim.portal.ticketId(h.sim.portal.feedback.ticket[f]!));
    expect(sample.contactId).toBe(h.sim.portal.contactId(h.sim.portal.feedback.contact[f]!));
    expect(sample.surveyType).toMatch(/^(NPS|CSAT|CES)$/);
    expect(sample.value).toBe(h.sim.portal.feedback.value[f]);

    h.sim.setFeedbackForbidden(true);
    h.clock.advance(MINUTE);
    const again = await h.service.run();
    const third = await h.service.run();
    expect(again.records.feedback).toBe('forbidden');
    expect(third.records.feedback).toBe('forbidden');
    expect(again.records.owners).toBeGreaterThan(0);
    // Said once, not every pass.
    const forbidden = log.lines().filter((l) => String(l['msg']).includes('(403)'));
    expect(forbidden).toHaveLength(1);
    expect(forbidden[0]!['level']).toBe(40);
  });

  it('rides through ten-secondly and secondly 429s and 5xx answers mid-sync without losing a record', async () => {
    h = await startHarness(provider, { portal: { tickets: 700 }, api: { backoffMs: 1 } });
    h.sim.injectFault({ match: 'GET /crm/objects/2026-09/tickets', kind: 'delay', ms: 0, times: 2 });
    h.sim.injectFault({
      match: 'GET /crm/objects/2026-09/tickets',
      kind: 'rate-limit',
      policy: 'TEN_SECONDLY_ROLLING',
    });
    h.sim.injectFault({ match: 'GET /crm/objects/2026-09/tickets', kind: 'status', status: 502, times: 2 });
    h.sim.injectFault({ match: 'POST /crm/objects/2026-09/contacts', kind: 'status', status: 503 });
    await h.service.run();
    h.clock.advance(10 * 60_000);
    const changed = h.sim.portal.touchTickets(300, h.clock.now().getTime() - 60_000);
    h.sim.injectFault({ match: '/search', kind: 'rate-limit', policy: 'SECONDLY', times: 2 });
    h.sim.injectFault({ match: '/search', kind: 'status', status: 500 });
    const stats = await h.service.run();
    expect(stats.records.tickets).toBe(300);
    expect(h.sim.statuses.get(429)).toBe(3);
    expect(await h.db.prisma.ticket.count()).toBe(liveTicketIds(h).length);
    for (const id of changed.slice(0, 30)) {
      const row = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
      expect(row.modifiedAt.getTime()).toBe(h.sim.portal.t.modifiedAt[h.sim.portal.ticketIndex(id)!]);
    }
  });

  it('resumes an interrupted incremental pass from its last committed search page', async () => {
    h = await startHarness(provider, { portal: { tickets: 1500 }, api: { maxAttempts: 1 } });
    await h.service.run();
    h.clock.advance(10 * 60_000);
    const changed = h.sim.portal.touchTickets(900, h.clock.now().getTime() - 60_000);
    // Pages 1–3 succeed, then HubSpot is down long enough for the pass to give up.
    h.sim.injectFault({ match: '/tickets/search', kind: 'delay', ms: 0, times: 3 });
    h.sim.injectFault({ match: '/tickets/search', kind: 'status', status: 503, times: 1 });
    const error = (await h.service.run().catch((e) => e)) as HubspotError;
    expect(error.code).toBe('HUBSPOT_UNAVAILABLE');
    expect((await h.db.prisma.syncRun.findFirstOrThrow({ where: { status: 'failed' } })).error).toContain('503');
    h.sim.resetCounts();
    await h.service.run();
    // 900 changes = 5 pages; 3 were committed, so the resumed window needs 2 more (plus at most one re-read).
    expect(h.sim.counts.get('POST /crm/objects/2026-09/tickets/search')).toBeLessThanOrEqual(3);
    for (const id of changed) {
      const row = await h.db.prisma.ticket.findUniqueOrThrow({ where: { id } });
      expect(row.modifiedAt.getTime()).toBe(h.sim.portal.t.modifiedAt[h.sim.portal.ticketIndex(id)!]);
    }
  });

  it('stops on HubSpot’s DAILY limit, records the run, and resumes where it stopped', async () => {
    h = await startHarness(provider, { portal: { tickets: 600 } });
    let pages = 0;
    h.sim.injectFault({ match: 'GET /crm/objects/2026-09/tickets', kind: 'delay', ms: 0, times: 3 });
    h.sim.injectFault({ match: 'GET /crm/objects/2026-09/tickets', kind: 'rate-limit', policy: 'DAILY' });
    const error = (await h.service.run().catch((e) => e)) as HubspotError;
    expect(error.code).toBe('HUBSPOT_DAILY_LIMIT');
    expect(error.resetAt).toBeInstanceOf(Date);
    const run = await h.db.prisma.syncRun.findFirstOrThrow();
    expect(run.status).toBe('daily-limit');
    // Three pages were committed before the limit; the next pass continues from the fourth.
    expect(await h.db.prisma.ticket.count()).toBeGreaterThanOrEqual(290);
    h.sim.resetCounts();
    await h.service.run();
    pages = h.sim.counts.get('GET /crm/objects/2026-09/tickets') ?? 0;
    expect(pages).toBe(3);
    expect(await h.db.prisma.ticket.count()).toBe(liveTicketIds(h).length);
  });
});
