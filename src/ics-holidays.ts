// Holidays from an iCalendar (.ics) file, read at config load into the "YYYY-MM-DD" dates a business calendar
// takes: the domain receives dates, never the file. ical.js parses the file and expands its recurrences (every
// RRULE frequency, RDATE, EXDATE, moved and cancelled occurrences); this module only decides which local days of
// the team's calendar each occurrence covers.
// - All-day events (DTSTART;VALUE=DATE:20261225): every date from DTSTART up to DTEND, exclusive (RFC 5545);
//   without DTEND or DURATION, one day.
// - Timed events: the days of the team's time zone they touch, an end at midnight not counting as a day. A time
//   in UTC (…Z) or with a TZID is placed by that zone (an IANA name, or a VTIMEZONE the file defines, as Outlook
//   writes them); a floating time is read in the team's zone.
// - Cancelled events and cancelled occurrences (STATUS:CANCELLED) are skipped.
// Recurring events are expanded over the years the caller asks for.
import ICAL from 'ical.js';
import { createTimeZone, isoDateFromDay, type TimeZone } from './domain/time-zone.ts';

const DAY = 86_400_000;
/** A runaway DTEND (or a typo in the year) must not produce years of holidays. */
const MAX_DAYS_PER_EVENT = 366;
/** Occurrences kept per event, and steps of its rule walked, at most (a guard against a rule that never ends). */
const MAX_OCCURRENCES = 1000;
const MAX_STEPS = 100_000;

export interface IcsHolidayOptions {
  /** The team calendar's IANA zone: timed events count on the days they touch there. */
  readonly timeZone: string;
  /** Recurring events are expanded over these years (inclusive); their occurrences outside are left out. */
  readonly fromYear: number;
  readonly toYear: number;
}

export interface IcsHolidays {
  /** Every holiday date, sorted, without repeats. */
  readonly dates: string[];
  /** Events whose recurrence could not be expanded (their SUMMARY, or DTSTART without one): counted once. */
  readonly unexpanded: string[];
  /** Why the text is not iCalendar at all (nothing was read), for the person to fix the file. */
  readonly error?: string;
}

/**
 * A date-only DTSTART/DTEND/RDATE/EXDATE written without VALUE=DATE ("DTSTART:20260501") is common in hand-made
 * files and unambiguous; ical.js reads such a value as a malformed date-time, so the parameter is added first.
 */
function withDateValues(text: string): string {
  return text.replace(
    /^(DTSTART|DTEND|RDATE|EXDATE|RECURRENCE-ID)((?:;(?!VALUE=)[^:\r\n]*)*):(\d{8}(?:,\d{8})*)(?=\r?\n|$)/gim,
    '$1$2;VALUE=DATE:$3',
  );
}

export function parseIcsHolidays(text: string, options: IcsHolidayOptions): IcsHolidays {
  let roots: ICAL.Component[];
  try {
    const parsed = ICAL.parse(withDateValues(text));
    // Several top-level components come as a list; a file of bare VEVENTs (no VCALENDAR) is read too.
    roots = (Array.isArray(parsed[0]) ? (parsed as unknown[]) : [parsed]).map((jcal) => new ICAL.Component(jcal as []));
  } catch (error) {
    return { dates: [], unexpanded: [], error: (error as Error).message };
  }
  const zone = createTimeZone(options.timeZone);
  const places = new Placer(zone, roots);
  const dates = new Set<string>();
  const unexpanded: string[] = [];
  for (const root of roots) {
    const vevents = root.name === 'vevent' ? [root] : root.getAllSubcomponents('vevent');
    const exceptions = vevents.filter((c) => c.hasProperty('recurrence-id'));
    for (const component of vevents) {
      if (component.hasProperty('recurrence-id') || !component.hasProperty('dtstart')) continue;
      const uid = component.getFirstPropertyValue('uid');
      const event = new ICAL.Event(component, {
        exceptions: uid ? exceptions.filter((c) => c.getFirstPropertyValue('uid') === uid) : [],
      });
      if (isCancelled(component)) continue;
      const spans = occurrences(event, options);
      if (spans === undefined) {
        unexpanded.push(String(component.getFirstPropertyValue('summary') ?? event.startDate.toString().slice(0, 10)));
      }
      for (const span of spans ?? [spanOf(event.component, event.startDate, event.endDate)]) {
        if (span.cancelled) continue;
        for (const day of places.days(span)) dates.add(isoDateFromDay(day));
      }
    }
  }
  return { dates: [...dates].sort(), unexpanded };
}

function isCancelled(component: ICAL.Component): boolean {
  return String(component.getFirstPropertyValue('status') ?? '').toUpperCase() === 'CANCELLED';
}

/** One occurrence: its start and end as written, the TZIDs they were written in, and whether it was cancelled. */
type Span = {
  start: ICAL.Time;
  end: ICAL.Time;
  startZone: string | undefined;
  endZone: string | undefined;
  cancelled: boolean;
};

function spanOf(component: ICAL.Component, start: ICAL.Time, end: ICAL.Time): Span {
  const tzid = (name: string) => {
    const value = component.getFirstProperty(name)?.getParameter('tzid');
    return typeof value === 'string' ? value : undefined;
  };
  const startZone = tzid('dtstart');
  // An end computed from DURATION is in the start's zone.
  return { start, end, startZone, endZone: tzid('dtend') ?? startZone, cancelled: isCancelled(component) };
}

