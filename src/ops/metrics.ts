// Heed's Prometheus metrics. Everything lives in one Registry created here and passed around (never prom-client's
// global default registry, so tests and several Heed instances in one process do not share counters).
// Counters are fed by adapters (./metric-adapters.ts) that implement the metric interfaces the other modules
// expose; gauges that are facts about the database (open flags, outbox depth, sync lag) are read at scrape time
// through the ops repo, so every replica reports the same truth and nothing has to keep them in step.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/client.ts';
import { OpsRepo } from '../db/ops-repo.ts';
import { OPEN_FLAG_STATES } from '../domain/flag.ts';
import type { Route } from '../http/routes.ts';
import type { Logger } from '../logger.ts';
import type { DependencyHealth } from './dependency-health.ts';
import { withRequestId } from './request-id.ts';
import { withTimeout } from './timeout.ts';

export type MetricsDeps = {
  /** Where the scrape-time gauges come from; without it they are not registered at all. */
  db?: Db;
  /** Team names from the policy: their open-flag series exist (at 0) even when a team has no flags. */
  teams?: readonly string[];
  clock?: () => Date;
  logger?: Logger;
  /** A database that does not answer within this time leaves the database gauges out of the scrape. */
  collectTimeoutMs?: number;
  /** Node.js process metrics (CPU, memory, event loop); on by default. */
  processMetrics?: boolean;
  /** Dependencies as this process sees them: `heed_dependency_up{name}` is read from it at scrape time. */
  health?: Pick<DependencyHealth, 'statuses'>;
};

