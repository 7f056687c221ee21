import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import {
  claimDeadline,
  claimForLadder,
  claimStatus,
  formatClaimWithin,
  type TClaimFacts,
} from '../../src/domain/claim.ts';
import { judgeTicketFlag, type TStoredFlag } from '../../src/domain/flag-machine.ts';

const nineToFive = [['09:00', '17:00']] as [string, string][];
const calendar = createBusinessCalendar({
  timezone: 'UTC',
  hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
});
// Monday 2026-11-23, the Friday and Saturday before, UTC.
const mon = (time: string) => new Date(`2026-11-23T${time}:00Z`);
const fri = (time: string) => new Date(`2026-11-20T${time}:00Z`);
const sat = (time: string) => new Date(`2026-11-21T${time}:00Z`);

const base: TClaimFacts = {
  claimedAt: mon('10:12'),
  handled: false,
  lastReplyAt: null,
  within: { days: 0, minutes: 30 },
  calendar,
};

describe('claimStatus: a claim promises a public reply within claimWithin (business time)', () => {
  it.each<[string, Partial<TClaimFacts>, Date, string, Date | undefined]>([
    ['no claim', { claimedAt: null }, mon('12:00'), 'none', undefined],
    ['just claimed', {}, mon('10:20'), 'pending', mon('10:42')],
    [
      'kept: a reply by anyone after the claim, in time',
      { lastReplyAt: mon('10:30') },
      mon('11:00'),
      'kept',
      mon('10:42'),
    ],
    ['kept at the deadline itself', { lastReplyAt: mon('10:42') }, mon('11:00'), 'kept', mon('10:42')],
    ['lapsed: no reply by the deadline', {}, mon('10:42'), 'lapsed', mon('10:42')],
    [
      'lapsed: the only reply came before the claim',
      { lastReplyAt: mon('09:30') },
      mon('11:00'),
      'lapsed',
      mon('10:42'),
    ],
    [
      'a reply after the deadline: replied late',
      { lastReplyAt: mon('11:00') },
      mon('11:05'),
      'replied_late',
      mon('10:42'),
    ],
    // Claimed on Saturday: the half hour starts with Monday's working day.
    ['claimed outside business hours', { claimedAt: sat('10:00') }, mon('09:29'), 'pending', mon('09:30')],
    ['… and lapses half an hour into Monday', { claimedAt: sat('10:00') }, mon('09:30'), 'lapsed', mon('09:30')],
    // Friday 16:50 + 30m: 10 minutes on Friday, 20 on Monday.
    ['claimed near the end of the day', { claimedAt: fri('16:50') }, mon('09:19'), 'pending', mon('09:20')],
    ['re-claimed after a lapse: a new promise', { claimedAt: mon('11:00') }, mon('11:10'), 'pending', mon('11:30')],
    ['handled: nothing promised any more', { handled: true }, mon('12:00'), 'none', undefined],
    [
      'a rule’s own promise: 1d',
      { within: { days: 1, minutes: 0 } },
      mon('17:00'),
      'pending',
      new Date('2026-11-24T10:12:00Z'),
    ],
  ])('%s', (_name, facts, now, kind, deadline) => {
    const status = claimStatus({ ...base, ...facts }, now);
    expect(status.kind).toBe(kind);
    expect('deadline' in status ? status.deadline : undefined).toEqual(deadline);
  });

  it('the ladder counts a claim while it runs or was kept, and forgets it once it lapsed', () => {
    const at = mon('10:12');
    expect(claimForLadder(at, claimStatus(base, mon('10:20')))).toEqual(at);
    expect(claimForLadder(at, claimStatus({ ...base, lastReplyAt: mon('10:30') }, mon('12:00')))).toEqual(at);
    expect(claimForLadder(at, claimStatus(base, mon('10:42')))).toBeNull();
    expect(claimForLadder(at, claimStatus({ ...base, lastReplyAt: mon('11:00') }, mon('12:00')))).toBeNull();
  });

  it('deadline and the promise as people read it', () => {
    expect(claimDeadline(mon('16:45'), { days: 0, minutes: 30 }, calendar)).toEqual(new Date('2026-11-24T09:15:00Z'));
    expect(formatClaimWithin({ days: 0, minutes: 30 })).toBe('30m');
    expect(formatClaimWithin({ days: 0, minutes: 90 })).toBe('1h 30m');
    expect(formatClaimWithin({ days: 1, minutes: 0 })).toBe('1d');
  });
});

describe('the flag machine releases a lapsed claim for the escalation ladder', () => {
  // Breached at 10:00 against a 60-minute target: the escalation channel's window is 30 business minutes.
  const stored: TStoredFlag = {
    key: 'ticket:1:firstResponse:0',
    kind: 'ticket',
    ticketId: '1',
    feedbackId: null,
    clock: 'firstResponse',
    team: 'support',
    state: 'breached',
    escalationLevel: 2,
    raisedAt: mon('09:45'),
    dueAt: mon('10:00'),
    breachedAt: mon('10:00'),
    resolvedAt: null,
    outcome: null,
    origin: 'live',
    seenAt: mon('10:00'),
    movedFrom: null,
    movedAt: null,
    updatedAt: mon('10:15'),
    claimedAt: mon('10:20'),
    handledAt: null,
    snoozedUntil: null,
  };
  const judge = (now: Date, claim: { lastReplyAt: Date | null } | undefined, flag = stored) =>
    judgeTicketFlag(
      {
        key: flag.key,
        ticketId: '1',
        stored: flag,
        clock: {
          clock: 'firstResponse',
          state: 'breached',
          dueAt: mon('10:00'),
          atRiskAt: mon('09:45'),
          completedAt: null,
          completedBy: null,
          targetMinutes: 60,
          pauses: [],
        },
        team: 'support',
        replied: false,
        escalateAfter: 0.5,
        calendar,
        claim: claim ? { within: { days: 0, minutes: 30 }, lastReplyAt: claim.lastReplyAt } : undefined,
      },
      { liveWindowMs: 15 * 60_000 },
      now,
    );

  it.each<[string, Date, { lastReplyAt: Date | null } | undefined, number, Date | undefined]>([
    // Without the timer (as before): the claim at 10:20 holds level 3 back until 10:51.
    ['no timer: the claim holds the leads back', mon('10:45'), undefined, 2, mon('10:51')],
    // With it: the claim runs until 10:50; the machine looks again then.
    ['claim running: held back, next look at its deadline', mon('10:45'), { lastReplyAt: null }, 2, mon('10:50')],
    // Lapsed at 10:50: counted from the breach, 30 minutes are long past — the leads hear of it.
    ['claim lapsed: escalated as if unclaimed', mon('10:50'), { lastReplyAt: null }, 3, undefined],
    ['claim kept (a reply in time): still held back', mon('10:50'), { lastReplyAt: mon('10:40') }, 2, mon('10:51')],
  ])('%s', (_name, now, claim, level, next) => {
    const judged = judge(now, claim);
    expect(judged.flag?.escalationLevel).toBe(level);
    expect(judged.nextCheckAt === undefined ? undefined : new Date(judged.nextCheckAt)).toEqual(next);
  });

  it('an unclaimed flag is unaffected by the timer', () => {
    const judged = judge(mon('10:45'), { lastReplyAt: null }, { ...stored, claimedAt: null });
    expect(judged.flag?.escalationLevel).toBe(3);
  });
});
