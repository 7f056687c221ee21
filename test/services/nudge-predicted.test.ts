// Predicted breaches end to end: a week of first replies in the database (Carol answers after three hours, Bob
// after twenty minutes), four new tickets for Carol and one for Bob on Monday morning → the real evaluation
// raises `predicted` flags for Carol's four only (her pace misses the 2 h target) → the reconciler posts
// "likely to breach" nudges within their own budget (2 a window here), the other two wait → at warnAt every
// ticket is at risk: the two predicted nudges are updated in place, the two that waited get their own now.
// Counted in the digest too. Real evaluation, reconciler, outbox and fake Slack.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type TPolicy, type TPolicyInput } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { buildDigest } from '../../src/services/digest.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import type { FakeMessage } from '../../src/slack/fake-slack-server.ts';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import { renderDigest } from '../../src/slack/render/digest.ts';
import { messageText } from '../fixtures/digest/block-kit.ts';
import { type Harness, startHarness } from '../slack/support/harness.ts';
import { seedCarolAndBob, shown } from '../slack/support/nudge-scenario.ts';
import { testProviders } from '../support/db.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const POLICY: TPolicyInput = {
  calendars: {
    office: {
      timezone: 'UTC',
      hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
    },
  },
  teams: [{ name: 'support', channel: 'CSUPPORT', calendar: 'office' }],
  // At risk at 1 h 30 m, due at 2 h.
  sla: [{ name: 'standard', firstResponse: '2h' }],
  people: { 'carol@example.com': 'UCAROL', 'bob@example.com': 'UBOB' },
  nudges: { windowMinutes: 60, perChannel: 10, perEscalationChannel: 4, perPerson: 4, predictedPerChannel: 2 },
  predictions: { enabled: true, windowDays: 14, minSamples: 3 },
};

const at = (iso: string) => new Date(`2026-03-${iso}:00.000Z`);

const ticketOf = (m: FakeMessage) => /record\/0-5\/(\w+)\|/.exec(shown(m))?.[1];

