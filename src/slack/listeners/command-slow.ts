import type { App } from '@slack/bolt';
import { parseTeamOnly } from '../command-args.ts';
import { slowGroups } from '../queries.ts';
import { renderSlow } from '../render/queue.ts';
import { renderUsage } from '../render/replies.ts';
import { answerOrApologise } from './respond-safely.ts';
import type { SlackServices } from './services.ts';

export const SLOW_COMMAND = '/slow';

export function registerSlow(app: App, s: SlackServices): void {
  app.command(SLOW_COMMAND, async ({ command, ack }) => {
    const reply = await answerOrApologise(s.logger, { command: SLOW_COMMAND }, async () => {
      const names = s.teams.map((t) => t.name);
      const parsed = parseTeamOnly(command.text, names);
      if (!parsed.ok) return renderUsage(SLOW_COMMAND, parsed.problem, names);
      const team =
        parsed.value.team ??
        (command.text.trim() === '' ? s.teams.find((t) => t.channel === command.channel_id)?.name : undefined);
      const groups = await slowGroups(s.queries, team, s.clock.now());
      return renderSlow(
        `At risk and breached — ${team ?? 'all teams'}`,
        groups,
        ':white_check_mark: Nothing is at risk or breached right now.',
      );
    });
    await ack({ response_type: 'ephemeral', ...reply });
  });
}
