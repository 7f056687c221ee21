// `heed doctor`: checks an installation end to end and says how to fix each problem.
// Environment, policy file, database, the tokens `heed start` needs (a missing one fails, as it stops `heed
// start`), and that HubSpot and Slack accept them and granted the scopes Heed needs. A scope Heed could not read
// (a network error, a 5xx, an answer without the scope header) is a warning, never reported as missing.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig, type MissingEnv, missingServerEnv, parseEnv, type TEnv } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { isAppError } from '../errors.ts';
import type { Command } from './commands.ts';

export type CheckResult = { name: string; status: 'ok' | 'warn' | 'fail'; detail: string; fix?: string };

type Fetch = typeof fetch;

const MANIFEST_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'manifest.json');

/** What each HubSpot endpoint Heed reads needs, probed with the cheapest call. */
const HUBSPOT_PROBES: { path: string; scope: string; what: string; optional?: string }[] = [
  { path: '/crm/v3/objects/tickets?limit=1', scope: 'tickets', what: 'tickets' },
  { path: '/crm/v3/pipelines/tickets', scope: 'tickets', what: 'ticket pipelines' },
  { path: '/crm/v3/owners/?limit=1', scope: 'crm.objects.owners.read', what: 'owners' },
  { path: '/crm/v3/objects/contacts?limit=1', scope: 'crm.objects.contacts.read', what: 'contact names' },
  { path: '/crm/v3/objects/companies?limit=1', scope: 'crm.objects.companies.read', what: 'company names' },
  {
    path: '/crm/v3/objects/feedback_submissions?limit=1',
    scope: 'crm.objects.feedback_submissions.read',
    what: 'feedback answers',
    optional: 'Heed runs without feedback (it needs Service Hub Professional or Enterprise)',
  },
];

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

async function checkHubspot(env: TEnv, fetchFn: Fetch): Promise<CheckResult[]> {
  const token = env.HUBSPOT_ACCESS_TOKEN;
  const missing = missingServerEnv(env).find((m) => m.name === 'HUBSPOT_ACCESS_TOKEN');
  if (!token || missing) return [missingCheck('HubSpot token', missing!)];
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const results: CheckResult[] = [];
  try {
    const response = await fetchFn(joinUrl(env.HUBSPOT_API_URL, '/account-info/v3/details'), { headers });
    if (response.status === 401) {
      return [
        {
          name: 'HubSpot token',
          status: 'fail',
          detail: 'HubSpot rejected the token (401)',
          fix: 'copy the access token of your private app again; it may have been rotated',
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
  for (const probe of HUBSPOT_PROBES) {
    const response = await fetchFn(joinUrl(env.HUBSPOT_API_URL, probe.path), { headers }).catch(
      (error: Error) => error,
    );
    if (response instanceof Error) {
      results.push({
        name: `HubSpot ${probe.what}`,
        status: 'warn',
        detail: `could not read the token's scopes: ${response.message} (whether it has ${probe.scope} is unknown)`,
        fix: 'check the network, then run `heed doctor` again',
      });
    } else if (response.ok) {
      results.push({ name: `HubSpot ${probe.what}`, status: 'ok', detail: `readable (scope ${probe.scope})` });
    } else if (response.status === 403) {
      results.push({
        name: `HubSpot ${probe.what}`,
        status: probe.optional ? 'warn' : 'fail',
        detail: `forbidden (403): the token lacks scope ${probe.scope}${probe.optional ? `; ${probe.optional}` : ''}`,
        fix: `add the scope ${probe.scope} to the private app, then copy its token again`,
      });
    } else if (response.status === 401) {
      results.push({
        name: `HubSpot ${probe.what}`,
        status: 'fail',
        detail: 'HubSpot rejected the token (401)',
        fix: 'copy the access token of your private app again; it may have been rotated',
      });
    } else {
      results.push({
        name: `HubSpot ${probe.what}`,
        status: 'warn',
        detail: `could not read the token's scopes: HubSpot answered ${response.status} (whether it has ${probe.scope} is unknown)`,
        fix: 'run `heed doctor` again; if it persists, check status.hubspot.com',
      });
    }
  }
  return results;
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
