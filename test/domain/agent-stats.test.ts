import { describe, expect, it } from 'vitest';
import {
  agentStats,
  dailyMetPct,
  decidedOutcome,
  type TAgentClock,
  type TAgentStatsInput,
  type THandledMark,
} from '../../src/domain/agent-stats.ts';
import { createTimeZone } from '../../src/domain/time-zone.ts';

const d = (iso: string) => new Date(iso);
const WEEK = { start: d('2026-03-02T00:00:00Z'), end: d('2026-03-09T00:00:00Z') };

function clock(overrides: Partial<TAgentClock> & Pick<TAgentClock, 'ticketId'>): TAgentClock {
  return {
    clock: 'firstResponse',
    team: 'support',
    state: 'met',
    dueAt: d('2026-03-03T13:00:00Z'),
    completedAt: d('2026-03-03T10:00:00Z'),
    usedMinutes: 60,
    targetMinutes: 240,
    ownerId: 'o-ada',
    ticketClosedAt: null,
    ...overrides,
  };
}

const NAMES: Record<string, string> = { 'o-ada': 'Ada Lovelace', 'o-bob': 'Bob Ross' };
function input(clocks: TAgentClock[], handled: THandledMark[] = [], extra: Partial<TAgentStatsInput> = {}) {
  return {
    clocks,
    handled,
    agent: (id: string) => ({ ownerId: id, name: NAMES[id] ?? id, slackUserId: id === 'o-ada' ? 'UADA' : null }),
    ownerOfSlackUser: (u: string) => (u === 'UADA' ? 'o-ada' : undefined),
    ...extra,
  };
}

describe('decidedOutcome', () => {
  it.each([
    ['met: replied before due', clock({ ticketId: '1' }), { at: '2026-03-03T10:00:00.000Z', met: true }],
    [
      'missed: replied after due, decided at due',
      clock({ ticketId: '1', completedAt: d('2026-03-03T14:00:00Z'), state: 'missed' }),
      { at: '2026-03-03T13:00:00.000Z', met: false },
    ],
    [
      'missed: still unanswered past due',
      clock({ ticketId: '1', completedAt: null, state: 'breached' }),
      { at: '2026-03-03T13:00:00.000Z', met: false },
    ],
    ['undecided: no target', clock({ ticketId: '1', targetMinutes: 0 }), undefined],
    ['undecided: no due time', clock({ ticketId: '1', dueAt: null }), undefined],
    ['undecided: paused, not late', clock({ ticketId: '1', completedAt: null, state: 'paused' }), undefined],
  ])('%s', (_name, c, expected) => {
    const outcome = decidedOutcome(c);
    expect(outcome ? { at: outcome.at.toISOString(), met: outcome.met } : undefined).toEqual(expected);
  });
});

