import type { App } from '@slack/bolt';
import { mayPostDigest } from '../actions.ts';
import { parseDigestArgs } from '../command-args.ts';
import type { SlackDigestPost } from '../digest-post.ts';
import type { RenderedMessage } from '../render/blocks.ts';
import { renderDigestNotReady } from '../render/digest.ts';
import { channelLink, fromNote, md, safe } from '../render/mrkdwn.ts';
import { renderNotice, renderUsage } from '../render/replies.ts';
import { answerOrApologise } from './respond-safely.ts';
import type { SlackServices } from './services.ts';

export const DIGEST_COMMAND = '/digest';

/** The person's answer to `/digest post`, for each outcome. */
function postedReply(posted: SlackDigestPost): RenderedMessage {
  const where = channelLink(posted.channel);
  const team = safe(posted.team, 60);
  switch (posted.status) {
    case 'not-ready':
      return renderDigestNotReady(posted.startedAt);
    case 'queued':
      return renderNotice(md`:outbox_tray: Posting today's digest to ${where}.`);
    case 'updated':
      return renderNotice(
        md`:arrows_counterclockwise: Today's digest in ${where} now shows the numbers of this moment.`,
      );
    case 'on-its-way':
      return renderNotice(
        md`Today's digest for ${team} is still on its way to ${where}; once it is there, \`/digest post\` brings it up to date.`,
      );
    case 'update-failed':
      return renderNotice(
        md`:warning: Slack refused to update today's digest in ${where} (${safe(posted.reason ?? 'no reason given', 100)}). Nothing was changed; try again in a minute.`,
      );
    case 'already':
      return renderNotice(md`Today's digest for ${team} was already posted to ${where}.`);
  }
}

export function registerDigest(app: App, s: SlackServices): void {
  app.command(DIGEST_COMMAND, async ({ command, ack, respond }) => {
    // Acknowledged at once, answered through response_url: the digest evaluates the present first, which on a
    // portal with tens of thousands of open tickets takes longer than the 3 s Slack waits for an acknowledgement.
    await ack();
    const reply = await answerOrApologise(s.logger, { command: DIGEST_COMMAND }, async () => {
      const names = s.teams.map((t) => t.name);
      const parsed = parseDigestArgs(command.text, names);
      if (!parsed.ok) return renderUsage(DIGEST_COMMAND, parsed.problem, names);
      const teamName =
        parsed.value.team ??
        s.teams.find((t) => t.channel === command.channel_id)?.name ??
        (s.teams.length === 1 ? s.teams[0]!.name : undefined);
      if (!teamName) return renderUsage(DIGEST_COMMAND, 'Which team?', names);
      const team = s.teams.find((t) => t.name === teamName)!;
      const now = s.clock.now();
      if (!parsed.value.post)
        return (await s.digestPreview(team.name, now))[0] ?? renderNotice(md`The digest is empty today.`);
      const may = await mayPostDigest(s.actions, team, command.user_id, now);
      if (!may.allowed) return renderNotice(fromNote(may.reason));
      // Recorded as the team's digest of the day: the scheduled one will not post it again.
      const posted = await s.digestPost(team.name, now);
      if (posted.status === 'queued' || posted.status === 'updated') {
        await s.repo.audit({
          at: now,
          actor: command.user_id,
          action: posted.status === 'queued' ? 'digest_post' : 'digest_update',
          target: `team:${team.name}`,
          source: 'command',
          detail: { outcome: 'changed' },
        });
      }
      return postedReply(posted);
    });
    try {
      await respond({ response_type: 'ephemeral', ...reply });
    } catch (error) {
      // The person sees no answer; the log says why (an expired or forged response_url, Slack unreachable).
      s.logger.warn({ err: error, command: DIGEST_COMMAND }, 'slack: could not deliver the /digest answer');
    }
  });
}
