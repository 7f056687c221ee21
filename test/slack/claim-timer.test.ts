// The claim timer (issue 15): a 👀 is a promise to reply within claimWithin. Through the real pipeline — the
// evaluation, the reconciler, the outbox, the fake Slack over HTTP, and a signed reaction_added event to the real
// Bolt app — with a manual clock: a claim that lapses shows it on the nudge, pings its claimer again in the thread
// exactly once (a second claim that lapses pings again), and stops holding the leads back; a claim kept by a reply
// (anyone's) pings nobody.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type TPolicy, type TPolicyInput } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import { testProviders } from '../support/db.ts';
import { type Harness, startHarness } from './support/harness.ts';
import { seedCarolAndBob, shown } from './support/nudge-scenario.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const POLICY: TPolicyInput = {
  calendars: {
    office: {
      timezone: 'UTC',
      hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
    },
  },
  teams: [{ name: 'support', channel: 'CSUPPORT', escalationChannel: 'CESCALATE', calendar: 'office' }],
  sla: [
    // Its own promise: 20 minutes.
    { name: 'fast', when: { priority: ['HIGH'] }, firstResponse: '1h', resolution: '2h', claimWithin: '20m' },
    { name: 'standard', firstResponse: '1h', resolution: '3d', escalateAfter: 0.5 },
  ],
  claimWithin: '30m',
  people: { 'carol@example.com': 'UCAROL', 'bob@example.com': 'UBOB' },
};

// Monday 2 March 2026, UTC.
const at = (time: string) => new Date(`2026-03-02T${time}:00.000Z`);

