// Secrets never reach the logs. Representative flows run with the most verbose level and known test secrets
// (Slack bot/app tokens and signing secret, HubSpot token and client secret, an Authorization header, a
// PostgreSQL password); every line they log is captured from pino's destination and searched for the secrets.
import { createHmac } from 'node:crypto';
import { type IncomingMessage, request, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock, systemClock } from '../../src/clock.ts';
import { loadConfig, parseEnv } from '../../src/config.ts';
import { openDatabase } from '../../src/db/client.ts';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { SlackRepo } from '../../src/db/slack-repo.ts';
import { WebhookQueueRepo } from '../../src/db/webhook-queue-repo.ts';
import { startRouteServer } from '../../src/http/routes.ts';
import { createHubspotClient, HubspotApi } from '../../src/hubspot/client.ts';
import { getAccountDetails } from '../../src/hubspot/crm.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { startSimulator } from '../../src/hubspot/simulator/server.ts';
import { createHubspotWebhookHandler, WEBHOOK_PATH } from '../../src/hubspot/webhook-handler.ts';
import { signV3 } from '../../src/hubspot/webhook-signature.ts';
import { cronSchedule } from '../../src/jobs/schedule.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { withRequestId } from '../../src/ops/request-id.ts';
import { SyncService } from '../../src/services/sync.ts';
import { createSlackApp, createSlackWebClient } from '../../src/slack/app.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import type { SlackServices } from '../../src/slack/listeners/services.ts';
import { HEED_METADATA_EVENT, Outbox } from '../../src/slack/outbox.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-1029384756-5647382910-ZQ8bYtR3kLmN0pXs7VwEaUc1',
  SLACK_APP_TOKEN: 'xapp-1-A0SECRET42-5647382910123-4f1e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e',
  SLACK_SIGNING_SECRET: '7c1f0e9d8b7a6c5d4e3f2a1b0c9d8e7f',
  HUBSPOT_ACCESS_TOKEN: 'pat-na1-5e2d1c0b-9a8f-4e7d-b6c5-a4f3e2d1c0b9',
  HUBSPOT_CLIENT_SECRET: 'b7e6d5c4-a3f2-4e1d-9c8b-7a6f5e4d3c2b',
  AUTHORIZATION: 'Bearer zz-AuthHeaderSecret-0f9e8d7c6b5a',
  PG_PASSWORD: 'PgPassw0rdSecret42',
};

/** Every line the flows log, as raw text, exactly as it would reach stdout. */
const raw: string[] = [];
function traceLogger(): Logger {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      raw.push(String(chunk));
      done();
    },
  });
  return createLogger({ level: 'trace', destination });
}

function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolvePost, rejectPost) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolvePost(res.statusCode ?? 0));
    });
    req.on('error', rejectPost);
    req.end(body);
  });
}

