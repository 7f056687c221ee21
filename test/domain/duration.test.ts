import { describe, expect, it } from 'vitest';
import { createBusinessCalendar, type TCalendarSpec } from '../../src/domain/calendar.ts';
import {
  formatBusinessMinutes,
  formatBusinessWait,
  formatOverdueBy,
  isZeroDuration,
  parseDuration,
  typicalWorkdayMinutes,
} from '../../src/domain/duration.ts';

// One grammar for every duration Heed reads. Before it, three parsers: the policy file's (config.ts: "1d4h", no
// spaces, lower case), the domain's (spaces and any case) and the slash commands' (any case, no spaces). Every
// form any of them accepted is accepted here, with the same value; the first column says who accepted it.
describe('parseDuration', () => {
  it.each<[string, string, { days: number; minutes: number }]>([
    ['policy, domain, commands', '90m', { days: 0, minutes: 90 }],
    ['policy, domain, commands', '30m', { days: 0, minutes: 30 }],
    ['policy, domain, commands', '4h', { days: 0, minutes: 240 }],
    ['policy, domain, commands', '3d', { days: 3, minutes: 0 }],
    ['policy, domain, commands', '7d', { days: 7, minutes: 0 }],
    ['policy, domain, commands', '1h30m', { days: 0, minutes: 90 }],
    ['policy, domain, commands', '1d4h', { days: 1, minutes: 240 }],
    ['policy, domain, commands', '1d4h30m', { days: 1, minutes: 270 }],
    ['policy, domain, commands', '1d30m', { days: 1, minutes: 30 }],
    ['policy, domain, commands', '0d4h', { days: 0, minutes: 240 }],
    ['policy, domain, commands', '120m', { days: 0, minutes: 120 }],
    ['policy, domain, commands (trimmed)', ' 4h ', { days: 0, minutes: 240 }],
    ['domain, commands', '2H', { days: 0, minutes: 120 }],
    ['domain, commands', '1D4H30M', { days: 1, minutes: 270 }],
    ['domain', '1d 4h', { days: 1, minutes: 240 }],
    ['domain', ' 1d 4h ', { days: 1, minutes: 240 }],
    ['domain', '1h 30m', { days: 0, minutes: 90 }],
    ['domain', '4 h', { days: 0, minutes: 240 }],
    ['domain', '1 d 4 h 30 m', { days: 1, minutes: 270 }],
  ])('%s: %j', (_who, text, expected) => {
    expect(parseDuration(text)).toEqual(expected);
  });

  it('reads zero as a duration of nothing: each caller says whether it may be zero', () => {
    expect(parseDuration('0m')).toEqual({ days: 0, minutes: 0 });
    expect(isZeroDuration(parseDuration('0d0h')!)).toBe(true);
    expect(isZeroDuration(parseDuration('1m')!)).toBe(false);
  });

  it.each(['', ' ', 'h', 'd4h', '1.5h', '4 hours', '-1h', '+1h', '1m1h', '4h1d', '1w', '4', 'soon', '1d,4h'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatBusinessMinutes', () => {
  it.each([
    [0, '0m'],
    [45, '45m'],
    [60, '1h'],
    [95, '1h 35m'],
    [1500, '25h'],
    [-5, '0m'],
  ])('%d → %s', (minutes, text) => {
    expect(formatBusinessMinutes(minutes)).toBe(text);
  });
});

describe('long business durations', () => {
  it.each([
    // Exact below 100 hours: SLA targets and ordinary waits read to the minute.
    [99 * 60 + 59, 480, '99h 59m'],
    // From 100 hours on, whole working days of the calendar, rounded down (never overstated).
    [100 * 60, 480, '12 working days'],
    [1937 * 60 + 7, 480, '242 working days'],
    [1937 * 60 + 7, 450, '258 working days'],
    [1937 * 60 + 7, 1440, '80 working days'],
    [5_000_000, 480, '10,416 working days'],
  ])('%d minutes with %d-minute days → %s', (minutes, workday, text) => {
    expect(formatBusinessMinutes(minutes, workday)).toBe(text);
  });

  it('assumes an 8-hour day when no calendar is known', () => {
    expect(formatBusinessMinutes(1937 * 60 + 7)).toBe('242 working days');
  });

  it.each([
    [95, '1h 35m business'],
    [1937 * 60 + 7, '242 working days'],
  ])('a wait of %d minutes reads %j', (minutes, text) => {
    expect(formatBusinessWait(minutes, 480)).toBe(text);
  });
});

describe('formatOverdueBy', () => {
  it.each([
    [0, undefined],
    [0.4, undefined],
    [0.6, 'overdue by 1m'],
    [95, 'overdue by 1h 35m'],
    [200 * 60, 'overdue by 25 working days'],
  ])('%d minutes → %j ("overdue since …" is the caller\'s, with its due time)', (minutes, text) => {
    expect(formatOverdueBy(minutes, 480)).toBe(text);
  });
});

describe('typicalWorkdayMinutes', () => {
  const at = new Date('2026-03-04T12:00:00Z');
  it.each([
    ['Mon–Fri 09:00–17:00', { mon: [['09:00', '17:00']], fri: [['09:00', '17:00']] }, 480],
    [
      'a split day',
      {
        tue: [
          ['09:00', '12:00'],
          ['13:00', '17:30'],
        ],
      },
      450,
    ],
    ['round the clock', { mon: [['00:00', '24:00']], sat: [['00:00', '24:00']] }, 1440],
    // Four 8-hour days and a 5-hour Friday: 37 hours over 5 days.
    [
      'a short Friday',
      Object.fromEntries([
        ...['mon', 'tue', 'wed', 'thu'].map((d) => [d, [['09:00', '17:00']]]),
        ['fri', [['09:00', '14:00']]],
      ]),
      444,
    ],
  ] as [string, TCalendarSpec['hours'], number][])('%s → %d minutes', (_name, hours, minutes) => {
    const calendar = createBusinessCalendar({ timezone: 'Europe/Berlin', hours });
    expect(typicalWorkdayMinutes(calendar, at)).toBe(minutes);
  });

  it('holidays do not shorten it', () => {
    const hours = { mon: [['09:00', '17:00']], wed: [['09:00', '17:00']] } as const;
    const calendar = createBusinessCalendar({ timezone: 'UTC', hours, holidays: ['2026-02-23', '2026-02-25'] });
    expect(typicalWorkdayMinutes(calendar, at)).toBe(480);
  });
});
