// "Show all waiting" under a backlog summary or an "and N more" message: answers the person who clicked, only
// them, with the list the message names (`/unanswered <team>`, `/unanswered me`) — never replacing the shared
// message itself.
import type { App, BlockButtonAction } from '@slack/bolt';
import { type ResolvedScope, rollupPage, unansweredPage } from '../queries.ts';
import { md } from '../render/mrkdwn.ts';
import { renderQueuePage } from '../render/queue.ts';
import { renderNotice } from '../render/replies.ts';
import { ROLLUP_SHOW_ALL_ACTION } from '../render/rollup.ts';
import { answerOrApologise } from './respond-safely.ts';
import type { SlackServices } from './services.ts';

function parseScope(value: string | undefined, teams: readonly string[]): ResolvedScope | undefined {
  try {
    const scope = (JSON.parse(value ?? '') as { s?: ResolvedScope }).s;
    if (scope?.kind === 'all') return scope;
    if (scope?.kind === 'team' && typeof scope.team === 'string' && teams.includes(scope.team)) return scope;
    if (scope?.kind === 'user' && typeof scope.userId === 'string' && /^[UW][A-Z0-9]+$/.test(scope.userId))
      return scope;
    return undefined;
  } catch {
    return undefined;
  }
}

/** The message's own list (buttons rendered since it carries the rollup's id). */
function rollupOf(value: string | undefined): string | undefined {
  try {
    const r = (JSON.parse(value ?? '') as { r?: unknown }).r;
    return typeof r === 'string' && r.length <= 64 ? r : undefined;
  } catch {
    return undefined;
  }
}

export function registerRollupShowAll(app: App, s: SlackServices): void {
  app.action<BlockButtonAction>(ROLLUP_SHOW_ALL_ACTION, async ({ ack, action, respond }) => {
    await ack();
    const reply = await answerOrApologise(s.logger, { action: ROLLUP_SHOW_ALL_ACTION }, async () => {
      const rollupId = rollupOf(action.value);
      if (rollupId) {
        const page = await rollupPage(s.queries, rollupId, 0, s.clock.now());
        if (page) return renderQueuePage(page);
      }
      const scope = parseScope(
        action.value,
        s.teams.map((t) => t.name),
      );
      if (!scope) return renderNotice(md`That list is no longer available; try \`/unanswered\`.`);
      const page = await unansweredPage(s.queries, scope, 0, s.clock.now());
      return 'unmatched' in page
        ? renderNotice(md`That list is no longer available; try \`/unanswered\`.`)
        : renderQueuePage(page);
    });
    // A new message only the clicker sees: the summary stays as it is for everyone else.
    await respond({ response_type: 'ephemeral', replace_original: false, ...reply });
  });
}
