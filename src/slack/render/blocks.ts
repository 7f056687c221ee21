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

/** A data visualization block's chart (Slack, June 2026): see chart() and the limits beside it. */
export type ChartPoint = { label: string; value: number };
export type ChartSeries = { name: string; data: ChartPoint[] };
export type AxisConfig = { categories: string[]; x_label?: string; y_label?: string };
export type Chart =
  | { type: 'line' | 'bar' | 'area'; series: ChartSeries[]; axis_config: AxisConfig }
  | { type: 'pie'; segments: ChartPoint[] };

/** A data table cell (Slack, May 2026): simple text, or a number with the text shown for it. */
export type TableCell = { type: 'raw_text'; text: string } | { type: 'raw_number'; value: number; text: string };

export type Block =
  | { type: 'section'; block_id?: string; text?: MrkdwnText; fields?: MrkdwnText[] }
  | { type: 'header'; block_id?: string; text: PlainText }
  | { type: 'context'; block_id?: string; elements: TextObject[] }
  | { type: 'actions'; block_id?: string; elements: Button[] }
  | { type: 'divider'; block_id?: string }
  | { type: 'data_visualization'; block_id?: string; title: string; chart: Chart }
  | {
      type: 'data_table';
      block_id?: string;
      caption: string;
      rows: TableCell[][];
      page_size?: number;
      row_header_column_index?: number;
    };

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

// ───────────────────────────────────────────────────────────────────────────── charts and tables
//
// The data visualization block (docs.slack.dev/reference/block-kit/blocks/data-visualization-block, June 2026)
// and the data table block (…/data-table-block, May 2026). Their text — titles, labels, series names, cells —
// is plain text that Slack shows as written, so it is made printable and cut here like plain_text. Readers
// whose client does not draw them see the message's `text`, so every renderer that sends one keeps the same
// facts in words there (sparklines for a trend).

export const CHART_LIMITS = {
  /** Slack draws at most two data visualization blocks in one message. */
  perMessage: 2,
  title: 50,
  /** Series, segments: at most 6. */
  series: 6,
  /** Data points per series (and so categories): 20. */
  points: 20,
  /** A category, data point or segment label; a series name. */
  label: 20,
  axisLabel: 50,
} as const;

export const TABLE_LIMITS = {
  /** Rows besides the header. */
  rows: 100,
  columns: 20,
  /** Characters across one table's cells, and across every table cell of one message. */
  chars: 10_000,
  pageSize: 100,
  /** Slack documents no limit for the caption; kept as short as a header. */
  caption: 150,
} as const;

const label = (text: string, max: number = CHART_LIMITS.label) => plainText(text, max);

/**
 * A line, bar or area chart: one data point per category in each series, as Slack requires (labels match the
 * categories). Values that are not finite numbers are refused rather than drawn as zero: a caller leaves such
 * a category out instead.
 */
export function xyChart(
  type: 'line' | 'bar' | 'area',
  title: string,
  data: {
    readonly categories: readonly string[];
    readonly series: readonly { readonly name: string; readonly values: readonly number[] }[];
    readonly xLabel?: string;
    readonly yLabel?: string;
  },
  blockId?: string,
): Block {
  const categories = data.categories.slice(-CHART_LIMITS.points).map((c) => label(c));
  if (new Set(categories).size !== categories.length) throw new RangeError('chart categories must be distinct');
  const skip = data.categories.length - categories.length;
  const series = data.series.slice(0, CHART_LIMITS.series).map((s) => {
    const values = s.values.slice(skip);
    if (values.length !== categories.length) throw new RangeError(`series "${s.name}" needs one value per category`);
    if (values.some((v) => !Number.isFinite(v)))
      throw new RangeError(`series "${s.name}" has a value that is not a number`);
    return { name: label(s.name), data: values.map((value, i) => ({ label: categories[i]!, value })) };
  });
  const axis: AxisConfig = { categories };
  if (data.xLabel) axis.x_label = label(data.xLabel, CHART_LIMITS.axisLabel);
  if (data.yLabel) axis.y_label = label(data.yLabel, CHART_LIMITS.axisLabel);
  const block: Block = {
    type: 'data_visualization',
    title: plainText(title, CHART_LIMITS.title),
    chart: { type, series, axis_config: axis },
  };
  return blockId ? { ...block, block_id: blockId } : block;
}

/** A cell: text as is (never empty), or a number with its text ("1h 20m" for 80 minutes). */
export type CellValue = string | number | { readonly value: number; readonly text: string };

function cell(value: CellValue, max: number): TableCell {
  if (typeof value === 'string') return { type: 'raw_text', text: plainText(value, max) };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { type: 'raw_text', text: '—' };
    return { type: 'raw_number', value, text: plainText(String(value), max) };
  }
  if (!Number.isFinite(value.value)) return { type: 'raw_text', text: plainText(value.text, max) };
  return { type: 'raw_number', value: value.value, text: plainText(value.text, max) };
}

const cellChars = (row: readonly TableCell[]) => row.reduce((n, c) => n + c.text.length, 0);

/**
 * A data table: a header row of plain text, then up to 100 rows of the same width. Rows past the limits —
 * 100 rows, 10,000 characters of cells, `maxChars` when the message holds other tables — are left out (the
 * caption's count says how many there were); cells are cut at `cellChars`.
 */
export function dataTable(
  caption: string,
  header: readonly string[],
  rows: readonly (readonly CellValue[])[],
  options: {
    readonly blockId?: string;
    readonly pageSize?: number;
    readonly cellChars?: number;
    readonly maxChars?: number;
  } = {},
): Block {
  const width = Math.min(header.length, TABLE_LIMITS.columns);
  if (width === 0) throw new RangeError('a table needs at least one column');
  const max = options.cellChars ?? 80;
  const budget = Math.min(options.maxChars ?? TABLE_LIMITS.chars, TABLE_LIMITS.chars);
  const head = header.slice(0, width).map((h) => cell(h, max));
  const out: TableCell[][] = [head];
  let chars = cellChars(head);
  for (const row of rows.slice(0, TABLE_LIMITS.rows)) {
    if (row.length < width) throw new RangeError('every table row needs a value per column');
    const cells = row.slice(0, width).map((v) => cell(v, max));
    const size = cellChars(cells);
    if (chars + size > budget) break;
    out.push(cells);
    chars += size;
  }
  const block: Block = {
    type: 'data_table',
    caption: plainText(caption, TABLE_LIMITS.caption),
    rows: out,
    page_size: Math.min(TABLE_LIMITS.pageSize, Math.max(1, options.pageSize ?? 10)),
  };
  return options.blockId ? { ...block, block_id: options.blockId } : block;
}

/** Characters of cell text in a table block (0 for any other block). */
export function tableChars(block: Block): number {
  return block.type === 'data_table' ? block.rows.reduce((n, row) => n + cellChars(row), 0) : 0;
}
