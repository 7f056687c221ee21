// Slack mrkdwn, built so that outside text can only reach a message escaped.
//
// Everything Heed shows that it did not write itself — subjects, names, companies, comments, survey types from
// HubSpot; whatever a person typed after a slash command; even policy values — is outside text. Slack parses
// `&`, `<` and `>` in mrkdwn fields AND in a message's top-level `text` (which push notifications show), so
// `<!channel>` in a ticket subject would notify a whole channel. The types make the safe path the only easy one:
//
// - `Mrkdwn` is a string Heed vouches for. Block builders (./blocks.ts) and `RenderedMessage.text` take only
//   `Mrkdwn`, so a plain `string` does not type-check there.
// - There are few ways to make one: `safe(outside)` (THE escaping function: printable, escaped, capped),
//   the `md` template for Heed's own wording — its literal parts are Heed's, and every value interpolated must
//   already be `Mrkdwn` or a number, so `md\`Subject: ${ticket.subject}\`` is a type error — and the
//   builders below (`link`, `mention`, `slackDate`, `fromNote`). Nothing else casts to `Mrkdwn` (a test checks).
//
// Only `&`, `<` and `>` are escaped (escaping more, or HTML-encoding, would show entities to readers). `*`, `_`,
// `~` and backticks in outside text may still style it; they cannot mention, link or broadcast, and outside text
// is kept on one line so it cannot open a quote or a line that poses as Heed's.

declare const MRKDWN: unique symbol;
/** Text ready for a mrkdwn field or a message's `text`: any outside text in it has been escaped. */
export type Mrkdwn = string & { readonly [MRKDWN]: true };

const vouch = (text: string): Mrkdwn => text as Mrkdwn;

// ------------------------------------------------------------------------------------------ printable text

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Terminal escape sequences as a whole (CSI, OSC, and two-character ESC sequences, 7- and 8-bit), so no
// "[31m" is left behind once the ESC is gone.
const ESCAPE_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what is being removed.
  /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u009d[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[@-Z\\-_]/g;
// Explicit bidirectional formatting (overrides, embeddings, isolates, marks): they reorder what a reader sees.
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is being removed.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F]/g;
const LINE_BREAK = /\r\n|[\r\n\u0085\u2028\u2029]/g;

/**
 * Text made safe to show anywhere (Slack or a terminal), its layout kept: well-formed UTF-16 (a lone surrogate
 * becomes U+FFFD: it has no UTF-8 form to send), no terminal escape sequences, control characters or bidi
 * controls; every line break a "\n", tabs spaces.
 */
export function stripUnprintable(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(ESCAPE_SEQUENCE, '')
    .replace(BIDI, '')
    .replace(LINE_BREAK, '\n')
    .replace(CONTROL, '')
    .replace(/\t/g, ' ');
}

/** Outside text made safe to show (see stripUnprintable) and put on one line, runs of white space one space. */
export function printable(text: string): string {
  return stripUnprintable(text).replace(/\s+/g, ' ').trim();
}

const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The largest index ≤ `at` that does not split a character or an emoji sequence. */
function boundaryAtOrBefore(text: string, at: number): number {
  if (at >= text.length) return text.length;
  let from = Math.max(0, at - 64);
  // Never start the window on the second half of a surrogate pair.
  if (from > 0 && /[\uDC00-\uDFFF]/.test(text[from]!)) from--;
  let best = from;
  // The window runs one code point past `at`, so the boundary before it is judged on whole characters.
  for (const { index } of GRAPHEMES.segment(text.slice(from, at + 2))) {
    if (from + index <= at) best = from + index;
  }
  return best;
}

