import { describe, expect, it } from 'vitest';
import { createBusinessCalendar, type TInterval } from '../../src/domain/calendar.ts';
import type { TFeedbackEvaluation } from '../../src/domain/feedback.ts';
import {
  completionOutcome,
  endTicketFlag,
  flagOrigin,
  judgeFeedbackFlag,
  judgeTicket,
  judgeTicketFlag,
  lateStateSince,
  type TFlagEndReason,
  type TFlagJudgement,
  type TStoredFlag,
  type TTicketFlagInput,
} from '../../src/domain/flag-machine.ts';
import type { TClockResult } from '../../src/domain/sla-clocks.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const calendar = createBusinessCalendar({
  timezone: 'UTC',
  hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
});
const mon = (time: string) => new Date(`2026-11-23T${time}:00Z`);
const fri = (time: string) => new Date(`2026-11-20T${time}:00Z`);
const now = mon('12:00');
const settings = { liveWindowMs: 15 * 60_000 };

type Clock = TTicketFlagInput['clock'];
/** A 1 h first-response clock at risk from 11:55, due 12:10. */
const clock = (over: Partial<Clock> = {}): Clock => ({
  clock: 'firstResponse',
  state: 'at_risk',
  dueAt: mon('12:10'),
  atRiskAt: mon('11:55'),
  completedAt: null,
  completedBy: null,
  targetMinutes: 60,
  pauses: [],
  ...over,
});
const breachedAt = (due: Date, over: Partial<Clock> = {}) =>
  clock({ state: 'breached', dueAt: due, atRiskAt: new Date(due.getTime() - 15 * 60_000), ...over });

/** A stored flag, at risk and nudged live at 11:55. */
const stored = (over: Partial<TStoredFlag> = {}): TStoredFlag => ({
  key: 'ticket:1:firstResponse:0',
  kind: 'ticket',
  ticketId: '1',
  feedbackId: null,
  clock: 'firstResponse',
  team: 'support',
  state: 'at_risk',
  escalationLevel: 1,
  raisedAt: mon('11:55'),
  dueAt: mon('12:10'),
  breachedAt: null,
  resolvedAt: null,
  outcome: null,
  origin: 'live',
  seenAt: mon('11:55'),
  movedFrom: null,
  movedAt: null,
  updatedAt: mon('11:55'),
  claimedAt: null,
  handledAt: null,
  snoozedUntil: null,
  ...over,
});

const ticketFlag = (
  before: TStoredFlag | undefined,
  c: Clock,
  over: { team?: string; replied?: boolean; at?: Date } = {},
): TFlagJudgement =>
  judgeTicketFlag(
    {
      key: 'ticket:1:firstResponse:0',
      ticketId: '1',
      stored: before,
      clock: c,
      team: over.team ?? 'support',
      replied: over.replied ?? true,
      escalateAfter: 0.5,
      calendar,
    },
    settings,
    over.at ?? now,
  );

/** What a judgement comes to, in the terms the table states. */
function summary(j: TFlagJudgement) {
  return {
    changed: j.changed,
    state: j.flag?.state,
    level: j.flag?.escalationLevel,
    outcome: j.flag?.outcome,
    origin: j.flag?.origin,
    raisedAt: j.flag?.raisedAt,
    events: j.events.map((e) =>
      e.type === 'escalated'
        ? `escalated ${e.from}→${e.to}`
        : e.type === 'ended'
          ? `ended ${e.outcome}${e.wasHandled ? ' (was handled)' : ''}`
          : e.type === 'raised'
            ? `raised ${e.state} ${e.origin}${e.reopened ? ' reopened' : ''}`
            : e.type === 'breached'
              ? `breached ${e.origin}`
              : e.type === 'moved'
                ? `moved ${e.fromTeam}→${e.toTeam}`
                : e.type,
    ),
  };
}

