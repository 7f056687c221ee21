import { describe, expect, it } from 'vitest';
import {
  type AwayRules,
  awayState,
  nextWorkingStart,
  type Person,
  slackStatusMeansAway,
  workingDayStart,
  workingHoursOf,
} from '../../src/domain/availability.ts';

const RULES: AwayRules = {
  statusEmoji: [':palm_tree:', ':airplane:', ':face_with_thermometer:'],
  statusText: ['out of office', 'vacation', 'OOO'],
  outsideWorkingHours: true,
};
const d = (iso: string) => new Date(iso);
// Monday to Friday 09:00–17:00 in Berlin (UTC+1 in March until the 29th).
const BERLIN_WEEK = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, startMinute: 540, endMinute: 1020 }));
const anna = (over: Partial<NonNullable<Person['hubspot']>> = {}, slack?: Person['slack']): Person => ({
  hubspot: { availabilityStatus: 'available', timeZone: 'Europe/Berlin', workingHours: BERLIN_WEEK, ...over },
  slack,
});

describe('awayState', () => {
  it.each([
    ['available in working hours', anna(), '2026-03-02T10:00:00Z', { away: false }],
    [
      'HubSpot says away (no end known)',
      anna({ availabilityStatus: 'AWAY' }),
      '2026-03-02T10:00:00Z',
      { away: true, reason: 'hubspot-away', until: undefined },
    ],
    [
      'an out-of-office period covering now: until its end',
      anna({ outOfOffice: [{ startsAt: d('2026-03-01T00:00:00Z'), endsAt: d('2026-03-04T12:00:00Z') }] }),
      '2026-03-02T10:00:00Z',
      { away: true, reason: 'out-of-office', until: d('2026-03-04T12:00:00Z') },
    ],
    [
      'out of office ending at night: back at the next working start',
      anna({ outOfOffice: [{ startsAt: d('2026-03-01T00:00:00Z'), endsAt: d('2026-03-04T22:00:00Z') }] }),
      '2026-03-02T10:00:00Z',
      { away: true, reason: 'out-of-office', until: d('2026-03-05T08:00:00Z') },
    ],
    [
      'a period already over is no reason',
      anna({ outOfOffice: [{ startsAt: d('2026-02-20T00:00:00Z'), endsAt: d('2026-03-01T00:00:00Z') }] }),
      '2026-03-02T10:00:00Z',
      { away: false },
    ],
    [
      'Friday evening in Berlin: off until Monday 09:00 Berlin',
      anna(),
      '2026-03-06T17:30:00Z',
      { away: true, reason: 'off-hours', until: d('2026-03-09T08:00:00Z') },
    ],
    [
      'before the working day, in their zone (07:30 Berlin)',
      anna(),
      '2026-03-03T06:30:00Z',
      { away: true, reason: 'off-hours', until: d('2026-03-03T08:00:00Z') },
    ],
    [
      'no working hours in HubSpot: never off-hours',
      anna({ workingHours: [] }),
      '2026-03-07T03:00:00Z',
      { away: false },
    ],
    [
      'working hours but an unknown zone: never off-hours',
      anna({ timeZone: 'Mars/Olympus' }),
      '2026-03-07T03:00:00Z',
      { away: false },
    ],
    [
      'a Slack vacation emoji with an expiry: until it expires',
      anna({}, { emoji: ':palm_tree:', text: 'Back soon', expiresAt: d('2026-03-03T08:00:00Z') }),
      '2026-03-02T10:00:00Z',
      { away: true, reason: 'slack-status', until: d('2026-03-03T08:00:00Z'), status: ':palm_tree: Back soon' },
    ],
    [
      'a Slack status that expired is no reason',
      anna({}, { emoji: ':palm_tree:', text: '', expiresAt: d('2026-03-02T09:00:00Z') }),
      '2026-03-02T10:00:00Z',
      { away: false },
    ],
    [
      'a Slack status text "OOO" with no expiry',
      { slack: { emoji: '', text: 'OOO till Monday' } },
      '2026-03-02T10:00:00Z',
      { away: true, reason: 'slack-status', until: undefined, status: 'OOO till Monday' },
    ],
    [
      'an unrelated Slack status',
      { slack: { emoji: ':spiral_calendar_pad:', text: 'In a meeting' } },
      '2026-03-02T10:00:00Z',
      { away: false },
    ],
    [
      'Slack status ends in the evening: away until the next morning',
      anna({}, { emoji: ':face_with_thermometer:', text: 'Sick', expiresAt: d('2026-03-02T22:59:00Z') }),
      '2026-03-02T10:00:00Z',
      { away: true, reason: 'slack-status', until: d('2026-03-03T08:00:00Z'), status: ':face_with_thermometer: Sick' },
    ],
  ])('%s', (_name, person, now, expected) => {
    expect(awayState(person, d(now), RULES)).toEqual(expected);
  });

  it('outside working hours does not count when the policy says so', () => {
    expect(awayState(anna(), d('2026-03-07T03:00:00Z'), { ...RULES, outsideWorkingHours: false })).toEqual({
      away: false,
    });
  });
});

describe('Slack status words', () => {
  it.each([
    ['', 'Out of Office', true],
    ['', 'on vacation 🏖', true],
    ['', 'Zooom call', false],
    ['', 'ooo', true],
    [':AIRPLANE:', '', true],
    [':coffee:', 'coffee', false],
  ])('%s %s → %s', (emoji, text, away) => {
    expect(slackStatusMeansAway({ emoji, text }, RULES)).toBe(away);
  });
});

describe('working day', () => {
  const hours = workingHoursOf({ timeZone: 'America/New_York', workingHours: BERLIN_WEEK })!;
  it('next start and start of day in the person’s zone', () => {
    // Saturday noon in New York → Monday 09:00 New York (14:00 UTC).
    expect(new Date(nextWorkingStart(hours, Date.parse('2026-03-07T17:00:00Z'))!).toISOString()).toBe(
      '2026-03-09T13:00:00.000Z',
    );
    expect(new Date(workingDayStart(hours, Date.parse('2026-03-03T20:00:00Z'))!).toISOString()).toBe(
      '2026-03-03T14:00:00.000Z',
    );
    expect(workingDayStart(hours, Date.parse('2026-03-07T17:00:00Z'))).toBeUndefined();
  });
});
