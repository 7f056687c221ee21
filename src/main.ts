// Composition root: config → database → clients → listeners → schedules → server. It wires and does not decide:
// what a job does, how the outbox runs and when a sync waits are in the modules their tests drive (sync-job.ts,
// digest-jobs.ts, outbox-loop.ts); each vendor side is assembled by its own setup (sync-setup.ts, slack/setup.ts).
// Everything receives what it needs as arguments, time included (one clock, StartOptions.clock).
//
// Start-up degrades instead of dying when a vendor is down: the HTTP server (probes, webhooks, Slack's requests)
// comes up first and does not wait for Slack or HubSpot. Each vendor has a dependency watch that retries with
// backoff and reports to the dependency registry, which /readyz and /metrics read. Slack's side (the outbox)
// starts the moment auth.test answers; HubSpot's side (a sync now, then the schedule) the moment HubSpot answers,
// and neither waits for the other. A configuration error (a missing token) still stops start-up with one message,
// and a start-up that fails half way stops what it had started (lock, database, server) before it throws.
import { hostname } from 'node:os';
import { type Clock, systemClock } from './clock.ts';
import { type Config, databaseProvider, requireServerEnv, writesBack } from './config.ts';
import { type Db, openDatabase, sqlitePath } from './db/client.ts';
import { acquireSqliteInstanceLock } from './db/instance-lock.ts';
import { WriteBackRepo } from './db/write-back-repo.ts';
import { HUBSPOT_MAX_BODY_BYTES } from './http/body.ts';
import { healthRoute, type Route } from './http/routes.ts';
import { type EdgeEvents, startHttpServer } from './http/server.ts';
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
import { evaluate } from './services/evaluate.ts';
import { createSlaEngine } from './services/evaluate-engine.ts';
import { describeHubspotFailure, HUBSPOT_DEPENDENCY, isTokenRejected, SyncGate } from './services/sync-gate.ts';
import { syncJob } from './services/sync-job.ts';
import { journalJob } from './services/sync-journal.ts';
import { createHubspotSync, type HubspotSync } from './services/sync-setup.ts';
import { createSlackApp, describeSlackFailure } from './slack/app.ts';
import { digestJobHandlers } from './slack/digest-jobs.ts';
import { outboxLoop } from './slack/outbox-loop.ts';
import { reconcileNudges } from './slack/reconcile-nudges.ts';
import { createSlackSide } from './slack/setup.ts';
import { WriteBack } from './slack/write-back.ts';

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
  /**
   * The one clock of this process: jobs' `now`, HubSpot's client and its daily-limit reset, the outbox's pacing,
   * readiness and metrics (tests move it). The dependency watches' backoff stays on the wall clock.
   */
  clock?: Clock;
};

export const SLACK_DEPENDENCY = 'slack';

function hubspotWebhookRoute(hubspot: HubspotSync, metrics: ReturnType<typeof createMetrics>): Route {
  return {
    path: '/hubspot/webhooks',
    method: 'POST',
    maxBodyBytes: HUBSPOT_MAX_BODY_BYTES,
    handler: async (req, res) => {
      const outcome = await hubspot.webhookHandler(req, res);
      // A body refused while it streamed in (the declared-too-large one is counted by the route guard).
      if (outcome.refused) metrics.httpRefused.inc({ reason: outcome.refused });
      recordWebhook(metrics, 'hubspot', outcome);
    },
  };
}

/**
 * What start-up has started, stopped in the reverse order: by `stop()`, or at once when start-up fails half way,
 * so a failed start leaves no instance lock held, no database open and no port bound, and the next start works.
 * A step that fails to stop is logged and the rest still stop.
 */
function stopStack(logger: Logger) {
  const steps: { what: string; stop: () => unknown }[] = [];
  return {
    push(what: string, stop: () => unknown): void {
      steps.push({ what, stop });
    },
    async unwind(): Promise<unknown[]> {
      const errors: unknown[] = [];
      for (let step = steps.pop(); step; step = steps.pop()) {
        try {
          await step.stop();
        } catch (error) {
          errors.push(error);
          logger.error({ err: error }, `stopping ${step.what} failed`);
        }
      }
      return errors;
    },
  };
}