type Row = [
  string,
  TStoredFlag | undefined,
  Clock,
  { team?: string; replied?: boolean; at?: Date },
  Partial<ReturnType<typeof summary>>,
];

describe('judgeTicketFlag: the next state of a ticket clock’s flag and the events that follow', () => {
  it.each<Row>([
    // ── raised, live or backlog
    [
      'turns at risk while Heed watches: a live nudge',
      undefined,
      clock(),
      {},
      { state: 'at_risk', level: 1, origin: 'live', events: ['raised at_risk live', 'escalated 0→1'] },
    ],
    [
      'at risk for an hour before Heed first saw it: backlog, level 1 (the team’s summary)',
      undefined,
      clock({ atRiskAt: mon('10:50'), dueAt: mon('12:10') }),
      {},
      { state: 'at_risk', level: 1, origin: 'backlog', events: ['raised at_risk backlog', 'escalated 0→1'] },
    ],
    [
      'at risk since 09:30 but paused until 11:55 (waiting on the customer): live from the resume',
      undefined,
      clock({ atRiskAt: mon('09:30'), pauses: [{ start: mon('10:00').getTime(), end: mon('11:55').getTime() }] }),
      {},
      { origin: 'live' },
    ],
    [
      'first seen breached since Friday: backlog, level 1 — no ping, no escalation at once',
      undefined,
      breachedAt(fri('15:00')),
      {},
      { state: 'breached', level: 1, origin: 'backlog', events: ['raised breached backlog', 'escalated 0→1'] },
    ],
    [
      'first seen 10 minutes after its due time: live, the owner is pinged',
      undefined,
      breachedAt(mon('11:50')),
      {},
      { state: 'breached', level: 2, origin: 'live', events: ['raised breached live', 'escalated 0→2'] },
    ],
    // ── breached, escalated
    [
      'breaches while Heed watches: the owner is pinged',
      stored({ dueAt: mon('11:58') }),
      breachedAt(mon('11:58')),
      {},
      { state: 'breached', level: 2, origin: 'live', events: ['breached live', 'escalated 1→2'] },
    ],
    [
      'a backlog at-risk flag that breaches while Heed watches becomes live',
      stored({ origin: 'backlog', dueAt: mon('11:58') }),
      breachedAt(mon('11:58')),
      {},
      { state: 'breached', level: 2, origin: 'live', events: ['breached live', 'escalated 1→2'] },
    ],
    [
      'a live at-risk flag whose breach came during an outage: backlog, its ladder from now',
      stored({ dueAt: mon('10:00') }),
      breachedAt(mon('10:00')),
      {},
      { state: 'breached', level: 1, origin: 'backlog', events: ['breached backlog'] },
    ],
    [
      'breached by more than half its target: the escalation channel',
      stored({ state: 'breached', escalationLevel: 2, dueAt: mon('11:29'), breachedAt: mon('11:29') }),
      breachedAt(mon('11:29')),
      {},
      { state: 'breached', level: 3, events: ['escalated 2→3'] },
    ],
    [
      'a backlog breach reaches the escalation channel the whole window after Heed first saw it',
      stored({
        state: 'breached',
        origin: 'backlog',
        raisedAt: mon('11:29'),
        seenAt: mon('11:29'),
        dueAt: fri('15:00'),
        breachedAt: fri('15:00'),
      }),
      breachedAt(fri('15:00')),
      {},
      { level: 3, origin: 'backlog', events: ['escalated 1→3'] },
    ],
    [
      'nothing new: nothing written',
      stored({ state: 'breached', escalationLevel: 2, dueAt: mon('11:45'), breachedAt: mon('11:45') }),
      breachedAt(mon('11:45')),
      {},
      { changed: false, level: 2, events: [] },
    ],
    // ── snoozed, claimed, handled
    [
      'snoozed: breached, but the owner’s ping waits for the snooze to end',
      stored({ snoozedUntil: mon('13:00'), dueAt: mon('11:58') }),
      breachedAt(mon('11:58')),
      {},
      { state: 'breached', level: 1, events: ['breached live'] },
    ],
    [
      'claimed 10 minutes ago: the escalation channel waits',
      stored({
        state: 'breached',
        escalationLevel: 2,
        dueAt: mon('10:00'),
        breachedAt: mon('10:00'),
        claimedAt: mon('11:50'),
      }),
      breachedAt(mon('10:00')),
      {},
      { changed: false, level: 2 },
    ],
    [
      'handled from Slack: the ladder stops and the outcome says so',
      stored({ state: 'handled', dueAt: mon('10:00') }),
      breachedAt(mon('10:00')),
      {},
      { changed: true, state: 'handled', level: 1, outcome: 'handled', events: [] },
    ],
    [
      'handled, outcome already recorded: nothing',
      stored({ state: 'handled', outcome: 'handled', dueAt: mon('10:00') }),
      breachedAt(mon('10:00')),
      {},
      { changed: false, state: 'handled' },
    ],
    [
      'a person undid “handled”: the stale outcome is cleared',
      stored({
        state: 'breached',
        outcome: 'handled',
        escalationLevel: 2,
        dueAt: mon('11:45'),
        breachedAt: mon('11:45'),
      }),
      breachedAt(mon('11:45')),
      {},
      { changed: true, state: 'breached', outcome: null, events: [] },
    ],
    // ── ended by the facts
    [
      'answered',
      stored({ state: 'breached', escalationLevel: 2 }),
      clock({ state: 'missed', completedAt: mon('11:58'), completedBy: 'reply' }),
      {},
      { state: 'resolved', outcome: 'answered', level: 2, events: ['ended answered'] },
    ],
    [
      'closed without any reply (not “answered”)',
      stored(),
      clock({ state: 'met', completedAt: mon('11:58'), completedBy: 'close' }),
      { replied: false },
      { state: 'resolved', outcome: 'closed_unanswered', events: ['ended closed_unanswered'] },
    ],
    [
      'handled, then answered: ends answered, and says it had been handled',
      stored({ state: 'handled', outcome: 'handled' }),
      clock({ state: 'met', completedAt: mon('11:58'), completedBy: 'reply' }),
      {},
      { state: 'resolved', outcome: 'answered', events: ['ended answered (was handled)'] },
    ],
    [
      'paused (waiting on the customer) before its due time: recovered',
      stored(),
      clock({ state: 'paused' }),
      {},
      { state: 'resolved', outcome: 'recovered', events: ['ended recovered'] },
    ],
    [
      'a longer target after a priority change: recovered',
      stored(),
      clock({ state: 'running', dueAt: mon('16:00'), atRiskAt: mon('15:00') }),
      {},
      { state: 'resolved', outcome: 'recovered' },
    ],
    [
      'handled and then no longer late: stays handled',
      stored({ state: 'handled', outcome: 'handled' }),
      clock({ state: 'running', dueAt: mon('16:00'), atRiskAt: mon('15:00') }),
      {},
      { changed: false, state: 'handled' },
    ],
    [
      'recovered, then at risk again: reopened, its level kept (no second nudge)',
      stored({ state: 'resolved', outcome: 'recovered', resolvedAt: mon('11:00'), raisedAt: mon('10:00') }),
      clock(),
      {},
      {
        state: 'at_risk',
        level: 1,
        outcome: null,
        origin: 'live',
        raisedAt: mon('10:00'),
        events: ['raised at_risk live reopened'],
      },
    ],
    [
      'closed without a reply, then open again (the ticket reopened): the ladder starts over, raised anew',
      stored({
        state: 'resolved',
        outcome: 'closed_unanswered',
        escalationLevel: 3,
        resolvedAt: mon('11:00'),
        raisedAt: mon('10:00'),
      }),
      clock(),
      {},
      {
        state: 'at_risk',
        level: 1,
        outcome: null,
        raisedAt: now,
        events: ['raised at_risk live reopened', 'escalated 0→1'],
      },
    ],
    [
      'an ended flag stays ended',
      stored({ state: 'resolved', outcome: 'answered', resolvedAt: mon('11:00') }),
      clock({ state: 'met', completedAt: mon('11:00'), completedBy: 'reply' }),
      {},
      { changed: false, state: 'resolved' },
    ],
    // ── moved
    [
      'moved team while breached and escalated: the ladder restarts at 1 for the new team',
      stored({ state: 'breached', escalationLevel: 3, dueAt: mon('10:00'), breachedAt: mon('10:00') }),
      breachedAt(mon('10:00')),
      { team: 'billing' },
      { state: 'breached', level: 1, events: ['moved support→billing', 'escalated 0→1'] },
    ],
    [
      'moved team while at risk: the new team’s nudge',
      stored(),
      clock(),
      { team: 'billing' },
      { state: 'at_risk', level: 1, events: ['moved support→billing', 'escalated 0→1'] },
    ],
    [
      'moved 40 minutes ago: the old team’s claim does not hold back the new team’s escalation',
      stored({
        state: 'breached',
        team: 'billing',
        escalationLevel: 2,
        movedFrom: 'support',
        movedAt: mon('11:20'),
        claimedAt: mon('11:00'),
        dueAt: mon('10:00'),
        breachedAt: mon('10:00'),
      }),
      breachedAt(mon('10:00')),
      { team: 'billing' },
      { level: 3, events: ['escalated 2→3'] },
    ],
    // ── nothing to flag
    [
      'running, no flag: nothing',
      undefined,
      clock({ state: 'running', atRiskAt: mon('12:30') }),
      {},
      { changed: false },
    ],
    [
      'met, no flag: nothing',
      undefined,
      clock({ state: 'met', completedAt: mon('11:00'), completedBy: 'reply' }),
      {},
      { changed: false },
    ],
    // ── due changes and easing
    [
      'the due time moved: the nudge shows it',
      stored(),
      clock({ dueAt: mon('12:20'), atRiskAt: mon('11:50') }),
      {},
      { state: 'at_risk', events: ['due_changed'] },
    ],
    [
      'breached, then a longer target makes it at risk again: eased, its level kept',
      stored({ state: 'breached', escalationLevel: 2, dueAt: mon('11:50'), breachedAt: mon('11:50') }),
      clock({ dueAt: mon('12:20'), atRiskAt: mon('11:50') }),
      {},
      { state: 'at_risk', level: 2, events: ['eased', 'due_changed'] },
    ],
  ])('%s', (_label, before, c, over, expected) => {
    const judgement = ticketFlag(before, c, over);
    expect(summary(judgement)).toMatchObject(expected);
    if (judgement.changed) expect(judgement.flag!.updatedAt).toEqual(over.at ?? now);
  });

  it('records when it was first seen, when it moved and from where, and when it ended', () => {
    const raised = ticketFlag(undefined, breachedAt(fri('15:00'))).flag!;
    expect(raised).toMatchObject({ raisedAt: now, seenAt: now, breachedAt: fri('15:00'), movedFrom: null });
    const moved = ticketFlag(stored({ state: 'breached', dueAt: fri('15:00') }), breachedAt(fri('15:00')), {
      team: 'billing',
    }).flag!;
    expect(moved).toMatchObject({ team: 'billing', movedFrom: 'support', movedAt: now, raisedAt: mon('11:55') });
    const ended = ticketFlag(stored(), clock({ state: 'met', completedAt: mon('11:58'), completedBy: 'reply' })).flag!;
    expect(ended).toMatchObject({ resolvedAt: mon('11:58'), team: 'support', origin: 'live' });
  });

  it.each<[string, TStoredFlag | undefined, Clock, Date | undefined]>([
    ['running: when it turns at risk', undefined, clock({ state: 'running', atRiskAt: mon('12:30') }), mon('12:30')],
    ['at risk: a millisecond after its due time', stored(), clock(), new Date(mon('12:10').getTime() + 1)],
    [
      'live breach: when it has been overdue half its target',
      stored({ state: 'breached', escalationLevel: 2, dueAt: mon('11:45'), breachedAt: mon('11:45') }),
      breachedAt(mon('11:45')),
      mon('12:16'),
    ],
    ['backlog breach: when the owner is to be pinged', undefined, breachedAt(fri('15:00')), mon('12:16')],
    [
      'at the top of the ladder: only new facts',
      stored({ state: 'breached', escalationLevel: 3, dueAt: fri('15:00'), breachedAt: fri('15:00') }),
      breachedAt(fri('15:00')),
      undefined,
    ],
    ['paused: only new facts', undefined, clock({ state: 'paused' }), undefined],
  ])('next check — %s', (_label, before, c, expected) => {
    const next = ticketFlag(before, c).nextCheckAt;
    expect(next === undefined ? undefined : new Date(next)).toEqual(expected);
  });
});

