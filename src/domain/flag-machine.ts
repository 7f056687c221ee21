// The flag state machine: given a stored flag, what the clocks (or the feedback rules) say now and a few
// ticket facts, the flag's next state and the typed events that say which message change follows. Pure: the
// evaluation service reads, calls these, writes the flags and returns the events; the Slack side builds its
// message lifecycle on the stored columns and the events.
//
// ── The contract with the Slack side ─────────────────────────────────────────────────────────────────────
// Flag columns the engine owns (the Slack side reads them, never writes them, except `state`/`outcome` for
// handled):
//   state            at_risk | breached | pending | overdue (open) · resolved · handled (flag.ts)
//   escalationLevel  the ladder step due (escalation.ts); the Slack side brings Nudge.level up to it
//   outcome          why it stopped being open (FlagOutcome), null while open
//   origin           'live' | 'backlog' — see "Backlog vs live" below
//   raisedAt         when Heed first saw the flag open (a reopened flag: when it reopened)
//   seenAt           when Heed first saw the flag's current open state (the breach, for a breached flag)
//   movedFrom/At     the team the flag had before its latest team change, and when Heed saw the change
//   dueAt, breachedAt (= dueAt once breached), resolvedAt (when the outcome happened, else when Heed saw it)
//
// Events, per flag, in this order (a flag may get several in one run):
//   moved      {fromTeam, toTeam}  the ticket's team changed; the flag stays open and follows it. The old
//              team's messages should say where it went; the new team gets its own nudge (level ≥ 1).
//   raised     {state, origin, reopened}  opened (or reopened after it had recovered): a new nudge — or, for
//              origin 'backlog', a line in the team's backlog summary instead.
//   breached   {origin}  an open at-risk/pending flag is now breached/overdue.
//   eased      {state}   breached → at risk again (a longer target): the nudge shows it.
//   escalated  {from, to}  a ladder step is due (1 nudge, 2 ping the owner in the thread and by DM, 3 the
//              escalation channel); only the highest step due is reported.
//   due_changed {from, to}  the due time moved (a new customer message, a policy change, a pause).
//   ended      {outcome, at, wasHandled}  it stopped being open: every message about it should now say so.
//
// ── Backlog vs live (a calm first day) ──────────────────────────────────────────────────────────────────
// A flag is `live` when the threshold of its current state — the at-risk instant (or, after a pause, the
// moment the clock resumed), the due time, the feedback's submission — was crossed at most `liveWindowMs`
// (default 15 minutes, at least two sync intervals) before Heed first saw it in that state; otherwise it is
// `backlog`: it was late before Heed could have noticed (first start, an outage, a ticket synced late, a
// policy change that made many clocks late at once). Origin is judged when a flag is raised (or reopened)
// and again when it breaches: a backlog at-risk flag that breaches while Heed watches becomes live, a live
// at-risk flag whose breach happened during an outage becomes backlog.
// The ladder of a backlog breach runs from when Heed first saw it (seenAt), not from the due time:
//   level 1 at first sight — the Slack side lists it in ONE summary per team ("N tickets were already late
//           when Heed started", worst first) instead of an individual nudge;
//   level 2 when still breached half the escalation window after first sight (the owner is pinged: the Slack
//           side posts the individual nudge then, under its burst budget);
//   level 3 when still breached escalateAfter × target of business time after first sight.
// A backlog at-risk flag is level 1 too; it climbs like a live one once it breaches while Heed watches.
// A ticket moving team restarts the ladder the same way from the move (movedAt): level 1 for the new team,
// a breach older than the move counted from the move; claims made before the move do not count. This is the
// one case where escalationLevel goes down: a nudge's level (the old team's messages) may then be above its
// flag's; the `moved` event (and movedAt later than the nudge) says so.
//
// ── Handled ─────────────────────────────────────────────────────────────────────────────────────────────
// A handled flag gets no ladder steps and no other change while its clock is late (or paused). When the facts
// end it — the clock completes, a later cycle starts, the ticket is deleted — it ends like any other flag
// (`ended` with wasHandled: true; handledBy stays), so its messages can say what finally happened. A handled
// feedback flag is final. Undoing "handled" puts the flag back into an open state; the engine then clears
// the outcome at its next run.
//
// In evaluate()'s result every written flag is a FlagChange with its events (changes.flags, in order);
// changes.newAtRisk / newBreach / escalationDue / recovered / resolved / moved are views of it by event.
import type { BusinessCalendar, TInterval } from './calendar.ts';
import { claimForLadder, claimStatus } from './claim.ts';
import type { TBusinessDuration } from './duration.ts';
import { DEFAULT_ESCALATE_AFTER, decideEscalation, type TEscalationDecision } from './escalation.ts';
import type { TFeedbackEvaluation } from './feedback.ts';
import {
  type ClockName,
  type EscalationLevel,
  type FlagKind,
  type FlagOrigin,
  type FlagOutcome,
  type FlagState,
  isOpenState,
  type OpenFlagState,
  ticketFlagKey,
} from './flag.ts';
import type { TClockResult } from './sla-clocks.ts';

