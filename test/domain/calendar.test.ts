import { describe, expect, it } from 'vitest';
import {
  addBusinessTime,
  businessTimeBetween,
  createBusinessCalendar,
  isWorkingTime,
  nextWorkingStart,
  type TCalendarSpec,
} from '../../src/domain/calendar.ts';
import type { TBusinessDuration } from '../../src/domain/duration.ts';

const nineToFive = [['09:00', '17:00']] as const;
const weekdays = (slots: ReadonlyArray<readonly [string, string]>) => ({
  mon: slots,
  tue: slots,
  wed: slots,
  thu: slots,
  fri: slots,
});

const CALENDARS = {
  berlin: { timezone: 'Europe/Berlin', hours: weekdays(nineToFive) },
  newYork: { timezone: 'America/New_York', hours: weekdays(nineToFive) },
  split: {
    timezone: 'Europe/Berlin',
    hours: {
      ...weekdays(nineToFive),
      tue: [
        ['09:00', '12:00'],
        ['13:00', '17:00'],
      ],
    },
  },
  holidays: {
    timezone: 'Europe/Berlin',
    hours: weekdays(nineToFive),
    holidays: ['2026-12-24', '2026-12-25', '2026-12-31', '2027-01-01'],
  },
  night: { timezone: 'Europe/Berlin', hours: weekdays([['22:00', '06:00']]) },
  // Slots that contain the small hours of the DST weekends.
  nyNights: { timezone: 'America/New_York', hours: { sat: [['22:00', '06:00']] } },
  nySmallHours: { timezone: 'America/New_York', hours: { sun: [['00:00', '06:00']] } },
  berlinNights: { timezone: 'Europe/Berlin', hours: { sat: [['22:00', '06:00']] } },
  berlinSmallHours: { timezone: 'Europe/Berlin', hours: { sun: [['01:00', '05:00']] } },
  skippedBoundary: { timezone: 'America/New_York', hours: { sun: [['02:30', '05:00']] } },
  repeatedBoundary: { timezone: 'America/New_York', hours: { sun: [['01:30', '05:00']] } },
  lateEvening: { timezone: 'UTC', hours: { sat: [['18:00', '24:00']] } },
} satisfies Record<string, TCalendarSpec>;

type CalendarName = keyof typeof CALENDARS;
const calendars = Object.fromEntries(
  Object.entries(CALENDARS).map(([name, spec]) => [name, createBusinessCalendar(spec)]),
) as Record<CalendarName, ReturnType<typeof createBusinessCalendar>>;

const m = (minutes: number): TBusinessDuration => ({ days: 0, minutes });
const d = (days: number, minutes = 0): TBusinessDuration => ({ days, minutes });