describe('endTicketFlag: flags no current clock carries', () => {
  it.each<
    [
      string,
      Partial<TStoredFlag>,
      TFlagEndReason,
      { closed: boolean; replied: boolean },
      Partial<ReturnType<typeof summary>>,
    ]
  >([
    [
      'archived or deleted in HubSpot',
      {},
      'deleted',
      { closed: false, replied: true },
      { outcome: 'deleted', events: ['ended deleted'] },
    ],
    [
      'deleted after someone handled it',
      { state: 'handled' },
      'deleted',
      { closed: false, replied: true },
      { outcome: 'deleted', events: ['ended deleted (was handled)'] },
    ],
    [
      'an earlier next-response cycle: answered',
      { clock: 'nextResponse' },
      'superseded',
      { closed: false, replied: true },
      { outcome: 'answered' },
    ],
    [
      'an earlier resolution cycle (closed, then reopened)',
      { clock: 'resolution' },
      'superseded',
      { closed: false, replied: true },
      { outcome: 'resolved' },
    ],
    [
      'an earlier resolution cycle closed without any reply',
      { clock: 'resolution' },
      'superseded',
      { closed: false, replied: false },
      { outcome: 'closed_unanswered' },
    ],
    [
      'no rule applies any more: recovered',
      {},
      'unwatched',
      { closed: false, replied: true },
      { outcome: 'recovered' },
    ],
    [
      'no rule applies, closed without any reply',
      {},
      'unwatched',
      { closed: true, replied: false },
      { outcome: 'closed_unanswered' },
    ],
    [
      'no rule applies, handled: stays handled',
      { state: 'handled', outcome: 'handled' },
      'unwatched',
      { closed: false, replied: true },
      { changed: false, state: 'handled' },
    ],
    [
      'already ended: left alone',
      { state: 'resolved', outcome: 'answered' },
      'deleted',
      { closed: false, replied: true },
      { changed: false, outcome: 'answered' },
    ],
  ])('%s', (_label, over, reason, ticket, expected) => {
    expect(summary(endTicketFlag(stored(over), reason, ticket, now))).toMatchObject({
      state: expected.changed === false ? expect.anything() : 'resolved',
      ...expected,
    });
  });

  it('judgeTicket ends the flags of an earlier cycle and judges the current one', () => {
    const cycle0 = stored({
      key: 'ticket:1:nextResponse:0',
      clock: 'nextResponse',
      state: 'breached',
      escalationLevel: 2,
    });
    const old = stored({
      key: 'ticket:1:nextResponse:-1',
      clock: 'nextResponse',
      state: 'resolved',
      outcome: 'answered',
    });
    const current = {
      ...clock({ clock: 'nextResponse' }),
      cycle: 1,
      startedAt: mon('11:10'),
      usedMinutes: 50,
      overdueMinutes: 0,
      dueSource: 'heed',
    } as TClockResult;
    const judged = judgeTicket(
      {
        ticketId: '1',
        team: 'support',
        deleted: false,
        closed: false,
        replied: true,
        clocks: [current],
        flags: [cycle0, old],
        escalateAfter: 0.5,
        calendar,
      },
      settings,
      now,
    );
    expect(judged.clocks.map((j) => [j.flag?.key, j.flag?.state])).toEqual([['ticket:1:nextResponse:1', 'at_risk']]);
    expect(judged.others.map((j) => [j.flag?.key, j.flag?.outcome])).toEqual([['ticket:1:nextResponse:0', 'answered']]);
    const gone = judgeTicket(
      {
        ticketId: '1',
        team: 'support',
        deleted: true,
        closed: false,
        replied: true,
        clocks: [current],
        flags: [cycle0, old, stored({ state: 'handled' })],
        escalateAfter: 0.5,
        calendar,
      },
      settings,
      now,
    );
    expect(gone.clocks).toEqual([]);
    expect(gone.others.map((j) => [j.flag?.key, j.flag?.outcome])).toEqual([
      ['ticket:1:nextResponse:0', 'deleted'],
      ['ticket:1:firstResponse:0', 'deleted'],
    ]);
  });
});

