// Unanswered negative feedback. An answer needs a follow-up when its score is negative by the policy's
// thresholds, or (configurable) when it carries a comment at all: criticism is worth more than praise.
// It is answered by the first of: an agent reply on an associated ticket after it was submitted, a ticket
// created for the same contact after it, or someone marking it handled from Slack. It is overdue once
// `followUpWithin` business time has passed since it was submitted.
import { addBusinessMs, type BusinessCalendar, businessMsBetween, durationMs } from './calendar.ts';
import type { TBusinessDuration } from './duration.ts';

export interface TFeedbackThresholds {
  readonly NPS: { readonly atMost: number };
  readonly CSAT: { readonly atMost: number };
  /** HubSpot's CES runs 1 (very difficult) to 7 (very easy): a low score is the bad one. */
  readonly CES: { readonly atMost: number };
  /** Any answer with a comment needs a follow-up. */
  readonly commentsCount: boolean;
}

export interface TFeedbackFacts {
  readonly id: string;
  /** NPS, CSAT or CES (HubSpot's hs_survey_type). */
  readonly surveyType: string;
  readonly value: number | null;
  readonly content: string | null;
  /** HubSpot's grouping of the score (hs_response_group), when it gives one: DETRACTOR is negative whatever the scale. */
  readonly responseGroup?: string | null;
  readonly submittedAt: Date;
}

export interface TFollowUpEvidence {
  /** Agent replies on tickets associated with the answer (a ticket's last agent message will do). */
  readonly ticketReplies: readonly Date[];
  /** Creation times of tickets for the same contact. */
  readonly contactTickets: readonly Date[];
  /** When someone marked it handled from Slack. */
  readonly handledAt: Date | null;
}

export type TFollowUpKind = 'reply' | 'ticket' | 'slack';

export type TFeedbackState = 'not_negative' | 'pending' | 'overdue' | 'resolved' | 'handled';

export interface TFeedbackEvaluation {
  readonly negative: boolean;
  readonly state: TFeedbackState;
  readonly dueAt: Date;
  readonly targetMinutes: number;
  /** Business minutes past due, 0 when not overdue (for answered ones: how late the follow-up came). */
  readonly overdueMinutes: number;
  readonly followUp: { readonly at: Date; readonly by: TFollowUpKind } | undefined;
}

const MINUTE = 60_000;

export function isNegativeFeedback(
  feedback: Omit<TFeedbackFacts, 'id' | 'submittedAt'>,
  thresholds: TFeedbackThresholds,
): boolean {
  if (thresholds.commentsCount && feedback.content !== null && feedback.content.trim() !== '') return true;
  // HubSpot knows the survey's scale (a CSAT of three faces, a 1–7 CES): its detractors always need a follow-up.
  if (feedback.responseGroup?.toUpperCase() === 'DETRACTOR') return true;
  if (feedback.value === null || Number.isNaN(feedback.value)) return false;
  switch (feedback.surveyType.toUpperCase()) {
    case 'NPS':
      return feedback.value <= thresholds.NPS.atMost;
    case 'CSAT':
      return feedback.value <= thresholds.CSAT.atMost;
    // CES asks how easy it was (7 = very easy; HubSpot counts 1–3 as detractors).
    case 'CES':
      return feedback.value <= thresholds.CES.atMost;
    default:
      return false;
  }
}

/** The earliest follow-up after submission that had happened by `now`. */
export function findFollowUp(
  feedback: Pick<TFeedbackFacts, 'submittedAt'>,
  evidence: TFollowUpEvidence,
  now: Date,
): { at: Date; by: TFollowUpKind } | undefined {
  const after = feedback.submittedAt.getTime();
  const candidates: { at: number; by: TFollowUpKind }[] = [
    ...evidence.ticketReplies.map((d) => ({ at: d.getTime(), by: 'reply' as const })),
    ...evidence.contactTickets.map((d) => ({ at: d.getTime(), by: 'ticket' as const })),
  ].filter((c) => c.at > after && c.at <= now.getTime());
  // Marking it handled from Slack counts whenever it happened: the person saw it.
  if (evidence.handledAt && evidence.handledAt.getTime() <= now.getTime()) {
    candidates.push({ at: evidence.handledAt.getTime(), by: 'slack' });
  }
  const first = candidates.sort((a, b) => a.at - b.at)[0];
  return first ? { at: new Date(first.at), by: first.by } : undefined;
}

export function evaluateFeedback(
  feedback: TFeedbackFacts,
  thresholds: TFeedbackThresholds,
  followUpWithin: TBusinessDuration,
  calendar: BusinessCalendar,
  evidence: TFollowUpEvidence,
  now: Date,
): TFeedbackEvaluation {
  const submitted = feedback.submittedAt.getTime();
  const targetMs = durationMs(calendar, submitted, followUpWithin);
  const due = addBusinessMs(calendar, submitted, targetMs);
  const negative = isNegativeFeedback(feedback, thresholds);
  const followUp = findFollowUp(feedback, evidence, now);
  const until = followUp ? followUp.at.getTime() : now.getTime();
  const overdue = until > due ? businessMsBetween(calendar, due, until) : 0;
  let state: TFeedbackState;
  if (!negative) state = 'not_negative';
  else if (followUp) state = followUp.by === 'slack' ? 'handled' : 'resolved';
  else state = now.getTime() > due ? 'overdue' : 'pending';
  return {
    negative,
    state,
    dueAt: new Date(due),
    targetMinutes: Math.round(targetMs / MINUTE),
    overdueMinutes: Math.floor(overdue / MINUTE),
    followUp,
  };
}
