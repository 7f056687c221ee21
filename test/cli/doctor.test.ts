import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { formatChecks, runDoctor } from '../../src/cli/doctor.ts';
import { paths } from '../../src/hubspot/api-version.ts';

const manifest = JSON.stringify({ oauth_config: { scopes: { bot: ['chat:write', 'commands', 'reactions:read'] } } });

function env(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'heed-doctor-'));
  return {
    DATABASE_URL: `file:${join(dir, 'heed.db')}`,
    HEED_CONFIG: join(dir, 'missing.json'),
    HUBSPOT_API_URL: 'https://api.hubapi.com',
    SLACK_API_URL: 'https://slack.com/api/',
    ...extra,
  };
}

const ACCOUNT = {
  portalId: 62515,
  accountType: 'STANDARD',
  timeZone: 'Europe/Berlin',
  companyCurrency: 'EUR',
  additionalCurrencies: [],
  utcOffset: '+01:00',
  utcOffsetMilliseconds: 3600000,
  uiDomain: 'app-eu1.hubspot.com',
  dataHostingLocation: 'eu1',
};

describe('heed doctor', () => {
  it('checks the HubSpot token and each scope Heed reads with, and the Slack token and its scopes', async () => {
    const hubspot = nock('https://api.hubapi.com', { reqheaders: { authorization: 'Bearer pat-na1-11111111-2222' } })
      .get('/account-info/2026-09/details')
      .reply(200, ACCOUNT)
      .get('/account-info/2026-09/details')
      .reply(200, ACCOUNT)
      .get('/crm/objects/2026-09/tickets')
      .query({ limit: 1 })
      .reply(200, { results: [] })
      .get('/crm/owners/2026-09')
      .query({ limit: 1 })
      .reply(200, { results: [] })
      .get('/crm/objects/2026-09/contacts')
      .query({ limit: 1 })
      .reply(200, { results: [] })
      .get('/crm/objects/2026-09/companies')
      .query({ limit: 1 })
      .reply(403, {
        status: 'error',
        message: "This app hasn't been granted all required scopes to make this call.",
        category: 'MISSING_SCOPES',
      })
      .get('/crm/objects/2026-09/feedback_submissions')
      .query({ limit: 1 })
      .reply(403, { status: 'error', message: 'missing scopes', category: 'MISSING_SCOPES' })
      .get('/crm/objects/2026-09/users')
      .query({ limit: 1 })
      .reply(200, { results: [] });
    const slack = nock('https://slack.com', { reqheaders: { authorization: 'Bearer xoxb-1-2-abc' } })
      .post('/api/auth.test')
      .reply(
        200,
        {
          ok: true,
          url: 'https://acme.slack.com/',
          team: 'Acme',
          user: 'heed',
          team_id: 'T1',
          user_id: 'U1',
          bot_id: 'B1',
        },
        { 'x-oauth-scopes': 'chat:write,commands' },
      );
    const results = await runDoctor({
      env: env({
        HUBSPOT_ACCESS_TOKEN: 'pat-na1-11111111-2222',
        SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
        SLACK_SIGNING_SECRET: 'signing-secret-123',
      }),
      readManifest: () => manifest,
    });
    expect(hubspot.isDone() && slack.isDone()).toBe(true);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName['HubSpot token']).toMatchObject({ status: 'ok', detail: 'portal 62515 (app-eu1.hubspot.com)' });
    expect(byName['HubSpot company names']).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/crm\.objects\.companies\.read/),
    });
    expect(byName['HubSpot feedback answers']).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/Service Hub Professional/),
    });
    expect(byName['Slack token']).toMatchObject({ status: 'ok', detail: 'workspace Acme as @heed' });
    expect(byName['Slack scopes']).toMatchObject({ status: 'fail', detail: 'missing reactions:read' });
    const text = formatChecks(results);
    expect(text).toMatch(/✗ HubSpot company names/);
    expect(text).not.toMatch(/pat-na1-11111111-2222|xoxb-1-2-abc/);
  });

  it('reports a rejected HubSpot token and a revoked Slack token with fixes', async () => {
    nock('https://api.hubapi.com').get('/account-info/2026-09/details').reply(401, {
      status: 'error',
      message: 'Authentication credentials not found.',
      category: 'INVALID_AUTHENTICATION',
    });
    nock('https://slack.com').post('/api/auth.test').reply(200, { ok: false, error: 'token_revoked' });
    const results = await runDoctor({
      env: env({
        HUBSPOT_ACCESS_TOKEN: 'pat-na1-bad-token',
        SLACK_BOT_TOKEN: 'xoxb-revoked',
        SLACK_APP_TOKEN: 'xapp-1-A1-1',
      }),
      readManifest: () => manifest,
    });
    expect(results.find((r) => r.name === 'HubSpot token')).toMatchObject({
      status: 'fail',
      detail: 'HubSpot rejected the token (401)',
    });
    expect(results.find((r) => r.name === 'Slack mode')).toMatchObject({
      status: 'ok',
      detail: 'Socket Mode (SLACK_APP_TOKEN set)',
    });
    expect(results.find((r) => r.name === 'Slack token')).toMatchObject({
      status: 'fail',
      detail: 'Slack said token_revoked',
    });
  });

  it('without the tokens `heed start` needs, fails naming each with its fix, and reports pending migrations', async () => {
    const results = await runDoctor({ env: env(), readManifest: () => manifest });
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['Environment', 'ok'],
      ['Policy file', 'warn'],
      ['Database', 'warn'],
      ['HubSpot token', 'fail'],
      ['Slack mode', 'fail'],
      ['Slack token', 'fail'],
    ]);
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName['HubSpot token']).toMatchObject({
      detail:
        'HUBSPOT_ACCESS_TOKEN is not set: `heed start` needs it to sync tickets and feedback from HubSpot (`heed demo` runs without it)',
      fix: expect.stringMatching(/service key/),
    });
    expect(byName['Slack token']?.detail).toMatch(/^SLACK_BOT_TOKEN is not set/);
    expect(byName['Slack mode']?.fix).toMatch(/Signing Secret.*Socket Mode/);
    expect(formatChecks(results)).toMatch(/3 check\(s\) failed\.$/);
  });

  it('reports scopes it could not read as a warning, never as missing', async () => {
    nock('https://api.hubapi.com')
      .get(paths.accountDetails())
      .reply(200, ACCOUNT)
      .get(paths.objects('tickets'))
      .query({ limit: 1 })
      .reply(200, { results: [] })
      .get(paths.owners())
      .query({ limit: 1 })
      .reply(503, 'upstream unavailable')
      .get(paths.objects('contacts'))
      .query({ limit: 1 })
      .replyWithError('socket hang up')
      .get(paths.objects('companies'))
      .query({ limit: 1 })
      .reply(200, { results: [] })
      .get(paths.objects('feedback_submissions'))
      .query({ limit: 1 })
      .reply(200, { results: [] })
      .get(paths.objects('users'))
      .query({ limit: 1 })
      .reply(200, { results: [] });
    // Slack's answer without its X-OAuth-Scopes header (a proxy stripped it).
    nock('https://slack.com').post('/api/auth.test').reply(200, { ok: true, team: 'Acme', user: 'heed' });
    const results = await runDoctor({
      env: env({
        HUBSPOT_ACCESS_TOKEN: 'pat-na1-11111111-2222',
        SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
        SLACK_SIGNING_SECRET: 'signing-secret-123',
      }),
      readManifest: () => manifest,
    });
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName['HubSpot owners']).toMatchObject({
      status: 'warn',
      detail:
        "could not read the token's scopes: HubSpot answered 503 (whether it has crm.objects.owners.read is unknown)",
    });
    expect(byName['HubSpot contact names']).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^could not read the token's scopes: fetch failed \(socket hang up\)/),
    });
    expect(byName['Slack scopes']).toMatchObject({
      status: 'warn',
      detail: "could not read the token's scopes: Slack's answer to auth.test carried no X-OAuth-Scopes header",
    });
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(formatChecks(results)).not.toMatch(/: missing /);
    expect(formatChecks(results)).toMatch(/All required checks passed\.$/);
  });

  it('warns about holidays in the iCalendar file that Heed cannot expand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-doctor-policy-'));
    const week = { mon: [['09:00', '17:00']] };
    writeFileSync(
      join(dir, 'policy.json'),
      JSON.stringify({
        calendars: { default: { timezone: 'UTC', hours: week, holidaysFile: 'holidays.ics' } },
        teams: [{ name: 'support', channel: 'C0SUPPORT' }],
        sla: [{ name: 'standard', firstResponse: '4h' }],
      }),
    );
    writeFileSync(
      join(dir, 'holidays.ics'),
      // Weekly, monthly and yearly rules are expanded; a week-number rule is one ical.js cannot.
      'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260105\r\nRRULE:FREQ=YEARLY;BYWEEKNO=2\r\nSUMMARY:Stock-take\r\nEND:VEVENT\r\nEND:VCALENDAR',
    );
    const results = await runDoctor({
      env: env({ HEED_CONFIG: join(dir, 'policy.json') }),
      readManifest: () => manifest,
    });
    expect(results.find((r) => r.name === 'Policy file')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/cannot be expanded \(Stock-take\)/),
      fix: expect.stringMatching(/one event each/),
    });
  });
});
