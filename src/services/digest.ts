// The digest use cases: compose a team's digest (or weekly report) from an evaluation of the present, preview
// it, post it through the Slack outbox once per team and day, and correct the posted message in place later
// that day. The scheduler's handlers (waiting for the first sync since start) are in digest-jobs.ts.
//
// What the digest says about *now* — breached and at-risk tickets, feedback owed a follow-up — comes from a
// dry-run evaluation made in the same run (the one `heed check` makes): ClockState and Flag rows are only as
// fresh as the last scheduled evaluation, and right after a first sync there are none at all. A dry run writes
// nothing, so composing a digest never races the evaluate job or changes what nudges see. Rows that only the
// stored state knows stay as they are: clocks of closed tickets (for the SLA figures), claims and "handled".
import { randomUUID } from 'node:crypto';
import type { Config, TTeam } from '../config.ts';
import type { Db } from '../db/client.ts';
import {
  type DigestClockRow,
  DigestRepo,
  type DigestRun,
  type DigestRunStatus,
  type DigestTicketRow,
  type FeedbackSubmission,
  type OutboxMessage,
} from '../db/digest-repo.ts';
import { type BusinessCalendar, createBusinessCalendar } from '../domain/calendar.ts';
import {
  computeDigest,
  digestPeriodDays,
  ownersWithoutSlackUser,
  type TDigestKind,
  type TDigestModel,
  type TDigestPerson,
  withOwnerSlackUsers,
} from '../domain/digest.ts';
import type { TDigestClock, TDigestFeedback, TDigestTicket } from '../domain/digest-stats.ts';
import { type ClockName, type ClockStateName, ticketFlagKey } from '../domain/flag.ts';
import { assignTeam } from '../domain/team-assignment.ts';
import { isoDateFromDay, weekdayOfDay } from '../domain/time-zone.ts';
import { AppError } from '../errors.ts';
import { ticketUrl } from '../hubspot/map.ts';
import { type Logger, silentLogger } from '../logger.ts';
import type { RenderedMessage } from '../slack/render/blocks.ts';
import { renderDigest, renderDigestNotReady, renderDigestPartRetired } from '../slack/render/digest.ts';
import type { TLate } from '../slack/render/digest-format.ts';
import { type EvaluationResult, evaluate } from './evaluate.ts';
import type { SlaEngine } from './evaluate-engine.ts';
import { HEED_METADATA_EVENT, type SlackApi } from './outbox.ts';

/** Slack users by HubSpot owner email; SlackUserDirectory satisfies it (it looks up and caches unknown ones). */
export interface DigestUsers {
  slackIdForEmail(email: string | null | undefined, now: Date): Promise<string | undefined>;
}

export interface DigestDeps {
  db: Db;
  config: Pick<Config, 'policy'>;
  /** Where the digest's evaluation logs (what `evaluate` reports, e.g. HubSpot SLA disagreements). */
  logger?: Logger | undefined;
  /** A prepared SLA engine (its calendar caches stay warm); built from the policy when absent. */
  engine?: SlaEngine | undefined;
  /**
   * Names owners as Slack mentions: the policy's people map, then the lookup cache, then Slack itself for an
   * owner nobody has looked up yet (the first digest after a start). Without it, the map and the cache only.
   */
  users?: DigestUsers | undefined;
}

/** What the digest needs of an evaluation: every open ticket's clocks and the feedback owed a follow-up. */
export type DigestEvaluation = Pick<EvaluationResult, 'clocks' | 'feedback'>;

export interface BuildDigestOptions {
  kind?: TDigestKind;
  /** Store the finished days' numbers (DailyStat). On by default: they are final, and trends read them. */
  storeStats?: boolean;
  /** When the digest was due (the scheduler's `scheduledAt`): its local date picks the period. Defaults to now. */
  scheduledFor?: Date | undefined;
  /** An evaluation at `now` already made (`heed digest` makes one for every team); otherwise one is made here. */
  evaluation?: DigestEvaluation | undefined;
}

/** Days of rows read: 14 for the trend, 7 more so a weekly report sent late in the week still has its fortnight. */
const HISTORY_DAYS = 22;

