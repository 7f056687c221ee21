import type { App } from '@slack/bolt';
import { handleReaction } from '../actions.ts';
import type { SlackServices } from './services.ts';

export function registerReactionRemoved(app: App, s: SlackServices): void {
  app.event('reaction_removed', async ({ event, body }) => {
    if (event.item.type !== 'message') return;
    await handleReaction(
      s.actions,
      {
        eventId: body.event_id,
        user: event.user,
        reaction: event.reaction,
        added: false,
        channel: event.item.channel,
        ts: event.item.ts,
        eventTs: event.event_ts,
      },
      s.clock.now(),
    );
  });
}
