// Pure rendering of what Heed says in a nudge's thread when HubSpot refused a write made for a Slack act
// (src/slack/write-back.ts). HubSpot's words are outside text: quoted through `safe`.
import { message, type RenderedMessage, section } from './blocks.ts';
import { type Mrkdwn, md, mention, safe } from './mrkdwn.ts';

export type WriteBackRefusal =
  | { kind: 'owner'; actor: string; reason: string }
  | { kind: 'stage'; actor: string; stage: string; reason: string };

/** "Couldn't set @Bob as owner in HubSpot: <HubSpot's message>", and what to do about it. */
export function renderWriteBackRefusal(refusal: WriteBackRefusal): RenderedMessage {
  const what: Mrkdwn =
    refusal.kind === 'owner'
      ? md`Couldn't set ${mention(refusal.actor)} as owner in HubSpot`
      : md`Couldn't move this ticket to ${safe(refusal.stage, 80)} in HubSpot (handled by ${mention(refusal.actor)})`;
  const text = md`${what}: ${safe(refusal.reason, 500)}`;
  return message(text, [
    section(
      md`:warning: ${text}\nThe claim still stands in Slack. Fix it in HubSpot, or ask an admin (\`heed doctor\` checks the scopes).`,
    ),
  ]);
}
