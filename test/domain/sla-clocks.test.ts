import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import { parseDuration } from '../../src/domain/duration.ts';
import type { ClockName } from '../../src/domain/flag.ts';
import {
  computeTicketClocks,
  type TClockOptions,
  type TClockResult,
  type TClockRule,
  type TTicketFacts,
  type TTicketInput,
} from '../../src/domain/sla-clocks.ts';
import { selectSlaRule } from '../../src/domain/sla-policy.ts';
import { courtesySettings } from '../../src/domain/substantive.ts';

const nineToFive = [['09:00', '17:00']] as const;
const calendar = createBusinessCalendar({
  timezone: 'Europe/Berlin',
  hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
  holidays: ['2026-12-24', '2026-12-25', '2026-12-31', '2027-01-01'],
});

const rule = (name: string, first: string, next: string, resolution: string): TClockRule => ({
  name,
  firstResponse: parseDuration(first)!,
  nextResponse: parseDuration(next)!,
  resolution: parseDuration(resolution)!,
  warnAt: 0.75,
});
const STANDARD = rule('standard', '4h', '8h', '3d');
const URGENT = rule('urgent', '1h', '2h', '8h');

const OPTIONS: TClockOptions = {
  waitingStageIds: new Set(['3']),
  closedStageIds: new Set(['4']),
  useHubspotSla: false,
  courtesy: courtesySettings({ minLength: 20 }),
};

// Monday 2026-11-23, Berlin (UTC+1).
const t = (day: number, time: string) => new Date(`2026-11-${String(23 + day).padStart(2, '0')}T${time}:00+01:00`);
const MON_0900 = t(0, '09:00');

function ticket(over: Partial<TTicketFacts> = {}): TTicketFacts {
  return {
    id: '1',
    createdAt: MON_0900,
    isClosed: false,
    closedAt: null,
    reopenedAt: null,
    firstAgentReplyAt: null,
    lastCustomerMessageAt: null,
    lastAgentMessageAt: null,
    stageId: '1',
    stageEnteredAt: MON_0900,
    hsFirstResponseDueAt: null,
    hsNextResponseDueAt: null,
    hsCloseDueAt: null,
    ...over,
  };
}

function clock(
  input: TTicketInput,
  name: ClockName,
  now: Date,
  r = STANDARD,
  options = OPTIONS,
): TClockResult | undefined {
  return computeTicketClocks(input, r, calendar, options, now).clocks.find((c) => c.clock === name);
}

type Expect = Partial<Pick<TClockResult, 'state' | 'usedMinutes' | 'overdueMinutes' | 'cycle' | 'targetMinutes'>> & {
  dueAt?: Date;
  startedAt?: Date;
  completedAt?: Date | null;
};

function check(result: TClockResult | undefined, expected: Expect) {
  expect(result).toBeDefined();
  const actual: Record<string, unknown> = {};
  for (const key of Object.keys(expected) as (keyof Expect)[]) {
    const value = result![key];
    actual[key] = value instanceof Date ? value.toISOString() : value;
  }
  const wanted = Object.fromEntries(
    Object.entries(expected).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]),
  );
  expect(actual).toEqual(wanted);
}

describe('first response', () => {
  it.each<[string, TTicketInput, Date, TClockRule, Expect]>([
    [
      'running',
      { ticket: ticket() },
      t(0, '10:00'),
      STANDARD,
      { state: 'running', usedMinutes: 60, dueAt: t(0, '13:00'), targetMinutes: 240 },
    ],
    ['at risk at 75 %', { ticket: ticket() }, t(0, '12:00'), STANDARD, { state: 'at_risk', usedMinutes: 180 }],
    [
      'breached, overdue in business minutes',
      { ticket: ticket() },
      t(0, '13:30'),
      STANDARD,
      { state: 'breached', overdueMinutes: 30 },
    ],
    [
      'breached stays the same overnight',
      { ticket: ticket() },
      t(1, '08:00'),
      STANDARD,
      { state: 'breached', overdueMinutes: 240 },
    ],
    [
      'met by a reply before the due time',
      { ticket: ticket({ firstAgentReplyAt: t(0, '12:00') }) },
      t(0, '14:00'),
      STANDARD,
      { state: 'met', usedMinutes: 180, completedAt: t(0, '12:00'), overdueMinutes: 0 },
    ],
    [
      'missed by a late reply',
      { ticket: ticket({ firstAgentReplyAt: t(0, '14:00') }) },
      t(1, '10:00'),
      STANDARD,
      { state: 'missed', overdueMinutes: 60 },
    ],
    [
      'an agent message counts as the first reply',
      { ticket: ticket(), messages: [{ direction: 'OUTGOING', createdAt: t(0, '09:30'), text: 'On it' }] },
      t(0, '14:00'),
      STANDARD,
      { state: 'met', completedAt: t(0, '09:30') },
    ],
    [
      'a reply dated after now has not happened yet',
      { ticket: ticket({ firstAgentReplyAt: t(0, '11:00') }) },
      t(0, '10:00'),
      STANDARD,
      { state: 'running', completedAt: null },
    ],
    [
      'closing without a reply ends it',
      { ticket: ticket({ isClosed: true, closedAt: t(0, '10:00'), stageId: '4', stageEnteredAt: t(0, '10:00') }) },
      t(0, '15:00'),
      STANDARD,
      { state: 'met', completedAt: t(0, '10:00') },
    ],
    [
      'Friday 16:30 with a 1 h target is due Monday 09:30',
      { ticket: ticket({ createdAt: t(-3, '16:30'), stageEnteredAt: t(-3, '16:30') }) },
      t(-2, '12:00'),
      URGENT,
      { state: 'running', dueAt: t(0, '09:30'), usedMinutes: 30 },
    ],
    [
      'Friday 16:30 ticket breached Monday 09:31',
      { ticket: ticket({ createdAt: t(-3, '16:30'), stageEnteredAt: t(-3, '16:30') }) },
      t(0, '09:31'),
      URGENT,
      { state: 'breached', overdueMinutes: 1 },
    ],
  ])('%s', (_label, input, now, r, expected) => {
    check(clock(input, 'firstResponse', now, r), expected);
  });
});

