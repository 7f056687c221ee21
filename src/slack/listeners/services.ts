// What listeners are given: every dependency passed in, nothing imported as a singleton.
import type { SlackRepo } from '../../db/slack-repo.ts';
import type { Logger } from '../../logger.ts';
import type { ActionDeps } from '../actions.ts';
import type { DailyLists } from '../daily-list.ts';
import type { SlackDigestPost } from '../digest-post.ts';
import type { QueryDeps } from '../queries.ts';
import type { RenderedMessage } from '../render/blocks.ts';
import type { SlackTeam } from '../teams.ts';

export interface SlackServices {
  clock: { now(): Date };
  logger: Logger;
  teams: readonly SlackTeam[];
  repo: SlackRepo;
  queries: QueryDeps;
  /** What people do to Heed's messages and state (reactions, buttons, /heed snooze, /digest post), and who may. */
  actions: ActionDeps;
  /** Today's digest for a team, rendered (one or more messages): what `/digest` shows (digestForSlack). */
  digestPreview(team: string, now: Date): Promise<RenderedMessage[]>;
  /**
   * Posts today's digest through the outbox, once per team and day (the scheduled digest then finds it
   * already sent); once it is in Slack, updates it in place with the present's numbers instead.
   */
  digestPost(team: string, now: Date): Promise<SlackDigestPost>;
  /** `/heed daily`: the personal morning list's opt-in and schedule (src/slack/daily-list.ts). */
  daily?: Pick<DailyLists, 'command'> | undefined;
}
