import { describe, expect, it } from 'vitest';
import { isSubstantive } from '../../src/domain/substantive.ts';

describe('isSubstantive', () => {
  it.each<[string | null, number, boolean]>([
    [null, 20, true],
    ['Thanks!', 0, false],
    ['Thank you so much, that works now 👍', 0, false],
    ['Vielen Dank!', 0, false],
    ['ok', 0, false],
    ['Still broken', 20, false],
    ['Still broken', 5, true],
    ['Thanks, but the invoice still shows the wrong amount.', 20, true],
    ['Thanks a lot!\n> On Monday you wrote:\n> please send the logs of the failing import job', 0, false],
    ['The export fails again since this morning, see attached.', 20, true],
  ])('%j with minimum %d → %s', (text, min, expected) => {
    expect(isSubstantive(text, min)).toBe(expected);
  });
});