export function findTeam(config: Pick<Config, 'policy'>, name: string | undefined): TTeam {
  const teams = config.policy.teams;
  if (name === undefined) return teams[0]!;
  const team = teams.find((t) => t.name.toLowerCase() === name.toLowerCase());
  if (!team) {
    throw new AppError('USAGE', `There is no team named "${name}".`, {
      fix: `use one of the teams in the policy file: ${teams.map((t) => t.name).join(', ')}`,
    });
  }
  return team;
}

export function teamCalendar(config: Pick<Config, 'policy'>, team: TTeam): BusinessCalendar {
  const spec = config.policy.calendars[team.calendar];
  if (!spec) {
    throw new AppError('CONFIG_INVALID', `Team ${team.name} names an unknown calendar "${team.calendar}".`, {
      fix: 'add the calendar under "calendars" in the policy file, or correct the team’s "calendar"',
    });
  }
  return createBusinessCalendar(spec);
}

function ownerName(owner: {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
}): string {
  const name = [owner.firstName, owner.lastName]
    .filter((p) => p?.trim())
    .join(' ')
    .trim();
  return name || owner.email || `owner ${owner.id}`;
}

/**
 * The evaluation a digest is composed from: a dry run at `now` over every open ticket (`heed check`'s), which
 * writes nothing.
 */
export async function evaluateForDigest(deps: DigestDeps, now: Date): Promise<DigestEvaluation> {
  const { clocks, feedback } = await evaluate(
    {
      db: deps.db,
      config: deps.config,
      logger: deps.logger ?? silentLogger(),
      ...(deps.engine ? { engine: deps.engine } : {}),
    },
    now,
    { dryRun: true, includeClocks: true },
  );
  return { clocks, feedback };
}

