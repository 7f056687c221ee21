// `/digest` wired to the real digest: a preview, then `post` recorded as the team's digest of the day, so the
// scheduled digest does not send it again; `post` once more, after Slack has it, corrects it in place.
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config.ts';
import { digestForSlack, postDigest } from '../../src/slack/digest-post.ts';
import { testProviders } from '../support/db.ts';
import { type Harness, MONDAY_10, startHarness, TEST_POLICY } from './support/harness.ts';

/** `/digest` is acknowledged at once and answered through its response_url: the last answer Slack got. */
const answer = (h: Harness) => JSON.stringify(h.slack.responses.at(-1)?.body);

describe.each(testProviders())('/digest on %s', (provider) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(provider);
    const wired = digestForSlack({
      db: h.db,
      config: { policy: parsePolicy(TEST_POLICY, 'test') },
      outbox: h.repo,
      slack: new webApi.WebClient('xoxb-test-token', {
        slackApiUrl: h.slack.apiUrl,
        retryConfig: { retries: 0 },
      }),
    });
    h.services.digestPreview = wired.digestPreview;
    h.services.digestPost = wired.digestPost;
  });
  afterEach(async () => {
    await h.close();
  });

  it('previews without posting, posts once per day, and the scheduled digest finds it sent', async () => {
    const preview = await h.command('/digest', 'support');
    expect(preview.status).toBe(200);
    // Acknowledged with an empty body; the preview came through the response_url.
    expect(preview.text).toBe('');
    expect(answer(h)).toMatch(/support/i);
    expect(await h.db.prisma.outboxMessage.count()).toBe(0);

    await h.command('/digest', 'support post', { user: 'UALICE' });
    expect(answer(h)).toContain("Posting today's digest");
    const queued = await h.db.prisma.outboxMessage.count({ where: { channel: 'CSUPPORT' } });
    expect(queued).toBeGreaterThan(0);
    const run = await h.db.prisma.digestRun.findMany({ where: { team: 'support' } });
    expect(run).toHaveLength(1);
    expect(run[0]!.day).toBe(MONDAY_10.toISOString().slice(0, 10));

    // Not in Slack yet: nothing to correct, and nothing posted twice.
    await h.command('/digest', 'support post', { user: 'UALICE' });
    expect(answer(h)).toContain("Today's digest for support is still on its way to <#CSUPPORT>");
    expect(await h.db.prisma.outboxMessage.count({ where: { channel: 'CSUPPORT' } })).toBe(queued);

    // The scheduler's digest job for the same day posts nothing.
    const scheduled = await postDigest(
      { db: h.db, config: { policy: parsePolicy(TEST_POLICY, 'test') }, outbox: h.repo },
      'support',
      MONDAY_10,
      { scheduledFor: MONDAY_10 },
    );
    expect(scheduled.status).toBe('already');

    const audit = await h.db.prisma.auditEntry.findMany({ where: { action: 'digest_post' } });
    expect(audit.map((a) => a.actor)).toEqual(['UALICE']);
  });

  it('corrects the day’s digest in place when it turned out stale', async () => {
    await h.command('/digest', 'support post', { user: 'UALICE' });
    await h.outbox.drainUntilIdle();
    const [message] = h.slack.messagesIn('CSUPPORT');
    expect(message!.text).toBe(
      'All clear for support: nothing new from Fri 27 Feb to Sun 1 Mar, nothing waiting on us.',
    );

    // A sync that lagged brings in a ticket from Friday nobody has answered: the digest was wrong.
    await h.db.prisma.ticket.create({
      data: {
        id: '9001',
        subject: 'Cannot log in',
        pipelineId: '0',
        stageId: '1',
        priority: 'MEDIUM',
        createdAt: new Date('2026-02-27T10:00:00Z'),
        modifiedAt: MONDAY_10,
        syncedAt: MONDAY_10,
        isClosed: false,
      },
    });
    await h.command('/digest', 'support post', { user: 'UBOB' });
    expect(answer(h)).toContain("Today's digest in <#CSUPPORT> now shows the numbers of this moment.");
    expect(h.slack.messagesIn('CSUPPORT')).toEqual([message]);
    expect(message!.updates).toBe(1);
    expect(message!.text).toBe(
      'Daily digest — support: Fri 27 Feb – Sun 1 Mar: 1 new, 0 solved, 1 waiting on us; 1 breached and 0 at risk now; 0 negative feedback unanswered.\n' +
        'Last 14 days: Waiting on us ▁▁▁▁▁▁▁▁▁▁▁███ · SLA breaches ▁▁▁▁▁▁▁▁▁▁▁█▁▁ · First-response SLA met ···········▁··',
    );
    expect(JSON.stringify(message!.blocks)).toContain(
      'Updated 2026-03-02 10:00 UTC with the numbers of that moment; first posted 2026-03-02 10:00 UTC.',
    );
    expect(h.slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(h.sentProblems()).toEqual([]);
    const audit = await h.db.prisma.auditEntry.findMany({ orderBy: { at: 'asc' } });
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['digest_post', 'UALICE'],
      ['digest_update', 'UBOB'],
    ]);
  });

  it('lets only the listed people post a team’s digest', async () => {
    await h.command('/digest', 'billing post', { user: 'UALICE' });
    expect(answer(h)).toContain('Only the people listed for team billing');
    expect(await h.db.prisma.digestRun.count()).toBe(0);
    await h.command('/digest', 'billing post', { user: 'ULEAD' });
    expect(answer(h)).toContain("Posting today's digest");
  });
});

describe('shared state limited to a user group', () => {
  it('lets members of the team’s user group post its digest and snooze others’ tickets, and nobody else', async () => {
    const h = await startHarness('sqlite');
    try {
      const policy = parsePolicy(
        { ...TEST_POLICY, teams: [{ ...TEST_POLICY.teams[0]!, allowedUserGroup: 'S0LEADS' }, TEST_POLICY.teams[1]!] },
        'test',
      );
      const wired = digestForSlack({ db: h.db, config: { policy }, outbox: h.repo });
      h.services.digestPreview = wired.digestPreview;
      h.services.digestPost = wired.digestPost;
      const support = h.services.teams.find((t) => t.name === 'support')! as { allowedUserGroup?: string };
      support.allowedUserGroup = 'S0LEADS';
      h.slack.addUserGroup('S0LEADS', ['UGROUPLEAD']);
      await h.command('/digest', 'support post', { user: 'UALICE' });
      expect(answer(h)).toContain('Only the people listed for team support');
      await h.command('/digest', 'support post', { user: 'UGROUPLEAD' });
      expect(answer(h)).toContain("Posting today's digest");
      expect(h.slack.callsOf('usergroups.users.list').length).toBe(1);
    } finally {
      await h.close();
    }
  });
});
