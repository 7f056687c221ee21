// evaluate(now): Heed's judgement over the database. Reads open tickets (and closed ones still holding open
// flags or clocks) and pending feedback, computes every clock and follow-up, stores what changed, and returns
// the changes for the Slack side to act on.
//
// Idempotent: results are a function of the stored facts and `now`, and only rows whose meaning changed are
// written (a state, a cycle, a due date, an escalation level), so a second run at the same `now` writes
// nothing and returns no changes. ClockState's usedMinutes/overdueMinutes are therefore as of its
// evaluatedAt (the last change); live figures come from a dry run (`heed check`).
//
// Escalation levels are written here when a step becomes due, and the step is returned in `escalationDue`;
// the Slack side brings each Nudge (Nudge.level) up to its flag's level, so a step is not lost if posting
// fails after this run committed.
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import {
  clockKeyColumns,
  clockStateColumns,
  type EngineFlag,
  engineFlagColumns,
  type FeedbackCandidate,
  FULL_SCOPE,
  incrementalScope,
  type PreviousClockRow,
  SlaRepo,
  type SlaTicketRow,
  type StoredFlag,
} from '../db/sla-repo.ts';
import type { BusinessCalendar } from '../domain/calendar.ts';
import { DEFAULT_ESCALATE_AFTER, decideEscalation } from '../domain/escalation.ts';
import { evaluateFeedback } from '../domain/feedback.ts';
import {
  type ClockName,
  type ClockStateName,
  type EscalationLevel,
  type FlagState,
  feedbackFlagKey,
  OPEN_FLAG_STATES,
  parseFlagKey,
  ticketFlagKey,
} from '../domain/flag.ts';
import {
  computeTicketClocks,
  nextThresholdAt,
  overdueMinutesSince,
  previousClock,
  type TClockResult,
  type TStagePeriod,
  type TTicketClocks,
  type TTicketMessage,
} from '../domain/sla-clocks.ts';
import { assignTeam } from '../domain/team-assignment.ts';
import type { Logger } from '../logger.ts';
import { createSlaEngine, type SlaEngine } from './evaluate-engine.ts';

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

/** One flag that changed, with what the Slack side needs to render and route it. */
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
}

/**
 * Feedback flags use the same lists: a new pending answer is in `newAtRisk`, a newly overdue one in `newBreach`.
 * `escalationDue` holds every flag whose ladder level rose this run (1 nudge, 2 ping in thread, 3 escalation
 * channel); `recovered` flags left at-risk/breached without the clock completing (a pause, a longer target
 * after a policy or priority change); `resolved` ones completed, closed, were deleted or were followed up.
 */
