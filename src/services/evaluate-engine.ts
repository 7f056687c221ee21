// The policy file turned into the domain's terms once (calendars built, rules mapped), so a scheduler that
// evaluates every minute keeps the calendars' per-day caches warm between runs. Pass it to evaluate() as
// `engine`; build a new one when the policy file changes.
import { createHash } from 'node:crypto';
import type { TPolicy, TTeam } from '../config.ts';
import { type BusinessCalendar, createBusinessCalendar } from '../domain/calendar.ts';
import type { TAutomatedReplies } from '../domain/conversation.ts';
import type { TBusinessDuration } from '../domain/duration.ts';
import type { TFeedbackThresholds } from '../domain/feedback.ts';
import type { TMachineSettings } from '../domain/flag-machine.ts';
import type { TPredictSettings } from '../domain/predict.ts';
import { compileSlaRules, customerProperties, type TSlaRuleSpec, type TSlaSubject } from '../domain/sla-policy.ts';
import { courtesySettings, type TCourtesySettings } from '../domain/substantive.ts';

export interface SlaEngine {
  /** Identifies the parts of the policy an evaluation depends on: a change forces a full evaluation. */
  readonly policyHash: string;
  readonly teams: readonly TTeam[];
  readonly rules: readonly TSlaRuleSpec[];
  /** The first rule matching a ticket (see sla-policy.ts). */
  ruleFor(subject: TSlaSubject): TSlaRuleSpec | undefined;
  /** Rules match company or contact properties: each ticket's customer records are read. */
  readonly usesCustomers: boolean;
  readonly waitingStageIds: ReadonlySet<string>;
  readonly useHubspotSla: boolean;
  /** Which customer messages only say thanks (the classifier's settings, built once). */
  readonly courtesy: TCourtesySettings;
  /** Whether the AI agent's or a bot's reply counts as a response, unless a rule says otherwise. */
  readonly countRepliesFrom: TAutomatedReplies;
  readonly nextResponseFrom: 'firstUnanswered' | 'latest';
  readonly feedback: TFeedbackThresholds;
  readonly followUpWithin: TBusinessDuration;
  /** The flag state machine's settings (the live window: see flag-machine.ts). */
  readonly machine: TMachineSettings;
  /** Predicted breaches (domain/predict.ts); undefined when the policy does not turn them on. */
  readonly predictions: TPredictSettings | undefined;
  calendarOf(team: Pick<TTeam, 'calendar'>): BusinessCalendar;
}

export function createSlaEngine(policy: Readonly<TPolicy>): SlaEngine {
  const calendars = new Map<string, BusinessCalendar>();
  for (const [name, spec] of Object.entries(policy.calendars)) {
    calendars.set(name, createBusinessCalendar(spec));
  }
  const first = calendars.values().next().value as BusinessCalendar;
  const rules: TSlaRuleSpec[] = policy.sla.map((rule) => ({
    name: rule.name,
    when: rule.when,
    firstResponse: rule.firstResponse,
    nextResponse: rule.nextResponse,
    resolution: rule.resolution,
    warnAt: rule.warnAt,
    escalateAfter: rule.escalateAfter,
    countRepliesFrom: rule.countRepliesFrom,
    claimWithin: rule.claimWithin ?? policy.claimWithin,
  }));
  return {
    policyHash: hashPolicy(policy),
    teams: policy.teams,
    rules,
    ruleFor: compileSlaRules(rules),
    usesCustomers: (({ companies, contacts }) => companies.length + contacts.length > 0)(customerProperties(rules)),
    waitingStageIds: new Set(policy.waitingOnCustomerStages),
    useHubspotSla: policy.engine.useHubspotSla,
    courtesy: courtesySettings({
      ...policy.engine.courtesy,
      minLength: policy.engine.substantiveReplyMinLength,
    }),
    countRepliesFrom: policy.engine.countRepliesFrom,
    nextResponseFrom: policy.engine.nextResponseFrom,
    feedback: {
      NPS: policy.feedback.NPS,
      CSAT: policy.feedback.CSAT,
      CES: policy.feedback.CES,
      commentsCount: policy.feedback.commentsCount,
    },
    followUpWithin: policy.feedback.followUpWithin,
    machine: { liveWindowMs: liveWindowMinutes(policy) * 60_000 },
    predictions: policy.predictions.enabled
      ? { windowDays: policy.predictions.windowDays, minSamples: policy.predictions.minSamples }
      : undefined,
    // config.ts guarantees every team's calendar exists; the first one is a safe fallback regardless.
    calendarOf: (team) => calendars.get(team.calendar) ?? first,
  };
}

/**
 * The live window: as configured, but never under two sync intervals — a threshold crossed just after a sync
 * is only known at the next one, and that is still "while Heed watched".
 */
export function liveWindowMinutes(policy: Pick<TPolicy, 'engine' | 'sync'>): number {
  return Math.max(policy.engine.liveWindowMinutes, 2 * policy.sync.intervalMinutes);
}

function hashPolicy(policy: Readonly<TPolicy>): string {
  const relevant = {
    calendars: policy.calendars,
    teams: policy.teams.map((t) => [t.name, t.hubspotTeamIds, t.pipelines, t.owners, t.calendar]),
    sla: policy.sla,
    feedback: policy.feedback,
    waiting: policy.waitingOnCustomerStages,
    engine: policy.engine,
    // Only when on, so turning them on or off forces a full evaluation and other policies keep their hash.
    ...(policy.predictions.enabled ? { predictions: policy.predictions } : {}),
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}
