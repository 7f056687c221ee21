// The digest use cases: build a team's digest (or weekly report) from the database, preview it, and post it
// through the Slack outbox exactly once per team and day.
import { randomUUID } from 'node:crypto';
import type { Config, TTeam } from '../config.ts';
import type { Db } from '../db/client.ts';
import { DigestRepo, type DigestRun, type DigestTicketRow, type FeedbackSubmission } from '../db/digest-repo.ts';
import { type BusinessCalendar, createBusinessCalendar } from '../domain/calendar.ts';
import {
  computeDigest,
  digestPeriodDays,
  type TDigestKind,
  type TDigestModel,
  type TDigestPerson,
} from '../domain/digest.ts';
import type { TDigestClock, TDigestFeedback, TDigestTicket } from '../domain/digest-stats.ts';
import { type ClockName, type ClockStateName, ticketFlagKey } from '../domain/flag.ts';
import { assignTeam } from '../domain/team-assignment.ts';
import { isoDateFromDay, weekdayOfDay } from '../domain/time-zone.ts';
import { AppError } from '../errors.ts';
import { ticketUrl } from '../hubspot/map.ts';
import type { Logger } from '../logger.ts';
import type { RenderedMessage } from '../slack/render/blocks.ts';
import { renderDigest } from '../slack/render/digest.ts';
import { HEED_METADATA_EVENT } from './outbox.ts';

export interface DigestDeps {
  db: Pick<Db, 'prisma' | 'sqlite' | 'pg'>;
  config: Pick<Config, 'policy'>;
}

export interface BuildDigestOptions {
  kind?: TDigestKind;
  /** Store the finished days' numbers (DailyStat). On by default: they are final, and trends read them. */
  storeStats?: boolean;
  /** When the digest was due (the scheduler's `scheduledAt`): its local date picks the period. Defaults to now. */
  scheduledFor?: Date | undefined;
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

/** Reads the team's rows and computes its digest at `now`. */
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

  const [allTickets, clocks, owners, portal, feedback, stored] = await Promise.all([
    repo.tickets(since, now),
    repo.clockStates(since),
    repo.owners(),
    repo.portal(),
    repo.feedback(since, now),
    repo.dailyStats(team.name, isoDateFromDay(today - HISTORY_DAYS), isoDateFromDay(today)),
  ]);

  // Whose ticket: the SLA engine's decision (ClockState.team) when it has evaluated the ticket, otherwise the
  // same rule it applies (team-assignment.ts), so a ticket never evaluated still shows up somewhere.
  const ownerById = new Map(owners.map((o) => [o.id, o]));
  const engineTeam = new Map<string, string>();
  for (const clock of clocks) engineTeam.set(clock.ticketId, clock.team);
  const teamOf = (ticket: DigestTicketRow) =>
    engineTeam.get(ticket.id) ??
    assignTeam(policy.teams, {
      hubspotTeamId: ticket.hubspotTeamId,
      pipelineId: ticket.pipelineId,
      ownerId: ticket.ownerId,
      ownerEmail: ticket.ownerId ? (ownerById.get(ticket.ownerId)?.email ?? null) : null,
    }).name;
  const ticketTeam = new Map(allTickets.map((t) => [t.id, teamOf(t)]));
  // Feedback about an older ticket (closed before the history window) still belongs to that ticket's team.
  const loaded = new Set(allTickets.map((t) => t.id));
  const older = [...new Set(feedback.answers.map((a) => a.ticketId))].filter(
    (id): id is string => id !== null && !loaded.has(id),
  );
  for (const ticket of await repo.ticketsByIds(older)) ticketTeam.set(ticket.id, teamOf(ticket));
  const tickets = allTickets.filter((t) => ticketTeam.get(t.id) === team.name);
  const ticketIds = new Set(tickets.map((t) => t.id));
  const teamClocks = clocks.filter((c) => ticketIds.has(c.ticketId));
  // Claims and "handled" live on the clocks' flags (one per clock cycle).
  const flagKey = (c: (typeof clocks)[number]) => ticketFlagKey(c.ticketId, c.clock as ClockName, c.cycle);
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

