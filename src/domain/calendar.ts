// Business calendars: when a team works, in its own time zone, and how much working time lies between
// two instants. Business minutes, not wall-clock: a Friday 16:30 ticket with a 1 h target is due Monday 09:30.
//
// Working time is a sequence of UTC intervals built per local day from the weekday's slots, so long spans
// cost one step per working slot, never one per minute. Rules:
// - A slot whose end is not after its start runs past midnight into the next day ("22:00"–"06:00");
//   "24:00" is the end of the day. A slot belongs to the day it starts on: a holiday removes the slots that
//   start on it (a night shift starting on the eve of a holiday still runs into the holiday morning).
// - Slot boundaries are wall times, converted with the zone's rules of that day: a boundary inside a
//   skipped hour moves to the moment of the change; a boundary inside a repeated hour takes its first
//   occurrence; a slot spanning a change is measured in real elapsed time (a 22:00–06:00 shift is 7 h on
//   the spring-forward night, 9 h on the fall-back night).
// - Durations are measured in milliseconds internally and reported as (possibly fractional) minutes, so
//   adding then measuring returns exactly what was added.
import { AppError } from '../errors.ts';
import type { TBusinessDuration } from './duration.ts';
import { createTimeZone, dayFromIsoDate, type TimeZone, weekdayOfDay } from './time-zone.ts';
import { clockTimeMinutes, type TWeekday, WEEKDAYS } from './week.ts';

export interface TCalendarSpec {
  readonly timezone: string;
  readonly hours: Partial<Record<TWeekday, ReadonlyArray<readonly [string, string]>>>;
  readonly holidays?: readonly string[];
}

/** Half-open interval [start, end) of epoch milliseconds. */
export interface TInterval {
  readonly start: number;
  readonly end: number;
}

export interface BusinessCalendar {
  readonly zone: TimeZone;
  /** Working intervals of the slots that start on a local day (none on holidays), sorted. */
  dayIntervals(day: number): readonly TInterval[];
}

const MINUTE = 60_000;
const NO_INTERVALS: readonly TInterval[] = [];
/** More consecutive days without working time than this means the calendar cannot satisfy a target. */
const MAX_IDLE_DAYS = 400;

export function createBusinessCalendar(spec: TCalendarSpec): BusinessCalendar {
  const zone = createTimeZone(spec.timezone);
  const holidays = new Set((spec.holidays ?? []).map(dayFromIsoDate));
  // Slots per weekday (0 = Monday) as [from, to] minutes after local midnight; `to` may exceed 1440.
  const week = WEEKDAYS.map((key) =>
    (spec.hours[key] ?? [])
      .map(([from, to]) => {
        const start = clockTimeMinutes(from);
        const end = clockTimeMinutes(to);
        return [start, end <= start ? end + 1440 : end] as const;
      })
      .sort((a, b) => a[0] - b[0]),
  );
  if (week.every((slots) => slots.length === 0)) {
    throw new AppError('CONFIG_INVALID', 'A business calendar has no working slots.', {
      fix: 'give at least one weekday working hours, e.g. "mon": [["09:00", "17:00"]]',
    });
  }
  // Overlapping slots would count the same minutes twice (policy files are checked for this at load, too).
  const weekly = week.flatMap((slots, day) => slots.map(([from, to]) => [day * 1440 + from, day * 1440 + to] as const));
  for (const [i, a] of weekly.entries()) {
    for (const b of weekly.slice(i + 1)) {
      if ([-10_080, 0, 10_080].some((shift) => a[0] < b[1] + shift && b[0] + shift < a[1])) {
        throw new AppError('CONFIG_INVALID', 'A business calendar has overlapping working slots.', {
          fix: 'make each weekday’s slots (including slots running past midnight) not overlap',
        });
      }
    }
  }
  const cache = new Map<number, readonly TInterval[]>();
  const build = (day: number): readonly TInterval[] => {
    if (holidays.has(day)) return [];
    const out: TInterval[] = [];
    for (const [from, to] of week[weekdayOfDay(day)]!) {
      const start = zone.toInstant(day, from);
      const end = zone.toInstant(day, to);
      // A slot entirely inside a skipped hour has no working time.
      if (end > start) out.push({ start, end });
    }
    return out;
  };
  return {
    zone,
    dayIntervals(day) {
      let intervals = cache.get(day);
      if (!intervals) {
        intervals = build(day);
        cache.set(day, intervals);
      }
      return intervals;
    },
  };
}

/** Sorts and merges intervals (pauses, closed periods) so they can be subtracted from working time. */
export function normalizeIntervals(intervals: readonly TInterval[]): readonly TInterval[] {
  if (intervals.length === 0) return NO_INTERVALS;
  if (intervals.length === 1) return intervals[0]!.end > intervals[0]!.start ? intervals : NO_INTERVALS;
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: TInterval[] = [];
  for (const interval of sorted) {
    const last = out[out.length - 1];
    if (last && interval.start <= last.end)
      out[out.length - 1] = { start: last.start, end: Math.max(last.end, interval.end) };
    else out.push(interval);
  }
  return out;
}

/**
 * Calls `visit(start, end)` for each piece of working time from `from` onwards, in order, clipped to start at
 * `from`, minus `excluded` (sorted, merged intervals, e.g. waiting-on-customer pauses), until `visit` returns
 * true. Slots never overlap and run in order across days; touching slots (a night shift ending where the
 * morning shift starts) come as separate pieces, which sums and deadlines do not notice. Allocates nothing:
 * it runs several times per clock on every evaluation.
 */
