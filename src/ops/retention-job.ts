// The daily retention run as a scheduled job; the composition root adds it to the scheduler beside heedJobs().

import { WEEKDAYS } from '../domain/week.ts';
import { dailySchedule } from '../jobs/schedule.ts';
import type { Job } from '../jobs/scheduler.ts';
import { pruneOldRecords, type RetentionDeps, type RetentionOptions } from '../services/retention.ts';

export const RETENTION_JOB = 'retention';

/**
 * Once a day at a quiet hour (03:17 UTC: off the hour, when digests and cron jobs elsewhere crowd). A run missed
 * while Heed was down is not caught up: the next day's run deletes the same rows.
 */
export function retentionJob(deps: Omit<RetentionDeps, 'logger'>, options: RetentionOptions = {}): Job {
  return {
    name: RETENTION_JOB,
    schedule: dailySchedule('03:17', WEEKDAYS, 'UTC'),
    run: async (ctx) => {
      await pruneOldRecords({ ...deps, logger: ctx.logger }, ctx.now, options);
    },
  };
}
