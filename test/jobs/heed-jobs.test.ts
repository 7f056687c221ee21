import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config.ts';
import { type HeedJobHandlers, heedJobs, type TeamJobContext } from '../../src/jobs/heed-jobs.ts';
import { compileSchedule, describeSchedule } from '../../src/jobs/schedule.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { silentLogger } from '../../src/logger.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const policy = parsePolicy(
  {
    calendars: {
      berlin: { timezone: 'Europe/Berlin', hours: { mon: [['09:00', '17:00']] } },
      sydney: { timezone: 'Australia/Sydney', hours: { mon: [['09:00', '17:00']] } },
    },
    teams: [
      { name: 'support', channel: 'C0SUPPORT', escalationChannel: 'C0ESCAL', calendar: 'berlin' },
      {
        name: 'apac',
        channel: 'C0APAC',
        calendar: 'sydney',
        digest: { time: '08:30', days: ['mon', 'wed'] },
        weeklyReport: { enabled: false },
      },
      { name: 'quiet', channel: 'C0QUIET', calendar: 'berlin', digest: { enabled: false } },
    ],
    sla: [{ name: 'default', firstResponse: '4h' }],
    sync: { intervalMinutes: 7 },
    schedules: { evaluateCron: '*/2 * * * *', digestGraceHours: 2 },
  },
  'test policy',
);

describe.each(testProviders())('Heed job schedules on %s', (provider) => {
  let db: OpenTestDb;
  const calls: string[] = [];
  const handlers: HeedJobHandlers = {
    sync: async (ctx) => void calls.push(`sync ${ctx.runKey}`),
    evaluate: async (ctx) => void calls.push(`evaluate ${ctx.runKey}`),
    digest: async (team, ctx: TeamJobContext) => void calls.push(`digest ${team.name} ${ctx.day} late=${ctx.late}`),
    weeklyReport: async (team, ctx) => void calls.push(`weekly ${team.name} ${ctx.day}`),
  };

  beforeAll(async () => {
    db = await openTestDb(provider);
  });
  afterAll(async () => {
    await db.dispose();
  });
  beforeEach(async () => {
    await db.prisma.jobRun.deleteMany();
    await db.prisma.jobLease.deleteMany();
    await db.prisma.digestRun.deleteMany();
    calls.length = 0;
  });

  it('derives every schedule from the policy', () => {
    const jobs = heedJobs(policy, handlers, { db });
    expect(jobs.map((job) => [job.name, describeSchedule(job.schedule), job.catchUpMs ?? 0])).toEqual([
      ['sync', 'every 7 min', 0],
      ['evaluate', 'cron */2 * * * * (UTC)', 0],
      ['digest:support', '09:00 on mon,tue,wed,thu,fri (Europe/Berlin)', 7_200_000],
      ['weekly-report:support', '09:00 on mon (Europe/Berlin)', 7_200_000],
      ['digest:apac', '08:30 on mon,wed (Australia/Sydney)', 7_200_000],
      ['weekly-report:quiet', '09:00 on mon (Europe/Berlin)', 7_200_000],
    ]);
    const apac = jobs.find((job) => job.name === 'digest:apac')!;
    // Monday 08:30 in Sydney (AEDT, UTC+11) is Sunday 21:30 UTC.
    expect(compileSchedule(apac.schedule).next(new Date('2026-11-23T00:00:00Z'))).toEqual({
      at: new Date('2026-11-24T21:30:00Z'),
      key: '2026-11-25',
    });
  });

  it('runs the jobs due at an instant, digests keyed by the team’s local day', async () => {
    const scheduler = createScheduler({
      db,
      logger: silentLogger(),
      holder: 'test',
      clock: () => new Date('2026-11-23T08:00:00Z'),
    });
    for (const job of heedJobs(policy, handlers, { db })) scheduler.add(job);
    // 08:00Z Monday: 09:00 in Berlin (digest + weekly report) and an evaluate slot; no 7-minute sync slot
    // falls in the minute before (the first tick's look-back), and Sydney's 08:30 is hours away.
    await scheduler.tick();
    await scheduler.idle();
    expect(calls.sort()).toEqual([
      'digest support 2026-11-23 late=false',
      'evaluate 2026-11-23T08:00',
      'weekly quiet 2026-11-23',
      'weekly support 2026-11-23',
    ]);
  });

  it('does not catch up a digest or weekly report the digest service already handled, and gives runNow today’s local date', async () => {
    const digestRun = (id: string, team: string, day: string, status: string) =>
      db.prisma.digestRun.create({
        data: { id, team, day, status, scheduledFor: new Date('2026-11-23T08:00:00Z') },
      });
    await digestRun('by-hand', 'support', '2026-11-23', 'sent');
    await digestRun('weekly-done', 'support', 'weekly:2026-11-23', 'queued');
    // Left pending by a crash mid-post: still owed, the catch-up finishes it.
    await digestRun('weekly-crashed', 'quiet', 'weekly:2026-11-23', 'pending');
    let now = new Date('2026-11-23T09:00:00Z');
    const scheduler = createScheduler({ db, logger: silentLogger(), holder: 'test', clock: () => now });
    for (const job of heedJobs(policy, handlers, { db })) {
      if (job.name !== 'sync' && job.name !== 'evaluate') scheduler.add(job);
    }
    await scheduler.tick();
    await scheduler.idle();
    expect(calls).toEqual(['weekly quiet 2026-11-23']);
    calls.length = 0;
    // 23:30 UTC Monday is already Tuesday in Sydney.
    now = new Date('2026-11-23T23:30:00Z');
    await scheduler.runNow('digest:apac');
    expect(calls).toEqual(['digest apac 2026-11-24 late=false']);
  });
});
