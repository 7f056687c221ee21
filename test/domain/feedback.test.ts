import { describe, expect, it } from 'vitest';
import { createBusinessCalendar } from '../../src/domain/calendar.ts';
import {
  evaluateFeedback,
  isNegativeFeedback,
  type TFeedbackFacts,
  type TFeedbackThresholds,
  type TFollowUpEvidence,
} from '../../src/domain/feedback.ts';

const THRESHOLDS: TFeedbackThresholds = {
  NPS: { atMost: 6 },
  CSAT: { atMost: 2 },
  CES: { atMost: 3 },
  commentsCount: true,
};
const nineToFive = [['09:00', '17:00']] as const;
const calendar = createBusinessCalendar({
  timezone: 'America/New_York',
  hours: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
});

describe('isNegativeFeedback', () => {
  it.each<[string, number | null, string | null, boolean, boolean]>([
    ['NPS', 6, null, true, true],
    ['NPS', 7, null, true, false],
    ['nps', 0, null, true, true],
    ['CSAT', 2, null, true, true],
    ['CSAT', 3, null, true, false],
    // HubSpot's CES: 1 very difficult … 7 very easy; 1–3 are its detractors.
    ['CES', 3, null, true, true],
    ['CES', 4, null, true, false],
    ['CES', 7, null, true, false],
    ['NPS', 10, 'Love it, but the export is slow', true, true],
    ['NPS', 10, 'Love it, but the export is slow', false, false],
    ['NPS', 10, '   ', true, false],
    ['NPS', null, null, true, false],
    ['CUSTOM', 1, null, true, false],
  ])('%s %s with comment %j (comments count: %s) → %s', (surveyType, value, content, commentsCount, expected) => {
    expect(isNegativeFeedback({ surveyType, value, content }, { ...THRESHOLDS, commentsCount })).toBe(expected);
  });

  it.each<[string, string, number, string | null, boolean]>([
    ['a CSAT of three faces: the sad one (0)', 'CSAT', 0, 'DETRACTOR', true],
    ['a score past no threshold that HubSpot calls a detractor', 'NPS', 7, 'DETRACTOR', true],
    ['a passive within the thresholds stays negative by score', 'CSAT', 2, 'PASSIVE', true],
    ['a promoter', 'CES', 7, 'PROMOTER', false],
    ['no group: the thresholds decide', 'CES', 2, null, true],
  ])('%s', (_name, surveyType, value, responseGroup, expected) => {
    const thresholds = { ...THRESHOLDS, commentsCount: false };
    expect(isNegativeFeedback({ surveyType, value, content: null, responseGroup }, thresholds)).toBe(expected);
  });
});

describe('evaluateFeedback', () => {
  // Monday 2026-11-23 10:00 New York.
  const submittedAt = new Date('2026-11-23T10:00:00-05:00');
  const answer: TFeedbackFacts = { id: 'f1', surveyType: 'NPS', value: 3, content: null, submittedAt };
  const none: TFollowUpEvidence = { ticketReplies: [], contactTickets: [], handledAt: null };
  const at = (iso: string) => new Date(iso);

  it.each<[string, TFeedbackFacts, TFollowUpEvidence, string, Record<string, unknown>]>([
    [
      'pending within a business day',
      answer,
      none,
      '2026-11-23T16:00:00-05:00',
      { state: 'pending', overdueMinutes: 0 },
    ],
    [
      'overdue after a business day',
      answer,
      none,
      '2026-11-24T11:30:00-05:00',
      { state: 'overdue', overdueMinutes: 90 },
    ],
    [
      'answered by a later reply on its ticket',
      answer,
      { ...none, ticketReplies: [at('2026-11-23T09:00:00-05:00'), at('2026-11-23T15:00:00-05:00')] },
      '2026-11-25T10:00:00-05:00',
      { state: 'resolved', followUp: { at: at('2026-11-23T15:00:00-05:00'), by: 'reply' } },
    ],
    [
      'a reply before it was submitted does not count',
      answer,
      { ...none, ticketReplies: [at('2026-11-23T09:00:00-05:00')] },
      '2026-11-24T12:00:00-05:00',
      { state: 'overdue', followUp: undefined },
    ],
    [
      'answered by a new ticket for the contact, late',
      answer,
      { ...none, contactTickets: [at('2026-11-24T12:00:00-05:00')] },
      '2026-11-25T10:00:00-05:00',
      { state: 'resolved', overdueMinutes: 120, followUp: { at: at('2026-11-24T12:00:00-05:00'), by: 'ticket' } },
    ],
    [
      'handled from Slack',
      answer,
      { ...none, handledAt: at('2026-11-23T11:00:00-05:00') },
      '2026-11-23T12:00:00-05:00',
      { state: 'handled' },
    ],
    ['praise needs nothing', { ...answer, value: 10 }, none, '2026-11-30T10:00:00-05:00', { state: 'not_negative' }],
  ])('%s', (_label, feedback, evidence, now, expected) => {
    const result = evaluateFeedback(feedback, THRESHOLDS, { days: 1, minutes: 0 }, calendar, evidence, new Date(now));
    expect(result).toMatchObject(expected);
    expect(result.dueAt.toISOString()).toBe(new Date('2026-11-24T10:00:00-05:00').toISOString());
  });
});
