// The three SLA clocks of a ticket at one instant, each reported separately:
// - firstResponse: from creation until the first agent reply (closing without a reply also ends it).
// - nextResponse: from the first substantive customer message after the last agent reply, until the next
//   agent reply. The earliest unanswered message starts it, so a customer's "any news?" cannot reset a
//   clock in the team's favour; messages that only say thanks do not start it at all (substantive.ts).
// Where the replies come from (`source`): a ticket with a conversation thread runs on its messages — a reply is
// an outgoing message by a person (or by the AI agent or a bot, when the policy says so), internal notes never
// count (conversation.ts) — and HubSpot's reply properties are not used; a ticket without one (created by the
// API or a workflow) runs on those properties, with whatever messages are known.
// - resolution: from creation until the ticket is closed; reopening resumes it where it stopped (time spent
//   closed does not count) and starts a new cycle, so the escalation ladder starts afresh.
// Time in a waiting-on-customer stage pauses nextResponse and resolution.
//
// Facts dated after `now` are ignored (not yet happened), which makes every result a function of what was
// known at `now`: the same inputs at the same instant always give the same answer.
import {
  addBusinessMs,
  type BusinessCalendar,
  businessMsBetween,
  durationMs,
  normalizeIntervals,
  type TInterval,
} from './calendar.ts';
import {
  countsAsReply,
  isCustomerMessage,
  latestUnanswered,
  NO_AUTOMATED_REPLIES,
  type TAutomatedReplies,
  type TConversationMessage,
  type TCustomerQuote,
} from './conversation.ts';
import type { TBusinessDuration } from './duration.ts';
import type { ClockName, ClockStateName } from './flag.ts';
import { type CourtesyClassifier, classifierFor, DEFAULT_COURTESY, type TCourtesySettings } from './substantive.ts';

export interface TTicketFacts {
  readonly id: string;
  readonly createdAt: Date;
  readonly isClosed: boolean;
  readonly closedAt: Date | null;
  readonly reopenedAt: Date | null;
  readonly firstAgentReplyAt: Date | null;
  readonly lastCustomerMessageAt: Date | null;
  readonly lastAgentMessageAt: Date | null;
  readonly stageId: string | null;
  readonly stageEnteredAt: Date | null;
  readonly hsFirstResponseDueAt: Date | null;
  readonly hsNextResponseDueAt: Date | null;
  readonly hsCloseDueAt: Date | null;
}

export interface TStagePeriod {
  readonly stageId: string;
  readonly enteredAt: Date;
  readonly exitedAt: Date | null;
}

/** A conversation message (conversation.ts): type, direction, who wrote it, when, and its text. */
export type TTicketMessage = TConversationMessage;

/** What a ticket's response clocks ran on (see the top of this file). */
export type TClockSource = 'messages' | 'properties';

/** The clock as last stored, so cycles keep their numbers between runs. */
export interface TPreviousClock {
  readonly clock: ClockName;
  readonly cycle: number;
  readonly startedAt: Date;
  readonly completedAt: Date | null;
}

export interface TClockRule {
  readonly name: string;
  readonly firstResponse?: TBusinessDuration;
  readonly nextResponse?: TBusinessDuration;
  readonly resolution?: TBusinessDuration;
  readonly warnAt: number;
  /** This rule's say on automated replies, over the engine's (TClockOptions.countRepliesFrom). */
  readonly countRepliesFrom?: Partial<TAutomatedReplies> | undefined;
}

export interface TClockOptions {
  readonly waitingStageIds: ReadonlySet<string>;
  readonly closedStageIds: ReadonlySet<string>;
  /** Use HubSpot's own due dates where the ticket has them. */
  readonly useHubspotSla: boolean;
  /** Which customer messages only say thanks (never start or restart a clock). Default: DEFAULT_COURTESY. */
  readonly courtesy?: TCourtesySettings;
  /** Whether the AI agent's or a bot's reply counts as a response (default: neither). A rule may say otherwise. */
  readonly countRepliesFrom?: TAutomatedReplies;
  /**
   * Where a next-response clock starts when the customer wrote several times since the last agent reply:
   * 'firstUnanswered' (default: the customer has waited since then; a follow-up "any news?" cannot reset the
   * clock in the team's favour) or 'latest' (the customer's latest message, restarting the clock each time —
   * same cycle, same nudge, a later due time).
   */
  readonly nextResponseFrom?: 'firstUnanswered' | 'latest';
}