/** Evaluates the present (unless given an evaluation), reads the team's rows and computes its digest at `now`. */
export async function buildDigest(
  deps: DigestDeps,
  teamName: string | undefined,
  now: Date,
  options: BuildDigestOptions = {},
): Promise<TDigestModel> {
  const { policy } = deps.config;
  const team = findTeam(deps.config, teamName);
  const calendar = teamCalendar(deps.config, team);
  const kind = options.kind ?? 'daily';
  const repo = new DigestRepo(deps.db);
  const today = calendar.zone.localDay((options.scheduledFor ?? now).getTime());
  const since = new Date(calendar.zone.toInstant(today - HISTORY_DAYS, 0));

  const evaluation = options.evaluation ?? (await evaluateForDigest(deps, now));
  const [allTickets, storedClocks, owners, portal, feedback, stored, stageLabels] = await Promise.all([
    repo.tickets(since, now),
    repo.clockStates(since),
    repo.owners(),
    repo.portal(),
    repo.feedback(since, now),
    repo.dailyStats(team.name, isoDateFromDay(today - HISTORY_DAYS), isoDateFromDay(today)),
    repo.stageLabels(),
  ]);

  // Whose ticket: the evaluation's decision for an open ticket; the last stored decision (ClockState.team) for
  // a closed one; otherwise the rule the engine applies (team-assignment.ts), so every ticket shows up somewhere.
  const ownerById = new Map(owners.map((o) => [o.id, o]));
  const liveByTicket = new Map<string, DigestEvaluation['clocks'][number][]>();
  for (const clock of evaluation.clocks) {
    const list = liveByTicket.get(clock.ticketId) ?? [];
    list.push(clock);
    liveByTicket.set(clock.ticketId, list);
  }
  const storedByTicket = new Map<string, DigestClockRow[]>();
  for (const clock of storedClocks) {
    const list = storedByTicket.get(clock.ticketId) ?? [];
    list.push(clock);
    storedByTicket.set(clock.ticketId, list);
  }
  const teamOf = (ticket: DigestTicketRow) =>
    liveByTicket.get(ticket.id)?.[0]?.team ??
    storedByTicket.get(ticket.id)?.[0]?.team ??
    assignTeam(policy.teams, {
      hubspotTeamId: ticket.hubspotTeamId,
      pipelineId: ticket.pipelineId,
      ownerId: ticket.ownerId,
      ownerEmail: ticket.ownerId ? (ownerById.get(ticket.ownerId)?.email ?? null) : null,
    }).name;
  const ticketTeam = new Map(allTickets.map((t) => [t.id, teamOf(t)]));

  // Feedback the evaluation finds owed a follow-up now, including answers older than the history window.
  const owed = new Map(evaluation.feedback.map((f) => [f.feedbackId, f]));
  const loadedAnswers = new Set(feedback.answers.map((a) => a.id));
  const answers = [
    ...feedback.answers,
    ...(await repo.feedbackByIds([...owed.keys()].filter((id) => !loadedAnswers.has(id)))),
  ];
  // Feedback about an older ticket (closed before the history window) still belongs to that ticket's team.
  const loaded = new Set(allTickets.map((t) => t.id));
  const older = [...new Set(answers.map((a) => a.ticketId))].filter(
    (id): id is string => id !== null && !loaded.has(id),
  );
  for (const ticket of await repo.ticketsByIds(older)) ticketTeam.set(ticket.id, teamOf(ticket));
  const tickets = allTickets.filter((t) => ticketTeam.get(t.id) === team.name);

  // An open ticket's clocks are the evaluation's (every open ticket is evaluated; none means it has none now);
  // a closed ticket keeps its stored ones, which date its met and missed SLAs.
  const teamClocks: (Omit<TDigestClock, 'claimedBy' | 'handled'> & { cycle: number })[] = [];
  // (An open ticket's `predicted` comes from the evaluation's flag judgement: see LiveClock.predicted.)
  for (const ticket of tickets) {
    if (!ticket.isClosed) {
      for (const c of liveByTicket.get(ticket.id) ?? []) {
        teamClocks.push({
          ticketId: c.ticketId,
          clock: c.clock,
          cycle: c.cycle,
          state: c.state,
          dueAt: c.dueAt,
          completedAt: c.completedAt,
          overdueMinutes: c.overdueMinutes,
          evaluatedAt: now,
          predicted: c.predicted,
        });
      }
      continue;
    }
    for (const c of storedByTicket.get(ticket.id) ?? []) {
      teamClocks.push({
        ticketId: c.ticketId,
        clock: c.clock as ClockName,
        cycle: c.cycle,
        state: c.state as ClockStateName,
        dueAt: c.dueAt,
        completedAt: c.completedAt,
        overdueMinutes: c.overdueMinutes,
        evaluatedAt: c.evaluatedAt,
      });
    }
  }
  // Claims and "handled" are people's doing, kept on the clocks' flags (one per clock cycle).
  const flagKey = (c: { ticketId: string; clock: ClockName; cycle: number }) =>
    ticketFlagKey(c.ticketId, c.clock, c.cycle);
  const flags = new Map(
    (await repo.ticketFlags(teamClocks.filter((c) => c.completedAt === null).map(flagKey))).map((f) => [f.key, f]),
  );

  const slackUsers = await repo.slackUsers(owners.map((o) => o.email).filter((e): e is string => !!e));
  const people = new Map(Object.entries(policy.people).map(([email, id]) => [email.toLowerCase(), id]));
  const persons: TDigestPerson[] = owners.map((owner) => {
    const email = owner.email?.toLowerCase();
    // The policy's people map is an explicit choice and wins over the looked-up cache.
    const slackUserId = email ? (people.get(email) ?? slackUsers.get(email) ?? null) : null;
    return { id: owner.id, name: ownerName(owner), slackUserId };
  });

  // Whose feedback: the evaluation's team, else its flag's, else its ticket's, else the first team (as for
  // tickets nobody takes).
  const flagByFeedback = new Map(feedback.flags.map((f) => [f.feedbackId!, f]));
  const feedbackTeam = (answer: FeedbackSubmission) =>
    owed.get(answer.id)?.team ??
    flagByFeedback.get(answer.id)?.team ??
    (answer.ticketId ? ticketTeam.get(answer.ticketId) : undefined) ??
    policy.teams[0]!.name;

  const model = computeDigest(
    {
      team: team.name,
      kind,
      tickets: tickets.map(
        (t): TDigestTicket => ({
          id: t.id,
          subject: t.subject,
          ownerId: t.ownerId,
          priority: t.priority,
          category: t.category,
          source: t.source,
          stageId: t.stageId,
          customer: t.contactName ?? t.companyName ?? t.contactEmail,
          url: portal ? ticketUrl(portal, t.id) : null,
          createdAt: t.createdAt,
          closedAt: t.closedAt,
          isClosed: t.isClosed,
          firstAgentReplyAt: t.firstAgentReplyAt,
          lastCustomerMessageAt: t.lastCustomerMessageAt,
          lastAgentMessageAt: t.lastAgentMessageAt,
          stageEnteredAt: t.stageEnteredAt,
        }),
      ),
      clocks: teamClocks.map(({ cycle, ...clock }): TDigestClock => {
        const flag = flags.get(flagKey({ ...clock, cycle }));
        return { ...clock, claimedBy: flag?.claimedBy ?? null, handled: flag?.state === 'handled' };
      }),
      feedback: answers
        .filter((a) => feedbackTeam(a) === team.name)
        .map((a): TDigestFeedback => {
          const live = owed.get(a.id);
          return {
            id: a.id,
            surveyType: a.surveyType,
            value: a.value,
            content: a.content,
            submittedAt: a.submittedAt,
            contact: a.contactName ?? a.contactEmail,
            ticketId: a.ticketId,
            followUp: live ? { state: live.state, dueAt: live.dueAt } : null,
          };
        }),
      owners: persons,
      storedStats: stored,
      thresholds: policy.feedback,
      waitingStageIds: policy.waitingOnCustomerStages,
      periodDays: kind === 'daily' ? digestPeriodDays(weekdayOfDay(today), team.digest.days) : undefined,
      scheduledAt: options.scheduledFor ?? now,
      silence: policy.silent,
      stageLabels,
    },
    now,
    calendar,
  );
  if (options.storeStats ?? true) await repo.saveDailyStats(team.name, model.dailyStats);
  return withSlackMentions(deps, model, ownerById, now);
}