function walkWorkingTime(
  calendar: BusinessCalendar,
  from: number,
  excluded: readonly TInterval[],
  visit: (start: number, end: number) => boolean,
): void {
  let ex = 0;
  for (let day = calendar.zone.localDay(from) - 1, idle = 0; ; day++) {
    const list = calendar.dayIntervals(day);
    if (list.length === 0) {
      if (++idle > MAX_IDLE_DAYS) throw noWorkingTime(calendar);
      continue;
    }
    idle = 0;
    for (const slot of list) {
      let start = Math.max(slot.start, from);
      const end = slot.end;
      if (end <= start) continue;
      while (ex < excluded.length && excluded[ex]!.end <= start) ex++;
      for (let k = ex; start < end; k++) {
        const cut = excluded[k];
        if (!cut || cut.start >= end) {
          if (visit(start, end)) return;
          break;
        }
        if (cut.start > start && visit(start, cut.start)) return;
        start = Math.max(start, cut.end);
      }
    }
  }
}

/** Business milliseconds in [a, b) (negative when b is before a), minus `excluded`. */
export function businessMsBetween(
  calendar: BusinessCalendar,
  a: number,
  b: number,
  excluded: readonly TInterval[] = NO_INTERVALS,
): number {
  if (b < a) return -businessMsBetween(calendar, b, a, excluded);
  let total = 0;
  walkWorkingTime(calendar, a, excluded, (start, end) => {
    if (start >= b) return true;
    total += Math.min(end, b) - start;
    return false;
  });
  return total;
}

function noWorkingTime(calendar: BusinessCalendar): AppError {
  return new AppError(
    'CONFIG_INVALID',
    `The business calendar (${calendar.zone.name}) has no working time for over a year.`,
    {
      fix: 'check the calendar’s hours and holidays in the policy file',
    },
  );
}

/**
 * The earliest instant at which `ms` business milliseconds have passed since `start` (minus `excluded`).
 * Ending exactly at a slot's end gives that end (Friday 16:00 + 1 h = Friday 17:00, not Monday 09:00).
 */
export function addBusinessMs(
  calendar: BusinessCalendar,
  start: number,
  ms: number,
  excluded: readonly TInterval[] = NO_INTERVALS,
): number {
  if (ms <= 0) return start;
  let remaining = ms;
  let due = start;
  walkWorkingTime(calendar, start, excluded, (from, end) => {
    const length = end - from;
    if (remaining <= length) {
      due = from + remaining;
      return true;
    }
    remaining -= length;
    return false;
  });
  return due;
}

/** The instant `days` working days after `start`, at the same position in the working day. */
function addWorkingDays(calendar: BusinessCalendar, start: number, days: number): number {
  const first = nextWorkingMs(calendar, start);
  // Which local day's slot holds `first` (a night shift may belong to the previous day).
  const today = calendar.zone.localDay(first);
  let owner = today;
  for (let day = today - 1; day <= today; day++) {
    if (calendar.dayIntervals(day).some((i) => i.start <= first && first < i.end)) {
      owner = day;
      break;
    }
  }
  let position = 0;
  for (const interval of calendar.dayIntervals(owner)) {
    if (interval.start >= first) break;
    position += Math.min(interval.end, first) - interval.start;
  }
  let target = owner;
  for (let left = days, idle = 0; left > 0; ) {
    target++;
    if (calendar.dayIntervals(target).length > 0) {
      left--;
      idle = 0;
    } else if (++idle > MAX_IDLE_DAYS) {
      throw noWorkingTime(calendar);
    }
  }
  const slots = calendar.dayIntervals(target);
  for (const interval of slots) {
    const length = interval.end - interval.start;
    if (position <= length) return interval.start + position;
    position -= length;
  }
  // The target day is shorter than the start day's position: its end of work.
  return slots[slots.length - 1]!.end;
}

/** A duration's length in business ms when counted from `start` (days resolve to a position, see duration.ts). */
export function durationMs(calendar: BusinessCalendar, start: number, duration: TBusinessDuration): number {
  const dayPart =
    duration.days > 0 ? businessMsBetween(calendar, start, addWorkingDays(calendar, start, duration.days)) : 0;
  return dayPart + duration.minutes * MINUTE;
}

function nextWorkingMs(calendar: BusinessCalendar, t: number): number {
  let next = t;
  walkWorkingTime(calendar, t, NO_INTERVALS, (start) => {
    next = start;
    return true;
  });
  return next;
}

/** Start plus a business duration (or plain business minutes): the due instant of a target. */
export function addBusinessTime(start: Date, duration: TBusinessDuration | number, calendar: BusinessCalendar): Date {
  const at = start.getTime();
  const ms = typeof duration === 'number' ? Math.round(duration * MINUTE) : durationMs(calendar, at, duration);
  return new Date(addBusinessMs(calendar, at, ms));
}

/** Business minutes between two instants (fractional; negative when b is before a). */
export function businessTimeBetween(a: Date, b: Date, calendar: BusinessCalendar): number {
  return businessMsBetween(calendar, a.getTime(), b.getTime()) / MINUTE;
}

export function isWorkingTime(t: Date, calendar: BusinessCalendar): boolean {
  return nextWorkingMs(calendar, t.getTime()) === t.getTime();
}

/** `t` itself during working time, else the start of the next working slot. */
export function nextWorkingStart(t: Date, calendar: BusinessCalendar): Date {
  return new Date(nextWorkingMs(calendar, t.getTime()));
}