export interface TClockResult {
  readonly clock: ClockName;
  readonly cycle: number;
  readonly state: ClockStateName;
  readonly startedAt: Date;
  /** When the target is (or was) due. For a paused clock: when it would be due if it resumed now. */
  readonly dueAt: Date;
  /** When it reaches `warnAt` of its target (at_risk from then on). */
  readonly atRiskAt: Date;
  readonly completedAt: Date | null;
  /**
   * What completed it: an agent reply (first/next response), or the ticket closing (resolution; a first or
   * next response clock the ticket closed without its reply). Null while running.
   */
  readonly completedBy: TClockCompletion | null;
  readonly targetMinutes: number;
  readonly usedMinutes: number;
  /** Business minutes past due (0 when not overdue). */
  readonly overdueMinutes: number;
  readonly dueSource: 'heed' | 'hubspot';
  /** Paused time (waiting on customer, closed), needed to measure business time on this clock later. */
  readonly pauses: readonly TInterval[];
}

export type TClockCompletion = 'reply' | 'close';

export interface TDueDisagreement {
  readonly clock: ClockName;
  readonly heedDueAt: Date;
  readonly hubspotDueAt: Date;
  /** Wall-clock minutes HubSpot's due date is later (positive) or earlier (negative) than Heed's. */
  readonly differenceMinutes: number;
}

export interface TTicketClocks {
  /** What the response clocks ran on. */
  readonly source: TClockSource;
  /** Someone answered the customer at least once (by the source's facts). */
  readonly replied: boolean;
  /**
   * What the customer last asked that nobody has answered yet, and when (conversation.ts latestUnanswered, with
   * the same courtesy classifier and automated-reply settings as the clocks); undefined when the ticket is
   * closed, everything was answered, or no message text is known.
   */
  readonly waiting: TCustomerQuote | undefined;
  readonly clocks: readonly TClockResult[];
  /** The most urgent clock (see compareUrgency). */
  readonly headline: TClockResult | undefined;
  readonly disagreements: readonly TDueDisagreement[];
}

export interface TTicketInput {
  readonly ticket: TTicketFacts;
  readonly stagePeriods?: readonly TStagePeriod[];
  readonly messages?: readonly TTicketMessage[];
  readonly previous?: readonly TPreviousClock[];
  /**
   * 'messages': the ticket has a conversation thread, and its messages are the only facts about replies (the
   * reply properties are ignored: they count internal notes' authors and automated answers alike). Default
   * 'properties': HubSpot's reply properties, with whatever messages are known.
   */
  readonly source?: TClockSource;
}

const MINUTE = 60_000;
const NO_MESSAGES: readonly TTicketMessage[] = [];

const URGENCY: Record<ClockStateName, number> = { breached: 5, at_risk: 4, running: 3, paused: 2, missed: 1, met: 0 };

/** Sort comparator, most urgent first: state, then the most overdue, then the earliest due. */
export function compareUrgency(
  a: Pick<TClockResult, 'state' | 'overdueMinutes' | 'dueAt'>,
  b: Pick<TClockResult, 'state' | 'overdueMinutes' | 'dueAt'>,
): number {
  return (
    URGENCY[b.state] - URGENCY[a.state] || b.overdueMinutes - a.overdueMinutes || a.dueAt.getTime() - b.dueAt.getTime()
  );
}

export function urgencyRank(state: ClockStateName): number {
  return URGENCY[state];
}

interface ClockSpan {
  readonly cycle: number;
  readonly start: number;
  readonly completedAt: number | null;
  readonly completedBy: TClockCompletion | null;
}

function minOf(values: readonly (number | null)[]): number | null {
  let best: number | null = null;
  for (const value of values) if (value !== null && (best === null || value < best)) best = value;
  return best;
}

function maxOf(values: readonly (number | null)[]): number | null {
  let best: number | null = null;
  for (const value of values) if (value !== null && (best === null || value > best)) best = value;
  return best;
}

