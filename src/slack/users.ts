// HubSpot owner → Slack user, by email. The policy's `people` map wins; otherwise users.lookupByEmail,
// cached in SlackUser (misses too, so an unknown email is not looked up on every nudge) and refreshed
// after a day. When nothing matches, callers name the owner in plain text — never drop them.
import type { SlackRepo } from '../db/slack-repo.ts';
import type { SlackPresence } from '../domain/availability.ts';
import type { Logger } from '../logger.ts';
import type { SlackApi } from './outbox.ts';

export const SLACK_USER_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** users.info runs before a slash command is acknowledged: it must leave most of Slack's 3 s. */
export const USERS_INFO_TIMEOUT_MS = 1000;

export interface SlackUserDirectoryOptions {
  repo: Pick<SlackRepo, 'slackUser' | 'saveSlackUser' | 'emailsOfSlackUser'>;
  slack: SlackApi;
  /**
   * Where users.info goes: a client whose requests are cancelled after USERS_INFO_TIMEOUT_MS
   * (`createSlackWebClient(env, logger, { timeout: USERS_INFO_TIMEOUT_MS })`, as setup.ts wires it). Without it,
   * `slack`, which waits as long as Slack takes (tools that never answer a slash command).
   */
  interactiveSlack?: SlackApi;
  /** policy.people: email → Slack user id. */
  people: Readonly<Record<string, string>>;
  logger: Logger;
  maxAgeMs?: number;
  /** How long a Slack status or a user group's members are trusted (policy away.statusCacheMinutes). */
  statusMaxAgeMs?: number;
}

/** Slack statuses and user groups are read for routing at most this often per person or group by default. */
export const STATUS_MAX_AGE_MS = 5 * 60_000;

export class SlackUserDirectory {
  readonly #o: SlackUserDirectoryOptions;
  readonly #people: Map<string, string>;
  // In memory, per process: a status is only trusted for minutes, so a cache in the database would buy replicas
  // little, and a restart costs one users.info per person pinged.
  readonly #statuses = new Map<string, { status: SlackPresence | undefined; at: number }>();
  readonly #groups = new Map<string, { members: readonly string[]; at: number }>();
  #statusFailing = false;
  #groupFailing = false;

  constructor(options: SlackUserDirectoryOptions) {
    this.#o = options;
    this.#people = new Map(Object.entries(options.people).map(([email, id]) => [email.toLowerCase(), id]));
  }

