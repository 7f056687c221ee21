// The bulk writers' column order and date format, checked through Prisma on both databases (the raw SQL must
// write exactly what Prisma reads back), and the hand-rolled date formatter against toISOString.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { sqliteDate } from '../../src/db/sqlite-date.ts';
import type { FeedbackRow, TicketRow } from '../../src/hubspot/map.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const T = Date.parse('2026-11-02T09:15:30.123Z');
const row = (overrides: Partial<TicketRow> = {}): TicketRow => ({
  id: '9001',
  subject: 'Export fails',
  pipelineId: '0',
  stageId: '1',
  priority: 'HIGH',
  ownerId: '71000001',
  hubspotTeamId: '4001',
  category: 'PRODUCT_ISSUE',
  source: 'EMAIL',
  createdAt: T,
  modifiedAt: T + 10_000,
  closedAt: T + 20_000,
  reopenedAt: T + 30_000,
  firstAgentReplyAt: T + 40_000,
  lastCustomerMessageAt: T + 50_000,
  lastAgentMessageAt: T + 60_000,
  lastMessageFromVisitor: true,
  stageEnteredAt: T + 70_000,
  hsFirstResponseDueAt: T + 80_000,
  hsNextResponseDueAt: T + 90_000,
  hsCloseDueAt: T + 100_000,
  hsFirstResponseStatus: '0',
  hsNextResponseStatus: '1',
  hsCloseStatus: '3',
  contactId: '500001',
  companyId: '9000001',
  isClosed: false,
  archived: false,
  ...overrides,
});

describe('sqliteDate', () => {
  it('formats exactly like Prisma’s adapter (toISOString with +00:00) for any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799999 }), (ms) => {
        expect(sqliteDate(ms)).toBe(new Date(ms).toISOString().replace('Z', '+00:00'));
      }),
      { numRuns: 20_000 },
    );
    expect(sqliteDate(Date.parse('2024-02-29T23:59:59.999Z'))).toBe('2024-02-29T23:59:59.999+00:00');
    expect(sqliteDate(null)).toBeNull();
  });
});

