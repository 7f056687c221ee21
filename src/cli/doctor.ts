// `heed doctor`: checks an installation end to end and says how to fix each problem.
// Environment, policy file, database — and, when tokens are set, that HubSpot and Slack accept them
// and granted the scopes Heed needs.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig, parseEnv, type TEnv } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { isAppError } from '../errors.ts';
import { paths } from '../hubspot/api-version.ts';
import { missingScopes } from '../hubspot/client.ts';
import { ZHubspotError, ZTokenResponse } from '../hubspot/schemas.ts';
import { HEED_SCOPES, JOURNAL_TOKEN_SCOPES } from '../hubspot/scopes.ts';
import type { Command } from './commands.ts';

export type CheckResult = { name: string; status: 'ok' | 'warn' | 'fail'; detail: string; fix?: string };

type Fetch = typeof fetch;

const MANIFEST_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'manifest.json');

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

async function checkHubspot(env: TEnv, fetchFn: Fetch): Promise<CheckResult[]> {
  const token = env.HUBSPOT_ACCESS_TOKEN;
  if (!token) {
    return [
      {
        name: 'HubSpot',
        status: 'warn',
        detail: 'HUBSPOT_ACCESS_TOKEN is not set, so HubSpot was not checked',
        fix: 'create a private app with the scopes in README ("HubSpot private app") and set HUBSPOT_ACCESS_TOKEN',
      },
    ];
  }
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const results: CheckResult[] = [];
  try {
    const response = await fetchFn(joinUrl(env.HUBSPOT_API_URL, paths.accountDetails()), { headers });
    if (response.status === 401) {
      return [
        {
          name: 'HubSpot token',
          status: 'fail',
          detail: 'HubSpot rejected the token (401)',
          fix: 'copy the service key (or the project app’s access token) again into HUBSPOT_ACCESS_TOKEN; it may have been rotated',
        },
      ];
    }
    if (!response.ok) {
      results.push({
        name: 'HubSpot account',
        status: 'warn',
        detail: `account details answered ${response.status}`,
        fix: 'Heed needs the portal id and UI domain for links; check the token',
      });
    } else {
      const body = (await response.json()) as { portalId?: number; uiDomain?: string };
      results.push({
        name: 'HubSpot token',
        status: 'ok',
        detail: `portal ${body.portalId ?? '?'} (${body.uiDomain ?? '?'})`,
      });
    }
  } catch (error) {
    return [
      {
        name: 'HubSpot',
        status: 'fail',
        detail: `cannot reach ${env.HUBSPOT_API_URL}: ${(error as Error).message}`,
        fix: 'check the network, a proxy, or HUBSPOT_API_URL',
      },
    ];
  }
  results.push(...(await checkHubspotScopes(env, fetchFn, headers)));
  results.push(...(await checkJournalCredentials(env, fetchFn)));
  return results;
}

/** Where to add a scope, for each kind of credential HUBSPOT_ACCESS_TOKEN can hold. */
function scopeFix(scope: string): string {
  return (
    `add the scope ${scope}: for a service key, in HubSpot go to Development → Keys → Service keys → your key → ` +
    `Add new scope → tick ${scope} → Update (the key keeps working, no new token to copy); for the project app, add it ` +
    'to requiredScopes in hubspot-app/src/app/app-hsmeta.json and run `hs project upload`; for a legacy private app, ' +
    'Settings → Integrations → Private apps → Scopes, then copy its token again'
  );
}

/**
 * HubSpot has no date-versioned API that lists a Service Key's scopes (its page in HubSpot shows them), so each scope
 * Heed uses is checked with the cheapest call that needs it; a 403 names the missing scope (context.
 * requiredGranularScopes), which is what doctor reports.
 */