export const DEFAULT_LIVE_WINDOW_MINUTES = 15;

export interface TMachineSettings {
  /** A threshold crossed at most this long before Heed first saw it was seen live. */
  readonly liveWindowMs: number;
}

/** The Flag columns the engine owns and writes. */
export interface TEngineFlag {
  readonly key: string;
  readonly kind: FlagKind;
  readonly ticketId: string | null;
  readonly feedbackId: string | null;
  readonly clock: ClockName | null;
  readonly team: string;
  readonly state: FlagState;
  readonly escalationLevel: EscalationLevel;
  readonly raisedAt: Date;
  readonly dueAt: Date | null;
  readonly breachedAt: Date | null;
  readonly resolvedAt: Date | null;
  readonly outcome: FlagOutcome | null;
  readonly origin: FlagOrigin;
  /** Null on flags stored before Heed recorded it: raisedAt stands in. */
  readonly seenAt: Date | null;
  readonly movedFrom: string | null;
  readonly movedAt: Date | null;
  readonly updatedAt: Date;
}

/** A stored flag: the engine's columns and the Slack side's that the machine reads. */
export interface TStoredFlag extends TEngineFlag {
  readonly claimedAt: Date | null;
  readonly handledAt: Date | null;
  readonly snoozedUntil: Date | null;
}

export type TFlagEvent =
  | {
      readonly type: 'raised';
      readonly state: OpenFlagState;
      readonly origin: FlagOrigin;
      readonly reopened: boolean;
    }
  | { readonly type: 'breached'; readonly origin: FlagOrigin }
  | { readonly type: 'eased'; readonly state: OpenFlagState }
  | { readonly type: 'escalated'; readonly from: EscalationLevel; readonly to: EscalationLevel }
  | { readonly type: 'moved'; readonly fromTeam: string; readonly toTeam: string }
  | { readonly type: 'due_changed'; readonly from: Date | null; readonly to: Date | null }
  | {
      readonly type: 'ended';
      readonly outcome: FlagOutcome;
      readonly at: Date;
      /** Someone had marked it handled before the facts ended it. */
      readonly wasHandled: boolean;
    };

export type TFlagEventType = TFlagEvent['type'];

export interface TFlagJudgement {
  /** The flag after this run (the stored object itself when unchanged); undefined when there is none. */
  readonly flag: TEngineFlag | undefined;
  /** The flag must be written. */
  readonly changed: boolean;
  readonly events: readonly TFlagEvent[];
  readonly previous: TStoredFlag | undefined;
  readonly deferredBy: TEscalationDecision['deferredBy'];
  /**
   * For a ticket clock: the next instant its state or ladder can change with no new facts (the incremental
   * evaluation re-reads the ticket then); undefined when only new facts can change it.
   */
  readonly nextCheckAt: number | undefined;
}

