// Heed's schedules, from the policy file: when each job runs. What each job does is passed in by the
// composition root (src/main.ts), so this file only knows timing:
//   sync                 every `sync.intervalMinutes` (UTC-aligned)
//   evaluate             `schedules.evaluateCron` (UTC): the SLA engine, then nudges
//   digest:<team>        `digest.time` on `digest.days` in the team calendar's zone; missed ones caught up
//                        within `schedules.digestGraceHours`, marked late; skipped when a DigestRun exists
//   weekly-report:<team> `weeklyReport.day` at `weeklyReport.time` in the team calendar's zone, same catch-up
//   daily-lists          every 5 minutes (UTC-aligned): the personal morning lists that are due (daily-list.ts)
// The digest handlers are `digestJobHandlers` (src/slack/digest-jobs.ts): the DigestRun day is the local date
// of `ctx.scheduledAt`, which is the run key here, and its (team, day) claim keeps a second attempt from posting
// twice. A run may wait inside its occurrence — for the first HubSpot sync since start, up to the grace period,
// then for Slack to take it — holding this job's lease meanwhile; `ctx.signal` ends the wait.
import type { TPolicy, TTeam } from '../config.ts';
import type { Db } from '../db/client.ts';
import { JobsRepo } from '../db/jobs-repo.ts';
import { createTimeZone, isoDateFromDay } from '../domain/time-zone.ts';
import { cronSchedule, dailySchedule, everySchedule, type TOccurrence } from './schedule.ts';
import type { Job, JobContext } from './scheduler.ts';

/** A team job's context: `day` is the local date (team calendar zone) the run covers, "YYYY-MM-DD". */
export type TeamJobContext = JobContext & { readonly day: string };

export interface HeedJobHandlers {
  sync(ctx: JobContext): Promise<void>;
  /** Evaluate SLA clocks and feedback, then post or update nudges. */
  evaluate(ctx: JobContext): Promise<void>;
  /**
   * Post the team's daily digest for `ctx.day` (idempotent per team and day; `ctx.late` marks a catch-up),
   * composed from an evaluation of the present once a HubSpot sync since start has finished.
   */
  digest(team: TTeam, ctx: TeamJobContext): Promise<void>;
  /** Post the weekly report (to the escalation channel) for the week ending before `ctx.day`. */
  weeklyReport(team: TTeam, ctx: TeamJobContext): Promise<void>;
  /**
   * Queue the personal morning lists that are due (src/slack/daily-list.ts): each person's own working day and
   * zone decide, so the job runs every DAILY_LISTS_EVERY_MINUTES and the outbox key makes each list once per day.
   */
  dailyLists?(ctx: JobContext): Promise<void>;
}

/**
 * How often the morning-list job looks: a list arrives within this of the start of the person's day (exactly at
 * it for starts on a 5-minute mark, i.e. every HubSpot slot on the hour or half hour, in every zone in use).
 */
export const DAILY_LISTS_EVERY_MINUTES = 5;

const HOUR = 3_600_000;

export function heedJobs(policy: TPolicy, handlers: HeedJobHandlers, deps: { db: Pick<Db, 'prisma'> }): Job[] {
  const repo = new JobsRepo(deps.db);
  const graceMs = policy.schedules.digestGraceHours * HOUR;
  // A digest or weekly report the digest service already recorded for that day (e.g. posted with `/digest post`,
  // DigestRun.day "2026-11-23" or "weekly:2026-11-23") is not caught up again.
  const digestsDone = async (team: string, occurrences: readonly TOccurrence[], prefix: string) => {
    const done = await repo.digestDaysDone(
      team,
      occurrences.map((occurrence) => `${prefix}${occurrence.key}`),
    );
    return new Set([...done].map((day) => day.slice(prefix.length)));
  };
  const jobs: Job[] = [
    { name: 'sync', schedule: everySchedule(policy.sync.intervalMinutes), run: (ctx) => handlers.sync(ctx) },
    {
      name: 'evaluate',
      schedule: cronSchedule(policy.schedules.evaluateCron, 'UTC'),
      run: (ctx) => handlers.evaluate(ctx),
    },
  ];
  const dailyLists = handlers.dailyLists?.bind(handlers);
  if (dailyLists) {
    // No catch-up here: every run looks at the whole catch-up window itself (MORNING_CATCH_UP_MS).
    jobs.push({ name: 'daily-lists', schedule: everySchedule(DAILY_LISTS_EVERY_MINUTES), run: dailyLists });
  }
  for (const team of policy.teams) {
    const timezone = policy.calendars[team.calendar]?.timezone ?? 'UTC';
    const zone = createTimeZone(timezone);
    // Scheduled runs are keyed by their local date; a run started by hand (`runNow`) covers today's date.
    const withDay = (ctx: JobContext): TeamJobContext => ({
      ...ctx,
      day: /^\d{4}-\d{2}-\d{2}$/.test(ctx.runKey)
        ? ctx.runKey
        : isoDateFromDay(zone.localDay(ctx.scheduledAt.getTime())),
    });
    if (team.digest.enabled) {
      jobs.push({
        name: `digest:${team.name}`,
        schedule: dailySchedule(team.digest.time, team.digest.days, timezone),
        catchUpMs: graceMs,
        alreadyDone: (occurrences) => digestsDone(team.name, occurrences, ''),
        run: (ctx) => handlers.digest(team, withDay(ctx)),
      });
    }
    if (team.weeklyReport.enabled) {
      jobs.push({
        name: `weekly-report:${team.name}`,
        schedule: dailySchedule(team.weeklyReport.time, [team.weeklyReport.day], timezone),
        catchUpMs: graceMs,
        alreadyDone: (occurrences) => digestsDone(team.name, occurrences, 'weekly:'),
        run: (ctx) => handlers.weeklyReport(team, withDay(ctx)),
      });
    }
  }
  return jobs;
}
