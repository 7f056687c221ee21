// Hostile text for every field a customer (or anyone outside Heed) controls, and the checks that what Heed
// sends to Slack or prints on a terminal carries none of it as markup or control characters.
import { blockKitProblems } from './block-kit.ts';

const KB100 = 100 * 1024;

/** Named hostile strings: each is put into every customer-controlled field at once. */
export const HOSTILE: Readonly<Record<string, string>> = {
  'special mentions': '<!channel> urgent <!here> and <!everyone>',
  'user, channel and group mentions': 'ping <@U123> <@W999|boss> <#C123> <#C0SUPPORT|support> <!subteam^S123|@team>',
  'links and dates': '<https://evil.example|Acme Support> <mailto:a@evil.example> <!date^1392734382^{date}|x>',
  'already encoded': '&lt;!channel&gt; &amp;lt; &gt; & AT&T',
  'line breaks posing as Heed': 'Subject\n> fake quote from Heed\n*Breached* — <!here>\r\n\u2028\u2029next',
  'RTL and isolates': '\u202Eevil.exe\u202C \u202Atxt\u202B \u2066iso\u2069 \u200Fmark\u200E \u061C',
  'NUL and control characters':
    'nul\u0000 bel\u0007 bs\u0008 esc\u001b[31mred\u001b[0m tab\t vt\u000b c1\u0085\u009b31m del\u007f',
  'terminal escape sequences': '\u001b]0;pwned\u0007title \u001b[2J\u001b[Hclear \u001b[1;31mbold-red\u001b[m',
  'lone surrogates': 'lone \uD800 high, \uDC00 low, \uDBFF\uDBFF twice',
  emoji: '🔥🚨👩‍👩‍👧‍👦🏳️‍🌈🇩🇪✅ :rotating_light: :white_check_mark:',
  '100 KB of mentions': '<!channel>&'.repeat(Math.ceil(KB100 / 11)),
  '100 KB of emoji': '👩‍👩‍👧‍👦'.repeat(Math.ceil(KB100 / 11)),
  'pipe and markup': 'a|b *bold* _it_ ~st~ `code` ```block``` >quote',
  empty: '',
};

