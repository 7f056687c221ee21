import { describe, expect, it } from 'vitest';
import { createBusinessCalendar, type TInterval } from '../../src/domain/calendar.ts';
import {
  decideEscalation,
  overdueExceedsAt,
  overdueMinutesSince,
  type TEscalationInput,
} from '../../src/domain/escalation.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const calendar = createBusinessCalendar({
  timezone: 'UTC',
  hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
});
// Monday 2026-11-23 and the Friday before, UTC.
const mon = (time: string) => new Date(`2026-11-23T${time}:00Z`);
const fri = (time: string) => new Date(`2026-11-20T${time}:00Z`);
const now = mon('12:00');

const base: TEscalationInput = {
  state: 'at_risk',
  level: 0,
  targetMinutes: 60,
  dueAt: mon('12:30'),
  lateStartAt: null,
  claimedAt: null,
  snoozedUntil: null,
  escalateAfter: 0.5,
  calendar,
  pauses: [],
};

type Expected = { level: number; stepDue: boolean; deferredBy?: string; nextAt?: Date | undefined };

describe('decideEscalation: the ladder of a breach Heed saw happen', () => {
  it.each<[string, Partial<TEscalationInput>, Expected]>([
    ['at risk: nudge', {}, { level: 1, stepDue: true }],
    ['at risk again: nothing new', { level: 1 }, { level: 1, stepDue: false }],
    ['breached: ping the owner', { state: 'breached', level: 1, dueAt: mon('11:45') }, { level: 2, stepDue: true }],
    [
      'breached by exactly half the target: not yet, next check a minute later',
      { state: 'breached', level: 2, dueAt: mon('11:30') },
      { level: 2, stepDue: false, nextAt: mon('12:01') },
    ],
    [
      'breached by more than half: escalate',
      { state: 'breached', level: 2, dueAt: mon('11:29') },
      { level: 3, stepDue: true, nextAt: undefined },
    ],
    [
      'straight to the top takes one step',
      { state: 'breached', level: 0, dueAt: mon('10:00') },
      { level: 3, stepDue: true },
    ],
    [
      'configurable threshold',
      { state: 'breached', level: 2, dueAt: mon('11:29'), escalateAfter: 1 },
      { level: 2, stepDue: false, nextAt: mon('12:30') },
    ],
    [
      'business minutes: Friday 16:50 due, Monday 09:20 is 30 minutes overdue',
      { state: 'breached', level: 2, dueAt: fri('16:50') },
      { level: 2, stepDue: false },
    ],
    ['never goes down', { state: 'at_risk', level: 3 }, { level: 3, stepDue: false }],
    [
      'snoozed: deferred until the snooze ends',
      { state: 'breached', level: 1, dueAt: mon('11:45'), snoozedUntil: mon('13:00') },
      { level: 1, stepDue: false, deferredBy: 'snooze', nextAt: mon('13:00') },
    ],
    [
      'snooze over: the step happens',
      { state: 'breached', level: 1, dueAt: mon('11:45'), snoozedUntil: mon('11:00') },
      { level: 2, stepDue: true },
    ],
    [
      'claimed 10 min ago: the escalation channel waits for the window after the claim',
      { state: 'breached', level: 2, dueAt: mon('10:20'), claimedAt: mon('11:50') },
      { level: 2, stepDue: false, deferredBy: 'claim', nextAt: mon('12:21') },
    ],
    [
      'claimed 40 min ago: escalate',
      { state: 'breached', level: 2, dueAt: mon('10:20'), claimedAt: mon('11:20') },
      { level: 3, stepDue: true },
    ],
    [
      'claimed before the due time: counts from the due time',
      { state: 'breached', level: 2, dueAt: mon('11:00'), claimedAt: mon('10:00') },
      { level: 3, stepDue: true },
    ],
    [
      'handled: stops for the cycle',
      { state: 'handled', level: 1, dueAt: mon('08:00') },
      { level: 1, stepDue: false, deferredBy: 'handled', nextAt: undefined },
    ],
    ['feedback pending: nudge', { state: 'pending' }, { level: 1, stepDue: true }],
    ['feedback overdue: ping', { state: 'overdue', level: 1, dueAt: mon('11:50') }, { level: 2, stepDue: true }],
    ['resolved: nothing', { state: 'resolved', level: 1 }, { level: 1, stepDue: false }],
  ])('%s', (_label, over, expected) => {
    const at = _label.startsWith('business minutes') ? mon('09:20') : now;
    const decision = decideEscalation({ ...base, ...over }, at);
    expect(decision).toMatchObject({ level: expected.level, stepDue: expected.stepDue });
    expect(decision.deferredBy).toBe(expected.deferredBy);
    if ('nextAt' in expected) {
      expect(decision.nextAt === undefined ? undefined : new Date(decision.nextAt)).toEqual(expected.nextAt);
    }
  });
});

