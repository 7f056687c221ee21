// Composition root: config → database → clients → listeners → schedules → server. Nothing else wires
// dependencies together; everything below receives what it needs as arguments.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { type Config, databaseProvider } from './config.ts';
import { type Db, openDatabase, sqlitePath } from './db/client.ts';
import { acquireSqliteInstanceLock } from './db/instance-lock.ts';
import { healthRoute, type Route, sendJson, startRouteServer } from './http/routes.ts';
import { HubspotError } from './hubspot/client.ts';
import { type HeedJobHandlers, heedJobs } from './jobs/heed-jobs.ts';
import { createScheduler, type Scheduler } from './jobs/scheduler.ts';
import type { Logger } from './logger.ts';
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
import { readinessRoute } from './ops/readiness.ts';
import type { RequestContext } from './ops/request-context.ts';
import { retentionJob } from './ops/retention-job.ts';
import { digestJobHandlers } from './services/digest-jobs.ts';
import { evaluate } from './services/evaluate.ts';
import { createSlaEngine } from './services/evaluate-engine.ts';
import { reconcileNudges } from './services/nudge.ts';
import { createSlackSide, type SlackSide } from './services/slack-setup.ts';
import { journalJob } from './services/sync-journal.ts';
import { createHubspotSync, type HubspotSync } from './services/sync-setup.ts';
import { createSlackApp, type SlackApp } from './slack/app.ts';

export type RunningHeed = {
  port: number;
  db: Db;
  scheduler: Scheduler;
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
};

/** POST /hubspot/webhooks when HubSpot sync is off: the endpoint does not exist. */
const noWebhooksRoute: Route = {
  path: '/hubspot/webhooks',
  method: 'POST',
  handler: (_req: IncomingMessage, res: ServerResponse) => sendJson(res, 404, { error: 'not_found' }),
};

function hubspotWebhookRoute(hubspot: HubspotSync, metrics: ReturnType<typeof createMetrics>): Route {
  return {
    path: '/hubspot/webhooks',
    method: 'POST',
    handler: async (req, res) => {
      recordWebhook(metrics, 'hubspot', await hubspot.webhookHandler(req, res));
    },
  };
}

export async function startHeed(options: StartOptions): Promise<RunningHeed> {
  const { config, logger } = options;
  const { env, policy } = config;
  for (const notice of config.notices) logger.warn(notice);

  const url = env.DATABASE_URL;
  const instanceLock = databaseProvider(url) === 'sqlite' ? acquireSqliteInstanceLock(sqlitePath(url)) : undefined;
  const db = await openDatabase(url, { migrate: true }).catch((error: unknown) => {
    instanceLock?.release();
    throw error;
  });
  const now = () => new Date();
  const metrics = createMetrics({ db, teams: policy.teams.map((t) => t.name), clock: now, logger });

  // HubSpot: the one client of this process, the sync service and the webhook endpoint.
  let hubspot: HubspotSync | undefined;
  if (env.HUBSPOT_ACCESS_TOKEN) {
    hubspot = createHubspotSync({
      config,
      accessToken: env.HUBSPOT_ACCESS_TOKEN,
      db,
      logger: logger.child({ component: 'hubspot' }),
      metrics: hubspotMetrics(metrics),
    });
  } else {
    logger.warn('HUBSPOT_ACCESS_TOKEN is not set: HubSpot sync is off (set it and restart to sync tickets)');
  }
  const routes: Route[] = [
    healthRoute({ db, logger }),
    readinessRoute({ db, config, clock: now, logger, requireSync: hubspot !== undefined }),
    metricsRoute(metrics, logger),
    hubspot ? hubspotWebhookRoute(hubspot, metrics) : noWebhooksRoute,
  ];
  const httpRoutes = options.requestContext ? options.requestContext.wrap(routes, logger) : routes;

  // Slack: the Bolt app (HTTP or Socket Mode) with the routes above on the same port, and the outbox.
  const engine = createSlaEngine(policy);
  // Names this process in job leases and runs, and in the Slack channel pacing leases replicas share.
  const holder = `${hostname()}:${process.pid}`;
  let slack: SlackApp | undefined;
  let side: SlackSide | undefined;
  let server: Server | undefined;
  let port: number;
  if (env.SLACK_BOT_TOKEN) {
    const slackLogger = logger.child({ component: 'slack' });
    side = createSlackSide({
      config,
      db,
      holder,
      logger: slackLogger,
      instrument: (web) => instrumentSlackApi(web, metrics),
      instrumentRepo: (repo) => countSlackEventDeliveries(repo, metrics),
    });
    slack = createSlackApp({
      env: { ...env, PORT: options.port ?? env.PORT },
      logger: slackLogger,
      customRoutes: httpRoutes,
      ...(options.requestContext ? { requestContext: options.requestContext } : {}),
      services: side.services,
    });
    port = (await slack.start(options.port ?? env.PORT)).port ?? options.port ?? env.PORT;
  } else {
    logger.warn('SLACK_BOT_TOKEN is not set: Slack is off (no nudges or digests are posted); serving HTTP routes only');
    const started = await startRouteServer(httpRoutes, options.port ?? env.PORT, logger);
    server = started.server;
    port = started.port;
  }

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

  // The outbox drains continuously (a crash between "posted" and "recorded" is recovered first).
  const outboxStop = new AbortController();
  let outboxLoop: Promise<void> | undefined;
  if (side) {
    const box = side.outbox;
    outboxLoop = (async () => {
      await box.recover().catch((error: unknown) => logger.error({ err: error }, 'outbox: recovery failed'));
      await box.run(outboxStop.signal);
    })();
  }
  // Webhook events queued before a restart are fetched now rather than at the next delivery.
  hubspot?.drainer.kick(0);
  if (options.schedules !== false) await scheduler.start();
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
      await scheduler.stop();
      outboxStop.abort();
      await outboxLoop;
      await hubspot?.drainer.stop();
      await slack?.stop();
      if (server) await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await db.close();
      instanceLock?.release();
      logger.info('Heed stopped');
    })();
    return stopping;
  };
  return { port, db, scheduler, stop };
}
