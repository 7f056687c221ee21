// The days of the week and the times of day as policies write them: "mon" … "sun", and "HH:MM" from 00:00 to 24:00
// (24:00 being the end of the day, the next midnight).
import { AppError } from '../errors.ts';

/** Monday first: index 0 is Monday, as weekdayOfDay (time-zone.ts) counts. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type TWeekday = (typeof WEEKDAYS)[number];
/** Monday to Friday: the working week Heed assumes when a policy says nothing. */
export const WORKDAYS: readonly TWeekday[] = WEEKDAYS.slice(0, 5);

const CLOCK_TIME = /^\s*(\d{1,2}):(\d{2})\s*$/;

/** Minutes after midnight of "9:00", "09:00" … "24:00", or undefined when `text` is not a time of day. */
export function parseClockTime(text: string): number | undefined {
  const match = CLOCK_TIME.exec(text);
  if (!match) return undefined;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  const total = hours * 60 + minutes;
  return minutes <= 59 && total <= 1440 ? total : undefined;
}

/** parseClockTime for a value that has to be one: a policy's, already checked at load, or a schedule's. */
export function clockTimeMinutes(text: string): number {
  const minutes = parseClockTime(text);
  if (minutes === undefined) {
    throw new AppError('CONFIG_INVALID', `"${text}" is not a time of day.`, {
      fix: 'write times as "HH:MM", 00:00–24:00',
    });
  }
  return minutes;
}
