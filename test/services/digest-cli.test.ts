// `heed digest` end to end: a real database, the policy file on disk, and Slack as a local fake server
// reached over HTTP by the real WebClient through the outbox.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDigestCommand } from '../../src/cli/digest.ts';
import { manualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { messageProblems } from '../fixtures/digest/block-kit.ts';
import { NOW, POLICY_INPUT, seedDigestDataset } from '../fixtures/digest/dataset.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

describe.each(testProviders())('heed digest on %s', (provider) => {
  let db: OpenTestDb;
  let dir: string;
  let slack: FakeSlackServer;
  let out: string[];
  let err: string[];
  const io = { out: (text: string) => out.push(text), err: (text: string) => err.push(text) };

  beforeEach(async () => {
    db = await openTestDb(provider);
    await seedDigestDataset(db);
    dir = mkdtempSync(join(tmpdir(), 'heed-digest-cli-'));
    writeFileSync(join(dir, 'heed.config.json'), JSON.stringify(POLICY_INPUT));
    slack = await new FakeSlackServer().start();
    for (const id of ['C0SUPPORT', 'C0BILLING', 'C0QUIET', 'C0ESCALATE'])
      slack.addChannel({ id, name: id.toLowerCase() });
    out = [];
    err = [];
  });
  afterEach(async () => {
    await slack.stop();
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (extra: Record<string, string> = {}) =>
    loadConfig({
      env: { DATABASE_URL: db.url, HEED_CONFIG: join(dir, 'heed.config.json'), SLACK_API_URL: slack.apiUrl, ...extra },
    });
  const deps = (extra: Record<string, string> = {}) => ({
    config: config(extra),
    now: NOW,
    io,
    logger: silentLogger(),
    clock: manualClock(NOW),
    // The command's own WebClient, but over node:http: nock (test setup) breaks fetch bodies to localhost.
    slack: new webApi.WebClient('xoxb-test-token', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    }),
  });

  it('--dry-run prints every team’s digest as text and writes nothing', async () => {
    const code = await runDigestCommand({ dryRun: true, json: false, weekly: false }, deps());
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('Daily digest — support');
    expect(text).toContain('!! #T5 Invoice <wrong> & late');
    expect(text).toContain('Daily digest — billing');
    expect(text).toContain('All clear for quiet');
    expect(await db.prisma.dailyStat.count({ where: { day: '2026-11-23' } })).toBe(0);
    expect(await db.prisma.digestRun.count()).toBe(0);
    expect(await db.prisma.outboxMessage.count()).toBe(0);
    expect(slack.calls).toHaveLength(0);
  });

  it('--dry-run --json prints the Block Kit messages, each valid', async () => {
    const code = await runDigestCommand({ team: 'support', dryRun: true, json: true, weekly: false }, deps());
    expect(code).toBe(0);
    const printed = JSON.parse(out.join('\n')) as { team: string; messages: Record<string, unknown>[] }[];
    expect(printed.map((p) => p.team)).toEqual(['support']);
    for (const message of printed[0]!.messages) expect(messageProblems(message)).toEqual([]);
  });

  it('posts to the team channel once per day; a second run updates that message in place', async () => {
    const token = { SLACK_BOT_TOKEN: 'xoxb-test-token' };
    expect(await runDigestCommand({ team: 'support', dryRun: false, json: false, weekly: false }, deps(token))).toBe(0);
    expect(out).toEqual(['support: posted 1 message to C0SUPPORT.']);
    const messages = slack.channels.get('C0SUPPORT')!.messages;
    expect(messages).toHaveLength(1);
    expect(messages[0]!.metadata).toEqual({
      event_type: 'heed_nudge',
      event_payload: { key: 'digest:support:2026-11-24:1' },
    });
    expect(messages[0]!.text).toContain('1 breached and 1 at risk now; 2 negative feedback unanswered.');
    const run = await db.prisma.digestRun.findUnique({ where: { team_day: { team: 'support', day: '2026-11-24' } } });
    expect(run).toMatchObject({ status: 'sent', messageTs: messages[0]!.ts });

    // Later that morning T6 got its reply (which also follows up Erin's CSAT 1 on it): the second run corrects
    // the digest rather than posting another.
    await db.prisma.ticket.update({
      where: { id: 'T6' },
      data: { lastAgentMessageAt: new Date(NOW.getTime() - 10 * 60_000) },
    });
    out = [];
    expect(await runDigestCommand({ team: 'support', dryRun: false, json: false, weekly: false }, deps(token))).toBe(0);
    expect(out).toEqual(['support: updated the digest for 2026-11-24 in place in C0SUPPORT with the numbers of now.']);
    expect(slack.channels.get('C0SUPPORT')!.messages).toHaveLength(1);
    expect(messages[0]!.updates).toBe(1);
    expect(messages[0]!.text).toContain('1 breached and 0 at risk now; 1 negative feedback unanswered.');
    expect(JSON.stringify(messages[0]!.blocks)).toContain(
      'Updated 2026-11-24 09:30 UTC with the numbers of that moment',
    );
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
  });

  it('posts the weekly report to the escalation channel', async () => {
    const code = await runDigestCommand(
      { team: 'support', dryRun: false, json: false, weekly: true },
      deps({ SLACK_BOT_TOKEN: 'xoxb-test-token' }),
    );
    expect(code).toBe(0);
    expect(slack.channels.get('C0ESCALATE')!.messages).toHaveLength(1);
    expect(slack.channels.get('C0SUPPORT')!.messages).toHaveLength(0);
  });

  it('refuses to post without a bot token, before writing anything', async () => {
    await expect(runDigestCommand({ dryRun: false, json: false, weekly: false }, deps())).rejects.toMatchObject({
      code: 'ENV_MISSING',
    });
    expect(await db.prisma.digestRun.count()).toBe(0);
  });

  it('names the teams when --team is unknown', async () => {
    await expect(
      runDigestCommand({ team: 'nope', dryRun: true, json: false, weekly: false }, deps()),
    ).rejects.toMatchObject({ code: 'USAGE', message: 'There is no team named "nope".' });
  });
});
