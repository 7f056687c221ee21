// A digest too big for one message, posted by the scheduler's handler through the real outbox to a fake Slack:
// every part arrives, valid, in order, once.
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config.ts';
import { SlackRepo } from '../../src/db/slack-repo.ts';
import { silentLogger } from '../../src/logger.ts';
import { digestJobHandlers } from '../../src/slack/digest-jobs.ts';
import { postDigest, settleDigestRun } from '../../src/slack/digest-post.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { Outbox } from '../../src/slack/outbox.ts';
import { messageProblems } from '../fixtures/digest/block-kit.ts';
import { berlin, NOW, POLICY, seedDigestDataset } from '../fixtures/digest/dataset.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const config = { policy: POLICY } as Pick<Config, 'policy'>;

/** 40 more breached tickets and 30 unanswered complaints with long comments. */
async function seedBusyDay(db: OpenTestDb): Promise<void> {
  const created = berlin('2026-11-23 09:00');
  await db.prisma.ticket.createMany({
    data: Array.from({ length: 40 }, (_, i) => ({
      id: `B${i}`,
      subject: `Cannot export report ${i} — ${'details '.repeat(20)}`,
      ownerId: 'o2',
      pipelineId: 'support-pipe',
      createdAt: created,
      modifiedAt: NOW,
      syncedAt: NOW,
      contactName: `Customer ${i}`,
    })),
  });
  await db.prisma.clockState.createMany({
    data: Array.from({ length: 40 }, (_, i) => ({
      ticketId: `B${i}`,
      clock: 'firstResponse',
      cycle: 0,
      policy: 'standard',
      team: 'support',
      state: 'breached',
      startedAt: created,
      dueAt: berlin(`2026-11-23 13:${String(i).padStart(2, '0')}`),
      targetMinutes: 240,
      usedMinutes: 0,
      overdueMinutes: 0,
      evaluatedAt: NOW,
    })),
  });
  await db.prisma.feedbackSubmission.createMany({
    data: Array.from({ length: 30 }, (_, i) => ({
      id: `C${i}`,
      surveyType: 'CSAT',
      value: 1,
      content: `Complaint ${i}: ${'this took far too long and nobody told me why. '.repeat(20)}`,
      submittedAt: berlin(`2026-11-23 12:${String(i).padStart(2, '0')}`),
      contactName: `Customer ${i}`,
      modifiedAt: NOW,
      syncedAt: NOW,
    })),
  });
  await db.prisma.flag.createMany({
    data: Array.from({ length: 30 }, (_, i) => ({
      key: `feedback:C${i}`,
      kind: 'feedback',
      feedbackId: `C${i}`,
      team: 'support',
      state: 'pending',
      raisedAt: NOW,
      dueAt: berlin('2026-11-24 16:00'),
      updatedAt: NOW,
    })),
  });
}