/** Computes every clock the rule defines for one ticket at `now`. */
export function computeTicketClocks(
  input: TTicketInput,
  rule: TClockRule,
  calendar: BusinessCalendar,
  options: TClockOptions,
  now: Date,
): TTicketClocks {
  // Runs for every open ticket on every evaluation (20,000 in well under a second), so it avoids
  // allocating where it easily can: plain loops, no per-call closures, pauses normalized once.
  const at = now.getTime();
  const { ticket } = input;
  const source: TClockSource = input.source ?? 'properties';
  const fromMessages = source === 'messages';
  const created = ticket.createdAt.getTime();
  const messages = knownMessages(input.messages, at);
  const automated = automatedFor(options.countRepliesFrom ?? NO_AUTOMATED_REPLIES, rule.countRepliesFrom);
  const courtesy = classifierFor(options.courtesy ?? DEFAULT_COURTESY);
  const agentTimes = messages.length === 0 ? NO_TIMES : replyTimesOf(messages, automated);

  // Stage periods as Heed saw them, plus the current stage if no period records it yet.
  const periods = knownPeriods(input.stagePeriods, ticket, at);
  const waiting = stageSpans(periods, options.waitingStageIds, at);
  const closedSpans = stageSpans(periods, options.closedStageIds, at);

  const entered = seenAt(ticket.stageEnteredAt, at);
  const closeTime = ticket.isClosed ? (seenAt(ticket.closedAt, at) ?? entered ?? created) : null;
  const isClosedNow = closeTime !== null;
  const reopened = seenAt(ticket.reopenedAt, at);
  const lastClosed = seenAt(ticket.closedAt, at);
  // Without stage history, HubSpot's closed/reopened dates still tell one closed period.
  if (!isClosedNow && reopened !== null && lastClosed !== null && reopened > lastClosed && closedSpans.length === 0) {
    closedSpans.push({ start: lastClosed, end: reopened });
  }
  let waitingNow = false;
  for (const p of periods) {
    if (options.waitingStageIds.has(p.stageId) && seenAt(p.exitedAt, at) === null && p.enteredAt.getTime() <= at) {
      waitingNow = true;
      break;
    }
  }
  // Waiting and closed time pause the next-response and resolution clocks alike.
  const pauses =
    waiting.length === 0 && closedSpans.length === 0
      ? NO_PAUSES
      : normalizeIntervals(
          waiting.length === 0 ? closedSpans : closedSpans.length === 0 ? waiting : [...waiting, ...closedSpans],
        );

  const results: TClockResult[] = [];
  const disagreements: TDueDisagreement[] = [];
  const context: ClockContext = {
    warnAt: rule.warnAt,
    useHubspot: options.useHubspotSla,
    calendar,
    now: at,
    results,
    disagreements,
  };

  // First response.
  const firstReply = fromMessages
    ? firstReplyFromMessages(messages, agentTimes, created, courtesy)
    : minOf([seenAt(ticket.firstAgentReplyAt, at), firstAtOrAfter(agentTimes, created)]);
  if (rule.firstResponse) {
    runClock(
      context,
      'firstResponse',
      rule.firstResponse,
      {
        cycle: 0,
        start: created,
        completedAt: firstReply ?? closeTime,
        completedBy: firstReply !== null ? 'reply' : closeTime !== null ? 'close' : null,
      },
      NO_PAUSES,
      false,
      ticket.hsFirstResponseDueAt,
    );
  }

  // Next response.
  if (rule.nextResponse) {
    const nextSpan = nextResponseSpan({
      fromMessages,
      lastAgentProperty: fromMessages ? null : seenAt(ticket.lastAgentMessageAt, at),
      lastCustomerProperty: fromMessages ? null : seenAt(ticket.lastCustomerMessageAt, at),
      messages,
      agentTimes,
      firstReply,
      closeTime,
      previous: previousClock(input.previous, 'nextResponse'),
      courtesy,
      latest: options.nextResponseFrom === 'latest',
    });
    if (nextSpan)
      runClock(context, 'nextResponse', rule.nextResponse, nextSpan, pauses, waitingNow, ticket.hsNextResponseDueAt);
  }

  // Resolution: each closed period that was followed by an open stage is a reopening.
  if (rule.resolution) {
    runClock(
      context,
      'resolution',
      rule.resolution,
      {
        cycle: countReopenings(periods, options.closedStageIds, closedSpans, at, isClosedNow),
        start: created,
        completedAt: closeTime,
        completedBy: closeTime !== null ? 'close' : null,
      },
      pauses,
      waitingNow,
      ticket.hsCloseDueAt,
    );
  }

  let headline: TClockResult | undefined;
  for (const result of results) if (!headline || compareUrgency(result, headline) < 0) headline = result;
  // On the properties, a customer message before HubSpot's last agent message is answered, whatever the messages say.
  const lastAgentProperty = fromMessages ? null : seenAt(ticket.lastAgentMessageAt, at);
  const quotable =
    lastAgentProperty === null ? messages : messages.filter((m) => m.createdAt.getTime() > lastAgentProperty);
  return {
    source,
    replied: firstReply !== null,
    waiting: isClosedNow || quotable.length === 0 ? undefined : latestUnanswered(quotable, automated, courtesy, now),
    clocks: results,
    headline,
    disagreements: disagreements.length === 0 ? NO_DISAGREEMENTS : disagreements,
  };
}

