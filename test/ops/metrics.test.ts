import type { Server } from 'node:http';
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackRepo } from '../../src/db/slack-repo.ts';
import { startRouteServer } from '../../src/http/routes.ts';
import { cronSchedule } from '../../src/jobs/schedule.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { silentLogger } from '../../src/logger.ts';
import {
  countSlackEventDeliveries,
  endpointLabel,
  hubspotMetrics,
  instrumentSlackApi,
  recordEvaluation,
  recordSync,
  recordWebhook,
  schedulerMetrics,
  slackErrorCode,
} from '../../src/ops/metric-adapters.ts';
import { createMetrics, type Metrics, metricsRoute } from '../../src/ops/metrics.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { startHarness } from '../hubspot/harness.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';
import { httpGet, parseProm, sampleValue } from './prom-text.ts';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

async function serve(metrics: Metrics): Promise<{ url: string; server: Server }> {
  const { server, port } = await startRouteServer([metricsRoute(metrics, silentLogger())], 0, silentLogger());
  return { url: `http://127.0.0.1:${port}/metrics`, server };
}

const closeServer = (server: Server) => new Promise<void>((r) => server.close(() => r()));

describe.each(testProviders())('database gauges on %s', (provider) => {
  let db: OpenTestDb;
  let server: Server | undefined;
  let disposed = false;

  beforeEach(async () => {
    db = await openTestDb(provider);
    disposed = false;
  });
  afterEach(async () => {
    if (server) await closeServer(server);
    server = undefined;
    if (!disposed) await db.dispose();
  });

  async function flag(key: string, team: string, state: string, kind = 'ticket') {
    await db.prisma.flag.create({
      data: { key, kind, team, state, raisedAt: minutesAgo(90), updatedAt: minutesAgo(5) },
    });
  }

  it('reports open flags by team and state, outbox depth and age, and sync lag, read at scrape time', async () => {
    await flag('t1', 'support', 'at_risk');
    await flag('t2', 'support', 'breached');
    await flag('t3', 'support', 'breached');
    await flag('t4', 'billing', 'at_risk');
    await flag('f1', 'billing', 'overdue', 'feedback');
    await flag('done', 'support', 'resolved');
    const outbox = (id: string, state: string, createdAt: Date) =>
      db.prisma.outboxMessage.create({
        data: {
          id,
          idempotencyKey: id,
          kind: 'post',
          channel: 'C1',
          payload: '{}',
          state,
          nextAttemptAt: createdAt,
          createdAt,
        },
      });
    await outbox('o1', 'pending', minutesAgo(3));
    await outbox('o2', 'retry', minutesAgo(7));
    await outbox('o3', 'sent', minutesAgo(60));
    await db.prisma.ticket.create({
      data: { id: '1', createdAt: minutesAgo(100), modifiedAt: minutesAgo(12), syncedAt: minutesAgo(2) },
    });
    await db.prisma.syncRun.create({
      data: { id: 's1', kind: 'incremental', status: 'ok', startedAt: minutesAgo(3), finishedAt: minutesAgo(2) },
    });

    let now = NOW;
    const metrics = createMetrics({
      db,
      teams: ['support', 'billing', 'quiet'],
      clock: () => now,
      processMetrics: false,
    });
    const served = await serve(metrics);
    server = served.server;
    const url = served.url;
    const first = await httpGet(url);
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = first.body;
    expect(sampleValue(text, 'heed_flags_open', { team: 'support', state: 'at_risk' })).toBe(1);
    expect(sampleValue(text, 'heed_flags_open', { team: 'support', state: 'breached' })).toBe(2);
    expect(sampleValue(text, 'heed_flags_open', { team: 'billing', state: 'overdue' })).toBe(1);
    expect(sampleValue(text, 'heed_flags_open', { team: 'quiet', state: 'breached' })).toBe(0);
    expect(sampleValue(text, 'heed_flags_open', { state: 'resolved' })).toBeUndefined();
    expect(sampleValue(text, 'heed_outbox_depth')).toBe(2);
    expect(sampleValue(text, 'heed_outbox_oldest_age_seconds')).toBe(7 * 60);
    expect(sampleValue(text, 'heed_sync_lag_seconds')).toBe(12 * 60);
    expect(sampleValue(text, 'heed_sync_last_success_timestamp_seconds')).toBe(minutesAgo(2).getTime() / 1000);

    // Gauges follow the database, not a cached copy.
    await db.prisma.flag.update({ where: { key: 't1' }, data: { state: 'resolved' } });
    await db.prisma.outboxMessage.updateMany({ data: { state: 'sent' } });
    now = new Date(NOW.getTime() + 60_000);
    const second = (await httpGet(url)).body;
    expect(sampleValue(second, 'heed_flags_open', { team: 'support', state: 'at_risk' })).toBe(0);
    expect(sampleValue(second, 'heed_outbox_depth')).toBe(0);
    expect(sampleValue(second, 'heed_outbox_oldest_age_seconds')).toBe(0);
    expect(sampleValue(second, 'heed_sync_lag_seconds')).toBe(13 * 60);
  });

  it('still answers when the database does not, leaving its gauges out and counting the failure', async () => {
    const metrics = createMetrics({ db, teams: ['support'], clock: () => NOW, processMetrics: false });
    metrics.jobRuns.inc({ job: 'sync', outcome: 'succeeded' });
    const served = await serve(metrics);
    server = served.server;
    const url = served.url;
    expect(sampleValue((await httpGet(url)).body, 'heed_outbox_depth')).toBe(0);
    // Gone for good: Prisma would quietly reconnect to a database that was merely closed.
    await db.dispose();
    disposed = true;
    const response = await httpGet(url);
    expect(response.status).toBe(200);
    expect(sampleValue(response.body, 'heed_outbox_depth')).toBeNaN();
    expect(sampleValue(response.body, 'heed_sync_lag_seconds')).toBeNaN();
    expect(sampleValue(response.body, 'heed_flags_open', { team: 'support', state: 'at_risk' })).toBeUndefined();
    expect(sampleValue(response.body, 'heed_metrics_collect_errors_total')).toBe(1);
    expect(sampleValue(response.body, 'heed_job_runs_total', { job: 'sync', outcome: 'succeeded' })).toBe(1);
  });
});

