import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import {
  lastMove,
  silenceThreshold,
  silentBusinessDays,
  silentTickets,
  type TSilentSubject,
} from '../../src/domain/silent.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
// Berlin office hours; 2026-12-08 (a Tuesday) is a holiday here, to show it does not count.
const calendar = createBusinessCalendar({
  timezone: 'Europe/Berlin',
  hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
  holidays: ['2026-12-08'],
});
const d = (iso: string) => new Date(iso);

describe('silentBusinessDays: working days that passed entirely since the last move', () => {
  it.each<[string, string, string, number]>([
    [
      'Monday 15:00 → Thursday 09:00 (Berlin): Tuesday and Wednesday',
      '2026-11-30T14:00:00Z',
      '2026-12-03T08:00:00Z',
      2,
    ],
    ['…and once Thursday’s working day is over, three', '2026-11-30T14:00:00Z', '2026-12-03T16:30:00Z', 3],
    ['the hour of the last move does not matter (Monday 08:00)', '2026-11-30T07:00:00Z', '2026-12-03T08:00:00Z', 2],
    ['a weekend does not count (Friday → Wednesday morning)', '2026-11-27T15:00:00Z', '2026-12-02T07:00:00Z', 2],
    ['a holiday does not count (Monday 7 Dec → Thursday 10 Dec)', '2026-12-07T10:00:00Z', '2026-12-10T08:00:00Z', 1],
    ['moved today: none', '2026-12-03T08:30:00Z', '2026-12-03T16:30:00Z', 0],
    ['local days, not UTC: Monday 23:30 UTC is Tuesday in Berlin', '2026-11-30T23:30:00Z', '2026-12-02T16:30:00Z', 1],
  ])('%s', (_label, since, now, expected) => {
    expect(silentBusinessDays(d(since), d(now), calendar)).toBe(expected);
  });

  it('stops counting at the cap (an old ticket does not walk years of calendar)', () => {
    expect(silentBusinessDays(d('2020-01-01T00:00:00Z'), d('2026-12-03T16:30:00Z'), calendar, 10)).toBe(10);
  });
});

const subject = (id: string, over: Partial<TSilentSubject> = {}): TSilentSubject => ({
  id,
  stageId: '2',
  isClosed: false,
  createdAt: d('2026-11-23T09:00:00Z'),
  stageEnteredAt: null,
  lastCustomerMessageAt: null,
  lastAgentMessageAt: null,
  ...over,
});

describe('lastMove: created, entered its stage, or a message either way', () => {
  it.each<[string, Partial<TSilentSubject>, string]>([
    ['only created', {}, '2026-11-23T09:00:00.000Z'],
    ['entered its stage later', { stageEnteredAt: d('2026-11-25T10:00:00Z') }, '2026-11-25T10:00:00.000Z'],
    [
      'a customer message after the stage change',
      { stageEnteredAt: d('2026-11-25T10:00:00Z'), lastCustomerMessageAt: d('2026-11-26T08:00:00Z') },
      '2026-11-26T08:00:00.000Z',
    ],
    [
      'an agent reply is a move too',
      { lastCustomerMessageAt: d('2026-11-26T08:00:00Z'), lastAgentMessageAt: d('2026-11-27T08:00:00Z') },
      '2026-11-27T08:00:00.000Z',
    ],
  ])('%s', (_label, over, expected) => {
    expect(lastMove(subject('t', over)).toISOString()).toBe(expected);
  });
});

describe('silentTickets', () => {
  const settings = { afterDays: 3, stages: { '1': 1, '4': 0 } };
  const now = d('2026-12-03T08:00:00Z'); // Thursday 09:00 Berlin

  it.each<[string, Partial<TSilentSubject>, number | null]>([
    ['silent 2 days in a 3-day stage: not yet', { stageEnteredAt: d('2026-11-30T14:00:00Z') }, null],
    ['silent 3 days (since Friday): listed', { stageEnteredAt: d('2026-11-27T14:00:00Z') }, 3],
    ['a stage with its own, shorter limit (1 day)', { stageId: '1', stageEnteredAt: d('2026-12-01T14:00:00Z') }, 1],
    ['a stage set to 0 is never listed', { stageId: '4', createdAt: d('2026-10-01T09:00:00Z') }, null],
    ['no stage: the default applies', { stageId: null, stageEnteredAt: d('2026-11-26T09:00:00Z') }, 4],
    ['closed tickets are never silent', { isClosed: true, createdAt: d('2026-10-01T09:00:00Z') }, null],
    [
      'a recent message resets the silence',
      { stageEnteredAt: d('2026-11-20T09:00:00Z'), lastCustomerMessageAt: d('2026-12-02T10:00:00Z') },
      null,
    ],
  ])('%s', (_label, over, expectedDays) => {
    const found = silentTickets([subject('t', over)], now, calendar, settings);
    expect(found.map((s) => s.silentDays)).toEqual(expectedDays === null ? [] : [expectedDays]);
  });

  it('lists the longest silent first, each with the threshold that listed it', () => {
    const found = silentTickets(
      [
        subject('a', { stageEnteredAt: d('2026-11-27T14:00:00Z') }),
        subject('b', { createdAt: d('2026-11-16T09:00:00Z') }),
        subject('c', { stageId: '1', stageEnteredAt: d('2026-12-01T14:00:00Z') }),
      ],
      now,
      calendar,
      settings,
    );
    expect(found.map((s) => [s.ticketId, s.silentDays, s.afterDays])).toEqual([
      ['b', 12, 3],
      ['a', 3, 3],
      ['c', 1, 1],
    ]);
  });

  it('a stage threshold overrides the default, and an unknown stage takes the default', () => {
    expect([silenceThreshold(settings, '1'), silenceThreshold(settings, '4'), silenceThreshold(settings, 'x')]).toEqual(
      [1, 0, 3],
    );
  });
});