  // Whose feedback: its flag's team, else its ticket's team, else the first team (as for tickets nobody takes).
  const flagByFeedback = new Map(feedback.flags.map((f) => [f.feedbackId!, f]));
  const feedbackTeam = (answer: FeedbackSubmission) =>
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
        }),
      ),
      clocks: teamClocks.map((c): TDigestClock => {
        const flag = flags.get(flagKey(c));
        return {
          ticketId: c.ticketId,
          clock: c.clock as ClockName,
          state: c.state as ClockStateName,
          dueAt: c.dueAt,
          completedAt: c.completedAt,
          overdueMinutes: c.overdueMinutes,
          evaluatedAt: c.evaluatedAt,
          claimedBy: flag?.claimedBy ?? null,
          handled: flag?.state === 'handled',
        };
      }),
      feedback: feedback.answers
        .filter((a) => feedbackTeam(a) === team.name)
        .map((a): TDigestFeedback => {
          const flag = flagByFeedback.get(a.id);
          const open = flag && (flag.state === 'pending' || flag.state === 'overdue');
          return {
            id: a.id,
            surveyType: a.surveyType,
            value: a.value,
            content: a.content,
            submittedAt: a.submittedAt,
            contact: a.contactName ?? a.contactEmail,
            ticketId: a.ticketId,
            followUp: open ? { state: flag.state as 'pending' | 'overdue', dueAt: flag.dueAt } : null,
          };
        }),
      owners: persons,
      storedStats: stored,
      thresholds: policy.feedback,
      waitingStageIds: policy.waitingOnCustomerStages,
      periodDays: kind === 'daily' ? digestPeriodDays(weekdayOfDay(today), team.digest.days) : undefined,
      scheduledAt: options.scheduledFor ?? now,
    },
    now,
    calendar,
  );
  if (options.storeStats ?? true) await repo.saveDailyStats(team.name, model.dailyStats);
  return model;
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
  /** Sent after its time (the scheduler's `late`): the message says so. */
  late?: boolean;
}

export interface PostDigestResult {
  status: 'queued' | 'already';
  team: string;
  /** DigestRun.day: the team's local date, prefixed `weekly:` for the weekly report. */
  day: string;
  channel: string;
  parts: number;
  run: DigestRun;
}

/** DigestRun.day for a digest: daily and weekly reports of one date are separate runs. */
export function digestRunDay(kind: TDigestKind, runDay: string): string {
  return kind === 'weekly' ? `weekly:${runDay}` : runDay;
}

export function digestKeyPrefix(team: string, day: string): string {
  return `digest:${team}:${day}:`;
}

/**
 * Posts a team's digest through the outbox, once per (team, day): a second call — a retry, another replica,
 * `/digest post` after the scheduled one — finds the DigestRun and posts nothing. The daily digest goes to the
 * team's channel; the weekly report to its escalation channel (the team channel when it has none).
 */