describe('decideEscalation: a late start (a backlog breach, or a move after the due time)', () => {
  // Breached since Friday; Heed (or the new team) first saw it at `lateStartAt`. Window: 0.5 × 60 = 30 min.
  const late = { ...base, state: 'breached' as const, dueAt: fri('10:00') };
  it.each<[string, Date, Partial<TEscalationInput>, Expected]>([
    [
      'first sight: level 1 (the backlog summary), not a ping or an escalation',
      now,
      { lateStartAt: now },
      { level: 1, stepDue: true, nextAt: mon('12:16') },
    ],
    [
      'still breached half the window after first sight: the owner is pinged',
      mon('12:16'),
      { level: 1, lateStartAt: now },
      { level: 2, stepDue: true, nextAt: mon('12:31') },
    ],
    ['15 minutes after: not yet', mon('12:15'), { level: 1, lateStartAt: now }, { level: 1, stepDue: false }],
    [
      'the whole window after first sight: the escalation channel',
      mon('12:31'),
      { level: 2, lateStartAt: now },
      { level: 3, stepDue: true },
    ],
    [
      'two runs apart over both thresholds: one step to the top',
      mon('12:45'),
      { level: 1, lateStartAt: now },
      { level: 3, stepDue: true },
    ],
    [
      'first seen Friday 16:50: business minutes carry over the weekend',
      mon('09:05'),
      { level: 1, lateStartAt: fri('16:50') },
      { level: 1, stepDue: false, nextAt: mon('09:06') },
    ],
    [
      'a claim after first sight holds back the escalation channel',
      now,
      { level: 2, lateStartAt: mon('11:00'), claimedAt: mon('11:50') },
      { level: 2, stepDue: false, deferredBy: 'claim', nextAt: mon('12:21') },
    ],
    [
      'a claim before first sight (or before a move) does not count',
      now,
      { level: 2, lateStartAt: mon('11:00'), claimedAt: mon('10:55') },
      { level: 3, stepDue: true },
    ],
    [
      'a late start before the due time is no late start',
      now,
      { level: 1, dueAt: mon('11:45'), lateStartAt: mon('11:00') },
      { level: 2, stepDue: true },
    ],
    [
      'snoozed at first sight: stays at 0 until the snooze ends',
      now,
      { lateStartAt: now, snoozedUntil: mon('13:00') },
      { level: 0, stepDue: false, deferredBy: 'snooze', nextAt: mon('13:00') },
    ],
  ])('%s', (_label, at, over, expected) => {
    const decision = decideEscalation({ ...late, ...over }, at);
    expect(decision).toMatchObject({ level: expected.level, stepDue: expected.stepDue });
    expect(decision.deferredBy).toBe(expected.deferredBy);
    if ('nextAt' in expected) {
      expect(decision.nextAt === undefined ? undefined : new Date(decision.nextAt)).toEqual(expected.nextAt);
    }
  });
});

describe('overdue since a claim: one rule for tickets and feedback', () => {
  // Business minutes on the team calendar from the later of the due time and the claim, pauses excluded.
  const waiting: TInterval[] = [{ start: mon('10:00').getTime(), end: mon('11:00').getTime() }];
  it.each<[string, Date, Date | null, Date, TInterval[], number]>([
    ['unclaimed: from the due time', mon('10:00'), null, now, [], 120],
    ['claimed after the due time: from the claim', mon('10:00'), mon('11:30'), now, [], 30],
    ['claimed before the due time: from the due time', mon('10:00'), mon('09:30'), now, [], 120],
    ['not due yet: 0', mon('12:30'), mon('11:30'), now, [], 0],
    ['claimed Friday 16:30, Monday 09:45: 30 + 45 business minutes', fri('16:00'), fri('16:30'), mon('09:45'), [], 75],
    [
      'claimed on Saturday: counts from Monday 09:00',
      fri('16:00'),
      new Date('2026-11-21T12:00:00Z'),
      mon('09:10'),
      [],
      10,
    ],
    ['a ticket waiting on the customer: the pause does not count', mon('09:30'), mon('09:45'), now, waiting, 75],
    ['whole minutes, rounded down', mon('11:00'), null, new Date(mon('11:05').getTime() + 59_999), [], 5],
  ])('%s', (_label, dueAt, since, at, pauses, minutes) => {
    expect(overdueMinutesSince(dueAt, since, calendar, at, pauses)).toBe(minutes);
  });

  it.each<[string, Date, Date | null, number, TInterval[]]>([
    ['from the due time', mon('10:00'), null, 30, []],
    ['from a claim on Friday evening', fri('16:00'), fri('16:45'), 30, []],
    ['across a pause', mon('09:30'), mon('09:45'), 30, waiting],
    ['a fractional window (escalateAfter × target)', mon('10:00'), null, 22.5, []],
  ])(
    'the ladder steps exactly when the same rule first exceeds the window: %s',
    (_label, dueAt, since, minutes, pauses) => {
      const at = overdueExceedsAt(dueAt, since, minutes, calendar, pauses);
      expect(overdueMinutesSince(dueAt, since, calendar, new Date(at), pauses)).toBeGreaterThan(minutes);
      expect(overdueMinutesSince(dueAt, since, calendar, new Date(at - 1), pauses)).toBeLessThanOrEqual(minutes);
    },
  );
});
