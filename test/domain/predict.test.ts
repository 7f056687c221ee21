import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import {
  predictBreaches,
  replyPaces,
  type TPace,
  type TPaces,
  type TQueuedClock,
  type TReplySample,
} from '../../src/domain/predict.ts';

const hours = [['09:00', '17:00']] as [string, string][];
const calendar = createBusinessCalendar({
  timezone: 'UTC',
  hours: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours },
});
const d = (iso: string) => new Date(iso);
const NOW = d('2026-12-02T10:00:00Z'); // Wednesday 10:00

describe('replyPaces: median wait to the first reply and gap between replies, per owner', () => {
  // Ada answers after 30, 40, 50 min, one every hour; Bob only twice (under minSamples).
  const samples: TReplySample[] = [
    { ownerId: 'ada', createdAt: d('2026-12-01T09:00:00Z'), firstReplyAt: d('2026-12-01T09:30:00Z') },
    { ownerId: 'ada', createdAt: d('2026-12-01T09:50:00Z'), firstReplyAt: d('2026-12-01T10:30:00Z') },
    { ownerId: 'ada', createdAt: d('2026-12-01T10:40:00Z'), firstReplyAt: d('2026-12-01T11:30:00Z') },
    { ownerId: 'bob', createdAt: d('2026-12-01T09:00:00Z'), firstReplyAt: d('2026-12-01T13:00:00Z') },
    { ownerId: 'bob', createdAt: d('2026-12-01T09:00:00Z'), firstReplyAt: d('2026-12-01T15:00:00Z') },
    // Older than the window: left out.
    { ownerId: 'ada', createdAt: d('2026-11-02T09:00:00Z'), firstReplyAt: d('2026-11-02T16:00:00Z') },
    // After now (a clock skew, a replay): left out.
    { ownerId: 'ada', createdAt: d('2026-12-02T09:00:00Z'), firstReplyAt: d('2026-12-02T16:00:00Z') },
  ];

  it('measures each owner with enough replies, and the team from everyone’s', () => {
    const paces = replyPaces(samples, NOW, calendar, { windowDays: 14, minSamples: 3 });
    expect(paces.byOwner.get('ada')).toEqual({ waitMinutes: 40, gapMinutes: 60, samples: 3 });
    expect(paces.byOwner.has('bob')).toBe(false);
    // Waits 30, 40, 50, 240, 360 → 50; replies at 09:30 10:30 11:30 13:00 15:00 → gaps 60 60 90 120 → 75.
    expect(paces.team).toEqual({ waitMinutes: 50, gapMinutes: 75, samples: 5 });
  });

  it('counts business time only: a reply the next morning waited the working minutes', () => {
    const paces = replyPaces(
      [{ ownerId: 'ada', createdAt: d('2026-11-27T16:30:00Z'), firstReplyAt: d('2026-11-30T09:30:00Z') }],
      NOW,
      calendar,
      { windowDays: 14, minSamples: 1 },
    );
    expect(paces.byOwner.get('ada')).toEqual({ waitMinutes: 60, gapMinutes: 0, samples: 1 });
  });

  it('has no team pace without replies in the window', () => {
    expect(replyPaces([], NOW, calendar).team).toBeNull();
  });
});

const pace = (waitMinutes: number, gapMinutes: number): TPace => ({ waitMinutes, gapMinutes, samples: 10 });
const clock = (ticketId: string, over: Partial<TQueuedClock> = {}): TQueuedClock => ({
  ticketId,
  ownerId: 'ada',
  createdAt: d('2026-12-02T09:30:00Z'),
  state: 'running',
  // A 4 h target from 09:30: at risk at 12:30 (warnAt 0.75), due 13:30.
  dueAt: d('2026-12-02T13:30:00Z'),
  atRiskAt: d('2026-12-02T12:30:00Z'),
  ...over,
});