/** The engine's setting with the rule's word over it. */
function automatedFor(engine: TAutomatedReplies, rule: Partial<TAutomatedReplies> | undefined): TAutomatedReplies {
  if (!rule || (rule.aiAgent === undefined && rule.bots === undefined)) return engine;
  return { aiAgent: rule.aiAgent ?? engine.aiAgent, bots: rule.bots ?? engine.bots };
}

/**
 * The first reply by the messages: the first counted reply from the ticket's creation on. A reply before the
 * ticket existed counts when the customer asked nothing since (the ticket was made from a conversation already
 * answered: nobody is waiting).
 */
function firstReplyFromMessages(
  messages: readonly TTicketMessage[],
  replyTimes: readonly number[],
  created: number,
  courtesy: CourtesyClassifier,
): number | null {
  let before: number | null = null;
  for (const t of replyTimes) if (t < created) before = t;
  if (before !== null) {
    const asked = messages.some((m) => {
      const t = m.createdAt.getTime();
      return t > before! && t <= created && isCustomerMessage(m) && courtesy.isSubstantive(m.text);
    });
    if (!asked) return before;
  }
  return firstAtOrAfter(replyTimes, created);
}

const NO_TIMES: readonly number[] = [];
const NO_PAUSES: readonly TInterval[] = [];
const NO_PERIODS: readonly TStagePeriod[] = [];
const NO_DISAGREEMENTS: readonly TDueDisagreement[] = [];

/** A date's time if it had happened by `at` (facts dated later are not known yet), else null. */
function seenAt(date: Date | null, at: number): number | null {
  if (date === null) return null;
  const t = date.getTime();
  return t <= at ? t : null;
}