/**
 * Owners the digest names but Slack does not know yet (nobody has nudged them since the cache was empty) are
 * looked up now, so even the first digest after a start mentions people instead of printing their names.
 */
async function withSlackMentions(
  deps: DigestDeps,
  model: TDigestModel,
  owners: ReadonlyMap<string, { email: string | null }>,
  now: Date,
): Promise<TDigestModel> {
  const users = deps.users;
  if (!users) return model;
  const found = new Map<string, string>();
  for (const ownerId of ownersWithoutSlackUser(model)) {
    const id = await users.slackIdForEmail(owners.get(ownerId)?.email, now);
    if (id) found.set(ownerId, id);
  }
  return withOwnerSlackUsers(model, found);
}

/** What `/digest [team]` shows: the digest as it would be posted now, without posting it. */
export async function previewDigest(
  deps: DigestDeps,
  teamName: string | undefined,
  now: Date,
  options: BuildDigestOptions = {},
): Promise<{ model: TDigestModel; messages: RenderedMessage[] }> {
  const model = await buildDigest(deps, teamName, now, options);
  return { model, messages: renderDigest(model) };
}

/** The slice of the Slack outbox the digest needs (SlackRepo satisfies it). */
export interface DigestOutbox {
  enqueue(
    intent: {
      idempotencyKey: string;
      kind: 'post';
      channel: string;
      payload: Record<string, unknown>;
      notBefore?: Date | undefined;
    },
    now: Date,
  ): Promise<boolean>;
}

export interface PostDigestOptions extends BuildDigestOptions {
  /** Sent after its time: the message says so (and why, when the facts are given). */
  late?: boolean;
  /** No Heed was running when it was due (the scheduler caught it up). */
  wasDown?: boolean;
  /** Held back until the first HubSpot sync since start had finished (see digest-jobs.ts). */
  waitedForSync?: boolean;
  /**
   * When the day's digest was posted already: bring it up to date in place (chat.update of each part) instead
   * of answering 'already'. What `/digest post` and `heed digest` do; the scheduler never does.
   */
  correct?: boolean;
}

