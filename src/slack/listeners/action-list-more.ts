import type { App, BlockButtonAction } from '@slack/bolt';
import { type ResolvedScope, rollupPage, unansweredPage } from '../queries.ts';
import { md } from '../render/mrkdwn.ts';
import { LIST_MORE_ACTION, renderQueuePage } from '../render/queue.ts';
import { renderNotice } from '../render/replies.ts';
import { answerOrApologise } from './respond-safely.ts';
import type { SlackServices } from './services.ts';

type More = { scope: ResolvedScope; offset: number } | { rollupId: string; offset: number };

function parseMore(value: string | undefined): More | undefined {
  try {
    const raw = JSON.parse(value ?? '') as { s?: ResolvedScope; r?: unknown; o?: number };
    if (typeof raw.o !== 'number' || raw.o < 0) return undefined;
    if (typeof raw.r === 'string') return { rollupId: raw.r, offset: raw.o };
    if (!raw.s) return undefined;
    return { scope: raw.s, offset: raw.o };
  } catch {
    return undefined;
  }
}

export function registerListMore(app: App, s: SlackServices): void {
  app.action<BlockButtonAction>(LIST_MORE_ACTION, async ({ ack, action, respond }) => {
    await ack();
    const reply = await answerOrApologise(s.logger, { action: LIST_MORE_ACTION }, async () => {
      const more = parseMore(action.value);
      if (!more) return renderNotice(md`That list has expired; run the command again.`);
      if ('rollupId' in more) {
        const page = await rollupPage(s.queries, more.rollupId, more.offset, s.clock.now());
        return page ? renderQueuePage(page) : renderNotice(md`That list has expired; run the command again.`);
      }
      const page = await unansweredPage(s.queries, more.scope, more.offset, s.clock.now());
      return 'unmatched' in page
        ? renderNotice(md`That list has expired; run the command again.`)
        : renderQueuePage(page);
    });
    await respond({ response_type: 'ephemeral', replace_original: true, ...reply });
  });
}
