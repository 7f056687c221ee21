// A claim (👀 or "I'm on it") is a promise to reply within `claimWithin` business time (per SLA rule, with a
// default). Pure: time, the calendar and the ticket's latest reply are arguments.
//
// A claim is kept when anyone on the team replies to the customer publicly after the claim and by its deadline:
// what a support lead cares about is that the customer got an answer, not who typed it (the claimer may have
// handed it to a colleague). It lapses when the deadline passes without such a reply: the nudge says so, the
// claimer is pinged again once per claim, and the ladder carries on as for an unclaimed ticket (the escalation
// channel's window no longer restarts from the claim). A reply after the deadline ends the "hasn't replied yet"
// line but not the lapse: the promise was broken, so the claim stays released for the ladder.
//
// The ticket's latest public agent reply is all Heed knows without the messages themselves: two replies, one in
// time and a later one, read as a late reply. That only matters for resolution clocks (a reply completes the
// response clocks, and their flags end anyway).
import { addBusinessTime, type BusinessCalendar } from './calendar.ts';
import type { TBusinessDuration } from './duration.ts';

/** When a rule and the policy say nothing: half an hour of business time. */
export const DEFAULT_CLAIM_WITHIN: TBusinessDuration = Object.freeze({ days: 0, minutes: 30 });

/**
 * The claim that still speaks for the flag's team: one made before the ticket last moved team was a promise to the
 * old team (the escalation ladder ignores it too, flag-machine.ts), so the new team's messages neither show it nor
 * time it.
 */
export function currentClaim(flag: {
  readonly claimedBy: string | null;
  readonly claimedAt: Date | null;
  readonly movedAt?: Date | null | undefined;
}): { by: string; at: Date } | undefined {
  if (!flag.claimedBy || !flag.claimedAt) return undefined;
  if (flag.movedAt && flag.claimedAt.getTime() < flag.movedAt.getTime()) return undefined;
  return { by: flag.claimedBy, at: flag.claimedAt };
}

export interface TClaimFacts {
  readonly claimedAt: Date | null;
  /** Marked handled: nothing is promised any more. */
  readonly handled: boolean;
  /** The ticket's latest public reply by anyone on the team (null: none yet). */
  readonly lastReplyAt: Date | null;
  readonly within: TBusinessDuration;
  readonly calendar: BusinessCalendar;
}

export type TClaimStatus =
  | { readonly kind: 'none' }
  | { readonly kind: 'pending'; readonly deadline: Date }
  | { readonly kind: 'kept'; readonly deadline: Date; readonly repliedAt: Date }
  | { readonly kind: 'lapsed'; readonly deadline: Date }
  | { readonly kind: 'replied_late'; readonly deadline: Date; readonly repliedAt: Date };

const NONE: TClaimStatus = Object.freeze({ kind: 'none' });

/**
 * The claim's deadline: `within` of business time on the team's calendar from the claim. A claim made outside
 * working hours starts counting at the next working slot (Saturday 10:00 with 30m → Monday 09:30).
 */
export function claimDeadline(claimedAt: Date, within: TBusinessDuration, calendar: BusinessCalendar): Date {
  return addBusinessTime(claimedAt, within, calendar);
}

export function claimStatus(facts: TClaimFacts, now: Date): TClaimStatus {
  const { claimedAt } = facts;
  if (claimedAt === null || facts.handled) return NONE;
  const deadline = claimDeadline(claimedAt, facts.within, facts.calendar);
  const reply = facts.lastReplyAt;
  if (reply !== null && reply.getTime() > claimedAt.getTime()) {
    if (reply.getTime() <= deadline.getTime()) return { kind: 'kept', deadline, repliedAt: reply };
    // Seen only now, after the deadline: the promise was broken even though the customer has an answer.
    if (reply.getTime() <= now.getTime()) return { kind: 'replied_late', deadline, repliedAt: reply };
  }
  return now.getTime() >= deadline.getTime() ? { kind: 'lapsed', deadline } : { kind: 'pending', deadline };
}

/** The claim as the ladder sees it: counted while pending or kept, released once it lapsed. */
export function claimForLadder(claimedAt: Date | null, status: TClaimStatus): Date | null {
  return status.kind === 'pending' || status.kind === 'kept' ? claimedAt : null;
}

/** "30m", "1h 30m", "1d": how the promise reads in a nudge (the policy's own units). */
export function formatClaimWithin(within: TBusinessDuration): string {
  const parts: string[] = [];
  if (within.days > 0) parts.push(`${within.days}d`);
  const hours = Math.floor(within.minutes / 60);
  const minutes = within.minutes % 60;
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0 || parts.length === 0) parts.push(`${minutes}m`);
  return parts.join(' ');
}