const NO_EVENTS: readonly TFlagEvent[] = [];
const NO_PAUSES: readonly TInterval[] = [];

const SEVERITY: Record<OpenFlagState, number> = { predicted: 0, at_risk: 1, pending: 1, breached: 2, overdue: 2 };

/** `live` when `threshold` was crossed at most the live window before `firstSight`, else `backlog`. */
export function flagOrigin(threshold: Date | number, firstSight: Date, settings: TMachineSettings): FlagOrigin {
  const t = typeof threshold === 'number' ? threshold : threshold.getTime();
  return firstSight.getTime() - t <= settings.liveWindowMs ? 'live' : 'backlog';
}

/**
 * When a ticket clock entered its current late state: the due time for a breach; for at risk, the at-risk
 * instant or, if the clock was paused after it, the moment it resumed (a reopened ticket, the customer
 * answering a waiting ticket).
 */
export function lateStateSince(
  clock: Pick<TClockResult, 'state' | 'atRiskAt' | 'dueAt' | 'pauses'>,
  now: Date,
): number {
  if (clock.state === 'breached') return clock.dueAt.getTime();
  let since = clock.atRiskAt.getTime();
  for (const pause of clock.pauses) if (pause.end > since && pause.end <= now.getTime()) since = pause.end;
  return since;
}

/** The outcome of a ticket clock that completed. */
export function completionOutcome(
  clock: ClockName,
  completedBy: TClockResult['completedBy'],
  replied: boolean,
): FlagOutcome {
  if (clock === 'resolution') return replied ? 'resolved' : 'closed_unanswered';
  return completedBy === 'close' ? 'closed_unanswered' : 'answered';
}

// ─────────────────────────────────────────────────────────────────────────────── shared open-state rules

interface OpenInput {
  readonly key: string;
  readonly kind: FlagKind;
  readonly ticketId: string | null;
  readonly feedbackId: string | null;
  readonly clock: ClockName | null;
  readonly stored: TStoredFlag | undefined;
  readonly state: OpenFlagState;
  readonly team: string;
  readonly dueAt: Date;
  /** When the state's threshold was crossed (see lateStateSince). */
  readonly stateSince: number;
  readonly targetMinutes: number;
  readonly pauses: readonly TInterval[];
  readonly escalateAfter: number;
  readonly calendar: BusinessCalendar;
  /** A ticket's claim timer (claim.ts): a lapsed claim no longer holds back the escalation channel. */
  readonly claim?: TClaimTimer | undefined;
}

/** What the claim timer needs of a ticket: the rule's promise and the latest public reply. */
export interface TClaimTimer {
  readonly within: TBusinessDuration;
  readonly lastReplyAt: Date | null;
}

const sameTime = (a: Date | null, b: Date | null): boolean =>
  a === null ? b === null : b !== null && a.getTime() === b.getTime();