/**
 * queued: the day's digest is in the outbox now. already: it was posted before (nothing sent). updated: the
 * posted digest was corrected in place. on-its-way: it was posted before but Slack does not have every part yet,
 * so there is nothing to correct. update-failed: Slack refused a correction (`reason` says why).
 */
export type PostDigestStatus = 'queued' | 'already' | 'updated' | 'on-its-way' | 'update-failed';

export interface PostDigestResult {
  status: PostDigestStatus;
  team: string;
  /** DigestRun.day: the team's local date, prefixed `weekly:` for the weekly report. */
  day: string;
  channel: string;
  parts: number;
  run: DigestRun;
  /** Slack's error code when a correction was refused. */
  reason?: string | undefined;
}

/** DigestRun.day for a digest: daily and weekly reports of one date are separate runs. */
export function digestRunDay(kind: TDigestKind, runDay: string): string {
  return kind === 'weekly' ? `weekly:${runDay}` : runDay;
}

export function digestKeyPrefix(team: string, day: string): string {
  return `digest:${team}:${day}:`;
}

/** The message payload of one digest part, as the outbox posts it. */
function partPayload(message: RenderedMessage, key: string): Record<string, unknown> {
  return {
    text: message.text,
    blocks: message.blocks,
    unfurl_links: false,
    unfurl_media: false,
    // The outbox finds a post made just before a crash by this key in the channel's history.
    metadata: { event_type: HEED_METADATA_EVENT, event_payload: { key } },
  };
}

/**
 * Queues a digest's messages as its parts `from`… (part numbers start at 1; keys `<prefix><part>`), a
 * millisecond apart so the outbox, oldest first and one at a time per channel, keeps them in order.
 */
export async function queueDigestMessages(
  outbox: DigestOutbox,
  prefix: string,
  channel: string,
  messages: readonly RenderedMessage[],
  now: Date,
  from = 1,
): Promise<void> {
  for (let index = from - 1; index < messages.length; index++) {
    const key = `${prefix}${index + 1}`;
    const at = new Date(now.getTime() + index);
    await enqueueOnce(
      outbox,
      { idempotencyKey: key, kind: 'post', channel, payload: partPayload(messages[index]!, key), notBefore: at },
      at,
    );
  }
}

/** Where a team's digest of a kind goes, and the DigestRun day it is recorded under. */
export function digestTarget(
  config: Pick<Config, 'policy'>,
  team: TTeam,
  kind: TDigestKind,
  at: Date,
): { day: string; channel: string } {
  const calendar = teamCalendar(config, team);
  const day = digestRunDay(kind, isoDateFromDay(calendar.zone.localDay(at.getTime())));
  return { day, channel: kind === 'weekly' ? (team.escalationChannel ?? team.channel) : team.channel };
}

/**
 * Posts a team's digest through the outbox, once per (team, day): a second call — a retry, another replica,
 * the scheduled digest after `/digest post` — finds the DigestRun and posts nothing; with `correct` it updates
 * the posted message instead. The daily digest goes to the team's channel; the weekly report to its escalation
 * channel (the team channel when it has none).
 */
