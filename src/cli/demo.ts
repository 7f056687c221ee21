// `heed demo`: Heed end to end on this machine, with no tokens. A simulated HubSpot portal is synced into a
// throw-away SQLite database, evaluated, and the nudges and digests go through the real outbox to a stand-in
// for Slack; then it prints what each team's channel received, the answer to /unanswered, and how to connect
// a real workspace. Quick start's first command, so it has to work on a fresh clone and read well.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { HEED_SCOPES } from '../hubspot/scopes.ts';
import { createLogger, type Logger } from '../logger.ts';
import {
  DEMO_OUTBOX_SPEEDUP,
  type DemoMessage,
  type DemoResult,
  type DemoTeam,
  demoPolicy,
  runDemo,
} from '../services/demo.ts';
import {
  renderMessageLines,
  type TerminalRenderOptions,
  type TerminalStyle,
  terminalStyle,
} from '../slack/render/terminal.ts';
import type { CliIo, Command } from './commands.ts';

export interface DemoCommandOptions {
  /** Every nudge, not a sample of each kind. */
  all: boolean;
}

export interface DemoCommandDeps {
  io: CliIo;
  logger: Logger;
  /** Colour only when stdout is a terminal. */
  colour: boolean;
  /** Milliseconds, for the elapsed time (performance.now by default). */
  clock?: () => number;
}

/** Columns the prose is wrapped at (messages keep their own lines, as Slack shows them). */
const WIDTH = 110;

/** Nudges shown per channel unless --all. */
const SAMPLE = 4;

/** The HubSpot scopes Heed uses, as README.md lists them (test/cli/demo.test.ts keeps the two in step). */
export const HUBSPOT_SCOPES = HEED_SCOPES.map((s) => s.scope);

type NudgeKind = 'at risk' | 'breached' | 'feedback' | 'done';

/** What a nudge is about now, from its fallback text (the same words its headline uses). */
function nudgeKind(message: DemoMessage): NudgeKind {
  if (message.text.startsWith('Negative feedback')) return 'feedback';
  if (message.text.startsWith('At risk')) return 'at risk';
  // Updated in place since: answered, resolved, closed without a reply, handled, moved…
  return message.text.startsWith('Breached') ? 'breached' : 'done';
}

/** Up to `size` nudges, one of each kind first so the sample shows what Heed says; kept in channel order. */
export function sampleNudges(nudges: readonly DemoMessage[], size: number): DemoMessage[] {
  if (nudges.length <= size) return [...nudges];
  const chosen = new Set<DemoMessage>();
  for (const kind of ['at risk', 'breached', 'feedback'] as const) {
    const first = nudges.find((n) => nudgeKind(n) === kind);
    if (first && chosen.size < size) chosen.add(first);
  }
  for (const nudge of nudges) {
    if (chosen.size >= size) break;
    chosen.add(nudge);
  }
  return nudges.filter((n) => chosen.has(n));
}

