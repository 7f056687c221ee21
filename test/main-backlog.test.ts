// A calm first day, end to end: `startHeed` — the composition root production runs, its schedules on — meets a
// HubSpot portal (the simulator, over HTTP) with about 300 open tickets, most of them late, and a Slack workspace
// (the fake server, over HTTP). The escalation window is made tiny, so that within two minutes every late ticket
// has climbed the whole ladder: first sight, the owner pinged, the leads told. What reached Slack is counted per
// channel and per person: one backlog summary per team instead of one message per clock, every channel and
// person within its burst budget, the leads channel capped — no storm.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NUDGE_SETTINGS, loadConfig } from '../src/config.ts';
import { startSimulator } from '../src/hubspot/simulator/server.ts';
import { silentLogger } from '../src/logger.ts';
import { type RunningHeed, startHeed } from '../src/main.ts';
import { type FakeMessage, FakeSlackServer } from '../src/slack/fake-slack-server.ts';
import { TEST_SIGNING_SECRET } from './slack/support/slack-requests.ts';
import { createTestDatabase, type TestDatabase, testProviders } from './support/db.ts';

// Local servers only, through the real global fetch both vendor clients use (see main.test.ts).
beforeAll(() => nock.restore());
afterAll(() => nock.activate());

const ALWAYS = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
);
const HUBSPOT_TOKEN = 'pat-na1-00000000-1111-2222-3333-666666666666';
const TEAM_CHANNELS = { tier1: 'CTIER1', tier2: 'CTIER2', billing: 'CBILLING' } as const;
const quiet = { digest: { enabled: false }, weeklyReport: { enabled: false } };
const POLICY = {
  calendars: { always: { timezone: 'UTC', hours: ALWAYS } },
  teams: [
    {
      name: 'tier1',
      channel: 'CTIER1',
      escalationChannel: 'CLEADS',
      hubspotTeamIds: ['4001'],
      calendar: 'always',
      ...quiet,
    },
    {
      name: 'tier2',
      channel: 'CTIER2',
      escalationChannel: 'CLEADS',
      hubspotTeamIds: ['4002'],
      calendar: 'always',
      ...quiet,
    },
    {
      name: 'billing',
      channel: 'CBILLING',
      escalationChannel: 'CLEADS',
      hubspotTeamIds: ['4003'],
      calendar: 'always',
      ...quiet,
    },
  ],
  // A tiny escalation window: a backlog ticket's owner is pinged one minute after Heed first sees it, and the
  // leads are told a minute later — the whole ladder within the test's first minutes.
  sla: [{ name: 'standard', firstResponse: '30m', nextResponse: '1h', resolution: '4h', escalateAfter: 0.005 }],
  waitingOnCustomerStages: ['2', '81234569'],
  sync: { intervalMinutes: 1 },
  schedules: { evaluateCron: '*/10 * * * * *', digestGraceHours: 0 },
};

async function until<T>(what: string, read: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 500));
  }
}

const keyOf = (m: FakeMessage) => String(m.metadata?.event_payload['key'] ?? '');

