// Fuzzed slash-command text and webhook bodies against a running Heed (in-process, SQLite): ≥ 10,000 of each,
// all correctly signed so they reach Heed's own parsing. Every command is answered 200 with a usage message or an
// answer (never an apology from the error boundary), every webhook gets a 2xx/4xx (never a 5xx), no promise is left
// rejected, and Heed still answers /healthz at the end.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { sendSigned, slashCommandBody } from '../slack/support/slack-requests.ts';
import { testProviders } from '../support/db.ts';
import { faultSeed } from './support/prng.ts';
import { scenarioTally } from './support/results.ts';
import { type HeedTarget, SLACK_SIGNING_SECRET, startTarget } from './support/running-heed.ts';

const CASES = Number(process.env['HEED_FAULTS_FUZZ'] ?? 10_000);
const CONCURRENCY = 12;
const COMMANDS = ['/heed', '/unanswered', '/digest', '/slow'];
const WORDS = ['help', 'status', 'whois', 'mute', 'unmute', 'snooze', 'claim', 'me', 'team', 'post', 'preview', 'all'];
const APOLOGY = "something went wrong on Heed's side";
const seed = faultSeed();

const word = fc.constantFrom(...WORDS, 'tier1', 'billing', 'support', '3000000001', '-1', '0', 'NaN', '');
const fragment = fc.oneof(
  word,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.stringMatching(/^[A-Z0-9]{1,12}$/).map((id) => `<@U${id}|${id.toLowerCase()}>`),
  fc.stringMatching(/^[A-Z0-9]{1,12}$/).map((id) => `<#C${id}|chan-${id}>`),
  fc.stringMatching(/^[A-Z0-9]{1,12}$/).map((id) => `<!subteam^S${id}>`),
  fc.oneof(fc.integer(), fc.double(), fc.bigInt()).map(String),
  fc
    .tuple(fc.integer({ min: -5, max: 100_000 }), fc.constantFrom('m', 'h', 'd', 'w', 's', 'y', 'min', 'hours', ''))
    .map(([n, unit]) => `${n}${unit}`),
  fc.constantFrom(':eyes:', ':white_check_mark:', '🔥', '👩‍👩‍👧‍👦', '\u202e', '\u0000', '\t', '\r\n', '\u200b'),
  fc.constantFrom(
    "' OR 1=1; --",
    '"; DROP TABLE "Flag"; --',
    '<script>alert(1)</script>',
    '&lt;&gt;&amp;',
    '%00',
    '{{x}} #{x}',
    '*bold* _it_ `code`',
  ),
);
const slashText = fc.oneof(
  { weight: 8, arbitrary: fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join(' ')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 2000, maxLength: 12_000 }) },
  { weight: 1, arbitrary: fc.tuple(word, fc.string({ unit: 'binary', maxLength: 200 })).map(([w, s]) => `${w}${s}`) },
);

const hubspotEvent = fc.record(
  {
    eventId: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.double()),
    subscriptionId: fc.oneof(fc.integer(), fc.string()),
    portalId: fc.oneof(fc.constant(62515), fc.integer(), fc.string()),
    occurredAt: fc.oneof(fc.integer(), fc.string(), fc.constant(-1)),
    subscriptionType: fc.constantFrom(
      'ticket.propertyChange',
      'ticket.creation',
      'ticket.deletion',
      'contact.creation',
      'x',
      '',
    ),
    objectId: fc.oneof(
      fc.integer({ min: 3_000_000_000, max: 3_000_000_080 }),
      fc.integer(),
      fc.string(),
      fc.constant(null),
    ),
    propertyName: fc.oneof(fc.constant('hs_pipeline_stage'), fc.string()),
    propertyValue: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    attemptNumber: fc.nat(),
  },
  { requiredKeys: [] },
);
const webhookBody = fc.oneof(
  { weight: 4, arbitrary: fc.array(hubspotEvent, { maxLength: 12 }).map((events) => JSON.stringify(events)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'undefined') },
  {
    weight: 1,
    arbitrary: fc.array(hubspotEvent, { minLength: 1, maxLength: 6 }).chain((events) => {
      const text = JSON.stringify(events);
      return fc.nat({ max: Math.max(0, text.length - 1) }).map((cut) => text.slice(0, cut));
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 1000, max: 5000 })
      .map((n) =>
        JSON.stringify(
          Array.from({ length: n }, (_, i) => ({ eventId: i, objectId: i, subscriptionType: 'ticket.propertyChange' })),
        ),
      ),
  },
);

