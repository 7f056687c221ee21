import type { App } from '@slack/bolt';
import { snoozeTicket } from '../actions.ts';
import { parseHeed } from '../command-args.ts';
import { statusView, whoisView } from '../queries.ts';
import { fromNote, md, safe, slackDate } from '../render/mrkdwn.ts';
import { renderNotice, renderStatus, renderUsage, renderWhois } from '../render/replies.ts';
import { answerOrApologise } from './respond-safely.ts';
import type { SlackServices } from './services.ts';

export const HEED_COMMAND = '/heed';

export function registerHeed(app: App, s: SlackServices): void {
  app.command(HEED_COMMAND, async ({ command, ack }) => {
    const reply = await answerOrApologise(s.logger, { command: HEED_COMMAND }, async () => {
      const parsed = parseHeed(command.text);
      if (!parsed.ok) return renderUsage(HEED_COMMAND, parsed.problem);
      const now = s.clock.now();
      const cmd = parsed.value;
      switch (cmd.name) {
        case 'help':
          return renderUsage(HEED_COMMAND);
        case 'status':
          return renderStatus(await statusView(s.queries, now));
        case 'whois': {
          const view = await whoisView(s.queries, cmd.ticketId, now);
          return view
            ? renderWhois(view)
            : renderNotice(md`I don't know ticket ${safe(cmd.ticketId, 20)} (not synced, or deleted in HubSpot).`);
        }
        case 'mute': {
          const until = new Date(now.getTime() + cmd.durationMs);
          await s.repo.setMutedUntil(command.user_id, until, now);
          await s.repo.audit({
            at: now,
            actor: command.user_id,
            action: 'mute',
            target: `user:${command.user_id}`,
            source: 'command',
            detail: { until: until.toISOString() },
          });
          return renderNotice(md`:mute: No DMs from Heed until ${slackDate(until)}. \`/heed unmute\` to undo.`);
        }
        case 'unmute':
          await s.repo.setMutedUntil(command.user_id, null, now);
          await s.repo.audit({
            at: now,
            actor: command.user_id,
            action: 'unmute',
            target: `user:${command.user_id}`,
            source: 'command',
          });
          return renderNotice(md`:loud_sound: Heed may DM you again.`);
        case 'snooze': {
          const until = new Date(now.getTime() + cmd.durationMs);
          // Each open item through the same permission rule as reactions and buttons.
          const done = await snoozeTicket(s.actions, {
            ticketId: cmd.ticketId,
            actor: command.user_id,
            until,
            at: now,
          });
          if (done.open === 0) return renderNotice(md`Ticket ${safe(cmd.ticketId, 20)} has nothing open to snooze.`);
          if (done.snoozed === 0)
            return renderNotice(
              done.refusal ? fromNote(done.refusal) : md`Ticket ${safe(cmd.ticketId, 20)} was not snoozed.`,
            );
          return renderNotice(
            md`:zzz: Ticket ${safe(cmd.ticketId, 20)} snoozed until ${slackDate(until)} (${done.snoozed} open item${done.snoozed === 1 ? md`` : md`s`}).`,
          );
        }
      }
    });
    await ack({ response_type: 'ephemeral', ...reply });
  });
}
