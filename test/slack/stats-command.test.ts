// `/heed stats` end to end: tickets with their conversations, the real SLA evaluation writing the clocks, a nudge
// marked ✅ through a real reaction event, then signed slash commands through the real Bolt app and the figures
// read as a person reads them — the table's cells, the words under it, the message's text — on both databases.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type TPolicy, type TPolicyInput } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import { testProviders } from '../support/db.ts';
import { blockKitProblems } from './support/block-kit.ts';
import { type Harness, startHarness } from './support/harness.ts';
import type { SlackResponse } from './support/slack-requests.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const POLICY: TPolicyInput = {
  calendars: {
    office: {
      timezone: 'UTC',
      hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
    },
  },
  teams: [
    { name: 'support', channel: 'CSUPPORT', calendar: 'office', hubspotTeamIds: ['T1'] },
    { name: 'billing', channel: 'CBILLING', calendar: 'office', hubspotTeamIds: ['T2'] },
  ],
  sla: [{ name: 'standard', firstResponse: '1h', nextResponse: '2h', resolution: '3d' }],
  people: { 'carol@example.com': 'UCAROL', 'bob@example.com': 'UBOB' },
};

// Monday 2 March 2026 (UTC); Friday is 27 February.
const at = (day: string, time: string) => new Date(`2026-${day}T${time}:00.000Z`);
const MON = '03-02';
const FRI = '02-27';

/** The data table of a reply as rows of cell texts, "a | b | c". */
function tableOf(response: SlackResponse): string[] {
  const blocks = (response.json?.['blocks'] ?? []) as { type: string; rows?: { text: string }[][] }[];
  const table = blocks.find((b) => b.type === 'data_table');
  return table?.rows?.map((row) => row.map((c) => c.text).join(' | ')) ?? [];
}

/** The mrkdwn a person reads in the reply's sections and context lines. */
function wordsOf(response: SlackResponse): string {
  const out: string[] = [];
  const visit = (node: unknown, key?: string) => {
    if (Array.isArray(node)) for (const n of node) visit(n);
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) visit(v, k);
    else if (key === 'text' && typeof node === 'string') out.push(node);
  };
  const blocks = (response.json?.['blocks'] ?? []) as { type: string }[];
  visit(blocks.filter((b) => b.type === 'section' || b.type === 'context' || b.type === 'header'));
  return out.join('\n');
}

