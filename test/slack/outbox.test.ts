import { describe, expect, it } from 'vitest';
import { createPrng } from '../faults/support/prng.ts';
import { testProviders } from '../support/db.ts';
import { intent, START, useOutboxTest, webClient } from './outbox-harness.ts';

describe.each(testProviders())('outbox on %s', (provider) => {
  const t = useOutboxTest(provider);
  const outbox = (overrides: Parameters<typeof t.outbox>[0] = {}) => t.outbox(overrides);

  it('posts each intent once, at most one message per second per channel, channels in parallel', async () => {
    for (const i of [1, 2, 3]) await t.repo.enqueue(intent(`a${i}`, 'CAAA'), START);
    for (const i of [1, 2]) await t.repo.enqueue(intent(`b${i}`, 'CBBB'), START);
    expect(await t.repo.enqueue(intent('a1', 'CAAA'), START)).toBe(false); // same key: not queued twice
    await outbox().drainUntilIdle();
    const alpha = t.slack.messagesIn('CAAA');
    expect(alpha.map((m) => m.text)).toEqual(['a1', 'a2', 'a3']);
    expect(t.slack.messagesIn('CBBB').map((m) => m.text)).toEqual(['b1', 'b2']);
    for (let i = 1; i < alpha.length; i++) {
      expect(alpha[i]!.postedAt - alpha[i - 1]!.postedAt).toBeGreaterThanOrEqual(1000);
    }
    expect(t.clock.now().getTime() - START.getTime()).toBeLessThan(2500);
    expect(await t.repo.outboxByKey('a2')).toMatchObject({ state: 'sent', resultTs: alpha[1]!.ts, attempts: 1 });
  });

  it('waits as long as Retry-After says after a 429, without counting it as an attempt', async () => {
    t.slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    await outbox().drainUntilIdle();
    const [message] = t.slack.messagesIn('CAAA');
    expect(message!.postedAt - START.getTime()).toBeGreaterThanOrEqual(7000);
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(2);
    expect(await t.repo.outboxByKey('k1')).toMatchObject({ state: 'sent', attempts: 1 });
  });

  it('backs off exponentially on 5xx and gives up after maxAttempts', async () => {
    t.slack.failNext('chat.postMessage', { status: 503 }, 2);
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    await outbox().drainUntilIdle();
    const [message] = t.slack.messagesIn('CAAA');
    // 1 s after the first failure, 2 s after the second.
    expect(message!.postedAt - START.getTime()).toBe(3000);
    expect(await t.repo.outboxByKey('k1')).toMatchObject({ state: 'sent', attempts: 3 });

    t.slack.failNext('chat.postMessage', { status: 500 }, 3);
    await t.repo.enqueue(intent('k2', 'CAAA'), t.clock.now());
    await outbox({ maxAttempts: 3 }).drainUntilIdle();
    expect(await t.repo.outboxByKey('k2')).toMatchObject({
      state: 'failed',
      attempts: 3,
      lastError: 'HTTP 500 (gave up after 3 attempts)',
    });
    expect(t.errors(/gave up on a Slack message/)).toHaveLength(1);
    expect(t.failed).toEqual(['http_500']);
  });

  it('recognises a post whose answer was lost (connection reset after it landed) instead of posting it twice', async () => {
    t.slack.failNext('chat.postMessage', { lost: 'reset', afterEffect: true });
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    await outbox().drainUntilIdle();
    const messages = t.slack.messagesIn('CAAA');
    expect(messages.map((m) => m.text)).toEqual(['k1']);
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(t.slack.callsOf('conversations.history')).toHaveLength(1);
    expect(await t.repo.outboxByKey('k1')).toMatchObject({ state: 'sent', resultTs: messages[0]!.ts, attempts: 1 });
  });

  it('posts again, once, when the lost answer came before the post landed (HTTP 504)', async () => {
    t.slack.failNext('chat.postMessage', { lost: 504, afterEffect: false });
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    await outbox().drainUntilIdle();
    expect(t.slack.messagesIn('CAAA').map((m) => m.text)).toEqual(['k1']);
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(2);
    expect(await t.repo.outboxByKey('k1')).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it('leaves an uncertain post to recovery when Slack’s history cannot be read either, and never posts it twice', async () => {
    t.slack.failNext('chat.postMessage', { lost: 500, afterEffect: true });
    t.slack.failNext('conversations.history', { status: 503 });
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    const box = outbox();
    await box.drainOnce();
    // Not re-posted blindly: the row waits for recovery, which reads the history once Slack answers.
    expect(await t.repo.outboxByKey('k1')).toMatchObject({ state: 'sending' });
    await box.drainUntilIdle();
    expect(t.slack.callsOf('conversations.history')).toHaveLength(2);
    expect(t.slack.messagesIn('CAAA')).toHaveLength(1);
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(await t.repo.outboxByKey('k1')).toMatchObject({
      state: 'sent',
      resultTs: t.slack.messagesIn('CAAA')[0]!.ts,
    });
  });

  it('retries a post whose connection was refused without looking for it (it cannot have landed)', async () => {
    await t.repo.enqueue(intent('k1', 'CAAA'), START);
    const unreachable = await t.fakeSlack();
    await unreachable.stop();
    await outbox({ slack: webClient(unreachable), maxAttempts: 2 }).drainUntilIdle();
    const row = await t.repo.outboxByKey('k1');
    expect(row).toMatchObject({ state: 'failed', attempts: 2 });
    expect(row!.lastError).toMatch(/^request failed: .*\(gave up after 2 attempts\)$/);
  });

  it('follows a channel given by name (#alpha) to the id Slack answers with, for pacing and crash checks', async () => {
    for (const i of [1, 2, 3]) await t.repo.enqueue(intent(`n${i}`, '#alpha'), START);
    await outbox().drainUntilIdle();
    const alpha = t.slack.messagesIn('CAAA');
    expect(alpha.map((m) => m.text)).toEqual(['n1', 'n2', 'n3']);
    for (let i = 1; i < alpha.length; i++)
      expect(alpha[i]!.postedAt - alpha[i - 1]!.postedAt).toBeGreaterThanOrEqual(1000);
    expect((await t.repo.outboxByKey('n3'))?.channel).toBe('CAAA');
  });

  it('joins a public channel it is not in, then posts', async () => {
    t.slack.addChannel({ id: 'CPUB', name: 'public', isMember: false });
    await t.repo.enqueue(intent('k1', 'CPUB'), START);
    await outbox().drainUntilIdle();
    expect(t.slack.callsOf('conversations.join')).toHaveLength(1);
    expect(t.slack.messagesIn('CPUB')).toHaveLength(1);
  });

  it('logs a clear error naming a private channel and the /invite fix, and keeps the message', async () => {
    t.slack.addChannel({ id: 'GPRIV', name: 'secret', isPrivate: true, isMember: false });
    await t.repo.enqueue(intent('k1', 'GPRIV'), START);
    const result = await outbox().drainOnce();
    expect(result.retried).toBe(1);
    const error = t.log.lines().find((l) => l['code'] === 'SLACK_NOT_IN_CHANNEL');
    expect(String(error?.['msg'])).toContain('GPRIV');
    expect(String(error?.['fix'])).toContain('/invite @Heed');
    const row = await t.repo.outboxByKey('k1');
    expect(row?.state).toBe('retry');
    expect(row!.nextAttemptAt.getTime()).toBe(START.getTime() + 15 * 60_000);
    // Once someone invites Heed, the message goes out.
    t.slack.channels.get('GPRIV')!.isMember = true;
    t.clock.advance(15 * 60_000);
    await outbox().drainUntilIdle();
    expect(t.slack.messagesIn('GPRIV')).toHaveLength(1);
  });

  it('after a crash between "posted" and "recorded", recognises the post instead of posting again', async () => {
    await t.repo.enqueue(intent('crash-1', 'CAAA'), START);
    let crashes = 1;
    const crashingRepo = new Proxy(t.repo, {
      get(target, prop) {
        if (prop === 'markSent' && crashes-- > 0) return async () => Promise.reject(new Error('simulated crash'));
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await expect(outbox({ repo: crashingRepo }).drainOnce()).rejects.toThrow('simulated crash');
    expect(t.slack.messagesIn('CAAA')).toHaveLength(1);
    expect((await t.repo.outboxByKey('crash-1'))?.state).toBe('sending');

    // "Restart": a fresh outbox over the same database. The dead process's claim (20 s) is left alone until it expires.
    t.clock.advance(10_000);
    const restarted = outbox();
    expect(await restarted.recover()).toEqual({ recognised: 0, requeued: 0 });
    t.clock.advance(15_000);
    expect(await restarted.recover()).toEqual({ recognised: 1, requeued: 0 });
    await restarted.drainUntilIdle();
    expect(t.slack.messagesIn('CAAA')).toHaveLength(1);
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(await t.repo.outboxByKey('crash-1')).toMatchObject({
      state: 'sent',
      resultTs: t.slack.messagesIn('CAAA')[0]!.ts,
    });
  });

  it('settles a result it could not record itself once its claim runs out, without posting twice', async () => {
    await t.repo.enqueue(intent('db-hiccup', 'CAAA'), START);
    let failures = 1;
    const flakyRepo = new Proxy(t.repo, {
      get(target, prop) {
        if (prop === 'markSent' && failures-- > 0) return async () => Promise.reject(new Error('database is locked'));
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const box = outbox({ repo: flakyRepo });
    await expect(box.drainOnce()).rejects.toThrow('database is locked');
    t.clock.advance(10_000);
    await box.drainOnce();
    expect((await t.repo.outboxByKey('db-hiccup'))?.state).toBe('sending');
    // Waiting for the claim to run out is part of draining: nothing is left behind in `sending`.
    await box.drainUntilIdle();
    expect(t.clock.now().getTime() - START.getTime()).toBeLessThan(25_000);
    expect(await t.repo.outboxByKey('db-hiccup')).toMatchObject({
      state: 'sent',
      resultTs: t.slack.messagesIn('CAAA')[0]!.ts,
    });
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(1);
  });

  it('re-posts exactly once when the crash came before the call reached Slack', async () => {
    await t.repo.enqueue(intent('crash-2', 'CAAA'), START);
    const [row] = await t.repo.dueOutbox(START, 10);
    // Claimed by a process that then died: its claim runs out a minute later, and only then is the row settled.
    expect(await t.repo.claim(row!.id, 'dead-process', START, new Date(START.getTime() + 60_000))).toBe(true);
    expect(await t.repo.claim(row!.id, 'another', START, new Date(START.getTime() + 60_000))).toBe(false);
    const restarted = outbox();
    expect(await restarted.recover()).toEqual({ recognised: 0, requeued: 0 });
    t.clock.advance(60_001);
    expect(await restarted.recover()).toEqual({ recognised: 0, requeued: 1 });
    await restarted.drainUntilIdle();
    expect(t.slack.messagesIn('CAAA')).toHaveLength(1);
    expect(t.slack.callsOf('conversations.history')[0]!.args).toMatchObject({
      channel: 'CAAA',
      include_all_metadata: 'true',
    });
  });

  it('marks a message Slack refuses as failed without retrying', async () => {
    t.slack.failNext('chat.postMessage', { error: 'invalid_blocks' });
    await t.repo.enqueue(intent('bad', 'CAAA'), START);
    await outbox().drainUntilIdle();
    expect(await t.repo.outboxByKey('bad')).toMatchObject({ state: 'failed', lastError: 'invalid_blocks' });
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(1);
  });

  // Slack processing and answering slowly: the post may land late in a call that outlasts the pace interval. The
  // lease taken before the call must hold until Slack's answer + 1 s, or another replica posts too soon after.
  const SLOW = [
    { name: 'Slack answering at once', before: () => 0, after: () => 0 },
    { name: 'Slack answering in 0.4–1 s', before: (r: number) => Math.round(r * 600), after: () => 400 },
    {
      name: 'Slack taking 1–2.5 s, the post landing late',
      before: (r: number) => 500 + Math.round(r * 1500),
      after: () => 500,
    },
  ];

  it.each(SLOW)('replica pacing: ≥ 1 s between posts in any channel across three replicas ($name)', async (slow) => {
    const random = createPrng(11);
    const paced = await t.fakeSlack({
      processingDelayMs: (method) => (method === 'chat.postMessage' ? slow.before(random.next()) : 0),
      answerDelayMs: (method) => (method === 'chat.postMessage' ? slow.after() : 0),
      wait: (ms) => t.clock.sleep(ms),
    });
    paced.addChannel({ id: 'CAAA', name: 'alpha' });
    paced.addChannel({ id: 'CBBB', name: 'beta' });
    const keys: string[] = [];
    for (let i = 1; i <= 10; i++) {
      for (const channel of ['CAAA', 'CBBB']) {
        keys.push(`${channel}-${i}`);
        await t.repo.enqueue(intent(`${channel}-${i}`, channel), START);
      }
    }
    const replicas = ['replica-a', 'replica-b', 'replica-c'].map((holder) => t.replica(holder, paced));
    await Promise.all(replicas.map((r) => r.drainUntilIdle()));

    const posts = [...paced.channels.values()].flatMap((c) => c.messages);
    expect(posts.map((m) => m.text).sort()).toEqual([...keys].sort());
    expect(paced.callsOf('chat.postMessage')).toHaveLength(keys.length);
    let minGap = Number.POSITIVE_INFINITY;
    for (const channel of ['CAAA', 'CBBB']) {
      const inChannel = paced.messagesIn(channel);
      // In order, too: one replica at a time per channel, oldest row first.
      expect(inChannel.map((m) => m.text)).toEqual(keys.filter((k) => k.startsWith(channel)));
      for (let i = 1; i < inChannel.length; i++)
        minGap = Math.min(minGap, inChannel[i]!.postedAt - inChannel[i - 1]!.postedAt);
    }
    expect(minGap).toBeGreaterThanOrEqual(1000);
  });
});
