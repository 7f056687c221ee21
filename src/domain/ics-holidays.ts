// Holidays from an iCalendar (.ics) file, as the calendar's "YYYY-MM-DD" dates. Small on purpose: holiday
// feeds (government calendars, Google's "Holidays in …") list each occurrence as its own VEVENT, so this reads
// DTSTART/DTEND/DURATION and leaves recurrence rules aside.
// - All-day events (DTSTART;VALUE=DATE:20261225): every date from DTSTART up to DTEND, exclusive (RFC 5545);
//   without DTEND or DURATION, one day.
// - Timed events (DTSTART:20261224T120000Z, or with TZID): the dates they touch as written, an end at midnight
//   not counting as a day (an event that ends 2026-12-27T00:00 covers up to the 26th).
// - Cancelled events (STATUS:CANCELLED) are skipped.

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

export function parseIcsHolidays(text: string): string[] {
  const lines = text.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  const dates = new Set<string>();
  let event: { start?: IcsValue; end?: IcsValue; days?: number; cancelled: boolean } | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    const name = line.split(/[;:]/, 1)[0]!.toUpperCase();
    if (line.toUpperCase() === 'BEGIN:VEVENT') {
      event = { cancelled: false };
    } else if (event && line.toUpperCase() === 'END:VEVENT') {
      if (event.start && !event.cancelled) {
        for (const day of eventDays(event.start, event.end, event.days))
          dates.add(new Date(day).toISOString().slice(0, 10));
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
    }
  }
  return [...dates].sort();
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
