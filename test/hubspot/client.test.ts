import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CallEvent, createHubspotClient, HubspotApi, HubspotError } from '../../src/hubspot/client.ts';
import { listObjectsPage, searchObjectsPage } from '../../src/hubspot/crm.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { fakeClock, PORTAL_NOW, TOKEN } from './harness.ts';

const PROPS = ['subject'];

describe('HubspotApi against the simulator', () => {
  let sim: Simulator;
  let clock: ReturnType<typeof fakeClock>;
  let events: CallEvent[];
  let limited: string[];
  const api = (overrides: Partial<ConstructorParameters<typeof HubspotApi>[0]> = {}) =>
    new HubspotApi({
      client: createHubspotClient({ accessToken: TOKEN, baseUrl: sim.url }),
      requestsPer10s: 100,
      searchPerSecond: 4,
      clock,
      backoffMs: 100,
      metrics: { onCall: (e) => events.push(e), onRateLimited: (p) => limited.push(p) },
      ...overrides,
    });

  beforeEach(async () => {
    clock = fakeClock(PORTAL_NOW);
    events = [];
    limited = [];
    sim = await startSimulator({
      portal: new SimPortal({ now: PORTAL_NOW, tickets: 400, seed: 5 }),
      accessToken: TOKEN,
      clock: () => clock.now().getTime(),
    });
  });
  afterEach(() => sim.close());

  it('waits out a ten-secondly 429 (the window, not a guess) and retries', async () => {
    sim.injectFault({ match: 'GET /crm/objects/2026-09/tickets', kind: 'rate-limit', policy: 'TEN_SECONDLY_ROLLING' });
    const page = await listObjectsPage(api(), 'tickets', { properties: PROPS });
    expect(page.results).toHaveLength(100);
    expect(clock.now().getTime() - PORTAL_NOW).toBeGreaterThanOrEqual(10_000);
    expect(events.map((e) => e.status)).toEqual([429, 200]);
    expect(limited).toEqual(['TEN_SECONDLY_ROLLING']);
  });

  it('waits a second after a secondly (search) 429 and retries', async () => {
    sim.injectFault({ match: '/search', kind: 'rate-limit', policy: 'SECONDLY', times: 2 });
    const page = await searchObjectsPage(api(), 'tickets', {
      filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '0' }],
      sort: { propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' },
      properties: PROPS,
    });
    expect(page.total).toBeGreaterThan(300);
    expect(clock.now().getTime() - PORTAL_NOW).toBeGreaterThanOrEqual(2000);
    expect(clock.now().getTime() - PORTAL_NOW).toBeLessThan(10_000);
    expect(limited).toEqual(['SECONDLY', 'SECONDLY']);
  });

  it('stops on a DAILY 429 and says when the limit resets (midnight in the portal’s zone)', async () => {
    sim.injectFault({ match: 'tickets', kind: 'rate-limit', policy: 'DAILY' });
    const client = api({ timeZone: 'US/Eastern' });
    const error = await listObjectsPage(client, 'tickets', { properties: PROPS }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubspotError);
    expect((error as HubspotError).code).toBe('HUBSPOT_DAILY_LIMIT');
    // PORTAL_NOW is 2026-11-20T12:00Z = 07:00 in New York; midnight there is 05:00Z the next day.
    expect((error as HubspotError).resetAt?.toISOString()).toBe('2026-11-21T05:00:00.000Z');
    expect((error as HubspotError).message).toContain('2026-11-21T05:00:00.000Z');
    expect(events).toHaveLength(1);
  });

  it.each([500, 502, 503, 504])('retries a %i with backoff, then succeeds', async (status) => {
    sim.injectFault({ match: 'GET /crm/objects/2026-09/tickets', kind: 'status', status, times: 2 });
    const page = await listObjectsPage(api(), 'tickets', { properties: PROPS });
    expect(page.results).toHaveLength(100);
    expect(events.map((e) => e.status)).toEqual([status, status, 200]);
    // 100 ms then 200 ms of backoff.
    expect(clock.now().getTime() - PORTAL_NOW).toBe(300);
  });

  it('gives up after maxAttempts server errors with HUBSPOT_UNAVAILABLE', async () => {
    sim.injectFault({ match: 'tickets', kind: 'status', status: 503, times: 10 });
    const error = await listObjectsPage(api({ maxAttempts: 3 }), 'tickets', { properties: PROPS }).catch((e) => e);
    expect((error as HubspotError).code).toBe('HUBSPOT_UNAVAILABLE');
    expect(events).toHaveLength(3);
  });

  it('retries after a timeout and after a dropped connection', async () => {
    sim.injectFault({ match: 'tickets', kind: 'delay', ms: 400 });
    sim.injectFault({ match: 'tickets', kind: 'reset' });
    const page = await listObjectsPage(api({ timeoutMs: 150 }), 'tickets', { properties: PROPS });
    expect(page.results).toHaveLength(100);
    expect(events.map((e) => e.status).sort()).toEqual([200, 'network', 'timeout'].sort());
  });

  it('does not retry a 401 and never puts the token in the message', async () => {
    const client = new HubspotApi({
      client: createHubspotClient({ accessToken: 'pat-na1-wrong-token', baseUrl: sim.url }),
      requestsPer10s: 100,
      searchPerSecond: 4,
      clock,
    });
    const error = (await listObjectsPage(client, 'tickets', { properties: PROPS }).catch((e) => e)) as HubspotError;
    expect(error.code).toBe('HUBSPOT_AUTH');
    expect(error.status).toBe(401);
    expect(error.fix).toContain('HUBSPOT_ACCESS_TOKEN');
    expect(`${error.message} ${error.fix}`).not.toContain('wrong-token');
    expect(sim.totalRequests()).toBe(1);
  });

  it('keeps under the portal’s rolling limit: no 429 from a simulator enforcing the same limit', async () => {
    sim.setRateLimit({ perTenSeconds: 10 });
    const client = api({ requestsPer10s: 10 });
    let after: string | undefined;
    for (let i = 0; i < 4; i++) {
      const page = await listObjectsPage(client, 'tickets', { properties: PROPS, after, limit: 10 });
      after = page.paging?.next?.after;
    }
    for (let i = 0; i < 21; i++) await listObjectsPage(client, 'tickets', { properties: PROPS, limit: 1 });
    expect(sim.statuses.get(429) ?? 0).toBe(0);
    expect(client.totalCalls()).toBe(25);
    // 25 calls at 10 per 10 s: the 21st to 25th wait for the third window.
    expect(clock.now().getTime() - PORTAL_NOW).toBeGreaterThanOrEqual(20_000);
    expect(client.callsByEndpoint()).toEqual({ 'GET /crm/objects/2026-09/tickets': 25 });
  });

  it('rejects an envelope that is not HubSpot’s shape with HUBSPOT_BAD_RESPONSE', async () => {
    sim.injectFault({ match: 'tickets', kind: 'status', status: 200, body: { results: 'nope' } });
    const error = (await listObjectsPage(api(), 'tickets', { properties: PROPS }).catch((e) => e)) as HubspotError;
    expect(error.code).toBe('HUBSPOT_BAD_RESPONSE');
  });
});

