// What the slash commands and the App Home show, answered from the local database only (Slack gives
// a command 3 s; HubSpot is never called here). Each function returns something a renderer takes.

import type { FlagsReadRepo } from '../db/flags-read-repo.ts';
import type { Flag, SlackRepo } from '../db/slack-repo.ts';
import { typicalWorkdayMinutes } from '../domain/duration.ts';
import { type ClockName, type FlagState, OPEN_FLAG_STATES, ticketFlagKey } from '../domain/flag.ts';
import { assignTeam } from '../domain/team-assignment.ts';
import { collectStatus, type StatusDeps } from '../ops/status.ts';
import type { Scope } from './command-args.ts';
import { type ClockGroup, type HomeView, PAGE_SIZE, type QueuePage, type TeamHealth } from './render/queue.ts';
import type { StatusView, TicketState, WhoisView } from './render/replies.ts';
import { waitingIn } from './rollup-waiting.ts';
import type { SlackTeam } from './teams.ts';
import type { SlackUserDirectory } from './users.ts';
import { buildQueueItems, customerSaidOf, hubspotRecordUrl, ownerName } from './views.ts';

export interface QueryDeps {
  reads: FlagsReadRepo;
  repo: Pick<SlackRepo, 'countOutbox' | 'rollupById' | 'rollupEntries'>;
  users: Pick<SlackUserDirectory, 'slackIdForEmail' | 'knownSlackId' | 'emailsForSlackUser'>;
  teams: readonly SlackTeam[];
  /** What `heed status` reads (src/ops/status.ts); `/heed status` shows the same facts. */
  status: StatusDeps;
}

/** A scope with "me"/default resolved, as carried by the "More" button. */
export type ResolvedScope = { kind: 'user'; userId: string } | { kind: 'team'; team: string } | { kind: 'all' };

export function resolveScope(
  scope: Scope,
  caller: string,
  channelId: string | undefined,
  teams: readonly SlackTeam[],
): ResolvedScope | { problem: string } {
  const channelTeam = teams.find((t) => t.channel === channelId);
  switch (scope.kind) {
    case 'default':
      // In a team's channel, the team's queue; anywhere else, the caller's own.
      return channelTeam ? { kind: 'team', team: channelTeam.name } : { kind: 'user', userId: caller };
    case 'channelTeam':
      // The word "team": this channel's team, or the only one there is; elsewhere the team has to be named.
      if (channelTeam) return { kind: 'team', team: channelTeam.name };
      if (teams.length === 1) return { kind: 'team', team: teams[0]!.name };
      return { problem: '"team" means the team of the channel you are in; here, name the team.' };
    case 'me':
      return { kind: 'user', userId: caller };
    default:
      return scope;
  }
}

async function ownerIdsOf(
  deps: QueryDeps,
  userId: string,
  now: Date,
): Promise<{ ids: string[]; name?: string | undefined }> {
  const emails = await deps.users.emailsForSlackUser(userId, now);
  const owners = await deps.reads.ownersByEmails(emails);
  return { ids: owners.map((o) => o.id), name: owners[0] ? ownerName(owners[0], owners[0].id) : undefined };
}

function pseudoFlag(clock: {
  ticketId: string;
  clock: string;
  cycle: number;
  team: string;
  state: string;
  dueAt: Date | null;
  startedAt: Date;
}): Flag {
  return {
    key: ticketFlagKey(clock.ticketId, clock.clock as ClockName, clock.cycle),
    kind: 'ticket',
    ticketId: clock.ticketId,
    feedbackId: null,
    clock: clock.clock,
    team: clock.team,
    state: clock.state,
    escalationLevel: 0,
    raisedAt: clock.startedAt,
    dueAt: clock.dueAt,
    breachedAt: null,
    resolvedAt: null,
    outcome: null,
    origin: 'live',
    seenAt: null,
    movedFrom: null,
    movedAt: null,
    claimedBy: null,
    claimedAt: null,
    handledBy: null,
    handledAt: null,
    snoozedBy: null,
    snoozedUntil: null,
    updatedAt: clock.startedAt,
  };
}

