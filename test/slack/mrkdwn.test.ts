// The one path outside text takes into a Slack message: escaping, cutting, links, mentions and notes.
import { describe, expect, it } from 'vitest';
import {
  cut,
  fromNote,
  link,
  md,
  mention,
  plainText,
  printable,
  safe,
  safeUrl,
  slackDate,
} from '../../src/slack/render/mrkdwn.ts';

describe('safe', () => {
  it.each([
    ['<!channel> & <@U123>', '&lt;!channel&gt; &amp; &lt;@U123&gt;'],
    ['&lt; already encoded', '&amp;lt; already encoded'],
    ['two\nlines\r\n> quote', 'two lines &gt; quote'],
    ['tab\tand  spaces ', 'tab and spaces'],
    ['nul\u0000bel\u0007 esc\u001b[31mred\u001b[0m', 'nulbel escred'],
    ['\u202Eevil\u202C \u2066iso\u2069', 'evil iso'],
    ['lone \uD800 surrogate', 'lone \uFFFD surrogate'],
    ['👩‍👩‍👧‍👦 🏳️‍🌈', '👩‍👩‍👧‍👦 🏳️‍🌈'],
    [42, '42'],
  ])('%j → %j', (input, output) => {
    expect(safe(input)).toBe(output);
  });

  it.each([
    // The escaped form is what is capped; a cut never splits an entity...
    ['<<<<', 9, '&lt;&lt;…'],
    ['<<<<', 8, '&lt;…'],
    ['a&b', 5, 'a…'],
    ['a&b', 7, 'a&amp;b'],
    // ...a surrogate pair or an emoji sequence.
    ['🔥🔥🔥', 4, '🔥…'],
    ['x👩‍👩‍👧‍👦y', 8, 'x…'],
  ])('%j capped at %d → %j', (input, max, output) => {
    const capped = safe(input, max);
    expect(capped).toBe(output);
    expect(capped.length).toBeLessThanOrEqual(max);
  });

  it('keeps 100 KB within the cap without splitting anything', () => {
    const capped = safe('<!here>&'.repeat(13_000), 2000);
    expect(capped.length).toBeLessThanOrEqual(2000);
    expect(capped).toMatch(/^(&lt;!here&gt;&amp;)+(&lt;!here&gt;|&lt;!here|&lt;|&lt;!|&lt;!h|&lt;!he|&lt;!her)?…$/);
  });
});

describe('Heed-made tokens', () => {
  it('md takes Heed’s words as they are and values already made safe', () => {
    expect(md`*Owner* ${mention('UCAROL')} · ${safe('<b>')} · ${3}`).toBe('*Owner* <@UCAROL> · &lt;b&gt; · 3');
  });

  it.each([
    ['https://app.hubspot.com/contacts/1/record/0-5/2', true],
    ['http://127.0.0.1:3000/x?a=1&b=2', true],
    ['https://evil.example|label', false],
    ['https://a b', false],
    ['javascript:alert(1)', false],
    ['https:///x', false],
    ['https://<!here>/x', false],
    [`https://x/${'a'.repeat(2000)}`, false],
  ])('safeUrl(%j) accepted: %s', (url, ok) => {
    expect(safeUrl(url) !== undefined).toBe(ok);
  });

  it('links escape their label and drop a URL they cannot vouch for', () => {
    expect(link('https://x.example/?a=1&b=2', 'A|B <c>')).toBe('<https://x.example/?a=1&amp;b=2|A¦B &lt;c&gt;>');
    expect(link('https://evil|x', '<!channel>')).toBe('&lt;!channel&gt;');
  });

  it('mentions only Slack ids', () => {
    expect(mention('U0123ABC')).toBe('<@U0123ABC>');
    expect(mention('!channel')).toBe('!channel');
    expect(mention('U1>|<!here')).toBe('U1&gt;|&lt;!here');
  });

  it('notes from services keep mentions and dates, lose everything else', () => {
    const date = slackDate(new Date('2026-03-02T10:00:00Z'));
    expect(fromNote(`Only <@UBOB> can undo their "handled" since ${date}.`)).toBe(
      `Only <@UBOB> can undo their "handled" since ${date}.`,
    );
    expect(fromNote('<!channel> <https://evil|x> &lt;@U1&gt;')).toBe(
      '&lt;!channel&gt; &lt;https://evil|x&gt; &amp;lt;@U1&amp;gt;',
    );
  });

  it('cut never leaves half a token or entity', () => {
    const text = md`ab ${mention('UCAROL')} ${safe('&')}`;
    expect(cut(text, 6)).toBe('ab…');
    expect(cut(text, 13)).toBe('ab <@UCAROL>…');
    expect(cut(text, 15)).toBe('ab <@UCAROL>…');
    expect(cut(text, 40)).toBe(text);
  });
});

describe('plain text and terminals', () => {
  it('plain_text is printable, one line, capped, never empty', () => {
    expect(plainText('Waiting for <!here>\n\u202Eevil', 150)).toBe('Waiting for <!here> evil');
    expect(plainText('x'.repeat(200), 75)).toHaveLength(75);
    expect(plainText('\u0000', 75)).toBe('—');
  });

  it('printable removes whole escape sequences (CSI, OSC, 8-bit CSI)', () => {
    expect(printable('a\u001b[2J\u001b]0;title\u0007b\u009b31mc\u001b\\d')).toBe('abcd');
  });
});