export async function postDigest(
  deps: DigestDeps & { outbox: DigestOutbox; slack?: SlackApi | undefined },
  teamName: string | undefined,
  now: Date,
  options: PostDigestOptions = {},
): Promise<PostDigestResult> {
  const team = findTeam(deps.config, teamName);
  const kind = options.kind ?? 'daily';
  const { day, channel } = digestTarget(deps.config, team, kind, options.scheduledFor ?? now);
  const repo = new DigestRepo(deps.db);
  const done = (run: DigestRun) =>
    options.correct
      ? correctDigest(deps, team, { kind, day, channel, run }, now, options)
      : Promise.resolve<PostDigestResult>({ status: 'already', team: team.name, day, channel, parts: 0, run });

  const existing = await repo.digestRun(team.name, day);
  if (existing && existing.status !== 'pending') return done(await settleRun(repo, existing));
  const late = options.late ?? false;
  const claim = await repo.claimDigestRun({
    id: randomUUID(),
    team: team.name,
    day,
    scheduledFor: options.scheduledFor ?? now,
    late,
  });
  if (!claim.created && claim.run.status !== 'pending') return done(await settleRun(repo, claim.run));
  // A run left `pending` by a crash is finished here: the parts already queued are skipped by their keys.
  const model = await buildDigest(deps, team.name, now, options);
  const lateFacts: TLate | undefined = claim.run.late
    ? {
        scheduledFor: claim.run.scheduledFor,
        ...(options.waitedForSync !== undefined ? { waitedForSync: options.waitedForSync } : {}),
        ...(options.wasDown !== undefined ? { wasDown: options.wasDown } : {}),
      }
    : undefined;
  const messages = renderDigest(model, { late: lateFacts });
  await queueDigestMessages(deps.outbox, digestKeyPrefix(team.name, day), channel, messages, now);
  const run = await repo.updateDigestRun(team.name, day, { status: 'queued' });
  return { status: 'queued', team: team.name, day, channel, parts: messages.length, run };
}

/**
 * Brings the day's posted digest up to date: a fresh evaluation, then chat.update of every part Slack has (a
 * part more is posted, a part fewer is retired with a one-line note). Called directly rather than through the
 * outbox, whose updates are tied to nudges: a correction is asked for by a person who gets the outcome at once
 * and can ask again, and chat.update of the same message twice is harmless.
 */
async function correctDigest(
  deps: DigestDeps & { outbox: DigestOutbox; slack?: SlackApi | undefined },
  team: TTeam,
  target: { kind: TDigestKind; day: string; channel: string; run: DigestRun },
  now: Date,
  options: PostDigestOptions,
): Promise<PostDigestResult> {
  const { kind, day, channel, run } = target;
  const result = (status: PostDigestStatus, parts = 0, reason?: string): PostDigestResult => ({
    status,
    team: team.name,
    day,
    channel,
    parts,
    run,
    ...(reason ? { reason } : {}),
  });
  const repo = new DigestRepo(deps.db);
  const prefix = digestKeyPrefix(team.name, day);
  const rows = await repo.digestOutbox(prefix);
  if (rows.length === 0 || !deps.slack) return result('already');
  const failed = rows.find((row) => row.state === 'failed');
  if (failed) return result('update-failed', 0, failed.lastError ?? 'Slack refused the digest when it was posted');
  if (rows.some((row) => row.state !== 'sent' || !row.resultTs)) return result('on-its-way');

  const model = await buildDigest(deps, team.name, now, { ...options, kind, scheduledFor: run.scheduledFor });
  const messages = renderDigest(model, { updated: { at: now, firstPostedAt: rows[0]!.sentAt } });
  try {
    for (const [index, row] of rows.entries()) {
      const message = messages[index] ?? renderDigestPartRetired(model, now);
      await deps.slack.apiCall('chat.update', {
        channel: row.channel,
        ts: row.resultTs,
        text: message.text,
        blocks: message.blocks,
      });
    }
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    deps.logger?.warn({ err: error, team: team.name, day }, 'digest: Slack refused to update the posted digest');
    return result('update-failed', 0, code ?? (error instanceof Error ? error.message : String(error)));
  }
  if (messages.length > rows.length) {
    await queueDigestMessages(deps.outbox, prefix, channel, messages, now, rows.length + 1);
  }
  const status: DigestRunStatus = messages.length > rows.length ? 'queued' : 'sent';
  const updated = await repo.updateDigestRun(team.name, day, { status, messageTs: rows[0]!.resultTs });
  return { ...result('updated', messages.length), run: updated };
}

/**
 * Enqueues unless the key is already queued. Two attempts of one run racing (a replica taking over one that
 * was only slow) may both insert the same key: the loser's unique violation means "already queued".
 */
