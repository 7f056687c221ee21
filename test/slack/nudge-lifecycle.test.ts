// One lifecycle for every message about a ticket. A ticket climbs the whole ladder while Heed watches — its
// nudge in #support, the ping in the nudge's thread and the DM to its owner, the escalation in the leads
// channel — through the real evaluation, the reconciler, the outbox and the fake Slack over HTTP. Then one thing
// happens to it (answered, resolved, closed without a reply, deleted in HubSpot, reassigned, moved to another
// team), Heed evaluates and reconciles again, and the test reads EVERY message about the ticket as a person
// would see it afterwards.
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
  teams: [
    {
      name: 'support',
      channel: 'CSUPPORT',
      escalationChannel: 'CESCALATE',
      calendar: 'office',
      hubspotTeamIds: ['T1'],
    },
    { name: 'billing', channel: 'CBILLING', calendar: 'office', hubspotTeamIds: ['T2'] },
  ],
  sla: [
    // High priority: the resolution clock is short enough to climb its ladder in a morning.
    { name: 'fast', when: { priority: ['HIGH'] }, firstResponse: '1h', resolution: '2h', escalateAfter: 0.5 },
    { name: 'standard', firstResponse: '1h', resolution: '3d', escalateAfter: 0.5 },
  ],
  people: { 'carol@example.com': 'UCAROL', 'bob@example.com': 'UBOB' },
};

// Monday 2 March 2026, UTC.
const at = (time: string) => new Date(`2026-03-02T${time}:00.000Z`);

