// The outbox loop's life in `heed start` (src/slack/outbox-loop.ts): it recovers, then drains what is queued and
// what arrives later; a second start runs no second loop; a stop ends even a long idle wait at once, waits for the
// round in progress, and nothing is sent after it — not even when something is queued and start is called again.
// On the wall clock: the point is how long a stop takes.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import type { Outbox } from '../../src/slack/outbox.ts';
import { outboxLoop } from '../../src/slack/outbox-loop.ts';
import { testProviders } from '../support/db.ts';
import { intent, useOutboxTest } from './outbox-harness.ts';

/** An idle wait long enough that a stop which waited it out would time the test out. */
const IDLE_MS = 60_000;

async function until(what: string, condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The outbox's loop entry points, counted. */
function counted(outbox: Outbox) {
  const calls: string[] = [];
  return {
    calls,
    box: {
      recover: () => {
        calls.push('recover');
        return outbox.recover();
      },
      run: (signal: AbortSignal, idleMs?: number) => {
        calls.push('run');
        return outbox.run(signal, idleMs);
      },
    },
  };
}

describe.each(testProviders())('the outbox loop on %s', (provider) => {
  const t = useOutboxTest(provider);

  it('recovers, then drains what is queued and what comes later; a second start runs no second loop', async () => {
    await t.repo.enqueue(intent('first', 'CAAA'), new Date());
    const { calls, box } = counted(t.outbox({ clock: systemClock, perChannelIntervalMs: 0 }));
    const loop = outboxLoop(box, t.log.logger, { idleMs: 50 });
    loop.start();
    loop.start();
    expect(loop.running).toBe(true);
    await until('the first message in Slack', () => t.slack.messagesIn('CAAA').length === 1);
    await t.repo.enqueue(intent('later', 'CBBB'), new Date());
    await until('the later message in Slack', () => t.slack.messagesIn('CBBB').length === 1);
    await loop.stop();
    expect(calls).toEqual(['recover', 'run']);
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(2);
    expect(t.errors()).toEqual([]);
  });

  it('stops at once from a long idle wait, and sends nothing after the stop, even when started again', async () => {
    const loop = outboxLoop(t.outbox({ clock: systemClock }), t.log.logger, { idleMs: IDLE_MS });
    loop.start();
    // Let it drain its first (empty) round and go idle.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopping = performance.now();
    await loop.stop();
    expect(performance.now() - stopping).toBeLessThan(5_000);
    expect(loop.running).toBe(false);

    await t.repo.enqueue(intent('after-stop', 'CAAA'), new Date());
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(loop.running).toBe(false);
    expect(t.slack.callsOf('chat.postMessage')).toHaveLength(0);
    const row = await t.db.prisma.outboxMessage.findFirstOrThrow({ where: { idempotencyKey: 'after-stop' } });
    expect(row.state).toBe('pending');
    await loop.stop();
  });

  it('a stop before the start (Slack never answered) ends nothing and lets nothing start', async () => {
    const { calls, box } = counted(t.outbox({ clock: systemClock }));
    const loop = outboxLoop(box, t.log.logger);
    await loop.stop();
    loop.start();
    expect(calls).toEqual([]);
    expect(loop.running).toBe(false);
  });

  it('a recovery that fails is logged, and the drain starts anyway', async () => {
    await t.repo.enqueue(intent('queued', 'CAAA'), new Date());
    const outbox = t.outbox({ clock: systemClock, perChannelIntervalMs: 0 });
    const loop = outboxLoop(
      {
        recover: () => Promise.reject(new Error('database unavailable')),
        run: (signal, idleMs) => outbox.run(signal, idleMs),
      },
      t.log.logger,
      { idleMs: 50 },
    );
    loop.start();
    await until('the queued message in Slack', () => t.slack.messagesIn('CAAA').length === 1);
    await loop.stop();
    expect(t.errors().map((line) => line['msg'])).toEqual(['outbox: recovery failed']);
  });
});