describe('HubSpot calls, headroom, 429s and records synced (simulator)', () => {
  it('counts every call by endpoint and status, and reads headroom from HubSpot’s headers', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const harness = await startHarness(testProviders()[0]!, {
      portal: { tickets: 40 },
      sim: { rateLimit: { perTenSeconds: 190, daily: 500_000 } },
      api: { metrics: hubspotMetrics(metrics) },
    });
    try {
      harness.sim.injectFault({ match: 'GET /crm/owners/2026-09', kind: 'rate-limit', policy: 'TEN_SECONDLY_ROLLING' });
      harness.sim.injectFault({ match: 'GET /crm/pipelines/2026-09/tickets', kind: 'status', status: 502 });
      const stats = await harness.service.run();
      recordSync(metrics, stats);
      const text = await metrics.registry.metrics();
      const requests = parseProm(text).filter((s) => s.name === 'heed_hubspot_requests_total');
      const total = requests.reduce((sum, s) => sum + s.value, 0);
      expect(total).toBe(harness.sim.totalRequests());
      expect(sampleValue(text, 'heed_hubspot_requests_total', { endpoint: '/crm/owners/2026-09', status: '429' })).toBe(
        1,
      );
      expect(
        sampleValue(text, 'heed_hubspot_requests_total', { endpoint: '/crm/pipelines/2026-09/tickets', status: '502' }),
      ).toBe(1);
      expect(
        sampleValue(text, 'heed_hubspot_requests_total', { endpoint: '/crm/pipelines/2026-09/tickets', status: '200' }),
      ).toBe(1);
      expect(sampleValue(text, 'heed_hubspot_rate_limited_total', { policy: 'TEN_SECONDLY_ROLLING' })).toBe(1);
      expect(sampleValue(text, 'heed_hubspot_ratelimit_max', { window: 'ten_secondly' })).toBe(190);
      const remaining = sampleValue(text, 'heed_hubspot_ratelimit_remaining', { window: 'ten_secondly' });
      expect(remaining).toBeGreaterThanOrEqual(0);
      expect(remaining).toBeLessThan(190);
      expect(sampleValue(text, 'heed_hubspot_ratelimit_max', { window: 'daily' })).toBe(500_000);
      expect(sampleValue(text, 'heed_hubspot_ratelimit_remaining', { window: 'daily' })).toBeLessThan(500_000);
      expect(stats.records.tickets).toBeGreaterThan(0);
      expect(sampleValue(text, 'heed_sync_records_total', { type: 'tickets' })).toBe(stats.records.tickets);
      expect(sampleValue(text, 'heed_sync_records_total', { type: 'owners' })).toBe(stats.records.owners);
    } finally {
      await harness.close();
    }
  });
});

