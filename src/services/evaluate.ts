// evaluate(now): Heed's judgement over the database, as read → judge → write. Reads open tickets (and closed
// ones still holding open or handled flags, or running clocks) and pending feedback chunk by chunk; judges each
// ticket and answer with the pure domain (sla-clocks.ts computes the clocks, flag-machine.ts the flags and
// their events); writes what changed and returns the events for the Slack side to act on.
//
// Idempotent: results are a function of the stored facts and `now`, and only rows whose meaning changed are
// written (a state, a cycle, a due date, an escalation level, an outcome), so a second run at the same `now`
// writes nothing and returns no changes. ClockState's usedMinutes/overdueMinutes are therefore as of its
// evaluatedAt (the last change); live figures come from a dry run (`heed check`).
//
// Escalation levels are written here when a step becomes due, and the step is returned as an `escalated`
// event (and in `escalationDue`); the Slack side brings each Nudge (Nudge.level) up to its flag's level, so a
// step is not lost if posting fails after this run committed.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import {
  type ClockKey,
  clockKeyColumns,
  clockStateColumns,
  type EngineFlag,
  engineFlagColumns,
  type FeedbackCandidate,
  FULL_SCOPE,
  incrementalScope,
  type PreviousClockRow,
  type RowColumns,
  SlaRepo,
  type SlaTicketRow,
  type StoredClock,
  type StoredFlag,
  type TicketCustomers,
} from '../db/sla-repo.ts';
import type { TCustomerQuote } from '../domain/conversation.ts';
import { evaluateFeedback } from '../domain/feedback.ts';
import {
  type ClockName,
  type ClockStateName,
  type EscalationLevel,
  type FlagOrigin,
  type FlagOutcome,
  type FlagState,
  feedbackFlagKey,
  parseFlagKey,
} from '../domain/flag.ts';
import {
  judgeFeedbackFlag,
  judgeTicket,
  type TFlagEvent,
  type TFlagJudgement,
  type TTicketJudgement,
} from '../domain/flag-machine.ts';
import {
  computeTicketClocks,
  previousClock,
  type TClockOptions,
  type TClockResult,
  type TClockSource,
  type TStagePeriod,
  type TTicketMessage,
} from '../domain/sla-clocks.ts';
import type { TSlaRuleSpec } from '../domain/sla-policy.ts';
import { assignTeam } from '../domain/team-assignment.ts';
import type { Logger } from '../logger.ts';
import { createSlaEngine, type SlaEngine } from './evaluate-engine.ts';
import { predictFirstResponses } from './evaluate-predict.ts';

export interface EvaluateDeps {
  readonly db: Db;
  readonly config: Pick<Config, 'policy'>;
  readonly logger: Logger;
  /** A prepared engine (keeps calendar caches warm between runs); built from config.policy when absent. */
  readonly engine?: SlaEngine;
}

export interface EvaluateOptions {
  /** Compute and return everything but write nothing (`heed check`). */
  readonly dryRun?: boolean;
  /** Negative feedback Heed has never flagged is considered only if submitted within this many days. */
  readonly feedbackLookbackDays?: number;
  /**
   * 'auto' (default): incremental when the last run is recent and the policy unchanged, full otherwise.
   * Incremental runs read only tickets synced since the last run (minus a safety margin), clocks whose
   * nextCheckAt has come, and flags whose snooze ended; a full run every `fullEveryMinutes` catches anything
   * a late-committing sync slipped past the margin.
   */
  readonly mode?: 'auto' | 'full' | 'incremental';
  readonly fullEveryMinutes?: number;
  /** Return every clock in `clocks` (default: on dry runs, which is what `heed check` uses). */
  readonly includeClocks?: boolean;
  /** How far before the last run an incremental run looks for synced tickets. */
  readonly marginMinutes?: number;
}