export async function postDigest(
  deps: DigestDeps & { outbox: DigestOutbox },
  teamName: string | undefined,
  now: Date,
  options: PostDigestOptions = {},
): Promise<PostDigestResult> {
  const team = findTeam(deps.config, teamName);
  const kind = options.kind ?? 'daily';
  const calendar = teamCalendar(deps.config, team);
  const day = digestRunDay(kind, isoDateFromDay(calendar.zone.localDay((options.scheduledFor ?? now).getTime())));
  const channel = kind === 'weekly' ? (team.escalationChannel ?? team.channel) : team.channel;
  const repo = new DigestRepo(deps.db);

  const existing = await repo.digestRun(team.name, day);
  if (existing && existing.status !== 'pending') {
    return { status: 'already', team: team.name, day, channel, parts: 0, run: existing };
  }
  const late = options.late ?? false;
  const claim = await repo.claimDigestRun({
    id: randomUUID(),
    team: team.name,
    day,
    scheduledFor: options.scheduledFor ?? now,
    late,
  });
  if (!claim.created && claim.run.status !== 'pending') {
    return { status: 'already', team: team.name, day, channel, parts: 0, run: claim.run };
  }
  // A run left `pending` by a crash is finished here: the parts already queued are skipped by their keys.
  const model = await buildDigest(deps, team.name, now, options);
  const messages = renderDigest(model, {
    late: claim.run.late ? { scheduledFor: claim.run.scheduledFor } : undefined,
  });
  const prefix = digestKeyPrefix(team.name, day);
  for (const [index, message] of messages.entries()) {
    const key = `${prefix}${index + 1}`;
    // A millisecond apart, so the outbox (oldest first, one at a time per channel) keeps the parts in order.
    const at = new Date(now.getTime() + index);
    await enqueueOnce(
      deps.outbox,
      {
        idempotencyKey: key,
        kind: 'post',
        channel,
        payload: {
          text: message.text,
          blocks: message.blocks,
          unfurl_links: false,
          unfurl_media: false,
          // The outbox finds a post made just before a crash by this key in the channel's history.
          metadata: { event_type: HEED_METADATA_EVENT, event_payload: { key } },
        },
        notBefore: at,
      },
      at,
    );
  }
  const run = await repo.updateDigestRun(team.name, day, { status: 'queued' });
  return { status: 'queued', team: team.name, day, channel, parts: messages.length, run };
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
  if (run?.status !== 'queued') return run ?? undefined;
  const rows = await repo.digestOutbox(digestKeyPrefix(team, day));
  if (rows.length === 0) return run;
  if (rows.some((r) => r.state === 'failed')) return repo.updateDigestRun(team, day, { status: 'failed' });
  if (rows.every((r) => r.state === 'sent')) {
    const sentAt = rows.reduce<Date | null>((max, r) => (r.sentAt && (!max || r.sentAt > max) ? r.sentAt : max), null);
    return repo.updateDigestRun(team, day, { status: 'sent', sentAt, messageTs: rows[0]!.resultTs });
  }
  return run;
}

/** What a scheduled digest run knows (the scheduler's JobContext satisfies it). */
export interface DigestJobContext {
  readonly now: Date;
  readonly scheduledAt: Date;
  readonly late: boolean;
  readonly logger: Pick<Logger, 'info'>;
}

/**
 * The scheduler's digest and weekly-report handlers (HeedJobHandlers in src/jobs/heed-jobs.ts). The run's
 * `scheduledAt` picks the day, so a catch-up or a takeover finishes the same DigestRun instead of a new one.
 */
export function digestJobHandlers(deps: DigestDeps & { outbox: DigestOutbox }): {
  digest(team: Pick<TTeam, 'name'>, ctx: DigestJobContext): Promise<void>;
  weeklyReport(team: Pick<TTeam, 'name'>, ctx: DigestJobContext): Promise<void>;
} {
  const run = async (kind: TDigestKind, team: Pick<TTeam, 'name'>, ctx: DigestJobContext) => {
    const result = await postDigest(deps, team.name, ctx.now, { kind, scheduledFor: ctx.scheduledAt, late: ctx.late });
    ctx.logger.info(
      { team: result.team, day: result.day, status: result.status, parts: result.parts, channel: result.channel },
      result.status === 'queued' ? `${kind} digest queued for Slack` : `${kind} digest already handled for this day`,
    );
  };
  return {
    digest: (team, ctx) => run('daily', team, ctx),
    weeklyReport: (team, ctx) => run('weekly', team, ctx),
  };
}

/**
 * What the `/digest` command needs (SlackServices.digestPreview, and a post that counts as the day's digest).
 * `/digest post` should go through `digestPost`, so the scheduled digest later that day sees the DigestRun and
 * is not posted a second time.
 */
export function digestForSlack(deps: DigestDeps & { outbox: DigestOutbox }): {
  digestPreview(team: string, now: Date): Promise<RenderedMessage[]>;
  digestPost(team: string, now: Date): Promise<PostDigestResult>;
} {
  return {
    digestPreview: async (team, now) => (await previewDigest(deps, team, now)).messages,
    digestPost: (team, now) => postDigest(deps, team, now),
  };
}
