// Away-aware routing, the I/O half: gathers what HubSpot (synced users) and Slack (statuses, the backup user group)
// say of a ticket's owner and the team's backups, and lets the pure domain decide (domain/availability.ts,
// domain/routing.ts). Slack failing never holds a ping: a status that cannot be read counts as not away.
import type { TAwaySettings } from '../config.ts';
import type { HubspotUserRepo } from '../db/hubspot-user-repo.ts';
import { AVAILABLE, type AwayState, awayState } from '../domain/availability.ts';
import { type Route, routeNudge } from '../domain/routing.ts';
import type { SlackTeam } from './teams.ts';
import type { SlackUserDirectory } from './users.ts';

export interface RouteRequest {
  team: Pick<SlackTeam, 'backup'>;
  /** The ticket's owner: HubSpot owner id, email and Slack user, as far as known. */
  owner: { ownerId?: string | undefined; email?: string | undefined; slackUserId?: string | undefined };
  /** Stable per ticket (its id): where the ticket starts in the backup rotation. */
  seed: string;
}

/** What reconcile-nudges asks (a double in tests may answer anything). */
export interface NudgeRouter {
  route(request: RouteRequest, now: Date): Promise<Route>;
  /** How soon a covered nudge is checked again when its owner's return time is unknown (or later than this). */
  readonly recheckMs: number;
}

export interface AwayRouterDeps {
  users: Pick<SlackUserDirectory, 'slackStatus' | 'userGroupMembers' | 'knownEmails'>;
  hubspotUsers: Pick<HubspotUserRepo, 'presenceOf'>;
  settings: TAwaySettings;
}

export class AwayRouter implements NudgeRouter {
  readonly #d: AwayRouterDeps;
  readonly recheckMs: number;

  constructor(deps: AwayRouterDeps) {
    this.#d = deps;
    this.recheckMs = deps.settings.statusCacheMinutes * 60_000;
  }

  async route(request: RouteRequest, now: Date): Promise<Route> {
    const { owner, team, seed } = request;
    const ownerAway = await this.awayOf(
      { ownerId: owner.ownerId, emails: owner.email ? [owner.email] : [], slackUserId: owner.slackUserId },
      now,
    );
    if (!ownerAway.away) return { kind: 'owner' };
    const group = team.backup?.userGroup ? await this.#d.users.userGroupMembers(team.backup.userGroup, now) : [];
    const backups = [...new Set([...(team.backup?.users ?? []), ...group])].filter((u) => u !== owner.slackUserId);
    const states = new Map<string, AwayState>();
    for (const user of backups) {
      states.set(user, await this.awayOf({ emails: await this.#d.users.knownEmails(user), slackUserId: user }, now));
    }
    return routeNudge({
      owner: ownerAway,
      backups,
      ownerUser: owner.slackUserId,
      seed,
      awayOf: (user) => states.get(user) ?? AVAILABLE,
    });
  }

  /** Whether a person is away now, from their HubSpot user (by owner id or email) and their Slack status. */
  async awayOf(
    who: { ownerId?: string | undefined; emails: readonly string[]; slackUserId?: string | undefined },
    now: Date,
  ): Promise<AwayState> {
    const [hubspot, slack] = await Promise.all([
      this.#d.hubspotUsers.presenceOf({ ownerId: who.ownerId, emails: who.emails }, now),
      who.slackUserId ? this.#d.users.slackStatus(who.slackUserId, now) : undefined,
    ]);
    return awayState({ hubspot, slack }, now, this.#d.settings);
  }
}