async function checkHubspotScopes(env: TEnv, fetchFn: Fetch, headers: Record<string, string>): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const missingRequired: string[] = [];
  for (const probe of HEED_SCOPES) {
    const name = `HubSpot ${probe.what}`;
    const response = await fetchFn(joinUrl(env.HUBSPOT_API_URL, probe.probe), { headers }).catch(
      (error: Error) => error,
    );
    if (response instanceof Error) {
      results.push({ name, status: 'fail', detail: response.message, fix: 'check the network' });
    } else if (response.ok) {
      await response.arrayBuffer().catch(() => undefined);
      results.push({ name, status: 'ok', detail: `readable (scope ${probe.scope})` });
    } else if (response.status === 403) {
      const body = ZHubspotError.safeParse(await response.json().catch(() => undefined));
      // HubSpot names what the call needs; Heed's own table covers an answer without it.
      const named = body.success ? missingScopes(body.data) : [];
      const scopes = named.length > 0 ? named : [probe.scope];
      if (probe.required) missingRequired.push(...scopes);
      results.push({
        name,
        status: probe.required ? 'fail' : 'warn',
        detail: `forbidden (403): the key lacks ${scopes.join(', ')} — Heed needs it to ${probe.why}${probe.without ? `; ${probe.without}` : ''}`,
        fix: scopes.map(scopeFix).join('; '),
      });
    } else if (response.status === 404 || response.status === 410) {
      results.push({
        name,
        status: 'fail',
        detail: `HubSpot no longer serves ${probe.probe.split('?')[0]} (${response.status})`,
        fix: 'upgrade Heed: this release speaks a HubSpot API version HubSpot has retired',
      });
    } else {
      results.push({
        name,
        status: 'fail',
        detail: `answered ${response.status}`,
        fix: 'try again; if it persists, check status.hubspot.com',
      });
    }
  }
  const required = HEED_SCOPES.filter((s) => s.required).length;
  results.push(
    missingRequired.length === 0
      ? { name: 'HubSpot scopes', status: 'ok', detail: `all ${required} required scopes granted` }
      : {
          name: 'HubSpot scopes',
          status: 'fail',
          detail: `missing ${[...new Set(missingRequired)].join(', ')}`,
          fix: 'add each missing scope (see the lines above), then run `heed doctor` again',
        },
  );
  return results;
}

/**
 * With a project app's client id and secret, Heed reads the webhooks journal: the app must give a client-credentials
 * token with the journal scopes.
 */
async function checkJournalCredentials(env: TEnv, fetchFn: Fetch): Promise<CheckResult[]> {
  if (!env.HUBSPOT_CLIENT_ID || !env.HUBSPOT_CLIENT_SECRET) {
    return [
      {
        name: 'HubSpot webhooks journal',
        status: 'ok',
        detail: env.HUBSPOT_CLIENT_ID
          ? 'off (HUBSPOT_CLIENT_SECRET is not set); changes arrive by polling'
          : 'off (no project app credentials); changes arrive by polling every sync.intervalMinutes',
      },
    ];
  }
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: env.HUBSPOT_CLIENT_ID,
    client_secret: env.HUBSPOT_CLIENT_SECRET,
    scope: JOURNAL_TOKEN_SCOPES.join(' '),
  });
  const response = await fetchFn(joinUrl(env.HUBSPOT_API_URL, paths.oauthToken()), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  }).catch((error: Error) => error);
  if (response instanceof Error) {
    return [{ name: 'HubSpot webhooks journal', status: 'fail', detail: response.message, fix: 'check the network' }];
  }
  if (!response.ok) {
    return [
      {
        name: 'HubSpot webhooks journal',
        status: 'fail',
        detail: `HubSpot refused the project app’s client credentials (${response.status})`,
        fix: 'copy the client id and secret again from the Auth tab of the app uploaded from hubspot-app/ (Development → Projects → heed → the app → Auth)',
      },
    ];
  }
  const token = ZTokenResponse.safeParse(await response.json().catch(() => undefined));
  const granted = token.success ? token.data.scopes : undefined;
  const lacking = granted ? JOURNAL_TOKEN_SCOPES.filter((s) => !granted.includes(s)) : [];
  return [
    lacking.length === 0
      ? {
          name: 'HubSpot webhooks journal',
          status: 'ok',
          detail: 'client credentials accepted; Heed reads the journal',
        }
      : {
          name: 'HubSpot webhooks journal',
          status: 'fail',
          detail: `the client-credentials token lacks ${lacking.join(', ')}`,
          fix: 'check that the app uploaded from hubspot-app/ is the one whose client id and secret Heed has',
        },
  ];
}

function manifestBotScopes(readManifest: () => string): string[] {
  try {
    const manifest = JSON.parse(readManifest()) as { oauth_config?: { scopes?: { bot?: string[] } } };
    return manifest.oauth_config?.scopes?.bot ?? [];
  } catch {
    return [];
  }
}

