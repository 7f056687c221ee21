// What evaluate() stores and returns over a flag's life, against a real database: the outcome of every way a
// flag ends, backlog vs live on a first start (no storm: nothing past level 1 at once, the ladder from first
// sight), a ticket moving team, handled flags ending with the facts, and the evaluation giving the event loop
// a turn between chunks.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type TPolicy, type TPolicyInput } from '../../src/config.ts';
import { SlaRepo } from '../../src/db/sla-repo.ts';
import { silentLogger } from '../../src/logger.ts';
import { type EvaluationResult, evaluate, type FlagChange } from '../../src/services/evaluate.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const POLICY: TPolicyInput = {
  calendars: {
    default: {
      timezone: 'UTC',
      hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
    },
  },
  teams: [
    { name: 'support', channel: 'C0SUPPORT', escalationChannel: 'C0LEADS', pipelines: ['0'] },
    { name: 'billing', channel: 'C0BILLING', hubspotTeamIds: ['4711'] },
  ],
  sla: [
    { name: 'urgent', when: { priority: ['URGENT'] }, firstResponse: '1h', nextResponse: '2h', resolution: '8h' },
    { name: 'standard', firstResponse: '4h', nextResponse: '8h', resolution: '3d' },
  ],
  feedback: { NPS: { atMost: 6 }, CSAT: { atMost: 2 }, CES: { atMost: 3 }, followUpWithin: '4h' },
  waitingOnCustomerStages: ['3'],
};

// Monday 2026-11-23, UTC; the Friday before is the 20th.
const at = (time: string, day = 23) => new Date(`2026-11-${day}T${time}:00Z`);

/** A change in a line: key, state, level, origin and the events, as the Slack side would read them. */
const brief = (c: FlagChange) =>
  `${c.key} ${c.state} L${c.level} ${c.origin}${c.outcome ? ` ${c.outcome}` : ''} [${c.events.map((e) => e.type).join(', ')}]`;
const briefs = (r: EvaluationResult) => r.changes.flags.map(brief).sort();