/** One flag that changed, with what the Slack side needs to render and route it, and why (its events). */
export interface FlagChange {
  readonly key: string;
  readonly kind: 'ticket' | 'feedback';
  readonly ticketId: string | null;
  readonly feedbackId: string | null;
  readonly clock: ClockName | null;
  readonly cycle: number | null;
  readonly team: string;
  readonly state: FlagState;
  readonly previousState: FlagState | null;
  readonly level: EscalationLevel;
  readonly previousLevel: EscalationLevel;
  readonly dueAt: Date | null;
  readonly overdueMinutes: number;
  readonly ownerId: string | null;
  readonly ownerEmail: string | null;
  /** Why it stopped being open (null while open). */
  readonly outcome: FlagOutcome | null;
  readonly origin: FlagOrigin;
  /** When Heed first saw its current open state. */
  readonly seenAt: Date | null;
  /** The team it had before its latest team change. */
  readonly movedFrom: string | null;
  /** What happened this run, in order (flag-machine.ts); empty when only bookkeeping changed. */
  readonly events: readonly TFlagEvent[];
}

/**
 * `flags` holds every flag written this run with its events (flag-machine.ts documents them); the other lists
 * are views of it by event. Feedback flags use the same lists: a new pending answer is in `newAtRisk`, a newly
 * overdue one in `newBreach`. `escalationDue` holds every flag whose ladder level rose this run (1 nudge,
 * 2 ping in thread, 3 escalation channel); `recovered` flags left at-risk/breached without the clock completing
 * (a pause, a longer target after a policy or priority change); `resolved` ones ended any other way (see
 * FlagChange.outcome); `moved` ones follow their ticket to another team.
 */
export interface EvaluationChanges {
  readonly flags: FlagChange[];
  readonly newAtRisk: FlagChange[];
  /** Calm first-response clocks newly likely to breach (flag state `predicted`). */
  readonly newPredicted: FlagChange[];
  readonly newBreach: FlagChange[];
  readonly escalationDue: FlagChange[];
  readonly recovered: FlagChange[];
  readonly resolved: FlagChange[];
  readonly moved: FlagChange[];
}

/** A clock as it stands at `now`, for `heed check`. */
export interface LiveClock {
  readonly ticketId: string;
  readonly team: string;
  readonly ownerId: string | null;
  readonly ownerEmail: string | null;
  readonly policy: string;
  readonly clock: ClockName;
  readonly cycle: number;
  readonly state: ClockStateName;
  readonly dueAt: Date;
  /** When the clock was met or missed for good (null while it runs); the digest dates its SLA outcomes by it. */
  readonly completedAt: Date | null;
  readonly overdueMinutes: number;
  readonly usedMinutes: number;
  readonly targetMinutes: number;
  /** This is the ticket's most urgent clock (its headline). */
  readonly headline: boolean;
  /** Its flag is `predicted`: calm, but likely to breach at its owner's pace (evaluate-predict.ts). */
  readonly predicted: boolean;
}

export interface LiveFeedback {
  readonly feedbackId: string;
  readonly ticketId: string | null;
  readonly team: string;
  readonly ownerId: string | null;
  readonly ownerEmail: string | null;
  readonly contactName: string | null;
  readonly surveyType: string;
  readonly value: number | null;
  readonly state: 'pending' | 'overdue';
  readonly dueAt: Date;
  readonly overdueMinutes: number;
}

export interface EvaluationStats {
  readonly mode: 'full' | 'incremental';
  /** Tickets read and evaluated this run. */
  readonly tickets: number;
  readonly clocks: number;
  readonly feedback: number;
  readonly clockRowsWritten: number;
  readonly clockRowsDeleted: number;
  readonly flagRowsWritten: number;
  readonly disagreements: number;
  readonly readMs: number;
  readonly computeMs: number;
  readonly writeMs: number;
}

