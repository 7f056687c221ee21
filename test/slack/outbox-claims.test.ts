// Exactly once with any number of drainers: a row is sent by the holder of its claim; recovery touches only rows
// whose claim expired; dependents (thread pings, DMs, escalations, updates) wait for their nudge's post while
// another drainer sends it, and fail — logged, with the reason — only when that post failed for good. And a
// channel that still refuses posts after Heed joined it is retried with backoff, counted, and given up on.
import { describe, expect, it } from 'vitest';
import { testProviders } from '../support/db.ts';
import { intent, START, useOutboxTest } from './outbox-harness.ts';

/** A promise the test resolves: holds Slack's processing of a call until then. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let arrive!: () => void;
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  return { open, opened, arrive, arrived };
}

const NUDGE_INTENTS = [
  intent('nudge:f1:post', 'CAAA', 'the nudge'),
  intent('nudge:f1:reply2', 'CAAA', 'thread ping', 'reply'),
  intent('nudge:f1:dm2', 'U0OWNER', 'owner DM <https://heed.invalid/nudge-permalink|open>', 'dm'),
  intent('nudge:f1:escalate3', 'CBBB', 'escalation <https://heed.invalid/nudge-permalink|open>', 'escalate'),
];

/**
 * The nudge's update, queued once its post is no longer waiting in the queue (claimed by a drainer, or failed):
 * an update of a message still queued rewrites that message instead (SlackRepo, whenUnsent).
 */
async function queueUpdate(t: ReturnType<typeof useOutboxTest>): Promise<void> {
  const post = await t.db.prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: 'nudge:f1:post' } });
  expect(post.state).not.toBe('pending');
  await t.repo.enqueueAll(
    [
      {
        ...intent('nudge:f1:update', 'CAAA', 'the nudge, updated', 'update'),
        parentId: post.id,
        nudgeId: post.nudgeId!,
      },
    ],
    START,
  );
}