describe.each(testProviders())('posting a split digest on %s', (provider) => {
  let db: OpenTestDb;
  let slack: FakeSlackServer;

  beforeEach(async () => {
    db = await openTestDb(provider);
    await seedDigestDataset(db);
    await seedBusyDay(db);
    slack = await new FakeSlackServer().start();
    slack.addChannel({ id: 'C0SUPPORT', name: 'support' });
  });
  afterEach(async () => {
    await slack.stop();
    await db.dispose();
  });

  it('sends every part once, in order, and records the run as sent', async () => {
    const repo = new SlackRepo(db);
    const logged: unknown[] = [];
    const handlers = digestJobHandlers({
      db,
      config,
      outbox: repo,
      readiness: { startedAt: NOW, requireSync: false },
      // The digest is built at the run's moment, not the wall clock's (which would count today's breaches).
      clock: () => NOW,
      // The outbox below runs after the handler: it does not wait for Slack here.
      settleWaitMs: 0,
    });
    const ctx = {
      now: NOW,
      scheduledAt: berlin('2026-11-24 09:00'),
      late: true,
      logger: { info: (...args: unknown[]) => logged.push(args), warn: (...args: unknown[]) => logged.push(args) },
    };
    await handlers.digest({ name: 'support' }, ctx);
    // A second attempt of the same run (a takeover after a crash) posts nothing more.
    await handlers.digest({ name: 'support' }, { ...ctx, now: new Date(NOW.getTime() + 5_000) });

    const clock = manualClock(NOW);
    const outbox = new Outbox({
      repo,
      slack: new webApi.WebClient('xoxb-test', {
        slackApiUrl: slack.apiUrl,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
      }),
      clock,
      logger: silentLogger(),
    });
    await outbox.drainUntilIdle();

    const messages = slack.channels.get('C0SUPPORT')!.messages;
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.map((m) => m.metadata?.event_payload['key'])).toEqual(
      messages.map((_, i) => `digest:support:2026-11-24:${i + 1}`),
    );
    for (const [index, message] of messages.entries()) {
      expect(messageProblems({ text: message.text, blocks: message.blocks } as never)).toEqual([]);
      if (index === 0)
        expect(message.text).toMatch(/^\(Late\) Daily digest — support: yesterday \(Mon 23 Nov\): 45 new/);
      else expect(message.text).toBe(`Daily digest — support (continued, part ${index + 1} of ${messages.length})`);
    }
    expect(logged.map((line) => (line as unknown[])[1])).toEqual([
      'daily digest queued for Slack',
      // Nothing drains the outbox while the handler runs here: it leaves the parts to it.
      'daily digest still in the outbox; status reads settle it once Slack has it',
      'daily digest already handled for this day',
    ]);
    expect(await settleDigestRun({ db }, 'support', '2026-11-24')).toMatchObject({
      status: 'sent',
      late: true,
      messageTs: messages[0]!.ts,
    });
  });
  it('corrects a split digest in place: a part fewer is retired with a note, nothing is posted again', async () => {
    const repo = new SlackRepo(db);
    const web = new webApi.WebClient('xoxb-test', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    const outbox = new Outbox({ repo, slack: web, clock: manualClock(NOW), logger: silentLogger() });
    const first = await postDigest({ db, config, outbox: repo }, 'support', NOW);
    await outbox.drainUntilIdle();
    expect(first.parts).toBeGreaterThan(1);
    const messages = slack.channels.get('C0SUPPORT')!.messages;
    expect(messages).toHaveLength(first.parts);

    // By noon the busy day is dealt with: the 40 tickets closed, the 30 complaints followed up.
    await db.prisma.ticket.updateMany({
      where: { id: { startsWith: 'B' } },
      data: { isClosed: true, closedAt: berlin('2026-11-24 11:00') },
    });
    await db.prisma.flag.deleteMany({ where: { feedbackId: { startsWith: 'C' } } });
    await db.prisma.feedbackSubmission.deleteMany({ where: { id: { startsWith: 'C' } } });
    // (By noon T6's next response, due at 11:00, has breached as well.)
    const noon = berlin('2026-11-24 12:00');
    const corrected = await postDigest({ db, config, outbox: repo, slack: web }, 'support', noon, { correct: true });
    expect(corrected).toMatchObject({ status: 'updated', parts: 1 });
    await outbox.drainUntilIdle();

    expect(slack.channels.get('C0SUPPORT')!.messages).toHaveLength(first.parts);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(first.parts);
    expect(messages.every((m) => m.updates === 1)).toBe(true);
    expect(messages[0]!.text).toMatch(
      /^Daily digest — support: .* 2 breached and 0 at risk now; 2 negative feedback unanswered\.\nLast 14 days: Waiting on us [▁-█·]{14} · SLA breaches [▁-█·]{14} · First-response SLA met [▁-█·]{14}$/,
    );
    for (const retired of messages.slice(1)) {
      expect(retired.text).toBe('Daily digest — support (part no longer needed)');
      expect(JSON.stringify(retired.blocks)).toContain('this part belonged to an earlier version');
      expect(messageProblems({ text: retired.text, blocks: retired.blocks } as never)).toEqual([]);
    }
    expect(await settleDigestRun({ db }, 'support', '2026-11-24')).toMatchObject({
      status: 'sent',
      messageTs: messages[0]!.ts,
    });
  });

  it('corrects a digest whose team channel is configured by name ("#support"): chat.update gets the id', async () => {
    const named = {
      policy: { ...POLICY, teams: POLICY.teams.map((t) => (t.name === 'support' ? { ...t, channel: '#support' } : t)) },
    } as Pick<Config, 'policy'>;
    const repo = new SlackRepo(db);
    const web = new webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    const outbox = new Outbox({ repo, slack: web, clock: manualClock(NOW), logger: silentLogger() });
    const first = await postDigest({ db, config: named, outbox: repo }, 'support', NOW);
    await outbox.drainUntilIdle();
    const messages = slack.channels.get('C0SUPPORT')!.messages;
    expect(messages).toHaveLength(first.parts);
    const noon = berlin('2026-11-24 12:00');
    const corrected = await postDigest({ db, config: named, outbox: repo, slack: web }, 'support', noon, {
      correct: true,
    });
    expect(corrected).toMatchObject({ status: 'updated' });
    expect(slack.callsOf('chat.update').map((c) => c.args['channel'])).toEqual(messages.map(() => 'C0SUPPORT'));
    expect(messages.every((m) => m.updates === 1)).toBe(true);
  });
});
