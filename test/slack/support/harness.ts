// Runs the real Heed Slack app on a free port against a fake Slack Web API and a fresh database.

import { manualClock } from '../../../src/clock.ts';
import { parsePolicy } from '../../../src/config.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { FlagsReadRepo } from '../../../src/db/flags-read-repo.ts';
import { HubspotUserRepo } from '../../../src/db/hubspot-user-repo.ts';
import { SlackRepo } from '../../../src/db/slack-repo.ts';
import type { ActionDeps } from '../../../src/slack/actions.ts';
import { createSlackApp, createSlackWebClient, type SlackApp } from '../../../src/slack/app.ts';
import { AwayRouter } from '../../../src/slack/away-router.ts';
import { DailyLists } from '../../../src/slack/daily-list.ts';
import { digestForSlack } from '../../../src/slack/digest-post.ts';
import { FakeSlackServer } from '../../../src/slack/fake-slack-server.ts';
import type { SlackServices } from '../../../src/slack/listeners/services.ts';
import { EphemeralNotes } from '../../../src/slack/notes.ts';
import { Outbox } from '../../../src/slack/outbox.ts';
import { SharedStatePermissions } from '../../../src/slack/permissions.ts';
import { claimSettingsOf, type NudgeDeps } from '../../../src/slack/reconcile-nudges.ts';
import type { RenderedMessage } from '../../../src/slack/render/blocks.ts';
import { slackTeams } from '../../../src/slack/teams.ts';
import { SlackUserDirectory, USERS_INFO_TIMEOUT_MS } from '../../../src/slack/users.ts';
import { type OpenTestDb, openTestDb, type TestProvider } from '../../support/db.ts';
import { blockKitProblems } from './block-kit.ts';
import { captureLogger } from './capture-logger.ts';
import {
  blockActionBody,
  eventBody,
  type SendOptions,
  type SlackResponse,
  sendSigned,
  slashCommandBody,
  TEST_SIGNING_SECRET,
} from './slack-requests.ts';

/** Monday 2 March 2026, 10:00 UTC: inside the test calendar's working hours. */
export const MONDAY_10 = new Date('2026-03-02T10:00:00.000Z');

export const TEST_POLICY = {
  calendars: {
    office: {
      timezone: 'UTC',
      hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]])),
    },
  },
  teams: [
    { name: 'support', channel: 'CSUPPORT', escalationChannel: 'CESCALATE', calendar: 'office' },
    { name: 'billing', channel: 'CBILLING', calendar: 'office', allowedUsers: ['ULEAD'] },
  ],
  sla: [{ name: 'standard', firstResponse: '4h', nextResponse: '8h', resolution: '3d' }],
  people: { 'carol@example.com': 'UCAROL' },
};

export interface Harness {
  db: OpenTestDb;
  slack: FakeSlackServer;
  clock: ReturnType<typeof manualClock>;
  repo: SlackRepo;
  reads: FlagsReadRepo;
  outbox: Outbox;
  nudgeDeps: NudgeDeps;
  services: SlackServices;
  /** The morning lists, wired as in production (`/heed daily`, the daily-lists job). */
  daily: DailyLists;
  app: SlackApp;
  baseUrl: string;
  log: ReturnType<typeof captureLogger>;
  digests: Map<string, RenderedMessage[]>;
  command(command: string, text: string, options?: { user?: string; channel?: string }): Promise<SlackResponse>;
  event(event: Record<string, unknown>, options?: SendOptions & { eventId?: string }): Promise<SlackResponse>;
  action(fields: {
    user: string;
    channel: string;
    messageTs: string;
    actionId: string;
    value?: string;
    actionTs?: string;
  }): Promise<SlackResponse>;
  /** Block Kit problems in everything Heed sent to the fake Slack (messages, responses, Home views). */
  sentProblems(): string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** `/digest` previews what the test puts in `digests` instead of composing one from the database. */
  cannedDigests?: boolean;
  /** A policy other than TEST_POLICY. */
  policy?: unknown;
  /**
   * Another replica of a running harness: the same database (PostgreSQL: its own connections to it, as another
   * process would have; SQLite: the same connection, as one process is all SQLite allows) and the same Slack.
   */
  replicaOf?: Harness;
}

