// Holidays from an iCalendar (.ics) file, as the calendar's "YYYY-MM-DD" dates. Holiday feeds (government
// calendars, Google's "Holidays in …") mostly list each occurrence as its own VEVENT; calendars exported from
// Outlook or kept by hand often hold one event with a yearly rule instead ("Christmas Day, every year").
// - All-day events (DTSTART;VALUE=DATE:20261225): every date from DTSTART up to DTEND, exclusive (RFC 5545);
//   without DTEND or DURATION, one day.
// - Timed events (DTSTART:20261224T120000Z, or with TZID): the dates they touch as written, an end at midnight
//   not counting as a day (an event that ends 2026-12-27T00:00 covers up to the 26th).
// - Cancelled events (STATUS:CANCELLED) are skipped.
// - Recurrence: RRULE with FREQ=YEARLY (INTERVAL, COUNT, UNTIL, BYMONTH, BYMONTHDAY, and BYDAY with an ordinal
//   such as 4TH or -1MO for "fourth Thursday", "last Monday"), RDATE and EXDATE, expanded over the years the
//   caller asks for. Any other rule cannot be expanded here: the event counts once, and it is reported in
//   `unexpanded` so the person configuring Heed hears about it.

const DAY = 86_400_000;
/** A runaway DTEND (or a typo in the year) must not produce years of holidays. */
const MAX_DAYS_PER_EVENT = 366;

interface IcsValue {
  readonly date: number;
  readonly timed: boolean;
  /** Timed value at exactly 00:00:00. */
  readonly midnight: boolean;
}

function parseValue(line: string): IcsValue | undefined {
  const value = line.slice(line.indexOf(':') + 1).trim();
  const match = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?Z?)?$/.exec(value);
  if (!match) return undefined;
  const date = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (Number.isNaN(date)) return undefined;
  const timed = match[4] !== undefined;
  const midnight = timed && Number(match[4]) === 0 && Number(match[5]) === 0 && Number(match[6] ?? 0) === 0;
  return { date, timed, midnight };
}

/** Whole days of an RFC 5545 DURATION (P1D, P2W, P1DT12H → 1 day and a part). */
function durationDays(line: string): number | undefined {
  const match = /^[+]?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(
    line.slice(line.indexOf(':') + 1).trim(),
  );
  if (!match) return undefined;
  const days = Number(match[1] ?? 0) * 7 + Number(match[2] ?? 0);
  const partial = Number(match[3] ?? 0) + Number(match[4] ?? 0) + Number(match[5] ?? 0) > 0;
  return days + (partial ? 1 : 0);
}

export interface IcsHolidayOptions {
  /** Recurring events are expanded over these years (inclusive); their occurrences outside are left out. */
  readonly fromYear: number;
  readonly toYear: number;
}

export interface IcsHolidays {
  /** Every holiday date, sorted, without repeats. */
  readonly dates: string[];
  /** Events with a recurrence rule Heed cannot expand (their SUMMARY, or DTSTART without one): counted once. */
  readonly unexpanded: string[];
}

interface IcsEvent {
  start?: IcsValue;
  end?: IcsValue;
  days?: number;
  cancelled: boolean;
  summary?: string;
  rule?: string;
  readonly extra: number[];
  readonly excluded: Set<number>;
}

export function parseIcsHolidays(
  text: string,
  options: IcsHolidayOptions = { fromYear: 1970, toYear: 2100 },
): IcsHolidays {
  const lines = text.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  const dates = new Set<string>();
  const unexpanded: string[] = [];
  let event: IcsEvent | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    const name = line.split(/[;:]/, 1)[0]!.toUpperCase();
    if (line.toUpperCase() === 'BEGIN:VEVENT') {
      event = { cancelled: false, extra: [], excluded: new Set() };
    } else if (event && line.toUpperCase() === 'END:VEVENT') {
      if (event.start && !event.cancelled) {
        const length = eventDays(event.start, event.end, event.days).length;
        const occurrences = event.rule ? expandRule(event.rule, event.start.date, options) : [event.start.date];
        if (!occurrences) unexpanded.push(event.summary ?? isoDate(event.start.date));
        for (const first of [...(occurrences ?? [event.start.date]), ...event.extra]) {
          if (event.excluded.has(first)) continue;
          for (let day = first, n = 0; n < length; day += DAY, n++) dates.add(isoDate(day));
        }
      }
      event = undefined;
    } else if (event && name === 'DTSTART') {
      event.start = parseValue(line);
    } else if (event && name === 'DTEND') {
      event.end = parseValue(line);
    } else if (event && name === 'DURATION') {
      event.days = durationDays(line);
    } else if (event && name === 'STATUS') {
      event.cancelled = /:\s*CANCELLED\s*$/i.test(line);
    } else if (event && name === 'SUMMARY') {
      event.summary = line.slice(line.indexOf(':') + 1).trim();
    } else if (event && name === 'RRULE') {
      event.rule = line.slice(line.indexOf(':') + 1).trim();
    } else if (event && (name === 'RDATE' || name === 'EXDATE')) {
      for (const date of valueList(line)) {
        if (name === 'RDATE') event.extra.push(date);
        else event.excluded.add(date);
      }
    }
  }
  return { dates: [...dates].sort(), unexpanded };
}

function isoDate(day: number): string {
  return new Date(day).toISOString().slice(0, 10);
}

/** The dates of a comma-separated RDATE/EXDATE value (dates or date-times; periods are not holidays). */
function valueList(line: string): number[] {
  const prefix = line.slice(0, line.indexOf(':') + 1);
  return line
    .slice(prefix.length)
    .split(',')
    .map((value) => parseValue(`${prefix}${value}`)?.date)
    .filter((date): date is number => date !== undefined);
}

