// When a job is due: pure functions of (schedule, instants), no clock inside. The scheduler asks "which
// occurrences fall in (from, to]" on every tick; each occurrence carries a run key that names it across
// replicas, so the database can let exactly one replica run it.
//
// Three kinds of schedule:
// - `cron`: a 5-field (or 6-field, with seconds) node-cron expression in an IANA zone, matched by node-cron
//   itself. Keys are the local wall time ("2026-11-23T10:05"), so on a fall-back night the repeated hour runs
//   once, as node-cron documents; a wall time skipped by a spring-forward change does not run at all (cron's
//   usual rule; node-cron 4.6 skips a 02:30 expression on that day too).
// - `every`: every N minutes, aligned to multiples of N since the Unix epoch in UTC (for N dividing 60 that is
//   exactly `*/N * * * *`), for intervals such as "sync every 7 minutes" that cron cannot express.
// - `daily`: a wall time on some weekdays in a zone, for digests and weekly reports. Exactly once per local
//   day, DST included: a time inside a skipped hour fires at the first valid instant after it (the moment of
//   the change), a time inside a repeated hour fires at its first occurrence only. Keys are the local date.
import cron from 'node-cron';
import { createTimeZone, isoDateFromDay, type TimeZone, weekdayOfDay } from '../domain/time-zone.ts';
import { clockTimeMinutes, type TWeekday, WEEKDAYS } from '../domain/week.ts';
import { AppError } from '../errors.ts';

export type TSchedule =
  | { readonly kind: 'cron'; readonly expression: string; readonly timezone: string }
  | { readonly kind: 'every'; readonly minutes: number }
  | {
      readonly kind: 'daily';
      /** "HH:MM", 00:00–24:00 (24:00 is the end of the day, i.e. the next midnight). */
      readonly time: string;
      readonly days: readonly TWeekday[];
      readonly timezone: string;
    };

/** One due instant of a schedule and the key that names it (unique per job). */
export interface TOccurrence {
  readonly at: Date;
  readonly key: string;
}

export interface CompiledSchedule {
  readonly schedule: TSchedule;
  /** Occurrences with from < at <= to, oldest first, one per key. */
  between(from: Date, to: Date): TOccurrence[];
  /** The first occurrence after `after`, or undefined when none lies within the next 8 days (cron only). */
  next(after: Date): TOccurrence | undefined;
}

const SECOND = 1000;
const MINUTE = 60_000;
const DAY = 86_400_000;
/** A cron window is walked step by step; a longer window is cut to its most recent part. */
const MAX_CRON_STEPS = 3 * 1440;

export function cronSchedule(expression: string, timezone = 'UTC'): TSchedule {
  return { kind: 'cron', expression, timezone };
}

export function everySchedule(minutes: number): TSchedule {
  return { kind: 'every', minutes };
}

export function dailySchedule(time: string, days: readonly TWeekday[], timezone: string): TSchedule {
  return { kind: 'daily', time, days, timezone };
}

export function compileSchedule(schedule: TSchedule): CompiledSchedule {
  switch (schedule.kind) {
    case 'cron':
      return compileCron(schedule);
    case 'every':
      return compileEvery(schedule);
    case 'daily':
      return compileDaily(schedule);
  }
}

/** Short text for logs: "cron 0 9 * * 1 (Europe/Berlin)", "every 5 min", "daily 09:00 mon,tue (UTC)". */
export function describeSchedule(schedule: TSchedule): string {
  switch (schedule.kind) {
    case 'cron':
      return `cron ${schedule.expression} (${schedule.timezone})`;
    case 'every':
      return `every ${schedule.minutes} min`;
    case 'daily':
      return `${schedule.time} on ${schedule.days.join(',')} (${schedule.timezone})`;
  }
}

function invalid(message: string, fix: string): AppError {
  return new AppError('CONFIG_INVALID', message, { fix });
}

function zoneOf(name: string): TimeZone {
  return createTimeZone(name);
}

/** Local wall time of an instant in a zone, "YYYY-MM-DDTHH:MM" (with ":SS" when asked). */
function wallTime(zone: TimeZone, ms: number, seconds: boolean): string {
  return new Date(ms + zone.offsetAt(ms)).toISOString().slice(0, seconds ? 19 : 16);
}