function judgeOpen(input: OpenInput, settings: TMachineSettings, now: Date): TFlagJudgement {
  const { stored, state, team } = input;
  const before = stored && isOpenState(stored.state) ? stored.state : undefined;
  const raised = before === undefined;
  // A flag that ended — answered, resolved, closed without a reply, deleted in HubSpot — and opens again (the
  // ticket reopened) starts its ladder over: the reopened ticket is news to its owner and, if it stays late, to
  // the leads. Its Slack messages get new pings of their own (the reconciler keys them by the new raisedAt).
  const restarted =
    raised &&
    stored !== undefined &&
    (stored.outcome === 'answered' ||
      stored.outcome === 'resolved' ||
      stored.outcome === 'closed_unanswered' ||
      stored.outcome === 'deleted');
  const moved = stored !== undefined && stored.team !== team;
  const worsened = before !== undefined && SEVERITY[state] > SEVERITY[before];
  const eased = before !== undefined && SEVERITY[state] < SEVERITY[before];

  let origin: FlagOrigin;
  let seenAt: Date | null;
  let raisedAt: Date;
  if (raised) {
    origin = flagOrigin(input.stateSince, now, settings);
    seenAt = now;
    // A flag that only recovered (no longer late, nobody acted) and is late again keeps when it was raised: the
    // same episode, no second nudge. One that ended and opens again is a new one (see `restarted`).
    raisedAt = stored !== undefined && !restarted ? stored.raisedAt : now;
  } else if (worsened) {
    origin = flagOrigin(input.stateSince, now, settings);
    seenAt = now;
    raisedAt = stored!.raisedAt;
  } else {
    origin = stored!.origin;
    seenAt = stored!.seenAt;
    raisedAt = stored!.raisedAt;
  }
  const movedFrom = moved ? stored!.team : raised ? null : stored!.movedFrom;
  const movedAt = moved ? now : raised ? null : stored!.movedAt;

  // The ladder restarts for a new team; a backlog breach or a move after the due time starts it late.
  const seen = seenAt ?? raisedAt;
  let lateStartAt: Date | null = origin === 'backlog' ? seen : null;
  if (movedAt !== null && (lateStartAt === null || movedAt.getTime() > lateStartAt.getTime())) lateStartAt = movedAt;
  const claim =
    stored?.claimedAt && (movedAt === null || stored.claimedAt.getTime() >= movedAt.getTime())
      ? stored.claimedAt
      : null;
  // A claim is a promise to reply within claimWithin: once it lapses, the ladder goes on as if unclaimed; while
  // it runs, its deadline is when that can change with no new facts.
  const claimTimer =
    claim && input.claim
      ? claimStatus(
          {
            claimedAt: claim,
            handled: false,
            lastReplyAt: input.claim.lastReplyAt,
            within: input.claim.within,
            calendar: input.calendar,
          },
          now,
        )
      : undefined;
  const claimedAt = claimTimer ? claimForLadder(claim, claimTimer) : claim;
  const claimNext = claimTimer?.kind === 'pending' ? claimTimer.deadline.getTime() : undefined;
  // A flag that ended (answered, closed, deleted, handled) and opens again starts its ladder over: the reopened
  // ticket is news. One that only recovered (no longer late, nobody acted) keeps its level: no second nudge.
  const baseLevel: EscalationLevel = moved || restarted ? 0 : (stored?.escalationLevel ?? 0);
  const decision = decideEscalation(
    {
      state,
      level: baseLevel,
      targetMinutes: input.targetMinutes,
      dueAt: input.dueAt,
      lateStartAt,
      claimedAt,
      snoozedUntil: stored?.snoozedUntil ?? null,
      escalateAfter: input.escalateAfter,
      calendar: input.calendar,
      pauses: input.pauses,
    },
    now,
  );
  // The move itself is the new team's first step, snoozed or not: the new team must hear of it.
  const level: EscalationLevel = moved && decision.level < 1 ? 1 : decision.level;
  const breachedAt = state === 'breached' || state === 'overdue' ? input.dueAt : null;

  const changed =
    stored === undefined ||
    stored.state !== state ||
    stored.escalationLevel !== level ||
    moved ||
    stored.outcome !== null ||
    stored.origin !== origin ||
    !sameTime(stored.dueAt, input.dueAt) ||
    !sameTime(stored.breachedAt, breachedAt) ||
    stored.resolvedAt !== null ||
    !sameTime(stored.seenAt, seenAt) ||
    stored.movedFrom !== movedFrom ||
    !sameTime(stored.movedAt, movedAt);
  const nextAt = decision.level >= 3 ? decision.nextAt : earlier(decision.nextAt, claimNext);
  if (!changed) return unchanged(stored, nextAt, decision.deferredBy);
  const events: TFlagEvent[] = [];
  if (moved) events.push({ type: 'moved', fromTeam: stored!.team, toTeam: team });
  if (raised) events.push({ type: 'raised', state, origin, reopened: stored !== undefined });
  // A predicted flag reaching warnAt is raised at risk as any other (its nudge already exists: updated in place).
  else if (worsened && before === 'predicted') events.push({ type: 'raised', state, origin, reopened: false });
  else if (worsened) events.push({ type: 'breached', origin });
  else if (eased) events.push({ type: 'eased', state });
  if (level > baseLevel) events.push({ type: 'escalated', from: baseLevel, to: level });
  if (!raised && !sameTime(stored!.dueAt, input.dueAt)) {
    events.push({ type: 'due_changed', from: stored!.dueAt, to: input.dueAt });
  }
  return {
    flag: {
      key: input.key,
      kind: input.kind,
      ticketId: input.ticketId,
      feedbackId: input.feedbackId,
      clock: input.clock,
      team,
      state,
      escalationLevel: level,
      raisedAt,
      dueAt: input.dueAt,
      breachedAt,
      resolvedAt: null,
      outcome: null,
      origin,
      seenAt,
      movedFrom,
      movedAt,
      updatedAt: now,
    },
    changed: true,
    events,
    previous: stored,
    deferredBy: decision.deferredBy,
    nextCheckAt: nextAt,
  };
}

