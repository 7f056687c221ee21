import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type TPolicyInput } from '../../src/config.ts';
import { collectStatus, relative, renderStatusText } from '../../src/ops/status.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

// Monday 2026-11-23 12:00 UTC = 13:00 in Berlin.
const NOW = new Date('2026-11-23T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

const nineToFive = [['09:00', '17:00']] as [string, string][];
const POLICY: TPolicyInput = {
  calendars: {
    berlin: { timezone: 'Europe/Berlin', hours: { mon: nineToFive, tue: nineToFive } },
    utc: { timezone: 'UTC', hours: { mon: nineToFive } },
  },
  teams: [
    { name: 'support', channel: 'C0SUPPORT', calendar: 'berlin', digest: { time: '09:00', days: ['tue', 'wed'] } },
    { name: 'billing', channel: 'C0BILLING', calendar: 'utc', digest: { enabled: false } },
  ],
  sla: [{ name: 'standard', firstResponse: '4h' }],
};
const policy = parsePolicy(POLICY, 'test policy');

describe.each(testProviders())('collectStatus on %s', (provider) => {
  let db: OpenTestDb;
  beforeEach(async () => {
    db = await openTestDb(provider);
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('reports an empty installation plainly', async () => {
    const facts = await collectStatus({ db, config: { policy } }, NOW);
    expect(facts).toMatchObject({
      provider,
      lastSync: undefined,
      lastSuccessfulSync: undefined,
      pendingWebhookFetches: 0,
      outbox: { depth: 0, oldestCreatedAt: undefined },
      lastEvaluation: undefined,
    });
    expect(facts.teams.map((t) => [t.team, t.open])).toEqual([
      ['support', 0],
      ['billing', 0],
    ]);
    const text = renderStatusText(facts);
    expect(text).toContain('Last sync:        never');
    expect(text).toContain('Slack outbox:     empty');
    expect(text).toContain('Last evaluation:  never');
  });

  it('gathers sync, webhook queue, outbox, evaluation, flags and digests', async () => {
    await db.prisma.syncRun.create({
      data: {
        id: 'good',
        kind: 'incremental',
        status: 'ok',
        startedAt: minutesAgo(20),
        finishedAt: minutesAgo(19),
        stats: JSON.stringify({ records: { tickets: 12, feedback: 3, owners: 0, archived: 1 } }),
      },
    });
    await db.prisma.syncRun.create({
      data: {
        id: 'bad',
        kind: 'incremental',
        status: 'failed',
        startedAt: minutesAgo(5),
        finishedAt: minutesAgo(4),
        error: 'HubSpot did not answer GET /crm/v3/owners after 6 attempts (last: 502).',
      },
    });
    for (const id of ['1', '2', '3']) {
      await db.prisma.pendingFetch.create({ data: { objectType: 'ticket', objectId: id, queuedAt: minutesAgo(1) } });
    }
    await db.prisma.outboxMessage.create({
      data: {
        id: 'o1',
        idempotencyKey: 'o1',
        kind: 'post',
        channel: 'C0SUPPORT',
        payload: '{}',
        state: 'retry',
        nextAttemptAt: NOW,
        createdAt: minutesAgo(6),
      },
    });
    await db.prisma.syncCursor.create({
      data: {
        name: 'evaluate',
        value: JSON.stringify({
          lastRunAt: minutesAgo(1).toISOString(),
          lastFullAt: minutesAgo(30).toISOString(),
          policyHash: 'x',
        }),
        updatedAt: minutesAgo(1),
      },
    });
    const flag = (key: string, team: string, state: string, kind = 'ticket') =>
      db.prisma.flag.create({ data: { key, kind, team, state, raisedAt: minutesAgo(60), updatedAt: minutesAgo(1) } });
    await flag('a', 'support', 'at_risk');
    await flag('b', 'support', 'breached');
    await flag('c', 'support', 'breached');
    await flag('d', 'support', 'overdue', 'feedback');
    await flag('e', 'support', 'resolved');
    await flag('f', 'billing', 'pending', 'feedback');
    await flag('g', 'retired-team', 'breached');
    await db.prisma.digestRun.create({
      data: { id: 'd1', team: 'support', day: '2026-11-20', status: 'sent', scheduledFor: minutesAgo(4000) },
    });
    await db.prisma.digestRun.create({
      data: { id: 'd2', team: 'support', day: '2026-11-23', status: 'sent', scheduledFor: minutesAgo(240), late: true },
    });
    // The weekly report's run (day "weekly:…") is not the last daily digest, though it sorts after every date.
    await db.prisma.digestRun.create({
      data: { id: 'w1', team: 'support', day: 'weekly:2026-11-23', status: 'failed', scheduledFor: minutesAgo(240) },
    });

    const facts = await collectStatus({ db, config: { policy } }, NOW);
    expect(facts.lastSync).toMatchObject({ id: 'bad', status: 'failed' });
    expect(facts.lastSuccessfulSync).toMatchObject({
      id: 'good',
      finishedAt: minutesAgo(19),
      records: { tickets: 12, feedback: 3, owners: 0, archived: 1 },
    });
    expect(facts.pendingWebhookFetches).toBe(3);
    expect(facts.outbox).toEqual({ depth: 1, oldestCreatedAt: minutesAgo(6) });
    expect(facts.lastEvaluation).toEqual({ lastRunAt: minutesAgo(1), lastFullAt: minutesAgo(30) });
    expect(facts.teams).toEqual([
      {
        team: 'support',
        open: 4,
        atRisk: 1,
        breached: 2,
        feedback: 1,
        feedbackOverdue: 1,
        // Next Tuesday 09:00 in Berlin (UTC+1 in November).
        nextDigestAt: new Date('2026-11-24T08:00:00.000Z'),
        lastDigest: { day: '2026-11-23', status: 'sent', late: true },
      },
      {
        team: 'billing',
        open: 1,
        atRisk: 0,
        breached: 0,
        feedback: 1,
        feedbackOverdue: 0,
        nextDigestAt: undefined,
        lastDigest: undefined,
      },
      {
        team: 'retired-team',
        open: 1,
        atRisk: 0,
        breached: 1,
        feedback: 0,
        feedbackOverdue: 0,
        nextDigestAt: undefined,
        lastDigest: undefined,
      },
    ]);

    expect(renderStatusText(facts).split('\n')).toEqual([
      `Heed status at 2026-11-23 12:00 UTC (${provider})`,
      '',
      'Last sync:        incremental, failed, finished 2026-11-23 11:56 UTC (4 min ago); no changes',
      '  error:          HubSpot did not answer GET /crm/v3/owners after 6 attempts (last: 502).',
      'Last good sync:   incremental, ok, finished 2026-11-23 11:41 UTC (19 min ago); 12 tickets, 3 feedback, 1 archived',
      'Webhook fetches:  3 pending',
      'Slack outbox:     1 queued, oldest since 6 min',
      'Last evaluation:  2026-11-23 11:59 UTC (1 min ago)',
      '',
      'Teams:',
      '  support       4 open: 1 at risk, 2 breached, 1 feedback (1 overdue); next digest 2026-11-24 08:00 UTC (in 20 h), last 2026-11-23 sent (late)',
      '  billing       1 open: 0 at risk, 0 breached, 1 feedback; digest off',
      '  retired-team  1 open: 0 at risk, 1 breached, 0 feedback; digest off',
    ]);
  });
});

describe('relative times', () => {
  it.each([
    [0, 'just now'],
    [5, '5 min ago'],
    [59, '59 min ago'],
    [60, '1 h ago'],
    [125, '2 h 5 min ago'],
    [3 * 1440, '3 d ago'],
    [-20, 'in 20 min'],
  ])('%i minutes before now reads "%s"', (minutes, text) => {
    expect(relative(minutesAgo(minutes), NOW)).toBe(text);
  });
});