/** Messages that had happened by `at`, oldest first. */
function knownMessages(messages: readonly TTicketMessage[] | undefined, at: number): readonly TTicketMessage[] {
  if (!messages || messages.length === 0) return NO_MESSAGES;
  const known = messages.filter((m) => m.createdAt.getTime() <= at);
  return known.length < 2 ? known : known.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** When the replies that count were sent, oldest first. */
function replyTimesOf(messages: readonly TTicketMessage[], automated: TAutomatedReplies): number[] {
  const times: number[] = [];
  for (const m of messages) if (countsAsReply(m, automated)) times.push(m.createdAt.getTime());
  return times;
}

/** The first of sorted `times` at or after `t`. */
function firstAtOrAfter(times: readonly number[], t: number): number | null {
  for (const time of times) if (time >= t) return time;
  return null;
}

/** The stored row of one clock among a ticket's (at most three). */
export function previousClock<T extends Pick<TPreviousClock, 'clock'>>(
  previous: readonly T[] | undefined,
  clock: ClockName,
): T | undefined {
  if (!previous) return undefined;
  for (const p of previous) if (p.clock === clock) return p;
  return undefined;
}

function knownPeriods(
  stagePeriods: readonly TStagePeriod[] | undefined,
  ticket: TTicketFacts,
  at: number,
): readonly TStagePeriod[] {
  const periods: TStagePeriod[] = [];
  for (const p of stagePeriods ?? NO_PERIODS) if (p.enteredAt.getTime() <= at) periods.push(p);
  const entered = seenAt(ticket.stageEnteredAt, at);
  if (ticket.stageId && entered !== null && !periods.some((p) => p.enteredAt.getTime() === entered)) {
    periods.push({ stageId: ticket.stageId, enteredAt: new Date(entered), exitedAt: null });
  }
  return periods;
}

/** The time spent in the given stages, up to `at`. */
function stageSpans(periods: readonly TStagePeriod[], ids: ReadonlySet<string>, at: number): TInterval[] {
  const spans: TInterval[] = [];
  for (const p of periods) {
    if (ids.has(p.stageId))
      spans.push({ start: p.enteredAt.getTime(), end: Math.min(seenAt(p.exitedAt, at) ?? at, at) });
  }
  return spans;
}

interface ClockContext {
  readonly warnAt: number;
  readonly useHubspot: boolean;
  readonly calendar: BusinessCalendar;
  readonly now: number;
  readonly results: TClockResult[];
  readonly disagreements: TDueDisagreement[];
}

function runClock(
  context: ClockContext,
  clock: ClockName,
  target: TBusinessDuration,
  span: ClockSpan,
  pauses: readonly TInterval[],
  pausedNow: boolean,
  hubspotDue: Date | null,
): void {
  const result = evaluateClock(
    {
      clock,
      span,
      target,
      pauses,
      pausedNow,
      warnAt: context.warnAt,
      hubspotDue: hubspotDue?.getTime() ?? null,
      useHubspot: context.useHubspot,
      calendar: context.calendar,
      now: context.now,
    },
    context.disagreements,
  );
  context.results.push(result);
}

function countReopenings(
  periods: readonly TStagePeriod[],
  closedIds: ReadonlySet<string>,
  closedSpans: readonly TInterval[],
  at: number,
  isClosedNow: boolean,
): number {
  let closedCount = 0;
  let count = 0;
  for (const p of periods) {
    if (!closedIds.has(p.stageId)) continue;
    closedCount++;
    // A closed period that ended is a reopening, unless another closed stage took over at that very moment
    // (moving between two closed stages). Works on a history holding only the closed and waiting stages.
    const exit = seenAt(p.exitedAt, at);
    if (exit !== null && !periods.some((q) => closedIds.has(q.stageId) && q.enteredAt.getTime() === exit)) count++;
  }
  // No stage history: HubSpot's reopened date (turned into a closed span above) tells of one reopening.
  if (closedCount === 0 && closedSpans.length > 0 && !isClosedNow) return 1;
  return count;
}

function nextResponseSpan(args: {
  fromMessages: boolean;
  /** The reply properties as known at `now`; null when the clocks run on messages. */
  lastAgentProperty: number | null;
  lastCustomerProperty: number | null;
  messages: readonly TTicketMessage[];
  agentTimes: readonly number[];
  firstReply: number | null;
  closeTime: number | null;
  previous: TPreviousClock | undefined;
  courtesy: CourtesyClassifier;
  latest: boolean;
}): ClockSpan | undefined {
  const { messages, agentTimes, firstReply, closeTime, previous, courtesy, latest } = args;
  // Until the first reply, the customer's messages are the first-response clock's business.
  if (firstReply === null) return undefined;
  const lastAgent = maxOf([args.lastAgentProperty, agentTimes[agentTimes.length - 1] ?? null, firstReply])!;
  const customer = messages.length === 0 ? NO_MESSAGES : messages.filter(isCustomerMessage);
  const candidates: number[] = [];
  for (const m of customer) {
    if (m.createdAt.getTime() > lastAgent && courtesy.isSubstantive(m.text)) candidates.push(m.createdAt.getTime());
  }
  const lastCustomer = args.lastCustomerProperty;
  if (lastCustomer !== null && lastCustomer > lastAgent) {
    // Known messages were judged above; a message Heed has no text for counts.
    const known = customer.some((m) => Math.abs(m.createdAt.getTime() - lastCustomer) < 1000);
    if (!known) candidates.push(lastCustomer);
  }
  const prevStart = previous ? previous.startedAt.getTime() : null;
  const stillWaiting =
    previous !== undefined && previous.completedAt === null && prevStart !== null && prevStart > lastAgent;
  if (stillWaiting && !latest && !args.fromMessages) {
    // The customer was already waiting at the last run; a later message does not move the start. (A thread's
    // messages are all known, so there the messages alone say when the wait began; a start carried over from the
    // properties — "a message came in" — would keep a clock running on a "thanks!".)
    candidates.push(prevStart!);
  }
  const open = latest ? maxOf(candidates) : minOf(candidates);
  if (open !== null) {
    // 'latest' moves the start within one waiting period: the same cycle (and nudge), a later due time.
    const sameCycle = prevStart === open || (latest && stillWaiting);
    const cycle = previous ? (sameCycle ? previous.cycle : previous.cycle + 1) : 0;
    const completedAt = closeTime !== null ? Math.max(closeTime, open) : null;
    return { cycle, start: open, completedAt, completedBy: completedAt !== null ? 'close' : null };
  }
  if (previous && prevStart !== null) {
    if (previous.completedAt !== null) {
      // Completed at an earlier run, which judged its flag then; a reply is what usually completes it.
      return {
        cycle: previous.cycle,
        start: prevStart,
        completedAt: previous.completedAt.getTime(),
        completedBy: 'reply',
      };
    }
    // The cycle that was open at the last run has been answered: by the first agent message after its start.
    const answer = agentTimes.find((t) => t > prevStart) ?? lastAgent;
    return { cycle: previous.cycle, start: prevStart, completedAt: Math.max(answer, prevStart), completedBy: 'reply' };
  }
  // First evaluation: rebuild the last answered cycle from the messages, when Heed has them.
  const lastAnswer = agentTimes[agentTimes.length - 1];
  if (lastAnswer === undefined || lastAnswer <= firstReply) return undefined;
  const before = agentTimes.filter((t) => t < lastAnswer);
  const since = Math.max(before[before.length - 1] ?? firstReply, firstReply);
  const asked = customer.find(
    (m) => m.createdAt.getTime() > since && m.createdAt.getTime() < lastAnswer && courtesy.isSubstantive(m.text),
  );
  if (!asked) return undefined;
  return { cycle: 0, start: asked.createdAt.getTime(), completedAt: lastAnswer, completedBy: 'reply' };
}

/** One clock at `now`; a disagreement with HubSpot's own due date is added to `disagreements`. */
function evaluateClock(
  args: {
    clock: ClockName;
    span: ClockSpan;
    target: TBusinessDuration;
    pauses: readonly TInterval[];
    pausedNow: boolean;
    warnAt: number;
    hubspotDue: number | null;
    useHubspot: boolean;
    calendar: BusinessCalendar;
    now: number;
  },
  disagreements: TDueDisagreement[],
): TClockResult {
  const { clock, span, calendar, now } = args;
  const start = span.start;
  const completedAt = span.completedAt !== null && span.completedAt <= now ? span.completedAt : null;
  const end = completedAt ?? now;
  // Pauses after the clock stopped cannot move its due date (so a met clock's dueAt is stable).
  const pauses = args.pauses.every((p) => p.end <= end)
    ? args.pauses
    : args.pauses.filter((p) => p.start < end).map((p) => (p.end > end ? { start: p.start, end } : p));
  // Days resolve to business minutes at the clock's start; pauses then extend the clock minute for minute.
  const ownTargetMs = durationMs(calendar, start, args.target);
  const ownDue = addBusinessMs(calendar, start, ownTargetMs, pauses);
  const fromHubspot = args.useHubspot && args.hubspotDue !== null;
  const due = fromHubspot ? args.hubspotDue! : ownDue;
  const targetMs = fromHubspot ? Math.max(0, businessMsBetween(calendar, start, due, pauses)) : ownTargetMs;
  const used = Math.max(0, businessMsBetween(calendar, start, end, pauses));
  const atRiskAt = addBusinessMs(calendar, start, Math.round(targetMs * args.warnAt), pauses);

  let state: ClockStateName;
  let overdue = 0;
  if (completedAt !== null) {
    state = completedAt <= due ? 'met' : 'missed';
    if (state === 'missed') overdue = businessMsBetween(calendar, due, completedAt, pauses);
  } else if (now > due) {
    // A pause after the deadline stops the overdue time growing but does not hide the breach.
    state = 'breached';
    overdue = businessMsBetween(calendar, due, now, pauses);
  } else if (args.pausedNow) {
    state = 'paused';
  } else if (now >= atRiskAt) {
    state = 'at_risk';
  } else {
    state = 'running';
  }

  const result: TClockResult = {
    clock,
    cycle: span.cycle,
    state,
    startedAt: new Date(start),
    dueAt: new Date(due),
    atRiskAt: new Date(atRiskAt),
    completedAt: completedAt === null ? null : new Date(completedAt),
    completedBy: completedAt === null ? null : span.completedBy,
    targetMinutes: Math.round(targetMs / MINUTE),
    usedMinutes: Math.floor(used / MINUTE),
    overdueMinutes: Math.floor(Math.max(0, overdue) / MINUTE),
    dueSource: fromHubspot ? 'hubspot' : 'heed',
    pauses,
  };
  if (args.hubspotDue !== null && Math.abs(args.hubspotDue - ownDue) >= MINUTE) {
    disagreements.push({
      clock,
      heedDueAt: new Date(ownDue),
      hubspotDueAt: new Date(args.hubspotDue),
      differenceMinutes: Math.round((args.hubspotDue - ownDue) / MINUTE),
    });
  }
  return result;
}
