// One reader of times of day for policies and schedules. Before it, three: the policy file's ("HH:MM", two-digit
// hours), the business calendar's (one or two digits, trimmed) and the scheduler's (two digits). Every form any
// of them accepted is accepted here; the first column says who accepted it.
import { describe, expect, it } from 'vitest';
import { weekdayOfDay } from '../../src/domain/time-zone.ts';
import { clockTimeMinutes, parseClockTime, WEEKDAYS, WORKDAYS } from '../../src/domain/week.ts';
import { isAppError } from '../../src/errors.ts';

describe('parseClockTime', () => {
  it.each<[string, string, number]>([
    ['policy, calendar, scheduler', '00:00', 0],
    ['policy, calendar, scheduler', '09:00', 540],
    ['policy, calendar, scheduler', '12:30', 750],
    ['policy, calendar, scheduler', '23:59', 1439],
    ['policy, calendar, scheduler', '24:00', 1440],
    ['calendar', '9:00', 540],
    ['calendar', '0:05', 5],
    ['calendar', ' 17:00 ', 1020],
  ])('%s: %j', (_who, text, minutes) => {
    expect(parseClockTime(text)).toBe(minutes);
  });

  it.each(['', '9', '0900', '9am', '9:5', '009:00', '12:60', '24:01', '25:00', '-1:00', '12:00:00'])(
    'rejects %j',
    (text) => {
      expect(parseClockTime(text)).toBeUndefined();
    },
  );

  it('throws a configuration error with a fix where a time has to be one', () => {
    expect(clockTimeMinutes('24:00')).toBe(1440);
    try {
      clockTimeMinutes('9am');
      expect.unreachable();
    } catch (error) {
      expect(isAppError(error) && [error.code, error.fix]).toEqual([
        'CONFIG_INVALID',
        'write times as "HH:MM", 00:00–24:00',
      ]);
    }
  });
});

describe('WEEKDAYS', () => {
  it('counts from Monday, as weekdayOfDay does (day 4 of the epoch, 1970-01-05, was a Monday)', () => {
    expect(WEEKDAYS[weekdayOfDay(4)]).toBe('mon');
    expect(WEEKDAYS[weekdayOfDay(0)]).toBe('thu');
    expect(WORKDAYS).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
  });
});
