// Owner email → Slack user: policy overrides, the daily-refreshed cache (misses too), and the reverse
// lookup slash commands use, which must never eat Slack's 3 s.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackRepo } from '../../src/db/slack-repo.ts';
import { createSlackWebClient } from '../../src/slack/app.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { SlackUserDirectory, USERS_INFO_TIMEOUT_MS } from '../../src/slack/users.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';
import { captureLogger } from './support/capture-logger.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const DAY = 86_400_000;

describe.each(testProviders())('Slack user directory on %s', (provider) => {
  let db: OpenTestDb;
  let slack: FakeSlackServer;

  const client = (server: FakeSlackServer, options: { timeout?: number } = {}) =>
    createSlackWebClient({ SLACK_BOT_TOKEN: 'xoxb-t', SLACK_API_URL: server.apiUrl }, captureLogger().logger, {
      ...options,
    });
  const directory = (server = slack) =>
    new SlackUserDirectory({
      repo: new SlackRepo(db),
      slack: client(server),
      interactiveSlack: client(server, { timeout: USERS_INFO_TIMEOUT_MS }),
      people: { 'Carol@Example.com': 'UCAROL' },
      logger: captureLogger().logger,
    });

  beforeEach(async () => {
    db = await openTestDb(provider);
    slack = await new FakeSlackServer().start();
    slack.addUser('bob@example.com', 'UBOB');
  });

  afterEach(async () => {
    await slack.stop();
    await db.dispose();
  });

  it('prefers the policy, then looks up by email once a day, caching misses too', async () => {
    const d = directory();
    expect(await d.slackIdForEmail('carol@example.com', NOW)).toBe('UCAROL');
    expect(await d.slackIdForEmail('BOB@example.com', NOW)).toBe('UBOB');
    expect(await d.slackIdForEmail('bob@example.com', new Date(NOW.getTime() + DAY / 2))).toBe('UBOB');
    expect(await d.slackIdForEmail('eve@example.com', NOW)).toBeUndefined();
    expect(await d.slackIdForEmail('eve@example.com', NOW)).toBeUndefined();
    expect(slack.callsOf('users.lookupByEmail').map((c) => c.args['email'])).toEqual([
      'bob@example.com',
      'eve@example.com',
    ]);
    slack.addUser('eve@example.com', 'UEVE');
    expect(await d.slackIdForEmail('eve@example.com', new Date(NOW.getTime() + DAY + 1))).toBe('UEVE');
  });

  it('keeps the cached answer when Slack fails', async () => {
    const d = directory();
    await d.slackIdForEmail('bob@example.com', NOW);
    slack.failNext('users.lookupByEmail', { status: 503 });
    expect(await d.slackIdForEmail('bob@example.com', new Date(NOW.getTime() + 2 * DAY))).toBe('UBOB');
  });

  it('finds the emails of a Slack user from the policy, the cache, or users.info', async () => {
    const d = directory();
    expect(await d.emailsForSlackUser('UCAROL', NOW)).toEqual(['carol@example.com']);
    expect(await d.emailsForSlackUser('UBOB', NOW)).toEqual(['bob@example.com']);
    expect(await d.emailsForSlackUser('UBOB', NOW)).toEqual(['bob@example.com']);
    expect(slack.callsOf('users.info')).toHaveLength(1);
    expect(await d.emailsForSlackUser('UNOBODY', NOW)).toEqual([]);
  });

  it('gives up on users.info after a second rather than delay a slash command', async () => {
    const slow = await new FakeSlackServer({ answerDelayMs: 2500 }).start();
    try {
      slow.addUser('bob@example.com', 'UBOB');
      const started = performance.now();
      expect(await directory(slow).emailsForSlackUser('UBOB', NOW)).toEqual([]);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      await slow.stop();
    }
  });

  it('cancels the users.info request itself when it gives up (the connection is closed, not left waiting)', async () => {
    // A Slack that never answers, recording when the client hangs up.
    const hungUp: number[] = [];
    const silent = createServer((req) => {
      req.resume();
      req.socket.on('close', () => hungUp.push(performance.now()));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const apiUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/api/`;
    try {
      const quick = createSlackWebClient({ SLACK_BOT_TOKEN: 'xoxb-t', SLACK_API_URL: apiUrl }, captureLogger().logger, {
        timeout: USERS_INFO_TIMEOUT_MS,
      });
      const started = performance.now();
      const d = new SlackUserDirectory({
        repo: new SlackRepo(db),
        slack: quick,
        interactiveSlack: quick,
        people: {},
        logger: captureLogger().logger,
      });
      expect(await d.emailsForSlackUser('UBOB', NOW)).toEqual([]);
      // The server hears of the hang-up a moment after the client gave up (a generous deadline: the moment of the
      // hang-up is what is checked, below).
      for (const deadline = performance.now() + 5000; hungUp.length === 0 && performance.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(hungUp).toHaveLength(1);
      expect(hungUp[0]! - started).toBeLessThan(2000);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
