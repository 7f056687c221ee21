// The one place listeners are registered. The lists below are what the manifest test compares with
// manifest.json, both ways: every command/event handled is declared, and every one declared is handled.
import type { App } from '@slack/bolt';
import { NUDGE_ACTIONS } from '../render/nudge.ts';
import { LIST_MORE_ACTION } from '../render/queue.ts';
import { ROLLUP_SHOW_ALL_ACTION } from '../render/rollup.ts';
import { registerListMore } from './action-list-more.ts';
import { NUDGE_BUTTON_ACTION_IDS, registerNudgeButtons } from './action-nudge-buttons.ts';
import { registerRollupShowAll } from './action-rollup-show-all.ts';
import { DIGEST_COMMAND, registerDigest } from './command-digest.ts';
import { HEED_COMMAND, registerHeed } from './command-heed.ts';
import { registerSlow, SLOW_COMMAND } from './command-slow.ts';
import { registerUnanswered, UNANSWERED_COMMAND } from './command-unanswered.ts';
import { registerAppHomeOpened } from './event-app-home-opened.ts';
import { registerReactionAdded } from './event-reaction-added.ts';
import { registerReactionRemoved } from './event-reaction-removed.ts';
import type { SlackServices } from './services.ts';

export const HANDLED_COMMANDS = [UNANSWERED_COMMAND, SLOW_COMMAND, DIGEST_COMMAND, HEED_COMMAND] as const;
export const HANDLED_EVENTS = ['reaction_added', 'reaction_removed', 'app_home_opened'] as const;
export const HANDLED_ACTIONS = [...NUDGE_BUTTON_ACTION_IDS, LIST_MORE_ACTION, ROLLUP_SHOW_ALL_ACTION] as const;

export function registerListeners(app: App, services: SlackServices): void {
  registerUnanswered(app, services);
  registerSlow(app, services);
  registerDigest(app, services);
  registerHeed(app, services);
  registerReactionAdded(app, services);
  registerReactionRemoved(app, services);
  registerAppHomeOpened(app, services);
  registerNudgeButtons(app, services);
  registerListMore(app, services);
  registerRollupShowAll(app, services);
}

/** Action ids the renderers put on buttons (for the test that each one has a listener). */
export const RENDERED_ACTION_IDS = [...Object.values(NUDGE_ACTIONS), LIST_MORE_ACTION, ROLLUP_SHOW_ALL_ACTION];