describe('next response', () => {
  const replied = { firstAgentReplyAt: t(0, '10:00'), lastAgentMessageAt: t(0, '10:00') };
  it.each<[string, TTicketInput, Date, Expect | undefined]>([
    [
      'no clock before the first reply',
      { ticket: ticket({ lastCustomerMessageAt: t(0, '09:00') }) },
      t(0, '12:00'),
      undefined,
    ],
    ['no clock while nobody waits', { ticket: ticket(replied) }, t(0, '12:00'), undefined],
    [
      'starts at the customer message after the last agent reply',
      { ticket: ticket({ ...replied, lastCustomerMessageAt: t(0, '11:00') }) },
      t(0, '12:00'),
      { state: 'running', startedAt: t(0, '11:00'), dueAt: t(1, '11:00'), cycle: 0, usedMinutes: 60 },
    ],
    [
      'a thanks-only message does not start it',
      {
        ticket: ticket({ ...replied, lastCustomerMessageAt: t(0, '11:00') }),
        messages: [{ direction: 'INCOMING', createdAt: t(0, '11:00'), text: 'Thanks a lot!' }],
      },
      t(0, '12:00'),
      undefined,
    ],
    [
      'the first substantive message after the reply starts it',
      {
        ticket: ticket({ ...replied, lastCustomerMessageAt: t(0, '13:00') }),
        messages: [
          { direction: 'OUTGOING', createdAt: t(0, '10:00'), text: 'Please try again' },
          { direction: 'INCOMING', createdAt: t(0, '10:30'), text: 'ok' },
          { direction: 'INCOMING', createdAt: t(0, '11:00'), text: 'It still fails with error 500 on upload.' },
          { direction: 'INCOMING', createdAt: t(0, '13:00'), text: 'Any news on this? We are blocked.' },
        ],
      },
      t(0, '14:00'),
      { state: 'running', startedAt: t(0, '11:00'), usedMinutes: 180 },
    ],
    [
      'a follow-up from the customer does not move an open cycle',
      {
        ticket: ticket({ ...replied, lastCustomerMessageAt: t(0, '13:00') }),
        previous: [{ clock: 'nextResponse', cycle: 2, startedAt: t(0, '11:00'), completedAt: null }],
      },
      t(0, '14:00'),
      { startedAt: t(0, '11:00'), cycle: 2 },
    ],
    [
      'an agent reply completes the open cycle',
      {
        ticket: ticket({
          firstAgentReplyAt: t(0, '10:00'),
          lastAgentMessageAt: t(0, '15:00'),
          lastCustomerMessageAt: t(0, '11:00'),
        }),
        previous: [{ clock: 'nextResponse', cycle: 2, startedAt: t(0, '11:00'), completedAt: null }],
      },
      t(0, '16:00'),
      { state: 'met', startedAt: t(0, '11:00'), completedAt: t(0, '15:00'), cycle: 2, usedMinutes: 240 },
    ],
    [
      'a new customer message after a completed cycle starts the next cycle',
      {
        ticket: ticket({
          firstAgentReplyAt: t(0, '10:00'),
          lastAgentMessageAt: t(0, '15:00'),
          lastCustomerMessageAt: t(0, '16:00'),
        }),
        previous: [{ clock: 'nextResponse', cycle: 2, startedAt: t(0, '11:00'), completedAt: t(0, '15:00') }],
      },
      t(0, '16:30'),
      { state: 'running', startedAt: t(0, '16:00'), cycle: 3 },
    ],
    [
      'rebuilt from messages on the first evaluation',
      {
        ticket: ticket({
          firstAgentReplyAt: t(0, '10:00'),
          lastAgentMessageAt: t(1, '12:00'),
          lastCustomerMessageAt: t(0, '11:00'),
        }),
        messages: [
          { direction: 'OUTGOING', createdAt: t(0, '10:00'), text: 'Hello' },
          { direction: 'INCOMING', createdAt: t(0, '11:00'), text: 'The report is still empty today.' },
          { direction: 'OUTGOING', createdAt: t(1, '12:00'), text: 'Fixed' },
        ],
      },
      t(1, '13:00'),
      { state: 'missed', startedAt: t(0, '11:00'), completedAt: t(1, '12:00'), overdueMinutes: 60 },
    ],
    [
      'paused while waiting on the customer',
      {
        ticket: ticket({
          ...replied,
          lastCustomerMessageAt: t(0, '11:00'),
          stageId: '3',
          stageEnteredAt: t(0, '12:00'),
        }),
        stagePeriods: [
          { stageId: '1', enteredAt: MON_0900, exitedAt: t(0, '12:00') },
          { stageId: '3', enteredAt: t(0, '12:00'), exitedAt: null },
        ],
      },
      t(0, '13:00'),
      { state: 'paused', usedMinutes: 60, dueAt: t(1, '12:00') },
    ],
    [
      'resumes after the waiting stage, the paused time not counted',
      {
        ticket: ticket({
          ...replied,
          lastCustomerMessageAt: t(0, '11:00'),
          stageId: '2',
          stageEnteredAt: t(0, '14:00'),
        }),
        stagePeriods: [
          { stageId: '1', enteredAt: MON_0900, exitedAt: t(0, '12:00') },
          { stageId: '3', enteredAt: t(0, '12:00'), exitedAt: t(0, '14:00') },
          { stageId: '2', enteredAt: t(0, '14:00'), exitedAt: null },
        ],
      },
      t(0, '15:00'),
      { state: 'running', usedMinutes: 120, dueAt: t(1, '13:00') },
    ],
  ])('%s', (_label, input, now, expected) => {
    const result = clock(input, 'nextResponse', now);
    if (expected === undefined) expect(result).toBeUndefined();
    else check(result, expected);
  });
});