describe('judgeFeedbackFlag: negative feedback', () => {
  const feedbackFlag = (over: Partial<TStoredFlag> = {}) =>
    stored({ key: 'feedback:f1', kind: 'feedback', feedbackId: 'f1', clock: null, state: 'pending', ...over });
  // Follow up within 4 business hours: escalation after 2 more.
  const result = (state: TFeedbackEvaluation['state'], dueAt: Date, over: Partial<TFeedbackEvaluation> = {}) => ({
    state,
    dueAt,
    targetMinutes: 240,
    followUp: undefined,
    ...over,
  });
  it.each<
    [
      string,
      TStoredFlag | undefined,
      ReturnType<typeof result> | undefined,
      Date,
      Date,
      Partial<ReturnType<typeof summary>>,
    ]
  >([
    [
      'a negative answer from 5 minutes ago: live, nudged',
      undefined,
      result('pending', mon('15:55')),
      mon('11:55'),
      now,
      { state: 'pending', level: 1, origin: 'live', events: ['raised pending live', 'escalated 0→1'] },
    ],
    [
      'answers from last week on a first start: backlog, level 1',
      undefined,
      result('overdue', fri('12:00')),
      fri('08:00'),
      now,
      { state: 'overdue', level: 1, origin: 'backlog' },
    ],
    [
      'overdue while Heed watches: the owner is pinged',
      feedbackFlag({ dueAt: mon('11:58') }),
      result('overdue', mon('11:58')),
      mon('07:58'),
      now,
      { state: 'overdue', level: 2, events: ['breached live', 'escalated 1→2'] },
    ],
    [
      'overdue by more than half the follow-up time: escalated',
      feedbackFlag({ state: 'overdue', escalationLevel: 2, dueAt: mon('09:30'), breachedAt: mon('09:30') }),
      result('overdue', mon('09:30')),
      fri('13:30'),
      now,
      { level: 3, events: ['escalated 2→3'] },
    ],
    [
      'claimed Friday 16:50 and still overdue Monday 09:45: 55 business minutes since the claim, not three days',
      feedbackFlag({
        state: 'overdue',
        escalationLevel: 2,
        dueAt: fri('16:00'),
        breachedAt: fri('16:00'),
        claimedAt: fri('16:50'),
      }),
      result('overdue', fri('16:00')),
      fri('12:00'),
      mon('09:45'),
      { changed: false, level: 2 },
    ],
    [
      'followed up by a ticket reply',
      feedbackFlag(),
      result('resolved', mon('15:00'), { followUp: { at: mon('11:30'), by: 'reply' } }),
      mon('11:00'),
      now,
      { state: 'resolved', outcome: 'followed_up', events: ['ended followed_up'] },
    ],
    [
      'no longer negative (the score was changed)',
      feedbackFlag(),
      result('not_negative', mon('15:00')),
      mon('11:00'),
      now,
      { state: 'resolved', outcome: 'recovered' },
    ],
    [
      'archived or deleted in HubSpot',
      feedbackFlag(),
      undefined,
      mon('11:00'),
      now,
      { state: 'resolved', outcome: 'deleted' },
    ],
    [
      'marked handled in Slack: final',
      feedbackFlag({ state: 'handled' }),
      undefined,
      mon('11:00'),
      now,
      { state: 'handled', outcome: 'handled', events: [] },
    ],
    [
      'handled recorded but not its state: the engine records it',
      feedbackFlag(),
      result('handled', mon('15:00'), { followUp: { at: mon('11:40'), by: 'slack' } }),
      mon('11:00'),
      now,
      { state: 'handled', outcome: 'handled', events: ['ended handled (was handled)'] },
    ],
  ])('%s', (_label, before, verdict, submittedAt, at, expected) => {
    const judgement = judgeFeedbackFlag(
      {
        key: 'feedback:f1',
        feedbackId: 'f1',
        ticketId: null,
        stored: before,
        result: verdict,
        submittedAt,
        team: 'support',
        calendar,
      },
      settings,
      at,
    );
    expect(summary(judgement)).toMatchObject(expected);
  });

  it('a followed-up answer ends when the follow-up happened', () => {
    const judgement = judgeFeedbackFlag(
      {
        key: 'feedback:f1',
        feedbackId: 'f1',
        ticketId: null,
        stored: feedbackFlag(),
        result: result('resolved', mon('15:00'), { followUp: { at: mon('11:30'), by: 'reply' } }),
        submittedAt: mon('11:00'),
        team: 'support',
        calendar,
      },
      settings,
      now,
    );
    expect(judgement.flag).toMatchObject({ resolvedAt: mon('11:30'), kind: 'feedback', feedbackId: 'f1' });
  });
});

