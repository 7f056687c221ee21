// The Block Kit shapes Heed sends: a strict subset (see test/slack/render-*.test.ts, which validates every
// renderer's output against the shared subset schema). Kept local rather than importing @slack/types so
// a renderer cannot drift into block types the schema (and our tests) do not cover.

export type PlainText = { type: 'plain_text'; text: string; emoji?: boolean };
export type MrkdwnText = { type: 'mrkdwn'; text: string };
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
  /** Fallback for notifications and screen readers: always set. */
  text: string;
  blocks: Block[];
}

export const MAX_SECTION_TEXT = 3000;
export const MAX_FIELD_TEXT = 2000;
export const MAX_FALLBACK_TEXT = 4000;

export function mrkdwn(text: string): MrkdwnText {
  return { type: 'mrkdwn', text };
}

export function plain(text: string): PlainText {
  return { type: 'plain_text', text, emoji: true };
}

export function section(text: string, blockId?: string): Block {
  return blockId ? { type: 'section', block_id: blockId, text: mrkdwn(text) } : { type: 'section', text: mrkdwn(text) };
}

export function context(...texts: string[]): Block {
  return { type: 'context', elements: texts.slice(0, 10).map(mrkdwn) };
}

export function button(
  text: string,
  actionId: string,
  options: Omit<Button, 'type' | 'text' | 'action_id'> = {},
): Button {
  return { type: 'button', text: plain(text), action_id: actionId, ...options };
}

/** Fallback text within the project's cap (and never empty). */
export function fallback(text: string): string {
  const points = Array.from(text.trim() || 'Heed');
  return points.length <= MAX_FALLBACK_TEXT ? points.join('') : `${points.slice(0, MAX_FALLBACK_TEXT - 1).join('')}…`;
}