  async slackIdForEmail(email: string | null | undefined, now: Date): Promise<string | undefined> {
    if (!email) return undefined;
    const key = email.toLowerCase();
    const override = this.#people.get(key);
    if (override) return override;
    const cached = await this.#o.repo.slackUser(key);
    const maxAge = this.#o.maxAgeMs ?? SLACK_USER_MAX_AGE_MS;
    if (cached && now.getTime() - cached.checkedAt.getTime() < maxAge) return cached.slackUserId ?? undefined;
    try {
      const result = (await this.#o.slack.apiCall('users.lookupByEmail', { email: key })) as { user?: { id?: string } };
      const id = result.user?.id ?? null;
      await this.#o.repo.saveSlackUser(key, id, now);
      return id ?? undefined;
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (code === 'users_not_found') {
        await this.#o.repo.saveSlackUser(key, null, now);
        return undefined;
      }
      // Slack is unreachable or limiting us: keep using what we knew, try again next time.
      this.#o.logger.warn({ err: error }, 'slack users: lookupByEmail failed; using the cached mapping');
      return cached?.slackUserId ?? undefined;
    }
  }

  /**
   * A person's Slack status (users.info: profile.status_text, status_emoji, status_expiration), for routing. Slack
   * failing is no reason to hold a ping: undefined (not away), the last known status within its age, and one
   * warning until Slack answers again.
   */
  async slackStatus(slackUserId: string, now: Date): Promise<SlackPresence | undefined> {
    const cached = this.#statuses.get(slackUserId);
    if (cached && now.getTime() - cached.at < this.#statusMaxAge()) return cached.status;
    try {
      // The client that gives up after USERS_INFO_TIMEOUT_MS: routing never waits on a slow Slack.
      const slack = this.#o.interactiveSlack ?? this.#o.slack;
      const result = (await slack.apiCall('users.info', { user: slackUserId })) as {
        user?: { profile?: { status_text?: unknown; status_emoji?: unknown; status_expiration?: unknown } };
      };
      const profile = result.user?.profile ?? {};
      const text = typeof profile.status_text === 'string' ? profile.status_text : '';
      const emoji = typeof profile.status_emoji === 'string' ? profile.status_emoji : '';
      const expiration = typeof profile.status_expiration === 'number' ? profile.status_expiration : 0;
      const status: SlackPresence | undefined =
        text || emoji
          ? { text, emoji, expiresAt: expiration > 0 ? new Date(expiration * 1000) : undefined }
          : undefined;
      this.#statuses.set(slackUserId, { status, at: now.getTime() });
      this.#statusFailing = false;
      return status;
    } catch (error) {
      // Slack does not know the user (deleted, another workspace): no status, and nothing is failing.
      if ((error as { data?: { error?: string } }).data?.error === 'user_not_found') {
        this.#statuses.set(slackUserId, { status: undefined, at: now.getTime() });
        return undefined;
      }
      if (!this.#statusFailing) {
        this.#statusFailing = true;
        this.#o.logger.warn(
          { err: error, slackUserId },
          'slack users: cannot read Slack statuses; routing treats people as not away until Slack answers',
        );
      }
      return undefined;
    }
  }

  /** A user group's members (usergroups.users.list), cached like statuses; Slack failing: the last known, or none. */
  async userGroupMembers(groupId: string, now: Date): Promise<readonly string[]> {
    const cached = this.#groups.get(groupId);
    if (cached && now.getTime() - cached.at < this.#statusMaxAge()) return cached.members;
    try {
      const slack = this.#o.interactiveSlack ?? this.#o.slack;
      const result = (await slack.apiCall('usergroups.users.list', { usergroup: groupId })) as { users?: unknown };
      const members = Array.isArray(result.users) ? result.users.filter((u) => typeof u === 'string') : [];
      this.#groups.set(groupId, { members, at: now.getTime() });
      this.#groupFailing = false;
      return members;
    } catch (error) {
      if (!this.#groupFailing) {
        this.#groupFailing = true;
        this.#o.logger.warn(
          { err: error, usergroup: groupId },
          'slack users: cannot read the backup user group; its last known members (or none) cover until Slack answers',
        );
      }
      return cached?.members ?? [];
    }
  }

  #statusMaxAge(): number {
    return this.#o.statusMaxAgeMs ?? STATUS_MAX_AGE_MS;
  }

  /** Policy or cache only, however old — for command answers, which must not wait on Slack. */
  async knownSlackId(email: string | null | undefined): Promise<string | undefined> {
    if (!email) return undefined;
    const key = email.toLowerCase();
    return this.#people.get(key) ?? (await this.#o.repo.slackUser(key))?.slackUserId ?? undefined;
  }

  /** Emails a Slack user is known by from the policy and the lookup cache only (no Slack call). */
  async knownEmails(slackUserId: string): Promise<string[]> {
    const fromPolicy = [...this.#people].filter(([, id]) => id === slackUserId).map(([email]) => email);
    return [...new Set([...fromPolicy, ...(await this.#o.repo.emailsOfSlackUser(slackUserId))])];
  }

  /** Emails a Slack user is known by (policy overrides and the lookup cache), for "/unanswered me". */
  async emailsForSlackUser(slackUserId: string, now: Date): Promise<string[]> {
    const fromPolicy = [...this.#people].filter(([, id]) => id === slackUserId).map(([email]) => email);
    const cached = await this.#o.repo.emailsOfSlackUser(slackUserId);
    if (fromPolicy.length || cached.length) return [...new Set([...fromPolicy, ...cached])];
    // Someone Heed has not nudged yet: ask Slack once for their email (users:read.email) and cache it.
    try {
      // This runs before a slash command is acknowledged: the interactive client cancels the request (not just
      // the wait for it) after USERS_INFO_TIMEOUT_MS, so it never eats Slack's 3 s.
      const slack = this.#o.interactiveSlack ?? this.#o.slack;
      const result = (await slack.apiCall('users.info', { user: slackUserId })) as {
        user?: { profile?: { email?: string } };
      };
      const email = result.user?.profile?.email;
      if (!email) return [];
      await this.#o.repo.saveSlackUser(email, slackUserId, now);
      return [email.toLowerCase()];
    } catch (error) {
      this.#o.logger.warn({ err: error, slackUserId }, 'slack users: users.info failed');
      return [];
    }
  }
}