export interface EvaluationResult {
  readonly changes: EvaluationChanges;
  /** Clocks of every open ticket evaluated (every open ticket in a full run). */
  readonly clocks: LiveClock[];
  /** Negative feedback awaiting a follow-up. */
  readonly feedback: LiveFeedback[];
  readonly stats: EvaluationStats;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/**
 * Tickets read and judged at a time. On SQLite small: what a chunk reads then dies young and cheap to
 * collect, and a query costs next to nothing. On PostgreSQL each of a chunk's five queries is a round trip
 * and a plan, so chunks are larger there (measured with npm run bench:evaluate: 250 → 1.1 s, 2,500 → 0.7 s).
 * Between chunks the evaluation yields to the event loop (SQLite reads are synchronous), so Slack requests
 * are acknowledged within their 3 s while a long evaluation runs.
 */
const CHUNK_TICKETS = { sqlite: 250, postgresql: 2500 } as const;
/** Rows written per transaction: a transaction per chunk would rewrite the same index pages many times. */
const WRITE_BATCH = 5000;
const sameTime = (a: Date | null, b: Date | null): boolean =>
  a === null ? b === null : b !== null && a.getTime() === b.getTime();

export async function evaluate(
  deps: EvaluateDeps,
  now: Date,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const { db, logger } = deps;
  const engine = deps.engine ?? createSlaEngine(deps.config.policy);
  const t0 = performance.now();
  const dryRun = options.dryRun === true;
  const repo = new SlaRepo(db);

  // ── Read what the whole run needs.
  const cursor = dryRun ? undefined : await repo.cursor();
  const mode = options.mode ?? 'auto';
  const full =
    dryRun ||
    mode === 'full' ||
    !cursor ||
    (mode === 'auto' &&
      (cursor.policyHash !== engine.policyHash ||
        now.getTime() < cursor.lastRunAt.getTime() ||
        now.getTime() - cursor.lastFullAt.getTime() >= (options.fullEveryMinutes ?? 10) * MINUTE_MS));
  const since = new Date((cursor?.lastRunAt.getTime() ?? now.getTime()) - (options.marginMinutes ?? 15) * MINUTE_MS);
  const scopeIds = await new SlaRepo(
    db,
    full || !cursor ? FULL_SCOPE : incrementalScope(since, cursor.lastRunAt, now),
  ).scopeIds();
  // A prediction changes without news on its own ticket (the owner's queue and pace move): predicted tickets
  // join an incremental run's scope.
  const predicted = engine.predictions ? await predictFirstResponses(repo, engine, now) : undefined;
  if (predicted && !full) {
    const inScope = new Set(scopeIds);
    for (const id of predicted.keys()) if (!inScope.has(id)) scopeIds.push(id);
  }
  const closedStageIds = await repo.closedStageIds();
  const judge: TicketJudge = {
    engine,
    owners: await repo.ownerEmails(),
    clockOptions: {
      waitingStageIds: engine.waitingStageIds,
      closedStageIds,
      useHubspotSla: engine.useHubspotSla,
      courtesy: engine.courtesy,
      countRepliesFrom: engine.countRepliesFrom,
      nextResponseFrom: engine.nextResponseFrom,
    },
    now,
    predicted,
  };
  const pausingStages = [...new Set([...engine.waitingStageIds, ...closedStageIds])];
  const feedbackRows = await repo.feedbackCandidates({
    npsAtMost: engine.feedback.NPS.atMost,
    csatAtMost: engine.feedback.CSAT.atMost,
    cesAtMost: engine.feedback.CES.atMost,
    commentsCount: engine.feedback.commentsCount,
    since: new Date(now.getTime() - (options.feedbackLookbackDays ?? 30) * DAY_MS),
    until: now,
  });
  const out = new EvaluationWriter(repo, now, dryRun, options.includeClocks ?? dryRun);
  out.readMs += performance.now() - t0;

  // ── Tickets, in chunks: each read, judged and written before the next, so memory stays bounded however
  // many tickets are open.
  const chunkSize = CHUNK_TICKETS[db.provider];
  for (let offset = 0; offset < scopeIds.length; offset += chunkSize) {
    if (offset > 0) await nextTurn();
    const chunkIds = scopeIds.slice(offset, offset + chunkSize);
    const chunk = repo.forIds(chunkIds);
    const r0 = performance.now();
    const [tickets, clocks, flags, messages, periods, customers] = await Promise.all([
      chunk.tickets(),
      chunk.clockStates(),
      chunk.ticketFlags(),
      chunk.recentMessages(),
      chunk.stagePeriods(pausingStages),
      engine.usesCustomers ? chunk.customers() : NO_CUSTOMERS,
    ]);
    const r1 = performance.now();
    out.readMs += r1 - r0;
    out.ticketsRead += tickets.length;
    const found = new Set<string>();
    for (const ticket of tickets) {
      found.add(ticket.id);
      const verdict = judgeTicketRow(
        judge,
        ticket,
        clocks.get(ticket.id),
        flags.get(ticket.id),
        messages.get(ticket.id),
        periods.get(ticket.id),
        customers.get(ticket.id),
      );
      out.ticket(verdict, clocks.get(ticket.id));
    }
    // Tickets gone from the copy altogether (deleted before Heed saw them archived): their flags end as
    // deleted and their clocks go.
    for (const id of chunkIds) {
      if (found.has(id)) continue;
      out.ticket(judgeVanishedTicket(judge, id, flags.get(id)), clocks.get(id));
    }
    out.computeMs += performance.now() - r1;
    await out.flushIfFull();
  }

  // ── Feedback.
  const orphanFeedback = await repo.orphanFeedbackFlags();
  const f0 = performance.now();
  for (const row of feedbackRows) out.feedback(judgeFeedbackRow(judge, row));
  for (const flag of orphanFeedback) {
    const judgement = judgeFeedbackFlag(
      {
        key: flag.key,
        feedbackId: flag.feedbackId ?? '',
        ticketId: flag.ticketId,
        stored: flag,
        result: undefined,
        submittedAt: flag.raisedAt,
        team: flag.team,
        calendar: engine.calendarOf(teamNamed(engine, flag.team)),
      },
      engine.machine,
      now,
    );
    out.feedback({ judgement, row: undefined, team: flag.team, ownerId: null, ownerEmail: null, overdueMinutes: 0 });
  }
  out.computeMs += performance.now() - f0;
  await out.flush();

  if (!dryRun) {
    const lastFullAt = full ? now : cursor!.lastFullAt;
    if (
      !cursor ||
      cursor.lastRunAt.getTime() !== now.getTime() ||
      cursor.lastFullAt.getTime() !== lastFullAt.getTime() ||
      cursor.policyHash !== engine.policyHash
    ) {
      await repo.writeCursor({ lastRunAt: now, lastFullAt, policyHash: engine.policyHash }, now);
    }
  }
  if (out.disagreements > 0) {
    logger.info(
      { disagreements: out.disagreements },
      'HubSpot SLA due dates differ from Heed’s on some clocks (details at debug level)',
    );
  }
  for (const d of out.disagreementSamples) logger.debug(d, 'HubSpot SLA due date differs from Heed’s');
  const stats = out.stats(full ? 'full' : 'incremental');
  logger.debug({ ...stats, dryRun }, 'evaluation finished');
  return { changes: out.changes, clocks: out.live, feedback: out.liveFeedback, stats };
}

// ─────────────────────────────────────────────────────────────────────────────── judge (no I/O)

/** What judging a ticket needs besides its own rows: the engine, the owners' emails, the clock options, now. */
interface TicketJudge {
  readonly engine: SlaEngine;
  readonly owners: ReadonlyMap<string, string | null>;
  readonly clockOptions: TClockOptions;
  readonly now: Date;
  /** Tickets whose first response is likely to breach (evaluate-predict.ts); undefined when predictions are off. */
  readonly predicted: ReadonlyMap<string, unknown> | undefined;
}

/** One ticket judged: its clocks under its rule, and every flag's judgement. */
interface TicketVerdict {
  readonly ticketId: string;
  readonly team: string;
  readonly ownerId: string | null;
  readonly ownerEmail: string | null;
  readonly closed: boolean;
  /** Undefined when no rule applies (or the ticket is deleted): its clocks are deleted. */
  readonly rule: TSlaRuleSpec | undefined;
  readonly clocks: readonly TClockResult[];
  readonly headline: TClockResult | undefined;
  /** What the response clocks ran on (sla-clocks.ts). */
  readonly source: TClockSource;
  /** The customer's latest unanswered message, stored with the clocks still running (quoted in Slack). */
  readonly waiting: TCustomerQuote | undefined;
  readonly flags: TTicketJudgement;
  readonly disagreements: ReturnType<typeof computeTicketClocks>['disagreements'];
}

const NO_CLOCKS: readonly TClockResult[] = [];
const NO_FLAGS: readonly StoredFlag[] = [];
const NO_CUSTOMERS: ReadonlyMap<string, TicketCustomers> = new Map();

function judgeTicketRow(
  judge: TicketJudge,
  ticket: SlaTicketRow,
  previous: readonly PreviousClockRow[] | undefined,
  storedFlags: readonly StoredFlag[] | undefined,
  messages: readonly TTicketMessage[] | undefined,
  periods: readonly TStagePeriod[] | undefined,
  customers: TicketCustomers | undefined,
): TicketVerdict {
  const { engine, now } = judge;
  const ownerEmail = ticket.ownerId ? (judge.owners.get(ticket.ownerId) ?? null) : null;
  const team = assignTeam(engine.teams, {
    hubspotTeamId: ticket.hubspotTeamId,
    pipelineId: ticket.pipelineId,
    ownerId: ticket.ownerId,
    ownerEmail,
  });
  // Deleted in HubSpot, or no rule applies any more: nothing to watch.
  const rule = ticket.archived
    ? undefined
    : engine.ruleFor({
        priority: ticket.priority,
        pipelineId: ticket.pipelineId,
        team: team.name,
        category: ticket.category,
        source: ticket.source,
        company: customers?.company ?? null,
        contact: customers?.contact ?? null,
      });
  const calendar = engine.calendarOf(team);
  const result = rule
    ? computeTicketClocks(
        {
          ticket,
          stagePeriods: periods,
          messages,
          previous,
          source: ticket.hasConversation ? 'messages' : 'properties',
        },
        rule,
        calendar,
        judge.clockOptions,
        now,
      )
    : undefined;
  // On the messages, a note's author or the AI agent (when it does not count) has not replied, whatever HubSpot's
  // properties say; on the properties, any agent message is a reply, as before.
  const replied =
    result?.source === 'messages'
      ? result.replied
      : ticket.firstAgentReplyAt !== null || ticket.lastAgentMessageAt !== null;
  return {
    ticketId: ticket.id,
    team: team.name,
    ownerId: ticket.ownerId,
    ownerEmail,
    closed: ticket.isClosed,
    rule,
    clocks: result?.clocks ?? NO_CLOCKS,
    headline: result?.headline,
    source: result?.source ?? (ticket.hasConversation ? 'messages' : 'properties'),
    waiting: result?.waiting,
    flags: judgeTicket(
      {
        ticketId: ticket.id,
        team: team.name,
        deleted: ticket.archived,
        closed: ticket.isClosed,
        replied,
        clocks: result?.clocks,
        flags: storedFlags ?? NO_FLAGS,
        escalateAfter: rule?.escalateAfter ?? 0,
        calendar,
        predicted: judge.predicted ? judge.predicted.has(ticket.id) : undefined,
        // The claim timer (domain/claim.ts): any public agent reply after the claim keeps it.
        claim: rule?.claimWithin ? { within: rule.claimWithin, lastReplyAt: ticket.lastAgentMessageAt } : undefined,
      },
      engine.machine,
      now,
    ),
    disagreements: result?.disagreements ?? [],
  };
}

function judgeVanishedTicket(
  judge: TicketJudge,
  ticketId: string,
  storedFlags: readonly StoredFlag[] | undefined,
): TicketVerdict {
  const team = judge.engine.teams[0]!;
  return {
    ticketId,
    team: team.name,
    ownerId: null,
    ownerEmail: null,
    closed: true,
    rule: undefined,
    clocks: NO_CLOCKS,
    headline: undefined,
    source: 'properties',
    waiting: undefined,
    flags: judgeTicket(
      {
        ticketId,
        team: team.name,
        deleted: true,
        closed: true,
        replied: false,
        clocks: undefined,
        flags: storedFlags ?? NO_FLAGS,
        escalateAfter: 0,
        calendar: judge.engine.calendarOf(team),
      },
      judge.engine.machine,
      judge.now,
    ),
    disagreements: [],
  };
}

interface FeedbackVerdict {
  readonly judgement: TFlagJudgement;
  /** Undefined for a flag whose answer is gone from the copy. */
  readonly row: FeedbackCandidate | undefined;
  readonly team: string;
  readonly ownerId: string | null;
  readonly ownerEmail: string | null;
  readonly overdueMinutes: number;
  readonly live?: { readonly state: 'pending' | 'overdue'; readonly dueAt: Date };
}

function judgeFeedbackRow(judge: TicketJudge, row: FeedbackCandidate): FeedbackVerdict {
  const { engine, now } = judge;
  const stored = row.flag ?? undefined;
  const ownerEmail = row.ticketOwnerId ? (judge.owners.get(row.ticketOwnerId) ?? null) : null;
  const team = assignTeam(engine.teams, {
    hubspotTeamId: row.ticketHubspotTeamId,
    pipelineId: row.ticketPipelineId,
    ownerId: row.ticketOwnerId,
    ownerEmail,
  });
  const calendar = engine.calendarOf(team);
  const result = row.archived
    ? undefined
    : evaluateFeedback(
        row,
        engine.feedback,
        engine.followUpWithin,
        calendar,
        {
          ticketReplies: [row.firstReplyAfter, row.ticketLastAgentMessageAt].filter((d): d is Date => d !== null),
          contactTickets: row.contactTicketAfter ? [row.contactTicketAfter] : [],
          handledAt: stored?.handledAt ?? null,
        },
        now,
      );
  const judgement = judgeFeedbackFlag(
    {
      key: feedbackFlagKey(row.id),
      feedbackId: row.id,
      ticketId: row.ticketId,
      stored,
      result,
      submittedAt: row.submittedAt,
      team: team.name,
      calendar,
    },
    engine.machine,
    now,
  );
  const open = judgement.flag?.state === 'pending' || judgement.flag?.state === 'overdue';
  return {
    judgement,
    row,
    team: team.name,
    ownerId: row.ticketOwnerId,
    ownerEmail,
    overdueMinutes: result?.overdueMinutes ?? 0,
    live:
      open && result && (result.state === 'pending' || result.state === 'overdue')
        ? { state: result.state, dueAt: result.dueAt }
        : undefined,
  };
}

function teamNamed(engine: SlaEngine, name: string) {
  return engine.teams.find((t) => t.name === name) ?? engine.teams[0]!;
}

// ─────────────────────────────────────────────────────────────────────────────── write

/** Whether a clock's stored row would change (compared before building the row: most runs change nothing). */
/** Kept of a quoted message: enough for one line in Slack (renderers trim again, to their own width). */
const QUOTE_MAX = 500;

function quoteOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= QUOTE_MAX) return line;
  const end = /[\uD800-\uDBFF]/.test(line[QUOTE_MAX - 1]!) ? QUOTE_MAX - 1 : QUOTE_MAX;
  return line.slice(0, end);
}

