// Composition root: config → database → clients → listeners → schedules → server. Nothing else wires
// dependencies together; everything below receives what it needs as arguments.
//
// Start-up degrades instead of dying when a vendor is down: the HTTP server (probes, webhooks, Slack's requests)
// comes up first and does not wait for Slack or HubSpot. Each vendor has a dependency watch that retries with
// backoff and reports to the dependency registry, which /readyz and /metrics read. Slack's side (the outbox)
// starts the moment auth.test answers; HubSpot's side (a sync now, then the schedule) the moment HubSpot answers,
// and neither waits for the other. A configuration error (a missing token) still stops start-up with one message.
import { hostname } from 'node:os';
import { type Config, databaseProvider, requireServerEnv } from './config.ts';
import { type Db, openDatabase, sqlitePath } from './db/client.ts';
import { acquireSqliteInstanceLock } from './db/instance-lock.ts';
import { HUBSPOT_MAX_BODY_BYTES } from './http/body.ts';
import { healthRoute, type Route } from './http/routes.ts';
import { type EdgeEvents, type RunningServer, startHttpServer } from './http/server.ts';
import { HubspotError } from './hubspot/client.ts';
import { type HeedJobHandlers, heedJobs } from './jobs/heed-jobs.ts';
import { createScheduler, type Scheduler } from './jobs/scheduler.ts';
import type { Logger } from './logger.ts';
import { createDependencyHealth, type DependencyHealth } from './ops/dependency-health.ts';
import { type DependencyWatch, watchDependency } from './ops/dependency-watch.ts';
import {
  countSlackEventDeliveries,
  hubspotMetrics,
  instrumentSlackApi,
  recordEvaluation,
  recordSync,
  recordWebhook,
  schedulerMetrics,
} from './ops/metric-adapters.ts';
import { createMetrics, metricsRoute } from './ops/metrics.ts';
import { outboxMetrics } from './ops/outbox-metrics.ts';
import { readinessRoute } from './ops/readiness.ts';
import type { RequestContext } from './ops/request-context.ts';
import { retentionJob } from './ops/retention-job.ts';
import { digestJobHandlers } from './services/digest-jobs.ts';
import { evaluate } from './services/evaluate.ts';
import { createSlaEngine } from './services/evaluate-engine.ts';
import { reconcileNudges } from './services/nudge.ts';
import { createSlackSide, type SlackSide } from './services/slack-setup.ts';
import { describeHubspotFailure, HUBSPOT_DEPENDENCY, isTokenRejected, SyncGate } from './services/sync-gate.ts';
import { journalJob } from './services/sync-journal.ts';
import { createHubspotSync, type HubspotSync } from './services/sync-setup.ts';
import { createSlackApp, describeSlackFailure, type SlackApp } from './slack/app.ts';

export type RunningHeed = {
  port: number;
  db: Db;
  scheduler: Scheduler;
  /** The dependencies as this process sees them (what /readyz reports). */
  health: DependencyHealth;
  /** Resolves once Slack answered auth.test and the outbox runs. */
  slackReady(): Promise<void>;
  /** For the process-level handler (src/ops/process-guard.ts): `heed_process_errors_total{kind}`. */
  countProcessError(kind: string): void;
  /** Stops accepting requests, lets running work finish, closes the database. Safe to call twice. */
  stop(): Promise<void>;
};

export type StartOptions = {
  config: Config;
  logger: Logger;
  port?: number;
  /** Skip the schedules (tests that drive jobs by hand). */
  schedules?: boolean;
  /** Gives each HTTP request an id that the logger's mixin puts on every line logged while handling it. */
  requestContext?: RequestContext;
  /** How the dependency watches back off (tests shorten it). */
  retry?: { initialDelayMs?: number; maxDelayMs?: number };
};

export const SLACK_DEPENDENCY = 'slack';

function hubspotWebhookRoute(hubspot: HubspotSync, metrics: ReturnType<typeof createMetrics>): Route {
  return {
    path: '/hubspot/webhooks',
    method: 'POST',
    maxBodyBytes: HUBSPOT_MAX_BODY_BYTES,
    handler: async (req, res) => {
      recordWebhook(metrics, 'hubspot', await hubspot.webhookHandler(req, res));
    },
  };
}