export async function unansweredPage(
  deps: QueryDeps,
  scope: ResolvedScope,
  offset: number,
  now: Date,
): Promise<QueuePage | { unmatched: string }> {
  let ownerIds: string[] | undefined;
  let title = 'Waiting for our reply — all teams';
  if (scope.kind === 'user') {
    const owners = await ownerIdsOf(deps, scope.userId, now);
    if (owners.ids.length === 0) return { unmatched: scope.userId };
    ownerIds = owners.ids;
    title = `Waiting for a reply from ${owners.name ?? 'them'}`;
  } else if (scope.kind === 'team') {
    title = `Waiting for our reply — ${scope.team}`;
  }
  const { page, total } = await deps.reads.listWaiting(
    { team: scope.kind === 'team' ? scope.team : undefined, ownerIds },
    offset,
    PAGE_SIZE,
  );
  const flags = page.map((entry) => ('flag' in entry ? entry.flag : pseudoFlag(entry.clock)));
  // Real flags carry claims; a running clock's flag (if any) is looked up by key.
  const real = new Map(
    (await deps.reads.flagsByKeys(flags.filter((f) => f.kind === 'ticket').map((f) => f.key))).map((f) => [f.key, f]),
  );
  const merged = flags.map((f) => real.get(f.key) ?? f);
  const ctx = await deps.reads.contextFor(merged);
  const items = await buildQueueItems(merged, ctx, now, deps);
  return {
    title,
    items,
    total,
    offset,
    emptyText: ':tada: Nothing is waiting for a reply. Nice work.',
    moreValue: JSON.stringify({ s: scope, o: offset + PAGE_SIZE }),
  };
}

/**
 * A backlog summary's or "and N more" message's own list: every item it still counts as waiting, worst first, a
 * page at a time ("Show all waiting"). It may hold late resolution clocks, which `/unanswered` leaves out.
 * Undefined when the message is gone (pruned).
 */
export async function rollupPage(
  deps: QueryDeps,
  rollupId: string,
  offset: number,
  now: Date,
): Promise<QueuePage | undefined> {
  const rollup = await deps.repo.rollupById(rollupId);
  if (!rollup) return undefined;
  const entries = await deps.repo.rollupEntries(rollup.id);
  const flags = await deps.reads.flagsByKeys(entries.map((e) => e.flagKey));
  const waiting = waitingIn(flags, rollup, deps.teams);
  const shown = waiting.slice(offset, offset + PAGE_SIZE);
  const ctx = await deps.reads.contextFor(shown);
  return {
    title: rollup.team ? `Still waiting — listed in ${rollup.team}'s summary` : 'Still waiting — listed in the summary',
    items: await buildQueueItems(shown, ctx, now, deps),
    total: waiting.length,
    offset,
    emptyText: ':white_check_mark: None of them is waiting any more.',
    moreValue: JSON.stringify({ r: rollup.id, o: offset + PAGE_SIZE }),
  };
}

export async function slowGroups(deps: QueryDeps, team: string | undefined, now: Date): Promise<ClockGroup[]> {
  const clocks: ClockName[] = ['firstResponse', 'nextResponse', 'resolution'];
  const states: FlagState[] = ['at_risk', 'breached'];
  return Promise.all(
    clocks.map(async (clock) => {
      const [{ flags, total }, breached] = await Promise.all([
        deps.reads.listFlags({ ticket: { clocks: [clock], states }, team }, 0, 10),
        // Counted over all of them, not only the ten shown.
        deps.reads.listFlags({ ticket: { clocks: [clock], states: ['breached'] }, team }, 0, 0),
      ]);
      const ctx = await deps.reads.contextFor(flags);
      return { clock, items: await buildQueueItems(flags, ctx, now, deps), total, breached: breached.total };
    }),
  );
}

/** `/heed status`: the facts `heed status` prints on a shell (src/ops/status.ts), so the two always agree. */
export async function statusView(deps: QueryDeps, now: Date): Promise<StatusView> {
  const facts = await collectStatus(deps.status, now);
  const sync = facts.lastSync;
  return {
    lastSync: sync
      ? { kind: sync.kind, status: sync.status, startedAt: sync.startedAt, finishedAt: sync.finishedAt ?? undefined }
      : undefined,
    pendingWebhooks: facts.pendingWebhookFetches,
    outboxPending: facts.outbox.depth,
    teams: facts.teams.map((t) => ({
      team: t.team,
      open: t.open,
      atRisk: t.atRisk,
      breached: t.breached,
      feedback: t.feedback,
    })),
  };
}

/**
 * `/heed whois`: the ticket as Heed's copy has it, whether or not anything is open on it. The team is the one the
 * engine last judged the ticket for (its clocks carry it), or — for a ticket never judged — the one the
 * policy's assignment rule names, so a closed or paused ticket still shows its team.
 */
