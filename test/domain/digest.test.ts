import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import { computeDigest, declineSignals, digestPeriodDays, type TDigestInput } from '../../src/domain/digest.ts';
import {
  clockOutcome,
  isWaitingOnUsAt,
  median,
  percentile,
  sparkline,
  statsFromRows,
  statsToRows,
  type TDigestTicket,
  type TWindowStats,
  windowStats,
} from '../../src/domain/digest-stats.ts';
import type { TWeekday } from '../../src/domain/week.ts';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;
const utc = createBusinessCalendar({
  timezone: 'UTC',
  hours: Object.fromEntries(WEEKDAYS.map((d) => [d, [['09:00', '17:00']] as const])),
});
const newYork = createBusinessCalendar({
  timezone: 'America/New_York',
  hours: Object.fromEntries(WEEKDAYS.map((d) => [d, [['09:00', '17:00']] as const])),
});
const THRESHOLDS = { NPS: { atMost: 6 }, CSAT: { atMost: 2 }, CES: { atMost: 3 }, commentsCount: true };
const d = (iso: string) => new Date(iso);

function ticket(id: string, overrides: Partial<TDigestTicket> = {}): TDigestTicket {
  return {
    id,
    subject: null,
    ownerId: null,
    priority: null,
    category: null,
    source: null,
    stageId: null,
    customer: null,
    url: null,
    createdAt: d('2026-11-23T10:00:00Z'),
    closedAt: null,
    isClosed: false,
    firstAgentReplyAt: null,
    lastCustomerMessageAt: null,
    lastAgentMessageAt: null,
    ...overrides,
  };
}

function input(overrides: Partial<TDigestInput> = {}): TDigestInput {
  return {
    team: 'support',
    kind: 'daily',
    tickets: [],
    clocks: [],
    feedback: [],
    owners: [],
    storedStats: [],
    thresholds: THRESHOLDS,
    waitingStageIds: [],
    ...overrides,
  };
}

