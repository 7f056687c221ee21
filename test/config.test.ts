import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseEnv, parsePolicy, policyJsonSchema, requireEnv } from '../src/config.ts';
import { AppError } from '../src/errors.ts';
import { parseIcsHolidays } from '../src/ics-holidays.ts';

const FULL = readFileSync(join(import.meta.dirname, 'fixtures', 'config', 'full.json'), 'utf8');

function loadPolicy(policy: unknown, extra: { readFile?: (path: string) => string } = {}) {
  const text = typeof policy === 'string' ? policy : JSON.stringify(policy);
  return loadConfig({
    env: { HEED_CONFIG: '/etc/heed/policy.json' },
    fileExists: () => true,
    readFile: (path) => (path === '/etc/heed/policy.json' ? text : (extra.readFile?.(path) ?? '')),
  });
}

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

const full = () => JSON.parse(FULL);

describe('environment', () => {
  it('applies the documented defaults', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      HUBSPOT_API_URL: 'https://api.hubapi.com',
      SLACK_API_URL: 'https://slack.com/api/',
      DATABASE_URL: 'file:./data/heed.db',
      HEED_CONFIG: './heed.config.json',
      PORT: 3000,
      LOG_LEVEL: 'info',
    });
    expect(env.SLACK_BOT_TOKEN).toBeUndefined();
  });

  it.each([
    ['PORT', 'seventy', /PORT is invalid/, /port number/],
    ['PORT', '70000', /PORT is invalid/, /port number/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL is invalid/, /file:.*postgres:/],
    [
      'SLACK_BOT_TOKEN',
      'xoxp-user-token-123',
      /SLACK_BOT_TOKEN is invalid: must be a bot token/,
      /OAuth & Permissions/,
    ],
    ['SLACK_APP_TOKEN', 'abc-123456789', /SLACK_APP_TOKEN is invalid/, /connections:write/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL is invalid/, /fatal, error, warn, info/],
    ['HUBSPOT_API_URL', 'not a url', /HUBSPOT_API_URL is invalid/, /full URL/],
  ])('rejects %s=%s naming the variable and the fix', (name, value, message, fix) => {
    const error = errorOf(() => parseEnv({ [name]: value }));
    expect(error.code).toBe('ENV_INVALID');
    expect(error.message).toMatch(message);
    expect(error.fix).toMatch(fix);
  });

  it('never echoes a secret value in its message', () => {
    const error = errorOf(() => parseEnv({ SLACK_BOT_TOKEN: 'xoxp-very-secret-value' }));
    expect(error.describe()).not.toContain('very-secret');
  });

  it('selects PostgreSQL from postgres:// and postgresql:// URLs', () => {
    expect(parseEnv({ DATABASE_URL: 'postgres://u:p@h/db' }).DATABASE_URL).toBe('postgres://u:p@h/db');
    expect(parseEnv({ DATABASE_URL: 'postgresql://u:p@h/db' }).DATABASE_URL).toBe('postgresql://u:p@h/db');
  });

  it('normalises the Slack API URL to end with a slash and treats empty values as unset', () => {
    expect(parseEnv({ SLACK_API_URL: 'http://127.0.0.1:9000/api', SLACK_BOT_TOKEN: '' })).toMatchObject({
      SLACK_API_URL: 'http://127.0.0.1:9000/api/',
      SLACK_BOT_TOKEN: undefined,
    });
  });

  it('names a missing variable a command needs', () => {
    const error = errorOf(() => requireEnv(parseEnv({}), 'HUBSPOT_ACCESS_TOKEN', 'to sync from HubSpot'));
    expect(error.code).toBe('ENV_MISSING');
    expect(error.message).toBe(
      'Environment variable HUBSPOT_ACCESS_TOKEN is not set; it is needed to sync from HubSpot.',
    );
    expect(error.fix).toMatch(/service key/);
  });
});