function countKinds(nudges: readonly DemoMessage[]): string {
  const counts: Record<NudgeKind, number> = { 'at risk': 0, breached: 0, feedback: 0, done: 0 };
  for (const nudge of nudges) counts[nudgeKind(nudge)]++;
  return [
    counts.breached ? `${counts.breached} breached` : '',
    counts['at risk'] ? `${counts['at risk']} at risk` : '',
    counts.feedback ? `${counts.feedback} negative feedback` : '',
    counts.done ? `${counts.done} no longer waiting` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

function box(lines: string[], style: TerminalStyle, indent = '  '): string[] {
  return [
    `${indent}${style.dim('┌')}`,
    ...lines.map((line) => `${indent}${style.dim('│')} ${line}`),
    `${indent}${style.dim('└')}`,
  ];
}

function messageBlock(message: DemoMessage, options: TerminalRenderOptions, threadLimit = 2): string[] {
  const { style } = options;
  const lines = renderMessageLines(message, options);
  for (const reply of message.replies.slice(0, threadLimit)) {
    const [first = '', ...rest] = renderMessageLines(reply, options);
    lines.push(`${style.dim('↳ in thread:')} ${first}`, ...rest.map((line) => `  ${line}`));
  }
  if (message.replies.length > threadLimit)
    lines.push(style.dim(`↳ …and ${message.replies.length - threadLimit} more replies`));
  return box(lines, style);
}

function heading(text: string, style: TerminalStyle): string[] {
  return ['', style.bold(style.cyan(`━━━ ${text} ━━━`))];
}

/** A numbered line wrapped at word boundaries, continuation lines under its text. */
export function wrapItem(number: number, text: string, width = WIDTH): string[] {
  const lead = `  ${number}. `;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && lead.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? lead : ' '.repeat(lead.length)) + l);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function localTime(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}

function hoursText(result: DemoResult, team: DemoTeam): string {
  const calendar = result.config.policy.calendars[team.team.calendar];
  const monday = calendar?.hours.mon ?? [];
  return monday.length ? `Mon–Fri ${monday.map(([from, to]) => `${from}–${to}`).join(', ')}` : 'see the policy';
}

function teamSection(team: DemoTeam, options: TerminalRenderOptions, all: boolean): string[] {
  const { style } = options;
  const out = heading(`#${team.channelName} would receive:`, style);
  out.push(style.dim(`team ${team.team.name} · ${team.timeZone} · times as a reader there sees them`));

  // One message for many tickets: what was already late when Heed started, and what a burst held back.
  const backlog = team.summaries.filter((m) => m.text.includes('already late'));
  const overflow = team.summaries.filter((m) => !backlog.includes(m));
  if (backlog.length > 0) {
    out.push('', style.bold('Already late when Heed started watching: one summary instead of a message each'));
    for (const summary of backlog) out.push(...messageBlock(summary, options));
  }

  out.push('', style.bold(`Nudges (${team.nudges.length}${team.nudges.length ? `: ${countKinds(team.nudges)}` : ''})`));
  if (team.nudges.length === 0) out.push('  Nothing at risk or breached: no nudges.');
  const shown = all ? team.nudges : sampleNudges(team.nudges, SAMPLE);
  for (const nudge of shown) out.push(...messageBlock(nudge, options));
  const hidden = team.nudges.filter((n) => !shown.includes(n));
  if (hidden.length > 0) {
    out.push(
      `  …and ${plural(hidden.length, 'more nudge')} (${countKinds(hidden)}) — \`heed demo --all\` prints every one.`,
    );
  }

  if (overflow.length > 0) {
    out.push(
      '',
      style.bold(`Over the channel's burst budget (policy nudges.perChannel): listed in one message, kept up to date`),
    );
    for (const more of overflow) out.push(...messageBlock(more, options));
  }

  if (team.escalations.length > 0 && team.escalationChannelName) {
    out.push(
      '',
      style.bold(
        `Escalated to #${team.escalationChannelName} (${team.escalations.length}): breached by more than half the target again`,
      ),
    );
    out.push(...messageBlock(team.escalations[0]!, options));
    if (team.escalations.length > 1 && !all)
      out.push(`  …and ${plural(team.escalations.length - 1, 'more escalation')}.`);
    if (all) for (const escalation of team.escalations.slice(1)) out.push(...messageBlock(escalation, options));
  }

  out.push('', style.bold('Daily digest'));
  if (team.digest.length === 0) out.push('  (no digest was posted)');
  for (const part of team.digest) out.push(...box(renderMessageLines(part, options), style));
  return out;
}

/** Everything the demo prints after it ran. */
export function formatDemo(
  result: DemoResult,
  style: TerminalStyle,
  options: { all: boolean; elapsedMs: number },
): string {
  const base = { style, people: result.people, channels: result.channelNames };
  const { sync, evaluation, nudges, slack, portal } = result;
  const records = sync.records;
  const out: string[] = [
    style.bold('Heed demo'),
    'Everything runs on this machine: a simulated HubSpot portal, a throw-away SQLite database and a stand-in for',
    'Slack’s Web API, all on 127.0.0.1. No tokens needed; nothing is sent anywhere.',
    '',
    `Demo time: ${new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'full', timeStyle: 'short' }).format(result.now)} UTC — a fixed date, so every run shows the same tickets.`,
  ];
  const nameWidth = Math.max(...result.teams.map((t) => t.team.name.length));
  const zoneWidth = Math.max(...result.teams.map((t) => t.timeZone.length));
  for (const team of result.teams) {
    out.push(
      `  ${team.team.name.padEnd(nameWidth)}  #${team.channelName.padEnd(14)} ${team.timeZone.padEnd(zoneWidth)}  ${localTime(result.now, team.timeZone)} local · works ${hoursText(result, team)}`,
    );
  }
  const feedbackFlags = evaluation.feedbackPending + evaluation.feedbackOverdue;
  out.push(
    '',
    style.bold('What ran'),
    ...wrapItem(
      1,
      `HubSpot simulator: portal ${portal.id} with ${portal.tickets} tickets over the last ${portal.days} days (${result.overnight} of them arrived since yesterday afternoon, unanswered), ${portal.owners} owners in 3 HubSpot teams, ${portal.feedback} feedback answers.`,
    ),
    ...wrapItem(
      2,
      `heed sync into SQLite: ${records.tickets} tickets, ${records.owners} owners, ${records.pipelines} pipelines, ${records.feedback === 'forbidden' ? 'no' : records.feedback} feedback answers — ${sync.apiCalls} API calls in ${seconds(result.durations.syncMs)}.`,
    ),
    ...wrapItem(
      3,
      `SLA engine (business hours in each team's calendar): ${evaluation.openClocks} open clocks, ${evaluation.atRisk} at risk, ${evaluation.breached} breached; ${plural(feedbackFlags, 'negative feedback answer')} awaiting a follow-up (${evaluation.feedbackOverdue} overdue) — ${seconds(result.durations.evaluateMs)}.`,
    ),
    ...wrapItem(
      4,
      `Heed watching since yesterday noon, then the digests, through the outbox to the Slack stand-in: ${nudges.posted} nudges, ${plural(nudges.summaries, 'summary', 'summaries')} (${plural(nudges.backlog, 'clock')} already late when it started, ${plural(nudges.rolledUp, 'step')} over a burst budget), ${slack.replies} thread replies, ${slack.dms} DMs to owners, ${nudges.escalations} escalations, ${result.teams.reduce((n, t) => n + t.digest.length, 0)} digest messages` +
        `${slack.failed ? `, ${slack.failed} refused` : ''}${nudges.deferred ? `, ${nudges.deferred} held back by quiet hours` : ''} — Slack's 1 message/s per channel, run ${DEMO_OUTBOX_SPEEDUP}× faster, ${seconds(result.durations.slackMs)}.`,
    ),
  );

  for (const team of result.teams) out.push(...teamSection(team, { ...base, timeZone: team.timeZone }, options.all));

  if (result.escalationOverflow.length > 0) {
    out.push(
      ...heading('The leads channel, capped', style),
      `Over its burst budget (policy nudges.perEscalationChannel) the rest of the escalations share one message:`,
    );
    out.push(...messageBlock(result.escalationOverflow.at(-1)!, { ...base, timeZone: 'UTC' }));
  }

  if (result.dms.length > 0) {
    // One still about a breach, if any: the others have been updated to say how their ticket ended.
    const first =
      result.dms.find((d) => d.messages.some((m) => /breached|needs your follow-up/.test(m.text))) ?? result.dms[0]!;
    const name = result.people.get(first.user) ?? first.user;
    const shownDm = first.messages.find((m) => /breached|needs your follow-up/.test(m.text)) ?? first.messages[0]!;
    out.push(
      ...heading('Direct messages', style),
      `${plural(result.dms.length, 'owner')} got a DM when their ticket breached (${slack.dms} in all; \`/heed mute 2h\` pauses them). To ${name}:`,
    );
    out.push(...messageBlock(shownDm, { ...base, timeZone: 'UTC' }));
  }

  const unansweredZone = result.teams.find((t) => t.team.name === result.unanswered.team)?.timeZone;
  out.push(
    ...heading(`/unanswered in #${result.unanswered.channelName}`, style),
    style.dim(
      `What the ${result.unanswered.team} team sees when someone types /unanswered in its channel (only to them):`,
    ),
    ...box(renderMessageLines(result.unanswered.message, { ...base, timeZone: unansweredZone }), style),
  );

  out.push(
    ...heading('Connect Heed to your workspace', style),
    '  1. Create the Slack app from manifest.json: https://api.slack.com/apps → Create New App → From a manifest,',
    '     paste manifest.json (replace https://heed.example.com with your Heed’s public URL, or enable Socket Mode and',
    '     set SLACK_APP_TOKEN). Install it, then copy the Bot User OAuth Token and the Signing Secret.',
    '  2. Create a HubSpot service key (Development → Keys → Service keys) with the scopes',
    `     ${HUBSPOT_SCOPES.slice(0, -1).join(', ')} and ${HUBSPOT_SCOPES.at(-1)}`,
    '     (the last two are optional: feedback needs Service Hub Professional or Enterprise; users’ availability is',
    '     for routing). Copy the key. For changes within seconds, use the project app in hubspot-app/ (README).',
    '  3. Set the environment (.env.example lists every variable):',
    '       SLACK_BOT_TOKEN=xoxb-…   SLACK_SIGNING_SECRET=…   HUBSPOT_ACCESS_TOKEN=…',
    '       DATABASE_URL=file:./data/heed.db   HEED_CONFIG=./heed.config.json',
    '  4. Write heed.config.json: your teams, channels, calendars and SLA targets (README, "Configuration").',
    '     `npx heed demo --policy` prints this demo’s policy as a starting point.',
    '  5. `npx heed doctor` checks the environment, the policy file, the database and both tokens and their scopes.',
    '  6. `npm start` (heed start) — then invite @Heed to private channels it should post in.',
    '',
    `Demo finished in ${seconds(options.elapsedMs)} (sync ${seconds(result.durations.syncMs)}, evaluate ${seconds(result.durations.evaluateMs)}, Slack ${seconds(result.durations.slackMs)}).`,
  );
  return out.join('\n');
}

export async function runDemoCommand(options: DemoCommandOptions, deps: DemoCommandDeps): Promise<number> {
  const clock = deps.clock ?? (() => performance.now());
  const started = clock();
  const style = terminalStyle(deps.colour);
  deps.io.err(style.dim('Running the demo: simulator → sync → evaluate → nudges and digests → Slack stand-in…'));
  // The throw-away database lives here; Ctrl-C skips runDemo's own clean-up, so the command removes it then too.
  const workDir = mkdtempSync(join(tmpdir(), 'heed-demo-'));
  const interrupted = () => {
    rmSync(workDir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    const result = await runDemo({ logger: deps.logger, workDir });
    deps.io.out(formatDemo(result, style, { all: options.all, elapsedMs: clock() - started }));
    return 0;
  } finally {
    process.off('SIGINT', interrupted);
    rmSync(workDir, { recursive: true, force: true });
  }
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Try Heed offline: a simulated HubSpot portal, its nudges, digests and /unanswered, printed here',
  usage: '[--all] [--policy]',
  description:
    'Needs no tokens and no network: starts the HubSpot simulator and a Slack stand-in on 127.0.0.1, syncs into a\n' +
    'throw-away SQLite database, evaluates at a fixed demo date, and prints what each team channel would receive.',
  options: {
    all: { type: 'boolean', help: 'print every nudge and escalation (default: a few of each kind per channel)' },
    policy: { type: 'boolean', help: 'print the demo’s policy file (a starting point for yours) and exit' },
  },
  run: async ({ values, io }) => {
    if (values['policy'] === true) {
      io.out(JSON.stringify(demoPolicy(), null, 2));
      return 0;
    }
    return runDemoCommand(
      { all: values['all'] === true },
      {
        io,
        // Warnings and errors only, to stderr: stdout is the demo's picture.
        logger: createLogger({ level: 'warn', destination: pino.destination(2) }),
        colour: process.stdout.isTTY === true,
      },
    );
  },
};
