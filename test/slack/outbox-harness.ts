// Shared set-up of the outbox tests: a fresh database per test (SQLite, and PostgreSQL when configured), the Slack
// stand-in over real HTTP on a manual clock, a capturing logger, and recorders for the health and metrics the
// outbox reports.
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach } from 'vitest';
import { type ManualClock, manualClock } from '../../src/clock.ts';
import { channelLeasesFrom, JobsRepo } from '../../src/db/jobs-repo.ts';
import { type OutboxIntent, type OutboxKind, SlackRepo } from '../../src/db/slack-repo.ts';
import { type FakeSlackOptions, FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { HEED_METADATA_EVENT, Outbox, type OutboxOptions } from '../../src/slack/outbox.ts';
import { type OpenTestDb, openTestDb, type TestProvider } from '../support/db.ts';
import { captureLogger } from './support/capture-logger.ts';

export const START = new Date('2026-03-02T10:00:00.000Z');

export function intent(key: string, channel: string, text = key, kind: OutboxKind = 'post'): OutboxIntent {
  return {
    idempotencyKey: key,
    kind,
    channel,
    payload: {
      text,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
      metadata: { event_type: HEED_METADATA_EVENT, event_payload: { key } },
    },
  };
}

export function webClient(slack: FakeSlackServer): webApi.WebClient {
  return new webApi.WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
}

export type HealthReport = { name: string; problem: { code: string; message: string } | undefined };

export type OutboxTestContext = {
  provider: TestProvider;
  db: OpenTestDb;
  slack: FakeSlackServer;
  clock: ManualClock;
  repo: SlackRepo;
  log: ReturnType<typeof captureLogger>;
  health: HealthReport[];
  paused: { reason: string; paused: boolean }[];
  failed: string[];
  /** An outbox over the test's database and Slack stand-in, reporting to the recorders above. */
  outbox(overrides?: Partial<OutboxOptions>): Outbox;
  /** A second Slack stand-in on the test's clock (stopped after the test). */
  fakeSlack(options?: FakeSlackOptions): Promise<FakeSlackServer>;
  /** Another process's outbox: its own holder, the shared channel leases. */
  replica(holder: string, slack?: FakeSlackServer, overrides?: Partial<OutboxOptions>): Outbox;
  /** Log lines at `error` level (pino level 50) whose message or code matches. */
  errors(match?: RegExp): Record<string, unknown>[];
};

export function useOutboxTest(provider: TestProvider): OutboxTestContext {
  const ctx = { provider } as OutboxTestContext;
  const extraSlacks: FakeSlackServer[] = [];
  beforeEach(async () => {
    ctx.db = await openTestDb(provider);
    ctx.clock = manualClock(START);
    ctx.slack = await new FakeSlackServer({ now: () => ctx.clock.now().getTime() }).start();
    ctx.slack.addChannel({ id: 'CAAA', name: 'alpha' });
    ctx.slack.addChannel({ id: 'CBBB', name: 'beta' });
    ctx.repo = new SlackRepo(ctx.db);
    ctx.log = captureLogger();
    ctx.health = [];
    ctx.paused = [];
    ctx.failed = [];
    const reporters: Pick<OutboxOptions, 'health' | 'metrics'> = {
      health: { report: (name, problem) => ctx.health.push({ name, problem }) },
      metrics: {
        paused: (reason, paused) => ctx.paused.push({ reason, paused }),
        failed: (reason) => ctx.failed.push(reason),
      },
    };
    ctx.outbox = (overrides = {}) =>
      new Outbox({
        repo: ctx.repo,
        slack: webClient(ctx.slack),
        clock: ctx.clock,
        logger: ctx.log.logger,
        ...reporters,
        ...overrides,
      });
    ctx.fakeSlack = async (options = {}) => {
      const server = await new FakeSlackServer({ now: () => ctx.clock.now().getTime(), ...options }).start();
      extraSlacks.push(server);
      return server;
    };
    ctx.replica = (holder, slack = ctx.slack, overrides = {}) =>
      new Outbox({
        repo: new SlackRepo(ctx.db),
        slack: webClient(slack),
        clock: ctx.clock,
        logger: ctx.log.logger,
        holder,
        channelLeases: channelLeasesFrom(new JobsRepo(ctx.db), holder),
        ...reporters,
        ...overrides,
      });
    ctx.errors = (match) =>
      ctx.log
        .lines()
        .filter((l) => l['level'] === 50)
        .filter((l) => !match || match.test(String(l['msg'])) || match.test(String(l['code'] ?? '')));
  });
  afterEach(async () => {
    await ctx.slack.stop();
    for (const server of extraSlacks.splice(0)) await server.stop();
    await ctx.db.dispose();
  });
  return ctx;
}