describe('job runs and failures by job (scheduler)', () => {
  let db: OpenTestDb;
  beforeEach(async () => {
    db = await openTestDb(testProviders()[0]!);
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('counts runs by outcome and failures per job', async () => {
    const metrics = createMetrics({ processMetrics: false });
    let tick = 0;
    const scheduler = createScheduler({
      db,
      logger: silentLogger(),
      holder: 'test',
      // Each manual run is its own occurrence (its key comes from the clock).
      clock: () => new Date(NOW.getTime() + 60_000 * tick++),
      metrics: schedulerMetrics(metrics),
    });
    scheduler.add({ name: 'sync', schedule: cronSchedule('0 0 1 1 *'), run: () => undefined });
    scheduler.add({
      name: 'evaluate',
      schedule: cronSchedule('0 0 1 1 *'),
      run: () => {
        throw new Error('boom');
      },
    });
    await scheduler.runNow('sync');
    await scheduler.runNow('sync');
    await scheduler.runNow('evaluate');
    await scheduler.idle();
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'heed_job_runs_total', { job: 'sync', outcome: 'succeeded' })).toBe(2);
    expect(sampleValue(text, 'heed_job_runs_total', { job: 'evaluate', outcome: 'failed' })).toBe(1);
    expect(sampleValue(text, 'heed_job_failures_total', { job: 'evaluate' })).toBe(1);
    expect(sampleValue(text, 'heed_job_failures_total', { job: 'sync' })).toBeUndefined();
    expect(sampleValue(text, 'heed_job_run_duration_seconds_count', { job: 'sync' })).toBe(2);
  });
});

describe('Slack calls through the instrumented client (fake Slack server)', () => {
  let slack: FakeSlackServer;
  beforeEach(async () => {
    slack = await new FakeSlackServer().start();
    slack.addChannel({ id: 'CAAA', name: 'alpha' });
  });
  afterEach(async () => {
    await slack.stop();
  });

  it('counts nudges posted and updated, and errors by method and Slack code', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const client = instrumentSlackApi(
      new webApi.WebClient('xoxb-test', {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
      }),
      metrics,
    );
    const post = (key: string) =>
      client.apiCall('chat.postMessage', {
        channel: 'CAAA',
        text: key,
        metadata: { event_type: 'heed_nudge', event_payload: { key } },
      }) as Promise<{ ts: string }>;
    const posted = await post('nudge:ticket:1:firstResponse:0:post');
    await post('nudge:ticket:1:firstResponse:0:reply2');
    await post('digest:support:2026-11-23');
    await client.apiCall('chat.update', { channel: 'CAAA', ts: posted.ts, text: 'changed' });
    slack.failNext('chat.postMessage', { error: 'invalid_blocks' });
    await expect(post('nudge:ticket:2:firstResponse:0:post')).rejects.toThrow(/invalid_blocks/);
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 3 });
    await expect(post('nudge:ticket:3:firstResponse:0:post')).rejects.toThrow();
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'heed_nudges_total', { action: 'posted' })).toBe(1);
    expect(sampleValue(text, 'heed_nudges_total', { action: 'replied' })).toBe(1);
    expect(sampleValue(text, 'heed_nudges_total', { action: 'updated' })).toBe(1);
    expect(sampleValue(text, 'heed_slack_api_calls_total', { method: 'chat.postMessage' })).toBe(5);
    expect(
      sampleValue(text, 'heed_slack_api_errors_total', { method: 'chat.postMessage', code: 'invalid_blocks' }),
    ).toBe(1);
    expect(sampleValue(text, 'heed_slack_api_errors_total', { method: 'chat.postMessage', code: 'ratelimited' })).toBe(
      1,
    );
  });
});

