// When a slash command is answered in its ack and when it is acknowledged first (answered through its response_url):
// idle, in the ack; with others being answered inline or waiting, or a busy server, acknowledged first and answered
// one at a time in arrival order; with too many waiting, the ack itself says Heed is busy. Every person reads either
// their answer or that message — never nothing.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { busyAnswer, COMMANDS_INLINE_AT_ONCE, createAnswerQueue, createSlackApp } from '../../src/slack/app.ts';
import type { SlackServices } from '../../src/slack/listeners/services.ts';
import { type Harness, startHarness } from './support/harness.ts';
import { sendSigned, TEST_SIGNING_SECRET } from './support/slack-requests.ts';

const FORM = 'application/x-www-form-urlencoded';
const BUSY_TEXT =
  ':hourglass_flowing_sand: Heed is answering a lot of commands at once and could not take your `/unanswered` — nothing was done. Please run it again in a minute.';

describe('a slash command’s ack', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('sqlite');
  });
  afterAll(async () => {
    await h?.close();
  });

  /**
   * A gate the slow reads wait at, opened by the test once the acks it expects are in (or after 2 s, so a broken
   * queue fails on its acks rather than hanging): which commands are answered in their ack then depends on what
   * was in flight, not on whether a loaded machine sent the requests within a read's few hundred milliseconds.
   * Two seconds stay under the 2.5 s ack deadline, so an answer held at the gate is still given in its ack.
   */
  function gate() {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const fallback = setTimeout(() => open(), 2000);
    return {
      opened,
      open: () => {
        clearTimeout(fallback);
        open();
      },
    };
  }

  /**
   * The harness's services with every read `delayMs` slow (after `until`, if given), counting how many listeners
   * read at once.
   */
  function slowServices(delayMs: number, until?: Promise<void>) {
    const concurrency = { now: 0, max: 0 };
    const reads = new Proxy(h.services.queries.reads, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function'
          ? async (...args: unknown[]) => {
              concurrency.now++;
              concurrency.max = Math.max(concurrency.max, concurrency.now);
              try {
                await until;
                await new Promise((r) => setTimeout(r, delayMs));
                return await value.apply(target, args);
              } finally {
                concurrency.now--;
              }
            }
          : value;
      },
    });
    const services: SlackServices = { ...h.services, queries: { ...h.services.queries, reads } };
    return { services, concurrency };
  }

  async function app(options: { services?: SlackServices; busy?: boolean; waitingLimit?: number }) {
    const slack = createSlackApp({
      env: {
        SLACK_BOT_TOKEN: 'xoxb-acks',
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_APP_TOKEN: undefined,
        SLACK_API_URL: h.slack.apiUrl,
        PORT: 0,
      },
      services: options.services ?? h.services,
      logger: silentLogger(),
      botId: 'BHEED',
      botUserId: 'UHEEDBOT',
      ...(options.busy !== undefined ? { loopPressure: { busy: () => options.busy! } } : {}),
      ...(options.waitingLimit !== undefined ? { commandsWaitingLimit: options.waitingLimit } : {}),
    });
    const { port } = await slack.start(0);
    return { base: `http://127.0.0.1:${port}`, stop: () => slack.stop() };
  }

  const body = (id: string) =>
    new URLSearchParams({
      command: '/unanswered',
      text: 'support',
      user_id: 'UALICE',
      channel_id: 'COTHER',
      team_id: 'T0HEED',
      response_url: h.slack.responseUrl(id),
      trigger_id: '1.2.3',
    }).toString();

  /** Waits for the answers posted to these response_url ids. */
  async function answersAt(ids: string[]) {
    const deadline = Date.now() + 15_000;
    const found = () => h.slack.responses.filter((r) => ids.some((id) => r.path === `/response/${id}`));
    while (Date.now() < deadline && found().length < ids.length) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    return found();
  }

  it('idle: is answered in its ack, and nothing goes to the response_url', async () => {
    const { base, stop } = await app({});
    try {
      const answer = await sendSigned(base, body('idle-1'), FORM);
      expect(answer.status).toBe(200);
      expect(JSON.stringify(answer.json?.['blocks'])).toMatch(/support/);
      await new Promise((r) => setTimeout(r, 200));
      expect(h.slack.responses.some((r) => r.path === '/response/idle-1')).toBe(false);
    } finally {
      await stop();
    }
  });

  it(`with ${COMMANDS_INLINE_AT_ONCE} being answered in their acks, the next ones are acknowledged first and answered through the response_url`, async () => {
    // Not busy by the loop's or the connections' measure: only the commands in flight decide.
    // The reads wait until the commands beyond the first four are acknowledged: the four stay in flight till then.
    const held = gate();
    const { services } = slowServices(50, held.opened);
    const { base, stop } = await app({ services, busy: false });
    try {
      const ids = Array.from({ length: 8 }, (_, k) => `inflight-${k}`);
      let empty = 0;
      const acks = await Promise.all(
        ids.map(async (id) => {
          const ack = await sendSigned(base, body(id), FORM);
          if (ack.text === '' && ++empty === ids.length - COMMANDS_INLINE_AT_ONCE) held.open();
          return ack;
        }),
      );
      expect(acks.map((a) => a.status)).toEqual(ids.map(() => 200));
      const inAck = ids.filter((_, k) => acks[k]!.text !== '');
      const first = ids.filter((_, k) => acks[k]!.text === '');
      expect(inAck).toHaveLength(COMMANDS_INLINE_AT_ONCE);
      for (const k of inAck.map((id) => ids.indexOf(id))) expect(JSON.stringify(acks[k]!.json)).toMatch(/support/);
      // Each of the others once, at its response_url, with the same answer a person would have read in the ack.
      const posted = await answersAt(first);
      expect(posted.map((r) => r.path).sort()).toEqual(first.map((id) => `/response/${id}`).sort());
      for (const r of posted) {
        expect(r.body).toMatchObject({ response_type: 'ephemeral' });
        expect(JSON.stringify(r.body.blocks)).toMatch(/support/);
      }
      expect(h.slack.responses.filter((r) => inAck.some((id) => r.path === `/response/${id}`))).toHaveLength(0);
    } finally {
      await stop();
    }
  });

  it('when busy: every command is acknowledged empty, and the answers come one at a time, in arrival order', async () => {
    const { services, concurrency } = slowServices(30);
    const { base, stop } = await app({ services, busy: true });
    try {
      const ids = Array.from({ length: 12 }, (_, k) => `queued-${k}`);
      // Sent one after the other (each acked before the next leaves), so the arrival order is known.
      for (const id of ids) {
        const ack = await sendSigned(base, body(id), FORM);
        expect([ack.status, ack.text]).toEqual([200, '']);
      }
      const posted = await answersAt(ids);
      expect(posted.map((r) => r.path)).toEqual(ids.map((id) => `/response/${id}`));
      for (const r of posted) expect(JSON.stringify(r.body.blocks)).toMatch(/support/);
      // One listener at a time: the answers never competed with each other (or with the acks) for the CPU.
      expect(concurrency.max).toBe(1);
    } finally {
      await stop();
    }
  });

  it('with too many waiting: the ack itself tells the person Heed is busy and to run the command again', async () => {
    // The first command's reads wait until all six are acknowledged: it is still being answered when the rest come.
    const held = gate();
    const { services } = slowServices(50, held.opened);
    const { base, stop } = await app({ services, busy: true, waitingLimit: 2 });
    try {
      const ids = Array.from({ length: 6 }, (_, k) => `full-${k}`);
      const acks: Awaited<ReturnType<typeof sendSigned>>[] = [];
      for (const id of ids) acks.push(await sendSigned(base, body(id), FORM));
      held.open();
      expect(acks.map((a) => a.status)).toEqual(ids.map(() => 200));
      // The first is being answered, two wait (the limit), the other three are told.
      const told = ids.filter((_, k) => acks[k]!.text !== '');
      const queued = ids.filter((_, k) => acks[k]!.text === '');
      expect(queued).toEqual(['full-0', 'full-1', 'full-2']);
      expect(told).toEqual(['full-3', 'full-4', 'full-5']);
      for (const id of told) {
        const json = acks[ids.indexOf(id)]!.json!;
        expect(json['response_type']).toBe('ephemeral');
        expect(json['text']).toBe(BUSY_TEXT);
        expect(JSON.stringify(json['blocks'])).toContain('could not take your `/unanswered`');
      }
      const posted = await answersAt(queued);
      expect(posted.map((r) => r.path)).toEqual(queued.map((id) => `/response/${id}`));
      // Nothing is run, nor posted later, for the commands Heed had no room for.
      await new Promise((r) => setTimeout(r, 300));
      expect(h.slack.responses.filter((r) => told.some((id) => r.path === `/response/${id}`))).toHaveLength(0);
    } finally {
      await stop();
    }
  });

  it('the busy message escapes the command name it quotes', () => {
    const message = busyAnswer('/x <!channel> *bold*');
    expect(message.text).not.toContain('<!channel>');
    expect(message.text).toContain('&lt;!channel&gt;');
  });

  it('answers wait while connections keep arriving, but never more than 250 ms apart', async () => {
    // On fake timers and a fake performance.now(): the queue's waits are measured on the clock that schedules
    // them, so no timer firing a fraction of a millisecond early (or a loaded machine firing one late) moves an
    // answer across a 250 ms boundary. The moments below are exact.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
    try {
      // A process up for a while (the fake performance.now() starts at 0; the queue's last start is 0 at first).
      vi.advanceTimersByTime(10_000);
      // Each look at the server finds another connection accepted since the last one, while `arriving`: a burst.
      let arriving = true;
      let arrivals = 0;
      const queue = createAnswerQueue({
        limit: 10,
        logger: silentLogger(),
        arrivals: () => (arriving ? ++arrivals : arrivals),
      });
      const startedAt: number[] = [];
      const t0 = performance.now();
      for (let k = 0; k < 4; k++) {
        queue.push((done) => {
          startedAt.push(performance.now() - t0);
          setTimeout(done, 5);
        });
      }
      await vi.advanceTimersByTimeAsync(600);
      arriving = false;
      const burstEndedAt = performance.now() - t0;
      await vi.advanceTimersByTimeAsync(100);
      expect(startedAt).toHaveLength(4);
      expect(queue.size).toBe(0);
      // The first at once (no answer for a while); the next two wait for a pause that never comes, then go anyway
      // 250 ms after the one before; the last as soon as the burst is over (the queue's next look, 1 ms on).
      expect(startedAt[0]!).toBe(0);
      expect(startedAt[1]! - startedAt[0]!).toBe(250);
      expect(startedAt[2]! - startedAt[1]!).toBe(250);
      expect(burstEndedAt).toBe(600);
      expect(startedAt[3]!).toBeGreaterThanOrEqual(burstEndedAt);
      expect(startedAt[3]! - burstEndedAt).toBeLessThanOrEqual(1);
      expect(startedAt[3]! - startedAt[2]!).toBeLessThan(250);
    } finally {
      vi.useRealTimers();
    }
  });
});
