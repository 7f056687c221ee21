// The project app in hubspot-app/ must be exactly the app Heed needs: the developer platform's file format
// (2026.03), a static-token private app, the scopes Heed's code uses and `heed doctor` checks — nothing more — and
// webhook subscriptions for the ticket properties Heed reads. Which scope a call needs comes from HubSpot's 2026-09
// specs (each operation's security), so a new call without its scope fails here, and so does a scope nothing uses.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TICKET_PROPERTIES } from '../../src/hubspot/map.ts';
import { HEED_SCOPES, optionalScopes, requiredScopes } from '../../src/hubspot/scopes.ts';
import { sharedPath, skipWithoutShared } from '../support/shared.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const read = (path: string) => JSON.parse(readFileSync(`${ROOT}${path}`, 'utf8')) as Record<string, unknown>;
const SPECS = sharedPath('specs', 'hubspot', '2026-09');
const spec = (file: string) => {
  skipWithoutShared();
  return JSON.parse(readFileSync(`${SPECS}/${file}`, 'utf8')) as {
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  };
};

type App = {
  uid: string;
  type: string;
  config: {
    distribution: string;
    auth: { type: string; requiredScopes: string[]; optionalScopes: string[]; conditionallyRequiredScopes: string[] };
  };
};

/**
 * The calls Heed makes, each with the spec operation it is and, for the generic objects spec, the object type whose
 * scope it needs (that spec lists every object's scopes as alternatives).
 */
const CALLS: { call: string; file: string; path: string; method: string; objectScopeOf?: string }[] = [
  { call: 'account details', file: 'accountInfo.json', path: '/account-info/2026-09/details', method: 'get' },
  { call: 'owners', file: 'crmOwners.json', path: '/crm/owners/2026-09', method: 'get' },
  { call: 'ticket list', file: 'tickets.json', path: '/crm/objects/2026-09/{objectType}', method: 'get' },
  { call: 'ticket search', file: 'tickets.json', path: '/crm/objects/2026-09/{objectType}/search', method: 'post' },
  {
    call: 'ticket batch read',
    file: 'tickets.json',
    path: '/crm/objects/2026-09/{objectType}/batch/read',
    method: 'post',
  },
  {
    call: 'ticket owner change',
    file: 'tickets.json',
    path: '/crm/objects/2026-09/{objectType}/{objectId}',
    method: 'patch',
  },
  { call: 'feedback list', file: 'feedbackSubmissions.json', path: '/crm/objects/2026-09/{objectType}', method: 'get' },
  { call: 'users list', file: 'users.json', path: '/crm/objects/2026-09/{objectType}', method: 'get' },
  { call: 'users search', file: 'users.json', path: '/crm/objects/2026-09/{objectType}/search', method: 'post' },
  {
    call: 'conversation threads',
    file: 'conversations.json',
    path: '/conversations/conversations/2026-09/threads',
    method: 'get',
  },
  {
    call: 'a thread’s messages',
    file: 'conversations.json',
    path: '/conversations/conversations/2026-09/threads/{threadId}/messages',
    method: 'get',
  },
  {
    call: 'contact names',
    file: 'objects.json',
    path: '/crm/objects/2026-09/{objectType}/batch/read',
    method: 'post',
    objectScopeOf: 'contacts',
  },
  {
    call: 'company names',
    file: 'objects.json',
    path: '/crm/objects/2026-09/{objectType}/batch/read',
    method: 'post',
    objectScopeOf: 'companies',
  },
];

/** The scope alternatives (each a set that suffices) of a call, from the spec's `private_apps` security. */
function alternatives(call: (typeof CALLS)[number]): string[][] {
  const op = spec(call.file).paths[call.path]![call.method]!;
  const all = (op.security ?? []).flatMap((s) => (s['private_apps'] ? [s['private_apps']] : []));
  return call.objectScopeOf ? all.filter((scopes) => scopes.some((s) => s.includes(`.${call.objectScopeOf}.`))) : all;
}

describe('the project app in hubspot-app/', () => {
  const app = read('hubspot-app/src/app/app-hsmeta.json') as unknown as App;

  it('is a 2026.03 developer-platform project with one static-token private app', () => {
    expect(read('hubspot-app/hsproject.json')).toEqual({ name: 'heed', srcDir: 'src', platformVersion: '2026.03' });
    expect(app).toMatchObject({ type: 'app', config: { distribution: 'private', auth: { type: 'static' } } });
  });

  it('asks for exactly the scopes Heed’s code uses and `heed doctor` checks', () => {
    expect([...app.config.auth.requiredScopes].sort()).toEqual(requiredScopes().sort());
    expect([...app.config.auth.optionalScopes].sort()).toEqual(optionalScopes().sort());
    expect(app.config.auth.conditionallyRequiredScopes).toEqual([]);
  });

  it.each(CALLS.map((c) => [c.call, c] as const))(
    'the spec’s security for %s is met by the app’s scopes',
    (_name, call) => {
      const granted = new Set([...app.config.auth.requiredScopes, ...app.config.auth.optionalScopes]);
      const options = alternatives(call);
      expect(options.length).toBeGreaterThan(0);
      expect(options.some((scopes) => scopes.every((s) => granted.has(s)))).toBe(true);
    },
  );

  it.each(HEED_SCOPES.map((s) => [s.scope] as const))(
    '%s is needed: without it some call Heed makes is refused',
    (scope) => {
      const granted = new Set(
        [...app.config.auth.requiredScopes, ...app.config.auth.optionalScopes].filter((s) => s !== scope),
      );
      const refused = CALLS.filter((call) => !alternatives(call).some((scopes) => scopes.every((s) => granted.has(s))));
      expect(refused.map((c) => c.call)).not.toEqual([]);
    },
  );

  it('subscribes webhooks to ticket creation, deletion, restore and each ticket property Heed reads', () => {
    const hooks = read('hubspot-app/src/app/webhooks/webhooks-hsmeta.json') as {
      type: string;
      config: { settings: { targetUrl: string }; subscriptions: { crmObjects: Record<string, unknown>[] } };
    };
    expect(hooks.type).toBe('webhooks');
    expect(hooks.config.settings.targetUrl).toMatch(/\/hubspot\/webhooks$/);
    const subscriptions = hooks.config.subscriptions.crmObjects;
    expect(subscriptions.every((s) => s['objectType'] === 'ticket' && s['active'] === true)).toBe(true);
    expect(
      subscriptions.filter((s) => s['subscriptionType'] !== 'object.propertyChange').map((s) => s['subscriptionType']),
    ).toEqual(['object.creation', 'object.deletion', 'object.restore']);
    // Every property Heed reads that can change (not the id, creation date or last-modified stamp).
    const changing = TICKET_PROPERTIES.filter(
      (p) => !['hs_object_id', 'createdate', 'hs_lastmodifieddate'].includes(p),
    );
    expect(
      subscriptions.filter((s) => s['subscriptionType'] === 'object.propertyChange').map((s) => s['propertyName']),
    ).toEqual(changing);
  });

  it('README’s scope table lists the same scopes, required ones first', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const section = readme.slice(
      readme.indexOf('| HubSpot scope'),
      readme.indexOf('\n\n', readme.indexOf('| HubSpot scope')),
    );
    const listed = [...section.matchAll(/^\s*\| `([^`]+)`/gm)].map((m) => m[1]);
    expect(listed).toEqual(HEED_SCOPES.map((s) => s.scope));
  });
});
