import { describe, expect, it } from 'vitest';
import { parseHubspotJson } from '../../src/hubspot/json.ts';

describe('parseHubspotJson', () => {
  it.each([
    ['a NUL inside a subject', '{"subject":"Re\\u0000fund"}', { subject: 'Refund' }],
    ['adjacent NULs, four of them', '{"s":"a\\u0000\\u0000\\u0000\\u0000b"}', { s: 'ab' }],
    ['a NUL after an escaped backslash', '{"s":"x\\\\\\u0000y"}', { s: 'x\\y' }],
    ['a literal backslash then "u0000" stays', '{"s":"x\\\\u0000y"}', { s: 'x\\u0000y' }],
    ['a NUL first in the text', '["\\u0000a"]', ['a']],
    ['other escapes untouched', '{"s":"\\u0001\\n\\u00e9"}', { s: '\u0001\né' }],
    ['no NUL at all', '{"n":1}', { n: 1 }],
  ])('%s', (_name, text, expected) => {
    const value = parseHubspotJson(text);
    expect(value).toEqual(expected);
    expect(JSON.stringify(value)).not.toMatch(/(?<!\\)(\\\\)*\\u0000/);
  });

  it('still refuses text that is not JSON', () => {
    expect(() => parseHubspotJson('{"s":"\\u0000"')).toThrow(SyntaxError);
  });
});