/** Cut to at most `max` UTF-16 units (what Slack's limits count, or more), marking the cut with "…". */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, boundaryAtOrBefore(text, Math.max(0, max - 1)))}…`;
}

/** Text for a plain_text field: shown as written by Slack (no mentions, no links), so only made printable. */
export function plainText(text: string, max: number): string {
  return truncate(printable(text), max) || '—';
}

// ------------------------------------------------------------------------------------------------ escaping

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const escapeAll = (text: string) => text.replace(/[&<>]/g, (c) => ENTITY[c]!);

/**
 * THE way outside text enters a message: made printable (one line), `&`, `<`, `>` escaped, and cut so that
 * the escaped form has at most `max` characters (escaping can grow text fivefold, so cutting first would not
 * keep Block Kit limits), never inside an entity, a character or an emoji.
 */
export function safe(text: string | number, max = 3000): Mrkdwn {
  const clean = printable(String(text));
  let length = 0;
  let fits = 0;
  for (; fits < clean.length; fits++) {
    const grows = ENTITY[clean[fits]!]?.length ?? 1;
    if (length + grows > max) break;
    length += grows;
  }
  if (fits === clean.length) return vouch(escapeAll(clean));
  // Room for the "…": back off until the escaped prefix plus one character fits.
  let end = fits;
  while (end > 0 && length + 1 > max) {
    end--;
    length -= ENTITY[clean[end]!]?.length ?? 1;
  }
  return vouch(`${escapeAll(clean.slice(0, boundaryAtOrBefore(clean, end)))}…`);
}

/**
 * Heed's own mrkdwn with values in it. The literal parts are Heed's; every value must already be `Mrkdwn`
 * (escaped outside text, a mention, a link, a date) or a number — a raw string is a type error.
 */
export function md(strings: TemplateStringsArray, ...values: readonly (Mrkdwn | number)[]): Mrkdwn {
  let out = strings[0] ?? '';
  for (const [i, value] of values.entries()) out += String(value) + (strings[i + 1] ?? '');
  return vouch(out);
}

/** Joins mrkdwn parts with one of Heed's separators. */
export function joinMd(parts: readonly Mrkdwn[], separator: '\n' | ' · ' | ', ' | '; ' | ' '): Mrkdwn {
  return vouch(parts.join(separator));
}

/**
 * Mrkdwn cut to `max` characters with "…", never inside a `<…>` token (a mention, a link or a date would show
 * as raw text, or swallow what follows) nor inside an entity or a character.
 */
export function cut(text: Mrkdwn, max: number): Mrkdwn {
  if (text.length <= max) return text;
  let end = boundaryAtOrBefore(text, Math.max(0, max - 1));
  const open = text.lastIndexOf('<', end - 1);
  const close = open >= 0 ? text.indexOf('>', open) : -1;
  if (open >= 0 && (close < 0 || close >= end)) end = open;
  const amp = text.lastIndexOf('&', end - 1);
  if (amp >= 0 && !text.slice(amp, end).includes(';')) end = amp;
  return vouch(`${text.slice(0, end).trimEnd()}…`);
}

// ---------------------------------------------------------------------------------------- Heed's own tokens

const SAFE_URL = /^https?:\/\/[a-z0-9][^\s<>|"'`\\]*$/i;

/**
 * A URL Heed may put in a link or a button: http(s) to a host name, no spaces or mrkdwn characters, within
 * Slack's limits. (Record links are built from the portal's domain as HubSpot reports it.)
 */
export function safeUrl(url: string | undefined): string | undefined {
  if (url === undefined || url.length > 2000 || !SAFE_URL.test(url)) return undefined;
  try {
    const { hostname } = new URL(url);
    return /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(hostname) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** A link whose label is outside text; an unusable URL leaves the label alone. `|` would end the label early. */
export function link(url: string | undefined, label: string, max = 150): Mrkdwn {
  const text = vouch(safe(label, max).replace(/\|/g, '¦'));
  const target = safeUrl(url);
  return target ? vouch(`<${target.replace(/&/g, '&amp;')}|${text}>`) : text;
}

const SLACK_USER_ID = /^[UWB][A-Z0-9]{2,}$/;

/** A mention of a Slack user by id (ids come from Slack); anything that is not an id is shown as text. */
export function mention(slackUserId: string): Mrkdwn {
  return SLACK_USER_ID.test(slackUserId) ? vouch(`<@${slackUserId}>`) : safe(slackUserId, 40);
}

/** A link to a channel by id (from the policy file); a "#name" is shown as text. */
export function channelLink(channel: string): Mrkdwn {
  return /^[CGD][A-Z0-9]{2,}$/.test(channel) ? vouch(`<#${channel}>`) : safe(channel, 80);
}

/** Shown in each reader's own time zone; the fallback (UTC) is what notifications show. */
export function slackDate(at: Date, format = '{date_short_pretty} {time}'): Mrkdwn {
  const unix = Math.floor(at.getTime() / 1000);
  const fallback = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return vouch(`<!date^${unix}^${format.replace(/[|<>]/g, '')}|${fallback}>`);
}

/**
 * A note written by a service (e.g. "Only <@U1> can undo their handled"), which is a string, not `Mrkdwn`:
 * everything escaped except user mentions and Slack dates, so a note can name people and times but can never
 * broadcast or link, whatever ends up in it.
 */
export function fromNote(text: string): Mrkdwn {
  return vouch(
    safe(text, 2900)
      .replace(/&lt;@([UW][A-Z0-9]{2,})&gt;/g, '<@$1>')
      .replace(/&lt;(!date\^\d+\^[^|&]*\|[^&]*)&gt;/g, '<$1>'),
  );
}

/** Wall-clock time: minutes, hours, then 24-hour days (just days from a week on: "344d", not "344d 17h"). */
export function formatMinutes(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return `${m}m`;
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  if (hours < 24) return rest ? `${hours}h ${rest}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  const h = hours % 24;
  return h && days < 7 ? `${days}d ${h}h` : `${days}d`;
}
