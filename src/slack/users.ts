// HubSpot owner → Slack user, by email. The policy's `people` map wins; otherwise users.lookupByEmail,
// cached in SlackUser (misses too, so an unknown email is not looked up on every nudge) and refreshed
// after a day. When nothing matches, callers name the owner in plain text — never drop them.
import type { SlackRepo } from '../db/slack-repo.ts';
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
}

export class SlackUserDirectory {
  readonly #o: SlackUserDirectoryOptions;
  readonly #people: Map<string, string>;

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

  /** Policy or cache only, however old — for command answers, which must not wait on Slack. */
  async knownSlackId(email: string | null | undefined): Promise<string | undefined> {
    if (!email) return undefined;
    const key = email.toLowerCase();
    return this.#people.get(key) ?? (await this.#o.repo.slackUser(key))?.slackUserId ?? undefined;
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