/** The flag ends with `outcome` (open or handled flags; anything else stays as it is). */
function end(
  stored: TStoredFlag | undefined,
  outcome: FlagOutcome,
  at: Date,
  now: Date,
  nextCheckAt?: number,
): TFlagJudgement {
  if (!stored || !(isOpenState(stored.state) || stored.state === 'handled')) {
    return unchanged(stored, nextCheckAt);
  }
  const event: TFlagEvent = { type: 'ended', outcome, at, wasHandled: stored.state === 'handled' };
  return {
    flag: { ...engineColumns(stored), state: 'resolved', outcome, resolvedAt: at, updatedAt: now },
    changed: true,
    events: [event],
    previous: stored,
    deferredBy: undefined,
    nextCheckAt,
  };
}

/**
 * A handled flag whose facts have not ended it: it stays the Slack side's, and its outcome says `handled`
 * (recorded here if the Slack side did not).
 */
function keepHandled(stored: TStoredFlag, now: Date, nextCheckAt?: number): TFlagJudgement {
  if (stored.outcome === 'handled') return unchanged(stored, nextCheckAt, 'handled');
  return {
    flag: { ...engineColumns(stored), outcome: 'handled', updatedAt: now },
    changed: true,
    events: NO_EVENTS,
    previous: stored,
    deferredBy: 'handled',
    nextCheckAt,
  };
}

/** Nothing to write. */
function unchanged(
  stored: TStoredFlag | undefined,
  nextCheckAt?: number,
  deferredBy?: TEscalationDecision['deferredBy'],
): TFlagJudgement {
  return { flag: stored, changed: false, events: NO_EVENTS, previous: stored, deferredBy, nextCheckAt };
}

function engineColumns(flag: TStoredFlag): TEngineFlag {
  return {
    key: flag.key,
    kind: flag.kind,
    ticketId: flag.ticketId,
    feedbackId: flag.feedbackId,
    clock: flag.clock,
    team: flag.team,
    state: flag.state,
    escalationLevel: flag.escalationLevel,
    raisedAt: flag.raisedAt,
    dueAt: flag.dueAt,
    breachedAt: flag.breachedAt,
    resolvedAt: flag.resolvedAt,
    outcome: flag.outcome,
    origin: flag.origin,
    seenAt: flag.seenAt,
    movedFrom: flag.movedFrom,
    movedAt: flag.movedAt,
    updatedAt: flag.updatedAt,
  };
}

// ─────────────────────────────────────────────────────────────────────────────── ticket clocks

