// The digest use case: compose a team's digest (or weekly report) from an evaluation of the present. Posting it
// through the Slack outbox once per team and day, previewing and correcting it are Slack's side
// (src/slack/digest-post.ts); the scheduler's handlers are in src/slack/digest-jobs.ts.
//
// What the digest says about *now* — breached and at-risk tickets, feedback owed a follow-up — comes from a
// dry-run evaluation made in the same run (the one `heed check` makes): ClockState and Flag rows are only as
// fresh as the last scheduled evaluation, and right after a first sync there are none at all. A dry run writes
// nothing, so composing a digest never races the evaluate job or changes what nudges see. Rows that only the
// stored state knows stay as they are: clocks of closed tickets (for the SLA figures), claims and "handled".
import type { Config, TTeam } from '../config.ts';
import type { Db } from '../db/client.ts';
import { type DigestClockRow, DigestRepo, type DigestTicketRow, type FeedbackSubmission } from '../db/digest-repo.ts';
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
import { knownFromPeople, loadAgentStats } from './agent-stats.ts';
import { type EvaluationResult, evaluate } from './evaluate.ts';
import type { SlaEngine } from './evaluate-engine.ts';

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
            responseGroup: a.responseGroup,
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
  const withSla = kind === 'weekly' ? { ...model, agentSla: await weekAgentSla(deps, team.name, model) } : model;
  return withSlackMentions(deps, withSla, ownerById, now);
}

/**
 * The week's per-agent SLA figures (services/agent-stats.ts, the same `/heed stats` shows) over the report's
 * week, from the clocks the engine stored: a clock decided in a finished week no longer changes.
 */
async function weekAgentSla(deps: DigestDeps, team: string, model: TDigestModel) {
  const people = deps.config.policy.people;
  const users = deps.users;
  const fromPeople = knownFromPeople(deps.db, people);
  const { stats } = await loadAgentStats(
    {
      db: deps.db,
      people,
      // The policy and the cache first; Slack itself (the digest's users) for an owner nobody looked up yet.
      knownSlackId: async (email) =>
        (await fromPeople(email)) ?? (users ? await users.slackIdForEmail(email, model.generatedAt) : undefined),
    },
    { window: { start: model.period.start, end: model.period.end }, teams: [team] },
  );
  return stats;
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