function compileCron(schedule: Extract<TSchedule, { kind: 'cron' }>): CompiledSchedule {
  const check = cron.validateDetailed(schedule.expression);
  if (!check.valid) {
    const detail = check.errors.map((error) => `${error.field}: ${error.message}`).join('; ');
    throw invalid(
      `"${schedule.expression}" is not a valid cron expression (${detail}).`,
      'use five fields "minute hour day-of-month month day-of-week", e.g. "*/5 * * * *"',
    );
  }
  const zone = zoneOf(schedule.timezone);
  const withSeconds = schedule.expression.trim().split(/\s+/).length === 6;
  const step = withSeconds ? SECOND : MINUTE;
  // node-cron's matcher lives on a task object. The task is destroyed at once (it never starts a timer and
  // leaves node-cron's registry), but its `match` keeps working: it is a pure function of the date.
  const matcher = cron.createTask(schedule.expression, () => undefined, { timezone: schedule.timezone });
  matcher.destroy();
  // Walks instants step by step; the second pass through a repeated (fall-back) hour has the same wall time as
  // the first, so it is the same occurrence and is dropped.
  function* scan(fromMs: number, toMs: number): Generator<TOccurrence> {
    const seen = new Set<string>();
    for (let ms = Math.floor(fromMs / step) * step + step; ms <= toMs; ms += step) {
      if (!matcher.match(new Date(ms))) continue;
      const key = wallTime(zone, ms, withSeconds);
      if (seen.has(key)) continue;
      seen.add(key);
      yield { at: new Date(ms), key };
    }
  }
  // Repeated hours last at most an hour (Lord Howe's half hour included): looking back this far is enough.
  const lookBack = 2 * 60 * MINUTE;
  return {
    schedule,
    between(from, to) {
      const start = Math.max(from.getTime(), to.getTime() - MAX_CRON_STEPS * step);
      return [...scan(start - lookBack, to.getTime())].filter((occurrence) => occurrence.at.getTime() > start);
    },
    next(after) {
      for (const occurrence of scan(after.getTime() - lookBack, after.getTime() + 8 * DAY)) {
        if (occurrence.at > after) return occurrence;
      }
      return undefined;
    },
  };
}

function compileEvery(schedule: Extract<TSchedule, { kind: 'every' }>): CompiledSchedule {
  if (!Number.isInteger(schedule.minutes) || schedule.minutes < 1 || schedule.minutes > 1440) {
    throw invalid(`An interval of ${schedule.minutes} minutes is not supported.`, 'use whole minutes from 1 to 1440');
  }
  const step = schedule.minutes * MINUTE;
  const occurrence = (ms: number): TOccurrence => ({ at: new Date(ms), key: `${wallTime(zoneOf('UTC'), ms, false)}Z` });
  return {
    schedule,
    between(from, to) {
      const out: TOccurrence[] = [];
      for (let ms = Math.floor(from.getTime() / step) * step + step; ms <= to.getTime(); ms += step) {
        out.push(occurrence(ms));
      }
      return out;
    },
    next: (after) => occurrence(Math.floor(after.getTime() / step) * step + step),
  };
}

function compileDaily(schedule: Extract<TSchedule, { kind: 'daily' }>): CompiledSchedule {
  const minuteOfDay = clockTimeMinutes(schedule.time);
  const zone = zoneOf(schedule.timezone);
  const unknown = schedule.days.filter((day) => !WEEKDAYS.includes(day));
  if (unknown.length > 0 || schedule.days.length === 0) {
    throw invalid(
      `Schedule days [${schedule.days.join(', ')}] are not a list of weekdays.`,
      `use one or more of ${WEEKDAYS.join(', ')}`,
    );
  }
  const weekdays = new Set(schedule.days.map((day) => WEEKDAYS.indexOf(day)));
  // toInstant maps a skipped wall time to the moment of the change and a repeated one to its first
  // occurrence, so each local day yields exactly one instant.
  const onDay = (day: number): TOccurrence | undefined =>
    weekdays.has(weekdayOfDay(day))
      ? { at: new Date(zone.toInstant(day, minuteOfDay)), key: isoDateFromDay(day) }
      : undefined;
  return {
    schedule,
    between(from, to) {
      const out: TOccurrence[] = [];
      // One day of margin either side: a local day's instant can lie up to a day from its UTC date.
      for (let day = zone.localDay(from.getTime()) - 1; day <= zone.localDay(to.getTime()) + 1; day++) {
        const occurrence = onDay(day);
        if (occurrence && occurrence.at > from && occurrence.at <= to) out.push(occurrence);
      }
      return out;
    },
    next(after) {
      for (let day = zone.localDay(after.getTime()) - 1; ; day++) {
        const occurrence = onDay(day);
        if (occurrence && occurrence.at > after) return occurrence;
      }
    },
  };
}

/**
 * Occurrences due in the `graceMs` before `now` (inclusive of `now`) that `isDone` does not report as handled,
 * oldest first: what a replica coming back after every replica was down still owes (e.g. today's digest).
 */
export function missedOccurrences(
  schedule: CompiledSchedule,
  now: Date,
  graceMs: number,
  isDone: (occurrence: TOccurrence) => boolean,
): TOccurrence[] {
  return schedule.between(new Date(now.getTime() - graceMs - 1), now).filter((occurrence) => !isDone(occurrence));
}
