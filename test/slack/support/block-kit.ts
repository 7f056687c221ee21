// Validates what Heed sends against the shared (unofficial, strict) Block Kit subset schema and the
// limits Slack enforces beyond it (cumulative block text).
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

const schema = JSON.parse(readFileSync('/work/shared/specs/slack/blockkit-subset.schema.json', 'utf8')) as object;
const limits = JSON.parse(readFileSync('/work/shared/specs/slack/block-kit-limits.json', 'utf8')) as {
  message_text: { cumulative_block_text_soft_limit_chars: { value: number } };
};
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

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

/** Empty when the payload is fine; otherwise readable problems. */
export function blockKitProblems(payload: unknown): string[] {
  const problems: string[] = [];
  if (!validate(payload)) {
    problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));
  }
  const blocks = (payload as { blocks?: unknown }).blocks;
  const cap = limits.message_text.cumulative_block_text_soft_limit_chars.value;
  if (textLength(blocks) > cap) problems.push(`block text ${textLength(blocks)} chars > ${cap}`);
  return problems;
}
