// A token Slack stops accepting pauses the whole outbox (one error, a metric, a readiness reason) and loses
// nothing: the row that met the error keeps its place and its attempt, a probe (auth.test, backing off) notices
// when the token works again, and the queue then goes out in order. Only errors that concern one message fail it.
import { describe, expect, it } from 'vitest';
import { testProviders } from '../support/db.ts';
import { intent, START, useOutboxTest } from './outbox-harness.ts';

const CREDENTIAL_FAILURES = ['invalid_auth', 'token_revoked', 'token_expired', 'account_inactive', 'not_authed'];

describe.each(testProviders())('outbox paused by a refused token on %s', (provider) => {
  const t = useOutboxTest(provider);

  it.each(CREDENTIAL_FAILURES)(
    '%s: pauses, loses nothing, and sends everything in order once the token works',
    async (error) => {
      for (const i of [1, 2, 3]) await t.repo.enqueue(intent(`a${i}`, 'CAAA'), START);
      for (const i of [1, 2]) await t.repo.enqueue(intent(`b${i}`, 'CBBB'), START);
      t.slack.revokeToken(error);
      const box = t.outbox();

      const first = await box.drainOnce();
      expect(first).toMatchObject({ sent: 0, failed: 0, paused: error });
      expect(box.pausedFor).toBe(error);
      // The rows that met the error keep their place and their attempt; nothing failed.
      const rows = await t.db.prisma.outboxMessage.findMany({ orderBy: { id: 'asc' } });
      expect(rows.map((r) => [r.idempotencyKey, r.state === 'failed' ? 'failed' : 'queued', r.attempts])).toEqual([
        ['a1', 'queued', 0],
        ['a2', 'queued', 0],
        ['a3', 'queued', 0],
        ['b1', 'queued', 0],
        ['b2', 'queued', 0],
      ]);
      // One clear error, a metric, and a readiness reason.
      const errors = t.errors();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'SLACK_AUTH', reason: error, queued: 5 });
      expect(String(errors[0]!['msg'])).toContain(`Slack refused Heed's token (${error})`);
      expect(String(errors[0]!['msg'])).toContain('nothing is dropped');
      expect(String(errors[0]!['fix'])).toContain('SLACK_BOT_TOKEN');
      expect(JSON.stringify(t.log.lines())).not.toContain('xoxb-test');
      expect(t.paused).toEqual([{ reason: error, paused: true }]);
      expect(t.health).toEqual([
        { name: 'slack-outbox', problem: { code: 'SLACK_AUTH', message: expect.stringContaining(error) } },
      ]);

      // Two minutes of refusals: only probes reach Slack, at 30 s and then backing off (×1.5, up to 3 min).
      const postsBefore = t.slack.callsOf('chat.postMessage').length;
      await box.drainUntilIdle(new Date(START.getTime() + 2 * 60_000));
      expect(t.slack.callsOf('chat.postMessage')).toHaveLength(postsBefore);
      expect(t.slack.callsOf('auth.test').map((c) => c.at - START.getTime())).toEqual([30_000, 75_000]);
      expect(t.errors()).toHaveLength(1);

      // Restored: the next probe passes, and every message goes out once, in order per channel.
      t.slack.restoreToken();
      await box.drainUntilIdle();
      expect(box.pausedFor).toBeUndefined();
      expect(t.slack.messagesIn('CAAA').map((m) => m.text)).toEqual(['a1', 'a2', 'a3']);
      expect(t.slack.messagesIn('CBBB').map((m) => m.text)).toEqual(['b1', 'b2']);
      expect(t.slack.messagesIn('CAAA')[0]!.postedAt - START.getTime()).toBe(142_500);
      const sent = await t.db.prisma.outboxMessage.findMany({ orderBy: { id: 'asc' } });
      expect(sent.every((r) => r.state === 'sent' && r.attempts === 1)).toBe(true);
      expect(t.errors()).toHaveLength(1);
      expect(t.paused).toEqual([
        { reason: error, paused: true },
        { reason: error, paused: false },
      ]);
      expect(t.health.at(-1)).toEqual({ name: 'slack-outbox', problem: undefined });
      const resumed = t.log.lines().find((l) => String(l['msg']).includes('accepts messages again'));
      expect(String(resumed?.['msg'])).toContain('143 s paused');
    },
  );

  it('keeps probing at most every 3 minutes while the token stays refused', async () => {
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    t.slack.revokeToken('token_revoked');
    await t.outbox().drainUntilIdle(new Date(START.getTime() + 15 * 60_000));
    const gaps = t.slack.callsOf('auth.test').map((c, i, all) => c.at - (i === 0 ? START.getTime() : all[i - 1]!.at));
    expect(gaps.slice(0, 5)).toEqual([30_000, 45_000, 67_500, 101_250, 151_875]);
    expect(Math.max(...gaps)).toBe(180_000);
    expect(await t.repo.outboxByKey('k1')).toMatchObject({ state: 'retry', attempts: 0 });
    expect(t.errors()).toHaveLength(1);
  });

  it('stays paused, quietly, when auth.test passes but Slack still refuses messages (an admin block)', async () => {
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    const stop = t.slack.failWhile({ method: 'chat.postMessage' }, { error: 'ekm_access_denied' });
    const box = t.outbox();
    await box.drainUntilIdle(new Date(START.getTime() + 10 * 60_000));
    // Each passing probe lets one message try; it is refused again and the outbox waits on, with one error in all.
    expect(t.slack.callsOf('chat.postMessage').length).toBeGreaterThanOrEqual(3);
    expect(t.errors()).toHaveLength(1);
    expect(t.paused).toEqual([{ reason: 'ekm_access_denied', paused: true }]);
    expect(await t.repo.outboxByKey('k1')).toMatchObject({ state: 'retry', attempts: 0 });
    stop();
    await box.drainUntilIdle();
    expect(t.slack.messagesIn('CAAA').map((m) => m.text)).toEqual(['k1']);
    expect(t.health.at(-1)).toEqual({ name: 'slack-outbox', problem: undefined });
  });

  it('a paused outbox leaves dependents waiting: a thread ping goes out after its nudge once the token works', async () => {
    const { nudgeId } = await t.repo.applyNudgeChange(
      {
        nudge: { create: { flagKey: 'flag-1', channel: 'CAAA', state: 'breached', level: 2, renderHash: 'h' } },
        intents: [intent('nudge:flag-1:post', 'CAAA'), intent('nudge:flag-1:reply2', 'CAAA', 'ping', 'reply')],
      },
      START,
    );
    t.slack.revokeToken('invalid_auth');
    const box = t.outbox();
    await box.drainUntilIdle(new Date(START.getTime() + 60_000));
    t.slack.restoreToken();
    await box.drainUntilIdle();
    const [post] = t.slack.messagesIn('CAAA');
    expect(post?.text).toBe('nudge:flag-1:post');
    expect(t.slack.repliesTo('CAAA', post!.ts).map((m) => m.text)).toEqual(['ping']);
    expect((await t.repo.nudgeById(nudgeId))?.ts).toBe(post!.ts);
    expect(await t.repo.outboxByKey('nudge:flag-1:reply2')).toMatchObject({ state: 'sent' });
  });

  it.each([['is_archived'], ['msg_too_long'], ['invalid_blocks']])(
    '%s fails that message alone, with its reason logged and counted; the rest go out',
    async (error) => {
      for (const i of [1, 2]) await t.repo.enqueue(intent(`a${i}`, 'CAAA'), START);
      t.slack.failNext('chat.postMessage', { error });
      const box = t.outbox();
      await box.drainUntilIdle();
      expect(box.pausedFor).toBeUndefined();
      expect(await t.repo.outboxByKey('a1')).toMatchObject({ state: 'failed', lastError: error });
      expect(t.slack.messagesIn('CAAA').map((m) => m.text)).toEqual(['a2']);
      const [line] = t.errors(/gave up/);
      expect(line).toMatchObject({ key: 'a1', reason: `Slack refused the message (${error})` });
      expect(t.failed).toEqual([error]);
      expect(t.paused).toEqual([]);
    },
  );
});
