import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelLeasesFrom, JobsRepo } from '../../src/db/jobs-repo.ts';
import { type OutboxIntent, SlackRepo } from '../../src/db/slack-repo.ts';
import { HEED_METADATA_EVENT, Outbox } from '../../src/services/outbox.ts';
import { manualClock, scaledClock } from '../../src/services/outbox-clock.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { captureLogger } from '../slack/support/capture-logger.ts';
import { nodeHttpFetch } from '../slack/support/node-http-fetch.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const START = new Date('2026-03-02T10:00:00.000Z');

function intent(key: string, channel: string, text = key): OutboxIntent {
  return {
    idempotencyKey: key,
    kind: 'post',
    channel,
    payload: {
      text,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
      metadata: { event_type: HEED_METADATA_EVENT, event_payload: { key } },
    },
  };
}

describe.each(testProviders())('outbox on %s', (provider) => {
  let db: OpenTestDb;
  let slack: FakeSlackServer;
  let clock: ReturnType<typeof manualClock>;
  let repo: SlackRepo;
  let log: ReturnType<typeof captureLogger>;

  const outbox = (overrides: Partial<ConstructorParameters<typeof Outbox>[0]> = {}) =>
    new Outbox({
      repo,
      slack: new webApi.WebClient('xoxb-test', {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        fetch: nodeHttpFetch,
      }),
      clock,
      logger: log.logger,
      ...overrides,
    });

  beforeEach(async () => {
    db = await openTestDb(provider);
    clock = manualClock(START);
    slack = await new FakeSlackServer({ now: () => clock.now().getTime() }).start();
    slack.addChannel({ id: 'CAAA', name: 'alpha' });
    slack.addChannel({ id: 'CBBB', name: 'beta' });
    repo = new SlackRepo(db);
    log = captureLogger();
  });

  afterEach(async () => {
    await slack.stop();
    await db.dispose();
  });

  it('posts each intent once, at most one message per second per channel, channels in parallel', async () => {
    for (const i of [1, 2, 3]) await repo.enqueue(intent(`a${i}`, 'CAAA'), START);
    for (const i of [1, 2]) await repo.enqueue(intent(`b${i}`, 'CBBB'), START);
    expect(await repo.enqueue(intent('a1', 'CAAA'), START)).toBe(false); // same key: not queued twice
    await outbox().drainUntilIdle();
    const alpha = slack.messagesIn('CAAA');
    expect(alpha.map((m) => m.text)).toEqual(['a1', 'a2', 'a3']);
    expect(slack.messagesIn('CBBB').map((m) => m.text)).toEqual(['b1', 'b2']);
    for (let i = 1; i < alpha.length; i++) {
      expect(alpha[i]!.postedAt - alpha[i - 1]!.postedAt).toBeGreaterThanOrEqual(1000);
    }
    expect(clock.now().getTime() - START.getTime()).toBeLessThan(2500);
    expect(await repo.outboxByKey('a2')).toMatchObject({ state: 'sent', resultTs: alpha[1]!.ts, attempts: 1 });
  });

  it('waits as long as Retry-After says after a 429, without counting it as an attempt', async () => {
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    await repo.enqueue(intent('k1', 'CAAA'), START);
    await outbox().drainUntilIdle();
    const [message] = slack.messagesIn('CAAA');
    expect(message!.postedAt - START.getTime()).toBeGreaterThanOrEqual(7000);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(2);
    expect(await repo.outboxByKey('k1')).toMatchObject({ state: 'sent', attempts: 1 });
  });

  it('backs off exponentially on 5xx and gives up after maxAttempts', async () => {
    slack.failNext('chat.postMessage', { status: 503 }, 2);
    await repo.enqueue(intent('k1', 'CAAA'), START);
    await outbox().drainUntilIdle();
    const [message] = slack.messagesIn('CAAA');
    // 1 s after the first failure, 2 s after the second.
    expect(message!.postedAt - START.getTime()).toBe(3000);
    expect(await repo.outboxByKey('k1')).toMatchObject({ state: 'sent', attempts: 3 });

    slack.failNext('chat.postMessage', { status: 500 }, 3);
    await repo.enqueue(intent('k2', 'CAAA'), clock.now());
    await outbox({ maxAttempts: 3 }).drainUntilIdle();
    expect(await repo.outboxByKey('k2')).toMatchObject({ state: 'failed', attempts: 3, lastError: 'HTTP 500' });
  });

  it('follows a channel given by name (#alpha) to the id Slack answers with, for pacing and crash checks', async () => {
    for (const i of [1, 2, 3]) await repo.enqueue(intent(`n${i}`, '#alpha'), START);
    await outbox().drainUntilIdle();
    const alpha = slack.messagesIn('CAAA');
    expect(alpha.map((m) => m.text)).toEqual(['n1', 'n2', 'n3']);
    for (let i = 1; i < alpha.length; i++)
      expect(alpha[i]!.postedAt - alpha[i - 1]!.postedAt).toBeGreaterThanOrEqual(1000);
    expect((await repo.outboxByKey('n3'))?.channel).toBe('CAAA');
  });

  it('joins a public channel it is not in, then posts', async () => {
    slack.addChannel({ id: 'CPUB', name: 'public', isMember: false });
    await repo.enqueue(intent('k1', 'CPUB'), START);
    await outbox().drainUntilIdle();
    expect(slack.callsOf('conversations.join')).toHaveLength(1);
    expect(slack.messagesIn('CPUB')).toHaveLength(1);
  });

  it('logs a clear error naming a private channel and the /invite fix, and keeps the message', async () => {
    slack.addChannel({ id: 'GPRIV', name: 'secret', isPrivate: true, isMember: false });
    await repo.enqueue(intent('k1', 'GPRIV'), START);
    const result = await outbox().drainOnce();
    expect(result.retried).toBe(1);
    const error = log.lines().find((l) => l['code'] === 'SLACK_NOT_IN_CHANNEL');
    expect(String(error?.['msg'])).toContain('GPRIV');
    expect(String(error?.['fix'])).toContain('/invite @Heed');
    const row = await repo.outboxByKey('k1');
    expect(row?.state).toBe('retry');
    expect(row!.nextAttemptAt.getTime()).toBe(START.getTime() + 15 * 60_000);
    // Once someone invites Heed, the message goes out.
    slack.channels.get('GPRIV')!.isMember = true;
    clock.advance(15 * 60_000);
    await outbox().drainUntilIdle();
    expect(slack.messagesIn('GPRIV')).toHaveLength(1);
  });

  it('after a crash between "posted" and "recorded", recognises the post instead of posting again', async () => {
    await repo.enqueue(intent('crash-1', 'CAAA'), START);
    let crashes = 1;
    const crashingRepo = new Proxy(repo, {
      get(target, prop) {
        if (prop === 'markSent' && crashes-- > 0) return async () => Promise.reject(new Error('simulated crash'));
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await expect(outbox({ repo: crashingRepo }).drainOnce()).rejects.toThrow('simulated crash');
    expect(slack.messagesIn('CAAA')).toHaveLength(1);
    expect((await repo.outboxByKey('crash-1'))?.state).toBe('sending');

    // "Restart": a fresh outbox over the same database.
    clock.advance(30_000);
    const restarted = outbox();
    expect(await restarted.recover()).toEqual({ recognised: 1, requeued: 0 });
    await restarted.drainUntilIdle();
    expect(slack.messagesIn('CAAA')).toHaveLength(1);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(await repo.outboxByKey('crash-1')).toMatchObject({
      state: 'sent',
      resultTs: slack.messagesIn('CAAA')[0]!.ts,
    });
  });

  it('settles a result it could not record itself, a few minutes later, without posting twice', async () => {
    await repo.enqueue(intent('db-hiccup', 'CAAA'), START);
    let failures = 1;
    const flakyRepo = new Proxy(repo, {
      get(target, prop) {
        if (prop === 'markSent' && failures-- > 0) return async () => Promise.reject(new Error('database is locked'));
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const box = outbox({ repo: flakyRepo });
    await expect(box.drainOnce()).rejects.toThrow('database is locked');
    clock.advance(60_000);
    await box.drainOnce();
    expect((await repo.outboxByKey('db-hiccup'))?.state).toBe('sending');
    clock.advance(5 * 60_000);
    await box.drainOnce();
    expect(await repo.outboxByKey('db-hiccup')).toMatchObject({
      state: 'sent',
      resultTs: slack.messagesIn('CAAA')[0]!.ts,
    });
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
  });

  it('re-posts exactly once when the crash came before the call reached Slack', async () => {
    await repo.enqueue(intent('crash-2', 'CAAA'), START);
    const [row] = await repo.dueOutbox(START, 10);
    expect(await repo.markSending(row!.id)).toBe(true); // claimed, then the process died
    const restarted = outbox();
    expect(await restarted.recover()).toEqual({ recognised: 0, requeued: 1 });
    await restarted.drainUntilIdle();
    expect(slack.messagesIn('CAAA')).toHaveLength(1);
    expect(slack.callsOf('conversations.history')[0]!.args).toMatchObject({
      channel: 'CAAA',
      include_all_metadata: 'true',
    });
  });

  it('marks a message Slack refuses as failed without retrying', async () => {
    slack.failNext('chat.postMessage', { error: 'invalid_blocks' });
    await repo.enqueue(intent('bad', 'CAAA'), START);
    await outbox().drainUntilIdle();
    expect(await repo.outboxByKey('bad')).toMatchObject({ state: 'failed', lastError: 'invalid_blocks' });
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
  });

  it('keeps one write per channel per second across replicas sharing the database', async () => {
    // Two replicas drain one queue at the same time, on a clock running 10× faster than real time.
    const shared = scaledClock(START, 10);
    const paced = new FakeSlackServer({ now: () => shared.now().getTime() });
    await paced.start();
    paced.addChannel({ id: 'CAAA', name: 'alpha' });
    try {
      for (let i = 1; i <= 8; i++) await repo.enqueue(intent(`r${i}`, 'CAAA'), START);
      const jobs = new JobsRepo(db);
      const replica = (holder: string) =>
        new Outbox({
          repo: new SlackRepo(db),
          slack: new webApi.WebClient('xoxb-test', {
            slackApiUrl: paced.apiUrl,
            retryConfig: { retries: 0 },
            rejectRateLimitedCalls: true,
            fetch: nodeHttpFetch,
          }),
          clock: shared,
          logger: log.logger,
          channelLeases: channelLeasesFrom(jobs, holder),
        });
      await Promise.all([replica('replica-a').drainUntilIdle(), replica('replica-b').drainUntilIdle()]);
      const posts = paced.messagesIn('CAAA');
      expect(posts.map((m) => m.text).sort()).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8']);
      expect(paced.callsOf('chat.postMessage')).toHaveLength(8);
      for (let i = 1; i < posts.length; i++) {
        expect(posts[i]!.postedAt - posts[i - 1]!.postedAt).toBeGreaterThanOrEqual(1000);
      }
    } finally {
      await paced.stop();
    }
  });
});
