import { afterEach, describe, expect, it } from 'vitest';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { SEARCH_RESULT_CAP, type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { fakeClock, PORTAL_NOW, TOKEN, testClock } from './harness.ts';

describe('the HubSpot simulator', () => {
  let sim: Simulator;
  let running: Simulator | undefined;
  afterEach(async () => {
    if (sim && sim !== running) {
      running = sim;
      await sim.close();
    }
  });

  const call = async (path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
    const response = await fetch(`${sim.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.token ?? TOKEN}`, 'content-type': 'application/json' },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const search = (body: Record<string, unknown>) =>
    call('/crm/objects/2026-09/tickets/search', {
      method: 'POST',
      body: { sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }], limit: 200, ...body },
    });

  it('generates the same portal from the same seed, and a different one from another', () => {
    const a = new SimPortal({ now: PORTAL_NOW, tickets: 300, seed: 9 });
    const b = new SimPortal({ now: PORTAL_NOW, tickets: 300, seed: 9 });
    const c = new SimPortal({ now: PORTAL_NOW, tickets: 300, seed: 10 });
    expect(a.ticketProperties(123)).toEqual(b.ticketProperties(123));
    expect(a.ticketProperties(123)).not.toEqual(c.ticketProperties(123));
  });

  it('generates plausible portals: mostly closed, some waiting on the customer, replies after creation', () => {
    const portal = new SimPortal({ now: PORTAL_NOW, tickets: 5000, seed: 4 });
    let closed = 0;
    let waiting = 0;
    let archived = 0;
    for (let i = 0; i < portal.ticketCount; i++) {
      const p = portal.ticketProperties(i);
      if (p['closed_date']) closed++;
      if (p['hs_pipeline_stage'] === '2' || p['hs_pipeline_stage'] === '81234569') waiting++;
      if (portal.t.archived[i]) archived++;
      const created = Date.parse(p['createdate']!);
      if (p['hs_first_agent_message_sent_at'])
        expect(Date.parse(p['hs_first_agent_message_sent_at'])).toBeGreaterThan(created);
      expect(Date.parse(p['hs_lastmodifieddate']!)).toBeLessThanOrEqual(PORTAL_NOW);
    }
    expect(closed / 5000).toBeGreaterThan(0.6);
    expect(waiting).toBeGreaterThan(50);
    expect(archived).toBeGreaterThan(10);
    expect(portal.owners.some((o) => o.type === 'QUEUE')).toBe(true);
  });

  it('lists every live ticket exactly once across pages, and archived ones only with archived=true', async () => {
    sim = await startSimulator({
      portal: new SimPortal({ now: PORTAL_NOW, tickets: 730, seed: 1 }),
      accessToken: TOKEN,
    });
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await call(`/crm/objects/2026-09/tickets?limit=100${after ? `&after=${after}` : ''}`);
      const results = page.body['results'] as { id: string; archived: boolean }[];
      expect(results.length).toBeLessThanOrEqual(100);
      seen.push(...results.map((r) => r.id));
      after = (page.body['paging'] as { next?: { after: string } } | undefined)?.next?.after;
    } while (after);
    const archived = (await call('/crm/objects/2026-09/tickets?limit=100&archived=true')).body['results'] as {
      archived: boolean;
    }[];
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length + archived.length).toBe(730);
    expect(archived.every((r) => r.archived)).toBe(true);
    expect((await call('/crm/objects/2026-09/tickets?limit=101')).status).toBe(400);
  });

  it('searches with filters, reports the total, and refuses to page past 10,000 like HubSpot', async () => {
    const portal = new SimPortal({ now: PORTAL_NOW, tickets: 10_400, seed: 1 });
    // Search finds what is indexed by the simulator's now: the portal's time, not the wall clock's.
    const clock = testClock();
    sim = await startSimulator({ portal, accessToken: TOKEN, clock: () => clock.now().getTime() });
    const all = await search({
      filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' }] }],
    });
    const live = portal.ticketCount - portal.t.archived.reduce((a, b) => a + b, 0);
    expect(all.body['total']).toBe(live);
    const last = await search({ filterGroups: [], after: String(SEARCH_RESULT_CAP - 200) });
    expect(last.status).toBe(200);
    expect((last.body['paging'] as { next: { after: string } }).next.after).toBe(String(SEARCH_RESULT_CAP));
    const beyond = await search({ filterGroups: [], after: String(SEARCH_RESULT_CAP) });
    expect(beyond.status).toBe(400);
    expect(beyond.body['category']).toBe('VALIDATION_ERROR');
    // Results come sorted ascending by hs_lastmodifieddate and inside the filter.
    const from = PORTAL_NOW - 86_400_000;
    const recent = await search({
      filterGroups: [
        {
          filters: [
            { propertyName: 'hs_lastmodifieddate', operator: 'GT', value: String(from) },
            { propertyName: 'hs_lastmodifieddate', operator: 'LTE', value: String(PORTAL_NOW) },
          ],
        },
      ],
      properties: ['hs_lastmodifieddate'],
    });
    const times = (recent.body['results'] as { properties: { hs_lastmodifieddate: string } }[]).map((r) =>
      Date.parse(r.properties.hs_lastmodifieddate),
    );
    expect(times.length).toBeGreaterThan(0);
    expect(times.every((t) => t > from && t <= PORTAL_NOW)).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('enforces rate limits with HubSpot’s 429 bodies and headers, per policy', async () => {
    const clock = fakeClock(PORTAL_NOW);
    sim = await startSimulator({
      portal: new SimPortal({ now: PORTAL_NOW, tickets: 50, seed: 1 }),
      accessToken: TOKEN,
      clock: () => clock.now().getTime(),
      rateLimit: { perTenSeconds: 3, searchPerSecond: 1, daily: 6 },
    });
    const first = await call('/crm/pipelines/2026-09/tickets');
    expect(first.headers.get('x-hubspot-ratelimit-max')).toBe('3');
    expect(first.headers.get('x-hubspot-ratelimit-remaining')).toBe('2');
    expect(first.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect(first.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('5');
    await search({ filterGroups: [] });
    const secondly = await search({ filterGroups: [] });
    expect(secondly.status).toBe(429);
    expect(secondly.body).toMatchObject({
      errorType: 'RATE_LIMIT',
      policyName: 'SECONDLY',
      message: 'You have reached your secondly limit.',
    });
    await call('/crm/pipelines/2026-09/tickets');
    const tenSecondly = await call('/crm/pipelines/2026-09/tickets');
    expect(tenSecondly.status).toBe(429);
    expect(tenSecondly.body).toMatchObject({
      policyName: 'TEN_SECONDLY_ROLLING',
      message: 'You have reached your ten_secondly_rolling limit.',
    });
    clock.advance(10_001);
    expect((await call('/crm/pipelines/2026-09/tickets')).status).toBe(200);
    expect((await call('/crm/pipelines/2026-09/tickets')).status).toBe(200);
    expect((await call('/crm/pipelines/2026-09/tickets')).status).toBe(200);
    clock.advance(10_001);
    const daily = await call('/crm/pipelines/2026-09/tickets');
    expect(daily.status).toBe(429);
    expect(daily.body).toMatchObject({ policyName: 'DAILY' });
    expect(sim.statuses.get(429)).toBe(3);
  });

  it('answers 403 on feedback when the portal lacks Service Hub Professional, and 401 without the token', async () => {
    sim = await startSimulator({
      portal: new SimPortal({ now: PORTAL_NOW, tickets: 50, seed: 1 }),
      accessToken: TOKEN,
      feedbackForbidden: true,
    });
    const feedback = await call('/crm/objects/2026-09/feedback_submissions?limit=10');
    expect(feedback.status).toBe(403);
    expect(feedback.body['category']).toBe('MISSING_SCOPES');
    expect((await call('/crm/objects/2026-09/tickets?limit=1')).status).toBe(200);
    expect((await call('/crm/objects/2026-09/tickets?limit=1', { token: 'nope' })).status).toBe(401);
    sim.setFeedbackForbidden(false);
    expect((await call('/crm/objects/2026-09/feedback_submissions?limit=10')).status).toBe(200);
    expect(sim.counts.get('GET /crm/objects/2026-09/feedback_submissions')).toBe(2);
  });

  it('starts fast with 100,000 tickets in little memory', () => {
    const before = process.memoryUsage().heapUsed;
    // CPU time, not wall time: what the portal costs, not how busy the machine's other processes keep its CPUs.
    const started = process.cpuUsage();
    const portal = new SimPortal({ now: PORTAL_NOW, tickets: 100_000, seed: 1 });
    const cpu = process.cpuUsage(started);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(3000);
    expect(portal.ticketCount).toBe(100_000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(100e6);
  });
});
