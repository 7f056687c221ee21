// A person's working day, as the morning list sees it: the start from HubSpot hours in the person's zone or the
// team calendar's in their Slack zone, days off (no slot, a team holiday), away at the start (out of office,
// HubSpot "away"), and the catch-up window — across DST changes, a Sunday–Thursday week and zones far from UTC.
import { describe, expect, it } from 'vitest';
import { createTimeZone } from '../../src/domain/time-zone.ts';
import {
  type AwayFacts,
  describeDayStarts,
  describeWeekdays,
  localTime,
  type MorningDecision,
  morningDecision,
  nextWorkingDayStart,
  type WorkingSlot,
  type WorkWeekSources,
  workWeek,
} from '../../src/domain/working-day.ts';

/** Which Slack statuses mean away, as the policy's `away` section says by default. */
const STATUS_RULES = { statusEmoji: [':palm_tree:'], statusText: ['out of office', 'vacation'] };
const TEAM: WorkWeekSources['team'] = {
  name: 'support',
  timezone: 'Europe/Berlin',
  hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]])),
  holidays: ['2026-12-25'],
};

const slots = (weekdays: number[], start: number, end: number): WorkingSlot[] =>
  weekdays.map((weekday) => ({ weekday, startMinute: start, endMinute: end }));
const MON_FRI = [1, 2, 3, 4, 5];
const hubspot = (timeZone: string | null, s: WorkingSlot[]) => ({ hubspot: { timeZone, slots: s }, team: TEAM });
const present: AwayFacts = { availabilityStatus: 'available', outOfOffice: [] };
const at = (iso: string) => new Date(iso);

type Case = [string, WorkWeekSources, AwayFacts, string, Partial<MorningDecision> & { kind: MorningDecision['kind'] }];

const NEW_YORK = hubspot('America/New_York', slots(MON_FRI, 540, 1020));
const KOLKATA_NO_FRIDAY = hubspot('Asia/Kolkata', slots([1, 2, 3, 4], 600, 1080));
const RIYADH_SUN_THU = hubspot('Asia/Riyadh', slots([7, 1, 2, 3, 4], 480, 960));
const BERLIN_0230 = hubspot('Europe/Berlin', slots([1, 2, 3, 4, 5, 6, 7], 150, 600));

