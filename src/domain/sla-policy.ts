// Which SLA rule governs a ticket: the first rule whose `when` matches, in policy order, so specific rules
// go first and a catch-all (no `when`) last. Evaluated on every run, so a changed priority, team or policy
// file applies to open tickets at once.
//
// A rule may also match properties of the ticket's customer — its primary company's or contact's, as HubSpot's
// Enterprise SLAs do by customer tier (`"company": { "tier": ["Enterprise"] }`). Only the properties the policy
// names are synced (customerProperties); a ticket without such a company or contact, or whose company lacks the
// property, does not match the condition. Values compare as the ticket's own do: case-insensitively, and a
// multi-select value ("A;B") matches when any of its options is listed.
import type { TBusinessDuration } from './duration.ts';
import type { ClockName } from './flag.ts';

/** Property name → the values that match (any of them). */
export type TPropertyCondition = Readonly<Record<string, readonly string[]>>;

export interface TSlaWhen {
  readonly priority?: readonly string[];
  readonly pipeline?: readonly string[];
  readonly team?: readonly string[];
  readonly category?: readonly string[];
  readonly source?: readonly string[];
  /** Properties of the ticket's primary company, all of which must match. */
  readonly company?: TPropertyCondition;
  /** Properties of the ticket's primary contact, all of which must match. */
  readonly contact?: TPropertyCondition;
}

/** A customer record's synced properties (only those the policy names); null values are unset. */
export type TCustomerProperties = Readonly<Record<string, string | null>>;

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
  /** A claim promises a reply within this (claim.ts); the policy's default when the rule says nothing. */
  readonly claimWithin?: TBusinessDuration | undefined;
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
  /** The ticket's primary company's and contact's properties; null or absent when unknown or none. */
  readonly company?: TCustomerProperties | null;
  readonly contact?: TCustomerProperties | null;
}

const norm = (value: string) => value.trim().toLowerCase();

function matchesList(allowed: readonly string[] | undefined, values: readonly string[]): boolean {
  // An absent or empty list does not constrain; HubSpot enum values are compared case-insensitively.
  if (!allowed || allowed.length === 0) return true;
  const wanted = new Set(allowed.map(norm));
  return values.some((value) => wanted.has(norm(value)));
}

const one = (value: string | null): string[] => (value ? [value] : []);
/** HubSpot's multi-checkbox values are options joined by ";". */
const options = (value: string | null | undefined): string[] => (value ? value.split(';').filter(Boolean) : []);

function matchesProperties(
  condition: TPropertyCondition | undefined,
  record: TCustomerProperties | null | undefined,
): boolean {
  if (!condition) return true;
  for (const [name, allowed] of Object.entries(condition)) {
    if (allowed.length === 0) continue;
    if (!record || !matchesList(allowed, options(record[name]))) return false;
  }
  return true;
}

export function ruleMatches(rule: Pick<TSlaRuleSpec, 'when'>, subject: TSlaSubject): boolean {
  const when = rule.when;
  if (!when) return true;
  return (
    matchesList(when.priority, one(subject.priority)) &&
    matchesList(when.pipeline, one(subject.pipelineId)) &&
    matchesList(when.team, one(subject.team)) &&
    matchesList(when.category, options(subject.category)) &&
    matchesList(when.source, one(subject.source)) &&
    matchesProperties(when.company, subject.company) &&
    matchesProperties(when.contact, subject.contact)
  );
}

/** The customer properties the rules name, per object, sorted: what the sync fetches (and nothing more). */
export function customerProperties(rules: readonly Pick<TSlaRuleSpec, 'when'>[]): {
  readonly companies: readonly string[];
  readonly contacts: readonly string[];
} {
  const companies = new Set<string>();
  const contacts = new Set<string>();
  for (const rule of rules) {
    for (const name of Object.keys(rule.when?.company ?? {})) companies.add(name);
    for (const name of Object.keys(rule.when?.contact ?? {})) contacts.add(name);
  }
  return { companies: [...companies].sort(), contacts: [...contacts].sort() };
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
  const anyOption = (set: Set<string> | undefined, value: string | null | undefined) =>
    !set || (value ?? '').split(';').some((option) => option !== '' && set.has(norm(option)));
  const toProperties = (condition: TPropertyCondition | undefined) => {
    const out: [string, Set<string>][] = [];
    for (const [name, allowed] of Object.entries(condition ?? {})) {
      const set = toSet(allowed);
      if (set) out.push([name, set]);
    }
    return out.length > 0 ? out : undefined;
  };
  const hasProperties = (
    condition: [string, Set<string>][] | undefined,
    record: TCustomerProperties | null | undefined,
  ) => !condition || (!!record && condition.every(([name, set]) => anyOption(set, record[name])));
  const compiled = rules.map((rule) => ({
    rule,
    priority: toSet(rule.when?.priority),
    pipeline: toSet(rule.when?.pipeline),
    team: toSet(rule.when?.team),
    category: toSet(rule.when?.category),
    source: toSet(rule.when?.source),
    company: toProperties(rule.when?.company),
    contact: toProperties(rule.when?.contact),
  }));
  return (subject) => {
    for (const c of compiled) {
      if (
        has(c.priority, subject.priority) &&
        has(c.pipeline, subject.pipelineId) &&
        has(c.team, subject.team) &&
        anyOption(c.category, subject.category) &&
        has(c.source, subject.source) &&
        hasProperties(c.company, subject.company) &&
        hasProperties(c.contact, subject.contact)
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