describe.each(testProviders())('a first start on a ~300-ticket backlog through startHeed, on %s', (provider) => {
  let database: TestDatabase;
  let heed: RunningHeed | undefined;
  let closeAll: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await heed?.stop();
    await closeAll?.();
    await database?.drop();
  });

  it('one summary per team, every channel and person within its budget, the leads capped', async () => {
    database = await createTestDatabase(provider);
    const simulator = await startSimulator({
      accessToken: HUBSPOT_TOKEN,
      portalOptions: { seed: 12, tickets: 1400, days: 10, now: Date.now() },
    });
    // Present around the clock: whether an owner is away (routed to nobody, no DM) must not depend on the hour.
    simulator.portal.makeEveryonePresent(Date.now());
    const slack = await new FakeSlackServer().start();
    for (const [id, name] of [
      ['CTIER1', 'tier1'],
      ['CTIER2', 'tier2'],
      ['CBILLING', 'billing'],
      ['CLEADS', 'leads'],
    ] as const) {
      slack.addChannel({ id, name });
    }
    simulator.portal.owners.forEach((owner, index) => {
      if (owner.email) slack.addUser(owner.email, `U0OWNER${index}`);
    });
    closeAll = async () => {
      await simulator.close();
      await slack.stop();
    };
    const config = loadConfig({
      env: {
        DATABASE_URL: database.url,
        HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
        HUBSPOT_API_URL: simulator.url,
        SLACK_BOT_TOKEN: 'xoxb-test-backlog',
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        HEED_CONFIG: '/policy.json',
      },
      fileExists: () => true,
      readFile: () => JSON.stringify(POLICY),
    });
    const started = Date.now();
    heed = await startHeed({ config, logger: silentLogger(), port: 0 });
    const db = heed.db;

    // The first look: one summary per team, and nothing else from the backlog.
    await until(
      'a backlog summary in every team channel',
      () =>
        Object.values(TEAM_CHANNELS).every((c) => slack.messagesIn(c).some((m) => keyOf(m).startsWith('rollup:')))
          ? true
          : undefined,
      90_000,
    );

    // Every late clock climbs the ladder — its owner pinged a minute after Heed first saw it, the leads told a
    // minute later (a clock paused while the ticket waits on the customer stays where it is) — and Slack gets it.
    const firstSight = (await db.prisma.flag.aggregate({ _max: { seenAt: true } }))._max.seenAt!.getTime();
    let last = '';
    await until(
      'the whole ladder carried out and the outbox idle',
      async () => {
        const lagging = await db.prisma.$queryRaw<{ n: number | bigint }[]>`
          SELECT COUNT(*) AS "n" FROM "Nudge" n JOIN "Flag" f ON f."key" = n."activeKey"
           WHERE f."state" = 'breached' AND n."level" < f."escalationLevel"`;
        const queued = await db.prisma.outboxMessage.count({
          where: { state: { in: ['pending', 'retry', 'sending'] } },
        });
        const escalated = await db.prisma.flag.count({ where: { escalationLevel: 3 } });
        last = `${escalated} escalated, ${Number(lagging[0]?.n ?? 0)} nudges behind, ${queued} queued`;
        const settled = Date.now() > firstSight + 150_000 && Number(lagging[0]?.n ?? 0) === 0 && queued === 0;
        return settled && escalated > 0 ? true : undefined;
      },
      200_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${last}`);
    });
    // Most of the backlog reached the top of the ladder: this was a storm in the making.
    expect(await db.prisma.flag.count({ where: { escalationLevel: 3 } })).toBeGreaterThan(50);
    const minutes = (Date.now() - started) / 60_000;
    const lateTickets = new Set(
      (await db.prisma.flag.findMany({ where: { origin: 'backlog' }, select: { ticketId: true } })).map(
        (f) => f.ticketId,
      ),
    ).size;
    expect(lateTickets).toBeGreaterThan(250);
    // All of it inside one budget window: the budgets below are totals.
    expect(minutes).toBeLessThan(DEFAULT_NUDGE_SETTINGS.windowMinutes);

    const budgets = DEFAULT_NUDGE_SETTINGS;
    const dms = [...slack.channels.values()].filter((c) => c.id.startsWith('D'));
    const counts = {
      perTeam: Object.fromEntries(
        Object.entries(TEAM_CHANNELS).map(([team, channel]) => {
          const top = slack.messagesIn(channel);
          return [
            team,
            {
              top: top.length,
              summaries: top.filter((m) => m.text.includes('already late when Heed started watching')).length,
              more: top.filter((m) => keyOf(m).startsWith('rollup:') && m.text.includes('…and')).length,
              pings: top.reduce((n, m) => n + slack.repliesTo(channel, m.ts).length, 0),
            },
          ];
        }),
      ),
      leads: slack.messagesIn('CLEADS').length,
      dmsPerPerson: dms.map((c) => c.messages.length),
      rows: await db.prisma.outboxMessage.count({ where: { kind: { not: 'update' } } }),
      updates: await db.prisma.outboxMessage.count({ where: { kind: 'update', state: 'sent' } }),
    };
    // The figures, for the record (README, the report).
    process.stdout.write(
      `first start: ${lateTickets} late tickets in ${minutes.toFixed(1)} min → ${JSON.stringify(counts)}\n`,
    );
    for (const [team, c] of Object.entries(counts.perTeam)) {
      // One summary per team, and the channel within its budget (the summary and the "and N more" included).
      expect(c.summaries, team).toBe(1);
      expect(c.top, team).toBeLessThanOrEqual(budgets.perChannel);
      // Every individual nudge had its owner pinged at most once in its thread.
      expect(c.pings, team).toBeLessThanOrEqual(c.top);
    }
    // The leads channel never gets more than its budget — and did get the overflow, not silence.
    expect(counts.leads).toBeLessThanOrEqual(budgets.perEscalationChannel);
    expect(slack.messagesIn('CLEADS').at(-1)!.text).toMatch(/^…and \d+ more escalations — \d+ still waiting\.$/);
    // Each person: at most their budget of DMs, the "and N more" DM included.
    expect(dms.length).toBeGreaterThan(0);
    for (const n of counts.dmsPerPerson) expect(n).toBeLessThanOrEqual(budgets.perPerson);
    // Far from one message per clock: what a naive first start sent (issue 12: 425 rows for 310 tickets).
    const messagesSent = Object.values(counts.perTeam).reduce((n, c) => n + c.top + c.pings, 0);
    expect(messagesSent + counts.leads + counts.dmsPerPerson.reduce((a, b) => a + b, 0)).toBe(counts.rows);
    expect(counts.rows).toBeLessThan(
      3 * budgets.perChannel * 2 + budgets.perEscalationChannel + dms.length * budgets.perPerson + 1,
    );
    // The summary lists the worst first, with links and owners, and offers the whole list.
    const summary = slack.messagesIn('CTIER1').find((m) => m.text.includes('already late when Heed started watching'))!;
    const text = JSON.stringify(summary.blocks);
    expect(text).toMatch(/record\/0-5\/\d+\|/);
    // Some are late on resolution only, which /unanswered leaves out: the summary names its button instead.
    expect(text).toContain('the *Show all waiting* button lists every one.');
    expect(text).toContain('rollup_show_all');
  }, 300_000);
});
