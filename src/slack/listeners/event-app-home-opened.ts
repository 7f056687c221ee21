import type { App } from '@slack/bolt';
import { homeView } from '../queries.ts';
import { renderHome } from '../render/queue.ts';
import type { SlackServices } from './services.ts';

export function registerAppHomeOpened(app: App, s: SlackServices): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const view = renderHome(await homeView(s.queries, event.user, s.clock.now()));
    await client.views.publish({ user_id: event.user, view });
  });
}