describe.each(testProviders())('/heed stats on %s', (provider) => {
  let h: Harness;
  let policy: TPolicy;

  beforeEach(async () => {
    policy = parsePolicy(POLICY, 'test policy');
    h = await startHarness(provider, { policy: POLICY });
    const prisma = h.db.prisma;
    const seeded = at(FRI, '08:00');
    await prisma.portal.create({
      data: { id: '4242', uiDomain: 'app.hubspot.com', timeZone: 'UTC', updatedAt: seeded },
    });
    for (const [id, email, firstName] of [
      ['o-carol', 'carol@example.com', 'Carol'],
      ['o-bob', 'bob@example.com', 'Bob'],
      // A name from HubSpot that would ping the whole channel if it reached Slack unescaped.
      ['o-eve', 'eve@example.com', 'Eve <!channel>'],
    ] as const) {
      await prisma.owner.create({
        data: { id, email, firstName, lastName: 'Agent', type: 'PERSON', updatedAt: seeded },
      });
    }
    await prisma.stage.create({
      data: { pipelineId: '0', id: '1', label: 'New', displayOrder: 0, isClosed: false, updatedAt: seeded },
    });

    // Each ticket: created at the customer's first message, with its conversation thread and messages.
    // A Carol: answered in 20 min (met). B Carol: answered in 90 min (missed, due 10:00). C Bob: answered in 40 min,
    // then a real question at 11:00 answered at 11:30 (next response met). D Eve: never answered (missed at 10:00).
    // E Bob, billing: answered in 10 min. F Carol, the Friday before: answered in 30 min (met).
    const tickets: [string, string, string, string, [string, string, string][]][] = [
      [
        'A',
        'o-carol',
        'T1',
        MON,
        [
          ['IN', '09:00', 'My printer is on fire'],
          ['OUT', '09:20', 'On our way.'],
        ],
      ],
      [
        'B',
        'o-carol',
        'T1',
        MON,
        [
          ['IN', '09:00', 'Invoice is wrong'],
          ['OUT', '10:30', 'Corrected.'],
        ],
      ],
      [
        'C',
        'o-bob',
        'T1',
        MON,
        [
          ['IN', '09:00', 'Export fails'],
          ['OUT', '09:40', 'Try clearing the cache.'],
          ['IN', '11:00', 'The cache is clear but the export still fails, what now?'],
          ['OUT', '11:30', 'Fixed on our side.'],
        ],
      ],
      ['D', 'o-eve', 'T1', MON, [['IN', '09:00', 'Hello? Anyone?']]],
      [
        'E',
        'o-bob',
        'T2',
        MON,
        [
          ['IN', '09:00', 'Refund please'],
          ['OUT', '09:10', 'Refunded.'],
        ],
      ],
      [
        'F',
        'o-carol',
        'T1',
        FRI,
        [
          ['IN', '09:00', 'Password reset'],
          ['OUT', '09:30', 'Done.'],
        ],
      ],
    ];
    for (const [id, ownerId, team, day, messages] of tickets) {
      const created = at(day, '09:00');
      await prisma.ticket.create({
        data: {
          id,
          subject: `Ticket ${id}`,
          pipelineId: '0',
          stageId: '1',
          priority: 'MEDIUM',
          ownerId,
          hubspotTeamId: team,
          contactName: 'Dana Customer',
          createdAt: created,
          modifiedAt: created,
          stageEnteredAt: created,
          syncedAt: at(MON, '12:00'),
        },
      });
      const last = at(day, messages.at(-1)![1]);
      await prisma.conversationThread.create({
        data: {
          id: `th-${id}`,
          ticketId: id,
          status: 'OPEN',
          createdAt: created,
          latestMessageAt: last,
          messagesSyncedTo: last,
          syncedAt: at(MON, '12:00'),
        },
      });
      await prisma.ticketMessage.createMany({
        data: messages.map(([direction, time, text], i) => ({
          id: `${id}-m${i}`,
          ticketId: id,
          threadId: `th-${id}`,
          type: 'MESSAGE',
          direction: direction === 'IN' ? 'INCOMING' : 'OUTGOING',
          senderKind: direction === 'IN' ? 'customer' : 'agent',
          createdAt: at(day, time),
          text,
        })),
      });
    }

    // The evaluation Heed runs every minute and the nudges it posts (Eve's ticket breaches at 10:00 while Heed
    // watches), then a ✅ from Bob on that nudge.
    for (const time of ['09:30', '09:50', '10:05']) {
      h.clock.set(at(MON, time));
      await evaluate({ db: h.db, config: { policy }, logger: silentLogger() }, at(MON, time), { mode: 'full' });
      await reconcileNudges(h.nudgeDeps, at(MON, time));
      await h.outbox.drainUntilIdle();
    }
    const nudgeOfD = (await prisma.nudge.findMany({ where: { flagKey: 'ticket:D:firstResponse:0' } }))[0]!;
    const posted = await prisma.outboxMessage.findUniqueOrThrow({ where: { id: nudgeOfD.postId! } });
    const reacted = await h.event({
      type: 'reaction_added',
      user: 'UBOB',
      reaction: 'white_check_mark',
      item_user: 'UHEEDBOT',
      item: { type: 'message', channel: 'CSUPPORT', ts: posted.resultTs! },
      event_ts: '1772452000.000100',
    });
    expect(reacted.status).toBe(200);
    expect(await prisma.flag.findUnique({ where: { key: 'ticket:D:firstResponse:0' } })).toMatchObject({
      state: 'handled',
      handledBy: 'UBOB',
    });
    h.clock.set(at(MON, '12:00'));
    await evaluate({ db: h.db, config: { policy }, logger: silentLogger() }, at(MON, '12:00'), { mode: 'full' });
  });

  afterEach(async () => {
    const problems = h.sentProblems();
    await h.close();
    expect(problems).toEqual([]);
  });

  it("in a team's channel: the team's table, one row per agent, and the same in words", async () => {
    const reply = await h.command('/heed', 'stats', { user: 'UCAROL', channel: 'CSUPPORT' });
    expect(reply.status).toBe(200);
    expect(blockKitProblems(reply.json)).toEqual([]);
    expect(reply.json?.['response_type']).toBe('ephemeral');
    expect(tableOf(reply)).toEqual([
      'Agent | First response met | Next response met | Resolution met | Median first response | p90 first response | Handled',
      // Carol: A met, B missed, F met (Friday) → 2 of 3; 20, 90, 30 min → median 30m, p90 1h 30m; A, B, F.
      'Carol Agent | 66.7% of 3 | — | — | 30m | 1h 30m | 3',
      // Bob: C met both clocks; D marked ✅ (his, though Eve's ticket); E is billing's.
      'Bob Agent | 100% of 1 | 100% of 1 | — | 40m | 40m | 2',
      // Eve: D missed, never answered: no time, nothing handled, and never "0%" where nothing was decided.
      'Eve <!channel> Agent | 0% of 1 | — | — | — | — | 0',
    ]);
    const words = wordsOf(reply);
    expect(words).toContain('SLA by agent — support, the last 7 days');
    expect(words).toContain(
      '*support* (Tue 24 Feb – Mon 2 Mar): first response 60% of 5 met · next response 100% of 1 · resolution — · first response median 35m, p90 1h 30m (4) · handled 5',
    );
    expect(words).toContain(
      '• <@UCAROL> — first response 66.7% of 3 met · next response — · resolution — · first response median 30m, p90 1h 30m (3) · handled 3',
    );
    expect(words).toContain('• <@UBOB> — first response 100% of 1 met · next response 100% of 1');
    // The HubSpot name escaped: it reads as written and pings nobody.
    expect(words).toContain('• Eve &lt;!channel&gt; Agent — first response 0% of 1 met');
    // (The table's cells are plain text, which Slack shows as written: there it may read as typed.)
    expect(words).not.toContain('<!channel>');
    expect(reply.json?.['text']).not.toContain('<!channel>');
    expect(reply.json?.['text']).toBe(
      'SLA by agent — support, the last 7 days: first response 60% of 5 met · next response 100% of 1 · resolution — · first response median 35m, p90 1h 30m (4) · handled 5. First response met by agent: <@UCAROL> 66.7% of 3, <@UBOB> 100% of 1, Eve &lt;!channel&gt; Agent 0% of 1.',
    );
  });

  it('names another team, or every team; outside a team channel, the caller’s own teams', async () => {
    const billing = await h.command('/heed', 'stats billing 30d', { user: 'UCAROL', channel: 'COTHER' });
    expect(tableOf(billing).slice(1)).toEqual(['Bob Agent | 100% of 1 | — | — | 10m | 10m | 1']);
    expect(wordsOf(billing)).toContain('SLA by agent — billing, the last 30 days');

    const all = await h.command('/heed', 'stats all', { user: 'UCAROL', channel: 'CSUPPORT' });
    expect(tableOf(all).slice(1)).toEqual([
      // Three handled each, three clocks decided each: by name.
      'Bob Agent | 100% of 2 | 100% of 1 | — | 25m | 40m | 3',
      'Carol Agent | 66.7% of 3 | — | — | 30m | 1h 30m | 3',
      'Eve <!channel> Agent | 0% of 1 | — | — | — | — | 0',
    ]);
    expect(wordsOf(all)).toContain('SLA by agent — all teams, the last 7 days');

    // Bob typing it in a channel of no team: the teams his tickets were in (support and billing).
    const mine = await h.command('/heed', 'stats', { user: 'UBOB', channel: 'COTHER' });
    expect(wordsOf(mine)).toContain('SLA by agent — support, billing, the last 7 days');
    expect(blockKitProblems(mine.json)).toEqual([]);
  });

  it('@someone: their figures by clock, and a chart of their daily met %', async () => {
    const reply = await h.command('/heed', 'stats <@UCAROL|carol> 30d', { user: 'UBOB', channel: 'CSUPPORT' });
    expect(blockKitProblems(reply.json)).toEqual([]);
    const words = wordsOf(reply);
    expect(words).toContain('SLA — Carol Agent, the last 30 days');
    expect(words).toContain('<@UCAROL> in support, Sun 1 Feb – Mon 2 Mar');
    expect(words).toContain('*First response:* 66.7% of 3 met');
    expect(words).toContain('*Next response:* — (none decided)');
    expect(words).toContain('*First response time:* median 30m · p90 1h 30m (3 replies)');
    expect(words).toContain('*Handled:* 3 handled: 3 tickets answered, 0 closed, 0 nudges marked ✅');
    const blocks = (reply.json?.['blocks'] ?? []) as { type: string; chart?: unknown; title?: string }[];
    const charts = blocks.filter((b) => b.type === 'data_visualization');
    expect(charts).toHaveLength(1);
    expect(charts[0]).toMatchObject({
      title: 'SLA met (%) by day, all three clocks',
      chart: {
        type: 'line',
        axis_config: { categories: ['27 Feb', '2 Mar'] },
        series: [
          {
            name: 'SLA met',
            data: [
              { label: '27 Feb', value: 100 },
              { label: '2 Mar', value: 50 },
            ],
          },
        ],
      },
    });
    // Where the chart does not render, the text has it as a sparkline.
    expect(reply.json?.['text']).toMatch(
      /^SLA — Carol Agent, the last 30 days: first response 66\.7% of 3 met .* By day: ·+█·+▁$/,
    );

    const me = await h.command('/heed', 'stats me', { user: 'UBOB', channel: 'COTHER' });
    expect(wordsOf(me)).toContain('*Handled:* 3 handled: 2 tickets answered, 0 closed, 1 nudge marked ✅');
    expect(wordsOf(me)).toContain('<@UBOB> in support, billing');
  });

  it.each([
    ['stats 9y', '"9y" is not a period I offer — use 7d or 30d.'],
    ['stats support 2w', '"2w" is not a period I offer — use 7d or 30d.'],
    ['stats nosuchteam', '"nosuchteam" is not a team I know (teams: support, billing).'],
    ['stats @carol', 'I couldn\'t tell who "@carol" is — pick them from Slack\'s @-autocomplete.'],
  ])('/heed %s answers with what was wrong and the usage', async (text, problem) => {
    const reply = await h.command('/heed', text, { user: 'UCAROL', channel: 'CSUPPORT' });
    expect(reply.status).toBe(200);
    expect(blockKitProblems(reply.json)).toEqual([]);
    expect(String(reply.json?.['text'])).toContain(problem.replace(/"/g, '"'));
    expect(wordsOf(reply)).toContain('`/heed stats [@someone | &lt;team&gt; | me | all] [7d | 30d]`');
    expect(tableOf(reply)).toEqual([]);
  });

  it('an unknown person: says so, with how to fix it', async () => {
    const reply = await h.command('/heed', 'stats <@UNOBODY|nobody>', { user: 'UCAROL', channel: 'CSUPPORT' });
    expect(reply.status).toBe(200);
    expect(reply.json?.['text']).toBe(
      "I couldn't match <@UNOBODY> to a HubSpot owner by email, so I have no figures for them. An admin can map them under `people` in Heed's policy.",
    );
    expect(h.log.lines().filter((e) => Number(e['level']) >= 50)).toEqual([]);
  });
});