describe('resolution', () => {
  const dec = (day: number, time: string) => new Date(`2026-12-${String(day).padStart(2, '0')}T${time}:00+01:00`);
  it.each<[string, TTicketInput, Date, Expect]>([
    // Three working days from Monday 09:00: the same position on Thursday, which in business time is Wednesday 17:00.
    [
      'running over 3 business days',
      { ticket: ticket() },
      t(1, '09:00'),
      { state: 'running', usedMinutes: 480, dueAt: t(2, '17:00'), targetMinutes: 1440 },
    ],
    [
      'a holiday in the middle of the target moves the due date',
      { ticket: ticket({ createdAt: dec(23, '10:00'), stageEnteredAt: dec(23, '10:00') }) },
      dec(29, '11:00'),
      { state: 'running', usedMinutes: 1020, dueAt: dec(30, '10:00') },
    ],
    [
      'at risk after the holiday',
      { ticket: ticket({ createdAt: dec(23, '10:00'), stageEnteredAt: dec(23, '10:00') }) },
      dec(29, '12:00'),
      { state: 'at_risk', usedMinutes: 1080 },
    ],
    [
      'a waiting stage pauses it and the due date moves by the pause',
      {
        ticket: ticket({ stageId: '2', stageEnteredAt: t(2, '09:00') }),
        stagePeriods: [
          { stageId: '1', enteredAt: MON_0900, exitedAt: t(1, '09:00') },
          { stageId: '3', enteredAt: t(1, '09:00'), exitedAt: t(2, '09:00') },
          { stageId: '2', enteredAt: t(2, '09:00'), exitedAt: null },
        ],
      },
      t(3, '09:00'),
      { state: 'running', usedMinutes: 960, dueAt: t(3, '17:00') },
    ],
    [
      'paused while in the waiting stage',
      {
        ticket: ticket({ stageId: '3', stageEnteredAt: t(1, '09:00') }),
        stagePeriods: [{ stageId: '1', enteredAt: MON_0900, exitedAt: t(1, '09:00') }],
      },
      t(1, '12:00'),
      { state: 'paused', usedMinutes: 480 },
    ],
    [
      'met when closed in time',
      { ticket: ticket({ isClosed: true, closedAt: t(1, '10:00'), stageId: '4', stageEnteredAt: t(1, '10:00') }) },
      t(5, '10:00'),
      { state: 'met', usedMinutes: 540, completedAt: t(1, '10:00'), cycle: 0, dueAt: t(2, '17:00') },
    ],
    [
      'reopening resumes it in a new cycle, the closed time not counted',
      {
        ticket: ticket({
          stageId: '1',
          stageEnteredAt: t(1, '09:00'),
          closedAt: t(0, '11:00'),
          reopenedAt: t(1, '09:00'),
        }),
        stagePeriods: [
          { stageId: '1', enteredAt: MON_0900, exitedAt: t(0, '11:00') },
          { stageId: '4', enteredAt: t(0, '11:00'), exitedAt: t(1, '09:00') },
          { stageId: '1', enteredAt: t(1, '09:00'), exitedAt: null },
        ],
      },
      t(1, '10:00'),
      { state: 'running', usedMinutes: 180, cycle: 1, dueAt: t(3, '15:00') },
    ],
    [
      'reopening known only from HubSpot dates',
      { ticket: ticket({ stageEnteredAt: t(1, '09:00'), closedAt: t(0, '11:00'), reopenedAt: t(1, '09:00') }) },
      t(1, '10:00'),
      { usedMinutes: 180, cycle: 1 },
    ],
    [
      'breached, and a later pause does not hide it',
      {
        ticket: ticket({ stageId: '3', stageEnteredAt: t(3, '11:00') }),
        stagePeriods: [{ stageId: '1', enteredAt: MON_0900, exitedAt: t(3, '11:00') }],
      },
      t(4, '12:00'),
      { state: 'breached', overdueMinutes: 120 },
    ],
  ])('%s', (_label, input, now, expected) => {
    check(clock(input, 'resolution', now), expected);
  });
});

