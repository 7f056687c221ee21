// `heed doctor` against the simulator playing a Service Key with some scopes left out: each missing scope is named
// (from HubSpot's own 403), with where to add it; optional ones warn with what Heed loses; the project app's client
// credentials are checked for the journal. Existing private-app tokens are plain bearer tokens and pass the same way.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckResult, formatChecks, runDoctor } from '../../src/cli/doctor.ts';
import { HEED_SCOPES } from '../../src/hubspot/scopes.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { APP, PORTAL_NOW } from './harness.ts';

const SERVICE_KEY = 'sk-na1-service-key-test-0000-1111';
const manifest = JSON.stringify({ oauth_config: { scopes: { bot: [] } } });

function env(url: string, extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'heed-doctor-scopes-'));
  return {
    DATABASE_URL: `file:${join(dir, 'heed.db')}`,
    HEED_CONFIG: join(dir, 'missing.json'),
    HUBSPOT_API_URL: url,
    HUBSPOT_ACCESS_TOKEN: SERVICE_KEY,
    ...extra,
  };
}

const hubspotChecks = (results: CheckResult[]) =>
  Object.fromEntries(results.filter((r) => r.name.startsWith('HubSpot')).map((r) => [r.name, r]));

describe('heed doctor: the HubSpot credential’s scopes', () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  const start = async (scopes?: string[]) => {
    sim = await startSimulator({
      portal: new SimPortal({ now: PORTAL_NOW, tickets: 20, seed: 1 }),
      accessToken: SERVICE_KEY,
      app: APP,
      ...(scopes ? { scopes } : {}),
    });
  };

  it('names each missing scope with where to add it; optional ones warn with what Heed loses', async () => {
    await start(['oauth', 'tickets', 'crm.objects.contacts.read', 'crm.objects.feedback_submissions.read']);
    const results = await runDoctor({ env: env(sim.url), readManifest: () => manifest });
    const checks = hubspotChecks(results);
    expect(checks['HubSpot tickets']).toMatchObject({ status: 'ok', detail: 'readable (scope tickets)' });
    expect(checks['HubSpot owners']).toMatchObject({
      status: 'fail',
      detail:
        'forbidden (403): the key lacks crm.objects.owners.read — Heed needs it to map ticket owners to people (and their Slack accounts by email)',
    });
    expect(checks['HubSpot owners']!.fix).toContain(
      'add the scope crm.objects.owners.read: for a service key, in HubSpot go to Development → Keys → Service keys → your key → Add new scope → tick crm.objects.owners.read → Update',
    );
    expect(checks['HubSpot owners']!.fix).toContain('requiredScopes in hubspot-app/src/app/app-hsmeta.json');
    expect(checks['HubSpot company names']).toMatchObject({ status: 'fail' });
    expect(checks['HubSpot users and their availability']).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('Heed runs without users’ availability'),
    });
    expect(checks['HubSpot scopes']).toMatchObject({
      status: 'fail',
      detail: 'missing crm.objects.owners.read, crm.objects.companies.read',
    });
    const text = formatChecks(results);
    expect(text).toContain('✗ HubSpot scopes: missing crm.objects.owners.read, crm.objects.companies.read');
    expect(text).not.toContain(SERVICE_KEY);
  });

  it('passes with every scope Heed uses, and checks the journal’s client credentials', async () => {
    await start(HEED_SCOPES.map((s) => s.scope));
    const results = await runDoctor({
      env: env(sim.url, { HUBSPOT_CLIENT_ID: APP.clientId, HUBSPOT_CLIENT_SECRET: APP.clientSecret }),
      readManifest: () => manifest,
    });
    const checks = hubspotChecks(results);
    expect(Object.values(checks).filter((c) => c.status !== 'ok')).toEqual([]);
    expect(checks['HubSpot scopes']).toMatchObject({ detail: 'all 5 required scopes granted' });
    expect(checks['HubSpot webhooks journal']).toMatchObject({
      status: 'ok',
      detail: 'client credentials accepted; Heed reads the journal',
    });
    expect(checks['HubSpot token']).toMatchObject({
      status: 'ok',
      detail: `portal ${sim.portal.portalId} (app.hubspot.com)`,
    });
  });

  it('says so when the project app’s client secret is wrong', async () => {
    await start();
    const results = await runDoctor({
      env: env(sim.url, { HUBSPOT_CLIENT_ID: APP.clientId, HUBSPOT_CLIENT_SECRET: 'not-the-secret-0000' }),
      readManifest: () => manifest,
    });
    expect(hubspotChecks(results)['HubSpot webhooks journal']).toMatchObject({
      status: 'fail',
      detail: 'HubSpot refused the project app’s client credentials (401)',
    });
  });
});
