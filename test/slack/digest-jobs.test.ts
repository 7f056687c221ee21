// The scheduler's digest handler (the one `heed start` runs) on a manual clock: it waits for the first complete
// HubSpot sync since start, posts late and says why, withholds the digest when the grace period runs out (a
// notice `/digest post` later replaces in place), and records the run as sent once Slack has it. Slack is the
// fake server behind the real outbox, drained while the handler waits, as the server's outbox loop would.
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config.ts';
import { SlackRepo } from '../../src/db/slack-repo.ts';
import { silentLogger } from '../../src/logger.ts';
import { collectStatus } from '../../src/ops/status.ts';
import { type DigestJobContext, digestJobHandlers } from '../../src/slack/digest-jobs.ts';
import { digestForSlack } from '../../src/slack/digest-post.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { Outbox } from '../../src/slack/outbox.ts';
import { messageProblems } from '../fixtures/digest/block-kit.ts';
import { berlin, NOW, POLICY, seedDigestDataset } from '../fixtures/digest/dataset.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const config = { policy: POLICY } as Pick<Config, 'policy'>;
const MINUTE = 60_000;

describe.each(testProviders())('the scheduled digest on %s', (provider) => {
  let db: OpenTestDb;
  let slack: FakeSlackServer;
  let clock: ReturnType<typeof manualClock>;
  let repo: SlackRepo;
  let web: InstanceType<typeof webApi.WebClient>;
  let outbox: Outbox;
  let logged: string[];

  beforeEach(async () => {
    db = await openTestDb(provider);
    await seedDigestDataset(db);
    clock = manualClock(NOW);
    slack = await new FakeSlackServer({ now: () => clock.now().getTime() }).start();
    slack.addChannel({ id: 'C0SUPPORT', name: 'support' });
    repo = new SlackRepo(db);
    web = new webApi.WebClient('xoxb-test', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    outbox = new Outbox({ repo, slack: web, clock, logger: silentLogger() });
    logged = [];
  });
  afterEach(async () => {
    await slack.stop();
    await db.dispose();
  });

  /** A sync that began after the process started, as the sync job records it. */
  const syncFinished = (startedAt: Date) =>
    db.prisma.syncRun.create({
      data: {
        id: `sync-${startedAt.getTime()}`,
        kind: 'incremental',
        startedAt,
        finishedAt: new Date(startedAt.getTime() + MINUTE),
        status: 'ok',
      },
    });

  const context = (scheduledAt: Date, late = false): DigestJobContext => ({
    now: clock.now(),
    scheduledAt,
    late,
    logger: {
      info: (_fields: unknown, message?: string) => void logged.push(message ?? ''),
      warn: (_fields: unknown, message?: string) => void logged.push(message ?? ''),
    },
  });

  /**
   * The handler's sleep: time passes on the manual clock and the outbox drains, as in `heed start`; `during`
   * runs once, after the handler has waited `afterMs`.
   */
  const waiting = (during?: { afterMs: number; run: () => Promise<void> }) => {
    let waited = 0;
    let ran = false;
    return async (ms: number) => {
      clock.advance(ms);
      waited += ms;
      if (during && !ran && waited >= during.afterMs) {
        ran = true;
        await during.run();
      }
      await outbox.drainUntilIdle();
    };
  };

  it('waits for the first sync since start, then posts the present, late and saying why', async () => {
    const startedAt = NOW; // the fixture's last sync (10:25) began before this process did
    const postsBeforeSync: number[] = [];
    const handlers = digestJobHandlers({
      db,
      config,
      outbox: repo,
      readiness: { startedAt, requireSync: true },
      clock: () => clock.now(),
      pollMs: 2 * MINUTE,
      sleep: waiting({
        afterMs: 12 * MINUTE,
        run: async () => {
          postsBeforeSync.push(slack.callsOf('chat.postMessage').length, await db.prisma.outboxMessage.count());
          await syncFinished(new Date(startedAt.getTime() + 10 * MINUTE));
        },
      }),
    });
    // Due at 10:28, two minutes before the start; the scheduler does not call that late.
    await handlers.digest({ name: 'support' }, context(berlin('2026-11-24 10:28')));

    expect(postsBeforeSync).toEqual([0, 0]);
    const messages = slack.messagesIn('C0SUPPORT');
    expect(messages).toHaveLength(1);
    expect(messageProblems({ text: messages[0]!.text, blocks: messages[0]!.blocks } as never)).toEqual([]);
    expect(messages[0]!.text).toBe(
      '(Late) Daily digest — support: yesterday (Mon 23 Nov): 5 new, 7 solved, 2 waiting on us; 1 breached and 1 at risk now; 2 negative feedback unanswered.\n' +
        'Last 14 days: Waiting on us ▁▁▁▁▁▁▁▁▁▁▅▅▅█ · SLA breaches ▁▁▁▁▁▁▁▁▁▁▁▁▁█ · First-response SLA met ········███··▁',
    );
    expect(JSON.stringify(messages[0]!.blocks)).toContain(
      '*Late:* This digest is late (it was due 2026-11-24 09:28 UTC): Heed waited for its first HubSpot sync since starting, so the numbers below are current.',
    );
    expect(logged).toEqual([
      'daily digest waits for the first HubSpot sync since start',
      'daily digest queued for Slack',
      'daily digest delivered',
    ]);
    // Marked sent when Slack had it, not left `queued`.
    expect(await db.prisma.digestRun.findFirst({ where: { team: 'support' } })).toMatchObject({
      status: 'sent',
      late: true,
      messageTs: messages[0]!.ts,
    });
  });

  it('posts at once, not late, when a sync since start has finished already', async () => {
    await syncFinished(new Date(NOW.getTime() - 20 * MINUTE));
    const handlers = digestJobHandlers({
      db,
      config,
      outbox: repo,
      readiness: { startedAt: new Date(NOW.getTime() - 30 * MINUTE), requireSync: true },
      clock: () => clock.now(),
      sleep: waiting(),
    });
    await handlers.digest({ name: 'support' }, context(berlin('2026-11-24 10:30')));
    const [message] = slack.messagesIn('C0SUPPORT');
    expect(message!.text).toMatch(/^Daily digest — support: /);
    expect(JSON.stringify(message!.blocks)).not.toContain('Late');
    expect(logged).toEqual(['daily digest queued for Slack', 'daily digest delivered']);
  });

  it('withholds the digest when the grace period ends before a sync; /digest post then replaces the notice', async () => {
    const startedAt = NOW;
    const handlers = digestJobHandlers({
      db,
      config,
      outbox: repo,
      readiness: { startedAt, requireSync: true },
      clock: () => clock.now(),
      pollMs: 20 * MINUTE,
      sleep: waiting(),
    });
    // Due 09:00 Berlin; the grace (3 h) ends at 12:00, and no sync ever finishes.
    await handlers.digest({ name: 'support' }, context(berlin('2026-11-24 09:00'), true));
    await outbox.drainUntilIdle();
    const messages = slack.messagesIn('C0SUPPORT');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe(
      'No daily digest for support yet: Heed started at 2026-11-24 09:30 UTC and has not finished a HubSpot sync since, so its numbers would not be true. Once the sync is through (`heed status` shows it), type `/digest post` here: the daily digest replaces this message.',
    );
    expect(logged.at(-1)).toBe('daily digest withheld: no complete HubSpot sync since start within the grace period');
    expect(await db.prisma.digestRun.findFirst({ where: { team: 'support' } })).toMatchObject({ status: 'withheld' });
    const status = await collectStatus({ db, config }, clock.now());
    expect(status.teams.find((t) => t.team === 'support')?.lastDigest).toMatchObject({ status: 'withheld' });

    // `/digest post` before a sync says why there is nothing to show; after one, it puts the digest in place.
    const wired = digestForSlack({ db, config, outbox: repo, slack: web, readiness: { startedAt, requireSync: true } });
    expect(await wired.digestPost('support', clock.now())).toMatchObject({ status: 'not-ready', startedAt });
    const [notReady] = await wired.digestPreview('support', clock.now());
    expect(notReady!.text).toBe(
      'Heed started at 2026-11-24 09:30 UTC and has not finished a HubSpot sync since, so a digest now would not be true. Try again once the sync is through (`/heed status` shows the last sync).',
    );
    await syncFinished(new Date(clock.now().getTime() - 5 * MINUTE));
    const updated = await wired.digestPost('support', clock.now());
    expect(updated).toMatchObject({ status: 'updated', parts: 1 });
    expect(slack.messagesIn('C0SUPPORT')).toHaveLength(1);
    expect(messages[0]!.updates).toBe(1);
    expect(messages[0]!.text).toMatch(/^Daily digest — support: yesterday \(Mon 23 Nov\): /);
    expect(JSON.stringify(messages[0]!.blocks)).toContain('with the numbers of that moment; first posted');
    expect(await db.prisma.digestRun.findFirst({ where: { team: 'support' } })).toMatchObject({ status: 'sent' });
  });

  it('leaves a digest Slack has not taken to the outbox; status reads still tell when it is sent', async () => {
    const handlers = digestJobHandlers({
      db,
      config,
      outbox: repo,
      readiness: { startedAt: NOW, requireSync: false },
      clock: () => clock.now(),
      pollMs: MINUTE,
      settleWaitMs: 3 * MINUTE,
      // Slack is unreachable while the handler waits: nothing drains.
      sleep: async (ms) => clock.advance(ms),
    });
    await handlers.digest({ name: 'support' }, context(berlin('2026-11-24 10:30')));
    expect(logged.at(-1)).toBe('daily digest still in the outbox; status reads settle it once Slack has it');
    expect(await db.prisma.digestRun.findFirst({ where: { team: 'support' } })).toMatchObject({ status: 'queued' });
    const before = await collectStatus({ db, config }, clock.now());
    expect(before.teams.find((t) => t.team === 'support')?.lastDigest).toMatchObject({ status: 'queued' });

    await outbox.drainUntilIdle();
    const after = await collectStatus({ db, config }, clock.now());
    expect(after.teams.find((t) => t.team === 'support')?.lastDigest).toMatchObject({
      day: '2026-11-24',
      status: 'sent',
    });
  });
});
