// Validates what Heed sends against the shared (unofficial, strict) Block Kit subset schema and the
// limits Slack enforces beyond it (cumulative block text). The schema lives in ../shared (test/support/shared.ts):
// without it, a test that checks Block Kit skips at that check, naming the folder.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { sharedPath, skipWithoutShared } from '../../support/shared.ts';

let loaded: { validate: ValidateFunction; cap: number } | undefined;

function load(): { validate: ValidateFunction; cap: number } {
  if (loaded) return loaded;
  skipWithoutShared();
  const read = (name: string) => JSON.parse(readFileSync(sharedPath('specs', 'slack', name), 'utf8')) as unknown;
  const schema = read('blockkit-subset.schema.json') as object;
  const limits = read('block-kit-limits.json') as {
    message_text: { cumulative_block_text_soft_limit_chars: { value: number } };
  };
  const ajv = new Ajv({ allErrors: true, strict: false });
  loaded = { validate: ajv.compile(schema), cap: limits.message_text.cumulative_block_text_soft_limit_chars.value };
  return loaded;
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

/** Empty when the payload is fine; otherwise readable problems. */
export function blockKitProblems(payload: unknown): string[] {
  const { validate, cap } = load();
  const problems: string[] = [];
  if (!validate(payload)) {
    problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));
  }
  const blocks = (payload as { blocks?: unknown }).blocks;
  if (textLength(blocks) > cap) problems.push(`block text ${textLength(blocks)} chars > ${cap}`);
  return problems;
}
