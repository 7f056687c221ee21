import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { buildDigest } from '../../src/services/digest.ts';
import { digestJobHandlers } from '../../src/slack/digest-jobs.ts';
import { type DigestOutbox, digestForSlack, postDigest, settleDigestRun } from '../../src/slack/digest-post.ts';
import { renderDigest } from '../../src/slack/render/digest.ts';
import { renderDigestText } from '../../src/slack/render/digest-text.ts';
import { messageProblems, messageText } from '../fixtures/digest/block-kit.ts';
import { berlin, NOW, POLICY, seedDigestDataset } from '../fixtures/digest/dataset.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const config = { policy: POLICY } as Pick<Config, 'policy'>;

/** The outbox's enqueue, recorded (the Slack outbox's own behaviour is tested in outbox.test.ts). */
function recordingOutbox(): DigestOutbox & { intents: Parameters<DigestOutbox['enqueue']>[0][] } {
  const intents: Parameters<DigestOutbox['enqueue']>[0][] = [];
  return {
    intents,
    enqueue: async (intent) => {
      if (intents.some((i) => i.idempotencyKey === intent.idempotencyKey)) return false;
      intents.push(intent);
      return true;
    },
  };
}

describe.each(testProviders())('digest service on %s', (provider) => {
  // Reading tests share one seeded database (building a digest only rewrites the same DailyStat rows);
  // tests that post or add rows get their own.
  describe('reading the fixed dataset', () => {
    let db: OpenTestDb;

    beforeAll(async () => {
      db = await openTestDb(provider);
      await seedDigestDataset(db);
    });
    afterAll(async () => {
      await db.dispose();
    });

    it('computes every section of the fixed dataset with exact numbers', async () => {
      const model = await buildDigest({ db, config }, 'support', NOW);
      expect(model.period).toMatchObject({ firstDay: '2026-11-23', lastDay: '2026-11-23', days: 1 });
      expect(model.period.start).toEqual(berlin('2026-11-23 00:00'));
      expect(model.period.end).toEqual(berlin('2026-11-24 00:00'));
      expect(model.runDay).toBe('2026-11-24');
      expect(model.allClear).toBe(false);

      const numbers = Object.fromEntries(model.numbers.map((n) => [n.metric, n]));
      expect(
        Object.fromEntries(model.numbers.map((n) => [n.metric, [n.value, n.baseline, n.direction, n.verdict]])),
      ).toEqual({
        // Monday 16 Nov comes from DailyStat (3 new), the other baseline days from rows: (3+0+1+5+2+0+0)/7.
        new: [5, 1.6, 'up', 'neutral'],
        solved: [7, 0, 'up', 'better'],
        open: [6, 4.4, 'up', 'worse'],
        waiting: [2, 0.4, 'up', 'worse'],
        // One first response and one next response missed their due time on Monday: 2 breaches, none before.
        breached: [2, 0, 'up', 'worse'],
        frMetPct: [80, 100, 'down', 'worse'],
        nrMetPct: [50, null, null, null],
        frMedian: [35, 25, 'up', 'worse'],
        frP90: [120, 40, 'up', 'worse'],
      });
      expect(numbers['new']!.trend).toEqual([0, 0, 0, 0, 0, 0, 3, 0, 1, 5, 2, 0, 0, 5]);
      expect(numbers['new']!.sparkline).toBe('▁▁▁▁▁▁▅▁▂█▄▁▁█');

      expect(model.waiting.breached).toBe(1);
      expect(model.waiting.atRisk).toBe(1);
      expect(model.waiting.items.map((i) => [i.ticketId, i.clock, i.state, i.overdueMinutes, i.owner])).toEqual([
        // Stored as 0 overdue at Monday 17:00; by Tuesday 10:30 it is 90 business minutes.
        ['T5', 'firstResponse', 'breached', 90, { ownerId: 'o3', name: 'Cy Twombly', slackUserId: null }],
        ['T6', 'nextResponse', 'at_risk', 0, { ownerId: 'o2', name: 'Bob Stone', slackUserId: 'U0BOB' }],
      ]);
      expect(model.waiting.items[0]!.url).toBe('https://app-eu1.hubspot.com/contacts/4242/record/0-5/T5');

      expect(model.feedback.unanswered.map((f) => [f.id, f.state])).toEqual([
        ['F1', 'overdue'],
        ['F2', 'pending'],
      ]);
      expect(model.feedback.detractors).toEqual({ now: 1, before: 0 });
      expect(model.feedback.lowCsat).toEqual({ now: 1, before: 0 });
      expect(model.feedback.negative).toEqual({ now: 3, before: 0 });
      expect(model.decline.map((d) => d.kind)).toEqual(['complaints', 'promoters']);
      expect(model.decline[1]!.text).toBe(
        'Fewer promoters: 1 customer scored 9–10 this week, down from 4 the week before.',
      );

      expect(model.origins.categories).toEqual([
        { name: 'Billing', count: 3, recent: 7 },
        { name: 'Login', count: 2, recent: 4 },
        { name: 'Refund', count: 0, recent: 1 },
        { name: 'Uncategorised', count: 0, recent: 1 },
      ]);
      expect(model.origins.sources).toEqual([
        { name: 'EMAIL', count: 3, recent: 11 },
        { name: 'CHAT', count: 1, recent: 1 },
        { name: 'FORM', count: 1, recent: 1 },
      ]);
      expect(model.thanks).toEqual({
        // Ada's median (30m) is no slower than the team's (35m): "fastest" agrees with the numbers above it.
        fastest: {
          owner: { ownerId: 'o1', name: 'Ada Lovelace', slackUserId: 'U0ADA' },
          medianMinutes: 30,
          tickets: 3,
          teamMedianMinutes: 35,
        },
        mostClosed: { owner: { ownerId: 'o2', name: 'Bob Stone', slackUserId: 'U0BOB' }, count: 4 },
      });
    });

    it('asks Slack about owners it names without a known user (the first digest after a start)', async () => {
      const asked: string[] = [];
      const users = {
        slackIdForEmail: async (email: string | null | undefined) => {
          asked.push(String(email));
          return email === 'cy@example.com' ? 'U0CY' : undefined;
        },
      };
      const model = await buildDigest({ db, config, users }, 'support', NOW);
      // Only Cy is named without a Slack user (Ada is in the people map, Bob in the cache).
      expect(asked).toEqual(['cy@example.com']);
      expect(model.waiting.items.map((i) => i.owner?.slackUserId)).toEqual(['U0CY', 'U0BOB']);
      expect(messageText(renderDigest(model)[0]!)).toContain('first response *overdue by 1h 30m* · <@U0CY>');
    });

    it('stores finished days in DailyStat and keeps a stored day as it was', async () => {
      await buildDigest({ db, config }, 'support', NOW);
      const rows = await db.prisma.dailyStat.findMany({ where: { team: 'support' } });
      const monday = Object.fromEntries(rows.filter((r) => r.day === '2026-11-23').map((r) => [r.metric, r.value]));
      expect(monday).toMatchObject({
        new: 5,
        solved: 7,
        open: 6,
        waiting: 2,
        frMetPct: 80,
        nrMetPct: 50,
        frMedian: 35,
        frP90: 120,
        breached: 2,
      });
      // The stored Monday 16 Nov (retention pruned its tickets) is not overwritten by a recount from rows.
      expect(rows.filter((r) => r.day === '2026-11-16').sort((a, b) => a.metric.localeCompare(b.metric))).toEqual([
        { team: 'support', day: '2026-11-16', metric: 'breached', value: 0 },
        { team: 'support', day: '2026-11-16', metric: 'new', value: 3 },
      ]);
      // 14 trend days, none in the future.
      expect(new Set(rows.map((r) => r.day)).size).toBe(14);
      expect(rows.every((r) => r.day <= '2026-11-23')).toBe(true);
      // Unmeasured values are absent, not stored as a fake number: no next-response clock was decided on the 18th.
      expect(rows.some((r) => r.day === '2026-11-18' && r.metric === 'nrMetPct')).toBe(false);
    });

    it('renders the digest within Slack’s limits and says what the numbers say', async () => {
      const model = await buildDigest({ db, config }, 'support', NOW);
      const messages = renderDigest(model);
      expect(messages).toHaveLength(1);
      expect(messageProblems(messages[0]!)).toEqual([]);
      const text = messageText(messages[0]!);
      expect(text).toContain('Daily digest — support');
      expect(text).toContain('*Yesterday in numbers (Mon 23 Nov)*');
      expect(text).toContain('*New tickets*\n*5*  ↑ +3.4 vs 1.6\n`▁▁▁▁▁▁▅▁▂█▄▁▁█`');
      expect(text).toContain('*Median first response*\n*35m*  ↑ +10m vs 25m — worse');
      expect(text).toContain('*First-response SLA met*\n*80%*  ↓ −20 pts vs 100% — worse');
      expect(text).toContain('*Next-response SLA met*\n*50%*  no earlier data');
      // User text is escaped; owners are mentioned when mapped and named when not.
      expect(text).toContain(
        '<https://app-eu1.hubspot.com/contacts/4242/record/0-5/T5|Invoice &lt;wrong&gt; &amp; late>',
      );
      expect(text).toContain('Zoë &amp; Co · first response *overdue by 1h 30m* · Cy Twombly');
      expect(text).toContain('<@U0BOB>');
      expect(text).toContain('>The app keeps logging me out &amp; support &lt;never&gt; answers. Fix it!');
      expect(text).toContain(
        'Complaints are rising: 3 negative feedback answers this week, up from 0 the week before.',
      );
      expect(text).toContain('By category: Billing 3 (7 in 7 days) · Login 2 (4 in 7 days)');
      expect(text).toContain(
        ":raised_hands: *Thanks* to fastest first replies — <@U0ADA> (median 30m over 3 tickets; the team's 35m); most tickets closed — <@U0BOB> (4).",
      );
      expect(messages[0]!.text).toContain('5 new, 7 solved, 2 waiting on us; 1 breached and 1 at risk now');
      // The 14-day trend as two line charts; a day without a decided first response is left out of the SLA one.
      expect(text).toContain(
        '[chart] Waiting on us and SLA breaches, last 14 days\nWaiting on us: 0 0 0 0 0 0 0 0 0 0 1 1 1 2\nSLA breaches: 0 0 0 0 0 0 0 0 0 0 0 0 0 2',
      );
      const sla = messages[0]!.blocks.find((b) => b.block_id === 'digest_trend_sla');
      expect(sla).toMatchObject({
        type: 'data_visualization',
        title: 'First-response SLA met (%), last 14 days',
        chart: {
          type: 'line',
          axis_config: { categories: ['18 Nov', '19 Nov', '20 Nov', '23 Nov'] },
          series: [
            { name: 'First response', data: [{ label: '18 Nov', value: 100 }, {}, {}, { label: '23 Nov', value: 80 }] },
          ],
        },
      });
      // The sparklines stay as the text where charts do not render.
      expect(messages[0]!.text).toContain(
        'Last 14 days: Waiting on us ▁▁▁▁▁▁▁▁▁▁▅▅▅█ · SLA breaches ▁▁▁▁▁▁▁▁▁▁▁▁▁█ · First-response SLA met ········███··▁',
      );
    });

    it('prints the digest as terminal text', async () => {
      const model = await buildDigest({ db, config }, 'support', NOW);
      const text = renderDigestText(model);
      expect(text).toContain('Daily digest — support\n======================');
      expect(text).toMatch(/ {2}New tickets +5 {2}▁▁▁▁▁▁▅▁▂█▄▁▁█ {2}↑ \+3\.4 vs 1\.6\n/);
      expect(text).toContain(
        '!! #T5 Invoice <wrong> & late — Zoë & Co · first response overdue by 1h 30m · Cy Twombly',
      );
      expect(text).toContain('> The app keeps logging me out & support <never> answers. Fix it!');
      // Clock times in the team's zone (Berlin), not UTC.
      expect(text).toContain('next response due Tue 24 Nov, 11:00 · Bob Stone (@U0BOB)');
      expect(text).toContain('* NPS 2 from Dana Scully · submitted Mon 23 Nov, 10:00 · follow-up overdue');
      expect(text).toContain('clock times are Europe/Berlin. Generated Tue 24 Nov, 10:30.');
      expect(text).toContain(
        "Thanks to fastest first replies — Ada Lovelace (@U0ADA) (median 30m over 3 tickets; the team's 35m)",
      );
    });

    it('gives a team with nothing to report a one-line all-clear', async () => {
      const model = await buildDigest({ db, config }, 'quiet', NOW);
      expect(model.allClear).toBe(true);
      const messages = renderDigest(model);
      expect(messages).toHaveLength(1);
      expect(messages[0]!.blocks).toHaveLength(1);
      expect(messageProblems(messages[0]!)).toEqual([]);
      expect(messages[0]!.text).toBe('All clear for quiet: nothing new yesterday (Mon 23 Nov), nothing waiting on us.');
      expect(renderDigestText(model)).toBe(
        'All clear for quiet: nothing new yesterday (Mon 23 Nov), nothing waiting on us.\n',
      );
    });

    it('builds the weekly report: the week against the week before', async () => {
      const model = await buildDigest({ db, config }, 'support', berlin('2026-11-30 09:00'), { kind: 'weekly' });
      expect(model.period).toMatchObject({ firstDay: '2026-11-23', lastDay: '2026-11-29', days: 7 });
      expect(model.comparedWith).toBe('the week before');
      const value = (metric: string) => model.numbers.find((n) => n.metric === metric)!;
      expect([value('new').value, value('new').baseline]).toEqual([5, 8]);
      expect([value('solved').value, value('solved').baseline]).toEqual([7, 0]);
      const messages = renderDigest(model);
      for (const message of messages) expect(messageProblems(message)).toEqual([]);
      expect(messageText(messages[0]!)).toContain('Weekly report — support');
      expect(messageText(messages[0]!)).toContain('*The week in numbers (week of Mon 23 Nov)*');
      // Week over week as two bar charts (counts, SLA met), and per agent as a table; a rate the week before
      // never measured (next response) is left out of the chart rather than drawn as 0%.
      const text = messageText(messages[0]!);
      expect(text).toContain('[chart] This week and the week before\nThis week: 5 7 2 3\nThe week before: 8 0 1 0');
      expect(text).toContain('[chart] SLA met (%), this week and the week before\nThis week: 80\nThe week before: 100');
      const charts = messages[0]!.blocks.filter((b) => b.type === 'data_visualization');
      expect(
        charts.map((c) => c.type === 'data_visualization' && c.chart.type !== 'pie' && c.chart.axis_config.categories),
      ).toEqual([['New', 'Solved', 'Waiting on us', 'SLA breaches'], ['First response']]);
      // The per-agent section: the team's SLA figures in a line, every agent's in a table (what `/heed stats`
      // shows), agreeing with the week's numbers above (first response 80%, next response 33.3%, median 35m).
      expect(text).toContain(
        [
          ':bar_chart: *SLA by agent, the week of Mon 23 Nov* — the team: first response 80% of 5 met · next response 33.3% of 3 · resolution — · first response median 35m, p90 2h (4) · handled 6',
          '[table] SLA by agent, the week of Mon 23 Nov (3 agents)',
          'Agent | First response met | Next response met | Resolution met | Median first response | p90 first response | Handled',
          'Ada Lovelace | 100% of 3 | — | — | 30m | 40m | 3',
          'Bob Stone | 100% of 1 | 50% of 2 | — | 2h | 2h | 2',
          'Cy Twombly | 0% of 1 | 0% of 1 | — | — | — | 1',
        ].join('\n'),
      );
      // Where charts and tables do not render, the message's text says the same.
      expect(messages[0]!.text).toContain(
        'This week (the week before): New 5 (8) · Solved 7 (0) · Waiting on us 2 (1) · SLA breaches 3 (0) · First response SLA 80% (100%) · Next response SLA 33.3% (n/a)',
      );
      expect(messages[0]!.text).toContain(
        'SLA by agent: Ada Lovelace: first response 100% of 3 met · next response — · resolution — · first response median 30m, p90 40m (3) · handled 3 · Bob Stone: first response 100% of 1 met · next response 50% of 2 · resolution — · first response median 2h, p90 2h (1) · handled 2 · Cy Twombly: first response 0% of 1 met · next response 0% of 1 · resolution — · no first responses · handled 1',
      );
    });

    it('refuses an unknown team, naming the known ones', async () => {
      await expect(buildDigest({ db, config }, 'nobody', NOW)).rejects.toMatchObject({
        code: 'USAGE',
        fix: expect.stringContaining('support, billing, quiet'),
      });
    });
  });

  describe('posting and changing rows', () => {
    let db: OpenTestDb;

    beforeEach(async () => {
      db = await openTestDb(provider);
      await seedDigestDataset(db);
    });
    afterEach(async () => {
      await db.dispose();
    });

    it('drops what was marked handled in Slack and says who claimed what', async () => {
      const flag = (key: string, state: string, claimedBy: string | null) => ({
        key,
        kind: 'ticket',
        ticketId: key.split(':')[1]!,
        clock: key.split(':')[2]!,
        team: 'support',
        state,
        raisedAt: NOW,
        claimedBy,
        updatedAt: NOW,
      });
      await db.prisma.flag.createMany({
        data: [
          flag('ticket:T5:firstResponse:0', 'handled', null),
          flag('ticket:T6:nextResponse:0', 'at_risk', 'U0CLAIM'),
        ],
      });
      const model = await buildDigest({ db, config }, 'support', NOW);
      expect(model.waiting.items.map((i) => [i.ticketId, i.claimedBy])).toEqual([['T6', 'U0CLAIM']]);
      expect(messageText(renderDigest(model)[0]!)).toContain('· <@U0BOB> · :eyes: <@U0CLAIM> is on it');
    });

    it('keeps other teams’ tickets and feedback out', async () => {
      // Praise for a billing ticket closed long before the digest's history window is still billing's.
      await db.prisma.ticket.create({
        data: {
          id: 'T99',
          pipelineId: 'billing-pipe',
          createdAt: berlin('2026-10-01 10:00'),
          closedAt: berlin('2026-10-02 10:00'),
          isClosed: true,
          modifiedAt: NOW,
          syncedAt: NOW,
        },
      });
      await db.prisma.feedbackSubmission.create({
        data: {
          id: 'F99',
          surveyType: 'NPS',
          value: 10,
          submittedAt: berlin('2026-11-23 12:00'),
          ticketId: 'T99',
          modifiedAt: NOW,
          syncedAt: NOW,
        },
      });
      const support = await buildDigest({ db, config }, 'support', NOW);
      expect(support.feedback.responses).toEqual({ now: 4, before: 4 });
      const model = await buildDigest({ db, config }, 'billing', NOW);
      expect(model.feedback.responses).toEqual({ now: 2, before: 0 });
      expect(model.numbers.find((n) => n.metric === 'new')!.value).toBe(1);
      expect(model.waiting.items.map((i) => i.ticketId)).toEqual(['T8']);
      expect(model.feedback.unanswered.map((f) => f.id)).toEqual(['F9']);
    });

    it('posts once per team and day, through the outbox, in order and marked late when late', async () => {
      const outbox = recordingOutbox();
      const scheduledFor = berlin('2026-11-24 09:00');
      const first = await postDigest({ db, config, outbox }, 'support', NOW, { scheduledFor, late: true });
      expect(first).toMatchObject({ status: 'queued', day: '2026-11-24', channel: 'C0SUPPORT', parts: 1 });
      expect(outbox.intents.map((i) => i.idempotencyKey)).toEqual(['digest:support:2026-11-24:1']);
      const payload = outbox.intents[0]!.payload as { text: string; blocks: never[]; metadata: unknown };
      expect(messageProblems(payload)).toEqual([]);
      expect(payload.metadata).toEqual({
        event_type: 'heed_nudge',
        event_payload: { key: 'digest:support:2026-11-24:1' },
      });
      expect(messageText(payload as never)).toContain('*Late:* This digest is late (it was due 2026-11-24 08:00 UTC)');

      const again = await postDigest({ db, config, outbox }, 'support', new Date(NOW.getTime() + 60_000), {
        scheduledFor,
      });
      expect(again.status).toBe('already');
      expect(outbox.intents).toHaveLength(1);
      const run = await db.prisma.digestRun.findUnique({ where: { team_day: { team: 'support', day: '2026-11-24' } } });
      expect(run).toMatchObject({ status: 'queued', late: true, scheduledFor });

      // The weekly report is its own run and goes to the escalation channel.
      const weekly = await postDigest({ db, config, outbox }, 'support', NOW, { kind: 'weekly' });
      expect(weekly).toMatchObject({ status: 'queued', day: 'weekly:2026-11-24', channel: 'C0ESCALATE' });
    });

    it('/digest previews without posting, and /digest post counts as the day’s digest for the schedule', async () => {
      const outbox = recordingOutbox();
      const slack = digestForSlack({ db, config, outbox });
      const preview = await slack.digestPreview('support', NOW);
      expect(messageText(preview[0]!)).toContain('Daily digest — support');
      expect(outbox.intents).toHaveLength(0);
      expect(await db.prisma.digestRun.count()).toBe(0);

      expect((await slack.digestPost('support', NOW)).status).toBe('queued');
      const logged: unknown[] = [];
      await digestJobHandlers({ db, config, outbox, readiness: { startedAt: NOW, requireSync: false } }).digest(
        { name: 'support' },
        {
          now: berlin('2026-11-24 11:00'),
          scheduledAt: berlin('2026-11-24 11:00'),
          late: false,
          logger: { info: (...a: unknown[]) => logged.push(a), warn: (...a: unknown[]) => logged.push(a) },
        },
      );
      expect(outbox.intents).toHaveLength(1);
      expect(logged[0]).toEqual([
        expect.objectContaining({ status: 'already' }),
        'daily digest already handled for this day',
      ]);
    });

    it('finishes a run a crash left pending, without posting a part twice', async () => {
      const outbox = recordingOutbox();
      await db.prisma.digestRun.create({
        data: { id: 'crashed', team: 'support', day: '2026-11-24', status: 'pending', scheduledFor: NOW, late: false },
      });
      const result = await postDigest({ db, config, outbox }, 'support', NOW);
      expect(result.status).toBe('queued');
      expect(outbox.intents).toHaveLength(1);
      expect((await postDigest({ db, config, outbox }, 'support', NOW)).status).toBe('already');
    });

    it.each([
      ['a racing attempt already queued the part (unique violation)', { code: 'P2002' }, 'queued'],
      ['the database failed', new Error('disk I/O error'), 'throws'],
    ])('when enqueueing fails because %s', async (_, failure, outcome) => {
      const outbox: DigestOutbox = {
        enqueue: async () => {
          throw failure;
        },
      };
      const result = postDigest({ db, config, outbox }, 'support', NOW);
      if (outcome === 'throws') await expect(result).rejects.toThrow('disk I/O error');
      else expect((await result).status).toBe('queued');
    });

    it('marks a run sent once every part has left the outbox', async () => {
      const outbox = recordingOutbox();
      await postDigest({ db, config, outbox }, 'support', NOW);
      await db.prisma.outboxMessage.create({
        data: {
          id: 'o1',
          idempotencyKey: 'digest:support:2026-11-24:1',
          kind: 'post',
          channel: 'C0SUPPORT',
          payload: '{}',
          state: 'sending',
          nextAttemptAt: NOW,
          createdAt: NOW,
        },
      });
      expect((await settleDigestRun({ db }, 'support', '2026-11-24'))?.status).toBe('queued');
      await db.prisma.outboxMessage.update({
        where: { id: 'o1' },
        data: { state: 'sent', resultTs: '1763970000.000100', sentAt: NOW },
      });
      expect(await settleDigestRun({ db }, 'support', '2026-11-24')).toMatchObject({
        status: 'sent',
        messageTs: '1763970000.000100',
        sentAt: NOW,
      });
    });
  });
});
