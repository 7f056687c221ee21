// `heed nudge`: one evaluate-and-nudge pass now, the same work `heed start` does every minute — evaluate the SLA
// clocks and feedback, bring Slack's nudges up to date (post, update in place, thread pings, escalations), and
// send what is queued. For a first look after `heed sync`, or from cron where `heed start` is not used.
import { hostname } from 'node:os';
import { pino } from 'pino';
import { type Config, loadConfig, requireEnv } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { createLogger, type Logger } from '../logger.ts';
import { evaluate } from '../services/evaluate.ts';
import { reconcileNudges } from '../services/nudge.ts';
import { createSlackSide } from '../services/slack-setup.ts';
import type { CliIo, Command } from './commands.ts';

export type NudgeCommandDeps = { config: Config; io: CliIo; logger: Logger; now?: () => Date; maxWaitMs?: number };

export async function runNudgeCommand(options: { dryRun: boolean }, deps: NudgeCommandDeps): Promise<number> {
  const { config, io, logger } = deps;
  const now = deps.now ?? (() => new Date());
  if (!options.dryRun) requireEnv(config.env, 'SLACK_BOT_TOKEN', 'to post nudges to Slack');
  const db = await openDatabase(config.env.DATABASE_URL, { migrate: true });
  try {
    const result = await evaluate({ db, config, logger }, now(), { dryRun: options.dryRun, mode: 'full' });
    const { changes } = result;
    io.out(
      `Evaluated ${result.stats.tickets} ticket(s): ${changes.newAtRisk.length} newly at risk, ` +
        `${changes.newBreach.length} newly breached, ${changes.escalationDue.length} escalation(s) due, ` +
        `${changes.recovered.length} recovered, ${changes.resolved.length} resolved, ${changes.moved.length} moved team.`,
    );
    if (options.dryRun) {
      io.out('Dry run: nothing was written or posted.');
      return 0;
    }
    const side = createSlackSide({ config, db, logger, holder: `${hostname()}:${process.pid}:nudge` });
    const summary = await reconcileNudges(side.nudgeDeps, now());
    await side.outbox.recover();
    // Send what is queued, at Slack's pace, but do not wait for ever (a channel Heed is not in stays queued).
    await side.outbox.drainUntilIdle(new Date(now().getTime() + (deps.maxWaitMs ?? 120_000)));
    const left = await side.repo.countOutbox(['pending', 'retry', 'sending']);
    io.out(
      `Nudges: ${summary.posted} posted, ${summary.updated} updated, ${summary.replies} thread ping(s), ` +
        `${summary.escalations} escalation(s), ${summary.dms} DM(s), ${summary.moved} moved to another team's ` +
        `channel, ${summary.deferred} held for working hours.` +
        (left > 0 ? ` ${left} message(s) still queued (sent by the next run or by \`heed start\`).` : ''),
    );
    if (summary.backlog + summary.rolledUp + summary.summaries > 0) {
      io.out(
        `Calm: ${summary.backlog} already-late ticket(s) listed in their team's backlog summary, ` +
          `${summary.rolledUp} over a burst budget listed in an "and N more" message; ${summary.summaries} summary message(s) queued.`,
      );
    }
    return 0;
  } finally {
    await db.close();
  }
}

export const nudgeCommand: Command = {
  name: 'nudge',
  summary: 'Evaluate SLAs now and bring Slack’s nudges up to date (what `heed start` does every minute)',
  options: { 'dry-run': { type: 'boolean', help: 'evaluate and report without writing or posting anything' } },
  run: async ({ values, io }) => {
    const config = loadConfig();
    const logger = createLogger({ level: config.env.LOG_LEVEL, destination: pino.destination(2) });
    return runNudgeCommand({ dryRun: values['dry-run'] === true }, { config, io, logger });
  },
};
