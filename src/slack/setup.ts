// Wires the Slack side for a process: the Web API client, the outbox every write goes through, the nudge
// reconciler's dependencies and the listeners' services. main.ts (`heed start`) and `heed nudge` call this once.

import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { FlagsReadRepo } from '../db/flags-read-repo.ts';
import { HubspotUserRepo } from '../db/hubspot-user-repo.ts';
import { channelLeasesFrom, JobsRepo } from '../db/jobs-repo.ts';
import { SlackRepo } from '../db/slack-repo.ts';
import type { Logger } from '../logger.ts';
import type { ActionDeps } from './actions.ts';
import { createSlackWebClient } from './app.ts';
import { AwayRouter } from './away-router.ts';
import { DailyLists } from './daily-list.ts';
import { digestForSlack } from './digest-post.ts';
import type { SlackServices } from './listeners/services.ts';
import { EphemeralNotes } from './notes.ts';
import { Outbox, type OutboxOptions, type SlackApi } from './outbox.ts';
import { SharedStatePermissions } from './permissions.ts';
import { claimSettingsOf, type NudgeDeps } from './reconcile-nudges.ts';
import { slackTeams } from './teams.ts';
import { SlackUserDirectory, USERS_INFO_TIMEOUT_MS } from './users.ts';

export type SlackSide = {
  repo: SlackRepo;
  outbox: Outbox;
  nudgeDeps: NudgeDeps;
  services: SlackServices;
  /** Slack users by email and back (the write-back finds a claimer's HubSpot owner through it). */
  users: SlackUserDirectory;
  /** The personal morning lists: `/heed daily` and the `daily-lists` job. */
  daily: DailyLists;
};

export function createSlackSide(deps: {
  config: Config;
  db: Db;
  logger: Logger;
  clock?: Clock;
  /** Wraps the Web API client the outbox writes through (metrics). */
  instrument?: (slack: SlackApi) => SlackApi;
  /** Wraps the repository the listeners deduplicate deliveries with (metrics). */
  instrumentRepo?: (repo: SlackRepo) => SlackRepo;
  /**
   * Names this process in the outbox's row claims and the per-channel pacing leases every replica shares,
   * e.g. `${hostname()}:${pid}`.
   */
  holder: string;
  /** Where the outbox reports a pause (readiness), its figures (metrics), and how often it probes a refused token. */
  outbox?: Pick<OutboxOptions, 'health' | 'metrics' | 'probeIntervalMs' | 'maxProbeIntervalMs'>;
}): SlackSide {
  const { config, db, logger } = deps;
  const { env, policy } = config;
  const clock = deps.clock ?? systemClock;
  const teams = slackTeams(policy);
  const repo = deps.instrumentRepo ? deps.instrumentRepo(new SlackRepo(db)) : new SlackRepo(db);
  const reads = new FlagsReadRepo(db);
  const web = createSlackWebClient(env, logger);
  const interactiveSlack = createSlackWebClient(env, logger, { timeout: USERS_INFO_TIMEOUT_MS });
  const users = new SlackUserDirectory({
    repo,
    slack: web,
    interactiveSlack,
    people: policy.people,
    logger,
    statusMaxAgeMs: policy.away.statusCacheMinutes * 60_000,
  });
  const outbox = new Outbox({
    repo,
    slack: deps.instrument ? deps.instrument(web) : web,
    clock,
    logger,
    holder: deps.holder,
    channelLeases: channelLeasesFrom(new JobsRepo(db), deps.holder),
    ...deps.outbox,
  });
  const routing = new AwayRouter({ users, hubspotUsers: new HubspotUserRepo(db), settings: policy.away });
  const nudgeDeps: NudgeDeps = {
    repo,
    reads,
    users,
    teams,
    logger,
    settings: policy.nudges,
    routing,
    claims: claimSettingsOf(policy),
  };
  const actions: ActionDeps = {
    repo,
    teams,
    logger,
    nudges: nudgeDeps,
    permissions: new SharedStatePermissions({ slack: web, logger, now: () => clock.now() }),
    notes: new EphemeralNotes({ slack: web, logger, now: () => clock.now() }),
  };
  const daily = new DailyLists({ db, outbox: repo, users, teams, policy, slack: web, interactiveSlack, logger });
  const services: SlackServices = {
    clock,
    logger,
    teams,
    repo,
    queries: { reads, repo, users, teams, status: { db, config } },
    actions,
    // `/digest`: composed from an evaluation of the present, with owners looked up like the nudges', and only
    // once a HubSpot sync begun after this start has finished; `/digest post` again corrects it in place.
    ...digestForSlack({
      db,
      config,
      outbox: repo,
      slack: web,
      users,
      logger,
      readiness: { startedAt: clock.now(), requireSync: env.HUBSPOT_ACCESS_TOKEN !== undefined },
    }),
    daily,
  };
  return { repo, outbox, nudgeDeps, services, users, daily };
}