export async function startHeed(options: StartOptions): Promise<RunningHeed> {
  const { config, logger } = options;
  const { env } = config;
  // A configuration error, unlike an outage, stops start-up: one message naming every missing variable.
  requireServerEnv(env);
  for (const notice of config.notices) logger.warn(notice);

  const url = env.DATABASE_URL;
  const instanceLock = databaseProvider(url) === 'sqlite' ? acquireSqliteInstanceLock(sqlitePath(url)) : undefined;
  const started = stopStack(logger);
  if (instanceLock) started.push('the instance lock', () => instanceLock.release());
  try {
    return await startParts(options, started);
  } catch (error) {
    await started.unwind();
    throw error;
  }
}

async function startParts(options: StartOptions, started: ReturnType<typeof stopStack>): Promise<RunningHeed> {
  const { config, logger } = options;
  const { env, policy } = config;
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const db = await openDatabase(env.DATABASE_URL, { migrate: true });
  started.push('the database', () => db.close());
  const health = createDependencyHealth(now, { logger: logger.child({ component: 'dependencies' }) });
  const metrics = createMetrics({ db, teams: policy.teams.map((t) => t.name), clock: now, logger, health });
  const edgeEvents: EdgeEvents = { refused: (reason) => metrics.httpRefused.inc({ reason }) };
  const schedulesOn = options.schedules !== false;
  // Bound once the scheduler exists (the HubSpot watch may answer before that).
  let runSyncNow: () => void = () => undefined;

  // HubSpot: the one client of this process, the sync service behind its gate, the webhook endpoint, and the watch
  // that waits out an outage.
  const hubspotLogger = logger.child({ component: 'hubspot' });
  let hubspotWatch: DependencyWatch | undefined;
  // Assigned just below: the gate probes through the client it guards.
  let probeHubspot: () => Promise<void> = () => Promise.resolve();
  const gate = new SyncGate({
    probe: () => probeHubspot(),
    logger: hubspotLogger,
    health,
    onPausedChange: (paused) => metrics.syncPaused.set(paused ? 1 : 0),
    onUnavailable: (error) => hubspotWatch?.failed(error),
    onReopened: () => hubspot.drainer.kick(0),
  });
  const hubspot = createHubspotSync({
    config,
    accessToken: env.HUBSPOT_ACCESS_TOKEN!,
    db,
    clock,
    logger: hubspotLogger,
    metrics: hubspotMetrics(metrics),
    gate,
  });
  probeHubspot = () => hubspot.probe();
  started.push('the webhook drainer', () => hubspot.drainer.stop());
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
        await hubspot.probe();
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
  const side = createSlackSide({
    config,
    db,
    clock,
    holder,
    logger: slackLogger,
    instrument: (web) => instrumentSlackApi(web, metrics),
    instrumentRepo: (repo) => countSlackEventDeliveries(repo, metrics),
    // A refused token pauses the outbox: its reason shows in /readyz and heed_outbox_paused, nothing is dropped.
    outbox: { health, metrics: outboxMetrics(metrics) },
  });
  // Claims and ✅ written back to HubSpot (off by default): queued by the acts, sent by this runner.
  if (writesBack(policy.hubspot.writeBack)) {
    const writeBack = new WriteBack({
      repo: new WriteBackRepo(db),
      slack: side.repo,
      api: hubspot.api,
      users: side.users,
      settings: policy.hubspot.writeBack,
      logger: logger.child({ component: 'write-back' }),
      clock,
    });
    side.services.actions.writeBack = writeBack;
    writeBack.start();
    started.push('the HubSpot write-back', () => writeBack.stop());
  }
  const slack = createSlackApp({
    env: { ...env, PORT: options.port ?? env.PORT },
    logger: slackLogger,
    ...(options.requestContext ? { requestContext: options.requestContext } : {}),
    services: side.services,
    events: edgeEvents,
  });
  started.push('the Slack app', () => slack.stop());

  const routes: Route[] = [
    healthRoute({ db, logger }),
    readinessRoute({ db, config, clock: now, logger, health }),
    metricsRoute(metrics, logger),
    hubspotWebhookRoute(hubspot, metrics),
    ...(slack.eventsRoute ? [slack.eventsRoute] : []),
  ];
  const httpRoutes = options.requestContext ? options.requestContext.wrap(routes, logger) : routes;
  const server = await startHttpServer({
    routes: httpRoutes,
    port: options.port ?? env.PORT,
    logger,
    events: edgeEvents,
  });
  started.push('the HTTP server', () => server.close());

  // The outbox drains continuously once Slack answers (src/slack/outbox-loop.ts); stopped after the scheduler, so
  // the jobs' last messages are queued before it goes.
  const outbox = outboxLoop(side.outbox, slackLogger);
  started.push('the outbox', () => outbox.stop());

  // What each scheduled job does, each in the module its tests drive: the sync (waiting out HubSpot's daily
  // limit, src/services/sync-job.ts), the evaluation and nudges, the digests (src/slack/digest-jobs.ts: not before
  // the first HubSpot sync since this start). When they run (and that each runs once across replicas) is the
  // scheduler's business.
  const digests = digestJobHandlers({
    db,
    config,
    logger: logger.child({ component: 'digest' }),
    engine,
    outbox: side.repo,
    users: side.nudgeDeps.users,
    clock: now,
    readiness: { startedAt: now(), requireSync: true },
  });
  const handlers: HeedJobHandlers = {
    sync: syncJob({ run: () => hubspot.service.run(), onStats: (stats) => recordSync(metrics, stats) }),
    evaluate: async (ctx) => {
      const result = await evaluate({ db, config, logger: ctx.logger, engine }, ctx.now);
      recordEvaluation(metrics, result.stats);
      await reconcileNudges({ ...side.nudgeDeps, logger: ctx.logger }, ctx.now);
    },
    digest: (team, ctx) => digests.digest(team, ctx),
    weeklyReport: (team, ctx) => digests.weeklyReport(team, ctx),
    dailyLists: async (ctx) => {
      await side.daily.run(ctx.now, ctx.logger);
    },
  };
  const scheduler = createScheduler({
    db,
    logger: logger.child({ component: 'jobs' }),
    holder,
    clock: now,
    metrics: schedulerMetrics(metrics),
  });
  started.push('the scheduler', () => scheduler.stop());
  for (const job of heedJobs(policy, handlers, { db })) scheduler.add(job);
  // A project app's client id and secret: changes arrive through the webhooks journal within seconds.
  if (hubspot.journal) scheduler.add(journalJob(hubspot.journal));
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

  let slackUp: () => void = () => undefined;
  const slackStarted = new Promise<void>((resolveUp) => {
    slackUp = resolveUp;
  });
  const slackWatch = watchDependency({
    name: SLACK_DEPENDENCY,
    health,
    logger: slackLogger,
    pending: { code: 'starting', message: 'checking the bot token with auth.test' },
    check: () => slack.connect(),
    describe: describeSlackFailure,
    initialDelayMs: options.retry?.initialDelayMs ?? 1000,
    // Seconds, not minutes: Heed is ready again within seconds of Slack's return.
    maxDelayMs: options.retry?.maxDelayMs ?? 5000,
    onUp: ({ first }) => {
      if (!first) slackLogger.info('Slack answers: the outbox starts');
      outbox.start();
      slackUp();
    },
  });

  // Webhook events queued before a restart are fetched now rather than at the next delivery.
  hubspot.drainer.kick(0);
  if (schedulesOn) await scheduler.start();
  // Stopped first: neither starts work (a sync, the outbox) once stopping has begun.
  started.push('the dependency watches', async () => {
    await slackWatch.stop();
    await hubspotWatch.stop();
  });
  slackWatch.start();
  hubspotWatch.start();
  logger.info(
    { port: server.port, database: db.provider, slack: env.SLACK_APP_TOKEN ? 'socket' : 'http', hubspot: true },
    'Heed is listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('Heed is stopping');
      const [failure] = await started.unwind();
      if (failure !== undefined) throw failure;
      logger.info('Heed stopped');
    })();
    return stopping;
  };
  return {
    port: server.port,
    db,
    scheduler,
    health,
    slackReady: () => slackStarted,
    countProcessError: (kind) => metrics.processErrors.inc({ kind }),
    stop,
  };
}
