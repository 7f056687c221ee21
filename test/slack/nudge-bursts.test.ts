// A calm first day, and no storms ever: Heed meets a backlog of 40 tickets already late (and 3 that become late
// while it watches) through the real evaluation, reconciler, outbox and fake Slack. Counted per channel and per
// person at each step of the ladder: one summary per team instead of 40 nudges, the backlog's later steps within
// the burst budgets with the excess in one "and N more" message per channel or person (updated in place, never
// repeated), the leads channel capped — and a later wave (after an outage) summed up in a summary of its own.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parsePolicy, type TPolicy, type TPolicyInput } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import type { FakeMessage } from '../../src/slack/fake-slack-server.ts';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import { testProviders } from '../support/db.ts';
import { type Harness, startHarness } from './support/harness.ts';
import { seedCarolAndBob, shown } from './support/nudge-scenario.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const BUDGETS = { windowMinutes: 60, perChannel: 10, perEscalationChannel: 4, perPerson: 4 };
const POLICY: TPolicyInput = {
  calendars: {
    office: {
      timezone: 'UTC',
      hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
    },
  },
  teams: [{ name: 'support', channel: 'CSUPPORT', escalationChannel: 'CESCALATE', calendar: 'office' }],
  sla: [{ name: 'standard', firstResponse: '1h', escalateAfter: 0.5 }],
  people: { 'carol@example.com': 'UCAROL', 'bob@example.com': 'UBOB' },
  nudges: { ...BUDGETS, backlogWaveGapMinutes: 60 },
};

const at = (iso: string) => new Date(`2026-03-${iso}:00.000Z`);
/** Monday 2 March 2026, 10:00 UTC: Heed starts. */
const START = '02T10:00';

const keyOf = (m: FakeMessage) => String(m.metadata?.event_payload['key'] ?? '');

