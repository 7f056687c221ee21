import type { App } from '@slack/bolt';
import { snoozeTicket } from '../actions.ts';
import { statsView } from '../agent-stats-query.ts';
import { parseHeed, parseScope } from '../command-args.ts';
import { statusView, whoisView } from '../queries.ts';
import { renderAgentStats } from '../render/agent-stats.ts';
import { renderDailyStatus } from '../render/daily-list.ts';
import { fromNote, md, mention, safe, slackDate } from '../render/mrkdwn.ts';
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
        case 'stats': {
          // Read-only, like /unanswered: anyone may look. Who and which teams: agent-stats-query.ts.
          const names = s.teams.map((t) => t.name);
          const scope = parseScope(cmd.target, names);
          if (!scope.ok) return renderUsage(HEED_COMMAND, scope.problem, names);
          const answer = await statsView(
            s.queries,
            { scope: scope.value, days: cmd.days, caller: command.user_id, channelId: command.channel_id },
            now,
          );
          if ('problem' in answer) return renderUsage(HEED_COMMAND, answer.problem, names);
          if ('unmatched' in answer)
            return renderNotice(
              md`I couldn't match ${mention(answer.unmatched)} to a HubSpot owner by email, so I have no figures for them. An admin can map them under \`people\` in Heed's policy.`,
            );
          return renderAgentStats(answer.view);
        }
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
        case 'daily': {
          // The personal morning list (src/slack/daily-list.ts).
          if (!s.daily) return renderNotice(md`The morning list is not available on this Heed.`);
          const view = await s.daily.command(command.user_id, cmd.action, now);
          if (cmd.action !== 'status') {
            await s.repo.audit({
              at: now,
              actor: command.user_id,
              action: `daily-${cmd.action}`,
              target: `user:${command.user_id}`,
              source: 'command',
            });
          }
          return renderDailyStatus(view);
        }
      }
    });
    await ack({ response_type: 'ephemeral', ...reply });
  });
}
