// manifest.json must be valid for Slack and declare exactly what Heed uses: every command and event
// handled in code, no others; the bot scopes the Web API methods and events in use need, no others.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
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
    slash_commands: { command: string; url: string; should_escape: boolean }[];
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
  'conversations.join': ['channels:join'],
  // Crash recovery reads a channel's recent history (public, private or DM) for its own posts' metadata.
  'conversations.history': ['channels:history', 'groups:history', 'im:history'],
  'conversations.replies': ['channels:history', 'groups:history', 'im:history'],
  'conversations.open': ['im:write'],
  'users.lookupByEmail': ['users:read', 'users:read.email'],
  'users.info': ['users:read'],
  'views.publish': [],
  // A team's allowedUserGroup: who may post its digest or snooze others' tickets.
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
});
