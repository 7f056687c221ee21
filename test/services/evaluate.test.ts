import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type TPolicy, type TPolicyInput } from '../../src/config.ts';
import { createLogger, silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
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
    {
      name: 'urgent',
      when: { priority: ['URGENT', 'HIGH'] },
      firstResponse: '1h',
      nextResponse: '2h',
      resolution: '8h',
    },
    { name: 'standard', firstResponse: '4h', nextResponse: '8h', resolution: '3d' },
  ],
  feedback: { NPS: { atMost: 6 }, CSAT: { atMost: 2 }, CES: { atMost: 3 }, followUpWithin: '4h', commentsCount: true },
  waitingOnCustomerStages: ['3'],
  engine: { useHubspotSla: false, substantiveReplyMinLength: 20 },
};
const policyOf = (input: TPolicyInput): TPolicy => parsePolicy(input, 'test policy');

// Monday 2026-11-23, UTC.
const at = (time: string, day = 23) => new Date(`2026-11-${day}T${time}:00Z`);

describe.each(testProviders())('evaluate on %s', (provider) => {
  let db: OpenTestDb;
  let policy: TPolicy;
  const run = (now: Date, options = {}) =>
    evaluate({ db, config: { policy }, logger: silentLogger() }, now, { includeClocks: true, ...options });

  async function ticket(id: string, over: Record<string, unknown> = {}) {
    await db.prisma.ticket.create({
      data: {
        id,
        subject: `Ticket ${id}`,
        pipelineId: '0',
        stageId: '1',
        priority: 'LOW',
        ownerId: 'o1',
        createdAt: at('09:00'),
        modifiedAt: at('09:00'),
        stageEnteredAt: at('09:00'),
        syncedAt: at('09:00'),
        ...over,
      },
    });
  }

  /** A ticket change as the sync writes it: modified in HubSpot and synced at `when`. */
  async function touch(id: string, data: Record<string, unknown>, when: Date) {
    await db.prisma.ticket.update({ where: { id }, data: { ...data, modifiedAt: when, syncedAt: when } });
  }

  beforeEach(async () => {
    db = await openTestDb(provider);
    policy = policyOf(POLICY);
    await db.prisma.owner.create({
      data: { id: 'o1', email: 'agent@example.com', type: 'PERSON', updatedAt: at('08:00') },
    });
    await db.prisma.stage.createMany({
      data: [
        { pipelineId: '0', id: '1', label: 'New', displayOrder: 0, isClosed: false, updatedAt: at('08:00') },
        {
          pipelineId: '0',
          id: '3',
          label: 'Waiting on customer',
          displayOrder: 1,
          isClosed: false,
          updatedAt: at('08:00'),
        },
        { pipelineId: '0', id: '4', label: 'Closed', displayOrder: 2, isClosed: true, updatedAt: at('08:00') },
      ],
    });
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('walks the escalation ladder once per cycle and is idempotent at the same instant', async () => {
    await ticket('a', { priority: 'URGENT' });
    await ticket('b');

    const atRisk = await run(at('09:50'));
    expect(atRisk.changes.newAtRisk.map((c) => c.key)).toEqual(['ticket:a:firstResponse:0']);
    expect(atRisk.changes.escalationDue.map((c) => [c.key, c.level])).toEqual([['ticket:a:firstResponse:0', 1]]);
    expect(atRisk.changes.newAtRisk[0]).toMatchObject({
      team: 'support',
      ownerEmail: 'agent@example.com',
      clock: 'firstResponse',
    });
    // Two tickets × first response and resolution (no next-response cycle yet).
    expect(atRisk.stats.clockRowsWritten).toBe(4);
    expect(atRisk.clocks.filter((c) => c.ticketId === 'a').map((c) => [c.clock, c.state, c.headline])).toEqual([
      ['firstResponse', 'at_risk', true],
      ['resolution', 'running', false],
    ]);

    const again = await run(at('09:50'));
    expect(again.changes).toEqual({
      flags: [],
      newAtRisk: [],
      newPredicted: [],
      newBreach: [],
      escalationDue: [],
      recovered: [],
      resolved: [],
      moved: [],
    });
    expect(again.stats).toMatchObject({ clockRowsWritten: 0, clockRowsDeleted: 0, flagRowsWritten: 0 });
    // Nothing synced, no threshold reached and no flag changed in Slack since: no ticket is read at all.
    expect(again.stats).toMatchObject({ mode: 'incremental', tickets: 0 });

    const breached = await run(at('10:10'), { fullEveryMinutes: 60 });
    // Only the ticket whose clock crossed a threshold (nextCheckAt) is read.
    expect(breached.stats).toMatchObject({ mode: 'incremental', tickets: 1 });
    expect(breached.changes.newBreach.map((c) => [c.key, c.level, c.overdueMinutes])).toEqual([
      ['ticket:a:firstResponse:0', 2, 10],
    ]);
    expect(breached.changes.escalationDue.map((c) => c.level)).toEqual([2]);

    const escalated = await run(at('10:31'));
    expect(escalated.changes.newBreach).toEqual([]);
    expect(escalated.changes.escalationDue.map((c) => [c.key, c.level])).toEqual([['ticket:a:firstResponse:0', 3]]);
    expect((await run(at('11:00'))).changes.escalationDue).toEqual([]);

    await touch('a', { firstAgentReplyAt: at('11:05'), lastAgentMessageAt: at('11:05') }, at('11:05'));
    const answered = await run(at('11:10'));
    expect(answered.stats).toMatchObject({ mode: 'full' }); // the last full run is over 10 minutes old
    expect(answered.changes.resolved.map((c) => c.key)).toEqual(['ticket:a:firstResponse:0']);
    const flag = await db.prisma.flag.findUniqueOrThrow({ where: { key: 'ticket:a:firstResponse:0' } });
    expect(flag).toMatchObject({
      state: 'resolved',
      escalationLevel: 3,
      resolvedAt: at('11:05'),
      breachedAt: at('10:00'),
    });
    const clock = await db.prisma.clockState.findUniqueOrThrow({
      where: { ticketId_clock: { ticketId: 'a', clock: 'firstResponse' } },
    });
    expect(clock).toMatchObject({
      state: 'missed',
      policy: 'urgent',
      team: 'support',
      overdueMinutes: 65,
      completedAt: at('11:05'),
    });
  });

  it('re-evaluates open tickets under a changed priority and a changed policy file', async () => {
    await ticket('p');
    expect((await run(at('10:00'))).clocks.find((c) => c.clock === 'firstResponse')).toMatchObject({
      state: 'running',
      policy: 'standard',
    });

    await touch('p', { priority: 'HIGH' }, at('10:20'));
    const urgent = await run(at('10:30'));
    expect(urgent.changes.newBreach.map((c) => c.key)).toContain('ticket:p:firstResponse:0');
    const row = await db.prisma.clockState.findUniqueOrThrow({
      where: { ticketId_clock: { ticketId: 'p', clock: 'firstResponse' } },
    });
    expect(row).toMatchObject({ policy: 'urgent', state: 'breached', dueAt: at('10:00') });

    // The policy file now gives HIGH tickets a longer target: the breach recovers.
    policy = policyOf({
      ...POLICY,
      sla: [{ name: 'relaxed', firstResponse: '8h', nextResponse: '8h', resolution: '5d' }],
    });
    const relaxed = await run(at('10:35'));
    expect(relaxed.changes.recovered.map((c) => c.key)).toEqual(['ticket:p:firstResponse:0']);
    expect(relaxed.clocks.find((c) => c.clock === 'firstResponse')).toMatchObject({
      policy: 'relaxed',
      state: 'running',
    });
  });

  it('assigns teams and leaves the Slack side’s columns alone; snooze defers and handled stops the ladder', async () => {
    await ticket('s', { priority: 'URGENT', hubspotTeamId: '4711', pipelineId: '9' });
    await ticket('h', { priority: 'URGENT' });
    await run(at('09:50'));
    await db.prisma.flag.update({
      where: { key: 'ticket:s:firstResponse:0' },
      data: { snoozedBy: 'U1', snoozedUntil: at('12:00'), claimedBy: 'U2', claimedAt: at('11:45') },
    });
    await db.prisma.flag.update({
      where: { key: 'ticket:h:firstResponse:0' },
      data: { state: 'handled', handledBy: 'U3', handledAt: at('09:55') },
    });

    const result = await run(at('10:20'));
    expect(result.changes.newBreach.map((c) => [c.key, c.team, c.level])).toEqual([
      ['ticket:s:firstResponse:0', 'billing', 1],
    ]);
    expect(result.changes.escalationDue).toEqual([]);
    const snoozed = await db.prisma.flag.findUniqueOrThrow({ where: { key: 'ticket:s:firstResponse:0' } });
    expect(snoozed).toMatchObject({
      state: 'breached',
      escalationLevel: 1,
      snoozedBy: 'U1',
      claimedBy: 'U2',
      claimedAt: at('11:45'),
    });
    const handled = await db.prisma.flag.findUniqueOrThrow({ where: { key: 'ticket:h:firstResponse:0' } });
    expect(handled).toMatchObject({ state: 'handled', escalationLevel: 1, handledBy: 'U3' });

    // The snooze is over: the breach ping happens; the claim holds back the escalation channel.
    // (breached 121 min, more than half the 1 h target, but claimed only 16 min ago).
    const later = await run(at('12:01'));
    expect(later.changes.escalationDue.map((c) => [c.key, c.level])).toEqual([['ticket:s:firstResponse:0', 2]]);
    const claimWindowOver = await run(at('12:16'));
    expect(claimWindowOver.changes.escalationDue.map((c) => [c.key, c.level])).toEqual([
      ['ticket:s:firstResponse:0', 3],
    ]);
  });

  it('pauses in a waiting stage, resolves flags of closed and deleted tickets', async () => {
    await ticket('w', { stageId: '3', stageEnteredAt: at('10:00') });
    await db.prisma.ticketStagePeriod.createMany({
      data: [
        { ticketId: 'w', stageId: '1', enteredAt: at('09:00'), exitedAt: at('10:00') },
        { ticketId: 'w', stageId: '3', enteredAt: at('10:00') },
      ],
    });
    await ticket('c', { priority: 'URGENT' });
    await ticket('d', { priority: 'URGENT' });
    await ticket('e', { priority: 'URGENT' });
    await run(at('09:50'));
    const result = await run(at('12:00'));
    expect(result.clocks.find((c) => c.ticketId === 'w' && c.clock === 'resolution')).toMatchObject({
      state: 'paused',
      usedMinutes: 60,
    });

    await touch('c', { isClosed: true, stageId: '4', closedAt: at('12:30'), stageEnteredAt: at('12:30') }, at('12:30'));
    await touch('d', { archived: true }, at('12:30'));
    await db.prisma.ticket.delete({ where: { id: 'e' } }); // gone without Heed seeing it archived
    const closed = await run(at('13:00'));
    expect(closed.changes.resolved.map((c) => c.key).sort()).toEqual([
      'ticket:c:firstResponse:0',
      'ticket:d:firstResponse:0',
      'ticket:e:firstResponse:0',
    ]);
    expect(closed.clocks.some((c) => c.ticketId === 'c' || c.ticketId === 'd')).toBe(false);
    expect(await db.prisma.clockState.count({ where: { ticketId: 'd' } })).toBe(0);
    expect(
      await db.prisma.clockState.findUniqueOrThrow({
        where: { ticketId_clock: { ticketId: 'c', clock: 'resolution' } },
      }),
    ).toMatchObject({
      state: 'met',
      completedAt: at('12:30'),
    });
    const quiet = await run(at('13:00'));
    expect(quiet.stats).toMatchObject({ clockRowsWritten: 0, flagRowsWritten: 0, clockRowsDeleted: 0 });
  });

  it('next response: a thanks-only reply does not restart the clock, a real question does', async () => {
    await ticket('n', {
      firstAgentReplyAt: at('09:30'),
      lastAgentMessageAt: at('09:30'),
      lastCustomerMessageAt: at('10:00'),
    });
    await db.prisma.ticketMessage.createMany({
      data: [
        { id: 'm1', ticketId: 'n', direction: 'OUTGOING', createdAt: at('09:30'), text: 'Try clearing the cache.' },
        { id: 'm2', ticketId: 'n', direction: 'INCOMING', createdAt: at('10:00'), text: 'Thanks!' },
      ],
    });
    const thanks = await run(at('11:00'));
    expect(thanks.clocks.filter((c) => c.ticketId === 'n').map((c) => c.clock)).toEqual([
      'firstResponse',
      'resolution',
    ]);

    await db.prisma.ticketMessage.create({
      data: {
        id: 'm3',
        ticketId: 'n',
        direction: 'INCOMING',
        createdAt: at('11:00'),
        text: 'The cache is clear but the export still fails.',
      },
    });
    await touch('n', { lastCustomerMessageAt: at('11:00') }, at('11:00'));
    const question = await run(at('12:00'));
    expect(question.clocks.find((c) => c.ticketId === 'n' && c.clock === 'nextResponse')).toMatchObject({
      state: 'running',
      cycle: 0,
      usedMinutes: 60,
    });
  });

  it('flags negative feedback until a later ticket reply or a new ticket follows it up', async () => {
    await ticket('t1', {
      contactId: 'k1',
      firstAgentReplyAt: at('08:30', 23),
      lastAgentMessageAt: at('08:30', 23),
      createdAt: at('08:00'),
    });
    const feedback = (id: string, over: Record<string, unknown>) =>
      db.prisma.feedbackSubmission.create({
        data: {
          id,
          surveyType: 'NPS',
          submittedAt: at('09:00'),
          modifiedAt: at('09:00'),
          syncedAt: at('09:00'),
          ...over,
        },
      });
    await feedback('f1', { value: 3, ticketId: 't1', contactId: 'k1' });
    await feedback('f2', { value: 2, contactId: 'k2' });
    await feedback('f3', { value: 10 });
    await feedback('f4', { surveyType: 'CSAT', value: 5, content: 'Fine, but the invoice was confusing' });

    const first = await run(at('10:00'));
    expect(first.changes.newAtRisk.map((c) => c.key).sort()).toEqual(['feedback:f1', 'feedback:f2', 'feedback:f4']);
    expect(first.feedback.find((f) => f.feedbackId === 'f1')).toMatchObject({
      state: 'pending',
      dueAt: at('13:00'),
      ownerEmail: 'agent@example.com',
    });

    // f1: an agent replies on its ticket after it was submitted; f2: a ticket is opened for that contact.
    await touch('t1', { lastAgentMessageAt: at('10:30') }, at('10:30'));
    await ticket('t2', { contactId: 'k2', createdAt: at('11:00') });
    const followed = await run(at('14:00'));
    expect(followed.changes.resolved.map((c) => c.key).sort()).toEqual(['feedback:f1', 'feedback:f2']);
    expect(followed.changes.newBreach.map((c) => [c.key, c.overdueMinutes])).toEqual([['feedback:f4', 60]]);
    await db.prisma.feedbackSubmission.delete({ where: { id: 'f4' } });
    expect((await run(at('14:05'))).changes.resolved.map((c) => c.key)).toEqual(['feedback:f4']);
    expect(await db.prisma.flag.findUniqueOrThrow({ where: { key: 'feedback:f1' } })).toMatchObject({
      state: 'resolved',
      resolvedAt: at('10:30'),
    });
    expect((await run(at('14:05'))).stats.flagRowsWritten).toBe(0);
  });

  it("logs disagreements with HubSpot's own due dates and can use them", async () => {
    await ticket('h1', { hsFirstResponseDueAt: at('10:00') });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const own = await evaluate({ db, config: { policy }, logger }, at('10:30'), { dryRun: true });
    expect(own.stats.disagreements).toBe(1);
    expect(own.clocks.find((c) => c.clock === 'firstResponse')).toMatchObject({ state: 'running', dueAt: at('13:00') });
    expect(lines.join('')).toMatch(/"differenceMinutes":-180/);

    policy = policyOf({ ...POLICY, engine: { useHubspotSla: true, substantiveReplyMinLength: 20 } });
    const theirs = await run(at('10:30'));
    expect(theirs.clocks.find((c) => c.clock === 'firstResponse')).toMatchObject({
      state: 'breached',
      dueAt: at('10:00'),
      overdueMinutes: 30,
    });
  });

  it('evaluates thousands of tickets chunk by chunk and stores every clock and flag exactly as computed', async () => {
    // More tickets than one read chunk (250 on SQLite, 2,500 on PostgreSQL) and more rows than one write batch.
    const count = 2600;
    const priorities = ['LOW', 'URGENT', 'HIGH', 'MEDIUM'];
    await db.prisma.ticket.createMany({
      data: Array.from({ length: count }, (_, i) => ({
        id: `t${String(i).padStart(4, '0')}`,
        subject: `Ticket ${i}`,
        pipelineId: '0',
        stageId: '1',
        priority: priorities[i % priorities.length]!,
        ownerId: 'o1',
        hubspotTeamId: i % 3 === 0 ? '4711' : null,
        createdAt: new Date(at('09:00').getTime() + (i % 120) * 60_000),
        modifiedAt: at('09:00'),
        stageEnteredAt: at('09:00'),
        firstAgentReplyAt: i % 5 === 0 ? at('10:15') : null,
        syncedAt: at('09:00'),
      })),
    });
    const first = await run(at('12:00'));
    expect(first.stats.tickets).toBe(count);
    expect(first.stats.clockRowsWritten).toBe(first.clocks.length);
    const stored = await db.prisma.clockState.findMany();
    expect(stored).toHaveLength(first.clocks.length);
    const byKey = new Map(stored.map((row) => [`${row.ticketId}/${row.clock}`, row]));
    for (const clock of first.clocks) {
      expect(byKey.get(`${clock.ticketId}/${clock.clock}`)).toMatchObject({
        cycle: clock.cycle,
        policy: clock.policy,
        team: clock.team,
        state: clock.state,
        dueAt: clock.dueAt,
        targetMinutes: clock.targetMinutes,
        usedMinutes: clock.usedMinutes,
        overdueMinutes: clock.overdueMinutes,
        evaluatedAt: at('12:00'),
      });
    }
    const raised = [...first.changes.newAtRisk, ...first.changes.newBreach];
    expect(await db.prisma.flag.count()).toBe(raised.length);
    const last = raised.at(-1)!;
    expect(await db.prisma.flag.findUniqueOrThrow({ where: { key: last.key } })).toMatchObject({
      state: last.state,
      team: last.team,
      dueAt: last.dueAt,
      escalationLevel: last.level,
      raisedAt: at('12:00'),
    });

    // A flagged ticket of the last chunk vanishes: its open flags are resolved; nothing else is written.
    const lastFlagged = raised
      .map((c) => c.ticketId!)
      .sort()
      .at(-1)!;
    expect(lastFlagged > `t${count - 250}`).toBe(true);
    const gone = raised.filter((c) => c.ticketId === lastFlagged);
    await db.prisma.ticket.delete({ where: { id: lastFlagged } });
    const again = await run(at('12:00'), { mode: 'full' });
    expect(again.changes.resolved.map((c) => c.key).sort()).toEqual(gone.map((c) => c.key).sort());
    expect(again.stats).toMatchObject({ flagRowsWritten: gone.length, clockRowsWritten: 0 });
    const quiet = await run(at('12:00'), { mode: 'full' });
    expect(quiet.stats).toMatchObject({ clockRowsWritten: 0, flagRowsWritten: 0, clockRowsDeleted: 0 });
  });

  it('a dry run writes nothing', async () => {
    await ticket('x', { priority: 'URGENT' });
    const dry = await run(at('10:30'), { dryRun: true });
    expect(dry.changes.newBreach).toHaveLength(1);
    expect(await db.prisma.flag.count()).toBe(0);
    expect(await db.prisma.clockState.count()).toBe(0);
  });
});
