// The contract between the SLA engine (which raises and updates flags) and the Slack side
// (which renders them as nudges and records what people do about them). Both sides meet in
// the Flag table; these are the values its columns may hold.

/** The three response clocks a ticket has, each reported separately. */
export type ClockName = 'firstResponse' | 'nextResponse' | 'resolution';
export const CLOCK_NAMES: readonly ClockName[] = ['firstResponse', 'nextResponse', 'resolution'];

/** State of one clock at one instant. `met`/`missed` are final for the cycle. */
export type ClockStateName = 'running' | 'at_risk' | 'breached' | 'met' | 'missed' | 'paused';

/** What a flag is about. */
export type FlagKind = 'ticket' | 'feedback';

/**
 * Flag states.
 * - ticket flags: (`predicted` →) `at_risk` → `breached` → `resolved` (the clock completed, the ticket closed or was deleted,
 *   or the clock stopped being late: see FlagOutcome).
 * - feedback flags: `pending` (negative, not followed up, not yet overdue) → `overdue` → `resolved` (followed up).
 * `predicted` (first-response clocks only): still calm, but likely to breach at its owner's pace (predict.ts); it
 * becomes `at_risk` at the clock's warnAt like any other, and stays predicted until then (no flapping).
 * `handled` means a person marked it done from Slack: escalation stops for that cycle. A handled ticket flag
 * still ends as `resolved` when its clock completes or the ticket goes (flag-machine.ts), so every message
 * about it can say what happened in the end.
 */
export type FlagState = 'predicted' | 'at_risk' | 'breached' | 'pending' | 'overdue' | 'resolved' | 'handled';
/** The states in which a flag still needs someone: the one list (the SLA engine, Slack, metrics, status). */
export const OPEN_FLAG_STATES = [
  'predicted',
  'at_risk',
  'breached',
  'pending',
  'overdue',
] as const satisfies readonly FlagState[];
export type OpenFlagState = (typeof OPEN_FLAG_STATES)[number];
/** The states of a flag that is over: the clock completed, the ticket closed, or a person marked it done. */
export const FINISHED_FLAG_STATES = ['resolved', 'handled'] as const satisfies readonly FlagState[];

export function isOpenState(state: string | undefined): state is OpenFlagState {
  return (OPEN_FLAG_STATES as readonly (string | undefined)[]).includes(state);
}

/**
 * Why a flag stopped being open (Flag.outcome; null while it is open). Set by the SLA engine, except that
 * a flag a person marks handled in Slack is `handled` (the engine records it at its next run if the Slack
 * side did not).
 * - `answered`: the reply the clock waited for came (first or next response).
 * - `resolved`: the ticket was closed after an agent had replied (the resolution clock completed).
 * - `closed_unanswered`: the ticket was closed without the reply this clock waited for (first and resolution
 *   clocks: without any agent reply at all; next response: without answering the customer's last message).
 * - `deleted`: the ticket or feedback answer was archived or deleted in HubSpot.
 * - `recovered`: no longer late without being completed — the clock paused (waiting on the customer), a
 *   policy or priority change gave it a longer target or no target, or the answer is no longer negative.
 *   A recovered flag can open again (same key) if the clock becomes late again.
 * - `followed_up`: negative feedback answered by a ticket reply or a new ticket for the contact.
 * - `handled`: marked handled from Slack (and nothing above happened since).
 * A team change is not an outcome: the flag stays open and follows the ticket (Flag.movedFrom/movedAt).
 */
export type FlagOutcome =
  | 'answered'
  | 'resolved'
  | 'closed_unanswered'
  | 'deleted'
  | 'recovered'
  | 'followed_up'
  | 'handled';

/**
 * Whether the flag's current open state began while Heed was watching (`live`) or before Heed could have
 * noticed (`backlog`: first start, an outage, a ticket synced late, a policy change that made clocks late).
 * See flag-machine.ts for the rule and what each means for the escalation ladder.
 */
export type FlagOrigin = 'live' | 'backlog';

/**
 * Escalation ladder position. Flag.escalationLevel is the step the SLA engine has decided is due
 * (it already applies snooze/claim deferral and "once per clock cycle"); Nudge.level is the step the
 * Slack side has carried out. The Slack side reconciles the two, so a crash between them loses nothing.
 * 0: none yet; 1: nudge in the team channel (for a `backlog` flag: a line in the team's backlog summary);
 * 2: breached — nudge updated, owner pinged in its thread; 3: escalated to the team's escalation channel.
 * Levels never go down within a cycle, except that a team change restarts the ladder for the new team.
 */
export type EscalationLevel = 0 | 1 | 2 | 3;

export function ticketFlagKey(ticketId: string, clock: ClockName, cycle: number): string {
  return `ticket:${ticketId}:${clock}:${cycle}`;
}

export function feedbackFlagKey(feedbackId: string): string {
  return `feedback:${feedbackId}`;
}

export type ParsedFlagKey =
  | { kind: 'ticket'; ticketId: string; clock: ClockName; cycle: number }
  | { kind: 'feedback'; feedbackId: string };

export function parseFlagKey(key: string): ParsedFlagKey | undefined {
  const parts = key.split(':');
  if (parts[0] === 'feedback' && parts.length === 2 && parts[1]) {
    return { kind: 'feedback', feedbackId: parts[1] };
  }
  if (parts[0] === 'ticket' && parts.length === 4 && parts[1]) {
    const clock = parts[2] as ClockName;
    const cycle = Number(parts[3]);
    if (CLOCK_NAMES.includes(clock) && Number.isInteger(cycle) && cycle >= 0) {
      return { kind: 'ticket', ticketId: parts[1], clock, cycle };
    }
  }
  return undefined;
}