function clockChanged(
  before: PreviousClockRow | undefined,
  after: TClockResult,
  policy: string,
  team: string,
  nextCheckAt: number | undefined,
  source: TClockSource,
  quoteAt: Date | null,
): boolean {
  if (!before) return true;
  return (
    before.source !== source ||
    !sameTime(before.quoteAt, quoteAt) ||
    before.cycle !== after.cycle ||
    before.policy !== policy ||
    before.team !== team ||
    before.state !== after.state ||
    before.targetMinutes !== after.targetMinutes ||
    !sameTime(before.startedAt, after.startedAt) ||
    !sameTime(before.completedAt, after.completedAt) ||
    (before.nextCheckAt?.getTime() ?? undefined) !== nextCheckAt ||
    // A paused clock's due date slides with every run ("due if it resumed now"): not a change worth a write.
    (!(before.state === 'paused' && after.state === 'paused') && !sameTime(before.dueAt, after.dueAt))
  );
}

/**
 * Turns verdicts into pending writes (held column by column, see RowColumns, flushed every WRITE_BATCH rows),
 * the returned changes and the live lists, and counts what it did.
 */
class EvaluationWriter {
  readonly changes: EvaluationChanges = {
    flags: [],
    newAtRisk: [],
    newPredicted: [],
    newBreach: [],
    escalationDue: [],
    recovered: [],
    resolved: [],
    moved: [],
  };
  readonly live: LiveClock[] = [];
  readonly liveFeedback: LiveFeedback[] = [];
  readonly disagreementSamples: Record<string, unknown>[] = [];
  readMs = 0;
  computeMs = 0;
  writeMs = 0;
  ticketsRead = 0;
  clockCount = 0;
  disagreements = 0;
  #clockRowsWritten = 0;
  #clockRowsDeleted = 0;
  #flagRowsWritten = 0;
  readonly #clockUpserts: RowColumns<StoredClock> = clockStateColumns();
  readonly #clockDeletes: RowColumns<ClockKey> = clockKeyColumns();
  readonly #flagWrites: RowColumns<EngineFlag> = engineFlagColumns();
  readonly #repo: SlaRepo;
  readonly #now: Date;
  readonly #dryRun: boolean;
  readonly #includeClocks: boolean;

