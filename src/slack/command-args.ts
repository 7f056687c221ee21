// Parsing of slash command arguments. Pure: the listeners turn a failure into the usage text,
// never an error trace. Commands are declared with should_escape=true, so mentions arrive as
// `<@U123|name>` and links as `<https://…>`.

import { isZeroDuration, parseDuration } from '../domain/duration.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export type Scope =
  | { kind: 'default' }
  | { kind: 'me' }
  | { kind: 'user'; userId: string }
  | { kind: 'team'; team: string }
  /** The word "team": the team of the channel the command was typed in. */
  | { kind: 'channelTeam' }
  | { kind: 'all' };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

function words(text: string): string[] {
  return text.trim().split(/\s+/).filter(Boolean);
}

/** Case-insensitive match of a team name (names may contain spaces). */
export function matchTeam(arg: string, teamNames: readonly string[]): string | undefined {
  const wanted = arg.trim().replace(/^#/, '').toLowerCase();
  return teamNames.find((name) => name.toLowerCase() === wanted);
}

const USER_MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;

export function parseScope(text: string, teamNames: readonly string[]): Parsed<Scope> {
  const arg = text.trim();
  if (arg === '') return ok({ kind: 'default' });
  if (arg.toLowerCase() === 'me') return ok({ kind: 'me' });
  if (arg.toLowerCase() === 'all') return ok({ kind: 'all' });
  const mention = USER_MENTION.exec(arg);
  if (mention) return ok({ kind: 'user', userId: mention[1]! });
  if (arg.startsWith('@')) return fail(`I couldn't tell who "${arg}" is — pick them from Slack's @-autocomplete.`);
  const team = matchTeam(arg, teamNames);
  if (team) return ok({ kind: 'team', team });
  // After the names: a team called "team" is still found by its name.
  if (arg.toLowerCase() === 'team') return ok({ kind: 'channelTeam' });
  return fail(`"${arg}" is not a team I know (teams: ${teamNames.join(', ') || 'none configured'}).`);
}

export function parseTeamOnly(text: string, teamNames: readonly string[]): Parsed<{ team?: string | undefined }> {
  const arg = text.trim();
  if (arg === '' || arg.toLowerCase() === 'all') return ok({});
  const team = matchTeam(arg, teamNames);
  return team
    ? ok({ team })
    : fail(`"${arg}" is not a team I know (teams: ${teamNames.join(', ') || 'none configured'}).`);
}

export function parseDigestArgs(
  text: string,
  teamNames: readonly string[],
): Parsed<{ team?: string | undefined; post: boolean }> {
  const parts = words(text);
  const post = parts.length > 0 && parts[parts.length - 1]!.toLowerCase() === 'post';
  const rest = (post ? parts.slice(0, -1) : parts).join(' ');
  if (rest === '') return ok({ post });
  const team = matchTeam(rest, teamNames);
  return team
    ? ok({ team, post })
    : fail(`"${rest}" is not a team I know (teams: ${teamNames.join(', ') || 'none configured'}).`);
}

export const MAX_DURATION_MS = 7 * 24 * 60 * 60 * 1000;

/** A snooze or mute: `90m`, `2h`, `1h30m`, `1d` (the domain's grammar; a day here is 24 hours); at most 7 days. */
export function parseWaitDuration(text: string): Parsed<number> {
  const duration = parseDuration(text);
  if (!duration) return fail(`"${text}" is not a duration — try 30m, 2h, 1h30m or 1d.`);
  if (isZeroDuration(duration)) return fail('The duration must be more than zero.');
  const ms = (duration.days * 1440 + duration.minutes) * 60_000;
  if (ms > MAX_DURATION_MS) return fail('The longest duration is 7d.');
  return ok(ms);
}

/** A ticket id, `#id`, or a HubSpot ticket URL (as pasted, possibly wrapped in <…> by Slack). */
export function parseTicketRef(text: string): Parsed<string> {
  const arg = text.trim().replace(/^<(.*?)(?:\|[^>]*)?>$/, '$1');
  const plainId = /^#?(\d{1,20})$/.exec(arg);
  if (plainId) return ok(plainId[1]!);
  const url = /^https?:\/\/[^\s]+\/(?:record\/0-5|ticket)\/(\d{1,20})(?:[/?#].*)?$/.exec(arg);
  if (url) return ok(url[1]!);
  return fail(`"${text}" is not a ticket — use its number (e.g. 1234) or its HubSpot link.`);
}

export type HeedCommand =
  | { name: 'help' }
  | { name: 'status' }
  | { name: 'snooze'; ticketId: string; durationMs: number }
  | { name: 'mute'; durationMs: number }
  | { name: 'unmute' }
  | { name: 'whois'; ticketId: string }
  /** The personal morning list: `/heed daily on|off|status` (bare `daily` is `status`). */
  | { name: 'daily'; action: 'on' | 'off' | 'status' }
  /** `stats [@user | team | me | all] [7d | 30d]`: `target` is parsed with the team names (parseScope). */
  | { name: 'stats'; target: string; days: StatsDays };

/** The periods `/heed stats` offers: a week, a month. */
export const STATS_DAYS = [7, 30] as const;
export type StatsDays = (typeof STATS_DAYS)[number];

/** `[target] [7d | 30d]`: the period, if given, is the last word; a word that looks like one must be one. */
export function parseStatsArgs(rest: readonly string[]): Parsed<{ target: string; days: StatsDays }> {
  const last = rest.at(-1);
  if (last !== undefined && /^\d+[a-z]+$/i.test(last)) {
    const days = STATS_DAYS.find((d) => last.toLowerCase() === `${d}d`);
    if (days === undefined) return fail(`"${last.slice(0, 20)}" is not a period I offer — use 7d or 30d.`);
    return ok({ target: rest.slice(0, -1).join(' '), days });
  }
  return ok({ target: rest.join(' '), days: 7 });
}

export function parseHeed(text: string): Parsed<HeedCommand> {
  const [sub = 'help', ...rest] = words(text);
  switch (sub.toLowerCase()) {
    case 'help':
      return rest.length === 0 ? ok({ name: 'help' }) : fail('`help` takes no arguments.');
    case 'status':
      return rest.length === 0 ? ok({ name: 'status' }) : fail('`status` takes no arguments.');
    case 'unmute':
      return rest.length === 0 ? ok({ name: 'unmute' }) : fail('`unmute` takes no arguments.');
    case 'mute': {
      if (rest.length !== 1) return fail('`mute` needs a duration, e.g. `/heed mute 2h`.');
      const d = parseWaitDuration(rest[0]!);
      return d.ok ? ok({ name: 'mute', durationMs: d.value }) : d;
    }
    case 'whois': {
      if (rest.length !== 1) return fail('`whois` needs a ticket, e.g. `/heed whois 1234`.');
      const t = parseTicketRef(rest[0]!);
      return t.ok ? ok({ name: 'whois', ticketId: t.value }) : t;
    }
    case 'snooze': {
      if (rest.length !== 2) return fail('`snooze` needs a ticket and a duration, e.g. `/heed snooze 1234 2h`.');
      const t = parseTicketRef(rest[0]!);
      if (!t.ok) return t;
      const d = parseWaitDuration(rest[1]!);
      return d.ok ? ok({ name: 'snooze', ticketId: t.value, durationMs: d.value }) : d;
    }
    case 'daily': {
      const action = (rest[0] ?? 'status').toLowerCase();
      const actions = ['on', 'off', 'status'] as const;
      const known = actions.find((a) => a === action);
      if (rest.length > 1 || !known) return fail('`daily` takes `on`, `off` or `status`, e.g. `/heed daily on`.');
      return ok({ name: 'daily', action: known });
    }
    case 'stats': {
      const args = parseStatsArgs(rest);
      return args.ok ? ok({ name: 'stats', ...args.value }) : args;
    }
    default:
      return fail(`I don't know \`${sub.slice(0, 40)}\`.`);
  }
}