describe.each(testProviders())('outbox with several drainers on %s', (provider) => {
  const t = useOutboxTest(provider);

  it('recovery never touches a row a live process is sending, however long Slack takes', async () => {
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    const held = gate();
    const slow = await t.fakeSlack({
      processingDelayMs: (method) => (method === 'chat.postMessage' ? 1 : 0),
      wait: () => {
        held.arrive();
        return held.opened;
      },
    });
    slow.addChannel({ id: 'CAAA', name: 'alpha' });
    const a = t.replica('replica-a', slow);
    const b = t.replica('replica-b', slow);
    const sending = a.drainOnce();
    await held.arrived;
    // Ten minutes pass (ten times the claim's lifetime): A's heartbeat keeps its claim and the channel's lease.
    await t.clock.sleep(10 * 60_000);
    expect(await b.recover()).toEqual({ recognised: 0, requeued: 0 });
    expect(await b.drainOnce()).toMatchObject({ sent: 0 });
    const row = await t.repo.outboxByKey('k1');
    expect(row).toMatchObject({ state: 'sending', claimedBy: 'replica-a', attempts: 1 });
    expect(row!.claimUntil!.getTime()).toBeGreaterThan(t.clock.now().getTime());
    const lease = await t.db.prisma.jobLease.findUnique({ where: { name: 'slack-channel:CAAA' } });
    expect(lease).toMatchObject({ holder: 'replica-a' });
    expect(lease!.leaseUntil.getTime()).toBeGreaterThan(t.clock.now().getTime());

    held.open();
    expect(await sending).toMatchObject({ sent: 1 });
    await b.drainUntilIdle();
    expect(slow.callsOf('chat.postMessage')).toHaveLength(1);
    expect(await t.repo.outboxByKey('k1')).toMatchObject({ state: 'sent', claimedBy: null, claimUntil: null });
    // The lease now runs from Slack's answer for one interval, not for the claim's lifetime.
    const after = await t.db.prisma.jobLease.findUnique({ where: { name: 'slack-channel:CAAA' } });
    expect(after!.leaseUntil.getTime()).toBeLessThanOrEqual(t.clock.now().getTime() + 1000);
  });

  it('a dead process’s row is settled once, by whichever replica recovers it first, after its claim expired', async () => {
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    const [row] = await t.repo.dueOutbox(START, 1);
    expect(await t.repo.claim(row!.id, 'dead', START, new Date(START.getTime() + 60_000))).toBe(true);
    const replicas = ['replica-a', 'replica-b', 'replica-c'].map((holder) => t.replica(holder));
    const early = await Promise.all(replicas.map((r) => r.recover()));
    expect(early.every((r) => r.recognised + r.requeued === 0)).toBe(true);
    t.clock.advance(2 * 60_000);
    const late = await Promise.all(replicas.map((r) => r.recover()));
    expect(late.reduce((n, r) => n + r.requeued + r.recognised, 0)).toBe(1);
    await Promise.all(replicas.map((r) => r.drainUntilIdle()));
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(await t.repo.outboxByKey('k1')).toMatchObject({ state: 'sent' });
  });

  it('thread pings, DMs, escalations and updates wait while another drainer sends their nudge', async () => {
    const { nudgeId } = await t.repo.applyNudgeChange(
      {
        nudge: { create: { flagKey: 'f1', channel: 'CAAA', state: 'breached', level: 3, renderHash: 'h' } },
        intents: NUDGE_INTENTS,
      },
      START,
    );
    const held = gate();
    const slow = await t.fakeSlack({
      processingDelayMs: (method, args) => (method === 'chat.postMessage' && args['text'] === 'the nudge' ? 1 : 0),
      wait: () => {
        held.arrive();
        return held.opened;
      },
    });
    slow.addChannel({ id: 'CAAA', name: 'alpha' });
    slow.addChannel({ id: 'CBBB', name: 'beta' });
    const a = t.replica('replica-a', slow);
    const b = t.replica('replica-b', slow);
    const posting = a.drainOnce();
    await held.arrived;
    await queueUpdate(t);
    // B sees the dependents due while A's post is on its way: they wait rather than fail.
    for (let round = 0; round < 5; round++) {
      const result = await b.drainOnce();
      expect(result.failed).toBe(0);
      await t.clock.sleep(1000);
    }
    expect(await t.db.prisma.outboxMessage.count({ where: { state: 'failed' } })).toBe(0);
    held.open();
    await posting;
    await Promise.all([a.drainUntilIdle(), b.drainUntilIdle()]);

    const [post] = slow.messagesIn('CAAA');
    expect(post).toMatchObject({ text: 'the nudge, updated', updates: 1 });
    expect((await t.repo.nudgeById(nudgeId))?.ts).toBe(post!.ts);
    expect(slow.repliesTo('CAAA', post!.ts).map((m) => m.text)).toEqual(['thread ping']);
    const link = `https://fake.slack.test/archives/CAAA/p${post!.ts.replace('.', '')}`;
    const [dm] = slow.messagesIn('U0OWNER');
    expect(JSON.stringify(dm!.blocks)).toContain(link);
    const [escalation] = slow.messagesIn('CBBB');
    expect(JSON.stringify(escalation!.blocks)).toContain(link);
    const rows = await t.db.prisma.outboxMessage.findMany();
    expect(rows.map((r) => r.state).sort()).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    expect(t.errors()).toEqual([]);
  });

  it('a channel keeps its order while its first row waits for a nudge posted in another channel', async () => {
    for (const i of [1, 2]) await t.repo.enqueue(intent(`busy${i}`, 'CAAA'), START);
    for (const [flag, channel] of [
      ['fa', 'CAAA'],
      ['fb', 'CBBB'],
    ] as const) {
      await t.repo.applyNudgeChange(
        {
          nudge: { create: { flagKey: flag, channel, state: 'breached', level: 2, renderHash: 'h' } },
          intents: [intent(`nudge:${flag}:post`, channel), intent(`nudge:${flag}:dm2`, 'U0OWNER', `dm ${flag}`, 'dm')],
        },
        START,
      );
    }
    await t.outbox().drainUntilIdle();
    // fb's nudge went out first (CBBB was free), but fa's DM was queued first, so it is first in the DM channel.
    expect(t.slack.messagesIn('U0OWNER').map((m) => m.text)).toEqual(['dm fa', 'dm fb']);
    expect(t.slack.messagesIn('CAAA').map((m) => m.text)).toEqual(['busy1', 'busy2', 'nudge:fa:post']);
  });

  it('dependents fail with the reason their nudge failed for good, each logged and counted', async () => {
    await t.repo.applyNudgeChange(
      {
        nudge: { create: { flagKey: 'f1', channel: 'CAAA', state: 'breached', level: 3, renderHash: 'h' } },
        intents: NUDGE_INTENTS,
      },
      START,
    );
    t.slack.failNext('chat.postMessage', { error: 'is_archived' });
    await t.outbox().drainUntilIdle();
    await queueUpdate(t);
    await t.outbox().drainUntilIdle();
    const rows = await t.db.prisma.outboxMessage.findMany({ orderBy: { id: 'asc' } });
    const reason = 'the nudge this refers to could not be posted (is_archived)';
    expect(rows.map((r) => [r.idempotencyKey, r.state, r.lastError])).toEqual([
      ['nudge:f1:post', 'failed', 'is_archived'],
      ['nudge:f1:reply2', 'failed', reason],
      ['nudge:f1:dm2', 'failed', reason],
      ['nudge:f1:escalate3', 'failed', reason],
      ['nudge:f1:update', 'failed', reason],
    ]);
    const gaveUp = t.errors(/gave up on a Slack message/);
    expect(gaveUp.map((l) => [l['key'], l['reason']]).sort()).toEqual(
      rows
        .map((r) => [r.idempotencyKey, r.kind === 'post' ? 'Slack refused the message (is_archived)' : reason])
        .sort(),
    );
    expect(t.failed.sort()).toEqual([
      'is_archived',
      'parent_failed',
      'parent_failed',
      'parent_failed',
      'parent_failed',
    ]);
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(1);
  });

  it('a channel that still refuses posts after joining: counted, backed off, one clear error, given up with a reason', async () => {
    t.slack.addChannel({ id: 'CJOIN', name: 'join-me', isMember: false });
    t.slack.failWhile({ method: 'chat.postMessage', channel: 'CJOIN' }, { error: 'not_in_channel' });
    for (const i of [1, 2, 3]) await t.repo.enqueue(intent(`j${i}`, 'CJOIN'), START);
    for (const i of [1, 2]) await t.repo.enqueue(intent(`a${i}`, 'CAAA'), START);
    const box = t.outbox({ maxAttempts: 4 });
    await box.drainUntilIdle(new Date(START.getTime() + 60 * 60_000));

    expect(t.slack.messagesIn('CAAA').map((m) => m.text)).toEqual(['a1', 'a2']);
    expect(t.slack.callsOf('conversations.join')).toHaveLength(1);
    const calls = t.slack.callsOf('chat.postMessage').filter((c) => c.args['channel'] === 'CJOIN');
    // One try before joining, then four counted attempts per row at most — never once a second for ever.
    expect(calls.length).toBeLessThanOrEqual(1 + 3 * 4);
    const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
    const rows = await t.db.prisma.outboxMessage.findMany({ where: { channel: 'CJOIN' }, orderBy: { id: 'asc' } });
    const reason = 'not_in_channel after joining the channel (gave up after 4 attempts)';
    expect(rows.map((r) => [r.state, r.attempts, r.lastError])).toEqual([
      ['failed', 4, reason],
      ['failed', 4, reason],
      ['failed', 4, reason],
    ]);
    const clear = t.errors().filter((l) => l['code'] === 'SLACK_NOT_IN_CHANNEL');
    expect(clear).toHaveLength(1);
    expect(String(clear[0]!['msg'])).toContain('CJOIN');
    expect(String(clear[0]!['msg'])).toContain('although Heed has joined it');
    expect(t.errors(/gave up on a Slack message/).map((l) => l['reason'])).toEqual([reason, reason, reason]);
    expect(t.failed).toEqual(['not_in_channel', 'not_in_channel', 'not_in_channel']);
  });

  it('counts at once when another replica already joined the channel (Slack answers already_in_channel)', async () => {
    t.slack.failWhile({ method: 'chat.postMessage', channel: 'CAAA' }, { error: 'channel_not_found' });
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    await t.outbox().drainOnce();
    const row = await t.repo.outboxByKey('k1');
    expect(row).toMatchObject({ state: 'retry', attempts: 1 });
    expect(row!.nextAttemptAt.getTime()).toBe(START.getTime() + 1000);
    expect(t.errors().filter((l) => l['code'] === 'SLACK_NOT_IN_CHANNEL')).toHaveLength(1);
  });
});
