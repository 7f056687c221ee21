// Incremental evaluation must never miss what a full one would do: after every incremental run, a full run at
// the same instant finds nothing left to write. Checked over a working day and a half, minute by minute at
// first and then in larger steps, on tickets in every kind of state (at risk, breaching, escalating, snoozed,
// claimed, waiting on the customer, answered, closed mid-way).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy, type TPolicy } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const policy: TPolicy = parsePolicy(
  {
    calendars: {
      default: {
        timezone: 'Europe/Berlin',
        hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
      },
    },
    teams: [{ name: 'support', channel: 'C0SUPPORT' }],
    sla: [
      {
        name: 'urgent',
        when: { priority: ['URGENT'] },
        firstResponse: '30m',
        nextResponse: '1h',
        resolution: '4h',
        escalateAfter: 0.5,
      },
      { name: 'standard', firstResponse: '2h', nextResponse: '4h', resolution: '1d' },
    ],
    waitingOnCustomerStages: ['3'],
  },
  'test policy',
);

const MINUTE = 60_000;
const START = Date.parse('2026-11-23T08:00:00Z'); // Monday 09:00 Berlin

describe.each(testProviders())('incremental evaluation on %s', (provider) => {
  let db: OpenTestDb;
  beforeEach(async () => {
    db = await openTestDb(provider);
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('never leaves anything for a full run to catch', async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const at = (minutes: number) => new Date(START + minutes * MINUTE);
    for (let i = 0; i < 40; i++) {
      // Everything seeded has happened by the first run (the sync only records the past).
      const past = (ms: number) => new Date(Math.min(ms, START));
      const created = at(-Math.floor(random() * 300));
      const replied = random() < 0.4 ? past(created.getTime() + Math.floor(random() * 90) * MINUTE) : null;
      const customer =
        replied && random() < 0.5 && replied.getTime() < START
          ? past(replied.getTime() + Math.floor(random() * 60 + 1) * MINUTE)
          : null;
      await db.prisma.ticket.create({
        data: {
          id: `t${i}`,
          priority: random() < 0.4 ? 'URGENT' : 'LOW',
          stageId: '1',
          ownerId: 'o1',
          createdAt: created,
          modifiedAt: created,
          syncedAt: created,
          stageEnteredAt: created,
          firstAgentReplyAt: replied,
          lastAgentMessageAt: replied,
          lastCustomerMessageAt: customer,
        },
      });
    }
    const deps = { db, config: { policy }, logger: silentLogger() };
    const changesByStep: number[] = [];
    let minute = 0;
    for (let step = 0; step < 60; step++) {
      minute += step < 30 ? 1 : 17;
      const now = at(minute);
      // Things happen between runs, the way the sync and Slack would record them.
      if (step % 7 === 3) {
        const id = `t${Math.floor(random() * 40)}`;
        await db.prisma.ticket.update({
          where: { id },
          data: { firstAgentReplyAt: now, lastAgentMessageAt: now, modifiedAt: now, syncedAt: now },
        });
      }
      if (step % 11 === 5) {
        const id = `t${Math.floor(random() * 40)}`;
        await db.prisma.ticket.update({
          where: { id },
          data: { stageId: '3', stageEnteredAt: now, modifiedAt: now, syncedAt: now },
        });
      }
      if (step % 13 === 6) {
        const id = `t${Math.floor(random() * 40)}`;
        await db.prisma.ticket.update({
          where: { id },
          data: { isClosed: true, closedAt: now, stageId: '4', stageEnteredAt: now, modifiedAt: now, syncedAt: now },
        });
      }
      if (step % 9 === 4) {
        const flag = await db.prisma.flag.findFirst({
          where: { state: { in: ['at_risk', 'breached'] } },
          orderBy: { key: 'asc' },
        });
        if (flag) {
          await db.prisma.flag.update({
            where: { key: flag.key },
            // As the Slack side records it (updatedAt bumped).
            data:
              step % 2 === 0
                ? { snoozedUntil: new Date(now.getTime() + 45 * MINUTE), snoozedBy: 'U1', updatedAt: now }
                : { claimedAt: now, claimedBy: 'U2', updatedAt: now },
          });
        }
      }
      const incremental = await evaluate(deps, now, { fullEveryMinutes: 100_000 });
      if (step > 0) expect(incremental.stats.mode).toBe('incremental');
      changesByStep.push(incremental.stats.flagRowsWritten + incremental.stats.clockRowsWritten);
      const full = await evaluate(deps, now, { mode: 'full' });
      expect(
        {
          step,
          clockRows: full.stats.clockRowsWritten + full.stats.clockRowsDeleted,
          flagRows: full.stats.flagRowsWritten,
        },
        `a full run at step ${step} found work the incremental run missed`,
      ).toEqual({ step, clockRows: 0, flagRows: 0 });
    }
    // The scenario did exercise the engine: flags were raised and escalated along the way.
    expect(changesByStep.filter((n) => n > 0).length).toBeGreaterThan(10);
    expect(await db.prisma.flag.count({ where: { escalationLevel: 3 } })).toBeGreaterThan(0);
  });
});
