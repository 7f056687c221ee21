// A calendar with no closed time at all (a 24/7 team) has working slots that touch end to end forever;
// measuring and adding business time over it must still terminate and equal wall-clock time.
import { describe, expect, it } from 'vitest';
import {
  addBusinessTime,
  businessTimeBetween,
  createBusinessCalendar,
  nextWorkingStart,
} from '../../src/domain/calendar.ts';

const ALWAYS = Object.fromEntries(
  ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
);

describe('an always-open calendar', () => {
  const calendar = createBusinessCalendar({ timezone: 'Europe/Berlin', hours: ALWAYS, holidays: [] } as Parameters<
    typeof createBusinessCalendar
  >[0]);
  const start = new Date('2026-03-27T10:00:00.000Z'); // spans the spring-forward night in Berlin

  it.each([
    [{ days: 0, minutes: 60, text: '1h' }, '2026-03-27T11:00:00.000Z'],
    [{ days: 1, minutes: 0, text: '1d' }, '2026-03-28T10:00:00.000Z'],
    [{ days: 3, minutes: 0, text: '3d' }, '2026-03-30T09:00:00.000Z'],
    [{ days: 30, minutes: 0, text: '30d' }, '2026-04-26T09:00:00.000Z'],
  ])('adds %o', (duration, expected) => {
    expect(addBusinessTime(start, duration, calendar).toISOString()).toBe(expected);
  });

  it('measures wall-clock time, across weeks', () => {
    const later = new Date(start.getTime() + 20 * 86_400_000 + 123_000);
    expect(businessTimeBetween(start, later, calendar)).toBeCloseTo((20 * 86_400_000 + 123_000) / 60_000, 5);
    expect(nextWorkingStart(start, calendar).toISOString()).toBe(start.toISOString());
  });
});