describe.each(testProviders())('predicted breaches through the nudges, on %s', (provider) => {
  let h: Harness;
  let policy: TPolicy;

  beforeEach(async () => {
    policy = parsePolicy(POLICY, 'test policy');
    h = await startHarness(provider, { policy: POLICY });
    await seedCarolAndBob(h.db, at('01T08:00'));
    // Last week, Monday to Friday: one ticket a day each, opened at 09:00; Carol answers at 12:00, Bob at 09:20.
    for (let day = 0; day < 5; day++) {
      const created = new Date(Date.parse('2026-02-23T09:00:00.000Z') + day * 86_400_000);
      for (const [owner, minutes] of [
        ['o-carol', 180],
        ['o-bob', 20],
      ] as const) {
        const reply = new Date(created.getTime() + minutes * 60_000);
        await ticket(`H${day}${owner.slice(2, 3)}`, created, owner, reply);
      }
    }
    // Monday 2 March, 09:50: four new tickets for Carol, one for Bob.
    for (const id of ['C1', 'C2', 'C3', 'C4']) await ticket(id, at('02T09:50'), 'o-carol');
    await ticket('B1', at('02T09:50'), 'o-bob');
  });

  afterEach(async () => {
    const problems = h.sentProblems();
    await h.close();
    expect(problems).toEqual([]);
  });

  async function ticket(id: string, createdAt: Date, ownerId: string, reply?: Date) {
    await h.db.prisma.ticket.create({
      data: {
        id,
        subject: `Order ${id} never arrived`,
        priority: 'MEDIUM',
        ownerId,
        contactName: `Customer ${id}`,
        createdAt,
        modifiedAt: reply ?? createdAt,
        syncedAt: reply ?? createdAt,
        firstAgentReplyAt: reply ?? null,
        lastAgentMessageAt: reply ?? null,
      },
    });
  }

  async function tick(when: string) {
    h.clock.set(at(when));
    const result = await evaluate({ db: h.db, config: { policy }, logger: silentLogger() }, at(when), {
      fullEveryMinutes: 10,
    });
    const summary = await reconcileNudges({ ...h.nudgeDeps, settings: policy.nudges }, at(when));
    await h.outbox.drainUntilIdle();
    return { result, summary };
  }

  it('nudges the tickets likely to breach within their own budget, then at warnAt every one is at risk', async () => {
    // The first evaluation stores the clocks the queue is read from; nothing is predicted yet.
    expect((await tick('02T10:00')).result.changes.newPredicted).toEqual([]);

    const second = await tick('02T10:01');
    expect(second.result.changes.newPredicted.map((c) => c.ticketId).sort()).toEqual(['C1', 'C2', 'C3', 'C4']);
    const flags = await h.db.prisma.flag.findMany({ where: { state: 'predicted' }, orderBy: { key: 'asc' } });
    expect(flags.map((f) => [f.ticketId, f.escalationLevel, f.origin])).toEqual(
      ['C1', 'C2', 'C3', 'C4'].map((id) => [id, 1, 'live']),
    );
    // Two within the forecast budget; the other two wait (no "and N more" for forecasts). Bob's is calm.
    expect(second.summary).toMatchObject({ posted: 2, deferred: 2, rolledUp: 0, summaries: 0 });
    const posted = h.slack.messagesIn('CSUPPORT');
    expect(posted.map(ticketOf)).toEqual(['C1', 'C2']);
    const text = shown(posted[0]);
    expect(text).toContain(':crystal_ball: *Likely to breach — first response*');
    expect(text).toContain(
      "Likely to breach at <!date^1772452200^{time}|2026-03-02 11:50 UTC> unless someone picks it up — at <@UCAROL>'s recent pace it would be answered after that.",
    );
    expect(posted[0]!.text).toBe(
      'Likely to breach — first response: "Order C1 never arrived" (Customer C1) — waiting 11m business, due 2026-03-02 11:50 UTC',
    );

    // A minute later: nothing new, the budget is spent, nothing is repeated.
    expect((await tick('02T10:02')).summary).toMatchObject({ posted: 0, updated: 0 });
    expect(h.slack.messagesIn('CSUPPORT')).toHaveLength(2);

    // The digest counts them and lists them, soonest first.
    const model = await buildDigest({ db: h.db, config: { policy } }, 'support', at('02T10:05'));
    expect(model.likely.map((l) => l.ticketId)).toEqual(['C1', 'C2', 'C3', 'C4']);
    const digest = renderDigest(model)[0]!;
    expect(digest.text).toContain('at risk now (4 more likely to breach);');
    expect(messageText(digest)).toContain(
      "*Likely to breach* — 4 calm tickets at the owner's recent pace (soonest first)",
    );

    // 11:20, warnAt: all five are at risk. The two predicted nudges say so in place; the two that waited and
    // Bob's get their own at-risk nudge now.
    const warn = await tick('02T11:20');
    expect(warn.result.changes.newAtRisk.map((c) => c.ticketId).sort()).toEqual(['B1', 'C1', 'C2', 'C3', 'C4']);
    expect(warn.summary).toMatchObject({ posted: 3, updated: 2 });
    const after = h.slack.messagesIn('CSUPPORT');
    expect(after.slice(0, 2).map(ticketOf)).toEqual(['C1', 'C2']);
    expect(after.slice(2).map(ticketOf).sort()).toEqual(['B1', 'C3', 'C4']);
    expect(after.slice(0, 2).map((m) => [m.updates, shown(m).split('\n')[0]])).toEqual([
      [1, ':hourglass_flowing_sand: *At risk — first response*'],
      [1, ':hourglass_flowing_sand: *At risk — first response*'],
    ]);
    expect(after.every((m) => !shown(m).includes('Likely to breach'))).toBe(true);
  });

  it('ends predicted flags as recovered when predictions are turned off', async () => {
    await tick('02T10:00');
    await tick('02T10:01');
    expect(await h.db.prisma.flag.count({ where: { state: 'predicted' } })).toBe(4);
    policy = parsePolicy({ ...POLICY, predictions: { enabled: false } }, 'test policy');
    const off = await tick('02T10:03');
    expect(off.result.stats.mode).toBe('full');
    expect(off.result.changes.recovered.map((c) => c.ticketId).sort()).toEqual(['C1', 'C2', 'C3', 'C4']);
    expect(await h.db.prisma.flag.count({ where: { state: 'predicted' } })).toBe(0);
  });
});
