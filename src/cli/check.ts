// `heed check [--json]`: what Heed thinks right now, computed live from the local copy and written nowhere.
// The table lists the flagged items (at-risk and breached clocks, feedback awaiting a follow-up), most urgent
// first; --json prints every open ticket's clocks plus one entry per pending feedback answer.
import { pino } from 'pino';
import { type Config, loadConfig } from '../config.ts';
import { type Db, openDatabase } from '../db/client.ts';
import { formatBusinessMinutes, formatOverdueBy } from '../domain/duration.ts';
import type { ClockName, ClockStateName } from '../domain/flag.ts';
import { compareUrgency } from '../domain/sla-clocks.ts';
import { AppError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { evaluate, type LiveClock, type LiveFeedback } from '../services/evaluate.ts';
import { printable } from '../slack/render/mrkdwn.ts';
import type { CliIo, Command } from './commands.ts';

/** One line of `heed check --json`. */
export type CheckEntry =
  | {
      ticketId: string;
      team: string;
      ownerEmail: string | null;
      clock: ClockName;
      state: ClockStateName;
      dueAt: string;
      overdueMinutes: number;
    }
  | {
      feedbackId: string;
      ticketId: string | null;
      team: string;
      ownerEmail: string | null;
      clock: 'feedback';
      state: 'pending' | 'overdue';
      dueAt: string;
      overdueMinutes: number;
    };

interface Row {
  readonly item: string;
  readonly team: string;
  readonly owner: string;
  readonly clock: string;
  readonly state: string;
  readonly when: string;
  readonly urgency: Pick<LiveClock, 'state' | 'overdueMinutes' | 'dueAt'>;
}

// Feedback sorts with the clocks: overdue like breached, pending like at risk.
const feedbackUrgency = (f: LiveFeedback): Row['urgency'] => ({
  state: f.state === 'overdue' ? 'breached' : 'at_risk',
  overdueMinutes: f.overdueMinutes,
  dueAt: f.dueAt,
});

/** "2026-11-23 14:00 UTC": minutes are what people act on; seconds would be noise. */
function shortUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function dueText(state: string, dueAt: Date, overdueMinutes: number, now: Date): string {
  if (state === 'breached' || state === 'overdue') {
    return formatOverdueBy(overdueMinutes) ?? `overdue since ${shortUtc(dueAt)}`;
  }
  const minutes = Math.max(0, Math.round((dueAt.getTime() - now.getTime()) / 60_000));
  return `due ${shortUtc(dueAt)} (in ${formatBusinessMinutes(minutes)})`;
}

export function checkEntries(clocks: readonly LiveClock[], feedback: readonly LiveFeedback[]): CheckEntry[] {
  const entries: { entry: CheckEntry; urgency: Row['urgency'] }[] = [
    ...clocks.map((c) => ({
      entry: {
        ticketId: c.ticketId,
        team: c.team,
        ownerEmail: c.ownerEmail,
        clock: c.clock,
        state: c.state,
        dueAt: c.dueAt.toISOString(),
        overdueMinutes: c.overdueMinutes,
      },
      urgency: c,
    })),
    ...feedback.map((f) => ({
      entry: {
        feedbackId: f.feedbackId,
        ticketId: f.ticketId,
        team: f.team,
        ownerEmail: f.ownerEmail,
        clock: 'feedback' as const,
        state: f.state,
        dueAt: f.dueAt.toISOString(),
        overdueMinutes: f.overdueMinutes,
      },
      urgency: feedbackUrgency(f),
    })),
  ];
  return entries.sort((a, b) => compareUrgency(a.urgency, b.urgency)).map((e) => e.entry);
}

export function checkTable(clocks: readonly LiveClock[], feedback: readonly LiveFeedback[], now: Date): string {
  const rows: Row[] = [
    ...clocks
      .filter((c) => c.state === 'at_risk' || c.state === 'breached')
      .map((c) => ({
        item: `ticket ${c.ticketId}`,
        team: c.team,
        // HubSpot's text: one line, nothing that moves the terminal's cursor or colours.
        owner: printable(c.ownerEmail ?? c.ownerId ?? '—'),
        clock: c.clock,
        state: c.state,
        when: dueText(c.state, c.dueAt, c.overdueMinutes, now),
        urgency: c,
      })),
    ...feedback.map((f) => ({
      item: `feedback ${f.feedbackId}`,
      team: f.team,
      owner: printable(f.ownerEmail ?? f.ownerId ?? '—'),
      clock: `feedback (${printable(f.surveyType)}${f.value === null ? '' : ` ${f.value}`})`,
      state: f.state,
      when: dueText(f.state, f.dueAt, f.overdueMinutes, now),
      urgency: feedbackUrgency(f),
    })),
  ].sort((a, b) => compareUrgency(a.urgency, b.urgency));
  const openTickets = new Set(clocks.map((c) => c.ticketId)).size;
  if (rows.length === 0) {
    return `Nothing flagged: every clock of the ${openTickets} open ticket(s) is on track and no feedback awaits a follow-up.`;
  }
  const header = {
    item: 'TICKET',
    team: 'TEAM',
    owner: 'OWNER',
    clock: 'CLOCK',
    state: 'STATE',
    when: 'DUE / OVERDUE BY',
  };
  const keys = ['item', 'team', 'owner', 'clock', 'state', 'when'] as const;
  const widths = keys.map((k) => Math.max(header[k].length, ...rows.map((r) => r[k].length)));
  const format = (r: Record<(typeof keys)[number], string>) =>
    keys
      .map((k, i) => (i === keys.length - 1 ? r[k] : r[k].padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const breached = rows.filter((r) => r.state === 'breached' || r.state === 'overdue').length;
  return [
    format(header),
    ...rows.map(format),
    '',
    `${rows.length} flagged (${breached} breached or overdue) across ${openTickets} open ticket(s); overdue times are business time.`,
  ].join('\n');
}

export interface CheckDeps {
  readonly db: Db;
  readonly config: Pick<Config, 'policy'>;
  readonly logger: Logger;
  readonly io: CliIo;
  readonly now: Date;
}

/** The body of `heed check`: a dry-run evaluation, printed. */
export async function runCheck(deps: CheckDeps, options: { json: boolean }): Promise<number> {
  const result = await evaluate({ db: deps.db, config: deps.config, logger: deps.logger }, deps.now, { dryRun: true });
  if (options.json) deps.io.out(JSON.stringify(checkEntries(result.clocks, result.feedback), null, 2));
  else deps.io.out(checkTable(result.clocks, result.feedback, deps.now));
  return 0;
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'Show flagged tickets and feedback now, most urgent first (--json: every open ticket’s clocks)',
  usage: '[--json]',
  description:
    'Computes every SLA clock and feedback follow-up from the local copy at this moment and changes nothing.\n' +
    'The JSON form lists each open ticket’s clocks ({ticketId, team, ownerEmail, clock, state, dueAt, overdueMinutes})\n' +
    'and each negative feedback answer awaiting a follow-up (clock "feedback", with feedbackId).',
  options: {
    json: { type: 'boolean', help: 'print every open ticket’s clocks and pending feedback as a JSON array' },
  },
  run: async ({ values, io }) => {
    const config = loadConfig();
    const db = await openDatabase(config.env.DATABASE_URL);
    try {
      const pending = await db.pendingMigrations();
      if (pending.length > 0) {
        throw new AppError('DB_MIGRATION_FAILED', `The database is ${pending.length} migration(s) behind this Heed.`, {
          fix: 'run `heed migrate` (or start Heed, which migrates), then check again',
        });
      }
      return await runCheck(
        {
          db,
          config,
          // Logs go to stderr: stdout is the table (or the JSON), which may be piped.
          logger: createLogger({ level: config.env.LOG_LEVEL, destination: pino.destination(2) }),
          io,
          now: new Date(),
        },
        { json: values['json'] === true },
      );
    } finally {
      await db.close();
    }
  },
};