export interface EvaluationChanges {
  readonly newAtRisk: FlagChange[];
  readonly newBreach: FlagChange[];
  readonly escalationDue: FlagChange[];
  readonly recovered: FlagChange[];
  readonly resolved: FlagChange[];
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
 */
const CHUNK_TICKETS = { sqlite: 250, postgresql: 2500 } as const;
/** Rows written per transaction: a transaction per chunk would rewrite the same index pages many times. */
const WRITE_BATCH = 5000;
const isOpenFlag = (state: FlagState | undefined): boolean => state !== undefined && OPEN_FLAG_STATES.includes(state);
const sameTime = (a: Date | null, b: Date | null): boolean =>
  a === null ? b === null : b !== null && a.getTime() === b.getTime();

/** Whether a flag's engine-owned meaning changed (the columns the Slack side acts on; raisedAt is carried over). */
function flagChanged(
  before: StoredFlag | undefined,
  after: Pick<EngineFlag, 'state' | 'escalationLevel' | 'team' | 'dueAt' | 'breachedAt' | 'resolvedAt'>,
): boolean {
  return (
    !before ||
    before.state !== after.state ||
    before.escalationLevel !== after.escalationLevel ||
    before.team !== after.team ||
    !sameTime(before.dueAt, after.dueAt) ||
    !sameTime(before.breachedAt, after.breachedAt) ||
    !sameTime(before.resolvedAt, after.resolvedAt)
  );
}

/** Whether a clock's stored row would change (compared before building the row: most runs change nothing). */
function clockChanged(
  before: PreviousClockRow | undefined,
  after: TClockResult,
  policy: string,
  team: string,
  nextCheckAt: Date | null,
): boolean {
  if (!before) return true;
  return (
    before.cycle !== after.cycle ||
    before.policy !== policy ||
    before.team !== team ||
    before.state !== after.state ||
    before.targetMinutes !== after.targetMinutes ||
    !sameTime(before.startedAt, after.startedAt) ||
    !sameTime(before.completedAt, after.completedAt) ||
    !sameTime(before.nextCheckAt, nextCheckAt) ||
    // A paused clock's due date slides with every run ("due if it resumed now"): not a change worth a write.
    (!(before.state === 'paused' && after.state === 'paused') && !sameTime(before.dueAt, after.dueAt))
  );
}

export async function evaluate(
  deps: EvaluateDeps,
  now: Date,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const { db, logger } = deps;
  const policy = deps.config.policy;
  const engine = deps.engine ?? createSlaEngine(policy);
  const t0 = performance.now();
  const policyHash = engine.policyHash;
  const cursor = options.dryRun ? undefined : await new SlaRepo(db).cursor();
  const mode = options.mode ?? 'auto';
  const full =
    options.dryRun === true ||
    mode === 'full' ||
    !cursor ||
    (mode === 'auto' &&
      (cursor.policyHash !== policyHash ||
        now.getTime() < cursor.lastRunAt.getTime() ||
        now.getTime() - cursor.lastFullAt.getTime() >= (options.fullEveryMinutes ?? 10) * MINUTE_MS));
  const since = new Date((cursor?.lastRunAt.getTime() ?? now.getTime()) - (options.marginMinutes ?? 15) * MINUTE_MS);
  const scopeIds = await new SlaRepo(
    db,
    full || !cursor ? FULL_SCOPE : incrementalScope(since, cursor.lastRunAt, now),
  ).scopeIds();
  const repo = new SlaRepo(db);
  const includeClocks = options.includeClocks ?? options.dryRun ?? false;
  let clockCount = 0;

  const closedStageIds = await repo.closedStageIds();
  const owners = await repo.ownerEmails();
  const pausingStages = [...new Set([...engine.waitingStageIds, ...closedStageIds])];
  const clockOptions = {
    waitingStageIds: engine.waitingStageIds,
    closedStageIds,
    useHubspotSla: engine.useHubspotSla,
    substantiveReplyMinLength: engine.substantiveReplyMinLength,
    nextResponseFrom: engine.nextResponseFrom,
  };
  const lookback = options.feedbackLookbackDays ?? 30;
  const feedbackRows = await repo.feedbackCandidates({
    npsAtMost: engine.feedback.NPS.atMost,
    csatAtMost: engine.feedback.CSAT.atMost,
    cesAtLeast: engine.feedback.CES.atLeast,
    commentsCount: engine.feedback.commentsCount,
    since: new Date(now.getTime() - lookback * DAY_MS),
  });
  const t1 = performance.now();

  const changes: EvaluationChanges = { newAtRisk: [], newBreach: [], escalationDue: [], recovered: [], resolved: [] };
  // Pending writes, column by column (see RowColumns), flushed every WRITE_BATCH rows.
  const clockUpserts = clockStateColumns();
  const clockDeletes = clockKeyColumns();
  const flagWrites = engineFlagColumns();
  const live: LiveClock[] = [];
  const liveFeedback: LiveFeedback[] = [];
  let disagreements = 0;

  // Per-chunk reads (see the loop below); the helpers here read whichever chunk is current.
  let stored = new Map<string, PreviousClockRow[]>();
  let flagsByTicket = new Map<string, StoredFlag[]>();
  let readMs = t1 - t0;
  let computeMs = 0;
  let writeMs = 0;
  let ticketsRead = 0;
  let clockRowsWritten = 0;
  let clockRowsDeleted = 0;
  let flagRowsWritten = 0;
  const flush = async () => {
    const w0 = performance.now();
    if (!options.dryRun) {
      await repo.writeClockStates(clockUpserts, clockDeletes);
      await repo.writeFlags(flagWrites);
      clockRowsWritten += clockUpserts.size;
      clockRowsDeleted += clockDeletes.size;
      flagRowsWritten += flagWrites.size;
    }
    clockUpserts.clear();
    clockDeletes.clear();
    flagWrites.clear();
    writeMs += performance.now() - w0;
  };

  const record = (
    before: StoredFlag | undefined,
    after: EngineFlag,
    extra: {
      cycle: number | null;
      overdueMinutes: number;
      ownerId: string | null;
      ownerEmail: string | null;
      completed?: boolean;
    },
  ) => {
    if (!flagChanged(before, after)) return;
    flagWrites.push(after);
    const change: FlagChange = {
      key: after.key,
      kind: after.kind,
      ticketId: after.ticketId,
      feedbackId: after.feedbackId,
      clock: after.clock,
      cycle: extra.cycle,
      team: after.team,
      state: after.state,
      previousState: before?.state ?? null,
      level: after.escalationLevel,
      previousLevel: before?.escalationLevel ?? 0,
      dueAt: after.dueAt,
      overdueMinutes: extra.overdueMinutes,
      ownerId: extra.ownerId,
      ownerEmail: extra.ownerEmail,
    };
    const wasOpen = isOpenFlag(before?.state);
    if ((after.state === 'at_risk' || after.state === 'pending') && !wasOpen) changes.newAtRisk.push(change);
    if ((after.state === 'breached' || after.state === 'overdue') && before?.state !== after.state)
      changes.newBreach.push(change);
    if (after.escalationLevel > (before?.escalationLevel ?? 0)) changes.escalationDue.push(change);
    if (after.state === 'resolved' && wasOpen)
      (extra.completed === false ? changes.recovered : changes.resolved).push(change);
  };

  const resolveFlag = (
    flag: StoredFlag,
    at: Date,
    completed: boolean,
    ownerId: string | null,
    ownerEmail: string | null,
  ) => {
    if (!isOpenFlag(flag.state)) return;
    record(
      flag,
      { ...flag, state: 'resolved', resolvedAt: at, updatedAt: now },
      { cycle: cycleOf(flag.key), overdueMinutes: 0, ownerId, ownerEmail, completed },
    );
  };

  // Tickets are evaluated in chunks, each read, judged and written before the next: memory stays bounded
  // however many tickets are open.
  const chunkSize = CHUNK_TICKETS[db.provider];
  for (let offset = 0; offset < scopeIds.length; offset += chunkSize) {
    const chunkIds = scopeIds.slice(offset, offset + chunkSize);
    const chunk = repo.forIds(chunkIds);
    const r0 = performance.now();
    const [tickets, clocks, ticketFlags, messages, periods] = await Promise.all([
      chunk.tickets(),
      chunk.clockStates(),
      chunk.ticketFlags(),
      chunk.recentMessages(),
      chunk.stagePeriods(pausingStages),
    ]);
    const r1 = performance.now();
    readMs += r1 - r0;
    ticketsRead += tickets.length;
    stored = clocks;
    flagsByTicket = ticketFlags;
    const found = new Set<string>();
    for (const ticket of tickets) {
      found.add(ticket.id);
      evaluateTicket(ticket, messages.get(ticket.id), periods.get(ticket.id));
    }
    // Open flags of tickets that no longer exist at all (deleted before Heed saw them archived) are over.
    for (const id of chunkIds) {
      if (found.has(id)) continue;
      for (const flag of flagsByTicket.get(id) ?? []) resolveFlag(flag, now, true, null, null);
    }
    computeMs += performance.now() - r1;
    if (clockUpserts.size + clockDeletes.size + flagWrites.size >= WRITE_BATCH) await flush();
  }

  function evaluateTicket(
    ticket: SlaTicketRow,
    messages: TTicketMessage[] | undefined,
    periods: TStagePeriod[] | undefined,
  ) {
    const ownerEmail = ticket.ownerId ? (owners.get(ticket.ownerId) ?? null) : null;
    const ticketFlags = flagsByTicket.get(ticket.id) ?? [];
    const previous = stored.get(ticket.id) ?? [];
    const team = assignTeam(engine.teams, {
      hubspotTeamId: ticket.hubspotTeamId,
      pipelineId: ticket.pipelineId,
      ownerId: ticket.ownerId,
      ownerEmail,
    });
    const rule = ticket.archived
      ? undefined
      : engine.ruleFor({
          priority: ticket.priority,
          pipelineId: ticket.pipelineId,
          team: team.name,
          category: ticket.category,
          source: ticket.source,
        });
    if (!rule) {
      // Deleted in HubSpot, or no rule applies any more: nothing to watch.
      for (const clock of previous) clockDeletes.push({ ticketId: ticket.id, clock: clock.clock });
      for (const flag of ticketFlags) resolveFlag(flag, now, true, ticket.ownerId, ownerEmail);
      return;
    }
    const calendar = engine.calendarOf(team);
    const result: TTicketClocks = computeTicketClocks(
      {
        ticket,
        stagePeriods: periods,
        messages,
        previous,
      },
      rule,
      calendar,
      clockOptions,
      now,
    );
    for (const d of result.disagreements) {
      disagreements++;
      logger.debug(
        {
          ticketId: ticket.id,
          clock: d.clock,
          heedDueAt: d.heedDueAt,
          hubspotDueAt: d.hubspotDueAt,
          differenceMinutes: d.differenceMinutes,
        },
        'HubSpot SLA due date differs from Heed’s',
      );
    }

    // At most three clocks: a small array beats a Set here.
    const currentKeys: string[] = [];
    for (const clock of result.clocks) {
      const key = ticketFlagKey(ticket.id, clock.clock, clock.cycle);
      currentKeys.push(key);
      const flag = ticketFlags.find((f) => f.key === key);
      const level = flagClock(key, clock, flag, team.name, calendar, rule.escalateAfter, ticket, ownerEmail);
      const next =
        nextThresholdAt(
          clock,
          {
            level,
            escalateAfter: rule.escalateAfter,
            claimedAt: flag?.claimedAt ?? null,
            snoozedUntil: flag?.snoozedUntil ?? null,
          },
          calendar,
          now,
        ) ?? null;
      if (clockChanged(previousClock(previous, clock.clock), clock, rule.name, team.name, next)) {
        clockUpserts.push({
          ticketId: ticket.id,
          clock: clock.clock,
          cycle: clock.cycle,
          policy: rule.name,
          team: team.name,
          state: clock.state,
          startedAt: clock.startedAt,
          dueAt: clock.dueAt,
          completedAt: clock.completedAt,
          targetMinutes: clock.targetMinutes,
          usedMinutes: clock.usedMinutes,
          overdueMinutes: clock.overdueMinutes,
          evaluatedAt: now,
          nextCheckAt: next,
        });
      }
      if (!ticket.isClosed) clockCount++;
      if (includeClocks && !ticket.isClosed) {
        live.push({
          ticketId: ticket.id,
          team: team.name,
          ownerId: ticket.ownerId,
          ownerEmail,
          policy: rule.name,
          clock: clock.clock,
          cycle: clock.cycle,
          state: clock.state,
          dueAt: clock.dueAt,
          completedAt: clock.completedAt,
          overdueMinutes: clock.overdueMinutes,
          usedMinutes: clock.usedMinutes,
          targetMinutes: clock.targetMinutes,
          headline: clock === result.headline,
        });
      }
    }
    for (const clock of previous) {
      if (!result.clocks.some((c) => c.clock === clock.clock))
        clockDeletes.push({ ticketId: ticket.id, clock: clock.clock });
    }
    // Open flags of earlier cycles (or of clocks the rule no longer has) are over.
    for (const flag of ticketFlags) {
      if (!currentKeys.includes(flag.key)) resolveFlag(flag, now, true, ticket.ownerId, ownerEmail);
    }
  }

  function flagClock(
    key: string,
    clock: TClockResult,
    before: StoredFlag | undefined,
    team: string,
    calendar: BusinessCalendar,
    escalateAfter: number,
    ticket: SlaTicketRow,
    ownerEmail: string | null,
  ): EscalationLevel {
    // Marked handled from Slack: the ladder stops for this cycle and the flag is the Slack side's.
    if (before?.state === 'handled') return before.escalationLevel;
    if (clock.state === 'at_risk' || clock.state === 'breached') {
      const decision = decideEscalation(
        {
          state: clock.state,
          level: before?.escalationLevel ?? 0,
          targetMinutes: clock.targetMinutes,
          overdueMinutes: clock.overdueMinutes,
          overdueSinceClaimMinutes: before?.claimedAt
            ? overdueMinutesSince(clock, before.claimedAt, calendar, now)
            : null,
          escalateAfter,
          snoozedUntil: before?.snoozedUntil ?? null,
        },
        now,
      );
      // The breach happened at the due time, whenever Heed noticed it.
      const breachedAt = clock.state === 'breached' ? clock.dueAt : null;
      // Unchanged (the usual case on a run every minute): nothing to build or write.
      if (
        !flagChanged(before, {
          state: clock.state,
          escalationLevel: decision.level,
          team,
          dueAt: clock.dueAt,
          breachedAt,
          resolvedAt: null,
        })
      ) {
        return decision.level;
      }
      record(
        before,
        {
          key,
          kind: 'ticket',
          ticketId: ticket.id,
          feedbackId: null,
          clock: clock.clock,
          team,
          state: clock.state,
          escalationLevel: decision.level,
          raisedAt: before && isOpenFlag(before.state) ? before.raisedAt : now,
          dueAt: clock.dueAt,
          breachedAt,
          resolvedAt: null,
          updatedAt: now,
        },
        { cycle: clock.cycle, overdueMinutes: clock.overdueMinutes, ownerId: ticket.ownerId, ownerEmail },
      );
      return decision.level;
    }
    if (before && isOpenFlag(before.state)) {
      const completed = clock.completedAt !== null;
      record(
        before,
        {
          ...before,
          team,
          state: 'resolved',
          dueAt: clock.dueAt,
          resolvedAt: clock.completedAt ?? now,
          updatedAt: now,
        },
        { cycle: clock.cycle, overdueMinutes: clock.overdueMinutes, ownerId: ticket.ownerId, ownerEmail, completed },
      );
    }
    return before?.escalationLevel ?? 0;
  }

  const orphanFeedback = await repo.orphanFeedbackFlags();
  const f0 = performance.now();
  for (const row of feedbackRows) {
    evaluateOneFeedback(row);
  }
  for (const flag of orphanFeedback) resolveFlag(flag, now, true, null, null);
  computeMs += performance.now() - f0;

  function evaluateOneFeedback(row: FeedbackCandidate) {
    const before = row.flag ?? undefined;
    if (before?.state === 'handled') return;
    const ownerEmail = row.ticketOwnerId ? (owners.get(row.ticketOwnerId) ?? null) : null;
    const team = assignTeam(engine.teams, {
      hubspotTeamId: row.ticketHubspotTeamId,
      pipelineId: row.ticketPipelineId,
      ownerId: row.ticketOwnerId,
      ownerEmail,
    });
    const key = feedbackFlagKey(row.id);
    const base = { cycle: null, ownerId: row.ticketOwnerId, ownerEmail };
    if (row.archived) {
      if (before) resolveFlag(before, now, true, row.ticketOwnerId, ownerEmail);
      return;
    }
    const calendar = engine.calendarOf(team);
    const result = evaluateFeedback(
      row,
      engine.feedback,
      engine.followUpWithin,
      calendar,
      {
        ticketReplies: [row.firstReplyAfter, row.ticketLastAgentMessageAt].filter((d): d is Date => d !== null),
        contactTickets: row.contactTicketAfter ? [row.contactTicketAfter] : [],
        handledAt: before?.handledAt ?? null,
      },
      now,
    );
    if (result.state === 'pending' || result.state === 'overdue') {
      const decision = decideEscalation(
        {
          state: result.state,
          level: before?.escalationLevel ?? 0,
          targetMinutes: result.targetMinutes,
          overdueMinutes: result.overdueMinutes,
          overdueSinceClaimMinutes: before?.claimedAt
            ? Math.min(result.overdueMinutes, Math.max(0, (now.getTime() - before.claimedAt.getTime()) / 60_000))
            : null,
          escalateAfter: DEFAULT_ESCALATE_AFTER,
          snoozedUntil: before?.snoozedUntil ?? null,
        },
        now,
      );
      record(
        before,
        {
          key,
          kind: 'feedback',
          ticketId: row.ticketId,
          feedbackId: row.id,
          clock: null,
          team: team.name,
          state: result.state,
          escalationLevel: decision.level,
          raisedAt: before && isOpenFlag(before.state) ? before.raisedAt : now,
          dueAt: result.dueAt,
          breachedAt: result.state === 'overdue' ? result.dueAt : null,
          resolvedAt: null,
          updatedAt: now,
        },
        { ...base, overdueMinutes: result.overdueMinutes },
      );
      liveFeedback.push({
        feedbackId: row.id,
        ticketId: row.ticketId,
        team: team.name,
        ownerId: row.ticketOwnerId,
        ownerEmail,
        contactName: row.contactName,
        surveyType: row.surveyType,
        value: row.value,
        state: result.state,
        dueAt: result.dueAt,
        overdueMinutes: result.overdueMinutes,
      });
    } else if (before && isOpenFlag(before.state)) {
      record(
        before,
        { ...before, team: team.name, state: 'resolved', resolvedAt: result.followUp?.at ?? now, updatedAt: now },
        { ...base, overdueMinutes: result.overdueMinutes, completed: true },
      );
    }
  }
  await flush();
  if (!options.dryRun) {
    const lastFullAt = full ? now : cursor!.lastFullAt;
    if (
      !cursor ||
      cursor.lastRunAt.getTime() !== now.getTime() ||
      cursor.lastFullAt.getTime() !== lastFullAt.getTime() ||
      cursor.policyHash !== policyHash
    ) {
      await repo.writeCursor({ lastRunAt: now, lastFullAt, policyHash }, now);
    }
  }
  if (disagreements > 0) {
    logger.info({ disagreements }, 'HubSpot SLA due dates differ from Heed’s on some clocks (details at debug level)');
  }
  const stats: EvaluationStats = {
    mode: full ? 'full' : 'incremental',
    tickets: ticketsRead,
    clocks: clockCount,
    feedback: liveFeedback.length,
    clockRowsWritten,
    clockRowsDeleted,
    flagRowsWritten,
    disagreements,
    readMs: Math.round(readMs),
    computeMs: Math.round(computeMs),
    writeMs: Math.round(writeMs),
  };
  logger.debug({ ...stats, dryRun: options.dryRun ?? false }, 'evaluation finished');
  return { changes, clocks: live, feedback: liveFeedback, stats };
}

function cycleOf(key: string): number | null {
  const parsed = parseFlagKey(key);
  return parsed?.kind === 'ticket' ? parsed.cycle : null;
}