describe('digest statistics', () => {
  it.each([
    [[], null, null],
    [[5], 5, 5],
    [[1, 3], 2, 3],
    [[20, 40, 30, 120], 35, 120],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5.5, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 6, 10],
  ])('median and nearest-rank p90 of %j are %s and %s', (values, mid, p90) => {
    expect(median(values)).toBe(mid);
    expect(percentile(values, 0.9)).toBe(p90);
  });

  it.each([
    [[0, 1, 2, 3, 4, 5, 6, 7], '▁▂▃▄▅▆▇█'],
    [[3, 3, 3], '▁▁▁'],
    [[null, 10, null, 0], '·█·▁'],
    [[null, null], '··'],
    [[0, 5, 10], '▁▅█'],
  ])('sparkline of %j is %s', (values, expected) => {
    expect(sparkline(values)).toBe(expected);
  });

  const END = d('2026-11-24T00:00:00Z');
  it.each([
    ['never answered', ticket('a'), true],
    ['answered, nothing since', ticket('a', { firstAgentReplyAt: d('2026-11-23T11:00:00Z') }), false],
    [
      'the customer wrote after our last reply',
      ticket('a', {
        firstAgentReplyAt: d('2026-11-23T11:00:00Z'),
        lastAgentMessageAt: d('2026-11-23T11:00:00Z'),
        lastCustomerMessageAt: d('2026-11-23T12:00:00Z'),
      }),
      true,
    ],
    [
      'answered after the window ended: not known at its end',
      ticket('a', { firstAgentReplyAt: d('2026-11-24T08:00:00Z') }),
      true,
    ],
    [
      'the customer’s message came after the window ended',
      ticket('a', { firstAgentReplyAt: d('2026-11-23T11:00:00Z'), lastCustomerMessageAt: d('2026-11-24T09:00:00Z') }),
      false,
    ],
    ['parked waiting on the customer', ticket('a', { stageId: 'waiting' }), false],
    ['closed before the end', ticket('a', { isClosed: true, closedAt: d('2026-11-23T15:00:00Z') }), false],
    ['closed only after the end', ticket('a', { isClosed: true, closedAt: d('2026-11-24T15:00:00Z') }), true],
    ['created after the end', ticket('a', { createdAt: d('2026-11-24T01:00:00Z') }), false],
  ])('waiting on us at the end of the day: %s', (_, t, expected) => {
    expect(isWaitingOnUsAt(t, END, new Set(['waiting']))).toBe(expected);
  });

  it.each([
    [
      'met: decided at the reply',
      '2026-11-23T12:00:00Z',
      '2026-11-23T11:00:00Z',
      { at: '2026-11-23T11:00:00Z', met: true },
    ],
    [
      'late reply: missed when it fell due',
      '2026-11-23T12:00:00Z',
      '2026-11-23T13:00:00Z',
      { at: '2026-11-23T12:00:00Z', met: false },
    ],
    ['no reply: missed when it fell due', '2026-11-23T12:00:00Z', null, { at: '2026-11-23T12:00:00Z', met: false }],
  ])('clock outcome, %s', (_, due, completed, expected) => {
    const outcome = clockOutcome({
      ticketId: 'a',
      clock: 'firstResponse',
      state: 'running',
      dueAt: d(due),
      completedAt: completed ? d(completed) : null,
      overdueMinutes: 0,
    });
    expect(outcome).toEqual({ at: d(expected.at), met: expected.met });
  });

  it.each([
    ['NPS 3', 'NPS', 3, null, true],
    ['NPS 10 with praise', 'NPS', 10, 'Great support, thanks!', false],
    ['CSAT 2', 'CSAT', 2, null, true],
    ['CSAT 4 with a comment', 'CSAT', 4, 'ok', false],
    ['CES 2 (hard)', 'CES', 2, null, true],
    ['CES 7 (very easy)', 'CES', 7, null, false],
    ['a comment without a score', 'NPS', null, 'meh', false],
  ])('counts %s as negative: %s', (_, surveyType, value, content, negative) => {
    const stats = windowStats(
      {
        tickets: [],
        clocks: [],
        feedback: [
          {
            id: 'f',
            surveyType,
            value,
            content,
            submittedAt: d('2026-11-23T10:00:00Z'),
            contact: null,
            ticketId: null,
            followUp: null,
          },
        ],
      },
      { start: d('2026-11-23T00:00:00Z'), end: d('2026-11-24T00:00:00Z') },
      { calendar: utc, thresholds: THRESHOLDS, waitingStageIds: new Set() },
    );
    expect(stats.negative).toBe(negative ? 1 : 0);
    expect(stats.responses).toBe(1);
  });

  it('round-trips window numbers through DailyStat rows, leaving unmeasured values out', () => {
    const stats = windowStats(
      { tickets: [ticket('a')], clocks: [], feedback: [] },
      { start: d('2026-11-23T00:00:00Z'), end: d('2026-11-24T00:00:00Z') },
      { calendar: utc, thresholds: THRESHOLDS, waitingStageIds: new Set() },
    );
    const rows = statsToRows(stats);
    expect(rows.map((r) => r.metric)).not.toContain('frMedian');
    expect(statsFromRows(rows)).toEqual(stats);
    expect(statsFromRows([])).toBeUndefined();
  });
});