export async function startHarness(provider: TestProvider, options: HarnessOptions = {}): Promise<Harness> {
  const replicaOf = options.replicaOf;
  let db: OpenTestDb;
  if (!replicaOf) db = await openTestDb(provider);
  else if (provider === 'sqlite') db = Object.assign(Object.create(replicaOf.db), { dispose: async () => undefined });
  else {
    const own = await openDatabase(replicaOf.db.url);
    db = Object.assign(own, { url: replicaOf.db.url, dispose: () => own.close() });
  }
  const clock = manualClock(MONDAY_10);
  const slack = replicaOf?.slack ?? (await new FakeSlackServer({ now: () => clock.now().getTime() }).start());
  if (!replicaOf) {
    for (const [id, name] of [
      ['CSUPPORT', 'support'],
      ['CESCALATE', 'escalations'],
      ['CBILLING', 'billing'],
      ['COTHER', 'random'],
    ] as const) {
      slack.addChannel({ id, name });
    }
  }
  const log = captureLogger();
  const policy = parsePolicy(options.policy ?? TEST_POLICY, 'test policy');
  const teams = slackTeams(policy);
  const env = {
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_APP_TOKEN: undefined,
    SLACK_API_URL: slack.apiUrl,
    PORT: 0,
  };
  const web = createSlackWebClient(env, log.logger);
  const repo = new SlackRepo(db);
  const reads = new FlagsReadRepo(db);
  const interactiveSlack = createSlackWebClient(env, log.logger, { timeout: USERS_INFO_TIMEOUT_MS });
  const users = new SlackUserDirectory({
    repo,
    slack: web,
    interactiveSlack,
    people: policy.people,
    logger: log.logger,
  });
  const outbox = new Outbox({ repo, slack: web, clock, logger: log.logger });
  // Away-aware routing and claim timers as production wires them (src/slack/setup.ts).
  const routing = new AwayRouter({ users, hubspotUsers: new HubspotUserRepo(db), settings: policy.away });
  const nudgeDeps: NudgeDeps = {
    repo,
    reads,
    users,
    teams,
    logger: log.logger,
    settings: policy.nudges,
    routing,
    claims: claimSettingsOf(policy),
  };
  const notes = new EphemeralNotes({ slack: web, logger: log.logger, now: () => clock.now() });
  const actions: ActionDeps = {
    repo,
    teams,
    logger: log.logger,
    nudges: nudgeDeps,
    permissions: new SharedStatePermissions({ slack: web, logger: log.logger, now: () => clock.now() }),
    notes,
  };
  const digests = new Map<string, RenderedMessage[]>();
  // As production wires it (src/slack/setup.ts), without the wait for a first HubSpot sync.
  const digest = digestForSlack({ db, config: { policy }, outbox: repo, slack: web, users, logger: log.logger });
  // As production wires it (src/slack/setup.ts).
  const daily = new DailyLists({
    db,
    outbox: repo,
    users,
    teams,
    policy,
    slack: web,
    interactiveSlack,
    logger: log.logger,
  });
  const services: SlackServices = {
    daily,
    clock,
    logger: log.logger,
    teams,
    repo,
    queries: { reads, repo, users, teams, status: { db, config: { policy } } },
    actions,
    digestPreview: options.cannedDigests ? async (team) => digests.get(team) ?? [] : digest.digestPreview,
    digestPost: digest.digestPost,
  };
  const app = createSlackApp({
    env,
    services,
    logger: log.logger,
    botId: 'BHEED',
    botUserId: 'UHEEDBOT',
    processBeforeResponse: true,
    customRoutes: [{ path: '/healthz', method: 'GET', handler: (_req, res) => res.end('ok') }],
  });
  const { port } = await app.start(0);
  const baseUrl = `http://127.0.0.1:${port}`;
  let responseCounter = 0;
  return {
    db,
    slack,
    clock,
    repo,
    reads,
    outbox,
    nudgeDeps,
    services,
    daily,
    app,
    baseUrl,
    log,
    digests,
    command: (command, text, o = {}) =>
      sendSigned(
        baseUrl,
        slashCommandBody({
          command,
          text,
          user_id: o.user ?? 'UALICE',
          channel_id: o.channel ?? 'COTHER',
          response_url: slack.responseUrl(`cmd-${responseCounter++}`),
        }),
        'application/x-www-form-urlencoded',
      ),
    event: (event, o = {}) => sendSigned(baseUrl, eventBody(event, o.eventId), 'application/json', o),
    action: (fields) =>
      sendSigned(
        baseUrl,
        blockActionBody({ ...fields, responseUrl: slack.responseUrl(`act-${responseCounter++}`) }),
        'application/x-www-form-urlencoded',
      ),
    sentProblems: () => {
      const problems: string[] = [];
      for (const channel of slack.channels.values()) {
        for (const m of channel.messages) {
          problems.push(
            ...blockKitProblems({ text: m.text, blocks: m.blocks }).map((p) => `${channel.id} ${m.ts}: ${p}`),
          );
        }
      }
      for (const r of slack.responses) {
        const { text, blocks, response_type, replace_original } = r.body;
        problems.push(
          ...blockKitProblems({ text, blocks, response_type, replace_original }).map((p) => `${r.path}: ${p}`),
        );
      }
      for (const [user, view] of slack.homeViews)
        problems.push(...blockKitProblems(view).map((p) => `home ${user}: ${p}`));
      return problems;
    },
    close: async () => {
      await app.stop();
      if (!replicaOf) await slack.stop();
      await db.dispose();
    },
  };
}
