import type { App } from '@slack/bolt';
import { mayPostDigest } from '../../services/slack-actions.ts';
import { parseDigestArgs } from '../command-args.ts';
import { channelLink, fromNote, md, safe } from '../render/mrkdwn.ts';
import { renderNotice, renderUsage } from '../render/replies.ts';
import { answerOrApologise } from './respond-safely.ts';
import type { SlackServices } from './services.ts';

export const DIGEST_COMMAND = '/digest';

export function registerDigest(app: App, s: SlackServices): void {
  app.command(DIGEST_COMMAND, async ({ command, ack }) => {
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
      if (!s.digestPreview) return renderNotice(md`The daily digest is not available in this version of Heed yet.`);
      const now = s.clock.now();
      const messages = await s.digestPreview(team.name, now);
      if (!parsed.value.post) return messages[0] ?? renderNotice(md`The digest is empty today.`);
      const may = await mayPostDigest(s.actions, team, command.user_id, now);
      if (!may.allowed) return renderNotice(fromNote(may.reason));
      if (!s.digestPost) return renderNotice(md`Posting the digest is not available in this version of Heed.`);
      // Recorded as the team's digest of the day: the scheduled one will not post it again.
      const posted = await s.digestPost(team.name, now);
      if (posted.status === 'already') {
        return renderNotice(
          md`Today's digest for ${safe(team.name, 60)} was already posted to ${channelLink(team.channel)}.`,
        );
      }
      await s.repo.audit({
        at: now,
        actor: command.user_id,
        action: 'digest_post',
        target: `team:${team.name}`,
        source: 'command',
        detail: { outcome: 'changed' },
      });
      return renderNotice(md`:outbox_tray: Posting today's digest to ${channelLink(team.channel)}.`);
    });
    await ack({ response_type: 'ephemeral', ...reply });
  });
}
