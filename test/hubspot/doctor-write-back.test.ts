// `heed doctor` with claims written back to HubSpot (policy hubspot.writeBack): it checks, with a write that changes
// nothing, that the credential may write tickets, and says clearly what is missing; with write-back off it asks
// HubSpot nothing of the kind.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckResult, formatChecks, runDoctor } from '../../src/cli/doctor.ts';
import { HEED_SCOPES } from '../../src/hubspot/scopes.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { PORTAL_NOW } from './harness.ts';

const SERVICE_KEY = 'sk-na1-service-key-write-back-0000';
const manifest = JSON.stringify({ oauth_config: { scopes: { bot: [] } } });

function env(url: string, writeBack: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'heed-doctor-write-back-'));
  const policy = {
    calendars: { default: { timezone: 'UTC', hours: { mon: [['09:00', '17:00']] } } },
    teams: [{ name: 'support', channel: 'C0SUPPORT' }],
    sla: [{ name: 'standard', firstResponse: '4h' }],
    ...(writeBack ? { hubspot: { writeBack } } : {}),
  };
  writeFileSync(join(dir, 'heed.config.json'), JSON.stringify(policy));
  return {
    DATABASE_URL: `file:${join(dir, 'heed.db')}`,
    HEED_CONFIG: join(dir, 'heed.config.json'),
    HUBSPOT_API_URL: url,
    HUBSPOT_ACCESS_TOKEN: SERVICE_KEY,
  };
}

const check = (results: CheckResult[]) => results.find((r) => r.name === 'HubSpot write-back');

describe('heed doctor: the write scope when claims are written back to HubSpot', () => {
  let sim: Simulator;
  afterEach(() => sim.close());

  const start = async (scopes: string[]) => {
    sim = await startSimulator({
      portal: new SimPortal({ now: PORTAL_NOW, tickets: 20, seed: 1 }),
      accessToken: SERVICE_KEY,
      scopes,
    });
  };

  it('passes when the key may write tickets, and changes nothing to find out', async () => {
    await start(HEED_SCOPES.map((s) => s.scope));
    const before = sim.portal.version;
    const results = await runDoctor({
      env: env(sim.url, { claimSetsOwner: 'whenUnassigned', handledMovesToStage: { '0': '4' } }),
      readManifest: () => manifest,
    });
    expect(check(results)).toEqual({
      name: 'HubSpot write-back',
      status: 'ok',
      detail:
        'HubSpot lets Heed write tickets (scope tickets): a claim sets the owner (whenUnassigned); ✅ moves tickets to a stage in 1 pipeline(s)',
    });
    expect(sim.counts.get('PATCH /crm/objects/2026-09/tickets/0')).toBe(1);
    expect(sim.portal.version).toBe(before);
  });

  it('fails naming the missing scope and where to add it', async () => {
    await start(['oauth', 'crm.objects.owners.read', 'crm.objects.contacts.read', 'crm.objects.companies.read']);
    const results = await runDoctor({
      env: env(sim.url, { claimSetsOwner: 'always' }),
      readManifest: () => manifest,
    });
    const c = check(results)!;
    expect(c.status).toBe('fail');
    expect(c.detail).toBe(
      "hubspot.writeBack is on (a claim sets the owner (always)) but the key may not write tickets (403): it lacks tickets — every write would be refused (each refusal is said in the nudge's thread)",
    );
    expect(c.fix).toContain('Add new scope → tick tickets → Update');
    expect(c.fix).toContain('or turn hubspot.writeBack off in the policy file');
    expect(formatChecks(results)).toContain('✗ HubSpot write-back: hubspot.writeBack is on');
    expect(formatChecks(results)).not.toContain(SERVICE_KEY);
  });

  it('with write-back off (the default), writes nothing and says nothing about it', async () => {
    await start(HEED_SCOPES.map((s) => s.scope));
    const results = await runDoctor({ env: env(sim.url, undefined), readManifest: () => manifest });
    expect(check(results)).toBeUndefined();
    expect(sim.counts.get('PATCH /crm/objects/2026-09/tickets/0')).toBeUndefined();
  });
});