describe('policy file', () => {
  it('accepts the documented example and fills in defaults', () => {
    const config = loadPolicy(FULL);
    expect(config.policySource).toBe('/etc/heed/policy.json');
    expect(config.notices).toEqual([]);
    const [team] = config.policy.teams;
    expect(team).toMatchObject({
      name: 'support',
      channel: 'C0SUPPORT',
      escalationChannel: 'C0LEADS',
      calendar: 'default',
      owners: [],
    });
    expect(config.policy.sla[0]).toMatchObject({ name: 'urgent', warnAt: 0.75, escalateAfter: 0.5 });
    expect(config.policy.sla[0]!.firstResponse).toEqual({ days: 0, minutes: 60 });
    expect(config.policy.sla[1]!.resolution).toEqual({ days: 3, minutes: 0 });
    // The claim timer: a rule's own promise, the policy's default; claims written back to HubSpot.
    expect(config.policy.sla[0]!.claimWithin).toEqual({ days: 0, minutes: 15 });
    expect(config.policy.sla[1]!.claimWithin).toBeUndefined();
    expect(config.policy.claimWithin).toEqual({ days: 0, minutes: 30 });
    expect(config.policy.hubspot.writeBack).toEqual({
      claimSetsOwner: 'whenUnassigned',
      handledMovesToStage: { '0': '4' },
    });
    expect(config.policy.feedback.followUpWithin).toEqual({ days: 1, minutes: 0 });
    expect(config.policy.sync).toEqual({ intervalMinutes: 5, requestsPer10s: 100, searchPerSecond: 4 });
    // Burst budgets and backlog waves: the documented defaults.
    expect(config.policy.nudges).toEqual({
      windowMinutes: 15,
      perChannel: 10,
      perEscalationChannel: 5,
      perPerson: 5,
      predictedPerChannel: 3,
      backlogWaveGapMinutes: 60,
    });
    // Silent tickets and predicted breaches: their defaults (predictions are opt-in).
    expect(config.policy.silent).toEqual({ afterDays: 3, stages: {} });
    expect(config.policy.predictions).toEqual({ enabled: false, windowDays: 14, minSamples: 5 });
    expect(Object.isFrozen(config.policy.teams[0])).toBe(true);
  });

  it('refuses the old CES "atLeast" with how HubSpot scores CES', () => {
    const policy = full();
    policy.feedback = { ...policy.feedback, CES: { atLeast: 5 } };
    expect(
      errorOf(() => loadPolicy(policy))
        .message.split('\n')
        .slice(1),
    ).toEqual([
      '  feedback.CES.atLeast: CES is scored 1 (very difficult) to 7 (very easy) in HubSpot: use "atMost" (HubSpot\'s detractors are 1–3), not "atLeast"',
    ]);
  });

  it('takes away-aware routing from the file: backups per team, what counts as away, and the defaults', () => {
    const config = loadPolicy(full());
    expect(config.policy.teams[0]!.backup).toEqual({ users: ['U0BOB', 'U0DAN'], userGroup: 'S0COVER' });
    expect(config.policy.away).toEqual({
      statusEmoji: [':palm_tree:', ':airplane:', ':face_with_thermometer:'],
      statusText: ['out of office', 'vacation', 'OOO'],
      outsideWorkingHours: true,
      statusCacheMinutes: 5,
    });
    const bare = full();
    delete bare.away;
    delete bare.teams[0].backup;
    const defaults = loadPolicy(bare).policy;
    expect(defaults.teams[0]!.backup).toBeUndefined();
    expect(defaults.away).toEqual({
      statusEmoji: [':palm_tree:', ':airplane:', ':face_with_thermometer:', ':beach_with_umbrella:'],
      statusText: ['out of office', 'vacation', 'OOO', 'on leave'],
      outsideWorkingHours: true,
      statusCacheMinutes: 5,
    });
    const wrong = full();
    wrong.teams[0].backup = { users: ['bob'], userGroup: 'C0CHANNEL' };
    wrong.away = { statusEmoji: ['palm_tree'] };
    const lines = errorOf(() => loadPolicy(wrong))
      .message.split('\n')
      .slice(1);
    expect(lines).toEqual([
      '  teams[0].backup.users[0]: must be a Slack user id like "U0123ABCD"',
      '  teams[0].backup.userGroup: must be a Slack user group id like "S0123ABCD"',
      '  away.statusEmoji[0]: must be an emoji code like ":palm_tree:"',
    ]);
    const schema = policyJsonSchema() as { properties: Record<string, { properties: Record<string, unknown> }> };
    expect(Object.keys(schema.properties['away']!.properties)).toEqual([
      'statusEmoji',
      'statusText',
      'outsideWorkingHours',
      'statusCacheMinutes',
    ]);
  });

  it('takes burst budgets from the file, and refuses a budget that leaves no room for "and N more"', () => {
    const policy = full();
    policy.nudges = { perChannel: 20, perPerson: 3 };
    expect(loadPolicy(policy).policy.nudges).toMatchObject({ perChannel: 20, perPerson: 3, perEscalationChannel: 5 });
    policy.nudges = { perEscalationChannel: 1, windowMinutes: 0 };
    const lines = errorOf(() => loadPolicy(policy))
      .message.split('\n')
      .slice(1);
    expect(lines).toEqual([
      '  nudges.perEscalationChannel: must be at least 2: one message of its own and the "and N more"',
      expect.stringMatching(/^ {2}nudges\.windowMinutes: /),
    ]);
  });

  it('starts with one default team and standard SLAs when the file is missing, and says so', () => {
    const config = loadConfig({ env: { HEED_CONFIG: './nowhere.json' }, fileExists: () => false });
    expect(config.policySource).toBe('default');
    expect(config.policy.teams.map((t) => t.name)).toEqual(['support']);
    expect(config.policy.sla.map((r) => r.name)).toEqual(['urgent', 'standard']);
    expect(config.notices[0]).toMatch(/No policy file at \.\/nowhere\.json: using one team "support"/);
  });

  type Case = [string, (policy: ReturnType<typeof full>) => void, RegExp];
  const cases: Case[] = [
    ['an unknown top-level key', (p) => (p.colour = 'blue'), /\(top level\): unknown key "colour"/],
    ['an unknown team key', (p) => (p.teams[0].chanel = 'C1'), /teams\[0\]: unknown key "chanel"/],
    ['an unknown calendar key', (p) => (p.calendars.default.tz = 'UTC'), /calendars\.default: unknown key "tz"/],
    [
      'overlapping hours',
      (p) => p.calendars.default.hours.tue.push(['11:00', '14:00']),
      /calendars\.default\.hours\.tue\[2\]: overlaps hours\.tue\[0\]/,
    ],
    [
      'a past-midnight slot overlapping the next morning',
      (p) => (p.calendars.night.hours.sat = [['05:00', '07:00']]),
      /calendars\.night\.hours\.sat\[0\]: overlaps hours\.fri\[0\]/,
    ],
    [
      'an unknown time zone',
      (p) => (p.calendars.default.timezone = 'Europe/Atlantis'),
      /calendars\.default\.timezone: is not an IANA time zone/,
    ],
    [
      'an unknown calendar name',
      (p) => (p.teams[0].calendar = 'weekend'),
      /teams\[0\]\.calendar: unknown calendar "weekend" \(known: default, night\)/,
    ],
    [
      'an invalid duration',
      (p) => (p.sla[1].resolution = '3 days'),
      /sla\[1\]\.resolution: "3 days" is not a duration/,
    ],
    ['a zero duration', (p) => (p.sla[0].firstResponse = '0h'), /sla\[0\]\.firstResponse: "0h" is not a duration/],
    [
      'an invalid time',
      (p) => (p.calendars.default.hours.mon = [['9am', '17:00']]),
      /calendars\.default\.hours\.mon\[0\]\[0\]: must be a time/,
    ],
    [
      'an invalid holiday',
      (p) => (p.calendars.default.holidays = ['25.12.2026']),
      /calendars\.default\.holidays\[0\]: must be a date/,
    ],
    ['a bad channel id', (p) => (p.teams[0].channel = 'support'), /teams\[0\]\.channel: must be a Slack channel id/],
    [
      'a bad Slack user in people',
      (p) => (p.people['agent@example.com'] = 'agent'),
      /people\.agent@example\.com: must be a Slack user id/,
    ],
    ['a non-email key in people', (p) => (p.people.agent = 'U0AGENT'), /people\.agent: must be an email address/],
    ['no teams', (p) => (p.teams = []), /teams: at least one team is needed/],
    ['a rule with no targets', (p) => p.sla.push({ name: 'empty' }), /sla\[2\]: an SLA rule needs at least one of/],
    ['warnAt out of range', (p) => (p.sla[0].warnAt = 1.5), /sla\[0\]\.warnAt/],
    ['duplicate team names', (p) => p.teams.push({ ...p.teams[0] }), /teams\[1\]\.name: duplicate team name "support"/],
    [
      'a company property that is not an internal name',
      (p) => (p.sla[0].when = { company: { 'Customer Tier': ['Enterprise'] } }),
      /sla\[0\]\.when\.company\.Customer Tier: must be a HubSpot property internal name/,
    ],
    [
      'a contact property with no values',
      (p) => (p.sla[0].when = { contact: { vip: [] } }),
      /sla\[0\]\.when\.contact\.vip: list at least one value/,
    ],
  ];
  it.each(cases)('rejects %s with the path of the offending key', (_name, mutate, expected) => {
    const policy = full();
    mutate(policy);
    const error = errorOf(() => loadPolicy(policy));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/^Policy file \/etc\/heed\/policy\.json is invalid:/);
    expect(error.message).toMatch(expected);
    expect(error.fix).toMatch(/heed config-schema/);
  });

  it('reports every problem in one pass, in the order of the file, rules across keys and holiday files included', () => {
    const policy = full();
    policy.colour = 'blue';
    policy.calendars.default.timezone = 'Europe/Atlantis';
    policy.calendars.night.holidaysFile = 'missing.ics';
    policy.teams[0].calendar = 'weekend';
    policy.teams.push({ ...policy.teams[0], calendar: 'default' });
    policy.sla[1].resolution = '3 days';
    policy.sla.push({ name: 'empty' });
    policy.people['agent@example.com'] = 'agent';
    const error = errorOf(() =>
      loadPolicy(policy, {
        readFile: (path) => {
          throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
        },
      }),
    );
    const lines = error.message.split('\n').slice(1);
    expect(lines).toEqual([
      '  (top level): unknown key "colour"',
      expect.stringMatching(/^ {2}calendars\.default\.timezone: is not an IANA time zone/),
      expect.stringMatching(
        /^ {2}calendars\.night\.holidaysFile: cannot be read \(\/etc\/heed\/missing\.ics: ENOENT\)/,
      ),
      '  teams[0].calendar: unknown calendar "weekend" (known: default, night)',
      '  teams[1].name: duplicate team name "support"',
      expect.stringMatching(/^ {2}sla\[1\]\.resolution: "3 days" is not a duration/),
      '  sla[2]: an SLA rule needs at least one of firstResponse, nextResponse, resolution',
      expect.stringMatching(/^ {2}people\.agent@example\.com: must be a Slack user id/),
    ]);
  });

  it('lists at most 25 problems and counts the rest', () => {
    const policy = full();
    policy.teams = Array.from({ length: 40 }, (_, i) => ({ name: `t${i}`, channel: 'C0SUPPORT', calendar: 'nope' }));
    const lines = errorOf(() => loadPolicy(policy)).message.split('\n');
    expect(lines).toHaveLength(1 + 25 + 1);
    expect(lines.at(-1)).toBe('  … and 15 more');
  });

  it('rejects a file that is not JSON', () => {
    const error = errorOf(() => loadPolicy('{ "teams": [ }'));
    expect(error.message).toMatch(/Policy file \/etc\/heed\/policy\.json is not valid JSON/);
  });

  it('merges holidays from an iCalendar file next to the policy file', () => {
    const policy = full();
    policy.calendars.default.holidaysFile = 'holidays.ics';
    const ics = [
      'BEGIN:VCALENDAR',
      'BEGIN:VEVENT',
      'DTSTART;VALUE=DATE:20261224',
      'DTEND;VALUE=DATE:20261227',
      'SUMMARY:Christmas',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'DTSTART;VALUE=DATE:20270101',
      'SUMMARY:New Year',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    const config = loadPolicy(policy, { readFile: (path) => (path === '/etc/heed/holidays.ics' ? ics : '') });
    expect(config.policy.calendars.default!.holidays).toEqual(['2026-12-24', '2026-12-25', '2026-12-26', '2027-01-01']);
  });

  it('expands recurring holidays from the iCalendar file, from last year to ten years ahead, and names the rest', () => {
    const policy = full();
    policy.calendars.default.holidaysFile = 'holidays.ics';
    const ics = [
      'BEGIN:VCALENDAR',
      'BEGIN:VEVENT',
      'DTSTART;VALUE=DATE:20101225',
      'RRULE:FREQ=YEARLY',
      'SUMMARY:Christmas Day',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'DTSTART;VALUE=DATE:20260105',
      'RRULE:FREQ=WEEKLY;COUNT=3',
      'SUMMARY:Team offsite',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'DTSTART;VALUE=DATE:20260101',
      'RRULE:FREQ=YEARLY;BYWEEKNO=1',
      'SUMMARY:First week',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    // At a fixed "now" (2026): the window is 2025–2036 whatever year the suite runs in (on the wall clock, the
    // 2026 offsite fell out of the window from 2028 on), and no New Year's Eve run reads two different years.
    const notices: string[] = [];
    const parsed = parsePolicy(
      policy,
      '/etc/heed/policy.json',
      (path) => (path === '/etc/heed/holidays.ics' ? ics : ''),
      { notices, now: new Date('2026-12-04T12:00:00Z') },
    );
    const holidays = parsed.calendars.default!.holidays;
    expect(holidays).toContain('2025-12-25');
    expect(holidays).toContain('2036-12-25');
    expect(holidays).not.toContain('2024-12-25');
    expect(holidays).not.toContain('2037-12-25');
    expect(holidays).toEqual(expect.arrayContaining(['2026-01-05', '2026-01-12', '2026-01-19']));
    expect(holidays).not.toContain('2026-01-26');
    expect(notices.join('\n')).toMatch(
      /calendars\.default\.holidaysFile: 1 recurring event\(s\) have a rule that cannot be expanded \(First week\); only their first date counts/,
    );
    expect(holidays).toContain('2026-01-01');
  });

  it('claims: 30m of business time and no write-back unless the policy says otherwise', () => {
    const policy = full();
    delete policy.claimWithin;
    delete policy.hubspot;
    const config = loadPolicy(policy);
    expect(config.policy.claimWithin).toEqual({ days: 0, minutes: 30 });
    expect(config.policy.hubspot.writeBack).toEqual({ claimSetsOwner: 'never', handledMovesToStage: {} });
  });

  it('claims: a bad promise or write-back setting names its key', () => {
    const policy = full();
    policy.sla[1].claimWithin = 'soon';
    policy.hubspot.writeBack.claimSetsOwner = 'sometimes';
    const message = errorOf(() => loadPolicy(policy)).message;
    expect(message).toMatch(/sla\[1\]\.claimWithin: "soon" is not a duration/);
    expect(message).toMatch(/hubspot\.writeBack\.claimSetsOwner: /);
  });

  it('prints a JSON Schema that an editor can use', () => {
    const schema = policyJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        'calendars',
        'teams',
        'sla',
        'feedback',
        'waitingOnCustomerStages',
        'people',
        'claimWithin',
        'hubspot',
      ]),
    );
    expect(schema.required).toEqual(expect.arrayContaining(['calendars', 'teams', 'sla']));
    // Each budget says what it means in the editor.
    const nudges = schema.properties['nudges'] as { properties: Record<string, { description?: string }> };
    expect(Object.keys(nudges.properties)).toEqual([
      'windowMinutes',
      'perChannel',
      'perEscalationChannel',
      'perPerson',
      'predictedPerChannel',
      'backlogWaveGapMinutes',
    ]);
    for (const field of Object.values(nudges.properties)) expect(field.description).toBeTruthy();
  });
});