async function enqueueOnce(
  outbox: DigestOutbox,
  intent: Parameters<DigestOutbox['enqueue']>[0],
  now: Date,
): Promise<boolean> {
  try {
    return await outbox.enqueue(intent, now);
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') return false;
    throw error;
  }
}

/**
 * Where a queued digest stands according to its parts' outbox rows: `sent` once Slack has every part, `failed`
 * when Slack refused one for good, `queued` while any is on its way (or none is known).
 */
export function digestDelivery(rows: readonly Pick<OutboxMessage, 'state' | 'sentAt' | 'resultTs'>[]): {
  status: 'queued' | 'sent' | 'failed';
  sentAt: Date | null;
  messageTs: string | null;
} {
  if (rows.length === 0) return { status: 'queued', sentAt: null, messageTs: null };
  if (rows.some((r) => r.state === 'failed')) return { status: 'failed', sentAt: null, messageTs: null };
  if (!rows.every((r) => r.state === 'sent')) return { status: 'queued', sentAt: null, messageTs: null };
  const sentAt = rows.reduce<Date | null>((max, r) => (r.sentAt && (!max || r.sentAt > max) ? r.sentAt : max), null);
  return { status: 'sent', sentAt, messageTs: rows[0]!.resultTs };
}

async function settleRun(repo: DigestRepo, run: DigestRun): Promise<DigestRun> {
  if (run.status !== 'queued') return run;
  const delivery = digestDelivery(await repo.digestOutbox(digestKeyPrefix(run.team, run.day)));
  if (delivery.status === 'queued') return run;
  return repo.updateDigestRun(run.team, run.day, delivery);
}

/**
 * Brings a DigestRun up to date with its outbox rows: `sent` (with the first part's ts) once every part is
 * out, `failed` when Slack refused one for good. Returns the run, or undefined when there is none.
 */
export async function settleDigestRun(
  deps: Pick<DigestDeps, 'db'>,
  team: string,
  day: string,
): Promise<DigestRun | undefined> {
  const repo = new DigestRepo(deps.db);
  const run = await repo.digestRun(team, day);
  return run ? settleRun(repo, run) : undefined;
}

/**
 * A digest is true only once Heed has a fresh copy of HubSpot: a complete sync that began after `startedAt`
 * (the process start). Without HubSpot sync (no token) there is nothing to wait for.
 */
export interface DigestReadiness {
  readonly startedAt: Date;
  readonly requireSync: boolean;
}

export async function digestReady(db: Db, readiness: DigestReadiness | undefined): Promise<boolean> {
  if (!readiness?.requireSync) return true;
  return (await new DigestRepo(db).lastCompleteSyncStart(readiness.startedAt)) !== undefined;
}

export type SlackDigestPost =
  | PostDigestResult
  | { status: 'not-ready'; team: string; channel: string; parts: 0; startedAt: Date };

/**
 * What the `/digest` command needs (SlackServices.digestPreview and digestPost). `/digest post` posts the day's
 * digest, or — once it was posted — updates it in place with the present's numbers; the scheduled digest later
 * that day finds the DigestRun and posts nothing. Before the first sync since start, neither answers with numbers.
 */
export function digestForSlack(
  deps: DigestDeps & { outbox: DigestOutbox; slack?: SlackApi | undefined; readiness?: DigestReadiness | undefined },
): {
  digestPreview(team: string, now: Date): Promise<RenderedMessage[]>;
  digestPost(team: string, now: Date): Promise<SlackDigestPost>;
} {
  return {
    digestPreview: async (team, now) => {
      if (!(await digestReady(deps.db, deps.readiness))) return [renderDigestNotReady(deps.readiness!.startedAt)];
      return (await previewDigest(deps, team, now)).messages;
    },
    digestPost: async (team, now) => {
      if (!(await digestReady(deps.db, deps.readiness))) {
        const found = findTeam(deps.config, team);
        return {
          status: 'not-ready',
          team: found.name,
          channel: found.channel,
          parts: 0,
          startedAt: deps.readiness!.startedAt,
        };
      }
      return postDigest(deps, team, now, { correct: true });
    },
  };
}
