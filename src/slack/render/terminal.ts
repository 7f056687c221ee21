// Slack messages as readable terminal text: what a channel shows, for `heed demo` (and anything else that wants
// to print a rendered message). Works on the Block Kit subset Heed sends (./blocks.ts) and on mrkdwn: links show
// their label, mentions the person's name, <!date> tokens the time in a given zone, :emoji: codes the emoji,
// *bold* bold (or plain, without colour), buttons as [Open in HubSpot]. Pure: colour is a parameter.

import { stripUnprintable } from './mrkdwn.ts';

export interface TerminalStyle {
  readonly colour: boolean;
  bold(text: string): string;
  dim(text: string): string;
  italic(text: string): string;
  underline(text: string): string;
  strike(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

/** ANSI styles when `colour` (stdout is a terminal), identity functions otherwise. */
export function terminalStyle(colour: boolean): TerminalStyle {
  if (!colour) {
    const same = (text: string) => text;
    return {
      colour,
      bold: same,
      dim: same,
      italic: same,
      underline: same,
      strike: same,
      red: same,
      yellow: same,
      green: same,
      cyan: same,
    };
  }
  return {
    colour,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    italic: sgr(3, 23),
    underline: sgr(4, 24),
    strike: sgr(9, 29),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    green: sgr(32, 39),
    cyan: sgr(36, 39),
  };
}

export interface TerminalRenderOptions {
  style: TerminalStyle;
  /** Slack user id → name, so mentions read "@Ada Okafor" rather than "@U0123". */
  people?: ReadonlyMap<string, string> | undefined;
  /** Channel id → name, for <#C…> links. */
  channels?: ReadonlyMap<string, string> | undefined;
  /** The zone <!date> tokens are shown in (Slack shows each reader their own); UTC when absent. */
  timeZone?: string | undefined;
}

/** The emoji Heed's messages use, and a few common ones; unknown codes stay as typed. */
const EMOJI: Record<string, string> = {
  rotating_light: '🚨',
  hourglass_flowing_sand: '⏳',
  hourglass: '⌛',
  white_check_mark: '✅',
  speech_balloon: '💬',
  eyes: '👀',
  zzz: '💤',
  tada: '🎉',
  sparkles: '✨',
  raised_hands: '🙌',
  red_circle: '🔴',
  large_orange_circle: '🟠',
  large_blue_circle: '🔵',
  white_circle: '⚪',
  chart_with_downwards_trend: '📉',
  chart_with_upwards_trend: '📈',
  warning: '⚠️',
  bell: '🔔',
  wave: '👋',
  inbox_tray: '📥',
  no_entry_sign: '🚫',
  wastebasket: '🗑️',
  arrow_right: '➡️',
  large_green_circle: '🟢',
};

/** Lines that start with these read in the colour of their meaning. */
const LINE_COLOUR: [string, keyof Pick<TerminalStyle, 'red' | 'yellow' | 'green'>][] = [
  [':rotating_light:', 'red'],
  [':hourglass_flowing_sand:', 'yellow'],
  [':speech_balloon:', 'yellow'],
  [':white_check_mark:', 'green'],
];

/**
 * Escape sequences, control and bidi characters out (text must not move the cursor, change colours or reorder
 * what is shown), keeping line breaks; Heed's own styling is added afterwards.
 */
export function stripControl(text: string): string {
  return stripUnprintable(text);
}

const unescapeEntities = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const DATE_FORMATS: Record<string, Intl.DateTimeFormatOptions> = {
  date_short_pretty: { weekday: 'short', day: 'numeric', month: 'short' },
  date_short: { day: 'numeric', month: 'short', year: 'numeric' },
  date: { day: 'numeric', month: 'long', year: 'numeric' },
  date_long: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' },
  date_pretty: { day: 'numeric', month: 'long', year: 'numeric' },
  date_long_pretty: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' },
  time: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  time_secs: { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' },
};

/** `<!date^unix^{date_short_pretty} {time}|fallback>` as Slack would show it to a reader in `timeZone`. */
export function formatSlackDate(unix: number, format: string, timeZone = 'UTC'): string {
  const at = new Date(unix * 1000);
  let usedTime = false;
  const text = format.replace(/\{(\w+)\}/g, (whole, token: string) => {
    const options = DATE_FORMATS[token];
    if (!options) return whole;
    if (token.startsWith('time')) usedTime = true;
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(at);
  });
  if (!usedTime) return text;
  // The zone's short name ("CET", "GMT+2"), so a time is never ambiguous on a shared screen.
  const zone =
    new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'short' })
      .formatToParts(at)
      .find((part) => part.type === 'timeZoneName')?.value ?? timeZone;
  return `${text} ${zone}`;
}

/** One mrkdwn string as terminal text (several lines when the text has line breaks). */
export function mrkdwnToTerminal(text: string, options: TerminalRenderOptions): string {
  const { style } = options;
  let out = stripControl(text).replace(/<([^<>\n]*)>/g, (_whole, inner: string) => {
    const [target = '', label] = splitOnce(inner, '|');
    if (target.startsWith('@')) {
      const id = target.slice(1);
      return style.cyan(`@${options.people?.get(id) ?? label ?? id}`);
    }
    if (target.startsWith('#')) {
      const id = target.slice(1);
      return style.cyan(`#${label ?? options.channels?.get(id) ?? id}`);
    }
    if (target.startsWith('!date^')) {
      const [, unix, format] = target.split('^');
      const seconds = Number(unix);
      if (!Number.isFinite(seconds) || format === undefined) return label ?? '';
      return formatSlackDate(seconds, format, options.timeZone);
    }
    if (target.startsWith('!subteam^')) return style.cyan(`@${label ?? target.slice(9)}`);
    if (target.startsWith('!')) return style.cyan(`@${target.slice(1)}`);
    return label === undefined ? style.underline(target) : style.underline(label);
  });
  // Markers only count at word edges, as in Slack ("2*3*4" stays as typed).
  out = out
    .replace(
      /(^|[\s(>"'“])\*([^*\n]+)\*(?=$|[\s.,;:!?)"'”])/g,
      (_m, pre: string, body: string) => pre + style.bold(body),
    )
    .replace(
      /(^|[\s(>"'“])_([^_\n]+)_(?=$|[\s.,;:!?)"'”])/g,
      (_m, pre: string, body: string) => pre + style.italic(body),
    )
    .replace(
      /(^|[\s(>"'“])~([^~\n]+)~(?=$|[\s.,;:!?)"'”])/g,
      (_m, pre: string, body: string) => pre + style.strike(body),
    )
    // Code spans lose their backticks: commands and sparklines read better bare.
    .replace(/`([^`\n]+)`/g, (_m, body: string) => style.cyan(body));
  return unescapeEntities(emojify(out));
}

function emojify(text: string): string {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

type LooseText = { type?: unknown; text?: unknown };
type LooseBlock = {
  type?: unknown;
  text?: LooseText;
  fields?: LooseText[];
  elements?: (LooseText & { url?: unknown; style?: unknown })[];
};

const textOf = (value: LooseText | undefined): string => (typeof value?.text === 'string' ? value.text : '');

function colourLine(raw: string, rendered: string, style: TerminalStyle): string {
  const match = LINE_COLOUR.find(([prefix]) => raw.startsWith(prefix));
  return match ? style[match[1]](rendered) : rendered;
}

function textLines(raw: string, options: TerminalRenderOptions): string[] {
  return raw.split('\n').map((line) => {
    // A quote (mrkdwn's leading ">"; user text's own ">" arrives escaped as &gt;).
    const quote = /^>\s?(.*)$/.exec(line);
    if (quote) return `${options.style.dim('▎')} ${options.style.italic(mrkdwnToTerminal(quote[1]!, options))}`;
    return colourLine(line, mrkdwnToTerminal(line, options), options.style);
  });
}

/**
 * A message (text + blocks, as posted) as terminal lines, without indentation. Blocks Heed does not send are
 * shown by their text if they have any, so nothing posted goes missing from the picture.
 */
export function renderMessageLines(
  message: { text: string; blocks?: readonly unknown[] | undefined },
  options: TerminalRenderOptions,
): string[] {
  const { style } = options;
  const blocks = (message.blocks ?? []) as LooseBlock[];
  if (blocks.length === 0) return textLines(message.text, options);
  const lines: string[] = [];
  for (const block of blocks) {
    switch (block.type) {
      case 'header':
        // plain_text: no markup, but Slack still shows :emoji: codes as emoji.
        lines.push(style.bold(emojify(stripControl(textOf(block.text)).replace(/\n/g, ' '))));
        break;
      case 'section': {
        if (block.text) lines.push(...textLines(textOf(block.text), options));
        const fields = (block.fields ?? []).map((field) => {
          const [label = '', value] = splitOnce(textOf(field), '\n');
          // "*Owner*\nAda" → a label column and a value; a field without a label is shown whole.
          const bare = /^\*([^*\n]+)\*$/.exec(label.trim());
          return bare && value !== undefined
            ? { label: bare[1]!, value: mrkdwnToTerminal(value.replace(/\n/g, ' '), options) }
            : { label: '', value: mrkdwnToTerminal(textOf(field).replace(/\n/g, ' '), options) };
        });
        const width = Math.max(0, ...fields.map((f) => f.label.length));
        for (const field of fields) {
          lines.push(field.label ? `${style.dim(field.label.padEnd(width))}  ${field.value}` : field.value);
        }
        break;
      }
      case 'context': {
        const parts = (block.elements ?? []).map((element) => mrkdwnToTerminal(textOf(element), options));
        if (parts.length > 0) lines.push(style.dim(parts.join(' · ')));
        break;
      }
      case 'actions': {
        const buttons = (block.elements ?? []).filter((element) => element.type === 'button');
        if (buttons.length === 0) break;
        lines.push(
          buttons
            .map((button) => {
              const label = `[${stripControl(textOf(button.text as LooseText))}]`;
              return button.style === 'primary'
                ? style.green(label)
                : button.style === 'danger'
                  ? style.red(label)
                  : style.bold(label);
            })
            .join(' '),
        );
        // A link button's target is worth seeing: it is where the person would go.
        for (const button of buttons) {
          if (typeof button.url === 'string') {
            lines.push(style.dim(`${stripControl(textOf(button.text as LooseText))}: ${stripControl(button.url)}`));
          }
        }
        break;
      }
      case 'divider':
        lines.push(style.dim('─'.repeat(40)));
        break;
      default: {
        const text = textOf(block.text);
        if (text) lines.push(...textLines(text, options));
      }
    }
  }
  return lines;
}
