import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { pruneOldRecords } from '../../src/services/retention.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const DAY = 86_400_000;
/** `days` days before NOW; the cutoff at 180 days sits between 181 ("old") and 179 ("recent"). */
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const OLD = ago(181);
const RECENT = ago(179);

const config = (retentionDays = 180) => ({ policy: { operations: { retentionDays, readyMaxSyncAgeMinutes: 30 } } });

describe.each(testProviders())('pruneOldRecords on %s', (provider) => {
  let db: OpenTestDb;

  beforeEach(async () => {
    db = await openTestDb(provider);
  });
  afterEach(async () => {
    await db.dispose();
  });

  async function ticket(id: string, state: { isClosed?: boolean; archived?: boolean } = {}) {
    await db.prisma.ticket.create({
      data: { id, createdAt: OLD, modifiedAt: OLD, syncedAt: OLD, isClosed: false, archived: false, ...state },
    });
  }

  async function flag(key: string, over: { ticketId?: string | null; kind?: string; state: string; updatedAt: Date }) {
    await db.prisma.flag.create({
      data: {
        key,
        kind: over.kind ?? 'ticket',
        ticketId: over.ticketId ?? null,
        feedbackId: over.kind === 'feedback' ? key.split(':')[1]! : null,
        clock: over.kind === 'feedback' ? null : 'firstResponse',
        team: 'support',
        state: over.state,
        raisedAt: ago(400),
        updatedAt: over.updatedAt,
      },
    });
  }

  async function nudge(id: string, flagKey: string, updatedAt: Date) {
    await db.prisma.nudge.create({
      data: {
        id,
        flagKey,
        channel: 'C0SUPPORT',
        ts: `1.${id.length}`,
        state: 'resolved',
        createdAt: ago(400),
        updatedAt,
      },
    });
  }

  async function outbox(id: string, state: string, at: Date, nudgeId: string | null = null) {
    await db.prisma.outboxMessage.create({
      data: {
        id,
        idempotencyKey: `key:${id}`,
        kind: 'post',
        channel: 'C0SUPPORT',
        payload: '{}',
        state,
        nextAttemptAt: at,
        createdAt: at,
        sentAt: state === 'sent' ? at : null,
        nudgeId,
      },
    });
  }

  const ids = async () => ({
    flags: (await db.prisma.flag.findMany({ orderBy: { key: 'asc' } })).map((r) => r.key),
    nudges: (await db.prisma.nudge.findMany({ orderBy: { id: 'asc' } })).map((r) => r.id),
    outbox: (await db.prisma.outboxMessage.findMany({ orderBy: { id: 'asc' } })).map((r) => r.id),
    audit: (await db.prisma.auditEntry.findMany({ orderBy: { id: 'asc' } })).map((r) => r.id),
    syncRuns: (await db.prisma.syncRun.findMany({ orderBy: { id: 'asc' } })).map((r) => r.id),
    jobRuns: (await db.prisma.jobRun.findMany({ orderBy: { id: 'asc' } })).map((r) => r.id),
    events: (await db.prisma.processedEvent.findMany({ orderBy: { id: 'asc' } })).map((r) => r.id),
    stats: await db.prisma.dailyStat.count(),
    digests: await db.prisma.digestRun.count(),
  });

  it('deletes what is past the cutoff and keeps what is not, in batches', async () => {
    await ticket('closed', { isClosed: true });
    await ticket('archived', { archived: true });
    await ticket('open');
    // Flags: finished + closed/archived/missing ticket + old → gone; anything recent, open, or of an open ticket stays.
    await flag('ticket:closed:firstResponse:0', { ticketId: 'closed', state: 'resolved', updatedAt: OLD });
    await flag('ticket:archived:firstResponse:0', { ticketId: 'archived', state: 'handled', updatedAt: OLD });
    await flag('ticket:gone:firstResponse:0', { ticketId: 'gone', state: 'resolved', updatedAt: OLD });
    await flag('ticket:closed:nextResponse:1', { ticketId: 'closed', state: 'resolved', updatedAt: RECENT });
    await flag('ticket:closed:resolution:0', { ticketId: 'closed', state: 'breached', updatedAt: OLD });
    await flag('ticket:open:firstResponse:0', { ticketId: 'open', state: 'resolved', updatedAt: OLD });
    await flag('feedback:f-old', { kind: 'feedback', state: 'resolved', updatedAt: OLD });
    await flag('feedback:f-pending', { kind: 'feedback', state: 'overdue', updatedAt: OLD });
    // Nudges: go with a finished (or pruned) flag once old; stay while their flag is open or a message is queued.
    await nudge('n-closed', 'ticket:closed:firstResponse:0', OLD);
    await nudge('n-breached', 'ticket:closed:resolution:0', OLD);
    await nudge('n-recent', 'ticket:closed:nextResponse:1', RECENT);
    await nudge('n-queued', 'feedback:f-old', OLD);
    await outbox('o-queued', 'retry', OLD, 'n-queued');
    // Outbox: finished and old → gone (unless its nudge stays); queued rows stay whatever their age.
    await outbox('o-sent-old', 'sent', OLD, 'n-closed');
    await outbox('o-failed-old', 'failed', OLD);
    await outbox('o-superseded-old', 'superseded', OLD);
    await outbox('o-sent-recent', 'sent', RECENT);
    await outbox('o-pending-old', 'pending', OLD);
    await outbox('o-of-kept-nudge', 'sent', OLD, 'n-breached');
    // Audit entries: 7 old (more than two batches of 3), 2 recent.
    for (let i = 0; i < 9; i++) {
      await db.prisma.auditEntry.create({
        data: {
          id: `a${i}`,
          at: i < 7 ? ago(200 + i) : ago(10 + i),
          actor: 'U1',
          action: 'claim',
          target: 't',
          source: 'slack',
        },
      });
    }
    // Sync runs: old ones go, but the newest successful run stays however old it is.
    const run = (id: string, startedAt: Date, status: string) =>
      db.prisma.syncRun.create({ data: { id, kind: 'incremental', startedAt, finishedAt: startedAt, status } });
    await run('s-old-ok', ago(300), 'ok');
    await run('s-old-failed', ago(250), 'failed');
    await run('s-newest-ok', ago(200), 'ok');
    await run('s-recent-failed', RECENT, 'failed');
    const job = (id: string, startedAt: Date, status: string) =>
      db.prisma.jobRun.create({ data: { id, job: 'sync', runKey: id, holder: 'h', startedAt, status } });
    await job('j-old', OLD, 'succeeded');
    await job('j-old-running', OLD, 'running');
    await job('j-recent', RECENT, 'failed');
    // Dedupe records: three days by default.
    const event = (id: string, receivedAt: Date) =>
      db.prisma.processedEvent.create({ data: { source: 'hubspot', id, receivedAt } });
    await event('e-old', ago(4));
    await event('e-recent', ago(2));
    // Order marks of Slack acts: only deliveries race, so the same window as the dedupe records.
    const mark = (flagKey: string, at: Date) =>
      db.prisma.slackActionMark.create({ data: { flagKey, kind: 'handled', slackTs: '1.000001', actor: 'U1', at } });
    await mark('ticket:closed:firstResponse:0', ago(4));
    await mark('ticket:open:firstResponse:0', ago(2));
    // Summaries: a settled old one goes with its entries; one still kept up to date stays, with its message.
    const rollup = (id: string, settled: boolean, postId: string | null) =>
      db.prisma.rollup.create({
        data: {
          id,
          kind: 'backlog',
          scope: 'team:support',
          channel: 'C0SUPPORT',
          team: 'support',
          settled,
          postId,
          lastAddedAt: OLD,
          createdAt: OLD,
          updatedAt: OLD,
        },
      });
    await outbox('o-rollup-kept', 'sent', OLD);
    await rollup('r-settled', true, null);
    await rollup('r-open', false, 'o-rollup-kept');
    for (const [rollupId, flagKey] of [
      ['r-settled', 'ticket:closed:firstResponse:0'],
      ['r-open', 'ticket:closed:resolution:0'],
    ] as const) {
      await db.prisma.rollupEntry.create({ data: { rollupId, flagKey, step: 1, addedAt: OLD } });
    }
    // Burst-budget locks not written for days.
    await db.prisma.burstLock.create({ data: { scope: 'channel:C0OLD', touchedAt: ago(4) } });
    await db.prisma.burstLock.create({ data: { scope: 'channel:C0NEW', touchedAt: ago(1) } });
    // Conversations: a closed ticket's quiet thread goes with its messages; an open ticket's stays however old, and
    // so does a closed ticket's thread with a recent message (its old messages with it: the thread is read whole).
    const thread = (id: string, ticketId: string, latest: Date) =>
      db.prisma.conversationThread.create({
        data: {
          id,
          ticketId,
          status: 'OPEN',
          createdAt: OLD,
          latestMessageAt: latest,
          messagesSyncedTo: latest,
          syncedAt: latest,
        },
      });
    const message = (id: string, ticketId: string, threadId: string | null, createdAt: Date) =>
      db.prisma.ticketMessage.create({
        data: {
          id,
          ticketId,
          threadId,
          direction: 'INCOMING',
          senderKind: 'customer',
          createdAt,
          text: 'Our export fails',
        },
      });
    await thread('th-closed', 'closed', OLD);
    await message('m-closed', 'closed', 'th-closed', OLD);
    await thread('th-open', 'open', OLD);
    await message('m-open', 'open', 'th-open', OLD);
    await thread('th-archived-recent', 'archived', RECENT);
    await message('m-archived-old', 'archived', 'th-archived-recent', OLD);
    await message('m-archived-recent', 'archived', 'th-archived-recent', RECENT);
    await message('m-no-thread', 'gone', null, OLD);
    // HubSpot write-backs: finished and old go; queued or running stay however old, and so do recent finished ones.
    const write = (id: string, state: string, updatedAt: Date) =>
      db.prisma.hubspotWrite.create({
        data: {
          id,
          kind: 'owner',
          ticketId: 'open',
          flagKey: 'ticket:open:firstResponse:0',
          actor: 'U0BOB',
          state,
          nextAttemptAt: updatedAt,
          createdAt: updatedAt,
          updatedAt,
        },
      });
    for (const state of ['done', 'skipped', 'refused', 'failed']) await write(`w-${state}-old`, state, OLD);
    await write('w-done-recent', 'done', RECENT);
    await write('w-pending-old', 'pending', OLD);
    await write('w-running-old', 'running', OLD);
    // Never pruned.
    await db.prisma.dailyStat.create({ data: { team: 'support', day: '2025-01-01', metric: 'opened', value: 3 } });
    await db.prisma.digestRun.create({
      data: { id: 'd1', team: 'support', day: '2025-01-01', status: 'sent', scheduledFor: ago(600) },
    });

    const counts = await pruneOldRecords({ db, config: config(), logger: silentLogger() }, NOW, { batchSize: 3 });

    expect(counts).toEqual({
      flags: 4,
      nudges: 1,
      rollups: 1,
      rollupEntries: 1,
      outboxMessages: 3,
      auditEntries: 7,
      syncRuns: 2,
      jobRuns: 1,
      processedEvents: 1,
      slackActionMarks: 1,
      burstLocks: 1,
      conversationThreads: 1,
      ticketMessages: 2,
      hubspotWrites: 4,
    });
    expect((await db.prisma.hubspotWrite.findMany({ orderBy: { id: 'asc' } })).map((w) => w.id)).toEqual([
      'w-done-recent',
      'w-pending-old',
      'w-running-old',
    ]);
    expect((await db.prisma.conversationThread.findMany({ orderBy: { id: 'asc' } })).map((t) => t.id)).toEqual([
      'th-archived-recent',
      'th-open',
    ]);
    expect((await db.prisma.ticketMessage.findMany({ orderBy: { id: 'asc' } })).map((m) => m.id)).toEqual([
      'm-archived-old',
      'm-archived-recent',
      'm-open',
    ]);
    expect((await db.prisma.rollup.findMany()).map((r) => r.id)).toEqual(['r-open']);
    expect((await db.prisma.rollupEntry.findMany()).map((e) => e.rollupId)).toEqual(['r-open']);
    expect((await db.prisma.burstLock.findMany()).map((l) => l.scope)).toEqual(['channel:C0NEW']);
    expect((await db.prisma.slackActionMark.findMany()).map((m) => m.flagKey)).toEqual(['ticket:open:firstResponse:0']);
    expect(await ids()).toEqual({
      flags: [
        'feedback:f-pending',
        'ticket:closed:nextResponse:1',
        'ticket:closed:resolution:0',
        'ticket:open:firstResponse:0',
      ],
      nudges: ['n-breached', 'n-queued', 'n-recent'],
      outbox: ['o-of-kept-nudge', 'o-pending-old', 'o-queued', 'o-rollup-kept', 'o-sent-recent'],
      audit: ['a7', 'a8'],
      syncRuns: ['s-newest-ok', 's-recent-failed'],
      jobRuns: ['j-old-running', 'j-recent'],
      events: ['e-recent'],
      stats: 1,
      digests: 1,
    });

    // A second run finds nothing more.
    const again = await pruneOldRecords({ db, config: config(), logger: silentLogger() }, NOW, { batchSize: 3 });
    expect(Object.values(again).every((n) => n === 0)).toBe(true);
  });

  it.each([
    [30, 2],
    [365, 0],
  ])('follows retentionDays (%i days → %i audit entries deleted)', async (days, expected) => {
    for (const [id, age] of [
      ['a', 100],
      ['b', 40],
      ['c', 20],
    ] as const) {
      await db.prisma.auditEntry.create({
        data: { id, at: ago(age), actor: 'U1', action: 'snooze', target: 't', source: 'slack' },
      });
    }
    const counts = await pruneOldRecords({ db, config: config(days), logger: silentLogger() }, NOW);
    expect(counts.auditEntries).toBe(expected);
    expect(await db.prisma.auditEntry.count()).toBe(3 - expected);
  });

  it('deletes a large backlog in many small statements', async () => {
    const rows = Array.from({ length: 321 }, (_, i) => ({
      id: `a${String(i).padStart(5, '0')}`,
      at: ago(181 + (i % 50)),
      actor: 'U1',
      action: 'claim',
      target: `t${i}`,
      source: 'slack',
    }));
    await db.prisma.auditEntry.createMany({ data: rows });
    await db.prisma.auditEntry.create({
      data: { id: 'keep', at: ago(1), actor: 'U1', action: 'claim', target: 't', source: 'slack' },
    });
    const counts = await pruneOldRecords({ db, config: config(), logger: silentLogger() }, NOW, { batchSize: 40 });
    expect(counts.auditEntries).toBe(321);
    expect((await db.prisma.auditEntry.findMany()).map((r) => r.id)).toEqual(['keep']);
  });

  it('never forgets an event id sooner than an hour', async () => {
    await db.prisma.processedEvent.create({
      data: { source: 'slack', id: 'x', receivedAt: new Date(NOW.getTime() - 30 * 60_000) },
    });
    await db.prisma.processedEvent.create({
      data: { source: 'slack', id: 'y', receivedAt: new Date(NOW.getTime() - 2 * 3_600_000) },
    });
    const counts = await pruneOldRecords({ db, config: config(), logger: silentLogger() }, NOW, {
      processedEventMs: 1,
    });
    expect(counts.processedEvents).toBe(1);
    expect((await db.prisma.processedEvent.findMany()).map((r) => r.id)).toEqual(['x']);
  });
});
