// Durations as people write them ("90m", "4h", "1h30m", "3d", "1d4h"), and business time for people to read.
//
// What a business day `d` means: N working days later at the same position in the working day
// (Zammad/Zendesk style), not N × some average day length. A ticket that arrives at 10:00 with a "1d"
// target is due at 10:00 the next working day, whether that day is a short Friday, a split shift or a
// day after a holiday; measured against a fixed minute count it would drift to odd hours on short days,
// which nobody on a support team expects. The day part is resolved to a number of business minutes when a
// clock starts (see addBusinessTime), so pauses then extend the clock minute for minute.
import type { BusinessCalendar } from './calendar.ts';

/**
 * A duration as written: whole days, then minutes (hours folded in). What a day is belongs to the caller: a
 * working day in an SLA target (see above), 24 hours in a snooze or a mute.
 */
export interface TDuration {
  readonly days: number;
  readonly minutes: number;
}

/** A policy target: working days (same position in the working day, N working days later), then business minutes. */
export type TBusinessDuration = TDuration;

/**
 * The one grammar of durations, for policy files and slash commands alike: days, hours and minutes in that
 * order, each part optional but at least one present, whole numbers, any letter case, spaces allowed between and
 * around the parts ("90m", "4h", "1h30m", "3d", "1d 4h", "2H", "4 h"). Whether zero is allowed is the caller's
 * to say (no SLA target, snooze or mute is).
 */
const PATTERN = /^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$/i;

/** Days and minutes, or undefined when `text` is not a duration. */
export function parseDuration(text: string): TDuration | undefined {
  const match = PATTERN.exec(text);
  if (!match || (match[1] ?? match[2] ?? match[3]) === undefined) return undefined;
  const days = Number(match[1] ?? 0);
  const minutes = Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  return Number.isSafeInteger(days) && Number.isSafeInteger(minutes) ? { days, minutes } : undefined;
}

export function isZeroDuration(duration: TDuration): boolean {
  return duration.days === 0 && duration.minutes === 0;
}

/** Exact hours and minutes up to here; beyond, nobody reads "1937h 7m" as "most of a year". */
const EXACT_LIMIT_MINUTES = 100 * 60;
/** The working day assumed when the caller knows no calendar: the common 09:00–17:00. */
export const DEFAULT_WORKDAY_MINUTES = 8 * 60;

/**
 * Business minutes for people. Below 100 hours exactly, as SLA targets are written: 95 → "1h 35m", 0 → "0m".
 * From 100 hours on, in working days of the team's calendar, rounded down so it never overstates:
 * 116,227 minutes with 8-hour days → "242 working days". (A business "day" is the calendar's working day, as
 * in policy durations like "3d"; `workdayMinutes` is its typical length, see typicalWorkdayMinutes.)
 */
export function formatBusinessMinutes(minutes: number, workdayMinutes = DEFAULT_WORKDAY_MINUTES): string {
  const whole = Math.max(0, Math.round(minutes));
  if (whole >= EXACT_LIMIT_MINUTES && workdayMinutes > 0) {
    const days = Math.floor(whole / workdayMinutes);
    return `${days.toLocaleString('en-US')} working day${days === 1 ? '' : 's'}`;
  }
  const hours = Math.floor(whole / 60);
  const rest = whole % 60;
  if (hours === 0) return `${rest}m`;
  return rest === 0 ? `${hours}h` : `${hours}h ${rest}m`;
}

/** "1h 35m business", or "242 working days" (which says business time already). */
export function formatBusinessWait(minutes: number, workdayMinutes = DEFAULT_WORKDAY_MINUTES): string {
  const text = formatBusinessMinutes(minutes, workdayMinutes);
  return text.endsWith('working day') || text.endsWith('working days') ? text : `${text} business`;
}

/**
 * How long a clock has been overdue, in words: "overdue by 1h 35m". Undefined under a minute of business time:
 * callers then say since when ("overdue since 17:00"), because "overdue by 0m" reads as "not overdue" — and a
 * clock that fell due at 17:00 is still at 0 business minutes at 20:00, hours later.
 */
export function formatOverdueBy(minutes: number, workdayMinutes = DEFAULT_WORKDAY_MINUTES): string | undefined {
  return Math.round(minutes) < 1 ? undefined : `overdue by ${formatBusinessMinutes(minutes, workdayMinutes)}`;
}

/**
 * The typical length of a working day of a calendar around `at`, in minutes: working time over the 28 local
 * days before it, divided by the days that had any (holidays and weekends do not shorten it).
 */
export function typicalWorkdayMinutes(calendar: BusinessCalendar, at: Date): number {
  const today = calendar.zone.localDay(at.getTime());
  let minutes = 0;
  let days = 0;
  for (let day = today - 28; day < today; day++) {
    const worked = calendar.dayIntervals(day).reduce((n, i) => n + (i.end - i.start), 0) / 60_000;
    if (worked > 0) {
      minutes += worked;
      days++;
    }
  }
  return days === 0 ? DEFAULT_WORKDAY_MINUTES : Math.round(minutes / days);
}
