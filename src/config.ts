// The only reader of process.env and of the policy file. Everything is validated with zod once, at start-up,
// and handed around frozen: a bad value stops Heed with one message naming the variable (or the key path in the
// policy file) and how to fix it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { isZeroDuration, parseDuration } from './domain/duration.ts';
import { parseClockTime, type TWeekday, WEEKDAYS, WORKDAYS } from './domain/week.ts';
import { AppError } from './errors.ts';
import { parseIcsHolidays } from './ics-holidays.ts';

// ---------------------------------------------------------------- environment

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalString = (schema: z.ZodString) => z.preprocess(emptyToUndefined, schema.optional());

export const ZEnv = z.object({
  SLACK_BOT_TOKEN: optionalString(z.string().regex(/^xoxb-/, 'must be a bot token starting with "xoxb-"')),
  SLACK_SIGNING_SECRET: optionalString(z.string().min(8, 'looks too short for a signing secret')),
  SLACK_APP_TOKEN: optionalString(z.string().regex(/^xapp-/, 'must be an app-level token starting with "xapp-"')),
  HUBSPOT_ACCESS_TOKEN: optionalString(z.string().min(8, 'looks too short for a service key or app access token')),
  HUBSPOT_CLIENT_ID: optionalString(z.string().min(8, 'looks too short for a client id')),
  HUBSPOT_CLIENT_SECRET: optionalString(z.string().min(8, 'looks too short for a client secret')),
  HUBSPOT_API_URL: z.preprocess(emptyToUndefined, z.url().default('https://api.hubapi.com')),
  SLACK_API_URL: z.preprocess(
    emptyToUndefined,
    z
      .url()
      .default('https://slack.com/api/')
      .transform((url) => (url.endsWith('/') ? url : `${url}/`)),
  ),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default('file:./data/heed.db')
      .refine(
        (url) => /^(file:|postgres(ql)?:\/\/)/.test(url),
        'must start with file: (SQLite) or postgres:// (PostgreSQL)',
      ),
  ),
  HEED_CONFIG: z.preprocess(emptyToUndefined, z.string().default('./heed.config.json')),
  PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  LOG_LEVEL: z.preprocess(
    (value) => (typeof value === 'string' ? emptyToUndefined(value.toLowerCase()) : value),
    z.enum(LOG_LEVELS).default('info'),
  ),
});
export type TEnv = z.infer<typeof ZEnv>;

/** How to fix each variable, for start-up errors. */
const ENV_FIXES: Record<keyof TEnv, string> = {
  SLACK_BOT_TOKEN: 'copy the Bot User OAuth Token (xoxb-…) from your Slack app’s "OAuth & Permissions" page',
  SLACK_SIGNING_SECRET: 'copy the Signing Secret from your Slack app’s "Basic Information" page',
  SLACK_APP_TOKEN:
    'create an app-level token with connections:write under "Basic Information" (xapp-…), or unset it for HTTP mode',
  HUBSPOT_ACCESS_TOKEN:
    'create a HubSpot service key (Development → Keys → Service keys) with the scopes in README, or upload the project app in hubspot-app/ and copy its access token',
  HUBSPOT_CLIENT_ID:
    'copy the client id from the Auth tab of the project app uploaded from hubspot-app/, or unset it (no webhooks journal)',
  HUBSPOT_CLIENT_SECRET:
    'copy the client secret from the project app’s Auth tab, or unset it to disable webhooks and the journal',
  HUBSPOT_API_URL: 'use a full URL such as https://api.hubapi.com, or unset it',
  SLACK_API_URL: 'use a full URL such as https://slack.com/api/, or unset it',
  DATABASE_URL: 'use file:./data/heed.db for SQLite or postgres://user:pass@host:5432/heed for PostgreSQL',
  HEED_CONFIG: 'point it at your policy file (JSON), e.g. ./heed.config.json',
  PORT: 'use a port number between 0 and 65535',
  LOG_LEVEL: `use one of ${LOG_LEVELS.join(', ')}`,
};

export function parseEnv(env: NodeJS.ProcessEnv): TEnv {
  const result = ZEnv.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0]) as keyof TEnv;
  // Never echo the value: it may be a secret.
  throw new AppError('ENV_INVALID', `Environment variable ${name} is invalid: ${issue.message}.`, {
    fix: ENV_FIXES[name] ?? 'correct or unset it',
  });
}

/** For commands that need a variable the environment may omit (e.g. `heed sync` needs the HubSpot token). */
export function requireEnv<K extends keyof TEnv>(env: TEnv, name: K, purpose: string): NonNullable<TEnv[K]> {
  const value = env[name];
  if (value === undefined || value === null) {
    throw new AppError('ENV_MISSING', `Environment variable ${name} is not set; it is needed ${purpose}.`, {
      fix: ENV_FIXES[name],
    });
  }
  return value as NonNullable<TEnv[K]>;
}

