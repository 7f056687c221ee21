// The escalation ladder of one flag, once per ticket per clock cycle (the flag key carries the cycle):
//   0 none → 1 at risk: nudge in the team channel mentioning the owner
//          → 2 breached: the nudge is updated and the owner pinged again in its thread
//          → 3 breached for more than `escalateAfter` of the target again: posted to the escalation channel.
// Feedback flags climb the same ladder: pending → 1, overdue → 2, overdue by escalateAfter × followUpWithin → 3.
// Levels never go down within a cycle, and only the highest step due is taken (a flag that went from
// nothing to long-breached between two runs escalates once, not three times).
//
// "Overdue since" has one rule for tickets and feedback alike (overdueMinutesSince): business minutes on the
// team's calendar from the later of the due time and a starting instant, pauses (waiting on the customer,
// closed) excluded. The ladder counts from:
// - the due time, for a breach Heed saw happen (a `live` flag);
// - the moment the team could first act on it, when that is later than the due time — a breach Heed first
//   saw already old (a `backlog` flag: first start, an outage, a late sync, a policy change), or a ticket that
//   moved to this team after its due time. Such a "late start" begins at level 1 (for a backlog flag: a line in
//   the team's backlog summary, not an individual nudge); level 2 (owner pinged) comes once it has stayed
//   breached for half the escalation window, and level 3 once it has stayed breached for the whole window
//   (escalateAfter × target of business time after that moment), never at once;
// - a claim, for level 3 only: someone has taken it on, so the escalation channel hears of it only if it stays
//   breached for the whole window after the claim.
import { addBusinessMs, type BusinessCalendar, businessMsBetween, type TInterval } from './calendar.ts';
import type { EscalationLevel, FlagState } from './flag.ts';

export const DEFAULT_ESCALATE_AFTER = 0.5;

const MINUTE = 60_000;
const NO_PAUSES: readonly TInterval[] = [];

/**
 * Business minutes overdue since `since` (a claim, first sight, a move), or since the due time if `since` is
 * earlier or absent: whole minutes on the team's calendar, `pauses` excluded. 0 when not overdue.
 */
export function overdueMinutesSince(
  dueAt: Date,
  since: Date | null,
  calendar: BusinessCalendar,
  now: Date,
  pauses: readonly TInterval[] = NO_PAUSES,
): number {
  const from = Math.max(dueAt.getTime(), since?.getTime() ?? 0);
  return Math.max(0, Math.floor(businessMsBetween(calendar, from, now.getTime(), pauses) / MINUTE));
}

/**
 * The first instant at which overdueMinutesSince(dueAt, since, …) exceeds `minutes` (whole minutes, so one
 * business minute after the threshold): where the ladder takes a step without any new fact.
 */
export function overdueExceedsAt(
  dueAt: Date,
  since: Date | null,
  minutes: number,
  calendar: BusinessCalendar,
  pauses: readonly TInterval[] = NO_PAUSES,
): number {
  const from = Math.max(dueAt.getTime(), since?.getTime() ?? 0);
  return addBusinessMs(calendar, from, (Math.floor(minutes) + 1) * MINUTE, pauses);
}

export interface TEscalationInput {
  readonly state: FlagState;
  /** The level already decided (0 for a new flag, or after a team change restarted the ladder). */
  readonly level: EscalationLevel;
  readonly targetMinutes: number;
  readonly dueAt: Date;
  /**
   * When the flag's current team could first act on its breach, if later than the due time: first sight of a
   * backlog breach, or the move to this team. Null for a breach Heed saw happen.
   */
  readonly lateStartAt: Date | null;
  /** A claim (level 3 waits the whole window after it); claims made before a team change do not count. */
  readonly claimedAt: Date | null;
  readonly snoozedUntil: Date | null;
  readonly escalateAfter: number;
  readonly calendar: BusinessCalendar;
  /** Paused time on the clock (waiting on the customer, closed): not counted as overdue. */
  readonly pauses: readonly TInterval[];
}

export interface TEscalationDecision {
  readonly level: EscalationLevel;
  /** A step up the ladder is due now. */
  readonly stepDue: boolean;
  /** Why a step that would otherwise be due is not taken. */
  readonly deferredBy: 'snooze' | 'claim' | 'handled' | undefined;
  /** The next instant a step can become due with no new facts (a ladder threshold or the snooze's end). */
  readonly nextAt: number | undefined;
}

const HANDLED: TEscalationDecision = { level: 0, stepDue: false, deferredBy: 'handled', nextAt: undefined };

/**
 * Decides the ladder at `now`. Works from threshold instants rather than overdue minutes, so the same walk
 * over the calendar gives both the level and when the next step falls due (the incremental evaluation's
 * ClockState.nextCheckAt).
 */
export function decideEscalation(input: TEscalationInput, now: Date): TEscalationDecision {
  const { state, level } = input;
  if (state === 'handled') return level === 0 ? HANDLED : { ...HANDLED, level };
  const at = now.getTime();
  let wanted: EscalationLevel = 0;
  let next: number | undefined;
  let deferredBy: TEscalationDecision['deferredBy'];
  if (state === 'at_risk' || state === 'pending' || state === 'predicted') {
    wanted = 1;
  } else if ((state === 'breached' || state === 'overdue') && level < 3) {
    const window = input.escalateAfter * input.targetMinutes;
    const late = input.lateStartAt !== null && input.lateStartAt.getTime() > input.dueAt.getTime();
    const anchor = late ? input.lateStartAt : null;
    wanted = 2;
    if (late && level < 2) {
      const pingAt = overdueExceedsAt(input.dueAt, anchor, window / 2, input.calendar, input.pauses);
      if (pingAt > at) {
        // Level 3 comes later still (a whole window from the same start, or from a later claim): nothing more
        // to work out unless a snooze is in the way.
        if (!input.snoozedUntil) return { level: 1, stepDue: level < 1, deferredBy: undefined, nextAt: pingAt };
        wanted = 1;
        next = pingAt;
      }
    }
    // A claim restarts the escalation channel's window: from the later of the claim and the ladder's start.
    const claim = input.claimedAt;
    const claimCounts = claim !== null && claim.getTime() > (anchor ?? input.dueAt).getTime();
    const escalateAt = overdueExceedsAt(
      input.dueAt,
      claimCounts ? claim : anchor,
      window,
      input.calendar,
      input.pauses,
    );
    if (escalateAt <= at) {
      wanted = 3;
    } else {
      next = next === undefined ? escalateAt : Math.min(next, escalateAt);
      if (claimCounts) {
        const unclaimedAt = overdueExceedsAt(input.dueAt, anchor, window, input.calendar, input.pauses);
        if (unclaimedAt <= at && level < 3) deferredBy = 'claim';
      }
    }
  } else if (state === 'breached' || state === 'overdue') {
    wanted = 3;
  }
  if (wanted > level && input.snoozedUntil && input.snoozedUntil.getTime() > at) {
    return { level, stepDue: false, deferredBy: 'snooze', nextAt: input.snoozedUntil.getTime() };
  }
  // A snooze ending matters only while a step may still come.
  const snoozeEnd = input.snoozedUntil?.getTime();
  if (snoozeEnd !== undefined && snoozeEnd > at && level < 3 && wanted > 0) {
    next = next === undefined ? snoozeEnd : Math.min(next, snoozeEnd);
  }
  const decided = (wanted > level ? wanted : level) as EscalationLevel;
  return { level: decided, stepDue: decided > level, deferredBy, nextAt: decided >= 3 ? undefined : next };
}
