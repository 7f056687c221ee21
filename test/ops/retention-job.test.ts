import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileSchedule } from '../../src/jobs/schedule.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { createLogger } from '../../src/logger.ts';
import { RETENTION_JOB, retentionJob } from '../../src/ops/retention-job.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const DAY = 86_400_000;
const config = { policy: { operations: { retentionDays: 30, readyMaxSyncAgeMinutes: 30 } } };

describe.each(testProviders())('the retention job on %s', (provider) => {
  let db: OpenTestDb;
  beforeEach(async () => {
    db = await openTestDb(provider);
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('runs daily at 03:17 UTC and prunes with the run’s clock, logging through the run’s logger', async () => {
    const job = retentionJob({ db, config });
    const next = compileSchedule(job.schedule).next(new Date('2026-11-23T12:00:00Z'));
    expect(next?.at.toISOString()).toBe('2026-11-24T03:17:00.000Z');

    const now = next!.at;
    for (const [id, ageDays] of [
      ['old', 31],
      ['new', 29],
    ] as const) {
      await db.prisma.auditEntry.create({
        data: {
          id,
          at: new Date(now.getTime() - ageDays * DAY),
          actor: 'U1',
          action: 'claim',
          target: 't',
          source: 'slack',
        },
      });
    }
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
          done();
        },
      }),
    });
    const scheduler = createScheduler({ db, logger, holder: 'test', clock: () => now });
    scheduler.add(job);
    await scheduler.tick(now);
    await scheduler.idle();
    expect((await db.prisma.auditEntry.findMany()).map((row) => row.id)).toEqual(['new']);
    const summary = lines.find((line) => line['msg'] === 'retention: old records deleted');
    expect(summary).toMatchObject({ job: RETENTION_JOB, auditEntries: 1, total: 1, retentionDays: 30 });
  });
});