describe('HubspotApi with nock at the HTTP edge', () => {
  it('sends the search body HubSpot expects and honours a 429 before the answer', async () => {
    const clock = fakeClock(PORTAL_NOW);
    const bodies: unknown[] = [];
    nock('https://api.hubapi.com')
      .post('/crm/objects/2026-09/tickets/search', (body) => {
        bodies.push(body);
        return true;
      })
      .reply(429, {
        status: 'error',
        message: 'You have reached your secondly limit.',
        errorType: 'RATE_LIMIT',
        policyName: 'SECONDLY',
      })
      .post('/crm/objects/2026-09/tickets/search')
      .reply(200, { total: 0, results: [] });
    const api = new HubspotApi({
      client: createHubspotClient({ accessToken: TOKEN, baseUrl: 'https://api.hubapi.com' }),
      requestsPer10s: 100,
      searchPerSecond: 4,
      clock,
    });
    const page = await searchObjectsPage(api, 'tickets', {
      filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '1700000000000' }],
      sort: { propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' },
      properties: ['subject'],
      limit: 200,
    });
    expect(page.total).toBe(0);
    expect(bodies[0]).toEqual({
      filterGroups: [{ filters: [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: '1700000000000' }] }],
      sorts: ['hs_lastmodifieddate'],
      properties: ['subject'],
      limit: 200,
      // PublicObjectSearchRequest (2026-09) requires `after`; the first page is offset "0".
      after: '0',
    });
    expect(nock.isDone()).toBe(true);
  });
});