describe.each(testProviders())('HubSpot copy bulk writes on %s', (provider) => {
  let db: OpenTestDb;
  afterEach(() => db?.dispose());

  it('writes every ticket column where Prisma reads it, and range filters see the rows', async () => {
    db = await openTestDb(provider);
    const repos = hubspotRepos(db);
    const result = await repos.tickets.upsertPage([row()], T + 200_000, { name: 'tickets', value: '{"x":1}' });
    expect(result).toEqual({ inserted: ['9001'], stageChanges: 0, stale: 0 });
    const t = await db.prisma.ticket.findUniqueOrThrow({ where: { id: '9001' } });
    const d = (ms: number) => new Date(ms);
    expect(t).toEqual({
      id: '9001',
      subject: 'Export fails',
      pipelineId: '0',
      stageId: '1',
      priority: 'HIGH',
      ownerId: '71000001',
      hubspotTeamId: '4001',
      category: 'PRODUCT_ISSUE',
      source: 'EMAIL',
      createdAt: d(T),
      modifiedAt: d(T + 10_000),
      closedAt: d(T + 20_000),
      reopenedAt: d(T + 30_000),
      firstAgentReplyAt: d(T + 40_000),
      lastCustomerMessageAt: d(T + 50_000),
      lastAgentMessageAt: d(T + 60_000),
      lastMessageFromVisitor: true,
      stageEnteredAt: d(T + 70_000),
      hsFirstResponseDueAt: d(T + 80_000),
      hsNextResponseDueAt: d(T + 90_000),
      hsCloseDueAt: d(T + 100_000),
      hsFirstResponseStatus: '0',
      hsNextResponseStatus: '1',
      hsCloseStatus: '3',
      contactId: '500001',
      contactName: null,
      contactEmail: null,
      companyId: null,
      companyName: null,
      isClosed: false,
      archived: false,
      syncedAt: d(T + 200_000),
    });
    expect(await repos.cursors.get('tickets')).toBe('{"x":1}');
    // Date range filters through Prisma find rows written by raw SQL.
    expect(await db.prisma.ticket.count({ where: { modifiedAt: { gte: d(T), lte: d(T + 10_000) } } })).toBe(1);
    expect(await db.prisma.ticket.count({ where: { modifiedAt: { gt: d(T + 10_000) } } })).toBe(0);
  });

  it('keeps the newer copy, keeps a known contact, and opens/closes stage periods', async () => {
    db = await openTestDb(provider);
    const repos = hubspotRepos(db);
    await repos.tickets.upsertPage([row({ stageEnteredAt: null })], T);
    // An older version (a late page) changes nothing.
    const stale = await repos.tickets.upsertPage([row({ modifiedAt: T, stageId: '3', subject: 'old' })], T);
    expect(stale.stale).toBe(1);
    // A newer version from search: no associations (contactId null), a new stage.
    const moved = await repos.tickets.upsertPage(
      [row({ modifiedAt: T + 500_000, stageId: '2', stageEnteredAt: T + 400_000, contactId: null })],
      T,
    );
    expect(moved.stageChanges).toBe(1);
    const t = await db.prisma.ticket.findUniqueOrThrow({ where: { id: '9001' } });
    expect([t.stageId, t.contactId]).toEqual(['2', '500001']);
    const periods = await db.prisma.ticketStagePeriod.findMany({ orderBy: { enteredAt: 'asc' } });
    expect(periods.map((p) => [p.stageId, p.enteredAt.getTime(), p.exitedAt?.getTime() ?? null])).toEqual([
      // No hs_v2_date_entered_current_stage on the first copy: the modification time stands in.
      ['1', T + 10_000, T + 400_000],
      ['2', T + 400_000, null],
    ]);
  });

  it('archives and names tickets', async () => {
    db = await openTestDb(provider);
    const repos = hubspotRepos(db);
    await repos.tickets.upsertPage([row(), row({ id: '9002' })], T);
    expect(await repos.tickets.archive(['9002', '404'], T)).toBe(1);
    expect(await repos.tickets.archive(['9002'], T)).toBe(0);
    expect(await repos.tickets.needingNames(10)).toEqual([{ id: '9001', contactId: '500001' }]);
    await repos.tickets.setNames([
      { ticketId: '9001', contactName: 'Ada Okafor', contactEmail: 'ada@example.com', companyName: 'Acme' },
    ]);
    expect(await repos.tickets.needingNames(10)).toEqual([]);
  });

  it('accepts webhook events once, queuing only what the new ones name, a deletion winning', async () => {
    db = await openTestDb(provider);
    const repos = hubspotRepos(db);
    const ticket = (objectId: string, deleted = false) => ({ objectType: 'ticket', objectId, deleted });
    const first = await repos.webhooks.accept(
      'hubspot',
      [
        { id: '1', fetch: ticket('9001') },
        { id: '2', fetch: ticket('9002') },
        { id: '4', fetch: undefined },
      ],
      T,
    );
    expect([...first].sort()).toEqual(['1', '2', '4']);
    // A re-delivery of 2 (its change is not queued again) with two new events about one ticket.
    const second = await repos.webhooks.accept(
      'hubspot',
      [
        { id: '2', fetch: ticket('9003') },
        { id: '3', fetch: ticket('9001', true) },
        { id: '5', fetch: ticket('9001') },
      ],
      T + 1000,
    );
    expect([...second].sort()).toEqual(['3', '5']);
    const queued = await repos.webhooks.peek('ticket', 10);
    expect(queued.map((q) => [q.objectId, q.deleted]).sort()).toEqual([
      ['9001', true],
      ['9002', false],
    ]);
    expect(await repos.webhooks.count('ticket')).toBe(2);
  });

  it('upserts feedback and reports which answers are new', async () => {
    db = await openTestDb(provider);
    const repos = hubspotRepos(db);
    const fb: FeedbackRow = {
      id: '70000001',
      surveyType: 'NPS',
      value: 3,
      responseGroup: 'DETRACTOR',
      content: 'Slow',
      submittedAt: T,
      surveyId: '100',
      surveyName: 'NPS survey',
      channel: 'EMAIL',
      sentiment: 'NEGATIVE',
      contactId: null,
      ticketId: null,
      modifiedAt: T,
      archived: false,
    };
    expect(await repos.feedback.upsertPage([fb], T)).toEqual({ inserted: ['70000001'] });
    await repos.feedback.setAssociations([{ id: '70000001', contactId: '500002', ticketId: '9001' }]);
    expect(await repos.feedback.upsertPage([{ ...fb, modifiedAt: T + 1 }], T)).toEqual({ inserted: [] });
    const stored = await db.prisma.feedbackSubmission.findUniqueOrThrow({ where: { id: '70000001' } });
    expect(stored).toMatchObject({ value: 3, contactId: '500002', ticketId: '9001', submittedAt: new Date(T) });
  });
});

describe.each(testProviders())('SyncCursorRepo.compareAndSet on %s', (provider) => {
  let db: OpenTestDb;
  afterEach(() => db?.dispose());

  it('moves a cursor only from the value it expects, and creates it only once', async () => {
    db = await openTestDb(provider);
    const { cursors } = hubspotRepos(db);
    expect(await cursors.compareAndSet('journal', undefined, 'a', T)).toBe(true);
    expect(await cursors.compareAndSet('journal', undefined, 'b', T)).toBe(false);
    expect(await cursors.compareAndSet('journal', 'x', 'b', T)).toBe(false);
    expect(await cursors.compareAndSet('journal', 'a', 'b', T)).toBe(true);
    expect(await cursors.get('journal')).toBe('b');
  });

  it('reports a database failure instead of taking it for a lost race', async () => {
    db = await openTestDb(provider);
    const { cursors } = hubspotRepos(db);
    // A failure other than "another reader created it first": the table is gone.
    await db.prisma.$executeRawUnsafe('DROP TABLE "SyncCursor"');
    await expect(cursors.compareAndSet('journal', undefined, 'a', T)).rejects.toThrow(/SyncCursor/);
  });
});