/**
 * The event's occurrences within the years asked for (the event itself when it does not recur), or undefined when
 * its rule cannot be expanded.
 */
function occurrences(event: ICAL.Event, options: IcsHolidayOptions): Span[] | undefined {
  if (!event.isRecurring()) return [spanOf(event.component, event.startDate, event.endDate)];
  try {
    for (const rule of event.component.getAllProperties('rrule')) withDefaultsFromStart(rule, event.startDate);
    const out: Span[] = [];
    const iterator = event.iterator();
    const seen = new Set<string>();
    const keep = (start: ICAL.Time) => {
      const details = event.getOccurrenceDetails(start);
      seen.add(details.recurrenceId.toString());
      if (details.startDate.year >= options.fromYear && details.startDate.year <= options.toYear) {
        out.push(spanOf(details.item.component, details.startDate, details.endDate));
      }
    };
    let produced = 0;
    for (let next = iterator.next(); next && produced < MAX_STEPS; next = iterator.next()) {
      produced++;
      if (next.year > options.toYear || out.length >= MAX_OCCURRENCES) break;
      keep(next);
    }
    // A rule's set always holds at least DTSTART: one that yields nothing is one ical.js cannot expand (BYWEEKNO).
    if (produced === 0) return undefined;
    // DTSTART is the first occurrence even when the rule would not produce it (RFC 5545, 3.8.5.3).
    if (!seen.has(event.startDate.toString())) keep(event.startDate);
    return out;
  } catch {
    return undefined;
  }
}

/**
 * RFC 5545 takes a yearly rule's missing month and day from DTSTART ("every 29 February" recurs only in leap
 * years); ical.js instead adds a year to the date, which turns 29 February into 1 March. Writing the parts out
 * gives the RFC's meaning.
 */
function withDefaultsFromStart(property: ICAL.Property, start: ICAL.Time): void {
  const rule = property.getFirstValue() as ICAL.Recur;
  const parts = rule.parts as Record<string, unknown[] | undefined>;
  const explicit = ['BYMONTH', 'BYWEEKNO', 'BYYEARDAY', 'BYMONTHDAY', 'BYDAY'].some((part) => parts[part]?.length);
  if (rule.freq === 'YEARLY' && !explicit) {
    parts['BYMONTH'] = [start.month];
    parts['BYMONTHDAY'] = [start.day];
  }
}

/** Places times on the local days of the team's zone. */
class Placer {
  readonly #zone: TimeZone;
  /** TZIDs the file defines itself (VTIMEZONE), by name. */
  readonly #fileZones = new Map<string, ICAL.Timezone>();
  readonly #ianaZones = new Map<string, TimeZone | undefined>();

  constructor(zone: TimeZone, calendars: readonly ICAL.Component[]) {
    this.#zone = zone;
    for (const calendar of calendars) {
      for (const vtimezone of calendar.getAllSubcomponents('vtimezone')) {
        const tzid = vtimezone.getFirstPropertyValue('tzid');
        if (tzid) this.#fileZones.set(String(tzid), new ICAL.Timezone(vtimezone));
      }
    }
  }

  /** The local days [start, end) covers; at least the day it starts on. */
  days({ start, end, startZone, endZone }: Span): number[] {
    let first: number;
    let last: number; // inclusive
    if (start.isDate) {
      first = civilDay(start);
      // All-day DTEND is exclusive.
      last = Math.max(first, civilDay(end) - 1);
    } else {
      const from = this.#instant(start, startZone);
      const to = this.#instant(end, endZone);
      first = this.#zone.localDay(from);
      // An end at midnight ends the day before; a zero-length event is its start day.
      last = to > from ? Math.max(first, this.#zone.localDay(to - 1)) : first;
    }
    const out: number[] = [];
    for (let day = first; day <= last && out.length < MAX_DAYS_PER_EVENT; day++) out.push(day);
    return out;
  }

  /** The epoch ms a date-time denotes: UTC, its TZID's zone (IANA or the file's own), or floating in the team's. */
  #instant(time: ICAL.Time, tzid: string | undefined): number {
    const wall = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
    if (time.zone?.tzid === 'UTC') return wall;
    if (tzid) {
      const iana = this.#iana(tzid);
      if (iana) return iana.toInstant(Math.floor(wall / DAY), (wall % DAY) / 60_000);
      const own = this.#fileZones.get(tzid);
      if (own) return wall - own.utcOffset(time) * 1000;
    }
    return this.#zone.toInstant(Math.floor(wall / DAY), (wall % DAY) / 60_000);
  }

  #iana(tzid: string): TimeZone | undefined {
    if (!this.#ianaZones.has(tzid)) {
      let zone: TimeZone | undefined;
      try {
        zone = createTimeZone(tzid);
      } catch {
        zone = undefined;
      }
      this.#ianaZones.set(tzid, zone);
    }
    return this.#ianaZones.get(tzid);
  }
}

function civilDay(time: ICAL.Time): number {
  return Math.floor(Date.UTC(time.year, time.month - 1, time.day) / DAY);
}
