// `startHeed` when a vendor is down at boot or goes down later: Heed serves /healthz and its other side's work,
// /readyz names the dependency and what it said, it retries with backoff, and starts the waiting side's work as
// soon as the vendor answers. Slack (the fake Web API) and HubSpot (the simulator) sit behind switchable proxies;
// everything else is real, on SQLite and PostgreSQL.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type Simulator, startSimulator } from '../src/hubspot/simulator/server.ts';
import { type RunningHeed, startHeed } from '../src/main.ts';
import { FakeSlackServer } from '../src/slack/fake-slack-server.ts';
import { captureLogger } from './slack/support/capture-logger.ts';
import { nodeHttpFetch } from './slack/support/node-http-fetch.ts';
import { sendSigned, slashCommandBody, TEST_SIGNING_SECRET } from './slack/support/slack-requests.ts';
import { createTestDatabase, type TestDatabase, testProviders } from './support/db.ts';
import { type OutageProxy, type ProxyMode, startOutageProxy } from './support/outage-proxy.ts';

// Local servers only, through the real global fetch both vendor clients use (see test/main.test.ts).
beforeAll(() => nock.restore());
afterAll(() => nock.activate());

const ALWAYS = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
);
const POLICY = {
  calendars: { always: { timezone: 'UTC', hours: ALWAYS } },
  teams: [
    { name: 'tier1', channel: 'CTIER1', hubspotTeamIds: ['4001'], calendar: 'always' },
    { name: 'tier2', channel: 'CTIER2', hubspotTeamIds: ['4002'], calendar: 'always' },
    { name: 'billing', channel: 'CBILLING', hubspotTeamIds: ['4003'], calendar: 'always' },
  ],
  sla: [{ name: 'standard', firstResponse: '1h', nextResponse: '2h', resolution: '1d' }],
};
const HUBSPOT_TOKEN = 'pat-na1-00000000-degraded-2222-3333';
const HUBSPOT_401 = JSON.stringify({
  status: 'error',
  message: 'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
  correlationId: '5c3c4b5e-0000-4000-8000-000000000000',
  category: 'INVALID_AUTHENTICATION',
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(testProviders())('Heed with a vendor down on %s', (provider) => {
  let database: TestDatabase;
  let heed: RunningHeed | undefined;
  let simulator: Simulator;
  let slack: FakeSlackServer;
  let slackProxy: OutageProxy;
  let hubspotProxy: OutageProxy;
  let log: ReturnType<typeof captureLogger>;

  afterEach(async () => {
    await heed?.stop();
    heed = undefined;
    await slackProxy?.close();
    await hubspotProxy?.close();
    await simulator?.close();
    await slack?.stop();
    await database?.drop();
  });

  async function start(options: { slack: ProxyMode; hubspot: ProxyMode; schedules?: boolean }) {
    database = await createTestDatabase(provider);
    simulator = await startSimulator({
      accessToken: HUBSPOT_TOKEN,
      portalOptions: { seed: 11, tickets: 120, days: 7, now: Date.now() },
    });
    slack = await new FakeSlackServer().start();
    for (const [id, name] of [
      ['CTIER1', 'tier1'],
      ['CTIER2', 'tier2'],
      ['CBILLING', 'billing'],
    ] as const) {
      slack.addChannel({ id, name });
    }
    slackProxy = await startOutageProxy(slack.url, options.slack);
    hubspotProxy = await startOutageProxy(simulator.url, options.hubspot);
    const config = loadConfig({
      env: {
        DATABASE_URL: database.url,
        HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
        HUBSPOT_CLIENT_SECRET: 'hubspot-client-secret-degraded',
        HUBSPOT_API_URL: hubspotProxy.url,
        SLACK_BOT_TOKEN: 'xoxb-test-degraded',
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: `${slackProxy.url}/api/`,
        HEED_CONFIG: '/policy.json',
      },
      fileExists: () => true,
      readFile: () => JSON.stringify(POLICY),
    });
    log = captureLogger();
    heed = await startHeed({
      config,
      logger: log.logger,
      port: 0,
      schedules: options.schedules ?? false,
      retry: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    return { heed, base: `http://127.0.0.1:${heed.port}` };
  }

  const readyz = async (base: string) => {
    const answer = await fetch(`${base}/readyz`);
    return {
      status: answer.status,
      body: (await answer.json()) as { reasons?: string[]; dependencies?: { name: string; code: string }[] },
    };
  };
  const problemCode = (name: string) => heed!.health.problems().find((p) => p.name === name)?.code;
  const posts = () => [...slack.channels.values()].reduce((n, c) => n + c.messages.length, 0);
  /** The dependency codes the registry logged, in order (one line per change). */
  const loggedCodes = (name: string) =>
    log
      .lines()
      .filter((l) => l['component'] === 'dependencies' && l['dependency'] === name)
      .map((l) => (l['code'] as string | undefined) ?? 'up');

  it('Slack unreachable at boot: serves probes and HubSpot sync, answers commands, and starts the outbox within seconds of Slack’s return', async () => {
    const { base } = await start({ slack: 'refuse', hubspot: 'up' });
    await until('slack reported unreachable', () => problemCode('slack') === 'unreachable');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    // HubSpot's side runs meanwhile: sync and evaluation succeed, nudges wait in the outbox.
    expect(await heed!.scheduler.runNow('sync')).toMatchObject({ started: true, outcome: 'succeeded' });
    expect(await heed!.scheduler.runNow('evaluate')).toMatchObject({ started: true, outcome: 'succeeded' });
    const queued = await heed!.db.prisma.outboxMessage.count({ where: { state: 'pending' } });
    expect(queued).toBeGreaterThan(0);
    expect(posts()).toBe(0);
    // A slash command is answered from the database in the HTTP answer, Slack's API or not.
    const command = await sendSigned(
      base,
      slashCommandBody({
        command: '/unanswered',
        text: 'tier1',
        user_id: 'UALICE',
        channel_id: 'CTIER1',
        response_url: `${slackProxy.url}/response/1`,
      }),
      'application/x-www-form-urlencoded',
    );
    expect(command.status).toBe(200);
    expect(JSON.stringify(command.json)).toMatch(/tier1/);

    const notReady = await readyz(base);
    expect(notReady.status).toBe(503);
    expect(notReady.body.dependencies?.map((d) => [d.name, d.code])).toEqual([['slack', 'unreachable']]);
    expect(notReady.body.reasons?.join('\n')).toMatch(/^slack: cannot reach Slack: .* \(unreachable, since /m);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^heed_dependency_up\{name="slack"\} 0$/m);
    expect(metrics).toMatch(/^heed_dependency_up\{name="hubspot"\} 1$/m);
    // Backoff, not a tight loop: a handful of attempts in the time it took (100 ms doubling to 400 ms).
    const knocks = slackProxy.seen.byMode.get('refuse') ?? 0;
    expect(knocks).toBeGreaterThan(1);

    slackProxy.mode = 'up';
    const back = Date.now();
    await heed!.slackReady();
    expect(Date.now() - back).toBeLessThan(3000);
    await until('nudges posted', () => posts() >= 3);
    const ready = await until('ready', async () => {
      const r = await readyz(base);
      return r.status === 200 ? r : undefined;
    });
    expect(ready.status).toBe(200);
    expect(loggedCodes('slack')).toEqual(['starting', 'unreachable', 'up']);
    expect(heed!.health.problems()).toEqual([]);
  });

  it('Slack answering 503, then invalid_auth at boot: each reported once by its code, then the token is accepted', async () => {
    const { base } = await start({ slack: { status: 503 }, hubspot: 'up' });
    await until('slack 503 reported', () => problemCode('slack') === 'http_503');
    expect((await readyz(base)).body.reasons?.join('\n')).toMatch(/^slack: Slack answered HTTP 503; retrying/m);
    slack.failNext('auth.test', { error: 'invalid_auth' }, 3);
    slackProxy.mode = 'up';
    await until('invalid_auth reported', () => problemCode('slack') === 'invalid_auth');
    expect((await readyz(base)).body.reasons?.join('\n')).toMatch(
      /^slack: Slack refused the bot token \(invalid_auth\); nothing is sent until it accepts it\. To fix: reinstall the app/m,
    );
    await heed!.slackReady();
    expect(slack.callsOf('auth.test')).toHaveLength(4);
    expect(loggedCodes('slack')).toEqual(['starting', 'http_503', 'invalid_auth', 'up']);
    expect(heed!.health.problems()).toEqual([]);
  });

  it('HubSpot unreachable at boot: Slack works meanwhile, and a sync runs as soon as HubSpot answers', async () => {
    const { base } = await start({ slack: 'up', hubspot: 'refuse', schedules: true });
    await heed!.slackReady();
    await until('hubspot reported unavailable', () => problemCode('hubspot') === 'HUBSPOT_UNAVAILABLE');
    const notReady = await readyz(base);
    expect(notReady.status).toBe(503);
    expect(notReady.body.dependencies?.map((d) => d.name)).toEqual(['hubspot']);
    expect(await heed!.db.prisma.syncRun.count({ where: { status: 'ok' } })).toBe(0);

    hubspotProxy.mode = 'up';
    await until('a sync after HubSpot answered', async () =>
      (await heed!.db.prisma.syncRun.count({ where: { status: 'ok' } })) > 0 ? true : undefined,
    );
    expect(await heed!.db.prisma.ticket.count()).toBeGreaterThan(0);
    await until('ready', async () => ((await readyz(base)).status === 200 ? true : undefined));
    expect(loggedCodes('hubspot')).toEqual(['starting', 'HUBSPOT_UNAVAILABLE', 'up']);
  });

  it('HubSpot refusing the token pauses sync: one error, a metric, a readiness reason, one probe per pass; it resumes when the token works', async () => {
    const { base } = await start({ slack: 'up', hubspot: 'up' });
    expect(await heed!.scheduler.runNow('sync')).toMatchObject({ outcome: 'succeeded' });
    await until('ready', async () => ((await readyz(base)).status === 200 ? true : undefined));

    hubspotProxy.mode = { status: 401, body: HUBSPOT_401 };
    const before = hubspotProxy.seen.byMode.get('401') ?? 0;
    expect(await heed!.scheduler.runNow('sync')).toMatchObject({ outcome: 'succeeded' });
    expect(problemCode('hubspot')).toBe('HUBSPOT_AUTH');
    const firstPass = (hubspotProxy.seen.byMode.get('401') ?? 0) - before;
    expect(firstPass).toBe(1);
    // Two more passes while the token is refused: one probe each, nothing else.
    for (const _pass of [1, 2]) {
      const seen = hubspotProxy.seen.byMode.get('401') ?? 0;
      expect(await heed!.scheduler.runNow('sync')).toMatchObject({ outcome: 'succeeded' });
      expect((hubspotProxy.seen.byMode.get('401') ?? 0) - seen).toBe(1);
    }
    const paused = await readyz(base);
    expect(paused.status).toBe(503);
    expect(paused.body.reasons?.join('\n')).toMatch(
      /^hubspot: HubSpot refused the access token \(401\); sync is paused until it is accepted/m,
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^heed_sync_paused 1$/m);
    expect(metrics).toMatch(/^heed_dependency_up\{name="hubspot"\} 0$/m);
    const errors = log.lines().filter((l) => (l['level'] as number) >= 50);
    expect(errors.map((l) => l['msg'])).toEqual([
      expect.stringMatching(/^HubSpot refused the access token \(401\): sync is paused; every scheduled pass checks/),
    ]);

    // A webhook while paused is accepted and waits in the queue; nothing is fetched.
    const ticketId = (await heed!.db.prisma.ticket.findFirst({ select: { id: true } }))!.id;
    const body = JSON.stringify([
      {
        eventId: 9_100_001,
        subscriptionId: 1,
        portalId: 62515,
        appId: 1,
        occurredAt: Date.now(),
        subscriptionType: 'ticket.propertyChange',
        attemptNumber: 0,
        objectId: Number(ticketId),
        propertyName: 'subject',
        propertyValue: 'changed',
        changeSource: 'CRM_UI',
      },
    ]);
    const { signV3 } = await import('../src/hubspot/webhook-signature.ts');
    const timestamp = String(Date.now());
    const hook = await nodeHttpFetch(`${base}/hubspot/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-request-timestamp': timestamp,
        'x-hubspot-signature-v3': signV3(
          'hubspot-client-secret-degraded',
          'POST',
          `${base}/hubspot/webhooks`,
          body,
          timestamp,
        ),
      },
      body,
    });
    expect(hook.status).toBe(204);
    const seenBeforeWait = hubspotProxy.seen.byMode.get('401') ?? 0;
    await new Promise((r) => setTimeout(r, 1500));
    expect(hubspotProxy.seen.byMode.get('401') ?? 0).toBe(seenBeforeWait);
    expect(await heed!.db.prisma.pendingFetch.count()).toBe(1);

    hubspotProxy.mode = 'up';
    expect(await heed!.scheduler.runNow('sync')).toMatchObject({ outcome: 'succeeded' });
    expect(problemCode('hubspot')).toBeUndefined();
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^heed_sync_paused 0$/m);
    await until('the webhook queue drained', async () =>
      (await heed!.db.prisma.pendingFetch.count()) === 0 ? true : undefined,
    );
    await until('ready', async () => ((await readyz(base)).status === 200 ? true : undefined));
    expect(log.lines().some((l) => l['msg'] === 'HubSpot accepts the access token again: sync resumes')).toBe(true);
  });

  it('HubSpot refusing the token at boot: paused at once, and neither the watch nor a pass clears the reason', async () => {
    const { base } = await start({ slack: 'up', hubspot: { status: 401, body: HUBSPOT_401 } });
    await until('hubspot paused', () => problemCode('hubspot') === 'HUBSPOT_AUTH');
    await new Promise((r) => setTimeout(r, 1000));
    expect(problemCode('hubspot')).toBe('HUBSPOT_AUTH');
    expect(await heed!.scheduler.runNow('sync')).toMatchObject({ outcome: 'succeeded' });
    expect(problemCode('hubspot')).toBe('HUBSPOT_AUTH');
    expect((await readyz(base)).status).toBe(503);
    // Boot probe plus one probe for the pass; nothing retried in a loop.
    expect(hubspotProxy.seen.byMode.get('401')).toBe(2);
    expect(loggedCodes('hubspot')).toEqual(['starting', 'HUBSPOT_AUTH']);
  });
});
