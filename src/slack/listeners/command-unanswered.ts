import type { App } from '@slack/bolt';
import { parseScope } from '../command-args.ts';
import { resolveScope, unansweredPage } from '../queries.ts';
import { md, mention } from '../render/mrkdwn.ts';
import { renderQueuePage } from '../render/queue.ts';
import { renderNotice, renderUsage } from '../render/replies.ts';
import { answerOrApologise } from './respond-safely.ts';
import type { SlackServices } from './services.ts';

export const UNANSWERED_COMMAND = '/unanswered';

export function registerUnanswered(app: App, s: SlackServices): void {
  app.command(UNANSWERED_COMMAND, async ({ command, ack }) => {
    const reply = await answerOrApologise(s.logger, { command: UNANSWERED_COMMAND }, async () => {
      const names = s.teams.map((t) => t.name);
      const parsed = parseScope(command.text, names);
      if (!parsed.ok) return renderUsage(UNANSWERED_COMMAND, parsed.problem, names);
      const scope = resolveScope(parsed.value, command.user_id, command.channel_id, s.teams);
      if ('problem' in scope) return renderUsage(UNANSWERED_COMMAND, scope.problem, names);
      const page = await unansweredPage(s.queries, scope, 0, s.clock.now());
      if ('unmatched' in page) {
        return renderNotice(
          md`I couldn't match ${mention(page.unmatched)} to a HubSpot owner by email. An admin can map them under \`people\` in Heed's policy.`,
        );
      }
      return renderQueuePage(page);
    });
    await ack({ response_type: 'ephemeral', ...reply });
  });
}