export async function whoisView(deps: QueryDeps, ticketId: string, now: Date): Promise<WhoisView | undefined> {
  const ticket = await deps.reads.ticket(ticketId);
  if (!ticket) return undefined;
  const [owner, flags, ctx] = await Promise.all([
    ticket.ownerId ? deps.reads.owner(ticket.ownerId) : Promise.resolve(null),
    deps.reads.openFlagsOfTicket(ticketId),
    deps.reads.contextFor([{ ticketId, feedbackId: null, clock: null }]),
  ]);
  const items = await buildQueueItems(flags, ctx, now, deps);
  const clocks = [...ctx.clocks.values()].filter((c) => c.ticketId === ticketId);
  const judged = clocks.sort((a, b) => b.evaluatedAt.getTime() - a.evaluatedAt.getTime())[0]?.team;
  const policyTeams = deps.status.config.policy.teams;
  const team =
    flags[0]?.team ??
    judged ??
    (policyTeams.length > 0
      ? assignTeam(policyTeams, {
          hubspotTeamId: ticket.hubspotTeamId,
          pipelineId: ticket.pipelineId,
          ownerId: ticket.ownerId,
          ownerEmail: owner?.email ?? null,
        }).name
      : undefined);
  const slackTeam = deps.teams.find((t) => t.name === team);
  const paused = clocks.find((c) => c.state === 'paused');
  // Every running clock of the ticket carries the same quote; the newest evaluation's is the one to show.
  const customerSaid = ticket.isClosed || ticket.archived ? undefined : clocks.map(customerSaidOf).find(Boolean);
  const state: TicketState = ticket.archived
    ? { kind: 'deleted' }
    : ticket.isClosed
      ? { kind: 'closed', since: ticket.closedAt ?? undefined }
      : paused
        ? { kind: 'waiting', since: ticket.stageEnteredAt ?? undefined }
        : { kind: 'open' };
  return {
    ticketId,
    subject: ticket.subject ?? `Ticket ${ticketId}`,
    customer: ticket.contactName ?? ticket.companyName ?? ticket.contactEmail ?? 'Unknown customer',
    hubspotUrl: hubspotRecordUrl(ctx.portal, '0-5', ticketId),
    owner: ticket.ownerId
      ? {
          name: ownerName(owner ?? undefined, ticket.ownerId),
          slackUserId: await deps.users.knownSlackId(owner?.email),
        }
      : undefined,
    team,
    priority: ticket.priority ?? undefined,
    state,
    workdayMinutes: slackTeam ? typicalWorkdayMinutes(slackTeam.calendar, now) : undefined,
    customerSaid,
    flags: flags.map((f, i) => ({
      clock: (f.clock ?? undefined) as ClockName | undefined,
      kind: f.kind,
      state: f.state as FlagState,
      dueAt: f.dueAt ?? undefined,
      overdueBusinessMinutes: items[i]?.overdueBusinessMinutes ?? 0,
      claimedBy: f.claimedBy ?? undefined,
      snoozedUntil: f.snoozedUntil && f.snoozedUntil > now ? f.snoozedUntil : undefined,
    })),
  };
}

/** Local midnight of `now`'s day in the team's time zone: "SLA met today" counts clocks completed since then. */
function startOfTeamDay(team: SlackTeam, now: Date): number {
  const zone = team.calendar.zone;
  return zone.toInstant(zone.localDay(now.getTime()), 0);
}

export async function homeView(deps: QueryDeps, userId: string, now: Date): Promise<HomeView> {
  const owners = await ownerIdsOf(deps, userId, now);
  let myQueue: HomeView['myQueue'] = [];
  let myQueueTotal = 0;
  if (owners.ids.length) {
    const { flags, total } = await deps.reads.listFlags(
      {
        ticket: { clocks: ['firstResponse', 'nextResponse', 'resolution'], states: ['at_risk', 'breached'] },
        feedback: { states: ['pending', 'overdue'] },
        ownerIds: owners.ids,
      },
      0,
      PAGE_SIZE,
    );
    myQueue = await buildQueueItems(flags, await deps.reads.contextFor(flags), now, deps);
    myQueueTotal = total;
  }
  // Teams in different time zones start their day at different instants: one count per distinct start.
  const teamStarts = deps.teams.map((t) => startOfTeamDay(t, now));
  const starts = [...new Set(teamStarts)];
  const [open, ...completedByStart] = await Promise.all([
    deps.reads.openFlagCounts(OPEN_FLAG_STATES),
    ...starts.map((start) => deps.reads.completedClockCounts(new Date(start))),
  ]);
  const teams: TeamHealth[] = deps.teams.map((t, i) => {
    const mine = open.filter((r) => r.team === t.name);
    const sum = (pred: (r: (typeof mine)[number]) => boolean) => mine.filter(pred).reduce((n, r) => n + r.count, 0);
    const completed = completedByStart[starts.indexOf(teamStarts[i]!)] ?? [];
    const done = completed.filter((r) => r.team === t.name);
    return {
      team: t.name,
      open: sum(() => true),
      atRisk: sum((r) => r.state === 'at_risk'),
      breached: sum((r) => r.state === 'breached' || r.state === 'overdue'),
      metToday: done.filter((r) => r.state === 'met').reduce((n, r) => n + r.count, 0),
      missedToday: done.filter((r) => r.state === 'missed').reduce((n, r) => n + r.count, 0),
    };
  });
  return { myQueue, myQueueTotal, mapped: owners.ids.length > 0, teams, asOf: now };
}
