// Whose items the morning list holds: the person's own tickets, what they claimed, and what they cover for an
// away owner (who gets no list while away, so those tickets would otherwise be on nobody's).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DailyListRepo } from '../../src/db/daily-list-repo.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const AT = new Date('2026-03-02T09:00:00.000Z');

describe.each(testProviders())('the morning list’s items on %s', (provider) => {
  let db: OpenTestDb;
  beforeEach(async () => {
    db = await openTestDb(provider);
    const prisma = db.prisma;
    for (const [id, ownerId] of [
      ['1', 'o-dan'],
      ['2', 'o-anna'],
      ['3', 'o-anna'],
      ['4', 'o-anna'],
    ] as const) {
      await prisma.ticket.create({
        data: { id, subject: `T${id}`, pipelineId: '0', ownerId, createdAt: AT, modifiedAt: AT, syncedAt: AT },
      });
      await prisma.flag.create({
        data: {
          key: `ticket:${id}:firstResponse:0`,
          kind: 'ticket',
          ticketId: id,
          clock: 'firstResponse',
          team: 'support',
          state: 'breached',
          raisedAt: AT,
          dueAt: new Date(AT.getTime() + Number(id) * 60_000),
          updatedAt: AT,
        },
      });
    }
    const nudge = (id: string, cover: object | null) =>
      prisma.nudge.create({
        data: {
          id: `n${id}`,
          flagKey: `ticket:${id}:firstResponse:0`,
          activeKey: `ticket:${id}:firstResponse:0`,
          team: 'support',
          channel: 'CSUPPORT',
          state: 'breached',
          cover: cover ? JSON.stringify(cover) : null,
          createdAt: AT,
          updatedAt: AT,
        },
      });
    // Dan covers Anna's ticket 2; ticket 3's cover for Dan ended (Anna is back); ticket 4 is covered by someone else.
    await nudge('2', { owner: 'o-anna', name: 'Anna', reason: 'out-of-office', backup: 'UDAN', past: [] });
    await nudge('3', { owner: 'o-anna', name: 'Anna', past: ['UDAN'] });
    await nudge('4', { owner: 'o-anna', name: 'Anna', reason: 'out-of-office', backup: 'UBOB', past: [] });
  });
  afterEach(() => db.dispose());

  it('holds their own tickets and those they cover now, not those they covered before or someone else covers', async () => {
    const { flags, total } = await new DailyListRepo(db).openItems(['o-dan'], 'UDAN', 15);
    expect(flags.map((f) => f.ticketId)).toEqual(['1', '2']);
    expect(total).toBe(2);
  });
});