describe.each(testProviders())('evaluate: flag lifecycle on %s', (provider) => {
  let db: OpenTestDb;
  let policy: TPolicy;
  const run = (now: Date, options = {}) =>
    evaluate({ db, config: { policy }, logger: silentLogger() }, now, { mode: 'full', ...options });
  const flag = (key: string) => db.prisma.flag.findUniqueOrThrow({ where: { key } });

  async function ticket(id: string, over: Record<string, unknown> = {}) {
    const createdAt = (over['createdAt'] as Date | undefined) ?? at('09:00');
    await db.prisma.ticket.create({
      data: {
        id,
        subject: `Ticket ${id}`,
        pipelineId: '0',
        stageId: '1',
        priority: 'URGENT',
        ownerId: 'o1',
        createdAt,
        modifiedAt: createdAt,
        stageEnteredAt: createdAt,
        syncedAt: createdAt,
        ...over,
      },
    });
  }
  const touch = (id: string, data: Record<string, unknown>, when: Date) =>
    db.prisma.ticket.update({ where: { id }, data: { ...data, modifiedAt: when, syncedAt: when } });

  beforeEach(async () => {
    db = await openTestDb(provider);
    policy = parsePolicy(POLICY, 'test policy');
    await db.prisma.owner.create({
      data: { id: 'o1', email: 'agent@example.com', type: 'PERSON', updatedAt: at('08:00') },
    });
    await db.prisma.stage.createMany({
      data: [
        { pipelineId: '0', id: '1', label: 'New', displayOrder: 0, isClosed: false, updatedAt: at('08:00') },
        { pipelineId: '0', id: '3', label: 'Waiting', displayOrder: 1, isClosed: false, updatedAt: at('08:00') },
        { pipelineId: '0', id: '4', label: 'Closed', displayOrder: 2, isClosed: true, updatedAt: at('08:00') },
      ],
    });
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('stores why each flag ended: answered, closed without a reply, resolved, deleted, gone', async () => {
    await ticket('ans');
    await ticket('cwr');
    await ticket('arc');
    await ticket('gone');
    // Replied last Monday, resolution (3 business days) breached since Thursday.
    await ticket('res', {
      priority: 'LOW',
      createdAt: at('09:00', 16),
      firstAgentReplyAt: at('09:30', 16),
      lastAgentMessageAt: at('09:30', 16),
    });
    expect(briefs(await run(at('09:50')))).toEqual([
      'ticket:ans:firstResponse:0 at_risk L1 live [raised, escalated]',
      'ticket:arc:firstResponse:0 at_risk L1 live [raised, escalated]',
      'ticket:cwr:firstResponse:0 at_risk L1 live [raised, escalated]',
      'ticket:gone:firstResponse:0 at_risk L1 live [raised, escalated]',
      'ticket:res:resolution:0 breached L1 backlog [raised, escalated]',
    ]);

    await touch('ans', { firstAgentReplyAt: at('10:05'), lastAgentMessageAt: at('10:05') }, at('10:05'));
    await touch(
      'cwr',
      { isClosed: true, stageId: '4', closedAt: at('10:06'), stageEnteredAt: at('10:06') },
      at('10:06'),
    );
    await touch(
      'res',
      { isClosed: true, stageId: '4', closedAt: at('10:07'), stageEnteredAt: at('10:07') },
      at('10:07'),
    );
    await touch('arc', { archived: true }, at('10:08'));
    await db.prisma.ticket.delete({ where: { id: 'gone' } });
    const ended = await run(at('10:10'));
    // (Not evaluated between 10:00 and 10:10: still at risk, level 1, when the facts ended them.)
    expect(briefs(ended)).toEqual([
      'ticket:ans:firstResponse:0 resolved L1 live answered [ended]',
      'ticket:arc:firstResponse:0 resolved L1 live deleted [ended]',
      'ticket:cwr:firstResponse:0 resolved L1 live closed_unanswered [ended]',
      'ticket:gone:firstResponse:0 resolved L1 live deleted [ended]',
      'ticket:res:resolution:0 resolved L1 backlog resolved [ended]',
    ]);
    expect(ended.changes.resolved).toHaveLength(5);
    expect(await flag('ticket:ans:firstResponse:0')).toMatchObject({ outcome: 'answered', resolvedAt: at('10:05') });
    expect(await flag('ticket:cwr:firstResponse:0')).toMatchObject({
      outcome: 'closed_unanswered',
      resolvedAt: at('10:06'),
    });
    expect(await flag('ticket:res:resolution:0')).toMatchObject({ outcome: 'resolved', resolvedAt: at('10:07') });
    expect(await flag('ticket:arc:firstResponse:0')).toMatchObject({ outcome: 'deleted', resolvedAt: at('10:10') });
    // A ticket gone from the copy leaves no clock behind to be read on every run.
    expect(await db.prisma.clockState.count({ where: { ticketId: { in: ['gone', 'arc'] } } })).toBe(0);
    expect((await run(at('10:10'))).changes.flags).toEqual([]);
  });

  it('a first start on a backlog: what was late before Heed looked starts at level 1, the ladder from first sight', async () => {
    await ticket('late', { createdAt: at('14:00', 20) }); // breached since Friday 15:00
    await ticket('soon'); // at risk from 09:45, due 10:00
    await ticket('aging', { priority: 'LOW', createdAt: at('09:00') }); // 4 h: at risk from 12:00
    const first = await run(at('09:50'));
    expect(briefs(first)).toEqual([
      'ticket:late:firstResponse:0 breached L1 backlog [raised, escalated]',
      'ticket:soon:firstResponse:0 at_risk L1 live [raised, escalated]',
    ]);
    // No ping and no escalation at once, however late: the Slack side sums the backlog up per team.
    expect(first.changes.escalationDue.map((c) => c.level)).toEqual([1, 1]);
    expect(await flag('ticket:late:firstResponse:0')).toMatchObject({
      seenAt: at('09:50'),
      raisedAt: at('09:50'),
      breachedAt: at('15:00', 20),
    });

    // 'soon' breaches while Heed watches: live, pinged at once. 'late' is still within half its window.
    expect(briefs(await run(at('10:01')))).toEqual([
      'ticket:soon:firstResponse:0 breached L2 live [breached, escalated]',
    ]);
    // Half of the 30-minute window after first sight: the owner of the backlog ticket is pinged.
    expect(briefs(await run(at('10:06')))).toEqual(['ticket:late:firstResponse:0 breached L2 backlog [escalated]']);
    // The whole window after first sight: the escalation channel — for 'soon', the whole window after its due time.
    expect(briefs(await run(at('10:21')))).toEqual(['ticket:late:firstResponse:0 breached L3 backlog [escalated]']);
    expect(briefs(await run(at('10:31')))).toEqual(['ticket:soon:firstResponse:0 breached L3 live [escalated]']);

    // A backlog at-risk flag that breaches while Heed watches becomes live.
    await db.prisma.ticket.update({ where: { id: 'aging' }, data: { priority: 'LOW' } });
    expect(briefs(await run(at('12:30')))).toContain(
      'ticket:aging:firstResponse:0 at_risk L1 backlog [raised, escalated]',
    );
    expect(briefs(await run(at('13:01')))).toContain(
      'ticket:aging:firstResponse:0 breached L2 live [breached, escalated]',
    );
  });

  it('a priority change that makes a clock late at once raises it as backlog', async () => {
    await ticket('p', { priority: 'LOW' });
    await run(at('10:00'));
    await touch('p', { priority: 'URGENT' }, at('10:40'));
    expect(briefs(await run(at('10:45')))).toEqual([
      'ticket:p:firstResponse:0 breached L1 backlog [raised, escalated]',
    ]);
  });

  it('a ticket moving team keeps its flag open, records where it came from, and restarts the ladder there', async () => {
    await ticket('mv');
    await run(at('09:50'));
    await run(at('10:05'));
    expect(await flag('ticket:mv:firstResponse:0')).toMatchObject({ team: 'support', escalationLevel: 2 });
    // Reassigned in HubSpot to the billing team (out of support's pipeline).
    await touch('mv', { hubspotTeamId: '4711', pipelineId: '9' }, at('10:20'));
    const moved = await run(at('10:20'));
    expect(briefs(moved)).toEqual(['ticket:mv:firstResponse:0 breached L1 live [moved, escalated]']);
    expect(moved.changes.moved[0]).toMatchObject({ team: 'billing', movedFrom: 'support', previousLevel: 2 });
    expect(moved.changes.moved[0]!.events[0]).toEqual({ type: 'moved', fromTeam: 'support', toTeam: 'billing' });
    expect(await flag('ticket:mv:firstResponse:0')).toMatchObject({
      team: 'billing',
      movedFrom: 'support',
      movedAt: at('10:20'),
      state: 'breached',
      outcome: null,
    });
    // The new team's ladder: its owner ping half the window after the move, the escalation channel after all of it.
    expect(briefs(await run(at('10:35')))).toEqual([]);
    expect(briefs(await run(at('10:36')))).toEqual(['ticket:mv:firstResponse:0 breached L2 live [escalated]']);
    expect(briefs(await run(at('10:51')))).toEqual(['ticket:mv:firstResponse:0 breached L3 live [escalated]']);
  });

  it('a handled flag stays handled while late, then ends with what happened, keeping who handled it', async () => {
    await ticket('h');
    await run(at('09:50'));
    await db.prisma.flag.update({
      where: { key: 'ticket:h:firstResponse:0' },
      data: { state: 'handled', handledBy: 'U1', handledAt: at('09:55'), updatedAt: at('09:55') },
    });
    const late = await run(at('10:40'));
    expect(briefs(late)).toEqual(['ticket:h:firstResponse:0 handled L1 live handled []']);
    expect(late.changes.escalationDue).toEqual([]);
    await touch('h', { isClosed: true, stageId: '4', closedAt: at('11:00'), stageEnteredAt: at('11:00') }, at('11:00'));
    const closed = await run(at('11:05'));
    expect(briefs(closed)).toEqual(['ticket:h:firstResponse:0 resolved L1 live closed_unanswered [ended]']);
    expect(closed.changes.flags[0]!.events[0]).toMatchObject({ type: 'ended', wasHandled: true });
    expect(await flag('ticket:h:firstResponse:0')).toMatchObject({
      state: 'resolved',
      handledBy: 'U1',
      outcome: 'closed_unanswered',
    });
  });

  it('negative feedback: backlog on a first start, followed up, and a claim counted in business minutes', async () => {
    const answer = (id: string, submittedAt: Date, over: Record<string, unknown> = {}) =>
      db.prisma.feedbackSubmission.create({
        data: { id, surveyType: 'NPS', value: 2, submittedAt, modifiedAt: submittedAt, syncedAt: submittedAt, ...over },
      });
    await ticket('t1', { contactId: 'k1', createdAt: at('08:00', 19), isClosed: true, closedAt: at('09:00', 19) });
    await answer('old', at('16:00', 20), { ticketId: 't1', contactId: 'k1' }); // due Monday 12:00
    await answer('new', at('09:40'));
    const first = await run(at('09:45'));
    expect(briefs(first)).toEqual([
      'feedback:new pending L1 live [raised, escalated]',
      'feedback:old pending L1 backlog [raised, escalated]',
    ]);
    // Claimed at 16:50 (Monday), still not followed up Tuesday 09:15: 10 + 15 = 25 business minutes since the
    // claim, well within the 2-hour window (wall time would count 16 hours and escalate).
    await run(at('12:30'));
    await db.prisma.flag.update({
      where: { key: 'feedback:old' },
      data: { claimedBy: 'U2', claimedAt: at('16:50'), updatedAt: at('16:50') },
    });
    await run(at('16:55'));
    const tuesday = await run(at('09:15', 24));
    expect(tuesday.changes.escalationDue.filter((c) => c.key === 'feedback:old')).toEqual([]);
    expect(await flag('feedback:old')).toMatchObject({ state: 'overdue', escalationLevel: 2 });
    // A new ticket from the same contact is the follow-up.
    await ticket('t2', { contactId: 'k1', createdAt: at('09:20', 24) });
    const followed = await run(at('09:30', 24));
    expect(briefs(followed).filter((b) => b.startsWith('feedback:old'))).toEqual([
      'feedback:old resolved L2 backlog followed_up [ended]',
    ]);
    expect(await flag('feedback:old')).toMatchObject({ outcome: 'followed_up', resolvedAt: at('09:20', 24) });
  });

  it('gives the event loop a turn between chunks, so Slack requests are acknowledged during a long evaluation', async () => {
    const count = 1200; // several chunks on SQLite (250 tickets each); PostgreSQL's reads are I/O anyway
    await db.prisma.ticket.createMany({
      data: Array.from({ length: count }, (_, i) => ({
        id: `t${String(i).padStart(4, '0')}`,
        subject: `Ticket ${i}`,
        pipelineId: '0',
        stageId: '1',
        priority: 'URGENT',
        createdAt: at('09:00'),
        modifiedAt: at('09:00'),
        stageEnteredAt: at('09:00'),
        syncedAt: at('09:00'),
      })),
    });
    let done = false;
    let turnsDuring = 0;
    const tick = () => {
      if (done) return;
      turnsDuring++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const result = await run(at('09:50')).finally(() => {
      done = true;
    });
    expect(result.stats.tickets).toBe(count);
    expect(turnsDuring).toBeGreaterThanOrEqual(4);
  });
});

describe.each(testProviders())('Flag writes keep what people do in Slack meanwhile, on %s', (provider) => {
  let db: OpenTestDb;
  beforeEach(async () => {
    db = await openTestDb(provider);
  });
  afterEach(async () => {
    await db.dispose();
  });

  const row = (key: string, state: string, outcome: string | null = null) => ({
    key,
    kind: 'ticket' as const,
    ticketId: '1',
    feedbackId: null,
    clock: 'firstResponse' as const,
    team: 'support',
    state: state as 'at_risk',
    escalationLevel: 2 as const,
    raisedAt: new Date('2026-11-23T09:00:00Z'),
    dueAt: new Date('2026-11-23T10:00:00Z'),
    breachedAt: null,
    resolvedAt: state === 'resolved' ? new Date('2026-11-23T10:30:00Z') : null,
    outcome: outcome as null,
    origin: 'live' as const,
    seenAt: null,
    movedFrom: null,
    movedAt: null,
    updatedAt: new Date('2026-11-23T10:30:00Z'),
  });

  it.each([
    ['an open state is not written over a flag someone marked handled meanwhile', 'handled', 'breached', 'handled'],
    [
      '"handled" (the engine recording the outcome) is not written over a flag whose handled was undone',
      'breached',
      'handled',
      'breached',
    ],
    ['an ending is written whatever was clicked', 'handled', 'resolved', 'resolved'],
    ['an open state over an open flag', 'at_risk', 'breached', 'breached'],
    ['handled over handled (the outcome recorded)', 'handled', 'handled', 'handled'],
  ])('%s', async (_label, inDatabase, written, expected) => {
    const key = 'ticket:1:firstResponse:0';
    await db.prisma.flag.create({
      data: { ...row(key, inDatabase), handledBy: inDatabase === 'handled' ? 'U1' : null },
    });
    const columns = (await import('../../src/db/sla-repo.ts')).engineFlagColumns();
    columns.push(row(key, written, written === 'resolved' ? 'answered' : written === 'handled' ? 'handled' : null));
    await new SlaRepo(db).writeFlags(columns);
    const stored = await db.prisma.flag.findUniqueOrThrow({ where: { key } });
    expect(stored.state).toBe(expected);
    expect(stored.handledBy).toBe(inDatabase === 'handled' ? 'U1' : null);
  });
});