describe('agentStats', () => {
  it.each([
    // name, used minutes of first responses, median, p90
    ['one sample: median and p90 are it', [30], 30, 30],
    ['two samples: median between, p90 the slower', [30, 90], 60, 90],
    ['three samples: p90 is the slowest (nearest rank)', [10, 20, 300], 20, 300],
    ['ten samples: p90 is the 9th', [1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 5.5, 9],
    ['eleven samples: p90 is the 10th', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100], 6, 10],
  ])('%s', (_name, minutes, frMedian, frP90) => {
    const clocks = minutes.map((m, i) => clock({ ticketId: String(i), usedMinutes: m }));
    const stats = agentStats(input(clocks), WEEK);
    expect(stats.agents).toHaveLength(1);
    expect(stats.agents[0]).toMatchObject({ firstResponses: minutes.length, frMedian, frP90 });
    expect(stats.total).toMatchObject({ frMedian, frP90 });
  });

  it('no clocks decided: every percentage and time is null ("—"), not 0 %', () => {
    const stats = agentStats(input([]), WEEK);
    expect(stats.agents).toEqual([]);
    expect(stats.total.clocks).toEqual({
      firstResponse: { decided: 0, met: 0, metPct: null },
      nextResponse: { decided: 0, met: 0, metPct: null },
      resolution: { decided: 0, met: 0, metPct: null },
    });
    expect(stats.total.frMedian).toBeNull();
    expect(stats.total.frP90).toBeNull();
  });

  it('met % per clock, decided inside the window only; clocks without a target count for time and handled only', () => {
    const clocks: TAgentClock[] = [
      clock({ ticketId: '1' }), // met
      clock({ ticketId: '2', completedAt: d('2026-03-03T15:00:00Z'), usedMinutes: 300, state: 'missed' }), // missed
      clock({ ticketId: '3', completedAt: null, state: 'breached', usedMinutes: 400 }), // missed, unanswered
      clock({ ticketId: '4', targetMinutes: 0, dueAt: null, usedMinutes: 20 }), // no target
      // Decided before the window (met on Sunday 1 March): not this week's.
      clock({ ticketId: '5', dueAt: d('2026-03-01T12:00:00Z'), completedAt: d('2026-03-01T11:00:00Z') }),
      // Due next week, still running: undecided.
      clock({ ticketId: '6', dueAt: d('2026-03-10T12:00:00Z'), completedAt: null, state: 'running' }),
      clock({
        ticketId: '1',
        clock: 'nextResponse',
        dueAt: d('2026-03-04T12:00:00Z'),
        completedAt: d('2026-03-04T11:00:00Z'),
      }),
      clock({
        ticketId: '1',
        clock: 'resolution',
        dueAt: d('2026-03-05T12:00:00Z'),
        completedAt: d('2026-03-06T11:00:00Z'),
        ticketClosedAt: d('2026-03-06T11:00:00Z'),
        state: 'missed',
      }),
    ];
    const [ada] = agentStats(input(clocks), WEEK).agents;
    expect(ada!.clocks).toEqual({
      firstResponse: { decided: 3, met: 1, metPct: 33.3 },
      nextResponse: { decided: 1, met: 1, metPct: 100 },
      resolution: { decided: 1, met: 0, metPct: 0 },
    });
    // Replies stopping a first response inside the window: 1, 2 and 4 (60, 300, 20 minutes).
    expect(ada).toMatchObject({ firstResponses: 3, frMedian: 60, frP90: 300 });
    // Tickets 1, 2, 4 answered; 1 resolved: three distinct tickets.
    expect(ada).toMatchObject({ answered: 3, resolved: 1, markedHandled: 0, handled: 3 });
  });

  it('a first response the close stopped is no response time, and no answer', () => {
    const closed = d('2026-03-03T10:00:00Z');
    const stats = agentStats(input([clock({ ticketId: '1', ticketClosedAt: closed, usedMinutes: 77 })]), WEEK);
    expect(stats.agents[0]).toMatchObject({ firstResponses: 0, frMedian: null, answered: 0, handled: 0 });
    // Still a decided (met) first response: the digest counts it so too.
    expect(stats.agents[0]!.clocks.firstResponse).toEqual({ decided: 1, met: 1, metPct: 100 });
  });

  it('per agent, busiest first; unowned tickets count for the team only; ✅ credited through the Slack user', () => {
    const clocks: TAgentClock[] = [
      clock({ ticketId: '1', ownerId: 'o-bob' }),
      clock({ ticketId: '2', ownerId: 'o-ada' }),
      clock({ ticketId: '3', ownerId: null, completedAt: null, state: 'breached' }),
    ];
    const marks: THandledMark[] = [
      // Ada marks her own ticket handled (already answered: counted once) and Bob's other one.
      {
        flagKey: 'ticket:2:firstResponse:0',
        ticketId: '2',
        team: 'support',
        handledBy: 'UADA',
        handledAt: d('2026-03-03T12:00:00Z'),
      },
      {
        flagKey: 'ticket:9:nextResponse:1',
        ticketId: '9',
        team: 'support',
        handledBy: 'UADA',
        handledAt: d('2026-03-04T12:00:00Z'),
      },
      // Someone Heed knows only in Slack.
      {
        flagKey: 'feedback:f1',
        ticketId: null,
        team: 'support',
        handledBy: 'UZED',
        handledAt: d('2026-03-04T12:00:00Z'),
      },
      // Before the window: not counted.
      {
        flagKey: 'ticket:8:firstResponse:0',
        ticketId: '8',
        team: 'support',
        handledBy: 'UADA',
        handledAt: d('2026-02-27T12:00:00Z'),
      },
    ];
    const stats = agentStats(input(clocks, marks), WEEK);
    expect(stats.agents.map((a) => [a.agent.name, a.handled, a.markedHandled])).toEqual([
      ['Ada Lovelace', 2, 2],
      ['Bob Ross', 1, 0],
      ['Slack user UZED', 1, 1],
    ]);
    expect(stats.total.clocks.firstResponse).toEqual({ decided: 3, met: 2, metPct: 66.7 });
    expect(stats.total.handled).toBe(4);

    const adaOnly = agentStats(input(clocks, marks, { onlyOwners: new Set(['o-ada']) }), WEEK);
    expect(adaOnly.agents.map((a) => a.agent.name)).toEqual(['Ada Lovelace']);
    expect(adaOnly.total.clocks.firstResponse).toEqual({ decided: 1, met: 1, metPct: 100 });
  });
});

describe('dailyMetPct', () => {
  it('one value per local day; a day with nothing decided is null', () => {
    const berlin = createTimeZone('Europe/Berlin');
    const window = { start: d('2026-03-01T23:00:00Z'), end: d('2026-03-04T23:00:00Z') };
    const clocks = [
      clock({ ticketId: '1', completedAt: d('2026-03-02T08:00:00Z'), dueAt: d('2026-03-02T12:00:00Z') }),
      // 23:30 UTC on the 2nd is the 3rd in Berlin.
      clock({ ticketId: '2', completedAt: null, state: 'breached', dueAt: d('2026-03-02T23:30:00Z') }),
      clock({ ticketId: '3', completedAt: d('2026-03-03T09:00:00Z'), dueAt: d('2026-03-03T12:00:00Z') }),
    ];
    expect(dailyMetPct(clocks, window, berlin)).toEqual([
      { day: '2026-03-02', metPct: 100, decided: 1 },
      { day: '2026-03-03', metPct: 50, decided: 2 },
      { day: '2026-03-04', metPct: null, decided: 0 },
    ]);
  });
});