/** Runs `work` over `items` with a fixed number in flight. */
async function pool<T>(items: readonly T[], work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

describe.runIf(testProviders().includes('sqlite'))('fuzzed commands and webhooks against a running Heed', () => {
  let target: HeedTarget;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    target = await startTarget('sqlite', silentLogger(), 80);
    process.stdout.write(`fuzz: seed ${seed} (replay with HEED_FAULTS_SEED=${seed})\n`);
  });
  afterAll(async () => {
    await target?.close();
    process.off('unhandledRejection', onRejection);
  });

  /** The answer posted to a command's response_url, waited for a little (it follows the acknowledgement). */
  async function deferredAnswer(id: string): Promise<Record<string, unknown> | undefined> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = target.slack.responses.find((r) => r.path.endsWith(`/${id}`));
      if (found || Date.now() > deadline) return found?.body;
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
  }

  it(`${CASES} slash commands with generated text: each answered 200 with a usage message or an answer`, {
    timeout: 600_000,
  }, async () => {
    const tally = scenarioTally('fuzz: slash-command text', `seed ${seed}`);
    const texts = fc.sample(slashText, { seed, numRuns: CASES });
    const bad: string[] = [];
    let usage = 0;
    try {
      await pool(texts, async (text, index) => {
        const command = COMMANDS[index % COMMANDS.length]!;
        const body = slashCommandBody({
          command,
          text,
          user_id: 'UFUZZ',
          channel_id: 'CTIER1',
          response_url: target.slack.responseUrl(`fuzz-${index}`),
        });
        const reply = await sendSigned(target.base, body, 'application/x-www-form-urlencoded', {
          secret: SLACK_SIGNING_SECRET,
        });
        // `/digest` acknowledges at once and answers through the response_url (it evaluates the present first).
        const answer = reply.json ?? (reply.status === 200 ? await deferredAnswer(`fuzz-${index}`) : undefined);
        const replyText = typeof answer?.['text'] === 'string' ? (answer['text'] as string) : '';
        const ok =
          reply.status === 200 &&
          (replyText.length > 0 || Array.isArray(answer?.['blocks'])) &&
          !replyText.includes(APOLOGY);
        if (/usage|try|help/i.test(replyText)) usage += 1;
        if (!ok && bad.length < 5)
          bad.push(`${command} ${JSON.stringify(text.slice(0, 80))} → ${reply.status} ${reply.text.slice(0, 160)}`);
        tally.trial({ lost: 0, duplicated: 0, ok });
      });
      tally.note(`${usage} usage replies; ${rejections.length} unhandled rejections`);
      expect(bad).toEqual([]);
      expect(rejections).toEqual([]);
      expect((await fetch(`${target.base}/healthz`)).status).toBe(200);
    } finally {
      tally.write();
    }
  });

  it(`${CASES} signed webhook bodies (random JSON, wrong types, huge arrays, truncated): every answer 2xx or 4xx`, {
    timeout: 600_000,
  }, async () => {
    const tally = scenarioTally('fuzz: HubSpot webhook bodies', `seed ${seed}`);
    const bodies = fc.sample(webhookBody, { seed, numRuns: CASES });
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    try {
      await pool(bodies, async (body) => {
        const response = await fetch(`${target.base}/hubspot/webhooks`, {
          method: 'POST',
          headers: target.hubspotHeaders(body),
          body,
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const ok = response.status >= 200 && response.status < 500;
        if (!ok && bad.length < 5) bad.push(`${JSON.stringify(body.slice(0, 120))} → ${response.status}`);
        tally.trial({ lost: 0, duplicated: 0, ok });
      });
      tally.note(
        `statuses ${[...statuses]
          .sort()
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}; ${rejections.length} unhandled rejections`,
      );
      expect(bad).toEqual([]);
      expect(rejections).toEqual([]);
      expect((await fetch(`${target.base}/healthz`)).status).toBe(200);
    } finally {
      tally.write();
    }
  });
});