describe.each(testProviders())('every message about a ticket follows its lifecycle, on %s', (provider) => {
  let h: Harness;
  let policy: TPolicy;

  beforeEach(async () => {
    policy = parsePolicy(POLICY, 'test policy');
    h = await startHarness(provider, { policy: POLICY });
    const prisma = h.db.prisma;
    await seedCarolAndBob(h.db, at('08:00'));
    await prisma.stage.createMany({
      data: [
        { pipelineId: '0', id: '1', label: 'New', displayOrder: 0, isClosed: false, updatedAt: at('08:00') },
        { pipelineId: '0', id: '4', label: 'Closed', displayOrder: 1, isClosed: true, updatedAt: at('08:00') },
      ],
    });
  });

  afterEach(async () => {
    // Updated DMs and escalations still link to the nudge (the placeholder is never what Slack gets).
    for (const channel of h.slack.channels.values())
      for (const m of channel.messages) expect(JSON.stringify(m.blocks)).not.toContain('heed.invalid');
    const problems = h.sentProblems();
    await h.close();
    expect(problems).toEqual([]);
  });

  /** One minute of `heed start`: evaluate, reconcile, send what is queued. */
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
        pipelineId: '0',
        stageId: '1',
        priority: 'MEDIUM',
        ownerId: 'o-carol',
        hubspotTeamId: 'T1',
        contactName: 'Dana Customer',
        companyName: 'Acme',
        createdAt: at('09:00'),
        modifiedAt: at('09:00'),
        stageEnteredAt: at('09:00'),
        syncedAt: at('09:00'),
        ...over,
      },
    });
  }
  const change = (id: string, data: Record<string, unknown>, time: string) =>
    h.db.prisma.ticket.update({ where: { id }, data: { ...data, modifiedAt: at(time), syncedAt: at(time) } });

  /** Every message Heed posted about the ticket, as the channels show them now. */
  function messages(channel = 'CSUPPORT') {
    const nudge = h.slack.messagesIn(channel)[0];
    return {
      nudge,
      ping: nudge ? h.slack.repliesTo(channel, nudge.ts)[0] : undefined,
      dm: h.slack.messagesIn('DCAROL')[0],
      escalation: h.slack.messagesIn('CESCALATE')[0],
    };
  }

  /** The first-response clock of a ticket opened at 09:00 climbs the whole ladder: at risk, breached, escalated. */
  async function climbFirstResponse(id = '101') {
    await ticket(id);
    expect(await tick('09:50')).toMatchObject({ posted: 1, backlog: 0 }); // at risk since 09:45: seen live
    expect(await tick('10:05')).toMatchObject({ replies: 1, dms: 1 }); // breached at 10:00: Carol pinged
    expect(await tick('10:35')).toMatchObject({ escalations: 1 }); // 30 business minutes over: the leads
    const m = messages();
    expect(m.nudge?.text).toMatch(/^Breached — first response: "Printer &lt;on&gt; fire" \(Dana Customer \(Acme\)\)/);
    expect(m.ping?.text).toBe('Carol Agent: the first response time on this ticket is breached.');
    expect(m.dm?.text).toBe('Your ticket breached its first response time: "Printer &lt;on&gt; fire"');
    expect(m.escalation?.text).toBe('Escalation (support): Breached first response — "Printer &lt;on&gt; fire"');
    expect(h.slack.messagesIn('DCAROL')).toHaveLength(1);
    return m;
  }

  /** Nothing new was posted by the change: only the four messages, each edited in place. */
  function expectOnlyEdited(before: ReturnType<typeof messages>) {
    expect(h.slack.messagesIn('CSUPPORT')).toHaveLength(1);
    expect(h.slack.repliesTo('CSUPPORT', before.nudge!.ts)).toHaveLength(1);
    expect(h.slack.messagesIn('DCAROL')).toHaveLength(1);
    expect(h.slack.messagesIn('CESCALATE')).toHaveLength(1);
    for (const m of Object.values(messages())) expect(m!.updates).toBeGreaterThanOrEqual(1);
  }

  it('answered: every message says "Answered — first response", none "Breached"', async () => {
    const before = await climbFirstResponse();
    await change('101', { firstAgentReplyAt: at('10:50'), lastAgentMessageAt: at('10:50') }, '10:50');
    expect(await tick('10:55')).toMatchObject({ posted: 0, updated: 4, replies: 0, dms: 0, escalations: 0 });
    expectOnlyEdited(before);
    const m = messages();
    expect(m.nudge!.text).toBe('Answered — first response: "Printer &lt;on&gt; fire" (Dana Customer (Acme))');
    expect(shown(m.nudge)).toContain(':white_check_mark: Answered <!date^1772448600^');
    expect(m.nudge!.blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(m.ping!.text).toBe('Answered — first response: "Printer &lt;on&gt; fire" (Dana Customer (Acme)).');
    expect(shown(m.ping)).toMatch(
      /^:white_check_mark: \*Answered — first response\* <!date\^\d+\^.*> — nothing more to do here\.$/,
    );
    expect(m.dm!.text).toBe('Answered — first response: "Printer &lt;on&gt; fire"');
    expect(shown(m.dm)).toContain('Nothing more to do.');
    expect(m.escalation!.text).toBe('Escalation (support): Answered — first response — "Printer &lt;on&gt; fire"');
    for (const message of Object.values(m)) expect(`${message!.text}\n${shown(message)}`).not.toMatch(/Breached/);
  });

  it('resolved: the resolution clock’s messages say "Resolved"', async () => {
    // Replied at 09:10, so the first response is met; resolution (2 h) is at risk at 10:30, breached at 11:00.
    await ticket('201', { priority: 'HIGH', firstAgentReplyAt: at('09:10'), lastAgentMessageAt: at('09:10') });
    expect(await tick('10:40')).toMatchObject({ posted: 1 });
    expect(await tick('11:05')).toMatchObject({ replies: 1, dms: 1 });
    expect(await tick('12:05')).toMatchObject({ escalations: 1 });
    const before = messages();
    expect(before.nudge!.text).toMatch(/^Breached — resolution:/);
    await change('201', { isClosed: true, stageId: '4', closedAt: at('12:10'), stageEnteredAt: at('12:10') }, '12:10');
    expect(await tick('12:15')).toMatchObject({ posted: 0, updated: 4 });
    expectOnlyEdited(before);
    const m = messages();
    expect(m.nudge!.text).toBe('Resolved: "Printer &lt;on&gt; fire" (Dana Customer (Acme))');
    expect(m.ping!.text).toBe('Resolved: "Printer &lt;on&gt; fire" (Dana Customer (Acme)).');
    expect(m.dm!.text).toBe('Resolved: "Printer &lt;on&gt; fire"');
    expect(m.escalation!.text).toBe('Escalation (support): Resolved — "Printer &lt;on&gt; fire"');
  });

  it('closed without a reply: "Closed without a reply", never "Answered"', async () => {
    const before = await climbFirstResponse();
    await change('101', { isClosed: true, stageId: '4', closedAt: at('10:50'), stageEnteredAt: at('10:50') }, '10:50');
    expect(await tick('10:55')).toMatchObject({ posted: 0, updated: 4 });
    expectOnlyEdited(before);
    const m = messages();
    expect(m.nudge!.text).toBe('Closed without a reply: "Printer &lt;on&gt; fire" (Dana Customer (Acme))');
    expect(shown(m.nudge)).toContain(':no_entry_sign: Closed without a reply <!date^');
    expect(m.ping!.text).toBe('Closed without a reply: "Printer &lt;on&gt; fire" (Dana Customer (Acme)).');
    expect(m.dm!.text).toBe('Closed without a reply: "Printer &lt;on&gt; fire"');
    expect(m.escalation!.text).toBe('Escalation (support): Closed without a reply — "Printer &lt;on&gt; fire"');
    for (const message of Object.values(m))
      expect(`${message!.text}\n${shown(message)}`).not.toMatch(/Answered|Breached/);
  });

  it('deleted in HubSpot: "Deleted in HubSpot", never "Answered" or "Resolved"', async () => {
    const before = await climbFirstResponse();
    await change('101', { archived: true }, '10:50');
    expect(await tick('10:55')).toMatchObject({ posted: 0, updated: 4 });
    expectOnlyEdited(before);
    const m = messages();
    expect(m.nudge!.text).toBe('Deleted in HubSpot: "Printer &lt;on&gt; fire" (Dana Customer (Acme))');
    expect(m.ping!.text).toBe('Deleted in HubSpot: "Printer &lt;on&gt; fire" (Dana Customer (Acme)).');
    expect(m.dm!.text).toBe('Deleted in HubSpot: "Printer &lt;on&gt; fire"');
    expect(m.escalation!.text).toBe('Escalation (support): Deleted in HubSpot — "Printer &lt;on&gt; fire"');
    for (const message of Object.values(m))
      expect(`${message!.text}\n${shown(message)}`).not.toMatch(/Answered|Resolved|Breached/);
  });

  it('reassigned: every message names the new owner, Carol is told it is no longer hers, Bob is pinged', async () => {
    const before = await climbFirstResponse();
    await change('101', { ownerId: 'o-bob' }, '10:45');
    expect(await tick('10:50')).toMatchObject({ posted: 0, updated: 4, replies: 1, dms: 1, escalations: 0 });
    const m = messages();
    expect(m.nudge!.text).toMatch(/^Breached — first response: /);
    expect(shown(m.nudge)).toContain('*Owner*\n<@UBOB>');
    expect(shown(m.nudge)).not.toContain('UCAROL');
    // Carol's ping and DM: reassigned, nothing more for her to do.
    expect(m.ping!.text).toBe('Reassigned to Bob Agent: the first response time on this ticket is breached.');
    expect(shown(m.ping)).toMatch(/^:arrow_right: Reassigned to <@UBOB> — the first response time/);
    expect(m.dm!.text).toBe('Reassigned to Bob Agent: "Printer &lt;on&gt; fire"');
    expect(shown(m.dm)).toContain('is now owned by <@UBOB> — nothing more for you to do.');
    expect(shown(m.escalation)).toContain('Owner: <@UBOB>');
    // Bob gets his own ping in the thread and a DM.
    const pings = h.slack.repliesTo('CSUPPORT', before.nudge!.ts);
    expect(pings.map((p) => p.text)).toEqual([
      'Reassigned to Bob Agent: the first response time on this ticket is breached.',
      'Bob Agent: the first response time on this ticket is breached.',
    ]);
    expect(h.slack.messagesIn('DBOB').map((d) => d.text)).toEqual([
      'Your ticket breached its first response time: "Printer &lt;on&gt; fire"',
    ]);
    // Then Bob answers: all six messages say so.
    await change('101', { firstAgentReplyAt: at('11:00'), lastAgentMessageAt: at('11:00') }, '11:00');
    await tick('11:05');
    const all = [
      ...h.slack.messagesIn('CSUPPORT'),
      ...pings.map((p) => h.slack.repliesTo('CSUPPORT', before.nudge!.ts).find((r) => r.ts === p.ts)!),
      ...h.slack.messagesIn('DCAROL'),
      ...h.slack.messagesIn('DBOB'),
      ...h.slack.messagesIn('CESCALATE'),
    ];
    expect(all).toHaveLength(6);
    for (const message of all) expect(message.text).toMatch(/Answered — first response/);
  });

  it('moved team: the old messages say where it went; billing gets its own nudge with its owner and times', async () => {
    const before = await climbFirstResponse();
    await change('101', { hubspotTeamId: 'T2' }, '10:45');
    const moved = await tick('10:50');
    expect(moved).toMatchObject({ moved: 1, posted: 1, updated: 4, escalations: 0 });
    expectOnlyEdited(before);
    const m = messages();
    expect(m.nudge!.text).toBe('Moved to billing — see <#CBILLING>: "Printer &lt;on&gt; fire" (Dana Customer (Acme))');
    expect(shown(m.nudge)).toContain(
      "This message is no longer updated: Heed follows the ticket in its team's channel.",
    );
    expect(m.nudge!.blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(m.ping!.text).toBe('Moved to billing — see <#CBILLING>.');
    expect(shown(m.ping)).toBe(
      ':arrow_right: *Moved to billing — see <#CBILLING>*. This thread is no longer followed.',
    );
    expect(m.dm!.text).toBe('Moved to billing — see <#CBILLING>: "Printer &lt;on&gt; fire"');
    expect(shown(m.dm)).toContain("This message is no longer updated: Heed follows the ticket in its team's channel.");
    expect(shown(m.dm)).toContain(
      `<https://fake.slack.test/archives/CSUPPORT/p${before.nudge!.ts.replace('.', '')}|Open the nudge>`,
    );
    expect(m.escalation!.text).toBe(
      'Escalation (support): Moved to billing — see <#CBILLING> — "Printer &lt;on&gt; fire"',
    );
    // Billing's own nudge: its owner, its calendar's times, the buttons.
    const [billing] = h.slack.messagesIn('CBILLING');
    expect(billing!.text).toMatch(
      /^Breached — first response: "Printer &lt;on&gt; fire" \(Dana Customer \(Acme\)\) — waiting 1h 50m business, overdue by 50m$/,
    );
    expect(shown(billing)).toContain('*Owner*\n<@UCAROL>');
    expect(shown(billing)).toContain("I'm on it");
    // The ladder restarts for billing: nothing more until it has been breached there for a while.
    expect(await tick('10:55')).toMatchObject({ posted: 0, replies: 0, escalations: 0 });
    expect(h.slack.messagesIn('CBILLING')).toHaveLength(1);
    // Answered in billing: billing's nudge says so; support's messages keep saying where it went.
    await change('101', { firstAgentReplyAt: at('11:00'), lastAgentMessageAt: at('11:00') }, '11:00');
    await tick('11:05');
    expect(h.slack.messagesIn('CBILLING')[0]!.text).toMatch(/^Answered — first response/);
    expect(messages().nudge!.text).toMatch(/^Moved to billing/);
    // A reaction on the old message still acts on the ticket.
    expect(await h.repo.flagForMessage({ channel: 'CSUPPORT', ts: before.nudge!.ts })).toMatchObject({
      flagKey: 'ticket:101:firstResponse:0',
      kind: 'nudge',
    });
  });

  it('handled from Slack: every message says who handled it; when the reply comes, they say so too', async () => {
    const before = await climbFirstResponse();
    await h.repo.updateFlagSlackFields(
      'ticket:101:firstResponse:0',
      { handledBy: 'UCAROL', handledAt: at('10:40'), state: 'handled' },
      at('10:40'),
    );
    expect(await tick('10:45')).toMatchObject({ posted: 0, updated: 4, replies: 0, escalations: 0 });
    expectOnlyEdited(before);
    let m = messages();
    expect(m.nudge!.text).toBe('Handled: "Printer &lt;on&gt; fire" (Dana Customer (Acme))');
    expect(shown(m.nudge)).toContain(':white_check_mark: Handled by <@UCAROL> <!date^');
    expect(shown(m.nudge)).toContain('Undo "handled"');
    expect(shown(m.ping)).toBe(':white_check_mark: *Handled* — nothing more to do here. Handled by <@UCAROL>.');
    expect(m.dm!.text).toBe('Handled: "Printer &lt;on&gt; fire"');
    expect(m.escalation!.text).toBe('Escalation (support): Handled — "Printer &lt;on&gt; fire"');
    expect(shown(m.escalation)).toContain('Owner: <@UCAROL> · handled by <@UCAROL>');
    // The reply comes later: what finally happened, and who had handled it.
    await change('101', { firstAgentReplyAt: at('11:00'), lastAgentMessageAt: at('11:00') }, '11:00');
    expect(await tick('11:05')).toMatchObject({ updated: 4 });
    m = messages();
    expect(m.nudge!.text).toBe('Answered — first response: "Printer &lt;on&gt; fire" (Dana Customer (Acme))');
    expect(shown(m.nudge)).toContain(':white_check_mark: Handled by <@UCAROL>');
    expect(shown(m.nudge)).toContain(':white_check_mark: Answered <!date^');
    expect(m.escalation!.text).toBe('Escalation (support): Answered — first response — "Printer &lt;on&gt; fire"');
  });
});