export async function startHeed(options: StartOptions): Promise<RunningHeed> {
  const { config, logger } = options;
  const { env, policy } = config;
  // A configuration error, unlike an outage, stops start-up: one message naming every missing variable.
  requireServerEnv(env);
  for (const notice of config.notices) logger.warn(notice);

  const url = env.DATABASE_URL;
  const instanceLock = databaseProvider(url) === 'sqlite' ? acquireSqliteInstanceLock(sqlitePath(url)) : undefined;
  const db = await openDatabase(url, { migrate: true }).catch((error: unknown) => {
    instanceLock?.release();
    throw error;
  });
  const now = () => new Date();
  const health = createDependencyHealth(now, { logger: logger.child({ component: 'dependencies' }) });
  const metrics = createMetrics({ db, teams: policy.teams.map((t) => t.name), clock: now, logger, health });
  const edgeEvents: EdgeEvents = { refused: (reason) => metrics.httpRefused.inc({ reason }) };
  const schedulesOn = options.schedules !== false;
  // Bound once the scheduler exists (the HubSpot watch may answer before that).
  let runSyncNow: () => void = () => undefined;

  // HubSpot: the one client of this process, the sync service behind its gate, the webhook endpoint, and the watch
  // that waits out an outage.
  const hubspotLogger = logger.child({ component: 'hubspot' });
  let hubspot: HubspotSync | undefined;
  let hubspotWatch: DependencyWatch | undefined;
  const gate = new SyncGate({
    probe: () => hubspot!.probe(),
    logger: hubspotLogger,
    health,
    onPausedChange: (paused) => metrics.syncPaused.set(paused ? 1 : 0),
    onUnavailable: (error) => hubspotWatch?.failed(error),
    onReopened: () => hubspot?.drainer.kick(0),
  });
  hubspot = createHubspotSync({
    config,
    accessToken: env.HUBSPOT_ACCESS_TOKEN!,
    db,
    logger: hubspotLogger,
    metrics: hubspotMetrics(metrics),
    gate,
  });
  const hubspotSide = hubspot;
  hubspotWatch = watchDependency({
    name: HUBSPOT_DEPENDENCY,
    // While sync is paused on a rejected token, HubSpot answering is not HubSpot working: the gate's reason stays.
    health: {
      report: (name, problem) => {
        if (!problem && gate.state === 'auth-paused') return;
        health.report(name, problem);
      },
    },
    logger: hubspotLogger,
    pending: { code: 'starting', message: 'checking that HubSpot answers' },
    // A 401 is an answer: HubSpot is up, and the gate pauses sync on it instead of this watch retrying.
    check: async () => {
      try {
        await hubspotSide.probe();
      } catch (error) {
        if (!isTokenRejected(error)) throw error;
        gate.failed(error);
      }
    },
    describe: describeHubspotFailure,
    initialDelayMs: options.retry?.initialDelayMs ?? 2000,
    maxDelayMs: options.retry?.maxDelayMs ?? 60_000,
    onUp: () => {
      if (gate.state === 'auth-paused') return;
      gate.reopen();
      runSyncNow();
    },
  });

  // Slack: the Bolt app (HTTP or Socket Mode) whose /slack/events is served below, and the outbox.
  const engine = createSlaEngine(policy);
  // Names this process in job leases and runs, and in the Slack channel pacing leases replicas share.
  const holder = `${hostname()}:${process.pid}`;
  const slackLogger = logger.child({ component: 'slack' });
  const side: SlackSide | undefined = createSlackSide({
    config,
    db,
    holder,
    logger: slackLogger,
    instrument: (web) => instrumentSlackApi(web, metrics),
    instrumentRepo: (repo) => countSlackEventDeliveries(repo, metrics),
    // A refused token pauses the outbox: its reason shows in /readyz and heed_outbox_paused, nothing is dropped.
    outbox: { health, metrics: outboxMetrics(metrics) },
  });
  const slack: SlackApp | undefined = createSlackApp({
    env: { ...env, PORT: options.port ?? env.PORT },
    logger: slackLogger,
    ...(options.requestContext ? { requestContext: options.requestContext } : {}),
    services: side.services,
    events: edgeEvents,
  });

  const routes: Route[] = [
    healthRoute({ db, logger }),
    readinessRoute({ db, config, clock: now, logger, health }),
    metricsRoute(metrics, logger),
    hubspotWebhookRoute(hubspot, metrics),
    ...(slack.eventsRoute ? [slack.eventsRoute] : []),
  ];
  const httpRoutes = options.requestContext ? options.requestContext.wrap(routes, logger) : routes;
  let server: RunningServer;
  try {
    server = await startHttpServer({ routes: httpRoutes, port: options.port ?? env.PORT, logger, events: edgeEvents });
  } catch (error) {
    await db.close();
    instanceLock?.release();
    throw error;
  }
  const port = server.port;

  // The digests (src/services/digest-jobs.ts): composed from an evaluation of the present, and not before the
  // first HubSpot sync since this start has finished. Without Slack there is nowhere to post them.
  const digests = side
    ? digestJobHandlers({
        db,
        config,
        logger: logger.child({ component: 'digest' }),
        engine,
        outbox: side.repo,
        users: side.nudgeDeps.users,
        readiness: { startedAt: now(), requireSync: hubspot !== undefined },
      })
    : undefined;
  // What each scheduled job does; when (and that it runs once across replicas) is the scheduler's business.
  let dailyLimitResetsAt: Date | undefined;
  const handlers: HeedJobHandlers = {
    sync: async (ctx) => {
      if (!hubspot) return;
      if (dailyLimitResetsAt && ctx.now < dailyLimitResetsAt) {
        ctx.logger.info({ resetsAt: dailyLimitResetsAt.toISOString() }, 'sync skipped: HubSpot daily limit used up');
        return;
      }
      try {
        recordSync(metrics, await hubspot.service.run());
        dailyLimitResetsAt = undefined;
      } catch (error) {
        // Everything synced so far is saved; the next pass after the reset resumes from the stored cursor.
        if (error instanceof HubspotError && error.code === 'HUBSPOT_DAILY_LIMIT') dailyLimitResetsAt = error.resetAt;
        throw error;
      }
    },
    evaluate: async (ctx) => {
      const result = await evaluate({ db, config, logger: ctx.logger, engine }, ctx.now);
      recordEvaluation(metrics, result.stats);
      if (side) await reconcileNudges({ ...side.nudgeDeps, logger: ctx.logger }, ctx.now);
    },
    digest: async (team, ctx) => digests?.digest(team, ctx),
    weeklyReport: async (team, ctx) => digests?.weeklyReport(team, ctx),
  };
  const scheduler = createScheduler({
    db,
    logger: logger.child({ component: 'jobs' }),
    holder,
    metrics: schedulerMetrics(metrics),
  });
  for (const job of heedJobs(policy, handlers, { db })) scheduler.add(job);
  // A project app's client id and secret: changes arrive through the webhooks journal within seconds.
  if (hubspot?.journal) scheduler.add(journalJob(hubspot.journal));
  scheduler.add(retentionJob({ db, config }));
  if (schedulesOn) {
    runSyncNow = () => {
      scheduler
        .runNow('sync')
        .catch((error: unknown) =>
          hubspotLogger.error({ err: error }, 'could not start a sync after HubSpot answered'),
        );
    };
  }

  // The outbox drains continuously once Slack answers (a crash between "posted" and "recorded" is recovered first,
  // which reads Slack's history, so it waits for Slack too).
  const outboxStop = new AbortController();
  let outboxLoop: Promise<void> | undefined;
  const startOutbox = () => {
    if (outboxLoop || !side || outboxStop.signal.aborted) return;
    const box = side.outbox;
    outboxLoop = (async () => {
      await box.recover().catch((error: unknown) => logger.error({ err: error }, 'outbox: recovery failed'));
      await box.run(outboxStop.signal);
    })().catch((error: unknown) => logger.error({ err: error }, 'outbox: the drain loop stopped'));
  };
  const slackApp = slack;
  let slackUp: () => void = () => undefined;
  const slackStarted = new Promise<void>((resolveUp) => {
    slackUp = resolveUp;
  });
  const slackWatch = watchDependency({
    name: SLACK_DEPENDENCY,
    health,
    logger: slackLogger,
    pending: { code: 'starting', message: 'checking the bot token with auth.test' },
    check: () => slackApp.connect(),
    describe: describeSlackFailure,
    initialDelayMs: options.retry?.initialDelayMs ?? 1000,
    // Seconds, not minutes: Heed is ready again within seconds of Slack's return.
    maxDelayMs: options.retry?.maxDelayMs ?? 5000,
    onUp: ({ first }) => {
      if (!first) slackLogger.info('Slack answers: the outbox starts');
      startOutbox();
      slackUp();
    },
  });

  // Webhook events queued before a restart are fetched now rather than at the next delivery.
  hubspot?.drainer.kick(0);
  if (schedulesOn) await scheduler.start();
  slackWatch.start();
  hubspotWatch.start();
  logger.info(
    {
      port,
      database: db.provider,
      slack: slack ? (env.SLACK_APP_TOKEN ? 'socket' : 'http') : 'off',
      hubspot: Boolean(hubspot),
    },
    'Heed is listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('Heed is stopping');
      await slackWatch.stop();
      await hubspotWatch?.stop();
      await scheduler.stop();
      outboxStop.abort();
      await outboxLoop;
      await hubspot?.drainer.stop();
      await slack?.stop();
      await server.close();
      await db.close();
      instanceLock?.release();
      logger.info('Heed stopped');
    })();
    return stopping;
  };
  return {
    port,
    db,
    scheduler,
    health,
    slackReady: () => slackStarted,
    countProcessError: (kind) => metrics.processErrors.inc({ kind }),
    stop,
  };
}