describe('predictBreaches', () => {
  const paces = (ada: TPace | undefined, team: TPace | null = pace(60, 20)): TPaces => ({
    byOwner: new Map(ada ? [['ada', ada]] : []),
    team,
  });

  it.each<[string, TQueuedClock[], TPaces, string[]]>([
    ['a usual wait well within the target: calm', [clock('t')], paces(pace(60, 20)), []],
    ['an owner whose replies usually take longer than the target', [clock('t')], paces(pace(300, 20)), ['t']],
    [
      'the queue: nine tickets due earlier at 30 min each push it past its due time',
      [
        ...Array.from({ length: 9 }, (_, i) =>
          clock(`a${i}`, { dueAt: d('2026-12-02T12:00:00Z'), atRiskAt: d('2026-12-02T11:30:00Z') }),
        ),
        clock('t'),
      ],
      paces(pace(30, 30)),
      // The earlier ones are expected at 10:00 + k × 30 min against their 12:00: the last four are late too;
      // this one (9 ahead) at 14:30 against 13:30.
      ['a5', 'a6', 'a7', 'a8', 't'],
    ],
    [
      'the same queue due later does not delay it (and has time: the last at 14:30 against 16:00)',
      [...Array.from({ length: 9 }, (_, i) => clock(`a${i}`, { dueAt: d('2026-12-02T16:00:00Z') })), clock('t')],
      paces(pace(30, 30)),
      [],
    ],
    [
      'at risk already: the at-risk nudge says it, not a prediction',
      [clock('t', { state: 'at_risk' })],
      paces(pace(300, 20)),
      [],
    ],
    [
      'past its at-risk instant but not yet re-evaluated: not predicted either',
      [clock('t', { atRiskAt: d('2026-12-02T09:59:00Z') })],
      paces(pace(300, 20)),
      [],
    ],
    ['paused (waiting on the customer): nothing', [clock('t', { state: 'paused' })], paces(pace(300, 20)), []],
    ['an owner without enough replies takes the team’s pace', [clock('t')], paces(undefined, pace(300, 0)), ['t']],
    ['no pace at all (a new portal): no prediction', [clock('t')], paces(undefined, null), []],
    [
      'unassigned tickets queue together at the team’s pace',
      [clock('u1', { ownerId: null }), clock('u2', { ownerId: null, dueAt: d('2026-12-02T13:40:00Z') })],
      paces(undefined, pace(60, 300)),
      ['u2'],
    ],
    [
      'a breached ticket ahead in the queue takes the owner’s time first',
      [clock('b', { state: 'breached', dueAt: d('2026-12-02T09:45:00Z') }), clock('t')],
      paces(pace(60, 240)),
      ['t'],
    ],
  ])('%s', (_label, queue, given, expected) => {
    expect(predictBreaches(queue, given, NOW, calendar).map((p) => p.ticketId)).toEqual(expected);
  });

  it('says when it is likely to breach, when the reply is expected, and whose pace', () => {
    const [p] = predictBreaches([clock('t')], paces(pace(300, 20)), NOW, calendar);
    expect(p).toMatchObject({
      ticketId: 't',
      breachAt: d('2026-12-02T13:30:00Z'),
      // Created 09:30 + 300 business minutes = 14:30.
      expectedReplyAt: d('2026-12-02T14:30:00Z'),
      ahead: 0,
      paceOf: 'owner',
    });
  });

  it.each<[string, string, boolean]>([
    ['due Monday 10:30: in time', '2026-12-07T10:30:00Z', false],
    ['due Monday 09:45: likely to breach', '2026-12-07T09:45:00Z', true],
  ])('counts the queue in business time across the weekend (%s)', (_label, due, likely) => {
    const friday = d('2026-12-04T16:00:00Z');
    const predictions = predictBreaches(
      [
        clock('a', { createdAt: d('2026-12-04T15:00:00Z'), dueAt: d('2026-12-04T16:30:00Z'), state: 'at_risk' }),
        clock('t', { createdAt: d('2026-12-04T15:30:00Z'), dueAt: d(due), atRiskAt: d('2026-12-07T09:15:00Z') }),
      ],
      paces(pace(30, 120)),
      friday,
      calendar,
    );
    // One ahead × 120 min from Friday 16:00: an hour on Friday, an hour on Monday → expected Monday 10:00.
    expect(predictions.map((p) => [p.ticketId, p.expectedReplyAt.toISOString()])).toEqual(
      likely ? [['t', '2026-12-07T10:00:00.000Z']] : [],
    );
  });
});