describe('morningDecision', () => {
  it.each<Case>([
    // New York, Mon–Fri 09:00: the week US clocks spring forward (Sunday 8 March 2026).
    [
      'NY Friday before the change, 09:00 EST',
      NEW_YORK,
      present,
      '2026-03-06T14:00:00Z',
      { kind: 'send', day: '2026-03-06', startsAt: at('2026-03-06T14:00:00Z'), late: false },
    ],
    ['NY Friday 08:59 EST: not yet', NEW_YORK, present, '2026-03-06T13:59:00Z', { kind: 'not-yet', day: '2026-03-06' }],
    [
      'NY Saturday: no slot',
      NEW_YORK,
      present,
      '2026-03-07T15:00:00Z',
      { kind: 'day-off', day: '2026-03-07', reason: 'no-hours' },
    ],
    [
      'NY Monday after the change, 09:00 EDT is 13:00Z',
      NEW_YORK,
      present,
      '2026-03-09T13:00:00Z',
      { kind: 'send', day: '2026-03-09', startsAt: at('2026-03-09T13:00:00Z') },
    ],
    [
      'NY Monday 14:00Z (EST habit) is an hour in: still sent, late',
      NEW_YORK,
      present,
      '2026-03-09T14:00:00Z',
      { kind: 'send', day: '2026-03-09', late: true },
    ],
    [
      'NY catch-up ends 3 h after the start',
      NEW_YORK,
      present,
      '2026-03-09T16:00:00Z',
      { kind: 'too-late', day: '2026-03-09' },
    ],
    [
      'NY 11:59 EDT: the last minute of catch-up',
      NEW_YORK,
      present,
      '2026-03-09T15:59:00Z',
      { kind: 'send', late: true },
    ],
    // Kolkata, off on Fridays (+05:30: a half-hour zone).
    [
      'Kolkata Thursday 10:00 IST',
      KOLKATA_NO_FRIDAY,
      present,
      '2026-03-05T04:30:00Z',
      { kind: 'send', day: '2026-03-05', startsAt: at('2026-03-05T04:30:00Z') },
    ],
    [
      'Kolkata Friday: day off',
      KOLKATA_NO_FRIDAY,
      present,
      '2026-03-06T04:30:00Z',
      { kind: 'day-off', day: '2026-03-06', reason: 'no-hours' },
    ],
    // A Sunday–Thursday week.
    ['Riyadh Sunday 08:00', RIYADH_SUN_THU, present, '2026-03-08T05:00:00Z', { kind: 'send', day: '2026-03-08' }],
    ['Riyadh Friday', RIYADH_SUN_THU, present, '2026-03-06T05:00:00Z', { kind: 'day-off', reason: 'no-hours' }],
    ['Riyadh Saturday', RIYADH_SUN_THU, present, '2026-03-07T05:00:00Z', { kind: 'day-off', reason: 'no-hours' }],
    // Berlin spring forward (Sunday 29 March 2026): 02:30 does not exist, the day starts at the change (01:00Z).
    [
      'Berlin 02:30 start on the spring-forward night',
      BERLIN_0230,
      present,
      '2026-03-29T01:00:00Z',
      { kind: 'send', day: '2026-03-29', startsAt: at('2026-03-29T01:00:00Z') },
    ],
    [
      'Berlin 02:30 the day before (CET)',
      BERLIN_0230,
      present,
      '2026-03-28T01:30:00Z',
      { kind: 'send', day: '2026-03-28', startsAt: at('2026-03-28T01:30:00Z') },
    ],
    // Berlin fall back (Sunday 25 October 2026): 02:30 happens twice; the first one (CEST, 00:30Z) counts.
    [
      'Berlin 02:30 on the fall-back night: its first occurrence',
      BERLIN_0230,
      present,
      '2026-10-25T00:30:00Z',
      { kind: 'send', day: '2026-10-25', startsAt: at('2026-10-25T00:30:00Z'), late: false },
    ],
    [
      'Berlin the second 02:30 (01:30Z) is an hour in',
      BERLIN_0230,
      present,
      '2026-10-25T01:30:00Z',
      { kind: 'send', day: '2026-10-25', late: true },
    ],
    // Zones far from UTC: the local date is not the UTC date.
    [
      'Kiritimati (+14) Monday 09:00 is Sunday 19:00Z',
      hubspot('Pacific/Kiritimati', slots(MON_FRI, 540, 1020)),
      present,
      '2026-03-01T19:00:00Z',
      { kind: 'send', day: '2026-03-02' },
    ],
    [
      'Kiritimati Saturday 09:00 (Friday 19:00Z) is a day off',
      hubspot('Pacific/Kiritimati', slots(MON_FRI, 540, 1020)),
      present,
      '2026-03-06T19:00:00Z',
      { kind: 'day-off', day: '2026-03-07' },
    ],
    [
      'Pago Pago (−11) Friday 09:00 is Friday 20:00Z',
      hubspot('Pacific/Pago_Pago', slots(MON_FRI, 540, 1020)),
      present,
      '2026-03-06T20:00:00Z',
      { kind: 'send', day: '2026-03-06' },
    ],
    [
      'A 23:00 start, caught up after local midnight, is that evening’s list',
      hubspot('UTC', slots([1], 1380, 1440)),
      present,
      '2026-03-03T00:30:00Z',
      { kind: 'send', day: '2026-03-02', late: true },
    ],
    // Away.
    [
      'Out of office covering the start',
      NEW_YORK,
      { outOfOffice: [{ startsAt: at('2026-03-01T00:00:00Z'), endsAt: at('2026-03-10T00:00:00Z') }] },
      '2026-03-09T13:00:00Z',
      { kind: 'away', reason: 'out-of-office', day: '2026-03-09' },
    ],
    [
      'Out of office starting exactly at the start',
      NEW_YORK,
      { outOfOffice: [{ startsAt: at('2026-03-09T13:00:00Z'), endsAt: at('2026-03-09T17:00:00Z') }] },
      '2026-03-09T13:05:00Z',
      { kind: 'away', reason: 'out-of-office' },
    ],
    [
      'Out of office that ended at the start: back',
      NEW_YORK,
      { outOfOffice: [{ startsAt: at('2026-03-02T00:00:00Z'), endsAt: at('2026-03-09T13:00:00Z') }] },
      '2026-03-09T13:00:00Z',
      { kind: 'send' },
    ],
    [
      'Out of office only in the afternoon: the morning list comes',
      NEW_YORK,
      { outOfOffice: [{ startsAt: at('2026-03-09T18:00:00Z'), endsAt: at('2026-03-09T22:00:00Z') }] },
      '2026-03-09T13:00:00Z',
      { kind: 'send' },
    ],
    [
      'Away in HubSpot',
      NEW_YORK,
      { availabilityStatus: 'AWAY', outOfOffice: [] },
      '2026-03-09T13:00:00Z',
      { kind: 'away', reason: 'hubspot-away' },
    ],
    [
      'A Slack status that means away (the policy’s emoji)',
      NEW_YORK,
      { outOfOffice: [], slack: { status: { emoji: ':palm_tree:', text: 'Beach' }, rules: STATUS_RULES } },
      '2026-03-09T13:00:00Z',
      { kind: 'away', reason: 'slack-status' },
    ],
    [
      'A Slack status that expired before the day started: the list comes',
      NEW_YORK,
      {
        outOfOffice: [],
        slack: {
          status: { emoji: '', text: 'Out of office', expiresAt: at('2026-03-09T12:00:00Z') },
          rules: STATUS_RULES,
        },
      },
      '2026-03-09T13:00:00Z',
      { kind: 'send' },
    ],
    [
      'A Slack status that says nothing of being away ("In a meeting"): the list comes',
      NEW_YORK,
      { outOfOffice: [], slack: { status: { emoji: ':calendar:', text: 'In a meeting' }, rules: STATUS_RULES } },
      '2026-03-09T13:00:00Z',
      { kind: 'send' },
    ],
    // No working hours in HubSpot: the team calendar's hours.
    [
      'No HubSpot hours: team hours in the Slack zone',
      { hubspot: { timeZone: 'America/Chicago', slots: [] }, team: TEAM, slackTimeZone: 'Europe/Lisbon' },
      present,
      '2026-03-02T09:00:00Z',
      { kind: 'send', startsAt: at('2026-03-02T09:00:00Z') },
    ],
    [
      'No HubSpot user, no Slack zone: team hours in the team zone',
      { team: TEAM },
      present,
      '2026-03-02T08:00:00Z',
      { kind: 'send', startsAt: at('2026-03-02T08:00:00Z') },
    ],
    [
      'A Slack zone Heed cannot read: the team zone',
      { team: TEAM, slackTimeZone: 'Mars/Olympus' },
      present,
      '2026-03-02T08:00:00Z',
      { kind: 'send', startsAt: at('2026-03-02T08:00:00Z') },
    ],
    [
      'A team holiday is a day off, HubSpot hours or not',
      hubspot('Europe/Berlin', slots(MON_FRI, 540, 1020)),
      present,
      '2026-12-25T08:00:00Z',
      { kind: 'day-off', reason: 'holiday', day: '2026-12-25' },
    ],
    [
      'HubSpot hours without a HubSpot zone: the Slack zone',
      { hubspot: { timeZone: null, slots: slots(MON_FRI, 480, 960) }, team: TEAM, slackTimeZone: 'Asia/Tokyo' },
      present,
      '2026-03-01T23:00:00Z',
      { kind: 'send', day: '2026-03-02' },
    ],
  ])('%s', (_name, sources, away, now, expected) => {
    expect(morningDecision(workWeek(sources), away, new Date(now))).toMatchObject(expected);
  });

  it('exactly one send per working day when asked every 5 minutes over a DST week', () => {
    const week = workWeek(NEW_YORK);
    const sentDays = new Map<string, number>();
    const seen = new Set<string>();
    for (let t = Date.parse('2026-03-04T00:00:00Z'); t < Date.parse('2026-03-12T00:00:00Z'); t += 5 * 60_000) {
      const d = morningDecision(week, present, new Date(t));
      if (d.kind !== 'send' || seen.has(d.day)) continue;
      // The job sends on the first 'send' of a day; the outbox key keeps later ones out.
      seen.add(d.day);
      sentDays.set(d.day, t);
    }
    expect([...sentDays].map(([day, t]) => [day, new Date(t).toISOString()])).toEqual([
      ['2026-03-04', '2026-03-04T14:00:00.000Z'],
      ['2026-03-05', '2026-03-05T14:00:00.000Z'],
      ['2026-03-06', '2026-03-06T14:00:00.000Z'],
      ['2026-03-09', '2026-03-09T13:00:00.000Z'],
      ['2026-03-10', '2026-03-10T13:00:00.000Z'],
      ['2026-03-11', '2026-03-11T13:00:00.000Z'],
    ]);
  });
});