describe('recorders and labels', () => {
  it('times evaluations by mode and counts webhook events and duplicates by source', async () => {
    const metrics = createMetrics({ processMetrics: false });
    recordEvaluation(metrics, { mode: 'incremental', readMs: 20, computeMs: 30, writeMs: 50 });
    recordEvaluation(metrics, { mode: 'full', readMs: 1000, computeMs: 500, writeMs: 500 });
    recordWebhook(metrics, 'hubspot', { accepted: 3, duplicates: 2, ignored: 1 });
    recordWebhook(metrics, 'hubspot', { accepted: 0, duplicates: 0, ignored: 0 });
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'heed_evaluation_duration_seconds_sum', { mode: 'incremental' })).toBeCloseTo(0.1);
    expect(sampleValue(text, 'heed_evaluation_duration_seconds_bucket', { mode: 'full', le: '1' })).toBe(0);
    expect(sampleValue(text, 'heed_evaluation_duration_seconds_bucket', { mode: 'full', le: '2.5' })).toBe(1);
    expect(sampleValue(text, 'heed_webhook_events_total', { source: 'hubspot' })).toBe(6);
    expect(sampleValue(text, 'heed_webhook_events_deduplicated_total', { source: 'hubspot' })).toBe(2);
  });

  it('counts Slack event deliveries and redeliveries through the repository that deduplicates them', async () => {
    const db = await openTestDb(testProviders()[0]!);
    try {
      const metrics = createMetrics({ processMetrics: false });
      const repo = countSlackEventDeliveries(new SlackRepo(db), metrics);
      expect(await repo.firstDelivery('slack-action', 'U1:1.1', NOW)).toBe(true);
      expect(await repo.firstDelivery('slack-action', 'U1:1.1', NOW)).toBe(false);
      expect(await repo.firstDelivery('slack-action', 'U1:1.2', NOW)).toBe(true);
      // Other methods still work on the real repository (private fields and all).
      expect(await repo.countOutbox(['pending'])).toBe(0);
      const text = await metrics.registry.metrics();
      expect(sampleValue(text, 'heed_webhook_events_total', { source: 'slack-action' })).toBe(3);
      expect(sampleValue(text, 'heed_webhook_events_deduplicated_total', { source: 'slack-action' })).toBe(1);
    } finally {
      await db.dispose();
    }
  });

  it('keeps its counters to its own registry', async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.jobRuns.inc({ job: 'sync', outcome: 'succeeded' });
    expect(sampleValue(await b.registry.metrics(), 'heed_job_runs_total', { job: 'sync' })).toBeUndefined();
    expect(sampleValue(await a.registry.metrics(), 'heed_job_runs_total', { job: 'sync' })).toBe(1);
    // Without a database there are no database gauges (rather than gauges that are always unknown).
    expect(sampleValue(await a.registry.metrics(), 'heed_outbox_depth')).toBeUndefined();
  });

  it.each([
    ['/crm/v3/objects/tickets/search', '/crm/v3/objects/tickets/search'],
    ['/crm/v3/owners/', '/crm/v3/owners'],
    ['/crm/v3/objects/tickets/123456', '/crm/v3/objects/tickets/{id}'],
    ['/crm/v4/associations/tickets/contacts/batch/read', '/crm/v4/associations/tickets/contacts/batch/read'],
    ['/crm/v3/objects/tickets?limit=100', '/crm/v3/objects/tickets'],
  ])('endpoint label of %s is %s', (path, label) => {
    expect(endpointLabel(path)).toBe(label);
  });

  it.each([
    [{ code: 'slack_webapi_platform_error', data: { error: 'not_in_channel' } }, 'not_in_channel'],
    [{ code: 'slack_webapi_rate_limited_error', retryAfter: 3 }, 'ratelimited'],
    [{ code: 'slack_webapi_http_error', statusCode: 503 }, 'http_503'],
    [{ code: 'slack_webapi_request_error' }, 'request_error'],
    [new Error('socket hang up'), 'unknown'],
  ])('Slack error %o is labelled %s', (error, code) => {
    expect(slackErrorCode(error)).toBe(code);
  });
});
