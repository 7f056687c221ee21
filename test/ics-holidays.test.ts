import { describe, expect, it } from 'vitest';
import { type IcsHolidayOptions, parseIcsHolidays } from '../src/ics-holidays.ts';

const calendar = (...events: string[]) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    ...events.map((e) => `BEGIN:VEVENT\r\n${e}\r\nEND:VEVENT`),
    'END:VCALENDAR',
  ].join('\r\n');

/** Holidays of a calendar in UTC, for the years around the test dates. */
const UTC: IcsHolidayOptions = { timeZone: 'UTC', fromYear: 1970, toYear: 2100 };
const BERLIN: IcsHolidayOptions = { ...UTC, timeZone: 'Europe/Berlin' };

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
    expect(parseIcsHolidays(calendar(body), UTC)).toEqual({ dates, unexpanded: [] });
  });

  it('collects, sorts and de-duplicates the dates of every event', () => {
    const text = calendar(
      'DTSTART;VALUE=DATE:20261226',
      'DTSTART;VALUE=DATE:20261225\nDTEND;VALUE=DATE:20261227',
      'SUMMARY:no start',
    );
    expect(parseIcsHolidays(text, UTC).dates).toEqual(['2026-12-25', '2026-12-26']);
  });

  it('caps a runaway event at a year', () => {
    expect(
      parseIcsHolidays(calendar('DTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20360101'), UTC).dates,
    ).toHaveLength(366);
  });

  it('says why text that is not iCalendar cannot be read', () => {
    expect(parseIcsHolidays('2026-12-25\nChristmas', UTC)).toEqual({
      dates: [],
      unexpanded: [],
      error: expect.stringContaining('invalid line'),
    });
  });

  describe('yearly rules', () => {
    const years = { timeZone: 'UTC', fromYear: 2026, toYear: 2028 };
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

    it('expands the rules the hand-written expander could not (monthly, BYDAY without an ordinal), DTSTART included', () => {
      const text = calendar(
        'DTSTART;VALUE=DATE:20260105\r\nSUMMARY:Team offsite\r\nRRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=3',
        'DTSTART;VALUE=DATE:20260105\r\nSUMMARY:Every Monday in May\r\nRRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=MO;UNTIL=20261231',
      );
      expect(parseIcsHolidays(text, years)).toEqual({
        dates: ['2026-01-05', '2026-02-02', '2026-03-02', '2026-05-04', '2026-05-11', '2026-05-18', '2026-05-25'],
        unexpanded: [],
      });
    });
  });

  describe('weekly and monthly rules', () => {
    const years = { timeZone: 'UTC', fromYear: 2026, toYear: 2026 };
    it.each<[string, string, string[]]>([
      [
        'every Friday in August (WEEKLY with UNTIL)',
        'DTSTART;VALUE=DATE:20260807\r\nRRULE:FREQ=WEEKLY;BYDAY=FR;UNTIL=20260831',
        ['2026-08-07', '2026-08-14', '2026-08-21', '2026-08-28'],
      ],
      [
        'every other Monday, three times (WEEKLY, INTERVAL, COUNT)',
        'DTSTART;VALUE=DATE:20260105\r\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3',
        ['2026-01-05', '2026-01-19', '2026-02-02'],
      ],
      [
        'the last day of each quarter (MONTHLY, BYMONTHDAY=-1, BYMONTH)',
        'DTSTART;VALUE=DATE:20260331\r\nRRULE:FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1',
        ['2026-03-31', '2026-06-30', '2026-09-30', '2026-12-31'],
      ],
      [
        'the 31st only in months that have one',
        'DTSTART;VALUE=DATE:20260731\r\nRRULE:FREQ=MONTHLY;COUNT=3',
        ['2026-07-31', '2026-08-31', '2026-10-31'],
      ],
      [
        'a two-day event every month keeps its length',
        'DTSTART;VALUE=DATE:20261001\r\nDTEND;VALUE=DATE:20261003\r\nRRULE:FREQ=MONTHLY;COUNT=2',
        ['2026-10-01', '2026-10-02', '2026-11-01', '2026-11-02'],
      ],
    ])('%s', (_label, body, dates) => {
      expect(parseIcsHolidays(calendar(body), years)).toEqual({ dates, unexpanded: [] });
    });

    it('leaves out an occurrence moved (RECURRENCE-ID) to another day or cancelled, and counts the moved one', () => {
      const text = calendar(
        'UID:standup-holiday\r\nDTSTART;VALUE=DATE:20260601\r\nRRULE:FREQ=WEEKLY;COUNT=3',
        'UID:standup-holiday\r\nRECURRENCE-ID;VALUE=DATE:20260608\r\nDTSTART;VALUE=DATE:20260610',
        'UID:standup-holiday\r\nRECURRENCE-ID;VALUE=DATE:20260615\r\nDTSTART;VALUE=DATE:20260615\r\nSTATUS:CANCELLED',
      );
      expect(parseIcsHolidays(text, years).dates).toEqual(['2026-06-01', '2026-06-10']);
    });

    it('reports a rule that cannot be expanded and counts its first date once', () => {
      const text = calendar('DTSTART;VALUE=DATE:20260101\r\nSUMMARY:New Year\r\nRRULE:FREQ=YEARLY;BYWEEKNO=1');
      expect(parseIcsHolidays(text, years)).toEqual({ dates: ['2026-01-01'], unexpanded: ['New Year'] });
    });

    it('reads a file of bare VEVENTs, without VCALENDAR', () => {
      const text =
        'BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260501\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20260502\r\nEND:VEVENT';
      expect(parseIcsHolidays(text, years).dates).toEqual(['2026-05-01', '2026-05-02']);
    });
  });

  describe('time zones: timed events count on the days they touch in the team’s zone', () => {
    it.each<[string, IcsHolidayOptions, string, string[]]>([
      [
        'a UTC evening is the next morning in Berlin',
        BERLIN,
        'DTSTART:20261224T233000Z\r\nDTEND:20261225T030000Z',
        ['2026-12-25'],
      ],
      [
        'the same event in a UTC calendar spans two days',
        UTC,
        'DTSTART:20261224T233000Z\r\nDTEND:20261225T030000Z',
        ['2026-12-24', '2026-12-25'],
      ],
      [
        'a TZID is honoured: a Los Angeles evening is the next day in Berlin',
        BERLIN,
        'DTSTART;TZID=America/Los_Angeles:20261224T200000\r\nDTEND;TZID=America/Los_Angeles:20261224T230000',
        ['2026-12-25'],
      ],
      [
        'start and end in different zones',
        BERLIN,
        'DTSTART;TZID=Asia/Tokyo:20261231T080000\r\nDTEND;TZID=America/New_York:20261231T120000',
        ['2026-12-31'],
      ],
      [
        'a floating time is the team’s own wall time',
        BERLIN,
        'DTSTART:20261224T230000\r\nDTEND:20261225T010000',
        ['2026-12-24', '2026-12-25'],
      ],
      [
        'an all-day date is the same date in any zone',
        { ...BERLIN, timeZone: 'Pacific/Kiritimati' },
        'DTSTART;VALUE=DATE:20261225',
        ['2026-12-25'],
      ],
    ])('%s', (_label, options, body, dates) => {
      expect(parseIcsHolidays(calendar(body), options)).toEqual({ dates, unexpanded: [] });
    });

    it('places a weekly timed rule in its TZID across a DST change (wall time kept, as RFC 5545 says)', () => {
      // 23:30 in New York every Saturday: 04:30 UTC the next day before and after the November change.
      const text = calendar(
        'DTSTART;TZID=America/New_York:20261024T233000\r\nDTEND;TZID=America/New_York:20261024T235900\r\nRRULE:FREQ=WEEKLY;COUNT=3',
      );
      expect(parseIcsHolidays(text, UTC).dates).toEqual(['2026-10-25', '2026-11-01', '2026-11-08']);
    });

    it('reads a zone the file defines itself (VTIMEZONE with a Windows name, as Outlook exports)', () => {
      const text = [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN',
        'BEGIN:VTIMEZONE',
        'TZID:W. Europe Standard Time',
        'BEGIN:STANDARD',
        'DTSTART:16011028T030000',
        'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10',
        'TZOFFSETFROM:+0200',
        'TZOFFSETTO:+0100',
        'END:STANDARD',
        'BEGIN:DAYLIGHT',
        'DTSTART:16010325T020000',
        'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3',
        'TZOFFSETFROM:+0100',
        'TZOFFSETTO:+0200',
        'END:DAYLIGHT',
        'END:VTIMEZONE',
        'BEGIN:VEVENT',
        'DTSTART;TZID=W. Europe Standard Time:20261225T003000',
        'DTEND;TZID=W. Europe Standard Time:20261225T020000',
        'END:VEVENT',
        'END:VCALENDAR',
      ].join('\r\n');
      // 00:30–02:00 in Berlin is 23:30–01:00 UTC: both days in a UTC calendar, only the 25th in Berlin.
      expect(parseIcsHolidays(text, UTC).dates).toEqual(['2026-12-24', '2026-12-25']);
      expect(parseIcsHolidays(text, BERLIN).dates).toEqual(['2026-12-25']);
    });
  });
});