describe.each(testProviders())('the claim timer, on %s', (provider) => {
  let h: Harness;
  let policy: TPolicy;
  let eventTs = 1772445600;

  beforeEach(async () => {
    policy = parsePolicy(POLICY, 'test policy');
    h = await startHarness(provider, { policy: POLICY });
    await seedCarolAndBob(h.db, at('08:00'));
  });

  afterEach(async () => {
    const problems = h.sentProblems();
    await h.close();
    expect(problems).toEqual([]);
  });

  async function tick(time: string) {
    h.clock.set(at(time));
    await evaluate({ db: h.db, config: { policy }, logger: silentLogger() }, at(time), { mode: 'full' });
    const summary = await reconcileNudges(h.nudgeDeps, at(time));
    await h.outbox.drainUntilIdle();
    return summary;
  }

  async function ticket(id: string, over: Record<string, unknown> = {}) {
    await h.db.prisma.ticket.create({
      data: {
        id,
        subject: 'Printer <on> fire',
        priority: 'MEDIUM',
        ownerId: 'o-carol',
        contactName: 'Dana Customer',
        companyName: 'Acme',
        createdAt: at('09:00'),
        modifiedAt: at('09:00'),
        syncedAt: at('09:00'),
        ...over,
      },
    });
  }

  async function react(time: string, user: string, added = true) {
    h.clock.set(at(time));
    eventTs += 1;
    const nudge = h.slack.messagesIn('CSUPPORT')[0]!;
    const response = await h.event({
      type: added ? 'reaction_added' : 'reaction_removed',
      user,
      reaction: 'eyes',
      item_user: 'UHEEDBOT',
      item: { type: 'message', channel: 'CSUPPORT', ts: nudge.ts },
      event_ts: `${eventTs}.000100`,
    });
    expect(response.status).toBe(200);
    await h.outbox.drainUntilIdle();
  }

  const nudge = () => h.slack.messagesIn('CSUPPORT')[0]!;
  /** Thread replies that ping Bob about his claim. */
  const claimPings = () => h.slack.repliesTo('CSUPPORT', nudge().ts).filter((m) => /claimed/.test(shown(m)));
  const lapseLine =
    /:eyes: <@UBOB> claimed this at <!date\^\d+\^\{time\}\|2026-03-02 (\d\d:\d\d) UTC> and hasn't replied yet \(promised within (\w+)\)/;

  it('a claim that lapses: the nudge says so, Bob is pinged again exactly once, and the leads hear of it', async () => {
    await ticket('101');
    expect(await tick('09:50')).toMatchObject({ posted: 1 }); // at risk
    expect(await tick('10:05')).toMatchObject({ replies: 1, dms: 1 }); // breached at 10:00: Carol pinged
    await react('10:12', 'UBOB');
    expect((await h.repo.flag('ticket:101:firstResponse:0'))?.claimedBy).toBe('UBOB');
    expect(shown(nudge())).toContain(':eyes: On it: <@UBOB>');
    // Unclaimed, the leads would hear at 10:31 (30 business minutes over); the claim holds them back.
    expect(await tick('10:35')).toMatchObject({ escalations: 0, replies: 0 });
    expect(await tick('10:41')).toMatchObject({ escalations: 0, replies: 0 });
    expect(claimPings()).toHaveLength(0);
    // 10:42: 30 minutes after the claim, nobody replied. The claim is released: escalated at once.
    expect(await tick('10:42')).toMatchObject({ replies: 1, escalations: 1 });
    expect(shown(nudge())).toMatch(lapseLine);
    expect(lapseLine.exec(shown(nudge()))?.slice(1)).toEqual(['10:12', '30m']);
    expect(shown(nudge())).not.toContain('On it:');
    const pings = claimPings();
    expect(pings).toHaveLength(1);
    expect(shown(pings[0])).toContain('<@UBOB>, reply to the customer in HubSpot');
    expect(pings[0]!.text).toBe(
      '<@UBOB> claimed "Printer &lt;on&gt; fire" (Dana Customer (Acme)) and hasn\'t replied yet.',
    );
    expect(h.slack.messagesIn('CESCALATE')).toHaveLength(1);
    // Later runs ping nobody again.
    await tick('10:43');
    await tick('11:00');
    expect(claimPings()).toHaveLength(1);
    // Bob releases and claims again: a new promise, and when it lapses a new ping.
    await react('11:05', 'UBOB', false);
    await react('11:06', 'UBOB');
    expect(shown(nudge())).toContain(':eyes: On it: <@UBOB>');
    expect(await tick('11:35')).toMatchObject({ replies: 0 });
    expect(await tick('11:36')).toMatchObject({ replies: 1 });
    expect(claimPings()).toHaveLength(2);
    expect(lapseLine.exec(shown(nudge()))?.slice(1)).toEqual(['11:06', '30m']);
    // Answered: the claimer's pings say so rather than keep asking.
    const lapseTs = claimPings().map((m) => m.ts);
    const threadLength = h.slack.repliesTo('CSUPPORT', nudge().ts).length;
    await h.db.prisma.ticket.update({
      where: { id: '101' },
      data: { firstAgentReplyAt: at('11:40'), lastAgentMessageAt: at('11:40'), modifiedAt: at('11:40') },
    });
    await tick('11:41');
    const thread = h.slack.repliesTo('CSUPPORT', nudge().ts);
    expect(thread).toHaveLength(threadLength);
    const edited = thread.filter((m) => lapseTs.includes(m.ts));
    expect(edited).toHaveLength(2);
    for (const ping of edited) expect(shown(ping)).toMatch(/Answered — first response.*nothing more to do here/);
  });

  it('a claim kept by anyone’s reply before its deadline pings nobody (a rule’s own 20m promise)', async () => {
    // Replied at 09:10: first response met; the resolution clock (2 h, rule "fast") breaches at 11:00.
    await ticket('201', { priority: 'HIGH', firstAgentReplyAt: at('09:10'), lastAgentMessageAt: at('09:10') });
    expect(await tick('10:40')).toMatchObject({ posted: 1 });
    expect(await tick('11:05')).toMatchObject({ replies: 1 });
    await react('11:06', 'UBOB');
    // Carol, not Bob, answers the customer at 11:20, within Bob's 20 minutes.
    await h.db.prisma.ticket.update({
      where: { id: '201' },
      data: { lastAgentMessageAt: at('11:20'), modifiedAt: at('11:20') },
    });
    for (const time of ['11:21', '11:26', '11:27', '11:40', '12:00']) {
      expect(await tick(time)).toMatchObject({ replies: 0 });
    }
    expect(claimPings()).toHaveLength(0);
    expect(shown(nudge())).toContain(':eyes: On it: <@UBOB>');
    expect(shown(nudge())).not.toContain("hasn't replied yet");
  });

  it('the same claim without a reply lapses at the rule’s 20 minutes', async () => {
    await ticket('301', { priority: 'HIGH', firstAgentReplyAt: at('09:10'), lastAgentMessageAt: at('09:10') });
    await tick('10:40');
    await tick('11:05');
    await react('11:06', 'UBOB');
    expect(await tick('11:25')).toMatchObject({ replies: 0 });
    expect(await tick('11:26')).toMatchObject({ replies: 1 });
    expect(lapseLine.exec(shown(nudge()))?.slice(1)).toEqual(['11:06', '20m']);
    expect(claimPings()).toHaveLength(1);
  });
});
