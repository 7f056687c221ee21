// `heed doctor`: checks an installation end to end and says how to fix each problem.
// Environment, policy file, database, the tokens `heed start` needs (a missing one fails, as it stops `heed
// start`), and that HubSpot and Slack accept them and granted the scopes Heed needs. A scope Heed could not read
// (a network error, a 5xx, an answer without the scope header) is a warning, never reported as missing.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Config,
  loadConfig,
  type MissingEnv,
  missingServerEnv,
  parseEnv,
  type TEnv,
  type TWriteBack,
  writesBack,
} from '../config.ts';
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

function missingCheck(name: string, missing: MissingEnv): CheckResult {
  return {
    name,
    status: 'fail',
    detail: `${missing.name} is not set: \`heed start\` needs it ${missing.why} (\`heed demo\` runs without it)`,
    fix: missing.fix,
  };
}

async function checkHubspot(env: TEnv, fetchFn: Fetch, writeBack?: TWriteBack): Promise<CheckResult[]> {
  const token = env.HUBSPOT_ACCESS_TOKEN;
  const missing = missingServerEnv(env).find((m) => m.name === 'HUBSPOT_ACCESS_TOKEN');
  if (!token || missing) return [missingCheck('HubSpot token', missing!)];
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
  if (writeBack && writesBack(writeBack)) results.push(await checkWriteScope(env, fetchFn, headers, writeBack));
  results.push(...(await checkJournalCredentials(env, fetchFn)));
  return results;
}

/**
 * With `hubspot.writeBack` on, Heed writes tickets (a claim's owner, ✅'s stage): HubSpot's `tickets` scope covers
 * writes (the 2026-09 spec names it for PATCH /crm/objects/2026-09/tickets/{id}). Checked with the write itself on
 * a ticket id no portal has (0): HubSpot checks the scope first, so 403 means the write scope is missing and 404
 * means it is there — and nothing is changed either way.
 */
async function checkWriteScope(
  env: TEnv,
  fetchFn: Fetch,
  headers: Record<string, string>,
  writeBack: TWriteBack,
): Promise<CheckResult> {
  const name = 'HubSpot write-back';
  const what = [
    writeBack.claimSetsOwner !== 'never' ? `a claim sets the owner (${writeBack.claimSetsOwner})` : undefined,
    Object.keys(writeBack.handledMovesToStage).length > 0
      ? `✅ moves tickets to a stage in ${Object.keys(writeBack.handledMovesToStage).length} pipeline(s)`
      : undefined,
  ]
    .filter(Boolean)
    .join('; ');
  const response = await fetchFn(joinUrl(env.HUBSPOT_API_URL, paths.object('tickets', '0')), {
    method: 'PATCH',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ properties: {} }),
  }).catch((error: Error) => error);
  if (response instanceof Error) {
    return {
      name,
      status: 'warn',
      detail: `could not check that HubSpot lets Heed write tickets: ${response.message} (hubspot.writeBack is on: ${what})`,
      fix: 'check the network, then run `heed doctor` again',
    };
  }
  await response.arrayBuffer().catch(() => undefined);
  if (response.status === 404 || response.ok) {
    return { name, status: 'ok', detail: `HubSpot lets Heed write tickets (scope tickets): ${what}` };
  }
  if (response.status === 403) {
    return {
      name,
      status: 'fail',
      detail: `hubspot.writeBack is on (${what}) but the key may not write tickets (403): it lacks tickets — every write would be refused (each refusal is said in the nudge's thread)`,
      fix: `${scopeFix('tickets')}; or turn hubspot.writeBack off in the policy file`,
    };
  }
  return {
    name,
    status: 'warn',
    detail: `could not check that HubSpot lets Heed write tickets: HubSpot answered ${response.status} (hubspot.writeBack is on: ${what})`,
    fix: 'run `heed doctor` again; if it persists, check status.hubspot.com',
  };
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
      results.push({
        name,
        status: 'warn',
        // fetch says only "fetch failed"; the cause says what happened (refused, reset, a name that does not resolve).
        detail: `could not read the token's scopes: ${response.message}${response.cause instanceof Error ? ` (${response.cause.message})` : ''} (whether it has ${probe.scope} is unknown)`,
        fix: 'check the network, then run `heed doctor` again',
      });
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
    } else if (response.status === 401) {
      results.push({
        name,
        status: 'fail',
        detail: 'HubSpot rejected the token (401)',
        fix: 'copy the service key (or the project app’s access token) again; it may have been rotated or revoked',
      });
    } else {
      results.push({
        name,
        status: 'warn',
        detail: `could not read the token's scopes: HubSpot answered ${response.status} (whether it has ${probe.scope} is unknown)`,
        fix: 'run `heed doctor` again; if it persists, check status.hubspot.com',
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
  const missing = missingServerEnv(env);
  const results: CheckResult[] = [];
  const missingSecret = missing.find((m) => m.name === 'SLACK_SIGNING_SECRET');
  if (missingSecret) {
    results.push({
      ...missingCheck('Slack mode', missingSecret),
      detail:
        'neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is set: `heed start` needs one',
    });
  } else {
    results.push({
      name: 'Slack mode',
      status: 'ok',
      detail: env.SLACK_APP_TOKEN ? 'Socket Mode (SLACK_APP_TOKEN set)' : 'HTTP mode (/slack/events)',
    });
  }
  const missingToken = missing.find((m) => m.name === 'SLACK_BOT_TOKEN');
  if (!token || missingToken) return [...results, missingCheck('Slack token', missingToken!)];
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
  const header = response.headers.get('x-oauth-scopes');
  if (header === null || header.trim() === '') {
    // Slack lists the scopes in this header; a proxy may strip it. Unknown is not missing.
    results.push({
      name: 'Slack scopes',
      status: 'warn',
      detail: "could not read the token's scopes: Slack's answer to auth.test carried no X-OAuth-Scopes header",
      fix: 'compare the scopes on the app’s "OAuth & Permissions" page with manifest.json (a proxy may strip the header)',
    });
    return results;
  }
  const granted = new Set(
    header
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const needed = manifestBotScopes(readManifest);
  const absent = needed.filter((scope) => !granted.has(scope));
  results.push(
    absent.length === 0
      ? { name: 'Slack scopes', status: 'ok', detail: `${needed.length} scopes granted` }
      : {
          name: 'Slack scopes',
          status: 'fail',
          detail: `missing ${absent.join(', ')}`,
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
              // The only notices a policy file raises are holidays whose RRULE ical.js cannot expand (config.ts).
              fix: 'correct the RRULE of the holidays named above, or list their dates one event each in the .ics file',
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
  results.push(...(await checkHubspot(env, fetchFn, config?.policy.hubspot.writeBack)));
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
