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
 * - ticket flags: `at_risk` → `breached` → `resolved` (the clock completed, or the ticket closed/was deleted).
 * - feedback flags: `pending` (negative, not followed up, not yet overdue) → `overdue` → `resolved` (followed up).
 * `handled` means a person marked it done from Slack: escalation stops for that cycle.
 */
export type FlagState = 'at_risk' | 'breached' | 'pending' | 'overdue' | 'resolved' | 'handled';
export const OPEN_FLAG_STATES: readonly FlagState[] = ['at_risk', 'breached', 'pending', 'overdue'];

/**
 * Escalation ladder position. Flag.escalationLevel is the step the SLA engine has decided is due
 * (it already applies snooze/claim deferral and "once per clock cycle"); Nudge.level is the step the
 * Slack side has carried out. The Slack side reconciles the two, so a crash between them loses nothing.
 * 0: none yet; 1: nudge in the team channel; 2: breached — nudge updated, owner pinged in its thread;
 * 3: escalated to the team's escalation channel.
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
