// Where a person stands on a team's allow-list (`allowedUsers` and/or `allowedUserGroup` in the policy file):
// the I/O half of permissions. What that standing allows is decided in domain/permissions.ts.
// A user group's members are read with usergroups.users.list and cached for a few minutes.
import type { ListMembership } from '../domain/permissions.ts';
import type { Logger } from '../logger.ts';
import type { SlackApi } from './outbox.ts';
import type { SlackTeam } from './teams.ts';

export interface PermissionDeps {
  slack: SlackApi;
  logger: Logger;
  now: () => Date;
  /** How long a user group's member list is trusted. */
  cacheMs?: number;
}

export class SharedStatePermissions {
  readonly #deps: PermissionDeps;
  readonly #groups = new Map<string, { members: ReadonlySet<string>; at: number }>();

  constructor(deps: PermissionDeps) {
    this.#deps = deps;
  }

  /** `open` when the team has no list; otherwise whether `userId` is on it (by name or through the group). */
  async membership(
    team: Pick<SlackTeam, 'allowedUsers' | 'allowedUserGroup'>,
    userId: string,
  ): Promise<ListMembership> {
    if (team.allowedUsers.length === 0 && !team.allowedUserGroup) return 'open';
    if (team.allowedUsers.includes(userId)) return 'listed';
    if (!team.allowedUserGroup) return 'not_listed';
    return (await this.#members(team.allowedUserGroup)).has(userId) ? 'listed' : 'not_listed';
  }

  async #members(group: string): Promise<ReadonlySet<string>> {
    const now = this.#deps.now().getTime();
    const cached = this.#groups.get(group);
    if (cached && now - cached.at < (this.#deps.cacheMs ?? 5 * 60_000)) return cached.members;
    try {
      const answer = (await this.#deps.slack.apiCall('usergroups.users.list', { usergroup: group })) as {
        users?: string[];
      };
      const members = new Set(answer.users ?? []);
      this.#groups.set(group, { members, at: now });
      return members;
    } catch (error) {
      // Refuse rather than allow when Slack cannot say who is in the group; say why in the log.
      this.#deps.logger.warn({ err: error, usergroup: group }, 'permissions: cannot read the user group’s members');
      return cached?.members ?? new Set();
    }
  }
}
