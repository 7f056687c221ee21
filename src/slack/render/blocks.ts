// The Block Kit shapes Heed sends: a strict subset (see test/slack/render-*.test.ts, which validates every
// renderer's output against the shared subset schema). Kept local rather than importing @slack/types so
// a renderer cannot drift into block types the schema (and our tests) do not cover.
//
// mrkdwn fields and a message's `text` take only `Mrkdwn` (./mrkdwn.ts): outside text reaches them escaped or
// not at all. plain_text is shown as written (Slack parses no mentions or links in it), so its builders take
// any string and make it printable and short enough themselves. Every builder also keeps Slack's limit for
// its field, so a renderer's mistake cuts a line instead of losing the whole message to invalid_blocks.
import { cut, type Mrkdwn, md, plainText, safeUrl } from './mrkdwn.ts';

export type PlainText = { type: 'plain_text'; text: string; emoji?: boolean };
export type MrkdwnText = { type: 'mrkdwn'; text: Mrkdwn };
export type TextObject = PlainText | MrkdwnText;

export type Button = {
  type: 'button';
  text: PlainText;
  action_id: string;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
};

export type Block =
  | { type: 'section'; block_id?: string; text?: MrkdwnText; fields?: MrkdwnText[] }
  | { type: 'header'; block_id?: string; text: PlainText }
  | { type: 'context'; block_id?: string; elements: TextObject[] }
  | { type: 'actions'; block_id?: string; elements: Button[] }
  | { type: 'divider' };

export interface RenderedMessage {
  /** Fallback for notifications and screen readers: always set, and parsed as mrkdwn by Slack too. */
  text: Mrkdwn;
  blocks: Block[];
}

export const MAX_SECTION_TEXT = 3000;
export const MAX_FIELD_TEXT = 2000;
export const MAX_FALLBACK_TEXT = 4000;
export const MAX_HEADER_TEXT = 150;
export const MAX_BUTTON_TEXT = 75;
export const MAX_BUTTON_VALUE = 2000;

export function mrkdwn(text: Mrkdwn, max = MAX_FIELD_TEXT): MrkdwnText {
  return { type: 'mrkdwn', text: cut(text, max) };
}

/** plain_text for headers and buttons: printable, one line, within `max`. */
export function plain(text: string, max = MAX_HEADER_TEXT): PlainText {
  return { type: 'plain_text', text: plainText(text, max), emoji: true };
}

export function section(text: Mrkdwn, blockId?: string): Block {
  const body = mrkdwn(text, MAX_SECTION_TEXT);
  return blockId ? { type: 'section', block_id: blockId, text: body } : { type: 'section', text: body };
}

export function fields(blockId: string, texts: readonly Mrkdwn[]): Block {
  return { type: 'section', block_id: blockId, fields: texts.slice(0, 10).map((t) => mrkdwn(t, MAX_FIELD_TEXT)) };
}

export function header(text: string): Block {
  return { type: 'header', text: plain(text, MAX_HEADER_TEXT) };
}

export function context(...texts: Mrkdwn[]): Block {
  return { type: 'context', elements: texts.slice(0, 10).map((t) => mrkdwn(t, MAX_SECTION_TEXT)) };
}

/**
 * A button. Its `value` comes back in the click, so it is never cut (a renderer that could exceed the limit
 * must not offer the button); a `url` Heed cannot vouch for is dropped, leaving a plain button.
 */
export function button(
  text: string,
  actionId: string,
  options: Omit<Button, 'type' | 'text' | 'action_id'> = {},
): Button {
  const { url, ...rest } = options;
  const target = safeUrl(url);
  return {
    type: 'button',
    text: plain(text, MAX_BUTTON_TEXT),
    action_id: actionId,
    ...rest,
    ...(target ? { url: target } : {}),
  };
}

/** A message's fallback `text` within the project's cap (and never empty). */
export function fallback(text: Mrkdwn): Mrkdwn {
  return text.trim() ? cut(text, MAX_FALLBACK_TEXT) : md`Heed`;
}

/** A message of Heed's: its fallback text (capped) and blocks. */
export function message(text: Mrkdwn, blocks: Block[]): RenderedMessage {
  return { text: fallback(text), blocks };
}
