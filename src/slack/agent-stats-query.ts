// `/heed stats [@user | team | me | all] [7d | 30d]`: whose figures, over which teams, answered from the local
// database (never HubSpot; Slack only for a person Heed has not met yet, as /unanswered does). The figures are
// services/agent-stats.ts's, the same the weekly report shows.
import { dailyMetPct, type TAgentRef } from '../domain/agent-stats.ts';
import { agentName, loadAgentStats } from '../services/agent-stats.ts';
import type { Scope } from './command-args.ts';
import type { QueryDeps } from './queries.ts';
import type { AgentStatsView } from './render/agent-stats.ts';

const DAY_MS = 86_400_000;

export interface StatsRequest {
  readonly scope: Scope;
  readonly days: number;
  /** Who typed it, and where. */
  readonly caller: string;
  readonly channelId: string | undefined;
}

export type StatsAnswer = { view: AgentStatsView } | { unmatched: string } | { problem: string };

/** "Thu 26 Nov" in a zone. */
function dayLabel(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone }).format(at);
}

export async function statsView(deps: QueryDeps, request: StatsRequest, now: Date): Promise<StatsAnswer> {
  const db = deps.status.db;
  // Whole days in the zone of the team asked about (this channel's, else the first): "the last 7 days" are today
  // and the six before, from midnight, as people count them and as the daily chart draws them.
  const named = request.scope.kind === 'team' ? request.scope.team : undefined;
  const zone = (
    deps.teams.find((t) => t.name === named) ??
    deps.teams.find((t) => t.channel === request.channelId) ??
    deps.teams[0]
  )?.calendar.zone;
  const start = zone
    ? zone.toInstant(zone.localDay(now.getTime()) - (request.days - 1), 0)
    : now.getTime() - request.days * DAY_MS;
  const window = { start: new Date(start), end: now };
  const knownSlackId = async (email: string) => deps.users.knownSlackId(email);
  const allNames = deps.teams.map((t) => t.name);
  const channelTeam = deps.teams.find((t) => t.channel === request.channelId);
  const periodLabel = `the last ${request.days} days`;
  // The window ends now: its last day is today.
  const labels = () =>
    `${dayLabel(window.start, zone?.name ?? 'UTC')} – ${dayLabel(new Date(now.getTime() - 1), zone?.name ?? 'UTC')}`;
  const teamView = async (teams: readonly string[] | undefined, note?: string): Promise<StatsAnswer> => {
    const { stats } = await loadAgentStats({ db, knownSlackId }, { window, teams });
    const names = teams ?? allNames;
    return {
      view: {
        teams: names,
        allTeams: teams === undefined,
        periodLabel,
        datesLabel: labels(),
        stats,
        note,
      },
    };
  };

  const scope = request.scope;
  let personId: string | undefined;
  switch (scope.kind) {
    case 'team':
      return teamView([scope.team]);
    case 'all':
      return teamView(undefined);
    case 'channelTeam':
      if (channelTeam) return teamView([channelTeam.name]);
      if (deps.teams.length === 1) return teamView([deps.teams[0]!.name]);
      return { problem: '"team" means the team of the channel you are in; here, name the team.' };
    case 'default':
      if (channelTeam) return teamView([channelTeam.name]);
      break;
    case 'me':
      personId = request.caller;
      break;
    case 'user':
      personId = scope.userId;
      break;
  }

  const who = personId ?? request.caller;
  const emails = await deps.users.emailsForSlackUser(who, now);
  const owners = await deps.reads.ownersByEmails(emails);
  if (personId === undefined) {
    // Outside a team's channel: the teams the caller's own tickets were in during the period.
    if (owners.length === 0) {
      return teamView(undefined, "Heed doesn't know you as a HubSpot owner, so every team is shown.");
    }
    const mine = await loadAgentStats({ db, knownSlackId }, { window, onlyOwners: owners.map((o) => o.id) });
    const teams = [...new Set(mine.clocks.filter((c) => owners.some((o) => o.id === c.ownerId)).map((c) => c.team))];
    if (teams.length === 0)
      return teamView(undefined, `None of your tickets had a clock decided in ${periodLabel}, so every team is shown.`);
    return teamView(allNames.filter((n) => teams.includes(n)));
  }

  if (owners.length === 0) return { unmatched: personId };
  const ownerIds = owners.map((o) => o.id);
  const { stats, clocks } = await loadAgentStats({ db, knownSlackId }, { window, onlyOwners: ownerIds });
  const mine = clocks.filter((c) => c.ownerId !== null && ownerIds.includes(c.ownerId));
  const teams = allNames.filter((n) => mine.some((c) => c.team === n));
  const agent: TAgentRef = { ownerId: owners[0]!.id, name: agentName(owners[0]!), slackUserId: personId };
  return {
    view: {
      teams: teams.length > 0 ? teams : allNames,
      allTeams: teams.length === 0,
      periodLabel,
      datesLabel: labels(),
      stats,
      person: {
        agent,
        daily: zone ? dailyMetPct(mine, window, zone) : [],
      },
    },
  };
}