describe.each(testProviders())('a backlog meets the burst budgets, on %s', (provider) => {
  let h: Harness;
  let policy: TPolicy;

  beforeEach(async () => {
    policy = parsePolicy(POLICY, 'test policy');
    h = await startHarness(provider, { policy: POLICY });
    await seedCarolAndBob(h.db, at('01T08:00'));
    // 40 tickets nobody answered since last week (the oldest first: 1000 is the worst), half Carol's, half Bob's;
    // and 3 opened this morning whose first response becomes at risk minutes before Heed starts.
    for (let i = 0; i < 40; i++) {
      const createdAt = new Date(new Date('2026-02-26T09:00:00.000Z').getTime() + i * 5 * 60_000);
      await ticket(String(1000 + i), createdAt, i % 2 === 0 ? 'o-carol' : 'o-bob');
    }
    for (const id of ['2001', '2002', '2003']) await ticket(id, at('02T09:10'), 'o-carol');
  });

  afterEach(async () => {
    for (const channel of h.slack.channels.values())
      for (const m of channel.messages) expect(JSON.stringify(m.blocks)).not.toContain('heed.invalid');
    const problems = h.sentProblems();
    await h.close();
    expect(problems).toEqual([]);
  });

  async function ticket(id: string, createdAt: Date, ownerId: string) {
    await h.db.prisma.ticket.create({
      data: {
        id,
        subject: `Order ${id} never arrived`,
        priority: 'MEDIUM',
        ownerId,
        contactName: `Customer ${id}`,
        createdAt,
        modifiedAt: createdAt,
        syncedAt: createdAt,
      },
    });
  }

  async function tick(when: string) {
    h.clock.set(at(when));
    await evaluate({ db: h.db, config: { policy }, logger: silentLogger() }, at(when), { mode: 'full' });
    const summary = await reconcileNudges(h.nudgeDeps, at(when));
    await h.outbox.drainUntilIdle();
    return summary;
  }

  /** What a person sees: top-level messages per channel, DMs per person, thread pings. */
  function counts() {
    const top = (channel: string) => h.slack.messagesIn(channel);
    const support = top('CSUPPORT');
    return {
      support: support.length,
      summaries: support.filter((m) => keyOf(m).startsWith('rollup:')).length,
      nudges: support.filter((m) => keyOf(m).startsWith('nudge:')).length,
      pings: support.reduce((n, m) => n + h.slack.repliesTo('CSUPPORT', m.ts).length, 0),
      leads: top('CESCALATE').length,
      carol: top('DCAROL').length,
      bob: top('DBOB').length,
    };
  }

  it('first start: one summary, worst first, instead of 40 nudges; the live three get their own', async () => {
    expect(await tick(START)).toMatchObject({
      posted: 3,
      backlog: 40,
      summaries: 1,
      replies: 0,
      dms: 0,
      escalations: 0,
    });
    expect(counts()).toEqual({ support: 4, summaries: 1, nudges: 3, pings: 0, leads: 0, carol: 0, bob: 0 });
    const summary = h.slack.messagesIn('CSUPPORT').find((m) => keyOf(m).startsWith('rollup:'))!;
    expect(summary.text).toBe('support: 40 tickets were already late when Heed started watching — 40 still waiting.');
    const text = shown(summary, { withValues: true });
    expect(text).toContain(':inbox_tray: *40 tickets were already late when Heed started watching* — support');
    expect(text).toContain(
      'They were late before Heed could have noticed, so they are listed here rather than one message each.',
    );
    const lines = text.split('\n').filter((l) => l.startsWith(':rotating_light:'));
    expect(lines).toHaveLength(10);
    // Worst first (the oldest), each with its link, customer, clock, how late and its owner as a mention.
    expect(lines[0]).toMatch(
      /^:rotating_light: \*<https:\/\/app\.hubspot\.com\/contacts\/4242\/record\/0-5\/1000\|Order 1000 never arrived>\* — Customer 1000 · first response · \*overdue by \d+h( \d+m)?\* · <@UCAROL>$/,
    );
    expect(lines.map((l) => /record\/0-5\/(\d+)/.exec(l)?.[1])).toEqual(
      Array.from({ length: 10 }, (_, i) => String(1000 + i)),
    );
    expect(lines[1]).toMatch(/<@UBOB>$/);
    expect(text).toContain('…and 30 more: `/unanswered support` lists every one.');
    const button = (summary.blocks as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'rollup_show_all')!;
    expect(JSON.parse(button.value)).toMatchObject({ s: { kind: 'team', team: 'support' }, r: expect.any(String) });

    // "Show all waiting": the clicker alone gets the summary's whole list; the summary stays as it is.
    const clicked = await h.action({
      user: 'UALICE',
      channel: 'CSUPPORT',
      messageTs: summary.ts,
      actionId: 'rollup_show_all',
      value: button.value,
    });
    expect(clicked.status).toBe(200);
    const answer = await vi.waitUntil(() => h.slack.responses.at(-1));
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(answer.body['blocks'])).toContain("Still waiting — listed in support's summary");
    expect(JSON.stringify(answer.body['blocks'])).toMatch(/Showing 1–20 of 40, most urgent first/);
    // Its "More" pages through the same list.
    const more = (answer.body['blocks'] as { elements?: { action_id: string; value: string }[] }[])
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'list_more')!;
    await h.action({
      user: 'UALICE',
      channel: 'CSUPPORT',
      messageTs: summary.ts,
      actionId: 'list_more',
      value: more.value,
    });
    const page2 = await vi.waitUntil(() => (h.slack.responses.length >= 2 ? h.slack.responses.at(-1) : undefined));
    expect(JSON.stringify(page2.body['blocks'])).toMatch(/Showing 21–40 of 40, most urgent first/);
    expect(summary.updates).toBe(0);

    // Nothing changes: nothing is posted or edited.
    expect(await tick('02T10:01')).toMatchObject({ posted: 0, updated: 0, summaries: 0 });

    // Three of them are answered: the summary is edited in place, not posted again.
    for (const id of ['1000', '1001', '1002']) {
      await h.db.prisma.ticket.update({
        where: { id },
        data: { firstAgentReplyAt: at('02T10:02'), lastAgentMessageAt: at('02T10:02'), syncedAt: at('02T10:02') },
      });
    }
    expect(await tick('02T10:03')).toMatchObject({ posted: 0, summaries: 0, updated: 1 });
    expect(counts()).toMatchObject({ support: 4, summaries: 1 });
    const edited = h.slack.messagesIn('CSUPPORT').find((m) => keyOf(m).startsWith('rollup:'))!;
    expect(edited.updates).toBe(1);
    expect(edited.text).toBe('support: 40 tickets were already late when Heed started watching — 37 still waiting.');
    expect(shown(edited, { withValues: true })).toContain('*37 still waiting* · since: 3 answered');
    expect(shown(edited, { withValues: true })).toMatch(/^:rotating_light: \*<[^|]*\/1003\|/m);
  });

  it('the backlog steps up together: within the budgets, the rest in one "and N more" per channel and person', async () => {
    await tick(START);
    // Half the escalation window after first sight (15 business minutes): the owners are pinged. The channel has
    // used 4 of its 10; 5 more nudges of their own, then the "and N more" takes the last place.
    const ping = await tick('02T10:16');
    expect(ping).toMatchObject({ posted: 5, escalations: 0 });
    expect(counts()).toMatchObject({ support: 10, nudges: 8, summaries: 2, leads: 0 });
    // Each owner: at most 4 — 3 pings (thread + DM) and one "and N more" DM.
    expect(counts()).toMatchObject({ carol: 4, bob: 4 });
    const overflow = h.slack.messagesIn('CSUPPORT').at(-1)!;
    expect(overflow.text).toBe('support: …and 35 more tickets need attention — 35 still waiting.');
    expect(shown(overflow, { withValues: true })).toContain(
      'Heed sends at most 10 messages here in 60 minutes (policy `nudges.perChannel`); the rest are listed here and this message is kept up to date.',
    );
    expect(shown(overflow, { withValues: true })).toContain('…and 25 more: `/unanswered support` lists every one.');
    const carolMore = h.slack.messagesIn('DCAROL').at(-1)!;
    expect(carolMore.text).toBe('…and 20 more of your tickets need you — 20 still waiting.');
    expect(shown(carolMore, { withValues: true })).toContain(
      'Heed sends at most 4 pings to a person in 60 minutes (policy `nudges.perPerson`)',
    );
    expect(shown(carolMore, { withValues: true })).toContain('`/unanswered me` lists every one.');
    expect(shown(carolMore, { withValues: true })).toContain('{"s":{"kind":"user","userId":"UCAROL"},"r":"');

    // The whole window later the backlog is escalated: the leads get 3 escalations and one "and N more" — 4.
    const escalate = await tick('02T10:31');
    expect(escalate.escalations).toBe(3);
    expect(counts()).toMatchObject({ leads: 4 });
    const leadsMore = h.slack.messagesIn('CESCALATE').at(-1)!;
    expect(leadsMore.text).toMatch(/^…and \d+ more escalations — \d+ still waiting\.$/);
    expect(shown(leadsMore, { withValues: true })).toContain(
      'Heed sends at most 4 messages here in 60 minutes (policy `nudges.perEscalationChannel`)',
    );
    expect(shown(leadsMore, { withValues: true })).toMatch(/^:rotating_light: \[support\] \*</m);

    // More steps in the same window never add messages: the "and N more" messages are edited in place.
    const before = counts();
    await tick('02T10:45');
    await tick('02T11:00');
    expect(counts()).toEqual(before);
    expect(h.slack.messagesIn('CESCALATE')).toHaveLength(BUDGETS.perEscalationChannel);
    for (const channel of ['CSUPPORT', 'CESCALATE', 'DCAROL', 'DBOB']) {
      const rollups = h.slack.messagesIn(channel).filter((m) => keyOf(m).startsWith('rollup:'));
      expect(rollups.length, channel).toBeLessThanOrEqual(channel === 'CSUPPORT' ? 2 : 1);
    }
    // In any 60 minutes, no channel or person got more than its budget.
    for (const [channel, limit] of [
      ['CSUPPORT', BUDGETS.perChannel],
      ['CESCALATE', BUDGETS.perEscalationChannel],
      ['DCAROL', BUDGETS.perPerson],
      ['DBOB', BUDGETS.perPerson],
    ] as const) {
      const times = h.slack.messagesIn(channel).map((m) => m.postedAt);
      for (const t of times) {
        const inWindow = times.filter((u) => u >= t && u < t + BUDGETS.windowMinutes * 60_000).length;
        expect(inWindow, channel).toBeLessThanOrEqual(limit);
      }
    }
  });

  it('a later wave (after an outage) gets a summary of its own, with its own words', async () => {
    await tick(START);
    // Tuesday: five tickets HubSpot had not delivered (an outage) arrive, late since Monday.
    for (let i = 0; i < 5; i++) await ticket(String(3000 + i), at('02T11:00'), 'o-bob');
    await h.db.prisma.ticket.updateMany({
      where: { id: { startsWith: '300' } },
      data: { syncedAt: at('03T14:00') },
    });
    const wave = await tick('03T14:00');
    // (Monday's backlog climbed its ladder during the outage too: that is what the "and N more" messages hold.)
    expect(wave.backlog).toBe(5);
    const summaries = h.slack
      .messagesIn('CSUPPORT')
      .filter((m) => keyOf(m).startsWith('rollup:') && m.text.includes('already late'));
    expect(summaries.map((m) => m.text.replace(/ — \d+ still waiting\.$/, ''))).toEqual([
      'support: 40 tickets were already late when Heed started watching',
      'support: 5 tickets were found already late',
    ]);
    expect(shown(summaries[1], { withValues: true })).toContain(
      'Heed did not see them become late (an outage, a late sync or a policy change), so they are listed here rather than one message each.',
    );
  });

  it('two reconcilers at once (`heed nudge` beside `heed start`): each message once, within budget, nothing logged as failed', async () => {
    const replica = await startHarness(provider, { policy: POLICY, replicaOf: h });
    try {
      const both = async (when: string) => {
        h.clock.set(at(when));
        replica.clock.set(at(when));
        await evaluate({ db: h.db, config: { policy }, logger: silentLogger() }, at(when), { mode: 'full' });
        await Promise.all([
          reconcileNudges(h.nudgeDeps, at(when)),
          reconcileNudges(replica.nudgeDeps, at(when)),
          reconcileNudges(h.nudgeDeps, at(when)),
        ]);
        await Promise.all([h.outbox.drainUntilIdle(), replica.outbox.drainUntilIdle()]);
      };
      await both(START);
      expect(counts()).toEqual({ support: 4, summaries: 1, nudges: 3, pings: 0, leads: 0, carol: 0, bob: 0 });
      await both('02T10:16');
      await both('02T10:31');
      expect(counts()).toMatchObject({ support: 10, leads: 4, carol: 4, bob: 4 });
      expect(await h.db.prisma.nudge.count({ where: { activeKey: { not: null } } })).toBe(43);
      const keys = (await h.db.prisma.outboxMessage.findMany({ where: { kind: { not: 'update' } } })).map(
        (r) => r.idempotencyKey,
      );
      expect(new Set(keys).size).toBe(keys.length);
      const problems = [...h.log.lines(), ...replica.log.lines()].filter((l) => Number(l['level']) >= 50);
      expect(problems.map((l) => JSON.stringify(l))).toEqual([]);
    } finally {
      await replica.close();
    }
  });
});
