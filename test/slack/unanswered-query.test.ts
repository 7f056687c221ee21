// /unanswered's query has a raw SQLite fast path; it must return exactly what the Prisma path returns
// (which is what PostgreSQL runs), in the same order, for every scope and page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlagsReadRepo } from '../../src/db/flags-read-repo.ts';
import { type OpenTestDb, openTestDb } from '../support/db.ts';
import { seedOwner, seedTicketFlag } from './support/seed.ts';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const MIN = 60_000;

describe('listWaiting on SQLite: raw fast path = Prisma path', () => {
  let db: OpenTestDb;

  beforeAll(async () => {
    db = await openTestDb('sqlite');
    await seedOwner(db.prisma, 'o1', 'a@example.com', 'A');
    await seedOwner(db.prisma, 'o2', 'b@example.com', 'B');
    const states = ['running', 'at_risk', 'breached'] as const;
    for (let i = 0; i < 60; i++) {
      await seedTicketFlag(
        db.prisma,
        {
          id: String(100 + i),
          ownerId: i % 3 === 0 ? 'o1' : 'o2',
          team: i % 2 ? 'support' : 'billing',
          clock: i % 4 === 0 ? 'nextResponse' : 'firstResponse',
          clockState: states[i % 3],
          startedAt: new Date(NOW.getTime() - 300 * MIN),
          // Ties on purpose: several clocks share a due time.
          dueAt: new Date(NOW.getTime() + ((i * 37) % 11) * 10 * MIN),
        },
        NOW,
      );
    }
    await db.prisma.clockState.updateMany({ where: { ticketId: { in: ['101', '102'] } }, data: { dueAt: null } });
    await db.prisma.ticket.update({ where: { id: '103' }, data: { isClosed: true } });
    for (let i = 0; i < 5; i++) {
      await db.prisma.flag.create({
        data: {
          key: `feedback:f${i}`,
          kind: 'feedback',
          feedbackId: `f${i}`,
          ticketId: String(110 + i),
          team: 'support',
          state: 'overdue',
          raisedAt: NOW,
          dueAt: new Date(NOW.getTime() + i * 20 * MIN),
          updatedAt: NOW,
        },
      });
    }
  });

  afterAll(async () => {
    await db.dispose();
  });

  const ids = (page: Awaited<ReturnType<FlagsReadRepo['listWaiting']>>['page']) =>
    page.map((e) =>
      'clock' in e ? `${e.clock.ticketId}:${e.clock.clock}:${e.clock.dueAt?.toISOString()}` : e.flag.key,
    );

  it.each([
    [{}, 0, 20],
    [{}, 20, 20],
    [{}, 40, 30],
    [{ team: 'support' }, 0, 20],
    [{ team: 'billing' }, 5, 10],
    [{ ownerIds: ['o1'] }, 0, 20],
    [{ ownerIds: ['o1', 'o2'], team: 'support' }, 0, 50],
    [{ ownerIds: ['nobody'] }, 0, 20],
  ])('filter %j offset %d limit %d', async (filter, offset, limit) => {
    const fast = await new FlagsReadRepo(db).listWaiting(filter, offset, limit);
    const prisma = await new FlagsReadRepo({ prisma: db.prisma }).listWaiting(filter, offset, limit);
    expect(ids(fast.page)).toEqual(ids(prisma.page));
    expect(fast.total).toBe(prisma.total);
    expect(fast.page).toEqual(prisma.page);
    const dues = fast.page.map(
      (e) => ('clock' in e ? e.clock.dueAt : e.flag.dueAt)?.getTime() ?? Number.POSITIVE_INFINITY,
    );
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
  });

  it('contextFor and flagsByKeys read the same rows raw as through Prisma', async () => {
    await db.prisma.portal.create({
      data: { id: '4242', uiDomain: 'app.hubspot.com', timeZone: 'UTC', updatedAt: NOW },
    });
    await db.prisma.feedbackSubmission.create({
      data: {
        id: 'f1',
        surveyType: 'NPS',
        value: 2.5,
        content: 'meh',
        submittedAt: NOW,
        ticketId: '104',
        modifiedAt: NOW,
        syncedAt: NOW,
      },
    });
    await db.prisma.ticket.update({ where: { id: '105' }, data: { lastMessageFromVisitor: true, closedAt: NOW } });
    const flags = [
      { ticketId: '104', feedbackId: null, clock: 'firstResponse' },
      { ticketId: '105', feedbackId: null, clock: 'firstResponse' },
      { ticketId: null, feedbackId: 'f1', clock: null },
    ];
    const fast = await new FlagsReadRepo(db).contextFor(flags);
    const prisma = await new FlagsReadRepo({ prisma: db.prisma }).contextFor(flags);
    expect(fast).toEqual(prisma);
    expect(fast.tickets.get('105')?.lastMessageFromVisitor).toBe(true);
    expect(fast.feedback.get('f1')?.value).toBe(2.5);
    const keys = ['feedback:f1', 'ticket:101:firstResponse:0', 'ticket:102:nextResponse:0', 'missing'];
    expect(await new FlagsReadRepo(db).flagsByKeys(keys)).toEqual(
      await new FlagsReadRepo({ prisma: db.prisma }).flagsByKeys(keys),
    );
  });

  it('counts every waiting clock and overdue feedback', async () => {
    const all = await new FlagsReadRepo(db).listWaiting({}, 0, 200);
    expect(all.total).toBe(65);
    expect(all.page).toHaveLength(65);
  });
});