/** Strings that must never appear in anything Heed sends, whichever payload was used. */
const FORBIDDEN_TOKENS = [/<!channel\b/, /<!here\b/, /<!everyone\b/, /<!subteam\^/, /<@U123\b/, /<@W999\b/, /<#C123\b/];

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them.
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/;
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface Allowed {
  /** Slack user ids Heed may legitimately mention (owners, people who clicked). */
  users: ReadonlySet<string>;
  /** Channel ids Heed may link to. */
  channels?: ReadonlySet<string>;
  /** URL prefixes Heed may link to (HubSpot records, permalinks). */
  urls: readonly string[];
}

function tokenAllowed(inner: string, allowed: Allowed): boolean {
  const user = /^@([UW][A-Z0-9]+)$/.exec(inner);
  if (user) return allowed.users.has(user[1]!);
  const channel = /^#([CGD][A-Z0-9]+)$/.exec(inner);
  if (channel) return allowed.channels?.has(channel[1]!) ?? false;
  if (/^!date\^\d+\^[^|<>]*\|[^|<>]*$/.test(inner)) return true;
  const link = /^(https?:\/\/[^|<>\s]+)(?:\|[^|<>]+)?$/.exec(inner);
  if (link) return allowed.urls.some((prefix) => link[1]!.startsWith(prefix));
  return false;
}

/** Problems of one mrkdwn string (a section, field, context element or a message's top-level text). */
export function mrkdwnProblems(text: string, allowed: Allowed): string[] {
  const problems: string[] = [];
  for (const forbidden of FORBIDDEN_TOKENS) {
    if (forbidden.test(text)) problems.push(`contains ${forbidden.source}`);
  }
  const rest = text.replace(/<([^<>]*)>/g, (whole, inner: string) => {
    if (!tokenAllowed(inner, allowed)) problems.push(`unexpected token ${JSON.stringify(whole.slice(0, 80))}`);
    return '';
  });
  // A ">" opening a line is Heed's own block quote (a feedback comment); anywhere else it is raw text.
  const raw = rest.replace(/(^|\n)>/g, '$1').search(/[<>]/);
  if (raw >= 0) problems.push(`raw < or > in ${JSON.stringify(rest.slice(0, 120))}`);
  const amp = /&(?!amp;|lt;|gt;)/.exec(rest);
  if (amp) problems.push(`unescaped & near ${JSON.stringify(rest.slice(amp.index, amp.index + 20))}`);
  // A customer's line break must not start a line of its own (a quote or bold line posing as Heed's).
  if (/(^|\n)\s*(&gt;|>)?\s*fake quote/.test(text)) problems.push('customer text starts a line of its own');
  problems.push(...characterProblems(text, true));
  return problems;
}

/** Characters no text Heed sends or prints may carry. */
export function characterProblems(text: string, lineBreaksAllowed: boolean): string[] {
  const problems: string[] = [];
  const control = CONTROL.exec(text);
  if (control) problems.push(`control character U+${control[0].codePointAt(0)!.toString(16).padStart(4, '0')}`);
  if (!lineBreaksAllowed && text.includes('\n')) problems.push('line break');
  if (/[\r\u2028\u2029]/.test(text)) problems.push('carriage return or Unicode line separator');
  const bidi = BIDI.exec(text);
  if (bidi) problems.push(`bidirectional control U+${bidi[0].codePointAt(0)!.toString(16)}`);
  if (LONE_SURROGATE.test(text)) problems.push('lone surrogate');
  return problems;
}

type Node = Record<string, unknown>;

/**
 * Every problem of a Slack payload (a message, a response or a Home view): Block Kit schema and limits, and
 * for each text what hostile input could have left in it. `where` prefixes each problem.
 */
export function payloadProblems(payload: Node, where: string, allowed: Allowed): string[] {
  // Only what the schema describes: the Web API's form encoding turns booleans such as unfurl_links into strings.
  const checked =
    payload['type'] === 'home'
      ? { type: 'home', blocks: payload['blocks'] }
      : { text: payload['text'], blocks: payload['blocks'] };
  const problems: string[] = blockKitProblems(checked).map((p) => `${where}: ${p}`);
  if (typeof payload['text'] === 'string') {
    problems.push(...mrkdwnProblems(payload['text'], allowed).map((p) => `${where} text: ${p}`));
  }
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        visit(child, `${path}[${i}]`);
      });
      return;
    }
    if (!node || typeof node !== 'object') return;
    const object = node as Node;
    if (object['type'] === 'mrkdwn' && typeof object['text'] === 'string') {
      problems.push(...mrkdwnProblems(object['text'], allowed).map((p) => `${where} ${path}: ${p}`));
    }
    if (object['type'] === 'plain_text' && typeof object['text'] === 'string') {
      // plain_text is shown as written (no mentions, no links), but still must not carry control characters.
      problems.push(...characterProblems(object['text'], false).map((p) => `${where} ${path}: ${p}`));
    }
    if (object['type'] === 'button') {
      const value = object['value'];
      if (typeof value === 'string' && value.length > 2000) problems.push(`${where} ${path}: value too long`);
      const url = object['url'];
      if (url !== undefined) {
        if (typeof url !== 'string' || !/^https?:\/\/[^\s<>|]+$/.test(url) || url.length > 3000) {
          problems.push(`${where} ${path}: bad button url ${JSON.stringify(String(url).slice(0, 80))}`);
        } else if (!allowed.urls.some((prefix) => url.startsWith(prefix))) {
          problems.push(`${where} ${path}: button url ${url.slice(0, 80)} not Heed's`);
        }
      }
    }
    for (const [key, child] of Object.entries(object)) {
      if (key !== 'text' || typeof child !== 'string') visit(child, `${path}.${key}`);
    }
  };
  visit(payload['blocks'], 'blocks');
  return problems;
}

/** Problems of text printed on a terminal: no escape sequences, control characters or bidi overrides. */
export function terminalProblems(text: string, where: string): string[] {
  const problems = characterProblems(text, true).map((p) => `${where}: ${p}`);
  if (/\[31m|\]0;|\[2J/.test(text)) problems.push(`${where}: remains of an escape sequence`);
  return problems;
}