async function checkSlack(env: TEnv, fetchFn: Fetch, readManifest: () => string): Promise<CheckResult[]> {
  const token = env.SLACK_BOT_TOKEN;
  if (!token) {
    return [
      {
        name: 'Slack',
        status: 'warn',
        detail: 'SLACK_BOT_TOKEN is not set, so Slack was not checked',
        fix: 'create the Slack app from manifest.json (README, "Slack app") and set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET',
      },
    ];
  }
  const results: CheckResult[] = [];
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) {
    results.push({
      name: 'Slack mode',
      status: 'fail',
      detail: 'neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is set',
      fix: 'set SLACK_SIGNING_SECRET from the app’s "Basic Information" page',
    });
  } else {
    results.push({
      name: 'Slack mode',
      status: 'ok',
      detail: env.SLACK_APP_TOKEN ? 'Socket Mode (SLACK_APP_TOKEN set)' : 'HTTP mode (/slack/events)',
    });
  }
  let response: Response;
  try {
    response = await fetchFn(`${env.SLACK_API_URL}auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (error) {
    return [
      ...results,
      {
        name: 'Slack',
        status: 'fail',
        detail: `cannot reach ${env.SLACK_API_URL}: ${(error as Error).message}`,
        fix: 'check the network, a proxy, or SLACK_API_URL',
      },
    ];
  }
  const body = (await response.json().catch(() => ({}))) as {
    ok?: boolean;
    error?: string;
    team?: string;
    user?: string;
  };
  if (!body.ok) {
    return [
      ...results,
      {
        name: 'Slack token',
        status: 'fail',
        detail: `Slack said ${body.error ?? response.status}`,
        fix: 'reinstall the app to your workspace and copy the Bot User OAuth Token again',
      },
    ];
  }
  results.push({ name: 'Slack token', status: 'ok', detail: `workspace ${body.team ?? '?'} as @${body.user ?? '?'}` });
  const granted = new Set(
    (response.headers.get('x-oauth-scopes') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const needed = manifestBotScopes(readManifest);
  const missing = needed.filter((scope) => !granted.has(scope));
  results.push(
    missing.length === 0
      ? { name: 'Slack scopes', status: 'ok', detail: `${needed.length} scopes granted` }
      : {
          name: 'Slack scopes',
          status: 'fail',
          detail: `missing ${missing.join(', ')}`,
          fix: 'add them under "OAuth & Permissions" (or recreate the app from manifest.json) and reinstall the app',
        },
  );
  return results;
}

export type DoctorDeps = {
  env?: NodeJS.ProcessEnv;
  fetch?: Fetch;
  readManifest?: () => string;
};

export async function runDoctor(deps: DoctorDeps = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const fetchFn = deps.fetch ?? fetch;
  let env: TEnv;
  try {
    env = parseEnv(deps.env ?? process.env);
    results.push({ name: 'Environment', status: 'ok', detail: 'every variable is valid' });
  } catch (error) {
    results.push({
      name: 'Environment',
      status: 'fail',
      detail: isAppError(error) ? error.message : String(error),
      ...(isAppError(error) && error.fix ? { fix: error.fix } : {}),
    });
    return results;
  }
  let config: Config | undefined;
  try {
    config = loadConfig({ env: deps.env ?? process.env });
    results.push(
      config.policySource === 'default'
        ? {
            name: 'Policy file',
            status: 'warn',
            detail: config.notices[0] ?? 'using the default policy',
            fix: 'create the policy file (README, "Configuration")',
          }
        : config.notices.length > 0
          ? {
              name: 'Policy file',
              status: 'warn',
              detail: `${config.policySource}: ${config.notices.join(' ')}`,
              fix: 'give the holidays named above one event each in the .ics file, or a yearly rule',
            }
          : {
              name: 'Policy file',
              status: 'ok',
              detail: `${config.policySource}: ${config.policy.teams.length} team(s), ${config.policy.sla.length} SLA rule(s)`,
            },
    );
  } catch (error) {
    results.push({
      name: 'Policy file',
      status: 'fail',
      detail: isAppError(error) ? error.message : String(error),
      ...(isAppError(error) && error.fix ? { fix: error.fix } : {}),
    });
  }
  try {
    const db = await openDatabase(env.DATABASE_URL);
    try {
      await db.ping();
      const pending = await db.pendingMigrations();
      results.push(
        pending.length === 0
          ? { name: 'Database', status: 'ok', detail: `${db.provider}, migrations up to date` }
          : {
              name: 'Database',
              status: 'warn',
              detail: `${db.provider}, ${pending.length} migration(s) pending`,
              fix: 'run `heed migrate` (`heed start` applies them too)',
            },
      );
    } finally {
      await db.close();
    }
  } catch (error) {
    results.push({
      name: 'Database',
      status: 'fail',
      detail: isAppError(error) ? error.message : String(error),
      fix: isAppError(error) && error.fix ? error.fix : 'check DATABASE_URL',
    });
  }
  const readManifest = deps.readManifest ?? (() => readFileSync(MANIFEST_PATH, 'utf8'));
  results.push(...(await checkHubspot(env, fetchFn)));
  results.push(...(await checkSlack(env, fetchFn, readManifest)));
  return results;
}

const MARKS = { ok: '✓', warn: '!', fail: '✗' } as const;

export function formatChecks(results: CheckResult[]): string {
  const lines = results.map(
    (r) => `${MARKS[r.status]} ${r.name}: ${r.detail}${r.fix && r.status !== 'ok' ? `\n    fix: ${r.fix}` : ''}`,
  );
  const failed = results.filter((r) => r.status === 'fail').length;
  lines.push('', failed === 0 ? 'All required checks passed.' : `${failed} check(s) failed.`);
  return lines.join('\n');
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check environment, policy file, database, and the HubSpot and Slack tokens, with a fix for each problem',
  run: async ({ io }) => {
    const results = await runDoctor();
    io.out(formatChecks(results));
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  },
};
