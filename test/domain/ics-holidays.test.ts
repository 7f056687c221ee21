import { describe, expect, it } from 'vitest';
import { parseIcsHolidays } from '../../src/domain/ics-holidays.ts';

const calendar = (...events: string[]) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    ...events.map((e) => `BEGIN:VEVENT\r\n${e}\r\nEND:VEVENT`),
    'END:VCALENDAR',
  ].join('\r\n');

describe('parseIcsHolidays', () => {
  it.each<[string, string, string[]]>([
    ['an all-day event is one day', 'DTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas', ['2026-12-25']],
    [
      'DTEND of an all-day event is exclusive',
      'DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227',
      ['2026-12-24', '2026-12-25', '2026-12-26'],
    ],
    ['DURATION in days', 'DTSTART;VALUE=DATE:20261231\r\nDURATION:P2D', ['2026-12-31', '2027-01-01']],
    ['a bare date without VALUE=DATE', 'DTSTART:20260501', ['2026-05-01']],
    ['a timed event is the date it happens on', 'DTSTART:20261224T120000Z\r\nDTEND:20261224T180000Z', ['2026-12-24']],
    [
      'a timed event with a time zone',
      'DTSTART;TZID=Europe/Berlin:20261231T140000\r\nDTEND;TZID=Europe/Berlin:20270101T020000',
      ['2026-12-31', '2027-01-01'],
    ],
    [
      'a timed end at midnight does not add a day',
      'DTSTART:20261224T000000\r\nDTEND:20261226T000000',
      ['2026-12-24', '2026-12-25'],
    ],
    ['a cancelled event is no holiday', 'DTSTART;VALUE=DATE:20261225\r\nSTATUS:CANCELLED', []],
    [
      'folded lines are unfolded',
      'DTSTART;VALUE=\r\n DATE:20261003\r\nSUMMARY:Tag der\r\n  Deutschen Einheit',
      ['2026-10-03'],
    ],
  ])('%s', (_label, body, dates) => {
    expect(parseIcsHolidays(calendar(body)).dates).toEqual(dates);
  });

  it('collects, sorts and de-duplicates the dates of every event', () => {
    const text = calendar(
      'DTSTART;VALUE=DATE:20261226',
      'DTSTART;VALUE=DATE:20261225\nDTEND;VALUE=DATE:20261227',
      'SUMMARY:no start',
    );
    expect(parseIcsHolidays(text).dates).toEqual(['2026-12-25', '2026-12-26']);
  });

  it('caps a runaway event at a year', () => {
    expect(parseIcsHolidays(calendar('DTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20360101')).dates).toHaveLength(
      366,
    );
  });

  it('ignores text that is not iCalendar', () => {
    expect(parseIcsHolidays('2026-12-25\nChristmas')).toEqual({ dates: [], unexpanded: [] });
  });

  describe('yearly rules', () => {
    const years = { fromYear: 2026, toYear: 2028 };
    it.each<[string, string, string[]]>([
      [
        'the same date every year, within the years asked for',
        'DTSTART;VALUE=DATE:20201225\r\nRRULE:FREQ=YEARLY',
        ['2026-12-25', '2027-12-25', '2028-12-25'],
      ],
      [
        'several days each year (DTEND carries over)',
        'DTSTART;VALUE=DATE:20251224\r\nDTEND;VALUE=DATE:20251227\r\nRRULE:FREQ=YEARLY;UNTIL=20270101',
        ['2026-12-24', '2026-12-25', '2026-12-26'],
      ],
      [
        'the fourth Thursday of November (US Thanksgiving)',
        'DTSTART;VALUE=DATE:20241128\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH',
        ['2026-11-26', '2027-11-25', '2028-11-23'],
      ],
      [
        'the last Monday of May (US Memorial Day)',
        'DTSTART;VALUE=DATE:20240527\r\nRRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO',
        ['2026-05-25', '2027-05-31', '2028-05-29'],
      ],
      [
        'BYMONTHDAY, every other year',
        'DTSTART;VALUE=DATE:20260704\r\nRRULE:FREQ=YEARLY;INTERVAL=2;BYMONTH=7;BYMONTHDAY=4',
        ['2026-07-04', '2028-07-04'],
      ],
      [
        'COUNT counts from DTSTART, before the years asked for too',
        'DTSTART;VALUE=DATE:20250101\r\nRRULE:FREQ=YEARLY;COUNT=3',
        ['2026-01-01', '2027-01-01'],
      ],
      [
        'EXDATE removes an occurrence, RDATE adds one',
        'DTSTART;VALUE=DATE:20260501\r\nRRULE:FREQ=YEARLY\r\nEXDATE;VALUE=DATE:20270501\r\nRDATE;VALUE=DATE:20270503,20270504',
        ['2026-05-01', '2027-05-03', '2027-05-04', '2028-05-01'],
      ],
      ['29 February only in leap years', 'DTSTART;VALUE=DATE:20240229\r\nRRULE:FREQ=YEARLY', ['2028-02-29']],
    ])('%s', (_label, body, dates) => {
      expect(parseIcsHolidays(calendar(body), years)).toEqual({ dates, unexpanded: [] });
    });

    it('reports rules it cannot expand and counts their first date once', () => {
      const text = calendar(
        'DTSTART;VALUE=DATE:20260105\r\nSUMMARY:Team offsite\r\nRRULE:FREQ=MONTHLY;BYDAY=1MO',
        'DTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=YEARLY;BYWEEKNO=1',
        'DTSTART;VALUE=DATE:20260105\r\nSUMMARY:Every Monday in May\r\nRRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=MO',
      );
      expect(parseIcsHolidays(text, years)).toEqual({
        dates: ['2026-01-01', '2026-01-05'],
        unexpanded: ['Team offsite', '2026-01-01', 'Every Monday in May'],
      });
    });
  });
});