describe('digest periods', () => {
  it.each<[string, number, TWeekday[], number]>([
    ['Tuesday, Mon–Fri digests: yesterday', 1, ['mon', 'tue', 'wed', 'thu', 'fri'], 1],
    ['Monday, Mon–Fri digests: Friday to Sunday', 0, ['mon', 'tue', 'wed', 'thu', 'fri'], 3],
    ['Monday, daily digests: yesterday', 0, ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], 1],
    ['Thursday, Mondays only: since Monday', 3, ['mon'], 3],
    ['Monday, Mondays only: the whole week', 0, ['mon'], 7],
  ])('%s', (_, weekday, days, expected) => {
    expect(digestPeriodDays(weekday, days)).toBe(expected);
  });

  it('covers Friday to Sunday on a Monday, comparing flows with the daily average times the days', () => {
    const tickets = [
      ticket('fri', { createdAt: d('2026-11-20T10:00:00Z') }),
      ticket('sat', { createdAt: d('2026-11-21T10:00:00Z') }),
      ticket('thu', { createdAt: d('2026-11-19T10:00:00Z') }),
    ];
    // Baseline days 13–19 Nov hold 7 new tickets: 1 a day on average, 3 for three days.
    const storedStats = ['13', '14', '15', '16', '17', '18'].flatMap((day) => [
      { day: `2026-11-${day}`, metric: 'new', value: 1 },
      { day: `2026-11-${day}`, metric: 'breached', value: 0 },
    ]);
    const model = computeDigest(input({ tickets, storedStats, periodDays: 3 }), d('2026-11-23T08:00:00Z'), utc);
    expect(model.period).toMatchObject({
      firstDay: '2026-11-20',
      lastDay: '2026-11-22',
      days: 3,
      label: 'Fri 20 Nov – Sun 22 Nov',
    });
    const fresh = model.numbers.find((n) => n.metric === 'new')!;
    expect([fresh.value, fresh.baseline, fresh.change, fresh.direction]).toEqual([2, 3, -1, 'down']);
  });

  it('reports the day the digest was due for, even when sent after midnight', () => {
    const model = computeDigest(input({ scheduledAt: d('2026-11-24T22:00:00Z') }), d('2026-11-25T00:30:00Z'), utc);
    expect(model.period.lastDay).toBe('2026-11-23');
    expect(model.runDay).toBe('2026-11-24');
    expect(model.generatedAt).toEqual(d('2026-11-25T00:30:00Z'));
  });

  it.each([
    ['Monday', '2026-11-30T15:00:00Z', '2026-11-23', '2026-11-29'],
    ['Wednesday', '2026-12-02T15:00:00Z', '2026-11-23', '2026-11-29'],
    ['Sunday', '2026-11-29T15:00:00Z', '2026-11-16', '2026-11-22'],
  ])('the weekly report sent on a %s covers the last full Monday–Sunday week', (_, now, first, last) => {
    const model = computeDigest(input({ kind: 'weekly' }), d(now), utc);
    expect([model.period.firstDay, model.period.lastDay, model.period.days]).toEqual([first, last, 7]);
  });

  it('cuts days at the team’s local midnight, across a DST change', () => {
    // New York leaves DST on Sunday 1 Nov 2026: that day is 25 hours long.
    const tickets = [
      ticket('before-midnight', { createdAt: d('2026-11-02T04:30:00Z') }), // Sun 1 Nov 23:30 EST
      ticket('after-midnight', { createdAt: d('2026-11-02T05:30:00Z') }), // Mon 2 Nov 00:30 EST
      ticket('edt-morning', { createdAt: d('2026-11-01T04:30:00Z') }), // Sun 1 Nov 00:30 EDT
    ];
    const model = computeDigest(input({ tickets, periodDays: 1 }), d('2026-11-02T15:00:00Z'), newYork);
    expect(model.period.start).toEqual(d('2026-11-01T04:00:00Z'));
    expect(model.period.end).toEqual(d('2026-11-02T05:00:00Z'));
    expect(model.numbers.find((n) => n.metric === 'new')!.value).toBe(2);
  });
});

describe('stored daily numbers', () => {
  const now = d('2026-11-24T10:00:00Z');
  const tickets = [ticket('late-synced', { createdAt: d('2026-11-18T10:00:00Z') })];
  const stored = (day: string, value: number) => [
    { day, metric: 'new', value },
    { day, metric: 'breached', value: 0 },
  ];

  it.each([
    ['kept when the rows show no more (they may have been pruned)', 3, 3, false],
    ['replaced when the rows show more (stored before a sync caught up)', 0, 1, true],
  ])('a stored day is %s', (_, storedNew, expected, rewritten) => {
    const model = computeDigest(input({ tickets, storedStats: stored('2026-11-18', storedNew) }), now, utc);
    const line = model.numbers.find((n) => n.metric === 'new')!;
    // 14 days ending Monday 23 Nov: the 18th is the 9th.
    expect(line.trend[8]).toBe(expected);
    expect(model.dailyStats.some((r) => r.day === '2026-11-18')).toBe(rewritten);
  });

  it('a day stored before breaches were counted is counted again from its rows', () => {
    const model = computeDigest(
      input({ tickets, storedStats: [{ day: '2026-11-18', metric: 'new', value: 3 }] }),
      now,
      utc,
    );
    expect(model.numbers.find((n) => n.metric === 'new')!.trend[8]).toBe(1);
    expect(model.dailyStats.some((r) => r.day === '2026-11-18' && r.metric === 'breached')).toBe(true);
  });

  it('always recomputes the period’s own days and returns every computed day for storing', () => {
    const model = computeDigest(input({ storedStats: stored('2026-11-23', 9) }), now, utc);
    expect(model.numbers.find((n) => n.metric === 'new')!.value).toBe(0);
    expect(new Set(model.dailyStats.map((r) => r.day)).size).toBe(14);
    expect(model.dailyStats.find((r) => r.day === '2026-11-23' && r.metric === 'new')!.value).toBe(0);
  });
});

