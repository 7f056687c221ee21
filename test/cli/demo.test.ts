// `heed demo` as someone on a fresh clone runs it: a child process with no tokens and no network, in an empty
// directory. Its output has to contain every section with real content, and the run must clean up after itself.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatDemo, HUBSPOT_SCOPES, sampleNudges, wrapItem } from '../../src/cli/demo.ts';
import { DEMO_NOW, type DemoMessage, type DemoResult, demoPolicy } from '../../src/cli/demo-run.ts';
import { parseEnv, parsePolicy } from '../../src/config.ts';
import { renderEscalationPost, renderNudge } from '../../src/slack/render/nudge.ts';
import { renderQueuePage } from '../../src/slack/render/queue.ts';
import { terminalStyle } from '../../src/slack/render/terminal.ts';

const REPO = join(import.meta.dirname, '..', '..');
const HEED = join(REPO, 'bin', 'heed.js');

type Result = { code: number | null; stdout: string; stderr: string; ms: number };

function runHeed(args: string[], cwd: string, tmp: string): Promise<Result> {
  const started = performance.now();
  return new Promise((resolveRun) => {
    // Only what a fresh shell would have; TMPDIR points at a directory the test can check is left empty.
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp };
    const child = spawn(process.execPath, [HEED, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolveRun({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** The text between a heading ("━━━ title ━━━") and the next one. */
function section(output: string, title: string): string {
  const start = output.indexOf(`━━━ ${title} ━━━`);
  if (start < 0) return '';
  const next = output.indexOf('━━━ ', start + title.length + 8);
  return output.slice(start, next < 0 ? undefined : next);
}

const TEAMS = [
  { name: 'support', channel: '#support' },
  { name: 'tier2', channel: '#support-tier2' },
  { name: 'billing', channel: '#billing' },
];

describe('heed demo', () => {
  let run: Result;
  let tmp: string;

  beforeAll(async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'heed-demo-cwd-'));
    tmp = mkdtempSync(join(tmpdir(), 'heed-demo-tmp-'));
    run = await runHeed(['demo'], cwd, tmp);
  }, 90_000);

  it('exits 0 within the time budget, says so, and leaves nothing behind', () => {
    expect(run.stderr).not.toMatch(/error|unexpected/i);
    expect(run.code).toBe(0);
    const finished = /Demo finished in (\d+\.\d) s \(sync (\d+\.\d) s, evaluate (\d+\.\d) s, Slack (\d+\.\d) s\)/.exec(
      run.stdout,
    );
    expect(finished).not.toBeNull();
    expect(Number(finished![1])).toBeLessThan(60);
    expect(run.ms).toBeLessThan(90_000);
    // The throw-away database went into TMPDIR and is gone.
    expect(readdirSync(tmp).filter((name) => name.startsWith('heed-demo-'))).toEqual([]);
  });

  it('says what it ran, with a fixed date and each team’s local time', () => {
    // The numbered items are wrapped; read them as one line each.
    const flat = run.stdout.replace(/\n {5}(?=\S)/g, ' ');
    expect(run.stdout).toContain('No tokens needed');
    expect(run.stdout).toContain('Demo time: Tuesday, 17 November 2026 at 09:45 UTC — a fixed date');
    expect(run.stdout).toMatch(/support {2}#support {8}Europe\/London {4}Tue 09:45 local/);
    expect(run.stdout).toMatch(/tier2 {4}#support-tier2 {2}Europe\/Berlin {4}Tue 10:45 local/);
    expect(run.stdout).toMatch(/billing {2}#billing {8}Europe\/Helsinki {2}Tue 11:45 local/);
    const ran = /1\. HubSpot simulator: portal \d+ with (\d+) tickets over the last 14 days/.exec(flat);
    expect(Number(ran?.[1])).toBeGreaterThanOrEqual(200);
    const synced = /2\. heed sync into SQLite: (\d+) tickets, (\d+) owners, 2 pipelines, (\d+) feedback answers/.exec(
      flat,
    );
    expect(Number(synced?.[1])).toBeGreaterThanOrEqual(200);
    expect(Number(synced?.[3])).toBeGreaterThan(0);
    const engine = /(\d+) open clocks, (\d+) at risk, (\d+) breached/.exec(flat);
    expect(Number(engine?.[2])).toBeGreaterThan(0);
    expect(Number(engine?.[3])).toBeGreaterThan(0);
  });

  it.each(TEAMS)(
    'shows what $channel would receive: its backlog summary, nudges, then the digest',
    ({ name, channel }) => {
      const text = section(run.stdout, `${channel} would receive:`);
      expect(text, `no section for ${channel}`).not.toBe('');
      // What was already late when Heed started watching (yesterday noon): one summary, worst first, not a nudge each.
      const summary =
        /│ 📥 (\d+) tickets?(?: and \d+ negative feedback answers?)? were already late when Heed started watching — (\S+)/.exec(
          text,
        );
      expect(summary?.[2]).toBe(name);
      // The command when it lists them all; the button's name when some are late on resolution only.
      expect(text).toMatch(new RegExp(`(/unanswered ${name}|[Tt]he Show all waiting button) lists every one`));
      expect(text).toContain('│ [Show all waiting]');
      expect(text.indexOf('📥')).toBeLessThan(text.indexOf('Nudges ('));
      const nudges = /Nudges \((\d+): ([^)]*)\)/.exec(text);
      expect(Number(nudges?.[1])).toBeGreaterThan(0);
      // A nudge as the channel shows it: headline, owner and due fields, and the buttons.
      expect(text).toMatch(/│ (🚨 Breached|⏳ At risk|🚨 Negative feedback)/);
      expect(text).toMatch(/│ Owner {5}\S/);
      expect(text).toMatch(/│ Due {7}(due|overdue by)/);
      expect(text).toContain("│ [Open in HubSpot] [I'm on it] [Snooze] [Handled]");
      expect(text).toMatch(/│ Open in HubSpot: https:\/\/app\.hubspot\.com\/contacts\/\d+\/record\/0-5\/\d+/);
      // Mentions read as names, never as raw Slack ids or mrkdwn.
      expect(text).toMatch(/@[A-Z][a-zé]+ [A-Z]/);
      expect(text).not.toMatch(/<@U|<!date|<https?:|:rotating_light:/);
      // The digest comes after the nudges and has its sections.
      const digestAt = text.indexOf('Daily digest\n');
      expect(digestAt).toBeGreaterThan(text.indexOf('Nudges ('));
      const digest = text.slice(digestAt);
      expect(digest).toContain(`Daily digest — ${name}`);
      expect(digest).toMatch(/Yesterday in numbers \(Mon 16 Nov\)/);
      expect(digest).toMatch(/New tickets +\d+/);
      expect(digest).toMatch(/First-response SLA met/);
      expect(digest).toMatch(/Waiting now — \d+ breached, \d+ at risk/);
    },
  );

  it('shows escalations and the owners’ direct messages', () => {
    expect(run.stdout).toMatch(/Escalated to #support-leads \(\d+\)/);
    expect(run.stdout).toContain('🚨 Escalation — ');
    const dms = section(run.stdout, 'Direct messages');
    expect(dms).toMatch(/\d+ owners? got a DM when their ticket breached/);
  });

  it('tells one story: negative answers carry no praise, and "fastest" is no slower than the team', () => {
    // Slack only ever shows feedback that needs a follow-up: none of it may read "Great help, thank you!".
    expect(run.stdout).not.toMatch(/Great help, thank you!|Fast and friendly\./);
    const minutes = (text: string) =>
      [...text.matchAll(/(\d+)([hm])/g)].reduce((sum, [, n, unit]) => sum + Number(n) * (unit === 'h' ? 60 : 1), 0);
    let thanked = 0;
    for (const { channel } of TEAMS) {
      const text = section(run.stdout, `${channel} would receive:`);
      const digest = text.slice(text.indexOf('Daily digest\n'));
      const team = /Median first response +(\S+(?: \S+m)?) /.exec(digest)?.[1];
      const fastest = /fastest first replies — .*? \(median ([^)]*?) over \d+ tickets; the team's ([^)]*)\)/.exec(
        digest,
      );
      if (!fastest) continue;
      thanked++;
      expect(fastest[2]).toBe(team);
      expect(minutes(fastest[1]!)).toBeLessThanOrEqual(minutes(fastest[2]!));
    }
    expect(thanked).toBeGreaterThan(0);
  });

  it('answers /unanswered for one team from the slash command’s own query', () => {
    const text = section(run.stdout, '/unanswered in #support');
    expect(text).toContain('Waiting for our reply — support');
    const shown = /Showing 1–(\d+) of (\d+), most urgent first/.exec(text);
    expect(Number(shown?.[1])).toBeGreaterThan(0);
    const items = text.split('\n').filter((line) => /│ (🚨|⏳|🔵|💬) /.test(line));
    expect(items.length).toBe(Number(shown?.[1]));
    expect(text).toMatch(/(first response|next response|feedback follow-up) · waiting/);
  });

  it('ends with how to connect a real workspace, in step with README.md', () => {
    const text = section(run.stdout, 'Connect Heed to your workspace');
    expect(text).toContain('manifest.json');
    for (const variable of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'HUBSPOT_ACCESS_TOKEN', 'DATABASE_URL']) {
      expect(text).toContain(variable);
    }
    expect(text).toContain('npx heed doctor');
    expect(text).toContain('npm start');
    // Every scope README's table asks for is named, and no other.
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    // The rows of the table whose header reads "| HubSpot scope |".
    const table = readme.slice(readme.search(/^\s*\| HubSpot scope +\|/m)).split(/\n\s*\n/)[0]!;
    const readmeScopes = [...table.matchAll(/^\s*\| `([a-z_.]+)` +\|/gm)].map((m) => m[1]);
    expect(readmeScopes.length).toBeGreaterThan(0);
    expect([...HUBSPOT_SCOPES].sort()).toEqual([...readmeScopes].sort());
    for (const scope of HUBSPOT_SCOPES) expect(text).toContain(scope);
    // The manifest it points at exists.
    expect(readdirSync(REPO)).toContain('manifest.json');
  });

  it('prints no colour codes when stdout is not a terminal, and no half-rendered values', () => {
    expect(run.stdout.includes('\x1b[')).toBe(false);
    expect(run.stdout).not.toMatch(/undefined|NaN|\[object Object\]|Invalid Date/);
  });

  it('prints its policy, which the policy file schema accepts', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'heed-demo-cwd-'));
    const result = await runHeed(['demo', '--policy'], cwd, mkdtempSync(join(tmpdir(), 'heed-demo-tmp-')));
    expect(result.code).toBe(0);
    const policy = parsePolicy(JSON.parse(result.stdout), 'heed demo --policy');
    expect(policy.teams.map((t) => t.name)).toEqual(TEAMS.map((t) => t.name));
    expect(new Set(Object.values(policy.calendars).map((c) => c.timezone)).size).toBe(3);
  });
});

describe('wrapItem', () => {
  it.each([
    ['a short item stays on one line', 'one two three', 40, ['  1. one two three']],
    ['a long one continues under its text', 'aaaa bbbb cccc dddd', 15, ['  1. aaaa bbbb', '     cccc dddd']],
    [
      'a word longer than the width gets its own line',
      'a bbbbbbbbbbbbbbbbbbbb c',
      12,
      ['  1. a', '     bbbbbbbbbbbbbbbbbbbb', '     c'],
    ],
  ])('%s', (_name, text, width, expected) => {
    expect(wrapItem(1, text, width)).toEqual(expected);
  });
});

describe('sampleNudges', () => {
  const nudge = (text: string): DemoMessage => ({ channel: 'C1', text, blocks: [], replies: [] });
  const breached = [1, 2, 3, 4, 5].map((i) => nudge(`Breached — first response: ${i}`));
  const atRisk = nudge('At risk — first response: 6');
  const feedback = nudge('Negative feedback — needs a follow-up: 7');

  it.each([
    ['all when there are few', [breached[0]!, atRisk], 4, [breached[0]!, atRisk]],
    [
      'one of each kind first, in channel order',
      [...breached, atRisk, feedback],
      4,
      [breached[0]!, breached[1]!, atRisk, feedback],
    ],
    ['fills with the earliest when a kind is missing', [...breached, atRisk], 3, [breached[0]!, breached[1]!, atRisk]],
  ])('%s', (_name, input, size, expected) => {
    expect(sampleNudges(input, size)).toEqual(expected);
  });

  it('keeps the demo policy valid', () => {
    expect(() => parsePolicy(demoPolicy(), 'demo')).not.toThrow();
  });
});

describe('formatDemo', () => {
  const view = (i: number, state: 'breached' | 'at_risk') => ({
    flagKey: `ticket:${i}:firstResponse:0`,
    kind: 'ticket' as const,
    state,
    clock: 'firstResponse' as const,
    customer: `Customer ${i}`,
    subject: `Subject ${i}`,
    owner: { name: 'Ada Okafor', slackUserId: 'U0ADA' },
    waitedBusinessMinutes: 200,
    waitedWallMinutes: 300,
    asOf: DEMO_NOW,
    dueAt: new Date(DEMO_NOW.getTime() + 3_600_000),
    overdueBusinessMinutes: state === 'breached' ? 30 : 0,
  });
  const posted = (message: { text: string; blocks: unknown[] }, replies: DemoMessage[] = []): DemoMessage => ({
    channel: 'C0DEMOSUP',
    ...message,
    replies,
  });

  function result(): DemoResult {
    const policy = parsePolicy(demoPolicy(), 'demo');
    const nudges = Array.from({ length: 6 }, (_, i) => posted(renderNudge(view(i, i === 5 ? 'at_risk' : 'breached'))));
    const [support, tier2, billing] = policy.teams;
    return {
      now: DEMO_NOW,
      config: { env: parseEnv({}), policy, policySource: 'demo', notices: [] },
      portal: { id: 1, tickets: 300, owners: 13, feedback: 40, days: 14 },
      overnight: 5,
      sync: {
        kind: 'backfill',
        records: {
          tickets: 300,
          ticketsRejected: 0,
          archived: 0,
          feedback: 40,
          feedbackRejected: 0,
          owners: 13,
          pipelines: 2,
          stages: 8,
          names: 10,
        },
        pages: { tickets: 3, feedback: 1 },
        restarts: 0,
        apiCalls: 12,
        apiCallsByEndpoint: {},
        durationMs: 1000,
        ticketsPerSecond: 300,
      },
      evaluation: { openClocks: 50, atRisk: 1, breached: 5, feedbackPending: 0, feedbackOverdue: 0 },
      nudges: {
        posted: 6,
        updated: 0,
        replies: 5,
        escalations: 2,
        dms: 0,
        deferred: 0,
        moved: 0,
        backlog: 12,
        rolledUp: 0,
        summaries: 1,
      },
      slack: { posts: 8, replies: 5, dms: 0, updates: 0, failed: 0 },
      teams: [
        {
          team: support!,
          timeZone: 'Europe/London',
          channelName: 'support',
          nudges,
          summaries: [
            posted({
              text: 'support: 12 tickets were already late when Heed started watching — 12 still waiting.',
              blocks: [
                {
                  type: 'section',
                  text: {
                    type: 'mrkdwn',
                    text: ':inbox_tray: *12 tickets were already late when Heed started watching* — support',
                  },
                },
              ],
            }),
          ],
          digest: [
            posted({
              text: 'Daily digest',
              blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Daily digest — support' } }],
            }),
          ],
          escalations: [0, 1].map((i) => posted(renderEscalationPost(view(i, 'breached'), 'support'))),
          escalationChannelName: 'support-leads',
        },
        {
          team: tier2!,
          timeZone: 'Europe/Berlin',
          channelName: 'support-tier2',
          nudges: [],
          summaries: [],
          digest: [],
          escalations: [],
          escalationChannelName: 'support-leads',
        },
        {
          team: billing!,
          timeZone: 'Europe/Helsinki',
          channelName: 'billing',
          nudges: [],
          summaries: [],
          digest: [],
          escalations: [],
          escalationChannelName: 'support-leads',
        },
      ],
      escalationOverflow: [],
      dms: [],
      unanswered: {
        team: 'support',
        channelName: 'support',
        message: renderQueuePage({
          title: 'Waiting for our reply — support',
          items: [],
          total: 0,
          offset: 0,
          emptyText: 'Nothing is waiting.',
        }),
      },
      people: new Map([['U0ADA', 'Ada Okafor']]),
      channelNames: new Map([['C0DEMOSUP', 'support']]),
      durations: { syncMs: 1000, evaluateMs: 100, slackMs: 2000, totalMs: 3200 },
    };
  }

  it('shows a sample of the nudges and escalations by default, and says how to see them all', () => {
    const text = formatDemo(result(), terminalStyle(false), { all: false, elapsedMs: 3456 });
    expect(text.match(/│ (🚨 Breached|⏳ At risk)/g)?.length).toBe(4);
    expect(text).toContain('…and 2 more nudges (2 breached) — `heed demo --all` prints every one.');
    expect(text.match(/🚨 Escalation — support/g)?.length).toBe(1);
    expect(text).toContain('…and 1 more escalation.');
    expect(text).toContain('Demo finished in 3.5 s (sync 1.0 s, evaluate 0.1 s, Slack 2.0 s).');
    // What was already late when Heed started: one summary, before the nudges.
    const support = section(text, '#support would receive:');
    expect(support).toContain('Already late when Heed started watching: one summary instead of a message each');
    expect(support).toContain('│ 📥 12 tickets were already late when Heed started watching — support');
    expect(support.indexOf('📥')).toBeLessThan(support.indexOf('Nudges ('));
    expect(text).toContain('1 summary (12 clocks already late when it started, 0 steps over a burst budget)');
  });

  it('shows every nudge and escalation with all', () => {
    const text = formatDemo(result(), terminalStyle(false), { all: true, elapsedMs: 3456 });
    expect(text.match(/│ (🚨 Breached|⏳ At risk)/g)?.length).toBe(6);
    expect(text.match(/🚨 Escalation — support/g)?.length).toBe(2);
    expect(text).not.toContain('more nudges');
  });

  it('says so when a team has no nudges or no digest, and when nothing is unanswered', () => {
    const text = formatDemo(result(), terminalStyle(false), { all: false, elapsedMs: 1 });
    const tier2 = section(text, '#support-tier2 would receive:');
    expect(tier2).toContain('Nothing at risk or breached: no nudges.');
    expect(tier2).toContain('(no digest was posted)');
    expect(section(text, '/unanswered in #support')).toContain('Nothing is waiting.');
    expect(text).not.toContain('Direct messages');
  });
});
