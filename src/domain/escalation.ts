// The escalation ladder of one flag, once per ticket per clock cycle (the flag key carries the cycle):
//   0 none → 1 at risk: nudge in the team channel mentioning the owner
//          → 2 breached: the nudge is updated and the owner pinged again in its thread
//          → 3 breached for more than `escalateAfter` of the target again: posted to the escalation channel.
// Feedback flags climb the same ladder: pending → 1, overdue → 2, overdue by escalateAfter × followUpWithin → 3.
// Levels never go down within a cycle, and only the highest step due is taken (a flag that went from
// nothing to long-breached between two runs escalates once, not three times).
import type { EscalationLevel, FlagState } from './flag.ts';

export const DEFAULT_ESCALATE_AFTER = 0.5;

export interface TEscalationInput {
  readonly state: FlagState;
  readonly level: EscalationLevel;
  readonly targetMinutes: number;
  readonly overdueMinutes: number;
  /**
   * Business minutes overdue counted from the claim (or the due date if claimed earlier); null when unclaimed.
   * A claim restarts the window before the escalation channel hears of it: someone has taken it on.
   */
  readonly overdueSinceClaimMinutes: number | null;
  readonly escalateAfter: number;
  readonly snoozedUntil: Date | null;
}

export interface TEscalationDecision {
  readonly level: EscalationLevel;
  /** A step up the ladder is due now. */
  readonly stepDue: boolean;
  /** Why a step that would otherwise be due is not taken. */
  readonly deferredBy: 'snooze' | 'claim' | 'handled' | undefined;
}

/** Where the ladder would stand with nothing deferring it. */
export function ladderLevel(
  input: Pick<TEscalationInput, 'state' | 'targetMinutes' | 'overdueMinutes' | 'escalateAfter'>,
): EscalationLevel {
  switch (input.state) {
    case 'at_risk':
    case 'pending':
      return 1;
    case 'breached':
    case 'overdue':
      return input.overdueMinutes > input.escalateAfter * input.targetMinutes ? 3 : 2;
    default:
      return 0;
  }
}

export function decideEscalation(input: TEscalationInput, now: Date): TEscalationDecision {
  if (input.state === 'handled') return { level: input.level, stepDue: false, deferredBy: 'handled' };
  let wanted = ladderLevel(input);
  let deferredBy: TEscalationDecision['deferredBy'];
  if (wanted === 3 && input.overdueSinceClaimMinutes !== null) {
    const sinceClaim = ladderLevel({ ...input, overdueMinutes: input.overdueSinceClaimMinutes });
    if (sinceClaim < 3) {
      wanted = 2;
      if (input.level < 3) deferredBy = 'claim';
    }
  }
  if (wanted > input.level && input.snoozedUntil && input.snoozedUntil.getTime() > now.getTime()) {
    return { level: input.level, stepDue: false, deferredBy: 'snooze' };
  }
  const level = Math.max(input.level, wanted) as EscalationLevel;
  return { level, stepDue: level > input.level, deferredBy };
}