/** A variable `heed start` needs, with why and how to set it. */
export type MissingEnv = { name: keyof TEnv; why: string; fix: string };

/**
 * What the server (`heed start`) needs beyond a valid environment: the Slack bot token, how Slack's requests are
 * checked (the signing secret in HTTP mode, or the app-level token for Socket Mode), and the HubSpot token.
 * `heed demo` needs none of them; `heed doctor` reports each as a failed check.
 */
export function missingServerEnv(env: TEnv): MissingEnv[] {
  const missing: MissingEnv[] = [];
  if (!env.SLACK_BOT_TOKEN) {
    missing.push({ name: 'SLACK_BOT_TOKEN', why: 'to post and read in Slack', fix: ENV_FIXES.SLACK_BOT_TOKEN });
  }
  if (!env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    missing.push({
      name: 'SLACK_SIGNING_SECRET',
      why: "to verify Slack's requests to /slack/events (or set SLACK_APP_TOKEN for Socket Mode)",
      fix: `${ENV_FIXES.SLACK_SIGNING_SECRET}, or ${ENV_FIXES.SLACK_APP_TOKEN.split(', or')[0]} for Socket Mode`,
    });
  }
  if (!env.HUBSPOT_ACCESS_TOKEN) {
    missing.push({
      name: 'HUBSPOT_ACCESS_TOKEN',
      why: 'to sync tickets and feedback from HubSpot',
      fix: ENV_FIXES.HUBSPOT_ACCESS_TOKEN,
    });
  }
  return missing;
}

/** Throws one ENV_MISSING naming every variable `heed start` needs and lacks, each with its fix. */
export function requireServerEnv(env: TEnv): void {
  const missing = missingServerEnv(env);
  if (missing.length === 0) return;
  const lines = missing.map(
    (m) => `  ${m.name} — needed ${m.why}.
    To fix: ${m.fix}`,
  );
  throw new AppError(
    'ENV_MISSING',
    `${missing.length === 1 ? 'A variable' : `${missing.length} variables`} Heed needs to run ${missing.length === 1 ? 'is' : 'are'} not set:\n${lines.join('\n')}`,
    { fix: 'set them in the environment (.env.example lists every variable), or try `heed demo`, which needs none' },
  );
}

// ---------------------------------------------------------------- policy file

const ZClockTime = z
  .string()
  .refine((time) => parseClockTime(time) !== undefined, 'must be a time "HH:MM" (00:00–24:00)');
const ZSlot = z
  .tuple([ZClockTime, ZClockTime])
  .refine(
    ([from, to]) => parseClockTime(from) !== parseClockTime(to),
    'a slot must not start and end at the same time',
  );
const ZDate = z.iso.date('must be a date "YYYY-MM-DD"');