  constructor(repo: SlaRepo, now: Date, dryRun: boolean, includeClocks: boolean) {
    this.#repo = repo;
    this.#now = now;
    this.#dryRun = dryRun;
    this.#includeClocks = includeClocks;
  }

  ticket(verdict: TicketVerdict, previous: readonly PreviousClockRow[] | undefined): void {
    const { ticketId, rule } = verdict;
    for (const d of verdict.disagreements) {
      this.disagreements++;
      this.disagreementSamples.push({
        ticketId,
        clock: d.clock,
        heedDueAt: d.heedDueAt,
        hubspotDueAt: d.hubspotDueAt,
        differenceMinutes: d.differenceMinutes,
      });
    }
    const owner = { ownerId: verdict.ownerId, ownerEmail: verdict.ownerEmail };
    for (let i = 0; i < verdict.clocks.length; i++) {
      const clock = verdict.clocks[i]!;
      const judgement = verdict.flags.clocks[i]!;
      if (judgement.changed) this.#flag(judgement, clock.cycle, clock.overdueMinutes, owner);
      const next = judgement.nextCheckAt;
      // Quoted while the clock runs; once it is answered (or the ticket closed) the customer's text goes.
      const quote = clock.completedAt === null ? verdict.waiting : undefined;
      const quoteAt = quote?.at ?? null;
      const before = previousClock(previous, clock.clock);
      if (clockChanged(before, clock, rule!.name, verdict.team, next, verdict.source, quoteAt)) {
        this.#clockUpserts.push({
          ticketId,
          clock: clock.clock,
          cycle: clock.cycle,
          policy: rule!.name,
          team: verdict.team,
          state: clock.state,
          startedAt: clock.startedAt,
          dueAt: clock.dueAt,
          completedAt: clock.completedAt,
          targetMinutes: clock.targetMinutes,
          usedMinutes: clock.usedMinutes,
          overdueMinutes: clock.overdueMinutes,
          evaluatedAt: this.#now,
          nextCheckAt: next === undefined ? null : new Date(next),
          source: verdict.source,
          quoteText: quote ? quoteOf(quote.text) : null,
          quoteAt,
        });
      }
      if (verdict.closed) continue;
      this.clockCount++;
      if (this.#includeClocks) {
        this.live.push({
          ticketId,
          team: verdict.team,
          ownerId: verdict.ownerId,
          ownerEmail: verdict.ownerEmail,
          policy: rule!.name,
          clock: clock.clock,
          cycle: clock.cycle,
          state: clock.state,
          dueAt: clock.dueAt,
          completedAt: clock.completedAt,
          overdueMinutes: clock.overdueMinutes,
          usedMinutes: clock.usedMinutes,
          targetMinutes: clock.targetMinutes,
          headline: clock === verdict.headline,
          predicted: judgement.flag?.state === 'predicted',
        });
      }
    }
    for (const clock of previous ?? []) {
      if (!verdict.clocks.some((c) => c.clock === clock.clock)) {
        this.#clockDeletes.push({ ticketId, clock: clock.clock });
      }
    }
    for (const judgement of verdict.flags.others) {
      this.#flag(judgement, cycleOf(judgement.flag!.key), 0, owner);
    }
  }

  feedback(verdict: FeedbackVerdict): void {
    const { judgement, row } = verdict;
    if (judgement.changed) {
      this.#flag(judgement, null, verdict.overdueMinutes, verdict);
    }
    if (row && verdict.live) {
      this.liveFeedback.push({
        feedbackId: row.id,
        ticketId: row.ticketId,
        team: verdict.team,
        ownerId: verdict.ownerId,
        ownerEmail: verdict.ownerEmail,
        contactName: row.contactName,
        surveyType: row.surveyType,
        value: row.value,
        state: verdict.live.state,
        dueAt: verdict.live.dueAt,
        overdueMinutes: verdict.overdueMinutes,
      });
    }
  }

  #flag(
    judgement: TFlagJudgement,
    cycle: number | null,
    overdueMinutes: number,
    owner: { readonly ownerId: string | null; readonly ownerEmail: string | null },
  ): void {
    const after = judgement.flag!;
    const before = judgement.previous;
    this.#flagWrites.push(after);
    const change: FlagChange = {
      key: after.key,
      kind: after.kind,
      ticketId: after.ticketId,
      feedbackId: after.feedbackId,
      clock: after.clock,
      cycle,
      team: after.team,
      state: after.state,
      previousState: before?.state ?? null,
      level: after.escalationLevel,
      previousLevel: before?.escalationLevel ?? 0,
      dueAt: after.dueAt,
      overdueMinutes,
      ownerId: owner.ownerId,
      ownerEmail: owner.ownerEmail,
      outcome: after.outcome,
      origin: after.origin,
      seenAt: after.seenAt,
      movedFrom: after.movedFrom,
      events: judgement.events,
    };
    const { changes } = this;
    changes.flags.push(change);
    for (const event of judgement.events) {
      switch (event.type) {
        case 'raised':
          if (event.state === 'predicted') changes.newPredicted.push(change);
          else
            (event.state === 'at_risk' || event.state === 'pending' ? changes.newAtRisk : changes.newBreach).push(
              change,
            );
          break;
        case 'breached':
          changes.newBreach.push(change);
          break;
        case 'escalated':
          changes.escalationDue.push(change);
          break;
        case 'moved':
          changes.moved.push(change);
          break;
        case 'ended':
          (event.outcome === 'recovered' ? changes.recovered : changes.resolved).push(change);
          break;
        case 'eased':
        case 'due_changed':
          break;
      }
    }
  }

  async flushIfFull(): Promise<void> {
    if (this.#clockUpserts.size + this.#clockDeletes.size + this.#flagWrites.size >= WRITE_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    const w0 = performance.now();
    if (!this.#dryRun) {
      await this.#repo.writeClockStates(this.#clockUpserts, this.#clockDeletes);
      await this.#repo.writeFlags(this.#flagWrites);
      this.#clockRowsWritten += this.#clockUpserts.size;
      this.#clockRowsDeleted += this.#clockDeletes.size;
      this.#flagRowsWritten += this.#flagWrites.size;
    }
    this.#clockUpserts.clear();
    this.#clockDeletes.clear();
    this.#flagWrites.clear();
    this.writeMs += performance.now() - w0;
  }

  stats(mode: 'full' | 'incremental'): EvaluationStats {
    return {
      mode,
      tickets: this.ticketsRead,
      clocks: this.clockCount,
      feedback: this.liveFeedback.length,
      clockRowsWritten: this.#clockRowsWritten,
      clockRowsDeleted: this.#clockRowsDeleted,
      flagRowsWritten: this.#flagRowsWritten,
      disagreements: this.disagreements,
      readMs: Math.round(this.readMs),
      computeMs: Math.round(this.computeMs),
      writeMs: Math.round(this.writeMs),
    };
  }
}

function cycleOf(key: string): number | null {
  const parsed = parseFlagKey(key);
  return parsed?.kind === 'ticket' ? parsed.cycle : null;
}
