import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TWeekday, WEEKDAYS } from '../../src/domain/week.ts';
import { isAppError } from '../../src/errors.ts';
import {
  compileSchedule,
  cronSchedule,
  dailySchedule,
  everySchedule,
  missedOccurrences,
  type TSchedule,
} from '../../src/jobs/schedule.ts';

const ALL_DAYS = WEEKDAYS;
const iso = (d: Date) => d.toISOString();
const between = (schedule: TSchedule, from: string, to: string) =>
  compileSchedule(schedule)
    .between(new Date(from), new Date(to))
    .map((o) => [o.key, iso(o.at)]);

describe('daily schedules (digests, weekly reports)', () => {
  it.each([
    // zone, time, local day, expected instant
    ['Europe/Berlin', '09:00', '2026-11-23', '2026-11-23T08:00:00.000Z'],
    ['Europe/Berlin', '09:00', '2026-07-01', '2026-07-01T07:00:00.000Z'],
    ['Europe/Berlin', '02:30', '2027-03-27', '2027-03-27T01:30:00.000Z'],
    // spring forward: 02:30 does not exist; the first valid instant after it is the change, 03:00 CEST
    ['Europe/Berlin', '02:30', '2027-03-28', '2027-03-28T01:00:00.000Z'],
    ['Europe/Berlin', '02:30', '2027-03-29', '2027-03-29T00:30:00.000Z'],
    // fall back: 02:30 happens twice; the first (CEST) counts
    ['Europe/Berlin', '02:30', '2026-10-25', '2026-10-25T00:30:00.000Z'],
    ['America/New_York', '09:00', '2026-11-23', '2026-11-23T14:00:00.000Z'],
    ['America/New_York', '02:30', '2027-03-14', '2027-03-14T07:00:00.000Z'],
    ['America/New_York', '01:30', '2026-11-01', '2026-11-01T05:30:00.000Z'],
    ['Asia/Kolkata', '09:00', '2026-11-23', '2026-11-23T03:30:00.000Z'],
    ['Asia/Kolkata', '00:15', '2026-11-23', '2026-11-22T18:45:00.000Z'],
    ['Australia/Sydney', '09:00', '2026-11-23', '2026-11-22T22:00:00.000Z'],
    ['Australia/Sydney', '02:30', '2026-10-04', '2026-10-03T16:00:00.000Z'],
    ['Australia/Sydney', '02:30', '2027-04-04', '2027-04-03T15:30:00.000Z'],
    ['UTC', '24:00', '2026-11-23', '2026-11-24T00:00:00.000Z'],
  ])('%s %s on %s fires at %s', (zone, time, day, expected) => {
    const schedule = dailySchedule(time, ALL_DAYS, zone);
    const dayStart = Date.parse(`${day}T00:00:00Z`);
    const found = compileSchedule(schedule)
      .between(new Date(dayStart - 2 * 86_400_000), new Date(dayStart + 3 * 86_400_000))
      .filter((o) => o.key === day);
    expect(found.map((o) => iso(o.at))).toEqual([expected]);
  });

  it.each([
    ['Europe/Berlin', '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z'],
    ['America/New_York', '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z'],
    ['Australia/Sydney', '2027-04-03T00:00:00Z', '2027-04-05T00:00:00Z'],
  ])('never fires twice on a fall-back day in %s', (zone, from, to) => {
    const found = between(dailySchedule('02:30', ALL_DAYS, zone), from, to).map(([key]) => key);
    expect(new Set(found).size).toBe(found.length);
    expect(found).toHaveLength(2);
  });

  it('runs only on its days: Mon–Fri skips the weekend', () => {
    const found = between(
      dailySchedule('09:00', ['mon', 'tue', 'wed', 'thu', 'fri'], 'Europe/Berlin'),
      '2026-11-20T00:00:00Z',
      '2026-11-24T00:00:00Z',
    );
    expect(found).toEqual([
      ['2026-11-20', '2026-11-20T08:00:00.000Z'],
      ['2026-11-23', '2026-11-23T08:00:00.000Z'],
    ]);
  });

  it.each([
    // a weekly report on Mondays 09:00 Berlin, asked at various instants
    ['2026-11-22T10:00:00Z', '2026-11-23', '2026-11-23T08:00:00.000Z'],
    ['2026-11-23T08:00:00Z', '2026-11-30', '2026-11-30T08:00:00.000Z'],
    ['2026-11-23T07:59:59Z', '2026-11-23', '2026-11-23T08:00:00.000Z'],
    ['2027-03-23T12:00:00Z', '2027-03-29', '2027-03-29T07:00:00.000Z'],
  ])('next weekly report after %s is %s at %s', (after, key, at) => {
    const next = compileSchedule(dailySchedule('09:00', ['mon'], 'Europe/Berlin')).next(new Date(after));
    expect(next && [next.key, iso(next.at)]).toEqual([key, at]);
  });

  it('rejects a bad time or day list with a fix', () => {
    for (const schedule of [
      dailySchedule('9am', ['mon'], 'UTC'),
      dailySchedule('09:00', [], 'UTC'),
      dailySchedule('09:00', ['monday' as TWeekday], 'UTC'),
      dailySchedule('09:00', ['mon'], 'Mars/Olympus'),
    ]) {
      let error: unknown;
      try {
        compileSchedule(schedule);
      } catch (caught) {
        error = caught;
      }
      expect(isAppError(error) && error.code === 'CONFIG_INVALID' && error.fix).toBeTruthy();
    }
  });

  it('yields exactly one occurrence per scheduled local day for any split of time (property)', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'UTC'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 1440 }),
        fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2028-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.array(fc.integer({ min: 1, max: 5 * 86_400_000 }), { minLength: 1, maxLength: 6 }),
        (zone, minute, start, steps) => {
          const time = `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
          const schedule = compileSchedule(dailySchedule(time, ALL_DAYS, zone));
          const cuts = [start.getTime()];
          for (const step of steps) cuts.push(cuts.at(-1)! + step);
          const pieces = cuts
            .slice(1)
            .flatMap((to, i) => schedule.between(new Date(cuts[i]!), new Date(to)).map((o) => o.key));
          const whole = schedule.between(new Date(cuts[0]!), new Date(cuts.at(-1)!)).map((o) => o.key);
          expect(pieces).toEqual(whole);
          expect(new Set(whole).size).toBe(whole.length);
          // consecutive local days, no gaps
          for (let i = 1; i < whole.length; i++) {
            expect(Date.parse(whole[i]!) - Date.parse(whole[i - 1]!)).toBe(86_400_000);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('cron schedules (node-cron expressions)', () => {
  it('lists the slots of */5 in a window, keyed by wall time', () => {
    expect(between(cronSchedule('*/5 * * * *'), '2026-11-23T10:00:00Z', '2026-11-23T10:15:00Z')).toEqual([
      ['2026-11-23T10:05', '2026-11-23T10:05:00.000Z'],
      ['2026-11-23T10:10', '2026-11-23T10:10:00.000Z'],
      ['2026-11-23T10:15', '2026-11-23T10:15:00.000Z'],
    ]);
  });

  it('runs the repeated fall-back hour once (Europe/Berlin, */15)', () => {
    const found = between(
      cronSchedule('*/15 * * * *', 'Europe/Berlin'),
      '2026-10-24T23:50:00Z',
      '2026-10-25T02:10:00Z',
    );
    expect(found.map(([, at]) => at)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T00:15:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T00:45:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
  });

  it.each([
    ['America/New_York', '30 1 * * *', '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z', 2],
    ['Europe/Berlin', '30 2 * * *', '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z', 2],
    // spring forward: 02:30 never happens on 2027-03-28, node-cron's rule for cron expressions
    ['Europe/Berlin', '30 2 * * *', '2027-03-27T12:00:00Z', '2027-03-29T12:00:00Z', 1],
    ['Asia/Kolkata', '0 9 * * 1', '2026-11-22T00:00:00Z', '2026-11-24T00:00:00Z', 1],
    ['Asia/Kolkata', '0 9 * * *', '2026-11-22T00:00:00Z', '2026-11-24T00:00:00Z', 2],
  ])('%s "%s" between %s and %s fires %i times', (zone, expression, from, to, count) => {
    expect(between(cronSchedule(expression, zone), from, to)).toHaveLength(count);
  });

  it('walks at most the last three days of a longer window (a tick never looks further back)', () => {
    const found = between(cronSchedule('0 12 * * *'), '2026-11-01T00:00:00Z', '2026-11-23T13:00:00Z');
    expect(found.map(([key]) => key)).toEqual(['2026-11-21T12:00', '2026-11-22T12:00', '2026-11-23T12:00']);
  });

  it('finds the next slot', () => {
    const next = compileSchedule(cronSchedule('0 9 * * 1', 'Australia/Sydney')).next(new Date('2026-11-23T10:00:00Z'));
    expect(next && iso(next.at)).toBe('2026-11-29T22:00:00.000Z');
  });

  it('rejects an invalid expression naming the field', () => {
    expect(() => compileSchedule(cronSchedule('61 * * * *'))).toThrow(/not a valid cron expression/);
  });
});

describe('every-N-minutes schedules', () => {
  it('agrees with the cron */N expression for N dividing 60 (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 5, 10, 15, 30),
        fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 6 * 3_600_000 }),
        (minutes, from, span) => {
          const to = new Date(from.getTime() + span);
          const every = compileSchedule(everySchedule(minutes)).between(from, to);
          const cron = compileSchedule(cronSchedule(`*/${minutes} * * * *`)).between(from, to);
          expect(every.map((o) => iso(o.at))).toEqual(cron.map((o) => iso(o.at)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps a 7-minute interval aligned across hours', () => {
    const found = between(everySchedule(7), '2026-11-23T10:00:00Z', '2026-11-23T10:30:00Z');
    const gaps = found.slice(1).map(([, at], i) => Date.parse(at!) - Date.parse(found[i]![1]!));
    expect(gaps.every((gap) => gap === 7 * 60_000)).toBe(true);
    expect(found[0]![0]).toMatch(/^2026-11-23T10:\d\dZ$/);
  });

  it('rejects intervals cron cannot mean', () => {
    expect(() => compileSchedule(everySchedule(0))).toThrow(/not supported/);
    expect(() => compileSchedule(everySchedule(1.5))).toThrow(/not supported/);
  });
});

describe('missed occurrences (digest catch-up)', () => {
  const digest = compileSchedule(dailySchedule('09:00', ['mon', 'tue', 'wed', 'thu', 'fri'], 'Europe/Berlin'));
  const grace = 3 * 3_600_000;

  it.each([
    ['2026-11-23T09:30:00Z', [], ['2026-11-23']],
    ['2026-11-23T08:00:00Z', [], ['2026-11-23']],
    ['2026-11-23T11:00:00Z', [], ['2026-11-23']],
    ['2026-11-23T11:00:01Z', [], []],
    ['2026-11-23T07:59:00Z', [], []],
    ['2026-11-23T09:30:00Z', ['2026-11-23'], []],
    // Saturday: no digest due
    ['2026-11-28T09:30:00Z', [], []],
  ])('at %s with %j done, owes %j', (now, done, expected) => {
    const missed = missedOccurrences(digest, new Date(now), grace, (o) => (done as string[]).includes(o.key));
    expect(missed.map((o) => o.key)).toEqual(expected);
  });
});