describe('secrets never reach the logs', () => {
  useLocalNetworkOnly();
  const provider = testProviders()[0]!;
  let db: OpenTestDb;
  const logger = traceLogger();

  beforeAll(async () => {
    db = await openTestDb(provider);
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('configuration: loaded, logged, and refused', () => {
    const env = {
      ...SECRETS,
      DATABASE_URL: `postgres://heed:${SECRETS.PG_PASSWORD}@db.internal:5432/heed`,
      HEED_CONFIG: '/nonexistent/heed.config.json',
      LOG_LEVEL: 'trace',
    };
    const config = loadConfig({ env, fileExists: () => false });
    logger.debug({ env: config.env }, 'configuration loaded');
    logger.trace(`connecting to ${config.env.DATABASE_URL}`);
    // A malformed token is refused without echoing it.
    const wrongToken = 'xoxp-1029384756-5647382910-ZQ8bYtR3kLmN0pXs7VwEaUc1';
    expect(() => parseEnv({ SLACK_BOT_TOKEN: wrongToken })).toThrow(/SLACK_BOT_TOKEN/);
    try {
      parseEnv({ SLACK_BOT_TOKEN: wrongToken });
    } catch (error) {
      logger.error({ err: error }, 'start-up failed');
      expect(JSON.stringify((error as Error).message)).not.toContain('ZQ8bYtR3kLmN0pXs7VwEaUc1');
    }
  });

  it('HubSpot: a sync, retries, a 429 and a refused token', async () => {
    const portal = new SimPortal({ now: Date.now(), tickets: 20, seed: 3 });
    const sim = await startSimulator({ portal, accessToken: SECRETS.HUBSPOT_ACCESS_TOKEN });
    try {
      const api = new HubspotApi({
        client: createHubspotClient({ accessToken: SECRETS.HUBSPOT_ACCESS_TOKEN, baseUrl: sim.url }),
        requestsPer10s: 1000,
        searchPerSecond: 5,
        logger,
        backoffMs: 1,
        timeoutMs: 2000,
      });
      const clock = systemClock;
      sim.injectFault({ match: 'GET /crm/owners/2026-09', kind: 'status', status: 503 });
      sim.injectFault({ match: 'tickets/search', kind: 'rate-limit', policy: 'SECONDLY' });
      const service = new SyncService({ api, repos: hubspotRepos(db), clock, logger, options: { searchLagMs: 0 } });
      const stats = await service.run();
      logger.info({ stats }, 'sync finished');
      const refused = new HubspotApi({
        client: createHubspotClient({ accessToken: `${SECRETS.HUBSPOT_ACCESS_TOKEN}-revoked`, baseUrl: sim.url }),
        requestsPer10s: 100,
        searchPerSecond: 5,
        logger,
      });
      const error = await getAccountDetails(refused).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('HUBSPOT_AUTH');
      logger.error({ err: error }, 'sync failed');
    } finally {
      await sim.close();
    }
  });

  it('HubSpot webhooks: signed, unsigned and forged deliveries', async () => {
    const handler = createHubspotWebhookHandler({
      clientSecret: SECRETS.HUBSPOT_CLIENT_SECRET,
      queue: new WebhookQueueRepo(db),
      clock: systemClock,
      logger,
    });
    const { server, port } = await startRouteServer(
      [{ path: WEBHOOK_PATH, method: 'POST', handler: (req, res) => handler(req, res).then(() => undefined) }],
      0,
      logger,
    );
    try {
      const url = `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
      const body = JSON.stringify([
        {
          eventId: 1,
          subscriptionId: 1,
          portalId: 1,
          occurredAt: Date.now(),
          subscriptionType: 'ticket.creation',
          attemptNumber: 0,
          objectId: 5,
          changeFlag: 'CREATED',
          changeSource: 'CRM',
        },
        { eventId: 'not-a-number' },
      ]);
      const timestamp = String(Date.now());
      const signature = signV3(SECRETS.HUBSPOT_CLIENT_SECRET, 'POST', url, body, timestamp);
      const headers = { 'x-hubspot-request-timestamp': timestamp, authorization: SECRETS.AUTHORIZATION };
      expect(await post(url, body, { ...headers, 'x-hubspot-signature-v3': signature })).toBe(204);
      expect(await post(url, body, headers)).toBe(401);
      const forged = createHmac('sha256', 'guess').update(body).digest('base64');
      expect(await post(url, body, { ...headers, 'x-hubspot-signature-v3': forged })).toBe(401);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('Slack: posts, a refused call, an unreachable API, through the outbox', async () => {
    const slack = await new FakeSlackServer().start();
    slack.addChannel({ id: 'CAAA', name: 'alpha' });
    const web = createSlackWebClient({ SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN, SLACK_API_URL: slack.apiUrl }, logger);
    const repo = new SlackRepo(db);
    const clock = manualClock(new Date());
    const outbox = new Outbox({ repo, slack: web, clock, logger, maxAttempts: 2 });
    const intent = (key: string) => ({
      idempotencyKey: key,
      kind: 'post' as const,
      channel: 'CAAA',
      payload: { text: key, metadata: { event_type: HEED_METADATA_EVENT, event_payload: { key } } },
    });
    await repo.enqueue(intent('ok'), clock.now());
    await outbox.drainUntilIdle();
    // A refused token pauses the outbox (one error) until a probe passes; a refused message is given up on.
    slack.failNext('chat.postMessage', { error: 'invalid_auth' });
    await repo.enqueue(intent('paused'), clock.now());
    await outbox.drainUntilIdle();
    slack.failNext('chat.postMessage', { error: 'msg_too_long' });
    await repo.enqueue(intent('refused'), clock.now());
    await outbox.drainUntilIdle();
    await slack.stop();
    await repo.enqueue(intent('unreachable'), clock.now());
    await outbox.drainUntilIdle();
    expect(raw.join('')).toContain("Slack refused Heed's token (invalid_auth)");
    expect(raw.join('')).toContain('Slack refused the message (msg_too_long)');
    expect(raw.join('')).toContain('outbox: gave up on a Slack message: request failed');
  });

  it('Slack: Bolt receiving a signed command and a forged one', async () => {
    const slack = await new FakeSlackServer().start();
    // Only what `/heed help` touches; the other listeners are registered but never reached here.
    const services = { logger, clock: { now: () => new Date() } } as unknown as SlackServices;
    const bolt = createSlackApp({
      env: {
        SLACK_BOT_TOKEN: SECRETS.SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET: SECRETS.SLACK_SIGNING_SECRET,
        SLACK_APP_TOKEN: undefined,
        SLACK_API_URL: slack.apiUrl,
        PORT: 0,
      },
      services,
      logger,
      botId: 'BHEED',
      botUserId: 'UHEEDBOT',
      processBeforeResponse: true,
    });
    const { port } = await bolt.start(0);
    try {
      const body = new URLSearchParams({
        command: '/heed',
        text: 'help',
        user_id: 'U1',
        channel_id: 'C1',
        team_id: 'T1',
        token: 'verification-token',
        response_url: `${slack.url}/response/1`,
        trigger_id: '1.2.3',
      }).toString();
      const timestamp = String(Math.floor(Date.now() / 1000));
      const sign = (secret: string) =>
        `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        authorization: SECRETS.AUTHORIZATION,
      };
      const url = `http://127.0.0.1:${port}/slack/events`;
      expect(await post(url, body, { ...headers, 'x-slack-signature': sign(SECRETS.SLACK_SIGNING_SECRET) })).toBe(200);
      expect(await post(url, body, { ...headers, 'x-slack-signature': sign('not-the-secret') })).toBe(401);
    } finally {
      await bolt.stop();
      await slack.stop();
    }
  });

  it('database: a PostgreSQL that cannot be reached', async () => {
    const url = `postgres://heed:${SECRETS.PG_PASSWORD}@127.0.0.1:9/heed`;
    const error = await openDatabase(url).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('DB_UNREACHABLE');
    logger.error({ err: error, url }, `cannot open ${url}`);
  });

  it('jobs: a run failing with a token in its error', async () => {
    const scheduler = createScheduler({ db, logger, holder: 'redaction-test' });
    scheduler.add({
      name: 'leaky',
      schedule: cronSchedule('0 0 1 1 *'),
      run: (ctx) => {
        ctx.logger.trace({ headers: { Authorization: SECRETS.AUTHORIZATION } }, 'calling out');
        throw new Error(`Slack answered invalid_auth for ${SECRETS.SLACK_BOT_TOKEN} (${SECRETS.AUTHORIZATION})`);
      },
    });
    const result = await scheduler.runNow('leaky');
    expect(result).toMatchObject({ started: true, outcome: 'failed' });
  });

  it('incoming requests: headers and query strings', async () => {
    const seen: Logger[] = [];
    const { server, port } = await startRouteServer(
      [
        {
          path: '/probe',
          method: 'GET',
          handler: (req: IncomingMessage, res: ServerResponse) => {
            const log = withRequestId(logger, req, res);
            seen.push(log);
            log.info({ headers: req.headers }, 'request received');
            res.end('ok');
          },
        },
      ],
      0,
      logger,
    );
    try {
      await new Promise<void>((resolveGet, rejectGet) => {
        request(`http://127.0.0.1:${port}/probe?token=${SECRETS.SLACK_BOT_TOKEN}`, {
          headers: { authorization: SECRETS.AUTHORIZATION, 'x-request-id': 'req-42' },
        })
          .on('response', (res) => res.resume().on('end', resolveGet))
          .on('error', rejectGet)
          .end();
      });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(seen).toHaveLength(1);
  });

  // Tests in a file run in order: these two come after every flow above.
  it('no secret appears anywhere in the captured log', () => {
    const text = raw.join('');
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(SECRETS)) {
      // The whole secret, and its distinctive tail (a partly masked secret is still a leak).
      for (const needle of [secret, secret.slice(-14)]) {
        if (text.includes(needle)) leaks.push(`${name} (${needle})`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('captured a verbose log of every flow (so the search above means something)', () => {
    const lines = raw
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(30);
    const levels = new Set(lines.map((line) => line['level']));
    expect(levels).toContain(10); // trace
    expect(levels).toContain(50); // error
    expect(lines.some((line) => line['component'] === 'bolt')).toBe(true); // the Slack client's own debug lines
    expect(lines.some((line) => line['job'] === 'leaky')).toBe(true);
    expect(lines.some((line) => /signature mismatch/.test(String(line['msg'])))).toBe(true); // the forged Slack request
    expect(lines.some((line) => line['requestId'] === 'req-42' && line['path'] === '/probe')).toBe(true);
  });
});

/**
 * Switches nock off for this file and installs its own guard (only 127.0.0.1/localhost may be reached). Every
 * other file talks to its local servers through nock 15.0.6 on Node 24; here the outbox's "unreachable API" case
 * (a post to a fake Slack that was stopped) does not end under nock's interceptor — it runs into the test's
 * timeout — while it ends at once without it.
 */
function useLocalNetworkOnly(): void {
  let original: typeof fetch | undefined;
  beforeAll(() => {
    nock.restore();
    const pure = globalThis.fetch;
    original = pure;
    globalThis.fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (!/^(127\.0\.0\.1|localhost)$/.test(url.hostname)) {
        return Promise.reject(new Error(`Network access refused in tests: ${url.host}`));
      }
      return pure(input, init);
    };
  });
  afterAll(() => {
    if (original) globalThis.fetch = original;
    nock.activate();
  });
}