/** The next instant a clock's own state changes with no new facts: at risk, then breached (strictly after due). */
export function clockThresholdAt(
  clock: Pick<TClockResult, 'state' | 'atRiskAt' | 'dueAt'>,
  now: Date,
): number | undefined {
  if (clock.state === 'running') {
    const atRisk = clock.atRiskAt.getTime();
    if (atRisk > now.getTime()) return atRisk;
  }
  if (clock.state === 'running' || clock.state === 'at_risk') {
    const breach = clock.dueAt.getTime() + 1;
    if (breach > now.getTime()) return breach;
  }
  return undefined;
}

const earlier = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined || a <= b ? a : b;

export interface TTicketFlagInput {
  readonly key: string;
  readonly ticketId: string;
  readonly stored: TStoredFlag | undefined;
  readonly clock: Pick<
    TClockResult,
    'clock' | 'state' | 'dueAt' | 'atRiskAt' | 'completedAt' | 'completedBy' | 'targetMinutes' | 'pauses'
  >;
  readonly team: string;
  /** The ticket has had an agent reply (a clock the ticket closed ends `resolved`, not `closed_unanswered`). */
  readonly replied: boolean;
  readonly escalateAfter: number;
  readonly calendar: BusinessCalendar;
  /**
   * The clock is calm but likely to breach at its owner's pace (predict.ts): a `predicted` flag. Undefined when
   * predictions are off: a predicted flag then ends as recovered instead of staying.
   */
  readonly predicted?: boolean | undefined;
  /** The claim timer (undefined: claims hold the escalation channel back without a deadline, as before). */
  readonly claim?: TClaimTimer | undefined;
}

/** One ticket clock's flag. */
export function judgeTicketFlag(input: TTicketFlagInput, settings: TMachineSettings, now: Date): TFlagJudgement {
  const { stored, clock } = input;
  const threshold = clockThresholdAt(clock, now);
  if (clock.state === 'at_risk' || clock.state === 'breached') {
    // Marked handled from Slack: the ladder stops for this cycle (the clock's own thresholds still matter).
    if (stored?.state === 'handled') return keepHandled(stored, now, threshold);
    const judged = judgeOpen(
      {
        key: input.key,
        kind: 'ticket',
        ticketId: input.ticketId,
        feedbackId: null,
        clock: clock.clock,
        stored,
        state: clock.state,
        team: input.team,
        dueAt: clock.dueAt,
        stateSince: lateStateSince(clock, now),
        targetMinutes: clock.targetMinutes,
        pauses: clock.pauses,
        escalateAfter: input.escalateAfter,
        calendar: input.calendar,
        claim: input.claim,
      },
      settings,
      now,
    );
    const next = earlier(threshold, judged.nextCheckAt);
    return next === judged.nextCheckAt ? judged : { ...judged, nextCheckAt: next };
  }
  // Predicted to breach: raised before warnAt, and kept until then (a prediction that comes and goes with every
  // reply elsewhere in the queue would be noise).
  if (
    clock.state === 'running' &&
    clock.completedAt === null &&
    stored?.state !== 'handled' &&
    (input.predicted === true || (input.predicted === false && stored?.state === 'predicted'))
  ) {
    const judged = judgeOpen(
      {
        key: input.key,
        kind: 'ticket',
        ticketId: input.ticketId,
        feedbackId: null,
        clock: clock.clock,
        stored,
        state: 'predicted',
        team: input.team,
        dueAt: clock.dueAt,
        // Seen as it happens: a prediction is about the future, never backlog.
        stateSince: now.getTime(),
        targetMinutes: clock.targetMinutes,
        pauses: clock.pauses,
        escalateAfter: input.escalateAfter,
        calendar: input.calendar,
      },
      settings,
      now,
    );
    const next = earlier(threshold, judged.nextCheckAt);
    return next === judged.nextCheckAt ? judged : { ...judged, nextCheckAt: next };
  }
  if (!stored) return unchanged(undefined, threshold);
  if (clock.completedAt !== null) {
    return end(stored, completionOutcome(clock.clock, clock.completedBy, input.replied), clock.completedAt, now);
  }
  // Running or paused without having breached: no longer late.
  if (stored.state === 'handled') return keepHandled(stored, now, threshold);
  return end(stored, 'recovered', now, now, threshold);
}

