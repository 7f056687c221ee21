// A deep drain keeps the event loop responsive: with 6,600 messages queued over 660 channels (the size of the
// backlog that lagged the loop by 3.15 s; ten per owner DM channel and team channel), a request to a server in the
// same process is answered well within Slack's 3-second ack deadline while the outbox sends its first 400 posts.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { SlackRepo } from '../../src/db/slack-repo.ts';
import { silentLogger } from '../../src/logger.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { HEED_METADATA_EVENT, Outbox } from '../../src/slack/outbox.ts';
import { openTestDb, testProviders } from '../support/db.ts';
import { webClient } from './outbox-harness.ts';

const QUEUED = 6600;
const CHANNELS = 660;
/** Posts to wait for (the first round alone could post one to every channel), and the most time they may take. */
const POSTS = 400;
const BOUND_MS = 60_000;
/** The longest an ack or a stall of the loop may take: Slack's 3 s ack deadline, less a second for the network. */
const ACK_BOUND_MS = 2000;

function roundTrip(port: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/slack/events', method: 'POST' }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe.each(testProviders())('outbox draining a deep queue on %s', (provider) => {
  it(`answers requests within Slack's ack deadline while ${QUEUED} messages drain`, { timeout: 120_000 }, async () => {
    const db = await openTestDb(provider);
    const slack = await new FakeSlackServer().start();
    const ack = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => ack.listen(0, '127.0.0.1', resolve));
    const port = (ack.address() as AddressInfo).port;
    try {
      const now = new Date();
      const rows = Array.from({ length: QUEUED }, (_, i) => {
        const channel = `C${String(i % CHANNELS).padStart(6, '0')}`;
        const key = `deep-${String(i).padStart(5, '0')}`;
        return {
          id: `${String(now.getTime()).padStart(14, '0')}-${String(i).padStart(15, '0')}-deadbeef`,
          idempotencyKey: key,
          kind: 'post',
          channel,
          payload: JSON.stringify({
            text: key,
            blocks: [{ type: 'section', text: { type: 'mrkdwn', text: key } }],
            metadata: { event_type: HEED_METADATA_EVENT, event_payload: { key } },
          }),
          state: 'pending',
          nextAttemptAt: now,
          createdAt: now,
        };
      });
      for (let i = 0; i < rows.length; i += 500)
        await db.prisma.outboxMessage.createMany({ data: rows.slice(i, i + 500) });
      for (let c = 0; c < CHANNELS; c++) slack.addChannel({ id: `C${String(c).padStart(6, '0')}`, name: `ch${c}` });

      const outbox = new Outbox({
        repo: new SlackRepo(db),
        slack: webClient(slack),
        clock: systemClock,
        logger: silentLogger(),
      });
      const stop = new AbortController();
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const draining = outbox.run(stop.signal);
      const acks: number[] = [];
      const started = performance.now();
      while (slack.callsOf('chat.postMessage').length < POSTS && performance.now() - started < BOUND_MS) {
        acks.push(await roundTrip(port));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const drainMs = performance.now() - started;
      stop.abort();
      await draining;
      delay.disable();

      const sent = slack.callsOf('chat.postMessage').length;
      acks.sort((x, y) => x - y);
      const maxLagMs = delay.max / 1e6;
      process.stdout.write(
        `outbox deep drain (${provider}): ${sent} sent in ${Math.round(drainMs)} ms; ack p50 ${acks[Math.floor(acks.length / 2)]!.toFixed(1)} ms, max ${acks.at(-1)!.toFixed(1)} ms; event-loop lag max ${maxLagMs.toFixed(0)} ms\n`,
      );
      // It drained (hundreds of posts), and stayed responsive doing it: within Slack's 3 s with a second to spare
      // for the network. Wall time on a shared machine: a 2-CPU machine at load 6.7 measured an ack of 1,020 ms
      // (p50 18 ms, loop lag 379 ms), so 1 s was too tight; the regression this guards lagged the loop 3.15 s.
      expect(sent).toBeGreaterThanOrEqual(POSTS);
      expect(acks.at(-1)!).toBeLessThan(ACK_BOUND_MS);
      expect(maxLagMs).toBeLessThan(ACK_BOUND_MS);
    } finally {
      await new Promise<void>((resolve) => ack.close(() => resolve()));
      await slack.stop();
      await db.dispose();
    }
  });
});
