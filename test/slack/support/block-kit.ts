// Validates what Heed sends against the shared (unofficial, strict) Block Kit subset schema, extended with the
// blocks Heed uses beyond it (./blockkit-extensions.schema.json: the data visualization and data table blocks),
// and the limits Slack enforces beyond a schema (cumulative block text, charts per message, table characters).
// The shared schema lives in ../shared (test/support/shared.ts): without it, a test that checks Block Kit skips
// at that check, naming the folder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { sharedPath, skipWithoutShared } from '../../support/shared.ts';

interface Extension {
  readonly blockTypes: readonly string[];
  readonly messageRules: {
    readonly maxDataVisualizationBlocks: number;
    readonly maxTableCellCharsPerTable: number;
    readonly maxTableCellCharsPerMessage: number;
  };
  readonly definitions: Record<string, unknown>;
}

type Schema = {
  definitions: Record<string, { properties?: { type?: { enum?: string[] } }; allOf?: unknown[] }>;
} & Record<string, unknown>;

const extension = JSON.parse(
  readFileSync(join(import.meta.dirname, 'blockkit-extensions.schema.json'), 'utf8'),
) as Extension;

/** The shared subset schema with Heed's extension merged in (a new object; `shared` is left as it was). */
export function mergeBlockKitSchema(shared: unknown): Schema {
  const schema = structuredClone(shared) as Schema;
  for (const [name, definition] of Object.entries(extension.definitions)) {
    if (name in schema.definitions) throw new Error(`the extension redefines "${name}" of the shared schema`);
    schema.definitions[name] = definition as Schema['definitions'][string];
  }
  const block = schema.definitions['block']!;
  const types = block.properties?.type?.enum;
  if (!types || !block.allOf) throw new Error('the shared schema’s "block" definition changed shape');
  for (const type of extension.blockTypes) {
    types.push(type);
    const ref = type === 'data_visualization' ? 'dataVisualizationBlock' : 'dataTableBlock';
    // JSON Schema's if/then, built from strings: an object literal with a `then` key reads as a thenable to lint.
    block.allOf.push(
      JSON.parse(`{"if":{"properties":{"type":{"const":"${type}"}}},"then":{"$ref":"#/definitions/${ref}"}}`),
    );
  }
  return schema;
}

let loaded: { validate: ValidateFunction; cap: number } | undefined;

function load(): { validate: ValidateFunction; cap: number } {
  if (loaded) return loaded;
  skipWithoutShared();
  const read = (name: string) => JSON.parse(readFileSync(sharedPath('specs', 'slack', name), 'utf8')) as unknown;
  const schema = mergeBlockKitSchema(read('blockkit-subset.schema.json'));
  const limits = read('block-kit-limits.json') as {
    message_text: { cumulative_block_text_soft_limit_chars: { value: number } };
  };
  const ajv = new Ajv({ allErrors: true, strict: false });
  loaded = { validate: ajv.compile(schema), cap: limits.message_text.cumulative_block_text_soft_limit_chars.value };
  return loaded;
}

/** The merged schema compiled (for the digest fixtures, which add their own size checks). */
export function blockKitValidator(): ValidateFunction {
  return load().validate;
}

function textLength(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, child) => n + textLength(child), 0);
  if (node && typeof node === 'object') {
    return Object.entries(node).reduce(
      (n, [key, value]) =>
        n + (key === 'text' && typeof value === 'string' ? Array.from(value).length : textLength(value)),
      0,
    );
  }
  return 0;
}

type AnyBlock = {
  type?: unknown;
  chart?: {
    type?: string;
    series?: { name: string; data: { label: string }[] }[];
    axis_config?: { categories: string[] };
  };
  rows?: { text?: string }[][];
};

/**
 * What the extension's messageRules say and JSON Schema draft-07 cannot: at most two charts in a message, each
 * series one point per category in order and named uniquely, table rows of one width, and the characters of
 * table cells per table and per message.
 */
export function messageRuleProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return [];
  const rules = extension.messageRules;
  const problems: string[] = [];
  const charts = blocks.filter((b: AnyBlock) => b?.type === 'data_visualization') as AnyBlock[];
  if (charts.length > rules.maxDataVisualizationBlocks) {
    problems.push(`${charts.length} data_visualization blocks > ${rules.maxDataVisualizationBlocks}`);
  }
  for (const [index, chart] of charts.entries()) {
    const series = chart.chart?.series;
    const categories = chart.chart?.axis_config?.categories;
    if (!series || !categories) continue;
    if (new Set(series.map((s) => s.name)).size !== series.length) problems.push(`chart ${index}: series names repeat`);
    for (const s of series) {
      const labels = s.data.map((p) => p.label);
      if (labels.length !== categories.length || labels.some((l, i) => l !== categories[i])) {
        problems.push(`chart ${index}: series "${s.name}" labels do not match the categories`);
      }
    }
  }
  let messageChars = 0;
  for (const [index, table] of (blocks.filter((b: AnyBlock) => b?.type === 'data_table') as AnyBlock[]).entries()) {
    const rows = table.rows ?? [];
    if (new Set(rows.map((r) => r.length)).size > 1) problems.push(`table ${index}: rows of different widths`);
    const chars = rows.reduce((n, row) => n + row.reduce((m, c) => m + Array.from(c.text ?? '').length, 0), 0);
    if (chars > rules.maxTableCellCharsPerTable) problems.push(`table ${index}: ${chars} characters of cells`);
    messageChars += chars;
  }
  if (messageChars > rules.maxTableCellCharsPerMessage) {
    problems.push(`${messageChars} characters of table cells in one message`);
  }
  return problems;
}

/** Empty when the payload is fine; otherwise readable problems. */
export function blockKitProblems(payload: unknown): string[] {
  const { validate, cap } = load();
  const problems: string[] = [];
  if (!validate(payload)) {
    problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));
  }
  const blocks = (payload as { blocks?: unknown }).blocks;
  problems.push(...messageRuleProblems(blocks));
  if (textLength(blocks) > cap) problems.push(`block text ${textLength(blocks)} chars > ${cap}`);
  return problems;
}