const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
/** A rule cannot produce more occurrences than this (a guard against a rule that never ends in the window). */
const MAX_OCCURRENCES = 1000;

/**
 * The first dates of a yearly rule's occurrences within the caller's years, or undefined when the rule is
 * not one Heed expands. COUNT counts from DTSTART, so occurrences before the window still use it up.
 */
function expandRule(rule: string, start: number, options: IcsHolidayOptions): number[] | undefined {
  const parts = new Map<string, string>();
  for (const part of rule.split(';')) {
    const [key, value] = part.split('=', 2);
    if (key && value !== undefined) parts.set(key.toUpperCase(), value.toUpperCase());
  }
  const known = new Set(['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYMONTH', 'BYMONTHDAY', 'BYDAY', 'WKST']);
  if (parts.get('FREQ') !== 'YEARLY' || [...parts.keys()].some((key) => !known.has(key))) return undefined;
  const interval = Number(parts.get('INTERVAL') ?? 1);
  const count = parts.has('COUNT') ? Number(parts.get('COUNT')) : Number.POSITIVE_INFINITY;
  const until = parts.has('UNTIL') ? parseValue(`UNTIL:${parts.get('UNTIL')}`)?.date : Number.POSITIVE_INFINITY;
  if (!Number.isInteger(interval) || interval < 1 || Number.isNaN(count) || until === undefined) return undefined;
  const first = new Date(start);
  const months = numbers(parts.get('BYMONTH'), 1, 12) ?? [first.getUTCMonth() + 1];
  const monthDays = numbers(parts.get('BYMONTHDAY'), -31, 31);
  const weekdays = parts.has('BYDAY') ? ordinalWeekdays(parts.get('BYDAY')!) : undefined;
  // BYDAY needs an ordinal and BYMONTH here ("the fourth Thursday of November"), and does not mix with BYMONTHDAY.
  if (
    months.length === 0 ||
    monthDays?.length === 0 ||
    (weekdays && (!weekdays.length || !parts.has('BYMONTH') || monthDays))
  ) {
    return undefined;
  }
  const out: number[] = [];
  let produced = 0;
  const emit = (date: number): boolean => {
    if (produced >= count || date > until) return false;
    produced++;
    if (new Date(date).getUTCFullYear() >= options.fromYear) out.push(date);
    return out.length < MAX_OCCURRENCES;
  };
  for (let year = first.getUTCFullYear(); year <= options.toYear; year += interval) {
    const candidates: number[] = [];
    for (const month of months) {
      if (weekdays) {
        for (const [nth, weekday] of weekdays) candidates.push(nthWeekday(year, month, nth, weekday));
      } else {
        for (const day of monthDays ?? [first.getUTCDate()]) candidates.push(monthDay(year, month, day));
      }
    }
    const dates = candidates.filter((d) => !Number.isNaN(d) && d >= start).sort((a, b) => a - b);
    // DTSTART is the first occurrence even when the rule would not produce it (RFC 5545, 3.8.5.3).
    if (year === first.getUTCFullYear() && dates[0] !== start) dates.unshift(start);
    for (const date of dates) if (!emit(date)) return out;
  }
  return out;
}

/** A BY list of integers within [min, max] (zero excluded), or undefined when absent; [] when malformed. */
function numbers(value: string | undefined, min: number, max: number): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map(Number);
  return list.every((n) => Number.isInteger(n) && n !== 0 && n >= min && n <= max) ? list : [];
}

/** BYDAY entries with an ordinal ("4TH", "-1MO", "+2WE"); [] when any lacks one or is malformed. */
function ordinalWeekdays(value: string): [number, number][] {
  const out: [number, number][] = [];
  for (const entry of value.split(',')) {
    const match = /^([+-]?[1-5])(SU|MO|TU|WE|TH|FR|SA)$/.exec(entry);
    if (!match) return [];
    out.push([Number(match[1]), WEEKDAYS.indexOf(match[2]!)]);
  }
  return out;
}

/** The given day of a month (negative counts from its end), or NaN when the month has no such day. */
function monthDay(year: number, month: number, day: number): number {
  const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const dayOfMonth = day > 0 ? day : length + day + 1;
  return dayOfMonth >= 1 && dayOfMonth <= length ? Date.UTC(year, month - 1, dayOfMonth) : Number.NaN;
}

/** The nth (negative: from the end) given weekday of a month, or NaN when there is none (a fifth Monday). */
function nthWeekday(year: number, month: number, nth: number, weekday: number): number {
  const length = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (nth > 0) {
    const firstWeekday = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    const day = 1 + ((weekday - firstWeekday + 7) % 7) + (nth - 1) * 7;
    return day <= length ? Date.UTC(year, month - 1, day) : Number.NaN;
  }
  const lastWeekday = new Date(Date.UTC(year, month - 1, length)).getUTCDay();
  const day = length - ((lastWeekday - weekday + 7) % 7) + (nth + 1) * 7;
  return day >= 1 ? Date.UTC(year, month - 1, day) : Number.NaN;
}

function eventDays(start: IcsValue, end: IcsValue | undefined, days: number | undefined): number[] {
  let last: number; // inclusive
  if (end && end.date >= start.date) {
    // All-day DTEND is exclusive; a timed end at midnight ends the day before.
    last = !end.timed || end.midnight ? end.date - DAY : end.date;
    if (last < start.date) last = start.date;
  } else if (days !== undefined && days > 0) {
    last = start.date + (days - 1) * DAY;
  } else {
    last = start.date;
  }
  const out: number[] = [];
  for (let day = start.date; day <= last && out.length < MAX_DAYS_PER_EVENT; day += DAY) out.push(day);
  return out;
}