describe('durations and iCalendar', () => {
  // The grammar itself is the domain's (test/domain/duration.test.ts); the policy file adds that zero is no target.
  it.each([
    ['90m', { days: 0, minutes: 90 }],
    ['1d4h', { days: 1, minutes: 240 }],
    ['1d 4h', { days: 1, minutes: 240 }],
    ['2H', { days: 0, minutes: 120 }],
  ])('reads the SLA target %j', (text, expected) => {
    const policy = full();
    policy.sla[0].firstResponse = text;
    expect(loadPolicy(policy).policy.sla[0]!.firstResponse).toEqual(expected);
  });

  it.each(['', '0m', '0d0h', '4', '1.5h', '-1h', '1w', '3 days'])('rejects the SLA target %j', (text) => {
    const policy = full();
    policy.sla[0].firstResponse = text;
    expect(errorOf(() => loadPolicy(policy)).message).toMatch(
      new RegExp(`sla\\[0\\]\\.firstResponse: "${text}" is not a duration`),
    );
  });

  it('reads folded lines and date-time starts', () => {
    expect(
      parseIcsHolidays('BEGIN:VEVENT\r\nDTSTART:20260501T000000Z\r\nSUMMARY:May\r\n Day\r\nEND:VEVENT', {
        timeZone: 'UTC',
        fromYear: 2026,
        toYear: 2026,
      }).dates,
    ).toEqual(['2026-05-01']);
  });
});