describe('digest content', () => {
  const stats = (overrides: Partial<TWindowStats>): TWindowStats => ({
    new: 0,
    solved: 0,
    open: 0,
    waiting: 0,
    frDecided: 0,
    frMetPct: null,
    nrDecided: 0,
    nrMetPct: null,
    breached: 0,
    firstResponses: 0,
    frMedian: null,
    frP90: null,
    responses: 0,
    negative: 0,
    detractors: 0,
    promoters: 0,
    lowCsat: 0,
    ...overrides,
  });

  it.each([
    ['complaints up from 2 to 3: not enough', { negative: 3 }, { negative: 2 }, []],
    ['complaints up from 2 to 4', { negative: 4 }, { negative: 2 }, ['complaints']],
    ['complaints 2 from 0: too few to call', { negative: 2 }, { negative: 0 }, []],
    ['promoters 4 → 3', { promoters: 3 }, { promoters: 4 }, ['promoters']],
    ['promoters 2 → 0: too few before', { promoters: 0 }, { promoters: 2 }, []],
    ['replies 30m → 45m', { frMedian: 45, firstResponses: 5 }, { frMedian: 30, firstResponses: 5 }, ['slower']],
    ['replies 30m → 34m', { frMedian: 34, firstResponses: 5 }, { frMedian: 30, firstResponses: 5 }, []],
    ['SLA 95% → 80%', { frMetPct: 80 }, { frMetPct: 95 }, ['sla']],
    [
      'faster replies and more promoters are no decline',
      { frMedian: 10, firstResponses: 5, promoters: 9 },
      { frMedian: 30, firstResponses: 5, promoters: 3 },
      [],
    ],
  ])('decline: %s', (_, now, before, kinds) => {
    expect(declineSignals(stats(now), stats(before)).map((s) => s.kind)).toEqual(kinds);
  });

  it('is all clear when nothing happened and nothing waits, and not when something waits', () => {
    const now = d('2026-11-24T10:00:00Z');
    expect(computeDigest(input(), now, utc).allClear).toBe(true);
    const waiting = ticket('old', { createdAt: d('2026-11-10T10:00:00Z') });
    expect(computeDigest(input({ tickets: [waiting] }), now, utc).allClear).toBe(false);
    const parked = ticket('old', { createdAt: d('2026-11-10T10:00:00Z'), stageId: 'waiting' });
    // Parked with the customer and not silent (that stage is never listed): nothing for the team to do.
    const silence = { afterDays: 3, stages: { waiting: 0 } };
    expect(computeDigest(input({ tickets: [parked], waitingStageIds: ['waiting'], silence }), now, utc).allClear).toBe(
      true,
    );
    // Parked for two weeks where the stage is watched: silent, so not all clear.
    const watched = computeDigest(input({ tickets: [parked], waitingStageIds: ['waiting'] }), now, utc);
    expect([watched.allClear, watched.silent.items.map((s) => s.ticketId)]).toEqual([false, ['old']]);
  });

  it('lists the most urgent first: breached by overdue time, then at risk by due time, one line per ticket', () => {
    const tickets = ['a', 'b', 'c', 'd'].map((id) => ticket(id, { createdAt: d('2026-11-23T09:00:00Z') }));
    const clock = (
      ticketId: string,
      state: 'breached' | 'at_risk' | 'running',
      due: string,
      overdue = 0,
      name = 'firstResponse' as const,
    ) => ({
      ticketId,
      clock: name,
      state,
      dueAt: d(due),
      completedAt: null,
      overdueMinutes: overdue,
    });
    const model = computeDigest(
      input({
        tickets,
        clocks: [
          clock('a', 'at_risk', '2026-11-24T12:00:00Z'),
          clock('b', 'breached', '2026-11-24T09:30:00Z', 30),
          clock('c', 'at_risk', '2026-11-24T11:00:00Z'),
          clock('d', 'breached', '2026-11-23T16:00:00Z', 120),
          // Still "running" when stored, but its due time has passed since: breached now.
          { ...clock('a', 'running', '2026-11-24T09:00:00Z'), clock: 'resolution' as const },
        ],
      }),
      d('2026-11-24T10:00:00Z'),
      utc,
    );
    expect(model.waiting.items.map((i) => [i.ticketId, i.state, i.overdueMinutes])).toEqual([
      ['d', 'breached', 120],
      ['a', 'breached', 60],
      ['b', 'breached', 30],
      ['c', 'at_risk', 0],
    ]);
  });

  it('adds the time since the last evaluation to the stored overdue time (which knows about pauses), as nudges do', () => {
    const tickets = [ticket('p', { createdAt: d('2026-11-20T09:00:00Z') })];
    const model = computeDigest(
      input({
        tickets,
        clocks: [
          {
            ticketId: 'p',
            clock: 'resolution',
            state: 'breached',
            // Due three days ago, but paused for most of them: the engine measured 45 minutes overdue an hour ago.
            dueAt: d('2026-11-21T09:00:00Z'),
            completedAt: null,
            overdueMinutes: 45,
            evaluatedAt: d('2026-11-24T09:00:00Z'),
          },
        ],
      }),
      d('2026-11-24T10:00:00Z'),
      utc,
    );
    expect(model.waiting.items.map((i) => [i.ticketId, i.overdueMinutes])).toEqual([['p', 105]]);
  });

  it('thanks only people with at least 3 tickets', () => {
    const reply = (id: string, owner: string, minutes: number) =>
      ticket(id, {
        ownerId: owner,
        createdAt: d('2026-11-23T09:00:00Z'),
        firstAgentReplyAt: new Date(d('2026-11-23T09:00:00Z').getTime() + minutes * 60_000),
      });
    const model = computeDigest(
      input({
        tickets: [
          reply('1', 'fast', 1),
          reply('2', 'fast', 2),
          reply('3', 'steady', 10),
          reply('4', 'steady', 10),
          reply('5', 'steady', 20),
        ],
        owners: [
          { id: 'fast', name: 'Fast', slackUserId: null },
          { id: 'steady', name: 'Steady', slackUserId: 'U1' },
        ],
      }),
      d('2026-11-24T10:00:00Z'),
      utc,
    );
    expect(model.thanks.fastest).toEqual({
      owner: { ownerId: 'steady', name: 'Steady', slackUserId: 'U1' },
      medianMinutes: 10,
      tickets: 3,
      teamMedianMinutes: 10,
    });
    expect(model.thanks.mostClosed).toBeNull();
  });

  // The demo once said "fastest first replies … median 2h 3m" under "Median first response 1h 56m": the team's
  // median counts every reply — unassigned tickets, owners with one or two — so the only owner with three can be
  // the slowest of all. "Fastest" is then not said; when it is, the team's median stands beside it.
  it.each([
    ['slower than the team: nobody is called fastest', [123, 130, 118], null],
    ['as quick as the team: thanked, beside the team median', [5, 6, 4], { medianMinutes: 5, teamMedianMinutes: 5 }],
  ])('thanks the fastest only when they are no slower than the team (%s)', (_, regular, expected) => {
    const reply = (id: string, owner: string | null, minutes: number) =>
      ticket(id, {
        ownerId: owner,
        createdAt: d('2026-11-23T09:00:00Z'),
        firstAgentReplyAt: new Date(d('2026-11-23T09:00:00Z').getTime() + minutes * 60_000),
      });
    const model = computeDigest(
      input({
        tickets: [
          ...regular.map((minutes, i) => reply(`r${i}`, 'regular', minutes)),
          // Quick replies on unassigned tickets and by an owner with only two of them.
          reply('u1', null, 2),
          reply('u2', null, 3),
          reply('o1', 'occasional', 6),
          reply('o2', 'occasional', 7),
        ],
        owners: [
          { id: 'regular', name: 'Regular', slackUserId: 'U1' },
          { id: 'occasional', name: 'Occasional', slackUserId: 'U2' },
        ],
      }),
      d('2026-11-24T10:00:00Z'),
      utc,
    );
    const teamMedian = model.numbers.find((n) => n.metric === 'frMedian')!.value;
    if (expected === null) {
      expect(teamMedian).toBe(7);
      expect(model.thanks.fastest).toBeNull();
    } else {
      expect(model.thanks.fastest).toMatchObject({ owner: { name: 'Regular' }, tickets: 3, ...expected });
      expect(model.thanks.fastest!.medianMinutes).toBeLessThanOrEqual(teamMedian!);
    }
  });
});