describe('addBusinessTime', () => {
  it.each<[string, CalendarName, string, TBusinessDuration, string]>([
    ['Friday 16:30 + 1h is Monday 09:30', 'berlin', '2026-11-20T16:30:00+01:00', m(60), '2026-11-23T09:30:00+01:00'],
    ['within one day', 'berlin', '2026-11-23T10:00:00+01:00', m(90), '2026-11-23T11:30:00+01:00'],
    [
      'ending exactly at closing time stays that day',
      'berlin',
      '2026-11-20T16:00:00+01:00',
      m(60),
      '2026-11-20T17:00:00+01:00',
    ],
    ['start on a Saturday', 'berlin', '2026-11-21T12:00:00+01:00', m(60), '2026-11-23T10:00:00+01:00'],
    ['start before opening', 'berlin', '2026-11-23T07:00:00+01:00', m(60), '2026-11-23T10:00:00+01:00'],
    ['start after closing', 'berlin', '2026-11-23T18:00:00+01:00', m(30), '2026-11-24T09:30:00+01:00'],
    ['lunch break in a split shift', 'split', '2026-11-24T11:30:00+01:00', m(60), '2026-11-24T13:30:00+01:00'],
    ['zero adds nothing, even outside hours', 'berlin', '2026-11-21T12:00:00+01:00', m(0), '2026-11-21T12:00:00+01:00'],
    [
      'holiday on the next day is skipped',
      'holidays',
      '2026-12-23T16:00:00+01:00',
      m(120),
      '2026-12-28T10:00:00+01:00',
    ],
    ['3 business days over a holiday week', 'holidays', '2026-12-23T10:00:00+01:00', d(3), '2026-12-30T10:00:00+01:00'],
    [
      '1 business day from a weekend is the end of Monday',
      'berlin',
      '2026-11-21T12:00:00+01:00',
      d(1),
      '2026-11-23T17:00:00+01:00',
    ],
    ['1d4h', 'berlin', '2026-11-23T10:00:00+01:00', d(1, 240), '2026-11-24T14:00:00+01:00'],
    ['5 days over the year end', 'holidays', '2026-12-30T15:00:00+01:00', d(5), '2027-01-08T15:00:00+01:00'],
    ['night shift, across midnight', 'night', '2026-11-23T23:00:00+01:00', m(120), '2026-11-24T01:00:00+01:00'],
    ['night shift, into the next shift', 'night', '2026-11-24T05:00:00+01:00', m(120), '2026-11-24T23:00:00+01:00'],
    [
      'night shift, Friday night runs into Saturday',
      'night',
      '2026-11-28T05:00:00+01:00',
      m(120),
      '2026-11-30T23:00:00+01:00',
    ],
    [
      'night shift, 1 day later at the same position',
      'night',
      '2026-11-23T23:00:00+01:00',
      d(1),
      '2026-11-24T23:00:00+01:00',
    ],
    [
      'New York spring forward, 9–5 unaffected',
      'newYork',
      '2026-03-06T16:30:00-05:00',
      m(60),
      '2026-03-09T09:30:00-04:00',
    ],
    ['New York fall back, 9–5 unaffected', 'newYork', '2026-10-30T16:30:00-04:00', m(60), '2026-11-02T09:30:00-05:00'],
    [
      'Berlin spring forward, 9–5 unaffected',
      'berlin',
      '2026-03-27T16:30:00+01:00',
      m(60),
      '2026-03-30T09:30:00+02:00',
    ],
    ['Berlin fall back, 9–5 unaffected', 'berlin', '2026-10-23T16:30:00+02:00', m(60), '2026-10-26T09:30:00+01:00'],
    // Saturday 22:00 EST + 5h of real time: 2:00 never happens, so the clock reads 04:00 EDT.
    [
      'New York night with the skipped hour',
      'nyNights',
      '2026-03-07T22:00:00-05:00',
      m(300),
      '2026-03-08T04:00:00-04:00',
    ],
    // Saturday 22:00 EDT + 5h of real time: 01:00–02:00 happens twice, so the clock reads 02:00 EST.
    [
      'New York night with the repeated hour',
      'nyNights',
      '2026-10-31T22:00:00-04:00',
      m(300),
      '2026-11-01T02:00:00-05:00',
    ],
    [
      'Berlin night with the skipped hour',
      'berlinNights',
      '2026-03-28T22:00:00+01:00',
      m(300),
      '2026-03-29T04:00:00+02:00',
    ],
    [
      'Berlin night with the repeated hour',
      'berlinNights',
      '2026-10-24T22:00:00+02:00',
      m(300),
      '2026-10-25T02:00:00+01:00',
    ],
    [
      'Berlin small hours with the skipped hour',
      'berlinSmallHours',
      '2026-03-29T00:00:00+01:00',
      m(150),
      '2026-03-29T04:30:00+02:00',
    ],
    [
      'Berlin small hours with the repeated hour',
      'berlinSmallHours',
      '2026-10-25T00:00:00+02:00',
      m(150),
      '2026-10-25T02:30:00+01:00',
    ],
    [
      'slot starting in the skipped hour starts at the change',
      'skippedBoundary',
      '2026-03-08T00:00:00-05:00',
      m(60),
      '2026-03-08T04:00:00-04:00',
    ],
    [
      'slot starting in the repeated hour starts at its first occurrence',
      'repeatedBoundary',
      '2026-11-01T00:00:00-04:00',
      m(60),
      '2026-11-01T01:30:00-05:00',
    ],
    ['24:00 is midnight', 'lateEvening', '2026-11-21T23:00:00Z', m(90), '2026-11-28T18:30:00Z'],
  ])('%s', (_label, calendar, start, duration, expected) => {
    expect(addBusinessTime(new Date(start), duration, calendars[calendar]).toISOString()).toBe(
      new Date(expected).toISOString(),
    );
  });
});

