// IANA time zone arithmetic on top of Intl.DateTimeFormat, so business calendars need no date library.
// Everything here works on epoch milliseconds and "local epoch days" (days since 1970-01-01 in the zone's
// wall calendar); the zone's UTC offset is looked up once per 15-minute bucket and cached, because
// Intl formatting is slow and the SLA engine asks for the same few days thousands of times.
import { AppError } from '../errors.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;
// Every zone in use today changes its offset only at instants that are multiples of 15 minutes
// (offsets are whole quarter hours and transitions happen at whole or half local hours).
const BUCKET = 15 * MINUTE;

export interface TimeZone {
  readonly name: string;
  /** Offset of local wall time from UTC at an instant, in ms (Berlin in winter: +3_600_000). */
  offsetAt(ms: number): number;
  /** The local epoch day an instant falls on. */
  localDay(ms: number): number;
  /**
   * The instant a local wall time (day + minutes since local midnight, may exceed 1440) denotes.
   * A wall time that does not exist (skipped by a spring-forward change) maps to the next valid instant,
   * i.e. the moment of the change; a repeated wall time (fall-back change) maps to its first occurrence.
   */
  toInstant(day: number, minuteOfDay: number): number;
}

export function createTimeZone(name: string): TimeZone {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `"${name}" is not an IANA time zone.`, {
      fix: 'use a zone name such as "Europe/Berlin" or "America/New_York"',
      cause: error,
    });
  }
  const cache = new Map<number, number>();

  const computeOffset = (ms: number): number => {
    const fields: Record<string, number> = {};
    let bc = false;
    for (const part of format.formatToParts(ms)) {
      if (part.type === 'era') bc = part.value.startsWith('B');
      else if (part.type !== 'literal') fields[part.type] = Number(part.value);
    }
    const year = bc ? 1 - fields['year']! : fields['year']!;
    const wall = Date.UTC(
      year,
      fields['month']! - 1,
      fields['day']!,
      fields['hour']!,
      fields['minute']!,
      fields['second']!,
    );
    // Date.UTC maps years 0–99 to 1900–1999; correct for the (theoretical) early years.
    const fixed = year >= 0 && year < 100 ? new Date(wall).setUTCFullYear(year) : wall;
    return fixed - Math.floor(ms / 1000) * 1000;
  };

  const offsetAt = (ms: number): number => {
    const bucket = Math.floor(ms / BUCKET);
    let offset = cache.get(bucket);
    if (offset === undefined) {
      offset = computeOffset(bucket * BUCKET);
      cache.set(bucket, offset);
    }
    return offset;
  };

  const toInstant = (day: number, minuteOfDay: number): number => {
    const naive = day * DAY + minuteOfDay * MINUTE;
    // At most one offset change lies within a day either side of any wall time.
    const before = offsetAt(naive - DAY);
    const after = offsetAt(naive + DAY);
    const early = naive - before;
    const late = naive - after;
    const earlyValid = offsetAt(early) === before;
    const lateValid = offsetAt(late) === after;
    if (earlyValid && lateValid) return Math.min(early, late);
    if (earlyValid) return early;
    if (lateValid) return late;
    // In a gap: find the first instant that already has the new offset (the change itself).
    let lo = Math.min(early, late);
    let hi = Math.max(early, late);
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (mid <= lo) break;
      if (offsetAt(mid) === after) hi = mid;
      else lo = mid;
    }
    return hi;
  };

  return {
    name,
    offsetAt,
    localDay: (ms) => Math.floor((ms + offsetAt(ms)) / DAY),
    toInstant,
  };
}

/**
 * The first instant of the local day after the one `ms` falls on: its midnight, or, where a DST change skips
 * midnight (America/Santiago each September: 24:00 becomes 01:00), the moment of the change, when that day begins.
 */
export function startOfNextDay(zone: TimeZone, ms: number): number {
  return zone.toInstant(zone.localDay(ms) + 1, 0);
}

/** "YYYY-MM-DD" → local epoch day. */
export function dayFromIsoDate(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms)) {
    throw new AppError('CONFIG_INVALID', `"${date}" is not a date.`, { fix: 'write dates as "YYYY-MM-DD"' });
  }
  return Math.floor(ms / DAY);
}

/** Local epoch day → "YYYY-MM-DD". */
export function isoDateFromDay(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

/** 0 = Monday … 6 = Sunday (1970-01-01, day 0, was a Thursday). */
export function weekdayOfDay(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}