describe('describing a week', () => {
  it.each<[number[], string]>([
    [[1, 2, 3, 4, 5], 'Mon–Fri'],
    [[7, 1, 2, 3, 4], 'Sun–Thu'],
    [[1, 3], 'Mon, Wed'],
    [[6, 7], 'Sat, Sun'],
    [[1, 2, 3, 4, 5, 6, 7], 'every day'],
    [[5, 6, 7, 1], 'Fri–Mon'],
  ])('%j → %s', (days, text) => {
    expect(describeWeekdays(days)).toBe(text);
  });

  it('groups day starts by time', () => {
    expect(
      describeDayStarts({ slots: [...slots([1, 2], 480, 600), ...slots([3], 600, 900), ...slots([1], 780, 900)] }),
    ).toBe('08:00 Mon, Tue; 10:00 Wed');
    expect(describeDayStarts({ slots: [] })).toBe('no working days');
  });

  it('the next start after now, skipping days off', () => {
    const week = workWeek(KOLKATA_NO_FRIDAY);
    expect(nextWorkingDayStart(week, new Date('2026-03-05T05:00:00Z'))).toEqual({
      day: '2026-03-09',
      startsAt: new Date('2026-03-09T04:30:00Z'),
    });
  });

  it('local times in the person’s zone', () => {
    const ny = createTimeZone('America/New_York');
    const now = new Date('2026-03-09T13:00:00Z');
    expect(localTime(ny, new Date('2026-03-09T18:20:00Z'), now)).toBe('14:20');
    expect(localTime(ny, new Date('2026-03-06T21:50:00Z'), now)).toBe('Fri 16:50');
    expect(localTime(ny, new Date('2026-01-06T21:50:00Z'), now)).toBe('01-06 16:50');
  });
});