describe('businessTimeBetween', () => {
  it.each<[string, CalendarName, string, string, number]>([
    ['over a weekend', 'berlin', '2026-11-20T16:30:00+01:00', '2026-11-23T09:30:00+01:00', 60],
    ['reversed is negative', 'berlin', '2026-11-23T09:30:00+01:00', '2026-11-20T16:30:00+01:00', -60],
    ['a full week', 'berlin', '2026-11-23T00:00:00+01:00', '2026-11-30T00:00:00+01:00', 5 * 480],
    ['split shift day', 'split', '2026-11-24T00:00:00+01:00', '2026-11-25T00:00:00+01:00', 420],
    ['holiday week', 'holidays', '2026-12-21T00:00:00+01:00', '2026-12-28T00:00:00+01:00', 3 * 480],
    ['seconds count as fractions', 'berlin', '2026-11-23T10:00:00+01:00', '2026-11-23T10:00:30+01:00', 0.5],
    [
      'New York spring-forward night 22–06 is 7h',
      'nyNights',
      '2026-03-07T00:00:00-05:00',
      '2026-03-09T00:00:00-04:00',
      420,
    ],
    ['New York fall-back night 22–06 is 9h', 'nyNights', '2026-10-31T00:00:00-04:00', '2026-11-02T00:00:00-05:00', 540],
    [
      'New York spring-forward Sunday 00–06 is 5h',
      'nySmallHours',
      '2026-03-07T00:00:00-05:00',
      '2026-03-09T00:00:00-04:00',
      300,
    ],
    [
      'New York fall-back Sunday 00–06 is 7h',
      'nySmallHours',
      '2026-10-31T00:00:00-04:00',
      '2026-11-02T00:00:00-05:00',
      420,
    ],
    [
      'Berlin spring-forward night 22–06 is 7h',
      'berlinNights',
      '2026-03-28T00:00:00+01:00',
      '2026-03-30T00:00:00+02:00',
      420,
    ],
    [
      'Berlin fall-back night 22–06 is 9h',
      'berlinNights',
      '2026-10-24T00:00:00+02:00',
      '2026-10-26T00:00:00+01:00',
      540,
    ],
    [
      'Berlin spring-forward Sunday 01–05 is 3h',
      'berlinSmallHours',
      '2026-03-28T00:00:00+01:00',
      '2026-03-30T00:00:00+02:00',
      180,
    ],
    [
      'Berlin fall-back Sunday 01–05 is 5h',
      'berlinSmallHours',
      '2026-10-24T00:00:00+02:00',
      '2026-10-26T00:00:00+01:00',
      300,
    ],
    [
      'an ordinary Sunday 01–05 is 4h',
      'berlinSmallHours',
      '2026-11-21T00:00:00+01:00',
      '2026-11-23T00:00:00+01:00',
      240,
    ],
    [
      'a slot starting in the skipped hour is shorter',
      'skippedBoundary',
      '2026-03-08T00:00:00-05:00',
      '2026-03-09T00:00:00-04:00',
      120,
    ],
    ['a year of 9–5 with no holidays', 'berlin', '2026-01-01T00:00:00+01:00', '2027-01-01T00:00:00+01:00', 261 * 480],
  ])('%s', (_label, calendar, a, b, minutes) => {
    expect(businessTimeBetween(new Date(a), new Date(b), calendars[calendar])).toBe(minutes);
  });
});

describe('isWorkingTime and nextWorkingStart', () => {
  it.each<[CalendarName, string, boolean, string]>([
    ['berlin', '2026-11-23T09:00:00+01:00', true, '2026-11-23T09:00:00+01:00'],
    ['berlin', '2026-11-23T16:59:59+01:00', true, '2026-11-23T16:59:59+01:00'],
    ['berlin', '2026-11-23T17:00:00+01:00', false, '2026-11-24T09:00:00+01:00'],
    ['berlin', '2026-11-21T12:00:00+01:00', false, '2026-11-23T09:00:00+01:00'],
    ['split', '2026-11-24T12:30:00+01:00', false, '2026-11-24T13:00:00+01:00'],
    ['holidays', '2026-12-24T10:00:00+01:00', false, '2026-12-28T09:00:00+01:00'],
    ['night', '2026-11-24T03:00:00+01:00', true, '2026-11-24T03:00:00+01:00'],
    ['night', '2026-11-28T03:00:00+01:00', true, '2026-11-28T03:00:00+01:00'],
    ['night', '2026-11-29T03:00:00+01:00', false, '2026-11-30T22:00:00+01:00'],
  ])('%s at %s: working %s, next start %s', (calendar, t, working, next) => {
    expect(isWorkingTime(new Date(t), calendars[calendar])).toBe(working);
    expect(nextWorkingStart(new Date(t), calendars[calendar]).toISOString()).toBe(new Date(next).toISOString());
  });
});

describe('createBusinessCalendar', () => {
  it.each<[string, TCalendarSpec, RegExp]>([
    ['an unknown zone', { timezone: 'Mars/Olympus', hours: { mon: [['09:00', '17:00']] } }, /IANA time zone/],
    ['no working slots', { timezone: 'UTC', hours: {} }, /no working slots/],
    ['a bad time', { timezone: 'UTC', hours: { mon: [['9am', '17:00']] } }, /not a time of day/],
    [
      'overlapping slots',
      {
        timezone: 'UTC',
        hours: {
          mon: [
            ['09:00', '12:00'],
            ['11:00', '17:00'],
          ],
        },
      },
      /overlapping/,
    ],
    [
      'a night shift running into the next day’s slot',
      { timezone: 'UTC', hours: { sun: [['22:00', '06:00']], mon: [['05:00', '13:00']] } },
      /overlapping/,
    ],
  ])('rejects %s', (_label, spec, message) => {
    expect(() => createBusinessCalendar(spec)).toThrow(message);
  });

  it('gives up on a calendar whose every working day is a holiday', () => {
    const holidays = Array.from({ length: 60 }, (_, i) =>
      new Date(Date.UTC(2026, 0, 5 + 7 * i)).toISOString().slice(0, 10),
    );
    const calendar = createBusinessCalendar({ timezone: 'UTC', hours: { mon: [['09:00', '17:00']] }, holidays });
    expect(() => addBusinessTime(new Date('2026-01-01T00:00:00Z'), 60, calendar)).toThrow(/no working time/);
  });
});