/** Business-time durations (the domain's grammar): minutes, hours and business days, e.g. "90m", "4h", "1h30m", "3d". */
const ZDuration = z.string().transform((text, ctx) => {
  const duration = parseDuration(text);
  if (!duration || isZeroDuration(duration)) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a duration: use minutes, hours or business days like "90m", "4h", "1h30m", "3d"`,
    });
    return z.NEVER;
  }
  return duration;
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const ZHours = z.strictObject(
  Object.fromEntries(WEEKDAYS.map((day) => [day, z.array(ZSlot).optional()])) as Record<
    TWeekday,
    z.ZodOptional<z.ZodArray<typeof ZSlot>>
  >,
);

const ZCalendar = z
  .strictObject({
    timezone: z.string().refine(isTimeZone, 'is not an IANA time zone (e.g. "Europe/Berlin", "America/New_York")'),
    hours: ZHours,
    holidays: z.array(ZDate).default([]),
    /** An iCalendar (.ics) file of holidays, relative to the policy file. */
    holidaysFile: z.string().optional(),
  })
  .superRefine((calendar, ctx) => {
    // Minutes of the week each slot covers; a slot whose end is not after its start runs past midnight.
    const week: { day: TWeekday; index: number; from: number; to: number }[] = [];
    WEEKDAYS.forEach((day, dayIndex) => {
      for (const [index, [from, to]] of (calendar.hours[day] ?? []).entries()) {
        const [fromMinute, toMinute] = [parseClockTime(from), parseClockTime(to)];
        // A time that is not one is reported by ZClockTime; the overlap check needs both ends.
        if (fromMinute === undefined || toMinute === undefined) continue;
        const start = dayIndex * 1440 + fromMinute;
        const end = dayIndex * 1440 + toMinute + (toMinute <= fromMinute ? 1440 : 0);
        week.push({ day, index, from: start, to: end });
      }
    });
    const total = 7 * 1440;
    for (let i = 0; i < week.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = week[i]!;
        const b = week[j]!;
        // Compare on the weekly circle, so Sunday-night slots running into Monday are checked too.
        const overlaps = [-total, 0, total].some((shift) => a.from < b.to + shift && b.from + shift < a.to);
        if (overlaps) {
          ctx.addIssue({
            code: 'custom',
            path: ['hours', a.day, a.index],
            message: `overlaps hours.${b.day}[${b.index}]: working slots must not overlap`,
          });
        }
      }
    }
    if (week.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['hours'], message: 'a calendar needs at least one working slot' });
    }
  });

const ZTeamName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/i, 'use letters, digits, "-" or "_" (it is typed in slash commands)');
const ZChannel = z
  .string()
  .regex(/^([CGD][A-Z0-9]{2,}|#[a-z0-9][a-z0-9._-]*)$/, 'must be a Slack channel id like "C0123ABCD" (or "#name")');
const ZSlackUser = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like "U0123ABCD"');

const ZTeam = z.strictObject({
  name: ZTeamName,
  channel: ZChannel,
  escalationChannel: ZChannel.optional(),
  hubspotTeamIds: z.array(z.string().min(1)).default([]),
  pipelines: z.array(z.string().min(1)).default([]),
  /** HubSpot owner ids or emails whose tickets this team takes. */
  owners: z.array(z.string().min(1)).default([]),
  calendar: z.string().default('default'),
  digest: z
    .strictObject({
      enabled: z.boolean().default(true),
      time: ZClockTime.default('09:00'),
      days: z.array(z.enum(WEEKDAYS)).default([...WORKDAYS]),
    })
    .default({ enabled: true, time: '09:00', days: [...WORKDAYS] }),
  weeklyReport: z
    .strictObject({
      enabled: z.boolean().default(true),
      day: z.enum(WEEKDAYS).default('mon'),
      time: ZClockTime.default('09:00'),
    })
    .default({ enabled: true, day: 'mon', time: '09:00' }),
  /** Outside working time nudges wait (urgent priority excepted). */
  quietHours: z.boolean().default(true),
  /** Who may change shared state from Slack (`/digest post`, snoozing someone else's ticket). Empty: every member. */
  allowedUsers: z.array(ZSlackUser).default([]),
  allowedUserGroup: z
    .string()
    .regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id like "S0123ABCD"')
    .optional(),
  /** Away-aware routing: who is pinged instead of an owner who is away (see `away`). */
  backup: z
    .strictObject({
      users: z.array(ZSlackUser).default([]).describe('Slack user ids, in rotation order.'),
      userGroup: z
        .string()
        .regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id like "S0123ABCD"')
        .optional()
        .describe('A Slack user group whose members follow `users` in the rotation.'),
    })
    .optional()
    .describe('Who covers for an owner who is away: the first available one in rotation (one ticket keeps its cover).'),
});

/** A customer condition: HubSpot property internal names (e.g. "tier") → the values that match. */
const ZPropertyCondition = z.record(
  z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,99}$/, 'must be a HubSpot property internal name, e.g. "tier" (lower case, digits, "_")'),
  z.array(z.string().min(1)).min(1, 'list at least one value'),
);

const ZWhen = z.strictObject({
  priority: z.array(z.string().min(1)).optional(),
  pipeline: z.array(z.string().min(1)).optional(),
  team: z.array(z.string().min(1)).optional(),
  category: z.array(z.string().min(1)).optional(),
  source: z.array(z.string().min(1)).optional(),
  /** Properties of the ticket's primary company (e.g. { "tier": ["Enterprise"] }); synced for these rules. */
  company: ZPropertyCondition.optional(),
  /** Properties of the ticket's primary contact. */
  contact: ZPropertyCondition.optional(),
});

const ZSlaRule = z.strictObject({
  name: z.string().min(1),
  when: ZWhen.optional(),
  firstResponse: ZDuration.optional(),
  nextResponse: ZDuration.optional(),
  resolution: ZDuration.optional(),
  /** Fraction of the target used at which a clock is "at risk". */
  warnAt: z.number().gt(0).lt(1).default(0.75),
  /** Escalate to the escalation channel when breached by more than this fraction of the target. */
  escalateAfter: z.number().min(0).default(0.5),
  /** Whether the AI agent's or a bot's reply stops this rule's response clocks (over `engine.countRepliesFrom`). */
  countRepliesFrom: z.strictObject({ aiAgent: z.boolean().optional(), bots: z.boolean().optional() }).optional(),
  /** A claim (👀) promises a public reply within this business time; over the policy's `claimWithin`. */
  claimWithin: ZDuration.optional().describe(
    'A claim promises a public reply within this business time (e.g. "20m"); over the policy\'s claimWithin.',
  ),
});

/** Which automated replies count as a response; a person's reply always does. */
const ZCountRepliesFrom = z.strictObject({
  /** HubSpot's AI customer agent. */
  aiAgent: z.boolean().default(false),
  /** Chatflow bots and apps sending on the inbox's behalf. */
  bots: z.boolean().default(false),
});

/** The courtesy classifier (src/domain/substantive.ts): which customer messages only say thanks. */
const ZCourtesy = z.strictObject({
  /** Own text longer than this is never courtesy only. */
  maxLength: z.number().int().min(1).max(2000).default(120),
  /** More courtesy phrases, in any language, added to the built-in ones. */
  phrases: z.array(z.string().trim().min(1).max(100)).max(500).default([]),
  /** A message of emoji alone (👍) is courtesy. */
  emojiOnly: z.boolean().default(true),
});

const ZFeedback = z.strictObject({
  NPS: z.strictObject({ atMost: z.number().min(0).max(10) }).default({ atMost: 6 }),
  CSAT: z.strictObject({ atMost: z.number().min(0).max(5) }).default({ atMost: 2 }),
  /** HubSpot's CES runs 1 (very difficult) to 7 (very easy) and counts 1–3 as detractors. */
  CES: z
    .strictObject({
      atMost: z.number().min(1).max(7).optional(),
      /** The old reading of the scale (high = bad): refused with why, so nobody keeps flagging happy customers. */
      atLeast: z
        .never({
          error:
            'CES is scored 1 (very difficult) to 7 (very easy) in HubSpot: use "atMost" (HubSpot\'s detractors are 1–3), not "atLeast"',
        })
        .optional(),
    })
    .transform(({ atMost }) => ({ atMost: atMost ?? 3 }))
    .default({ atMost: 3 }),
  followUpWithin: ZDuration.default({ days: 1, minutes: 0 }),
  /** Any answer with a comment needs a follow-up too: criticism is worth more than praise. */
  commentsCount: z.boolean().default(true),
});

/**
 * Burst budgets: however many clocks become late at once (a first start, an outage, a policy change, a backlog
 * stepping up the ladder together), a channel or a person gets at most this many messages from Heed in any
 * `windowMinutes`; the rest roll into one "and N more" message, updated in place.
 */
const ZNudges = z
  .strictObject({
    /** The sliding window the budgets below count in. */
    windowMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(15)
      .describe('Minutes of the sliding window the burst budgets count in.'),
    /** Top-level messages in a team channel per window (nudges, the backlog summary, the "and N more" message). */
    perChannel: z
      .number()
      .int()
      .min(2, 'must be at least 2: one message of its own and the "and N more"')
      .max(500)
      .default(10)
      .describe(
        'Top-level messages Heed posts in a team channel per window (nudges, the backlog summary, the "and N more" message); the rest go into the "and N more" message.',
      ),
    /** Top-level messages in an escalation (leads) channel per window, its "and N more" message included. */
    perEscalationChannel: z
      .number()
      .int()
      .min(2, 'must be at least 2: one message of its own and the "and N more"')
      .max(500)
      .default(5)
      .describe('Messages Heed posts in an escalation (leads) channel per window, its "and N more" message included.'),
    /** Owner pings per person per window (a thread mention and its DM are one), the "and N more" DM included. */
    perPerson: z
      .number()
      .int()
      .min(2, 'must be at least 2: one message of its own and the "and N more"')
      .max(500)
      .default(5)
      .describe(
        'Owner pings per person per window (a thread mention and its DM count as one), the "and N more" DM included.',
      ),
    /**
     * Tickets found already late within this long of the previous ones join the team's same backlog summary
     * (updated in place); after a longer quiet spell, a new wave (an outage) gets a new summary.
     */
    /**
     * Predicted-breach nudges (policy `predictions`) a team channel gets per window, on top of nothing else: they
     * count towards `perChannel` too, and one over this budget waits (it becomes an at-risk nudge at warnAt).
     */
    predictedPerChannel: z
      .number()
      .int()
      .min(0)
      .max(500)
      .default(3)
      .describe(
        'Predicted-breach nudges a team channel gets per window (they count towards perChannel too); the rest wait for their at-risk nudge.',
      ),
    backlogWaveGapMinutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(60)
      .describe(
        "Tickets found already late within this many minutes of the last ones join the team's backlog summary; later ones start a new summary.",
      ),
  })
  .describe('Burst budgets and backlog summaries: how much Heed posts at once.');

/**
 * Away-aware routing: an owner is away when HubSpot says so (availability status, an out-of-office period, outside
 * their working hours) or their Slack status does; their ping goes to the team's `backup` instead.
 */
const ZAway = z
  .strictObject({
    statusEmoji: z
      .array(z.string().regex(/^:[a-z0-9_+'-]+:$/i, 'must be an emoji code like ":palm_tree:"'))
      .default([':palm_tree:', ':airplane:', ':face_with_thermometer:', ':beach_with_umbrella:'])
      .describe('Slack status emoji that mean away.'),
    statusText: z
      .array(z.string().trim().min(1).max(100))
      .default(['out of office', 'vacation', 'OOO', 'on leave'])
      .describe('Words or phrases in a Slack status text that mean away (whole words, any case).'),
    outsideWorkingHours: z
      .boolean()
      .default(true)
      .describe('Outside their HubSpot working hours counts as away (only for people HubSpot has working hours of).'),
    statusCacheMinutes: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(5)
      .describe('Minutes a Slack status or user group is trusted before Slack is asked again.'),
  })
  .describe('Away-aware routing: who counts as away.');
export type TAwaySettings = z.output<typeof ZAway>;
export const DEFAULT_AWAY_SETTINGS: TAwaySettings = Object.freeze(ZAway.parse({}));

export type TNudgeSettings = z.output<typeof ZNudges>;
export const DEFAULT_NUDGE_SETTINGS: TNudgeSettings = Object.freeze(ZNudges.parse({}));

/**
 * Silent tickets (domain/silent.ts): open tickets nobody moved for this many business days in their stage are
 * listed in the digest. `stages` sets another threshold per stage id; 0 never lists that stage.
 */
const ZSilent = z
  .strictObject({
    afterDays: z
      .number()
      .int()
      .min(1)
      .max(60)
      .default(3)
      .describe(
        'Business days without a move (stage change or message) after which an open ticket is listed as silent.',
      ),
    stages: z
      .record(z.string().min(1), z.number().int().min(0).max(60))
      .default({})
      .describe('Stage id → business days for that stage; 0 never lists the stage.'),
  })
  .describe('Silent tickets listed in the digest.');

/**
 * Predicted breaches (domain/predict.ts): a calm first-response clock likely to breach at its owner's recent pace
 * gets a "likely to breach at 14:20 unless someone picks it up" nudge before its warnAt. Off unless turned on: it
 * is a new kind of message, worth it once the team has a few weeks of replies behind it.
 */
const ZPredictions = z
  .strictObject({
    enabled: z.boolean().default(false).describe('Flag first-response clocks likely to breach before their warnAt.'),
    windowDays: z
      .number()
      .int()
      .min(1)
      .max(90)
      .default(14)
      .describe("Days of first replies an owner's pace is measured over."),
    minSamples: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(5)
      .describe("First replies an owner needs in the window to be judged on their own pace (else the team's)."),
  })
  .describe('Predicted breaches.');

/**
 * Claims written back to HubSpot (off by default; needs the `tickets` scope to write): a claim sets the ticket's
 * owner (`whenUnassigned`: only a ticket nobody owns; `always`), and ✅ handled moves it to a stage of its pipeline.
 */
const ZWriteBack = z
  .strictObject({
    claimSetsOwner: z
      .enum(['never', 'whenUnassigned', 'always'])
      .default('never')
      .describe("A claim sets the ticket's HubSpot owner: never, only a ticket nobody owns, or always."),
    /** Pipeline id → the stage id ✅ handled moves its tickets to. */
    handledMovesToStage: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe('Pipeline id → the stage id that ✅ handled moves its tickets to.'),
  })
  .describe('Claims written back to HubSpot (needs the tickets scope to write; `heed doctor` checks it).');
export type TWriteBack = z.output<typeof ZWriteBack>;

/** Whether the policy writes anything back to HubSpot. */
export const writesBack = (w: TWriteBack): boolean =>
  w.claimSetsOwner !== 'never' || Object.keys(w.handledMovesToStage).length > 0;

const ZPolicy = z.strictObject({
  $schema: z.string().optional(),
  calendars: z.record(z.string().min(1), ZCalendar),
  teams: z.array(ZTeam).min(1, 'at least one team is needed'),
  sla: z.array(ZSlaRule).min(1, 'at least one SLA rule is needed'),
  feedback: ZFeedback.default(ZFeedback.parse({})),
  waitingOnCustomerStages: z.array(z.string().min(1)).default([]),
  people: z.record(z.email('must be an email address'), ZSlackUser).default({}),
  engine: z
    .strictObject({
      /** Use HubSpot's own SLA due dates where the ticket has them; disagreements are logged. */
      useHubspotSla: z.boolean().default(false),
      /**
       * A customer message shorter than this (when its text is known) is courtesy whatever it says. 0 (the
       * default) leaves the judgement to `courtesy`: "It still fails." is short, and a real request.
       */
      substantiveReplyMinLength: z.number().int().min(0).default(0),
      courtesy: ZCourtesy.default({ maxLength: 120, phrases: [], emojiOnly: true }),
      countRepliesFrom: ZCountRepliesFrom.default({ aiAgent: false, bots: false }),
      /** Next response runs from the first unanswered customer message (default) or from the latest one. */
      nextResponseFrom: z.enum(['firstUnanswered', 'latest']).default('firstUnanswered'),
      /**
       * A clock that became late at most this many minutes before Heed first saw it counts as seen live (an
       * individual nudge); one late for longer is backlog (one summary per team). At least two sync intervals.
       */
      liveWindowMinutes: z.number().int().min(1).max(1440).default(15),
    })
    .default({
      useHubspotSla: false,
      substantiveReplyMinLength: 0,
      courtesy: { maxLength: 120, phrases: [], emojiOnly: true },
      countRepliesFrom: { aiAgent: false, bots: false },
      nextResponseFrom: 'firstUnanswered',
      liveWindowMinutes: 15,
    }),
  nudges: ZNudges.default(ZNudges.parse({})),
  silent: ZSilent.default(ZSilent.parse({})),
  predictions: ZPredictions.default(ZPredictions.parse({})),
  away: ZAway.default(ZAway.parse({})),
  sync: z
    .strictObject({
      intervalMinutes: z.number().int().min(1).max(1440).default(5),
      /** HubSpot requests per 10 s: 100 for Free/Starter, 190 for Pro/Enterprise, 250 with a capacity pack. */
      requestsPer10s: z.number().int().min(1).max(1000).default(100),
      searchPerSecond: z.number().min(0.1).max(5).default(4),
    })
    .default({ intervalMinutes: 5, requestsPer10s: 100, searchPerSecond: 4 }),
  schedules: z
    .strictObject({
      evaluateCron: z.string().default('* * * * *'),
      /** A digest missed while every replica was down is still sent this long after its time, marked late. */
      digestGraceHours: z.number().min(0).max(24).default(3),
    })
    .default({ evaluateCron: '* * * * *', digestGraceHours: 3 }),
  // ── Claims (issue 15): the claim timer's default, and claims written back to HubSpot.
  /** A claim promises a public reply within this business time (a rule's own `claimWithin` wins). */
  claimWithin: ZDuration.default({ days: 0, minutes: 30 }).describe(
    'A claim (👀) promises a public reply within this business time; then the nudge says so and pings the claimer again.',
  ),
  hubspot: z
    .strictObject({
      writeBack: ZWriteBack.default({ claimSetsOwner: 'never', handledMovesToStage: {} }),
    })
    .default({ writeBack: { claimSetsOwner: 'never', handledMovesToStage: {} } }),
  operations: z
    .strictObject({
      retentionDays: z.number().int().min(1).default(180),
      /** /readyz fails when the last successful sync is older than this. */
      readyMaxSyncAgeMinutes: z.number().int().min(1).default(30),
    })
    .default({ retentionDays: 180, readyMaxSyncAgeMinutes: 30 }),
});

type Problem = { readonly path: readonly PropertyKey[]; readonly message: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Rules across keys (a team's calendar must exist, names must be unique, a rule needs a target). They read the
 * raw object, defensively, so they are reported together with the schema's problems in one pass: a zod
 * refinement would only run once everything else was valid, and the person would fix the file twice.
 */
function crossKeyProblems(raw: unknown): Problem[] {
  if (!isRecord(raw)) return [];
  const problems: Problem[] = [];
  const calendars = isRecord(raw['calendars']) ? Object.keys(raw['calendars']) : undefined;
  const names = new Set<string>();
  const teams = Array.isArray(raw['teams']) ? raw['teams'] : [];
  teams.forEach((team: unknown, index) => {
    if (!isRecord(team)) return;
    const calendar = team['calendar'] ?? 'default';
    if (calendars && typeof calendar === 'string' && !calendars.includes(calendar)) {
      problems.push({
        path: ['teams', index, 'calendar'],
        message: `unknown calendar "${calendar}" (known: ${calendars.join(', ') || 'none'})`,
      });
    }
    const name = team['name'];
    if (typeof name !== 'string') return;
    if (names.has(name.toLowerCase())) {
      problems.push({ path: ['teams', index, 'name'], message: `duplicate team name "${name}"` });
    }
    names.add(name.toLowerCase());
  });
  const ruleNames = new Set<string>();
  const rules = Array.isArray(raw['sla']) ? raw['sla'] : [];
  rules.forEach((rule: unknown, index) => {
    if (!isRecord(rule)) return;
    const name = rule['name'];
    if (typeof name === 'string') {
      if (ruleNames.has(name)) {
        problems.push({ path: ['sla', index, 'name'], message: `duplicate SLA rule name "${name}"` });
      }
      ruleNames.add(name);
    }
    if (rule['firstResponse'] === undefined && rule['nextResponse'] === undefined && rule['resolution'] === undefined) {
      problems.push({
        path: ['sla', index],
        message: 'an SLA rule needs at least one of firstResponse, nextResponse, resolution',
      });
    }
  });
  return problems;
}

export type TPolicy = z.output<typeof ZPolicy>;
export type TPolicyInput = z.input<typeof ZPolicy>;
export type TTeam = TPolicy['teams'][number];
export type TSlaRule = TPolicy['sla'][number];
export type TCalendarConfig = TPolicy['calendars'][string];

/** Used when there is no policy file: one team, Mon–Fri 09:00–17:00 UTC, standard SLAs. */
export const DEFAULT_POLICY: TPolicyInput = {
  calendars: {
    default: {
      timezone: 'UTC',
      hours: Object.fromEntries(WORKDAYS.map((day) => [day, [['09:00', '17:00']]])),
    },
  },
  teams: [{ name: 'support', channel: '#support', calendar: 'default' }],
  sla: [
    {
      name: 'urgent',
      when: { priority: ['URGENT', 'HIGH'] },
      firstResponse: '1h',
      nextResponse: '2h',
      resolution: '8h',
    },
    { name: 'standard', firstResponse: '4h', nextResponse: '8h', resolution: '3d' },
  ],
};

/** JSON Schema of the policy file, for editors (`heed config-schema`). */
export function policyJsonSchema(): unknown {
  return z.toJSONSchema(ZPolicy, { io: 'input', unrepresentable: 'any' });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

/** Problems listed in one message; past this many, the rest are counted (fixing the first often fixes more). */
const MAX_PROBLEMS_LISTED = 25;

/** The order of the keys as the file has them, so problems are listed top to bottom. */
function fileOrder(raw: unknown): (a: readonly PropertyKey[], b: readonly PropertyKey[]) => number {
  return (a, b) => {
    let node: unknown = raw;
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const [x, y] = [a[i]!, b[i]!];
      if (x !== y) {
        if (typeof x === 'number' && typeof y === 'number') return x - y;
        const keys = isRecord(node) ? Object.keys(node) : [];
        return keys.indexOf(String(x)) - keys.indexOf(String(y));
      }
      node = isRecord(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[x] : undefined;
    }
    return a.length - b.length;
  };
}

function zodProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  return issues.map((issue) => ({
    path: issue.path,
    message:
      issue.code === 'invalid_key'
        ? (issue.issues[0]?.message ?? issue.message)
        : issue.code === 'unrecognized_keys'
          ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
          : issue.message,
  }));
}

/**
 * Holidays from each calendar's iCalendar file, read even when other keys are wrong (so every problem shows in
 * one pass). Returns the dates per calendar name.
 */
function readHolidayFiles(
  raw: unknown,
  source: string,
  readIcs: (path: string) => string,
  options: { readonly notices?: string[]; readonly now?: Date },
  problems: Problem[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const calendars = isRecord(raw) && isRecord(raw['calendars']) ? raw['calendars'] : {};
  for (const [name, calendar] of Object.entries(calendars)) {
    const file = isRecord(calendar) ? calendar['holidaysFile'] : undefined;
    if (typeof file !== 'string') continue;
    const path = resolve(dirname(source), file);
    const where = ['calendars', name, 'holidaysFile'];
    let text: string;
    try {
      text = readIcs(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push({
        path: where,
        message: `cannot be read (${path}: ${reason}); point it at an iCalendar (.ics) file, relative to the policy file`,
      });
      continue;
    }
    // Recurring events are expanded from last year to ten years ahead: a restart picks up the years after. Timed
    // events count on the days they touch in the calendar's own zone (a zone the schema rejects reads as UTC
    // here; that problem is reported on its own).
    const year = (options.now ?? new Date()).getUTCFullYear();
    const timezone = isRecord(calendar) && typeof calendar['timezone'] === 'string' ? calendar['timezone'] : 'UTC';
    const { dates, unexpanded, error } = parseIcsHolidays(text, {
      timeZone: isTimeZone(timezone) ? timezone : 'UTC',
      fromYear: year - 1,
      toYear: year + 10,
    });
    if (error !== undefined) {
      problems.push({
        path: where,
        message: `is not an iCalendar file (${path}: ${error}); export the holidays as .ics (RFC 5545)`,
      });
      continue;
    }
    if (unexpanded.length > 0) {
      options.notices?.push(
        `calendars.${name}.holidaysFile: ${unexpanded.length} recurring event(s) have a rule that cannot be expanded ` +
          `(${unexpanded.slice(0, 3).join(', ')}${unexpanded.length > 3 ? ', …' : ''}); only their first date counts. ` +
          'Check their RRULE, or list the dates one event each.',
      );
    }
    if (dates.length === 0) {
      problems.push({
        path: where,
        message: `has no VEVENT dates (${path}); use an .ics file with all-day events (DTSTART;VALUE=DATE:YYYYMMDD)`,
      });
      continue;
    }
    out.set(name, dates);
  }
  return out;
}

/**
 * Validates a parsed policy object. `source` names it in messages (usually the file path). Every problem —
 * the schema's, the rules across keys and unreadable holiday files — is reported in one error.
 */
export function parsePolicy(
  raw: unknown,
  source: string,
  readIcs: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  options: { readonly notices?: string[]; readonly now?: Date } = {},
): TPolicy {
  const result = ZPolicy.safeParse(raw);
  const problems: Problem[] = [...(result.success ? [] : zodProblems(result.error.issues)), ...crossKeyProblems(raw)];
  const holidays = readHolidayFiles(raw, source, readIcs, options, problems);
  if (!result.success || problems.length > 0) {
    const byPath = fileOrder(raw);
    const sorted = problems
      .map((problem, order) => ({ problem, order }))
      .sort((a, b) => byPath(a.problem.path, b.problem.path) || a.order - b.order)
      .map(({ problem }) => problem);
    const lines = sorted
      .slice(0, MAX_PROBLEMS_LISTED)
      .map((problem) => `  ${formatPath(problem.path) || '(top level)'}: ${problem.message}`);
    if (sorted.length > MAX_PROBLEMS_LISTED) lines.push(`  … and ${sorted.length - MAX_PROBLEMS_LISTED} more`);
    throw new AppError('CONFIG_INVALID', `Policy file ${source} is invalid:\n${lines.join('\n')}`, {
      fix: 'correct the keys named above; `heed config-schema` prints the JSON Schema your editor can check the file against',
    });
  }
  const policy = result.data;
  for (const [name, dates] of holidays) {
    const calendar = policy.calendars[name]!;
    calendar.holidays = [...new Set([...calendar.holidays, ...dates])].sort();
  }
  return policy;
}

// ---------------------------------------------------------------- everything together

export type Config = {
  readonly env: Readonly<TEnv>;
  readonly policy: Readonly<TPolicy>;
  /** Where the policy came from: the file path, or 'default' when there was no file. */
  readonly policySource: string;
  /** Things worth telling the person at start-up (e.g. "no policy file, using defaults"). */
  readonly notices: readonly string[];
};

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export type LoadConfigOptions = {
  env?: NodeJS.ProcessEnv;
  /** Overrides HEED_CONFIG (the CLI's --config flag). */
  policyPath?: string;
  readFile?: (path: string) => string;
  fileExists?: (path: string) => boolean;
};

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = parseEnv(options.env ?? process.env);
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const fileExists = options.fileExists ?? existsSync;
  const path = options.policyPath ?? env.HEED_CONFIG;
  const notices: string[] = [];
  let policy: TPolicy;
  let policySource = path;
  if (!fileExists(path)) {
    policy = parsePolicy(DEFAULT_POLICY, 'default policy');
    policySource = 'default';
    notices.push(
      `No policy file at ${path}: using one team "support" posting to #support, Mon–Fri 09:00–17:00 UTC, standard SLAs. ` +
        'Create the file (see README, "Configuration") or set HEED_CONFIG.',
    );
  } else {
    let raw: unknown;
    try {
      raw = JSON.parse(readFile(path));
    } catch (error) {
      throw new AppError('CONFIG_INVALID', `Policy file ${path} is not valid JSON: ${(error as Error).message}`, {
        fix: 'fix the JSON syntax (a trailing comma or a missing quote is the usual cause)',
        cause: error,
      });
    }
    policy = parsePolicy(raw, path, readFile, { notices });
  }
  return deepFreeze({ env, policy, policySource, notices });
}

/** Which database a URL selects. */
export function databaseProvider(url: string): 'sqlite' | 'postgresql' {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgresql' : 'sqlite';
}
