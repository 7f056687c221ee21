// Which SLA rule governs a ticket: the first rule whose `when` matches, in policy order, so specific rules
// go first and a catch-all (no `when`) last. Evaluated on every run, so a changed priority, team or policy
// file applies to open tickets at once.
import type { TBusinessDuration } from './duration.ts';
import type { ClockName } from './flag.ts';

export interface TSlaWhen {
  readonly priority?: readonly string[];
  readonly pipeline?: readonly string[];
  readonly team?: readonly string[];
  readonly category?: readonly string[];
  readonly source?: readonly string[];
}

export interface TSlaRuleSpec {
  readonly name: string;
  readonly when?: TSlaWhen;
  readonly firstResponse?: TBusinessDuration;
  readonly nextResponse?: TBusinessDuration;
  readonly resolution?: TBusinessDuration;
  /** Fraction of the target used at which a clock is at risk. */
  readonly warnAt: number;
  /** Escalate when breached by more than this fraction of the target. */
  readonly escalateAfter: number;
  /** Whether the AI agent's or a bot's reply stops this rule's response clocks (over the engine's setting). */
  readonly countRepliesFrom?:
    | { readonly aiAgent?: boolean | undefined; readonly bots?: boolean | undefined }
    | undefined;
}

/** The ticket attributes rules can match on. */
export interface TSlaSubject {
  readonly priority: string | null;
  readonly pipelineId: string | null;
  /** Heed team name (see team-assignment.ts). */
  readonly team: string | null;
  /** HubSpot's multi-checkbox value: categories joined by ";". */
  readonly category: string | null;
  readonly source: string | null;
}

const norm = (value: string) => value.trim().toLowerCase();

function matchesList(allowed: readonly string[] | undefined, values: readonly string[]): boolean {
  // An absent or empty list does not constrain; HubSpot enum values are compared case-insensitively.
  if (!allowed || allowed.length === 0) return true;
  const wanted = new Set(allowed.map(norm));
  return values.some((value) => wanted.has(norm(value)));
}

const one = (value: string | null): string[] => (value ? [value] : []);

export function ruleMatches(rule: Pick<TSlaRuleSpec, 'when'>, subject: TSlaSubject): boolean {
  const when = rule.when;
  if (!when) return true;
  return (
    matchesList(when.priority, one(subject.priority)) &&
    matchesList(when.pipeline, one(subject.pipelineId)) &&
    matchesList(when.team, one(subject.team)) &&
    matchesList(when.category, subject.category ? subject.category.split(';').filter(Boolean) : []) &&
    matchesList(when.source, one(subject.source))
  );
}

/**
 * The rules prepared for matching many tickets: value lists normalised into sets once, not per ticket.
 * Same answers as selectSlaRule.
 */
export function compileSlaRules<R extends Pick<TSlaRuleSpec, 'when'>>(
  rules: readonly R[],
): (subject: TSlaSubject) => R | undefined {
  const toSet = (list: readonly string[] | undefined) =>
    list && list.length > 0 ? new Set(list.map(norm)) : undefined;
  const has = (set: Set<string> | undefined, value: string | null) => !set || (value !== null && set.has(norm(value)));
  const compiled = rules.map((rule) => ({
    rule,
    priority: toSet(rule.when?.priority),
    pipeline: toSet(rule.when?.pipeline),
    team: toSet(rule.when?.team),
    category: toSet(rule.when?.category),
    source: toSet(rule.when?.source),
  }));
  return (subject) => {
    for (const c of compiled) {
      if (
        has(c.priority, subject.priority) &&
        has(c.pipeline, subject.pipelineId) &&
        has(c.team, subject.team) &&
        (!c.category ||
          (subject.category ?? '').split(';').some((value) => value !== '' && c.category!.has(norm(value)))) &&
        has(c.source, subject.source)
      ) {
        return c.rule;
      }
    }
    return undefined;
  };
}

/** The first matching rule, or undefined when none does (then the ticket has no SLA clocks). */
export function selectSlaRule<R extends Pick<TSlaRuleSpec, 'when'>>(
  rules: readonly R[],
  subject: TSlaSubject,
): R | undefined {
  return rules.find((rule) => ruleMatches(rule, subject));
}

export function ruleTarget(rule: TSlaRuleSpec, clock: ClockName): TBusinessDuration | undefined {
  return rule[clock];
}