/** Why a stored ticket flag has no current clock. */
export type TFlagEndReason =
  /** The ticket was archived or deleted in HubSpot (or is gone from the copy). */
  | 'deleted'
  /** A later cycle of the same clock has started: this one was answered, or the ticket closed and reopened. */
  | 'superseded'
  /** No rule applies to the ticket any more, or its rule no longer has this clock. */
  | 'unwatched';

/** A stored ticket flag none of the ticket's current clocks carries. */
export function endTicketFlag(
  stored: TStoredFlag,
  reason: TFlagEndReason,
  ticket: { readonly closed: boolean; readonly replied: boolean },
  now: Date,
): TFlagJudgement {
  const clock = stored.clock ?? 'firstResponse';
  switch (reason) {
    case 'deleted':
      return end(stored, 'deleted', now, now);
    case 'superseded':
      return end(
        stored,
        clock === 'resolution' ? completionOutcome(clock, 'close', ticket.replied) : 'answered',
        now,
        now,
      );
    case 'unwatched':
      if (ticket.closed)
        return end(stored, completionOutcome(clock, ticket.replied ? 'reply' : 'close', ticket.replied), now, now);
      if (stored.state === 'handled') return keepHandled(stored, now);
      return end(stored, 'recovered', now, now);
  }
}

export interface TTicketJudgementInput {
  readonly ticketId: string;
  readonly team: string;
  /** Archived or deleted in HubSpot, or gone from the copy. */
  readonly deleted: boolean;
  readonly closed: boolean;
  readonly replied: boolean;
  /** The ticket's clocks now; undefined when no rule applies. */
  readonly clocks: readonly TClockResult[] | undefined;
  /** Every stored flag of the ticket (earlier cycles included). */
  readonly flags: readonly TStoredFlag[];
  readonly escalateAfter: number;
  readonly calendar: BusinessCalendar;
  /** The ticket's first-response clock is likely to breach (predict.ts); undefined when predictions are off. */
  readonly predicted?: boolean | undefined;
  /** The claim timer of the ticket's rule (see TTicketFlagInput.claim). */
  readonly claim?: TClaimTimer | undefined;
}

export interface TTicketJudgement {
  /** One per clock, in the order of `clocks`. */
  readonly clocks: readonly TFlagJudgement[];
  /** Stored flags no current clock carries (ended if they were open or handled). */
  readonly others: readonly TFlagJudgement[];
}

const NO_JUDGEMENTS: readonly TFlagJudgement[] = [];

/** Every flag of one ticket. */
export function judgeTicket(input: TTicketJudgementInput, settings: TMachineSettings, now: Date): TTicketJudgement {
  const clocks = input.deleted ? undefined : input.clocks;
  const { flags } = input;
  const judged: TFlagJudgement[] = [];
  // Runs for every clock of every open ticket: stored flags are matched by clock and cycle (parsed from the
  // key) rather than by building every clock's key, which only a new flag needs.
  let matched = 0;
  for (const clock of clocks ?? NO_CLOCKS) {
    let stored: TStoredFlag | undefined;
    for (const flag of flags) {
      if (flag.clock === clock.clock && keyCycle(flag.key) === clock.cycle) {
        stored = flag;
        matched++;
      }
    }
    judged.push(
      judgeTicketFlag(
        {
          key: stored ? stored.key : ticketFlagKey(input.ticketId, clock.clock, clock.cycle),
          ticketId: input.ticketId,
          stored,
          clock,
          team: input.team,
          replied: input.replied,
          escalateAfter: input.escalateAfter,
          calendar: input.calendar,
          predicted: input.predicted === undefined ? undefined : input.predicted && clock.clock === 'firstResponse',
          claim: input.claim,
        },
        settings,
        now,
      ),
    );
  }
  if (matched === flags.length) return { clocks: judged, others: NO_JUDGEMENTS };
  let others: TFlagJudgement[] | undefined;
  for (const flag of flags) {
    if (!(isOpenState(flag.state) || flag.state === 'handled')) continue;
    let current = false;
    let sameClock = false;
    for (const clock of clocks ?? NO_CLOCKS) {
      if (clock.clock !== flag.clock) continue;
      sameClock = true;
      if (keyCycle(flag.key) === clock.cycle) current = true;
    }
    if (current) continue;
    const reason: TFlagEndReason = input.deleted ? 'deleted' : sameClock ? 'superseded' : 'unwatched';
    const result = endTicketFlag(flag, reason, input, now);
    if (!result.changed) continue;
    if (others) others.push(result);
    else others = [result];
  }
  return { clocks: judged, others: others ?? NO_JUDGEMENTS };
}

