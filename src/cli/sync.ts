// `heed sync [--full]`: one sync pass now. A progress bar on a terminal, plain log lines otherwise, and a summary
// at the end (records by type, API calls, time, rate). A sync stopped by HubSpot's daily limit says when it
// resets; the next pass resumes where this one stopped.
import { pino } from 'pino';
import type { Clock } from '../clock.ts';
import { type Config, loadConfig, requireEnv } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { HubspotError } from '../hubspot/client.ts';
import { createLogger, type Logger } from '../logger.ts';
import type { SyncStats } from '../services/sync.ts';
import { createHubspotSync } from '../services/sync-setup.ts';
import type { CliIo, Command } from './commands.ts';

export type SyncCommandOptions = { full: boolean };

export type SyncCommandDeps = {
  config: Config;
  io: CliIo;
  logger: Logger;
  /** Where the progress bar is drawn; a bar only when it is a terminal. */
  progress?: { isTTY?: boolean; write(text: string): void };
  clock?: Clock;
};

/** Exit status when HubSpot's daily limit stopped the pass (EX_TEMPFAIL: try again later). */
export const EXIT_DAILY_LIMIT = 75;

export async function runSyncCommand(options: SyncCommandOptions, deps: SyncCommandDeps): Promise<number> {
  const { config, io, logger } = deps;
  const accessToken = requireEnv(config.env, 'HUBSPOT_ACCESS_TOKEN', 'to read tickets from HubSpot');
  const progress = deps.progress ?? process.stderr;
  const reporter = progressReporter(progress, logger, () => deps.clock?.now().getTime() ?? Date.now());
  const db = await openDatabase(config.env.DATABASE_URL, { migrate: true });
  try {
    const sync = createHubspotSync({
      config,
      accessToken,
      db,
      logger,
      ...(deps.clock ? { clock: deps.clock } : {}),
      onProgress: reporter.update,
    });
    let stats: SyncStats;
    try {
      stats = await sync.service.run({ full: options.full });
      // Webhook events queued while no `heed start` was running are fetched too.
      await sync.drainer.drain();
    } catch (error) {
      reporter.done();
      if (error instanceof HubspotError && error.code === 'HUBSPOT_DAILY_LIMIT') {
        io.err(
          `HubSpot's daily API limit is used up; it resets at ${error.resetAt?.toISOString()}. ` +
            'Everything synced so far is saved; run `heed sync` again after the reset to continue.',
        );
        return EXIT_DAILY_LIMIT;
      }
      throw error;
    }
    reporter.done();
    io.out(formatSummary(stats));
    return 0;
  } finally {
    await db.close();
  }
}

/** The end-of-pass summary, one fact per line. */
export function formatSummary(stats: SyncStats): string {
  const r = stats.records;
  const seconds = stats.durationMs / 1000;
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = [
    `Sync (${stats.kind}) finished in ${seconds.toFixed(1)} s.`,
    `  tickets      ${n(r.tickets)}${r.ticketsRejected ? ` (${n(r.ticketsRejected)} malformed, skipped)` : ''}` +
      `  — ${n(stats.ticketsPerSecond)}/s`,
    `  archived     ${n(r.archived)}`,
    `  names        ${n(r.names)} tickets`,
    `  feedback     ${r.feedback === 'forbidden' ? 'not available (portal without Service Hub Professional)' : n(r.feedback)}` +
      `${r.feedbackRejected ? ` (${n(r.feedbackRejected)} malformed, skipped)` : ''}`,
    ...(r.threads === undefined
      ? []
      : [
          r.threads === 'forbidden'
            ? '  conversations not read (add the conversations.read scope: reply clocks then follow the messages)'
            : `  conversations ${n(r.threads)} threads read, ${n(r.messages ?? 0)} messages` +
              (stats.conversations && !stats.conversations.caughtUp
                ? ' — more next pass (calls per pass reached)'
                : ''),
        ]),
    `  owners       ${n(r.owners)}`,
    `  pipelines    ${n(r.pipelines)} (${n(r.stages)} stages)`,
    `  API calls    ${n(stats.apiCalls)} (${seconds > 0 ? (stats.apiCalls / seconds).toFixed(1) : '0'}/s)`,
    ...Object.entries(stats.apiCallsByEndpoint)
      .sort(([, a], [, b]) => b - a)
      .map(([endpoint, count]) => `    ${String(count).padStart(6)}  ${endpoint}`),
  ];
  return lines.join('\n');
}

type ProgressEvent = { stream: string; done: number; total?: number | undefined };

/** A bar (terminal) or a log line every few seconds (files, containers). */
export function progressReporter(
  target: { isTTY?: boolean; write(text: string): void },
  logger: Logger,
  now: () => number,
): { update: (event: ProgressEvent) => void; done: () => void } {
  const started = now();
  let lastLog = 0;
  let drawn = false;
  const label = (stream: string) => (stream === 'feedback_submissions' ? 'feedback' : stream);
  return {
    update: (event) => {
      const elapsed = Math.max(1, now() - started);
      const rate = Math.round((event.done * 1000) / elapsed);
      if (target.isTTY) {
        const width = 30;
        const bar =
          event.total && event.total > 0
            ? `[${'#'.repeat(Math.min(width, Math.round((event.done / event.total) * width))).padEnd(width, '.')}] ${event.done}/${event.total}`
            : `[${'#'.repeat(Math.floor(elapsed / 500) % (width + 1)).padEnd(width, '.')}] ${event.done}`;
        target.write(`\r${label(event.stream).padEnd(9)} ${bar}  ${rate}/s   `);
        drawn = true;
        return;
      }
      if (now() - lastLog >= 5000 || (event.total !== undefined && event.done >= event.total)) {
        lastLog = now();
        logger.info(
          { stream: label(event.stream), done: event.done, total: event.total, perSecond: rate },
          'Sync progress',
        );
      }
    },
    done: () => {
      if (drawn) target.write('\n');
      drawn = false;
    },
  };
}

/** The command entry for the CLI frame: add `syncCommand` to COMMANDS in src/cli/commands.ts. */
export const syncCommand: Command = {
  name: 'sync',
  summary: 'Copy HubSpot tickets, owners, pipelines and feedback into Heed’s database now',
  usage: '[--full]',
  description:
    'The first run backfills everything; later runs fetch what changed since. --full re-reads everything\n' +
    '(and sweeps deleted tickets). A killed or rate-limited run resumes where it stopped.',
  options: { full: { type: 'boolean', help: 're-read every ticket and feedback answer' } },
  run: async ({ values, io }) => {
    const config = loadConfig();
    return runSyncCommand(
      { full: values['full'] === true },
      // Logs go to stderr with the progress bar; stdout carries the summary.
      { config, io, logger: createLogger({ level: config.env.LOG_LEVEL, destination: pino.destination(2) }) },
    );
  },
};