describe('the rules the machine is built from', () => {
  it.each<[string, Date, Date, 'live' | 'backlog']>([
    ['crossed a minute before first sight', mon('11:59'), now, 'live'],
    ['crossed exactly the window before', mon('11:45'), now, 'live'],
    ['crossed just over the window before', new Date(mon('11:45').getTime() - 1), now, 'backlog'],
    ['crossed yesterday', fri('12:00'), now, 'backlog'],
  ])('origin: %s', (_label, threshold, firstSight, origin) => {
    expect(flagOrigin(threshold, firstSight, settings)).toBe(origin);
  });

  const pause = (from: string, to: string): TInterval => ({ start: mon(from).getTime(), end: mon(to).getTime() });
  it.each<[string, Clock, Date]>([
    ['at risk: the at-risk instant', clock(), mon('11:55')],
    ['breached: the due time', breachedAt(mon('11:00')), mon('11:00')],
    [
      'at risk, paused after it: when it resumed',
      clock({ atRiskAt: mon('09:30'), pauses: [pause('10:00', '11:40')] }),
      mon('11:40'),
    ],
    ['at risk, paused before it: the at-risk instant', clock({ pauses: [pause('10:00', '11:00')] }), mon('11:55')],
  ])('late since: %s', (_label, c, expected) => {
    expect(new Date(lateStateSince(c, now))).toEqual(expected);
  });

  it.each<[string, 'firstResponse' | 'nextResponse' | 'resolution', 'reply' | 'close', boolean, string]>([
    ['first response by a reply', 'firstResponse', 'reply', true, 'answered'],
    ['first response by closing', 'firstResponse', 'close', false, 'closed_unanswered'],
    ['next response by a reply', 'nextResponse', 'reply', true, 'answered'],
    ['next response by closing', 'nextResponse', 'close', true, 'closed_unanswered'],
    ['resolution after a reply', 'resolution', 'close', true, 'resolved'],
    ['resolution without any reply', 'resolution', 'close', false, 'closed_unanswered'],
  ])('outcome: %s', (_label, clockName, by, replied, outcome) => {
    expect(completionOutcome(clockName, by, replied)).toBe(outcome);
  });
});