const NO_CLOCKS: readonly TClockResult[] = [];

/** The cycle at the end of a ticket flag key (`ticket:<id>:<clock>:<cycle>`), without allocating. */
function keyCycle(key: string): number {
  let cycle = 0;
  let unit = 1;
  for (let i = key.length - 1; i >= 0; i--) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return c === 58 && unit > 1 ? cycle : -1;
    cycle += (c - 48) * unit;
    unit *= 10;
  }
  return -1;
}

// ─────────────────────────────────────────────────────────────────────────────── feedback

export interface TFeedbackFlagInput {
  readonly key: string;
  readonly feedbackId: string;
  readonly ticketId: string | null;
  readonly stored: TStoredFlag | undefined;
  /** The feedback rules' verdict now; undefined when the answer was archived or deleted. */
  readonly result: Pick<TFeedbackEvaluation, 'state' | 'dueAt' | 'targetMinutes' | 'followUp'> | undefined;
  readonly submittedAt: Date;
  readonly team: string;
  readonly calendar: BusinessCalendar;
  readonly escalateAfter?: number;
}

/**
 * One feedback answer's flag: pending (level 1) → overdue (2) → overdue by escalateAfter × followUpWithin (3);
 * ends `followed_up`, `recovered` (no longer negative) or `deleted`. A handled feedback flag is final: the
 * handling was the follow-up.
 */
export function judgeFeedbackFlag(input: TFeedbackFlagInput, settings: TMachineSettings, now: Date): TFlagJudgement {
  const { stored, result } = input;
  if (stored?.state === 'handled') return keepHandled(stored, now);
  if (result === undefined) return end(stored, 'deleted', now, now);
  switch (result.state) {
    case 'pending':
    case 'overdue':
      return judgeOpen(
        {
          key: input.key,
          kind: 'feedback',
          ticketId: input.ticketId,
          feedbackId: input.feedbackId,
          clock: null,
          stored,
          state: result.state,
          team: input.team,
          dueAt: result.dueAt,
          stateSince: result.state === 'overdue' ? result.dueAt.getTime() : input.submittedAt.getTime(),
          targetMinutes: result.targetMinutes,
          pauses: NO_PAUSES,
          escalateAfter: input.escalateAfter ?? DEFAULT_ESCALATE_AFTER,
          calendar: input.calendar,
        },
        settings,
        now,
      );
    case 'resolved':
      return end(stored, 'followed_up', result.followUp?.at ?? now, now);
    case 'handled':
      // Marked handled from Slack but its state not (yet) so: the engine records what the person did.
      if (!stored || !isOpenState(stored.state)) return unchanged(stored);
      return {
        flag: { ...engineColumns(stored), state: 'handled', outcome: 'handled', updatedAt: now },
        changed: true,
        events: [{ type: 'ended', outcome: 'handled', at: result.followUp?.at ?? now, wasHandled: true }],
        previous: stored,
        deferredBy: 'handled',
        nextCheckAt: undefined,
      };
    case 'not_negative':
      return end(stored, 'recovered', now, now);
  }
}
