// engine.nextResponseFrom: where the next-response clock starts when the customer wrote twice since the last
// agent reply — the first unanswered message (default) or the latest one (restarting the clock, same cycle).
import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import { parseDuration } from '../../src/domain/duration.ts';
import { computeTicketClocks, type TClockOptions, type TTicketFacts } from '../../src/domain/sla-clocks.ts';
import { courtesySettings } from '../../src/domain/substantive.ts';

const nineToFive = [['09:00', '17:00']] as const;
const calendar = createBusinessCalendar({
  timezone: 'UTC',
  hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
  holidays: [],
});
const RULE = {
  name: 'standard',
  firstResponse: parseDuration('4h')!,
  nextResponse: parseDuration('2h')!,
  resolution: parseDuration('3d')!,
  warnAt: 0.75,
};
const at = (time: string) => new Date(`2026-11-23T${time}:00Z`); // a Monday
const ticket: TTicketFacts = {
  id: '1',
  createdAt: at('09:00'),
  isClosed: false,
  closedAt: null,
  reopenedAt: null,
  firstAgentReplyAt: at('09:30'),
  lastCustomerMessageAt: at('11:00'),
  lastAgentMessageAt: at('09:30'),
  stageId: '1',
  stageEnteredAt: at('09:00'),
  hsFirstResponseDueAt: null,
  hsNextResponseDueAt: null,
  hsCloseDueAt: null,
};
const messages = [
  {
    direction: 'INCOMING',
    createdAt: at('09:00'),
    text: 'The export has been failing since this morning, please help',
  },
  { direction: 'OUTGOING', createdAt: at('09:30'), text: 'Looking into it now.' },
  { direction: 'INCOMING', createdAt: at('10:00'), text: 'It now fails for every report we try to download, urgent' },
  { direction: 'INCOMING', createdAt: at('11:00'), text: 'Any news on this? Our finance team is blocked on it' },
];
const options = (nextResponseFrom?: 'firstUnanswered' | 'latest'): TClockOptions => ({
  waitingStageIds: new Set(),
  closedStageIds: new Set(),
  useHubspotSla: false,
  courtesy: courtesySettings({ minLength: 20 }),
  ...(nextResponseFrom ? { nextResponseFrom } : {}),
});

describe('next response with two unanswered customer messages', () => {
  it.each([
    [undefined, '10:00', '12:00', 'breached'],
    ['firstUnanswered', '10:00', '12:00', 'breached'],
    ['latest', '11:00', '13:00', 'at_risk'],
  ] as const)('nextResponseFrom=%s starts at %s, due %s, %s at 12:40', (mode, start, due, state) => {
    const result = computeTicketClocks({ ticket, messages }, RULE, calendar, options(mode), at('12:40'));
    const next = result.clocks.find((c) => c.clock === 'nextResponse')!;
    expect([next.startedAt.toISOString(), next.dueAt.toISOString(), next.state]).toEqual([
      at(start).toISOString(),
      at(due).toISOString(),
      state,
    ]);
  });

  it('keeps one cycle (one nudge) when the latest message moves the start', () => {
    const first = computeTicketClocks(
      { ticket: { ...ticket, lastCustomerMessageAt: at('10:00') }, messages: messages.slice(0, 3) },
      RULE,
      calendar,
      options('latest'),
      at('10:30'),
    ).clocks.find((c) => c.clock === 'nextResponse')!;
    const later = computeTicketClocks(
      {
        ticket,
        messages,
        previous: [{ clock: 'nextResponse', cycle: first.cycle, startedAt: first.startedAt, completedAt: null }],
      },
      RULE,
      calendar,
      options('latest'),
      at('11:30'),
    ).clocks.find((c) => c.clock === 'nextResponse')!;
    expect(later.startedAt.toISOString()).toBe(at('11:00').toISOString());
    expect(later.cycle).toBe(first.cycle);
  });
});
