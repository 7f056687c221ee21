// manifest.json must be valid for Slack and declare exactly what Heed uses: every command and event
// handled in code, no others; the bot scopes the Web API methods and events in use need, no others.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseDigestArgs, parseHeed, parseScope, parseTeamOnly } from '../../src/slack/command-args.ts';
import {
  HANDLED_ACTIONS,
  HANDLED_COMMANDS,
  HANDLED_EVENTS,
  RENDERED_ACTION_IDS,
} from '../../src/slack/listeners/register.ts';
import { sharedPath, skipWithoutShared } from '../support/shared.ts';

const SPECS = sharedPath('specs', 'slack');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const manifest = readJson(join(import.meta.dirname, '../../manifest.json')) as {
  features: {
    slash_commands: { command: string; url: string; should_escape: boolean; usage_hint?: string }[];
    app_home: { home_tab_enabled: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { bot_events: string[]; request_url: string };
    interactivity: { is_enabled: boolean; request_url: string };
  };
};

function validator() {
  skipWithoutShared();
  const ajv = new Ajv({ strict: false, allErrors: true });
  const base = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas';
  ajv.addSchema(readJson(`${SPECS}/manifest.schema.1.0.0.json`), `${base}/manifest.schema.1.0.0.json`);
  ajv.addSchema(readJson(`${SPECS}/manifest.schema.2.0.0.json`), `${base}/manifest.schema.2.0.0.json`);
  return ajv.compile(readJson(`${SPECS}/manifest.schema.json`));
}

/** Bot scopes each Web API method and event Heed uses needs (web-api-methods.json, plus Slack's docs for the rest). */
const METHOD_SCOPES: Record<string, string[]> = {
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.getPermalink': [],
  // A note only the person whose reaction was refused sees.
  'chat.postEphemeral': ['chat:write'],
  // The outbox's probe while a refused token pauses it.
  'auth.test': [],
  'conversations.join': ['channels:join'],
  // Crash recovery reads a channel's recent history (public, private or DM) for its own posts' metadata.
  'conversations.history': ['channels:history', 'groups:history', 'im:history'],
  'conversations.replies': ['channels:history', 'groups:history', 'im:history'],
  'conversations.open': ['im:write'],
  'users.lookupByEmail': ['users:read', 'users:read.email'],
  'users.info': ['users:read'],
  'views.publish': [],
  // A team's allowedUserGroup: who may act on others' tickets and post its digest.
  'usergroups.users.list': ['usergroups:read'],
};
const EVENT_SCOPES: Record<string, string[]> = {
  reaction_added: ['reactions:read'],
  reaction_removed: ['reactions:read'],
  app_home_opened: [],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Web API methods called anywhere in src/ (apiCall('x.y') or client.x.y(…)), except in the fake server. */
function methodsUsed(): Set<string> {
  const used = new Set<string>();
  for (const file of sourceFiles(join(import.meta.dirname, '../../src'))) {
    if (file.endsWith('fake-slack-server.ts')) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /apiCall\(\s*(?:[^,]*\?\s*)?'([a-z]+(?:\.[a-zA-Z]+)+)'(?:\s*:\s*'([a-z]+(?:\.[a-zA-Z]+)+)')?/g,
    )) {
      used.add(m[1]!);
      if (m[2]) used.add(m[2]);
    }
    for (const m of text.matchAll(/\bmethod = '([a-z]+\.[a-zA-Z]+)'/g)) used.add(m[1]!);
    for (const m of text.matchAll(/client\.(chat|views|users|conversations|reactions|usergroups)\.([a-zA-Z]+)\(/g))
      used.add(`${m[1]}.${m[2]}`);
  }
  return used;
}

describe('manifest.json', () => {
  it("validates against Slack's manifest schema (offline)", () => {
    const validate = validator();
    expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
  });

  it('the schema check is real: a command without its leading slash fails', () => {
    const broken = structuredClone(manifest);
    broken.features.slash_commands[0]!.command = 'unanswered';
    expect(validator()(broken)).toBe(false);
  });

  it('declares exactly the commands handled in code, each escaped and pointed at /slack/events', () => {
    expect(manifest.features.slash_commands.map((c) => c.command).sort()).toEqual([...HANDLED_COMMANDS].sort());
    for (const c of manifest.features.slash_commands) {
      expect(c.url.endsWith('/slack/events')).toBe(true);
      expect(c.should_escape).toBe(true); // mentions arrive as <@U…|name>, which the parser expects
    }
  });

  it('subscribes to exactly the events handled in code, with interactivity and the Home tab on', () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([...HANDLED_EVENTS].sort());
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url.endsWith('/slack/events')).toBe(true);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
  });

  it('asks for exactly the bot scopes the methods and events in use need', () => {
    const used = methodsUsed();
    expect([...used].sort()).toEqual(Object.keys(METHOD_SCOPES).sort());
    for (const method of [
      'chat.postMessage',
      'chat.update',
      'conversations.history',
      'users.lookupByEmail',
      'views.publish',
    ]) {
      expect(used.has(method), method).toBe(true);
    }
    const unknown = [...used].filter((m) => !(m in METHOD_SCOPES));
    expect(unknown, 'a method is called whose scopes this test does not know').toEqual([]);
    const needed = new Set([
      'commands',
      ...[...used].flatMap((m) => METHOD_SCOPES[m]!),
      ...HANDLED_EVENTS.flatMap((e) => EVENT_SCOPES[e]!),
    ]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });

  it('every button the renderers draw has a listener, and every action listener belongs to a button', () => {
    expect([...new Set(RENDERED_ACTION_IDS)].sort()).toEqual([...new Set(HANDLED_ACTIONS)].sort());
  });

  // A hint offers words (typed as shown) and <placeholders> (filled in): every way it can be read must be
  // accepted by the command's parser, so the hint never offers something the command refuses.
  it.each([
    ['/unanswered', (text: string) => parseScope(text, TEAMS)],
    ['/slow', (text: string) => parseTeamOnly(text, TEAMS)],
    ['/digest', (text: string) => parseDigestArgs(text, TEAMS)],
    ['/heed', (text: string) => parseHeed(text)],
  ])('the usage hint of %s offers only what the command accepts', (command, parse) => {
    const hint = manifest.features.slash_commands.find((c) => c.command === command)?.usage_hint ?? '';
    const readings = hintReadings(hint);
    expect(readings.length).toBeGreaterThan(1);
    for (const reading of readings) {
      const text = reading
        .replace(/<team>/g, 'billing')
        .replace(/@user/g, '<@U0TEST|someone>')
        .replace(/<ticket>/g, '1234')
        .replace(/<duration>/g, '2h');
      expect(parse(text).ok, `${command} ${text}`).toBe(true);
    }
    // Nothing in a hint is a placeholder written as a plain word (as "team" once was).
    expect(hint).not.toMatch(/(^|[[|\s])team([\]|\s]|$)/);
  });
});

const TEAMS = ['support', 'billing'];

/**
 * Every text a hint like "[a | b] [post]", "help | mute <duration>" or "status | stats [@user | <team>] [7d | 30d]"
 * describes: each alternative at the top level, its optional parts included or not.
 */
function hintReadings(hint: string): string[] {
  const alternatives: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of hint) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === '|' && depth === 0) {
      alternatives.push(current.trim());
      current = '';
    } else current += ch;
  }
  alternatives.push(current.trim());
  return [...new Set(alternatives.flatMap(expandOptional))];
}

/** "[a | b] [post]": each optional group left out or one of its choices, the words outside kept. */
function expandOptional(alternative: string): string[] {
  let readings = [''];
  for (const part of alternative.split(/(\[[^\]]*\])/).filter((p) => p.trim() !== '')) {
    const group = /^\[([^\]]*)\]$/.exec(part);
    const choices = group ? ['', ...group[1]!.split('|').map((c) => c.trim())] : [part.trim()];
    readings = readings.flatMap((r) => choices.map((c) => `${r} ${c}`.trim()));
  }
  return readings;
}
