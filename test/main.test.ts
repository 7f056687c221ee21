// The composition root end to end: `startHeed` with every part real — the HubSpot simulator and a fake Slack Web
// API stand in for the vendors over HTTP — then sync, evaluate, nudges through the outbox, slash commands,
// webhooks, /readyz and /metrics, on SQLite and PostgreSQL.
import { createHmac } from 'node:crypto';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startSimulator } from '../src/hubspot/simulator/server.ts';
import { silentLogger } from '../src/logger.ts';
import { type RunningHeed, startHeed } from '../src/main.ts';
import { FakeSlackServer } from '../src/slack/fake-slack-server.ts';
import { sendSigned, slashCommandBody, TEST_SIGNING_SECRET } from './slack/support/slack-requests.ts';
import { createTestDatabase, type TestDatabase, testProviders } from './support/db.ts';

// This file talks only to local servers, through the real global fetch both vendor clients use: nock's
// interceptor is lifted so requests go out exactly as in production. (Isolation, not a workaround: on nock 15.0.6
// the same requests pass through the interceptor too.)
beforeAll(() => nock.restore());
afterAll(() => nock.activate());

const ALWAYS = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
);
const POLICY = {
  calendars: { always: { timezone: 'UTC', hours: ALWAYS } },
  teams: [
    { name: 'tier1', channel: 'CTIER1', escalationChannel: 'CLEADS', hubspotTeamIds: ['4001'], calendar: 'always' },
    { name: 'tier2', channel: 'CTIER2', hubspotTeamIds: ['4002'], calendar: 'always' },
    { name: 'billing', channel: 'CBILLING', hubspotTeamIds: ['4003'], calendar: 'always' },
  ],
  sla: [{ name: 'standard', firstResponse: '1h', nextResponse: '2h', resolution: '1d' }],
};
const HUBSPOT_TOKEN = 'pat-na1-00000000-1111-2222-3333-444444444444';
const CLIENT_SECRET = 'hubspot-client-secret-for-tests';

describe.each(testProviders())('Heed composed on %s', (provider) => {
  let database: TestDatabase;
  let heed: RunningHeed | undefined;
  let closeAll: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await heed?.stop();
    await closeAll?.();
    await database?.drop();
  });

  it('syncs, evaluates, nudges each team, answers commands, and reports ready with metrics', async () => {
    database = await createTestDatabase(provider);
    const simulator = await startSimulator({
      accessToken: HUBSPOT_TOKEN,
      portalOptions: { seed: 7, tickets: 300, days: 14, now: Date.now() },
    });
    const slack = await new FakeSlackServer().start();
    for (const [id, name] of [
      ['CTIER1', 'tier1'],
      ['CTIER2', 'tier2'],
      ['CBILLING', 'billing'],
      ['CLEADS', 'leads'],
    ]) {
      slack.addChannel({ id: id!, name: name! });
    }
    closeAll = async () => {
      await simulator.close();
      await slack.stop();
    };
    const config = loadConfig({
      env: {
        DATABASE_URL: database.url,
        HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
        HUBSPOT_CLIENT_SECRET: CLIENT_SECRET,
        HUBSPOT_API_URL: simulator.url,
        SLACK_BOT_TOKEN: 'xoxb-test-composed',
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        HEED_CONFIG: '/policy.json',
      },
      fileExists: () => true,
      readFile: () => JSON.stringify(POLICY),
    });
    heed = await startHeed({ config, logger: silentLogger(), port: 0, schedules: false });
    const base = `http://127.0.0.1:${heed.port}`;

    // Not ready before the first sync: HubSpot data would be stale.
    const before = await fetch(`${base}/readyz`);
    expect(before.status).toBe(503);
    expect(((await before.json()) as { reasons: string[] }).reasons.join(' ')).toMatch(/sync/i);

    const syncResult = await heed.scheduler.runNow('sync');
    expect(syncResult).toMatchObject({ started: true, outcome: 'succeeded' });
    const { portal } = simulator;
    const live = portal.t.archived.subarray(0, portal.ticketCount).filter((archived) => archived === 0).length;
    expect(await heed.db.prisma.ticket.count({ where: { archived: false } })).toBe(live);
    expect(await heed.scheduler.runNow('evaluate')).toMatchObject({ started: true, outcome: 'succeeded' });
    const openFlags = await heed.db.prisma.flag.count({ where: { state: { in: ['at_risk', 'breached'] } } });
    expect(openFlags).toBeGreaterThan(0);

    // The outbox delivers nudges into each team's channel (1 message/s per channel, so wait a little).
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && ['CTIER1', 'CTIER2', 'CBILLING'].some((c) => slack.messagesIn(c).length === 0)) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
    for (const channel of ['CTIER1', 'CTIER2', 'CBILLING']) {
      const messages = slack.messagesIn(channel);
      expect(messages.length, `nudges in ${channel}`).toBeGreaterThan(0);
      expect(messages[0]!.text).toBeTruthy();
    }

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', database: 'ok', migrations: 'current' });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^heed_hubspot_requests_total\{.*status="200".*\} \d+/m);
    expect(metrics).toMatch(/^heed_job_runs_total\{.*job="sync".*\} 1/m);
    expect(metrics).toMatch(/^heed_flags_open\{.*team="tier1".*\} \d+/m);
    expect(metrics).toContain(`heed_sync_records_total{type="tickets"} ${live}`);

    // A signed slash command is answered from the local database.
    const answer = await sendSigned(
      base,
      slashCommandBody({
        command: '/unanswered',
        text: 'tier1',
        user_id: 'UALICE',
        channel_id: 'CTIER1',
        response_url: slack.responseUrl('composed-1'),
      }),
      'application/x-www-form-urlencoded',
    );
    expect(answer.status).toBe(200);
    expect(JSON.stringify(answer.json)).toMatch(/tier1/);

    // A forged Slack request and an unsigned HubSpot webhook are refused.
    const forged = await sendSigned(
      base,
      slashCommandBody({
        command: '/unanswered',
        text: '',
        user_id: 'U1',
        channel_id: 'C1',
        response_url: slack.responseUrl('x'),
      }),
      'application/x-www-form-urlencoded',
      { secret: 'not-the-secret' },
    );
    expect(forged.status).toBe(401);
    const ticketId = (await heed.db.prisma.ticket.findFirst({ select: { id: true } }))!.id;
    const body = JSON.stringify([
      {
        eventId: 4_100_001,
        subscriptionId: 2_900_001,
        portalId: 62515,
        appId: 1_234_567,
        occurredAt: Date.now(),
        subscriptionType: 'ticket.propertyChange',
        attemptNumber: 0,
        objectId: Number(ticketId),
        propertyName: 'hs_pipeline_stage',
        propertyValue: '2',
        changeSource: 'CRM_UI',
      },
    ]);
    const unsigned = await fetch(`${base}/hubspot/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(unsigned.status).toBe(401);
    const timestamp = String(Date.now());
    const signature = createHmac('sha256', CLIENT_SECRET)
      .update(`POST${base}/hubspot/webhooks${body}${timestamp}`)
      .digest('base64');
    const signed = await fetch(`${base}/hubspot/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signature,
        'x-hubspot-request-timestamp': timestamp,
      },
      body,
    });
    expect(signed.status).toBe(204);
    expect(await heed.db.prisma.processedEvent.count({ where: { source: 'hubspot', id: '4100001' } })).toBe(1);
  });
});