describe('policy and HubSpot due dates', () => {
  it('a priority change mid-flight re-evaluates the open clock under the new rule', () => {
    const rules = [
      { ...URGENT, when: { priority: ['URGENT', 'HIGH'] } },
      { ...STANDARD, when: undefined },
    ];
    const at = t(0, '10:30');
    const before = selectSlaRule(rules, {
      priority: 'LOW',
      pipelineId: '0',
      team: 'support',
      category: null,
      source: null,
    })!;
    const after = selectSlaRule(rules, {
      priority: 'URGENT',
      pipelineId: '0',
      team: 'support',
      category: null,
      source: null,
    })!;
    check(clock({ ticket: ticket() }, 'firstResponse', at, before), { state: 'running', dueAt: t(0, '13:00') });
    check(clock({ ticket: ticket() }, 'firstResponse', at, after), {
      state: 'breached',
      dueAt: t(0, '10:00'),
      overdueMinutes: 30,
    });
  });

  it("uses HubSpot's due date when switched on and reports the disagreement", () => {
    const input = { ticket: ticket({ hsFirstResponseDueAt: t(0, '11:00') }) };
    const own = computeTicketClocks(input, STANDARD, calendar, OPTIONS, t(0, '12:00'));
    const theirs = computeTicketClocks(input, STANDARD, calendar, { ...OPTIONS, useHubspotSla: true }, t(0, '12:00'));
    expect(own.clocks[0]).toMatchObject({ state: 'at_risk', dueSource: 'heed' });
    expect(theirs.clocks[0]).toMatchObject({
      state: 'breached',
      dueSource: 'hubspot',
      overdueMinutes: 60,
      targetMinutes: 120,
    });
    expect(own.disagreements).toEqual([
      { clock: 'firstResponse', heedDueAt: t(0, '13:00'), hubspotDueAt: t(0, '11:00'), differenceMinutes: -120 },
    ]);
  });

  it('the headline is the most urgent clock', () => {
    const result = computeTicketClocks(
      {
        ticket: ticket({
          firstAgentReplyAt: t(0, '10:00'),
          lastAgentMessageAt: t(0, '10:00'),
          lastCustomerMessageAt: t(0, '10:30'),
        }),
      },
      URGENT,
      calendar,
      OPTIONS,
      t(0, '12:45'),
    );
    expect(result.clocks.map((c) => [c.clock, c.state])).toEqual([
      ['firstResponse', 'met'],
      ['nextResponse', 'breached'],
      ['resolution', 'running'],
    ]);
    expect(result.headline?.clock).toBe('nextResponse');
  });

  it('a rule without a target for a clock has no such clock', () => {
    const result = computeTicketClocks(
      { ticket: ticket() },
      { name: 'fr-only', firstResponse: { days: 0, minutes: 60 }, warnAt: 0.5 },
      calendar,
      OPTIONS,
      t(0, '10:00'),
    );
    expect(result.clocks.map((c) => c.clock)).toEqual(['firstResponse']);
  });
});
