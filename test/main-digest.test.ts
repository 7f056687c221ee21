// A scheduled digest through `startHeed`, the composition root production runs: an empty database, the server
// started after the digest hour, HubSpot as the simulator and Slack as the fake server over HTTP. The digest is
// caught up at start, waits for the first sync since start (no evaluation has run: the evaluate job's cron does
// not fire here), and says what is breached now, late and why, naming owners as Slack mentions.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startSimulator } from '../src/hubspot/simulator/server.ts';
import { silentLogger } from '../src/logger.ts';
import { type RunningHeed, startHeed } from '../src/main.ts';
import { collectStatus } from '../src/ops/status.ts';
import { FakeSlackServer } from '../src/slack/fake-slack-server.ts';
import { TEST_SIGNING_SECRET } from './slack/support/slack-requests.ts';
import { createTestDatabase, type TestDatabase, testProviders } from './support/db.ts';

// Local servers only, through the real global fetch both vendor clients use (see main.test.ts).
beforeAll(() => nock.restore());
afterAll(() => nock.activate());

const ALWAYS = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
);
const HUBSPOT_TOKEN = 'pat-na1-00000000-1111-2222-3333-555555555555';

async function until<T>(what: string, read: () => Promise<T | undefined> | T | undefined, ms = 40_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}

/** Every piece of text in a message's blocks, joined. */
function blockText(blocks: unknown[]): string {
  const out: string[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') out.push(value);
        else visit(value);
      }
    }
  };
  visit(blocks);
  return out.join('\n');
}

describe.each(testProviders())('a scheduled digest through startHeed on %s', (provider) => {
  let database: TestDatabase;
  let heed: RunningHeed | undefined;
  let closeAll: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await heed?.stop();
    await closeAll?.();
    await database?.drop();
  });

  it('started after the digest hour on an empty database: waits for the first sync, then posts the present, late', async () => {
    database = await createTestDatabase(provider);
    // Slow enough that the first sync takes seconds: the digest is due at start and must not go before it.
    const simulator = await startSimulator({
      accessToken: HUBSPOT_TOKEN,
      latencyMs: 120,
      portalOptions: { seed: 7, tickets: 120, days: 7, now: Date.now() },
    });
    const slack = await new FakeSlackServer().start();
    slack.addChannel({ id: 'CTIER1', name: 'tier1' });
    slack.addChannel({ id: 'CREST', name: 'rest' });
    const people = new Map<string, string>();
    simulator.portal.owners.forEach((owner, index) => {
      if (!owner.email) return;
      slack.addUser(owner.email, `U0OWNER${index}`);
      people.set(`U0OWNER${index}`, `${owner.firstName} ${owner.lastName}`);
    });
    closeAll = async () => {
      await simulator.close();
      await slack.stop();
    };
    // The digest was due ten minutes ago (UTC calendar, every day): Heed was not running then.
    const dueAt = new Date(Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000);
    const policy = {
      calendars: { always: { timezone: 'UTC', hours: ALWAYS } },
      teams: [
        {
          name: 'tier1',
          channel: 'CTIER1',
          hubspotTeamIds: ['4001'],
          calendar: 'always',
          digest: { time: dueAt.toISOString().slice(11, 16), days: Object.keys(ALWAYS) },
          weeklyReport: { enabled: false },
        },
        {
          name: 'rest',
          channel: 'CREST',
          hubspotTeamIds: ['4002', '4003'],
          calendar: 'always',
          digest: { enabled: false },
          weeklyReport: { enabled: false },
        },
      ],
      sla: [{ name: 'standard', firstResponse: '1h', nextResponse: '2h', resolution: '1d' }],
      // Sync at once (every minute: the first tick runs it); the evaluation job not today (1 January only).
      sync: { intervalMinutes: 1 },
      schedules: { evaluateCron: '0 0 1 1 *', digestGraceHours: 3 },
    };
    const config = loadConfig({
      env: {
        DATABASE_URL: database.url,
        HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
        HUBSPOT_API_URL: simulator.url,
        SLACK_BOT_TOKEN: 'xoxb-test-digest',
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        HEED_CONFIG: '/policy.json',
      },
      fileExists: () => true,
      readFile: () => JSON.stringify(policy),
    });
    heed = await startHeed({ config, logger: silentLogger(), port: 0 });
    const db = heed.db;

    const digest = await until('the digest in #tier1', () =>
      slack.messagesIn('CTIER1').find((m) => String(m.metadata?.event_payload['key']).startsWith('digest:tier1:')),
    );
    const sync = await db.prisma.syncRun.findFirst({ where: { status: 'ok' }, orderBy: { startedAt: 'asc' } });
    expect(sync?.finishedAt).toBeTruthy();
    // Nothing went to the channel before the first sync had finished: no "all clear" out of an empty copy.
    expect(slack.messagesIn('CTIER1')).toHaveLength(1);
    expect(digest.postedAt).toBeGreaterThanOrEqual(sync!.finishedAt!.getTime());
    expect(await db.prisma.clockState.count()).toBe(0);

    const counts = /; (\d+) breached and (\d+) at risk now; (\d+) negative feedback unanswered\.$/m.exec(digest.text);
    expect(digest.text).toMatch(/^\(Late\) Daily digest — tier1: /);
    expect(Number(counts?.[1])).toBeGreaterThan(0);
    const text = blockText(digest.blocks);
    expect(text).not.toContain('All clear');
    expect(text).toContain(
      `*Late:* This digest is late (it was due ${dueAt.toISOString().slice(0, 16).replace('T', ' ')} UTC): Heed was not running then, and it waited for its first HubSpot sync since starting, so the numbers below are current.`,
    );
    expect(text).toContain(`*Waiting now* — ${counts![1]} breached, ${counts![2]} at risk (most urgent first)`);
    // Owners are Slack mentions even though no nudge has looked anyone up yet: each waiting line ends with its
    // owner, and only the shared queue (no email, so no Slack user) or nobody is named in plain text.
    const owners = text
      .split('\n')
      .filter((line) => line.startsWith(':rotating_light:') || line.startsWith(':hourglass_flowing_sand:'))
      .map((line) => line.split(' · ').at(-1)!);
    expect(owners.length).toBeGreaterThan(0);
    expect(owners.some((owner) => /^<@U0OWNER\d+>$/.test(owner))).toBe(true);
    for (const owner of owners) expect(owner).toMatch(/^(<@U0OWNER\d+>|_unassigned_|Support Queue)$/);
    expect([...people.values()].some((name) => owners.includes(name))).toBe(false);

    // The run is marked sent once Slack has it, and `heed status` says so.
    const run = await until('the digest run marked sent', async () => {
      const found = await db.prisma.digestRun.findFirst({ where: { team: 'tier1' } });
      return found?.status === 'sent' ? found : undefined;
    });
    expect(run).toMatchObject({ late: true, messageTs: digest.ts });
    const status = await collectStatus({ db, config }, new Date());
    expect(status.teams.find((t) => t.team === 'tier1')?.lastDigest).toMatchObject({ status: 'sent', late: true });
  }, 60_000);
});