type DbSnapshot = {
  flags: { team: string; state: string; count: number }[];
  outboxDepth: number;
  outboxOldestAgeSeconds: number;
  syncLagSeconds: number | undefined;
  lastSuccessfulSyncSeconds: number | undefined;
};

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(deps: MetricsDeps = {}) {
  const registry = new Registry();
  const clock = deps.clock ?? (() => new Date());
  const registers = [registry];
  if (deps.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  // ---------------------------------------------------------------- HubSpot
  const hubspotRequests = new Counter({
    name: 'heed_hubspot_requests_total',
    help: 'HubSpot API calls (every attempt), by method, endpoint and HTTP status (or timeout/network)',
    labelNames: ['method', 'endpoint', 'status'] as const,
    registers,
  });
  const hubspotDuration = new Histogram({
    name: 'heed_hubspot_request_duration_seconds',
    help: 'Time for one HubSpot API call, by endpoint',
    labelNames: ['endpoint'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const hubspotRateLimitRemaining = new Gauge({
    name: 'heed_hubspot_ratelimit_remaining',
    help: 'Requests HubSpot still allows in the current window, from the last answer (window: ten_secondly, daily)',
    labelNames: ['window'] as const,
    registers,
  });
  const hubspotRateLimitMax = new Gauge({
    name: 'heed_hubspot_ratelimit_max',
    help: 'Requests HubSpot allows per window, from the last answer (window: ten_secondly, daily)',
    labelNames: ['window'] as const,
    registers,
  });
  const hubspotRateLimited = new Counter({
    name: 'heed_hubspot_rate_limited_total',
    help: 'HubSpot 429 answers, by policy (TEN_SECONDLY_ROLLING, SECONDLY, DAILY)',
    labelNames: ['policy'] as const,
    registers,
  });

  // ---------------------------------------------------------------- sync, evaluation, webhooks
  const syncRecords = new Counter({
    name: 'heed_sync_records_total',
    help: 'Records copied from HubSpot, by type',
    labelNames: ['type'] as const,
    registers,
  });
  const evaluationDuration = new Histogram({
    name: 'heed_evaluation_duration_seconds',
    help: 'Time for one SLA evaluation (read, compute, write), by mode (full, incremental)',
    labelNames: ['mode'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const webhookEvents = new Counter({
    name: 'heed_webhook_events_total',
    help: 'Incoming webhook events, by source (hubspot, slack)',
    labelNames: ['source'] as const,
    registers,
  });
  const webhookDuplicates = new Counter({
    name: 'heed_webhook_events_deduplicated_total',
    help: 'Incoming webhook events dropped as already seen, by source',
    labelNames: ['source'] as const,
    registers,
  });

  // ---------------------------------------------------------------- Slack
  const nudges = new Counter({
    name: 'heed_nudges_total',
    help: 'Nudge messages Slack accepted, by action (posted, updated, replied, dm, escalated)',
    labelNames: ['action'] as const,
    registers,
  });
  const slackCalls = new Counter({
    name: 'heed_slack_api_calls_total',
    help: 'Slack Web API calls made through the outbox, by method',
    labelNames: ['method'] as const,
    registers,
  });
  const slackErrors = new Counter({
    name: 'heed_slack_api_errors_total',
    help: 'Slack Web API errors, by method and code (Slack error code, ratelimited, http_<status>, request_error)',
    labelNames: ['method', 'code'] as const,
    registers,
  });

  // ---------------------------------------------------------------- the process and its HTTP edge
  const httpRefused = new Counter({
    name: 'heed_http_requests_refused_total',
    help: 'Incoming requests Heed did not process, by reason (aborted, too_large, busy, not_an_object, handler_error)',
    labelNames: ['reason'] as const,
    registers,
  });
  const processErrors = new Counter({
    name: 'heed_process_errors_total',
    help: 'Unhandled rejections and uncaught exceptions the process-level handler caught, by kind',
    labelNames: ['kind'] as const,
    registers,
  });
  const syncPaused = new Gauge({
    name: 'heed_sync_paused',
    help: '1 while HubSpot sync is paused because HubSpot refused the access token (401); each pass probes once',
    registers,
  });
  syncPaused.set(0);
  if (deps.health) {
    const health = deps.health;
    new Gauge({
      name: 'heed_dependency_up',
      help: 'Whether a dependency works as this process last saw it (1) or not (0), by name (slack, hubspot, …)',
      labelNames: ['name'] as const,
      registers,
      collect() {
        this.reset();
        for (const status of health.statuses()) this.set({ name: status.name }, status.up ? 1 : 0);
      },
    });
  }

  // ---------------------------------------------------------------- jobs
  const jobRuns = new Counter({
    name: 'heed_job_runs_total',
    help: 'Scheduled job runs finished, by job and outcome (succeeded, failed, lost)',
    labelNames: ['job', 'outcome'] as const,
    registers,
  });
  const jobFailures = new Counter({
    name: 'heed_job_failures_total',
    help: 'Scheduled job runs that failed, by job',
    labelNames: ['job'] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'heed_job_run_duration_seconds',
    help: 'Time for one scheduled job run, by job',
    labelNames: ['job'] as const,
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers,
  });
  const jobSkipped = new Counter({
    name: 'heed_job_runs_skipped_total',
    help: 'Job occurrences this replica did not run, by job and reason',
    labelNames: ['job', 'reason'] as const,
    registers,
  });

  // ---------------------------------------------------------------- from the database, at scrape time
  const collectErrors = new Counter({
    name: 'heed_metrics_collect_errors_total',
    help: 'Scrapes whose database gauges could not be read (the database did not answer in time or failed)',
    registers,
    // Waits for this scrape's read, so a failure shows in the same scrape.
    async collect() {
      await snapshot();
    },
  });
  const repo = deps.db ? new OpsRepo(deps.db) : undefined;
  const timeoutMs = deps.collectTimeoutMs ?? 2000;
  // One database read per scrape, shared by every gauge's collect() (prom-client calls them concurrently).
  let inflight: Promise<DbSnapshot | undefined> | undefined;
  const snapshot = (): Promise<DbSnapshot | undefined> => {
    if (!repo) return Promise.resolve(undefined);
    inflight ??= withTimeout(readSnapshot(repo, clock()), timeoutMs, 'reading metrics from the database')
      .catch((error: unknown) => {
        collectErrors.inc();
        deps.logger?.warn({ err: error }, 'metrics: database gauges unavailable for this scrape');
        return undefined;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  if (repo) registerDatabaseGauges(registers, snapshot, deps.teams ?? []);

  return {
    registry,
    hubspotRequests,
    hubspotDuration,
    hubspotRateLimitRemaining,
    hubspotRateLimitMax,
    hubspotRateLimited,
    syncRecords,
    evaluationDuration,
    webhookEvents,
    webhookDuplicates,
    nudges,
    slackCalls,
    slackErrors,
    jobRuns,
    jobFailures,
    jobDuration,
    jobSkipped,
    collectErrors,
    httpRefused,
    processErrors,
    syncPaused,
  };
}

/**
 * The gauges read from the database at scrape time (only when there is a database to read). A gauge without
 * labels is always exported, so an unknown value (the database did not answer, no ticket synced yet) is NaN
 * rather than a 0 that would read as "nothing queued"; labelled gauges are left out instead.
 */
function registerDatabaseGauges(
  registers: Registry[],
  snapshot: () => Promise<DbSnapshot | undefined>,
  teams: readonly string[],
): void {
  new Gauge({
    name: 'heed_flags_open',
    help: 'Open flags (at risk, breached, feedback pending or overdue), by team and state',
    labelNames: ['team', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      const data = await snapshot();
      if (!data) return;
      for (const team of teams) for (const state of OPEN_FLAG_STATES) this.set({ team, state }, 0);
      for (const row of data.flags) this.set({ team: row.team, state: row.state }, row.count);
    },
  });
  new Gauge({
    name: 'heed_outbox_depth',
    help: 'Slack messages queued and not yet sent',
    registers,
    async collect() {
      const data = await snapshot();
      this.set(data ? data.outboxDepth : Number.NaN);
    },
  });
  new Gauge({
    name: 'heed_outbox_oldest_age_seconds',
    help: 'Age of the oldest queued Slack message (0 when nothing is queued)',
    registers,
    async collect() {
      const data = await snapshot();
      this.set(data ? data.outboxOldestAgeSeconds : Number.NaN);
    },
  });
  new Gauge({
    name: 'heed_sync_lag_seconds',
    help: 'Now minus the newest HubSpot modification time Heed has synced (NaN before the first ticket)',
    registers,
    async collect() {
      const data = await snapshot();
      this.set(data?.syncLagSeconds ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'heed_sync_last_success_timestamp_seconds',
    help: 'When the last successful sync finished (Unix time; NaN before the first)',
    registers,
    async collect() {
      const data = await snapshot();
      this.set(data?.lastSuccessfulSyncSeconds ?? Number.NaN);
    },
  });
}

async function readSnapshot(repo: OpsRepo, now: Date): Promise<DbSnapshot> {
  const [flags, outbox, newest, lastOk] = await Promise.all([
    repo.openFlagCounts(),
    repo.outboxDepth(),
    repo.newestTicketModifiedAt(),
    repo.lastSuccessfulSync(),
  ]);
  const seconds = (ms: number) => Math.max(0, ms) / 1000;
  return {
    flags,
    outboxDepth: outbox.depth,
    outboxOldestAgeSeconds: outbox.oldestCreatedAt ? seconds(now.getTime() - outbox.oldestCreatedAt.getTime()) : 0,
    syncLagSeconds: newest ? seconds(now.getTime() - newest.getTime()) : undefined,
    lastSuccessfulSyncSeconds: lastOk?.finishedAt ? lastOk.finishedAt.getTime() / 1000 : undefined,
  };
}

/** GET /metrics in Prometheus text format. */
export function metricsRoute(metrics: Pick<Metrics, 'registry'>, logger?: Logger): Route {
  return {
    path: '/metrics',
    method: 'GET',
    handler: async (req: IncomingMessage, res: ServerResponse) => {
      const log = logger ? withRequestId(logger, req, res) : undefined;
      let text: string;
      try {
        text = await metrics.registry.metrics();
      } catch (error) {
        log?.error({ err: error }, 'metrics: scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
        return;
      }
      res
        .writeHead(200, {
          'content-type': metrics.registry.contentType,
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
        })
        .end(text);
    },
  };
}