describe('predicted flags (first-response clocks likely to breach before their warnAt)', () => {
  const judge = (before: TStoredFlag | undefined, c: Clock, predicted: boolean | undefined) =>
    judgeTicketFlag(
      {
        key: 'ticket:1:firstResponse:0',
        ticketId: '1',
        stored: before,
        clock: c,
        team: 'support',
        replied: false,
        escalateAfter: 0.5,
        calendar,
        predicted,
      },
      settings,
      now,
    );
  // Running at 12:00: at risk from 12:25, due 12:40.
  const calm = clock({ state: 'running', atRiskAt: mon('12:25'), dueAt: mon('12:40') });
  const predictedFlag = stored({ state: 'predicted', dueAt: mon('12:40'), raisedAt: mon('11:30') });

  it.each<[string, TStoredFlag | undefined, Clock, boolean | undefined, string | undefined, string[]]>([
    ['raised live at level 1 (a nudge) when predicted', undefined, calm, true, 'predicted', ['raised', 'escalated']],
    ['nothing when not predicted', undefined, calm, false, undefined, []],
    ['nothing when predictions are off', undefined, calm, undefined, undefined, []],
    [
      'kept while the clock is calm, even when the queue eases (no flapping)',
      predictedFlag,
      calm,
      false,
      'predicted',
      [],
    ],
    [
      'at warnAt it is raised at risk, not "breached"',
      predictedFlag,
      clock({ dueAt: mon('12:40') }),
      false,
      'at_risk',
      ['raised'],
    ],
    [
      'answered in time: ends answered',
      predictedFlag,
      clock({ state: 'met', completedAt: mon('11:58'), completedBy: 'reply', dueAt: mon('12:40') }),
      true,
      'resolved',
      ['ended'],
    ],
    [
      'paused (waiting on the customer): ends recovered',
      predictedFlag,
      clock({ state: 'paused', dueAt: mon('12:40') }),
      true,
      'resolved',
      ['ended'],
    ],
    ['turned off: a predicted flag ends recovered', predictedFlag, calm, undefined, 'resolved', ['ended']],
    ['handled in Slack: not predicted again', stored({ state: 'handled' }), calm, true, 'handled', []],
  ])('%s', (_label, before, c, predicted, state, events) => {
    const judged = judge(before, c, predicted);
    expect(judged.flag?.state).toBe(state);
    expect(judged.events.map((e) => e.type)).toEqual(events);
    if (state === 'predicted' && before === undefined) {
      expect(judged.flag).toMatchObject({ escalationLevel: 1, origin: 'live', dueAt: mon('12:40'), breachedAt: null });
      // The incremental evaluation comes back at the at-risk instant.
      expect(judged.nextCheckAt).toBe(mon('12:25').getTime());
    }
  });

  it('only the first-response clock of a ticket can be predicted', () => {
    const judged = judgeTicket(
      {
        ticketId: '1',
        team: 'support',
        deleted: false,
        closed: false,
        replied: false,
        clocks: [
          { ...calm, cycle: 0 } as unknown as TClockResult,
          { ...calm, clock: 'resolution', cycle: 0 } as unknown as TClockResult,
        ],
        flags: [],
        escalateAfter: 0.5,
        calendar,
        predicted: true,
      },
      settings,
      now,
    );
    expect(judged.clocks.map((j) => j.flag?.state)).toEqual(['predicted', undefined]);
  });
});
