import type { App, BlockButtonAction } from '@slack/bolt';
import { handleButton, type NudgeAction } from '../actions.ts';
import { fromNote, type Mrkdwn, md } from '../render/mrkdwn.ts';
import { NUDGE_ACTIONS } from '../render/nudge.ts';
import { renderNotice } from '../render/replies.ts';
import type { SlackServices } from './services.ts';

const BUTTON_ACTIONS: Record<string, NudgeAction> = {
  [NUDGE_ACTIONS.claim]: 'claim',
  [NUDGE_ACTIONS.unclaim]: 'unclaim',
  [NUDGE_ACTIONS.snooze]: 'snooze',
  [NUDGE_ACTIONS.unsnooze]: 'unsnooze',
  [NUDGE_ACTIONS.handled]: 'handle',
  [NUDGE_ACTIONS.unhandled]: 'unhandle',
};

export const NUDGE_BUTTON_ACTION_IDS = [NUDGE_ACTIONS.open, ...Object.keys(BUTTON_ACTIONS)];

export function registerNudgeButtons(app: App, s: SlackServices): void {
  // A link button still sends an interaction; acknowledge it so Slack shows no error.
  app.action(NUDGE_ACTIONS.open, async ({ ack }) => {
    await ack();
  });
  for (const [actionId, action] of Object.entries(BUTTON_ACTIONS)) {
    app.action<BlockButtonAction>(actionId, async ({ ack, action: button, body, respond }) => {
      await ack();
      // Only the person who clicked sees the note; a press without a response_url (a view) gets none.
      const tell = async (text: Mrkdwn) =>
        respond?.({ response_type: 'ephemeral', replace_original: false, ...renderNotice(text) });
      try {
        const outcome = await handleButton(
          s.actions,
          { flagKey: button.value ?? '', action, user: body.user.id, actionTs: button.action_ts },
          s.clock.now(),
        );
        if (outcome?.note)
          await tell(fromNote(outcome.result === 'refused' ? `That changed nothing. ${outcome.note}` : outcome.note));
      } catch (error) {
        s.logger.error({ err: error, actionId }, 'slack: button action failed');
        await tell(md`:warning: Sorry, that did not work. It has been logged.`);
      }
    });
  }
}
