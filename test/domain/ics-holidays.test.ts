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
    expect(parseIcsHolidays(calendar(body))).toEqual(dates);
  });

  it('collects, sorts and de-duplicates the dates of every event', () => {
    const text = calendar(
      'DTSTART;VALUE=DATE:20261226',
      'DTSTART;VALUE=DATE:20261225\nDTEND;VALUE=DATE:20261227',
      'SUMMARY:no start',
    );
    expect(parseIcsHolidays(text)).toEqual(['2026-12-25', '2026-12-26']);
  });

  it('caps a runaway event at a year', () => {
    expect(parseIcsHolidays(calendar('DTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20360101'))).toHaveLength(366);
  });

  it('ignores text that is not iCalendar', () => {
    expect(parseIcsHolidays('2026-12-25\nChristmas')).toEqual([]);
  });
});
