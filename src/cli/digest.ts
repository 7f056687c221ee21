// `heed digest [--team name] [--dry-run] [--json] [--weekly]`: builds each team's digest now, from one
// evaluation of the present made for all of them (a dry run, as `heed check`). With --dry-run it prints the
// digest (readable text, or the Block Kit with --json) and changes nothing; without it, it posts through the
// outbox — once per team and day, like the scheduled digest — and waits briefly for Slack. Run again the same
// day, it updates the posted digest in place.
import { webApi } from '@slack/bolt';
import { pino } from 'pino';
import { type Clock, systemClock } from '../clock.ts';
import { type Config, loadConfig, requireEnv, type TTeam } from '../config.ts';
import { type Db, openDatabase } from '../db/client.ts';
import { DigestRepo } from '../db/digest-repo.ts';
import { SlackRepo } from '../db/slack-repo.ts';
import type { TDigestKind } from '../domain/digest.ts';
import { AppError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { buildDigest, evaluateForDigest, findTeam } from '../services/digest.ts';
import { digestKeyPrefix, postDigest, settleDigestRun } from '../slack/digest-post.ts';
import { Outbox, type SlackApi } from '../slack/outbox.ts';
import { renderDigest } from '../slack/render/digest.ts';
import { renderDigestText } from '../slack/render/digest-text.ts';
import { SlackUserDirectory } from '../slack/users.ts';
import type { CliIo, Command } from './commands.ts';

export interface DigestCommandOptions {
  team?: string | undefined;
  dryRun: boolean;
  json: boolean;
  weekly: boolean;
}

export interface DigestCommandDeps {
  config: Config;
  now: Date;
  io: CliIo;
  logger: Logger;
  /** Slack Web API; a WebClient on SLACK_API_URL with the bot token by default. */
  slack?: SlackApi;
  clock?: Clock;
  /** How long to wait for Slack to take the posts before leaving them to the running Heed. */
  waitMs?: number;
}

function selectTeams(config: Config, name: string | undefined, kind: TDigestKind): TTeam[] {
  if (name !== undefined) return [findTeam(config, name)];
  return config.policy.teams.filter((t) => (kind === 'weekly' ? t.weeklyReport.enabled : t.digest.enabled));
}

export async function runDigestCommand(options: DigestCommandOptions, deps: DigestCommandDeps): Promise<number> {
  const { config, now, io } = deps;
  const kind: TDigestKind = options.weekly ? 'weekly' : 'daily';
  const what = kind === 'weekly' ? 'weekly report' : 'digest';
  const teams = selectTeams(config, options.team, kind);
  if (teams.length === 0) {
    io.err(`No team has the ${kind === 'weekly' ? 'weekly report' : 'digest'} enabled; name one with --team.`);
    return 1;
  }
  // Checked before anything is written, so a missing token cannot leave half-made runs behind.
  const token = options.dryRun
    ? undefined
    : requireEnv(config.env, 'SLACK_BOT_TOKEN', 'to post the digest (use --dry-run to print it instead)');
  const db: Db = await openDatabase(config.env.DATABASE_URL, { migrate: true });
  try {
    // A database HubSpot was never synced into would make an "all clear" digest out of nothing.
    if (!(await new DigestRepo(db).lastCompleteSyncStart())) {
      const problem = new AppError('DIGEST_NOT_READY', 'HubSpot has never been synced into this database.', {
        fix: 'run `heed sync` first (or start Heed, which syncs), then `heed digest` again',
      });
      if (!options.dryRun) throw problem;
      io.err(`Warning: ${problem.message} This digest has nothing to count; ${problem.fix}.`);
    }

    if (options.dryRun) {
      const digestDeps = { db, config, logger: deps.logger };
      // One evaluation of the present for every team's digest.
      const evaluation = await evaluateForDigest(digestDeps, now);
      const printed: { team: string; kind: TDigestKind; messages: ReturnType<typeof renderDigest> }[] = [];
      for (const team of teams) {
        // A dry run writes nothing, not even the day's numbers.
        const model = await buildDigest(digestDeps, team.name, now, { kind, storeStats: false, evaluation });
        if (options.json) printed.push({ team: team.name, kind, messages: renderDigest(model) });
        else io.out(renderDigestText(model));
      }
      if (options.json) io.out(JSON.stringify(printed, null, 2));
      return 0;
    }

    const repo = new SlackRepo(db);
    const slack =
      deps.slack ??
      new webApi.WebClient(token, {
        slackApiUrl: config.env.SLACK_API_URL,
        // The outbox owns retries and pacing.
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
      });
    const digestDeps = {
      db,
      config,
      logger: deps.logger,
      outbox: repo,
      // Corrections of a digest already in Slack (chat.update), and owners Slack has not been asked about yet.
      slack,
      users: new SlackUserDirectory({ repo, slack, people: config.policy.people, logger: deps.logger }),
    };
    const evaluation = await evaluateForDigest(digestDeps, now);
    const posted: { team: string; day: string; channel: string; parts: number }[] = [];
    let failed = 0;
    for (const team of teams) {
      const result = await postDigest(digestDeps, team.name, now, { kind, evaluation, correct: true });
      switch (result.status) {
        case 'queued':
          posted.push(result);
          if (options.json) io.out(JSON.stringify({ team: team.name, day: result.day, parts: result.parts }, null, 2));
          break;
        case 'updated':
          io.out(
            `${team.name}: updated the ${what} for ${result.day} in place in ${result.channel} with the numbers of now.`,
          );
          // A correction that grew by a part queued it: wait for it like a first post.
          if (result.run.status === 'queued') posted.push(result);
          break;
        case 'on-its-way':
          io.out(
            `${team.name}: the ${what} for ${result.day} is queued but not in Slack yet; run this again once it is to update it.`,
          );
          break;
        case 'update-failed':
          failed++;
          io.out(`${team.name}: Slack refused to update the ${what} for ${result.day} (${result.reason}).`);
          break;
        case 'already':
          io.out(
            `${team.name}: the ${what} for ${result.day} was already posted (${result.run.status}); nothing sent.`,
          );
          break;
      }
    }
    if (posted.length === 0) return failed > 0 ? 1 : 0;

    const clock = deps.clock ?? systemClock;
    const outbox = new Outbox({ repo, slack, clock, logger: deps.logger });
    const deadline = clock.now().getTime() + (deps.waitMs ?? 60_000);
    const pending = new Set(posted.map((p) => p.team));
    while (pending.size > 0) {
      const round = await outbox.drainOnce();
      for (const p of posted) {
        const run = await settleDigestRun({ db }, p.team, p.day);
        if (run && run.status !== 'queued' && pending.delete(p.team)) {
          if (run.status === 'failed') failed++;
          io.out(
            run.status === 'sent'
              ? `${p.team}: posted ${p.parts} message${p.parts === 1 ? '' : 's'} to ${p.channel}.`
              : `${p.team}: Slack refused the digest; see the outbox rows ${digestKeyPrefix(p.team, p.day)}* and the log.`,
          );
        }
      }
      const left = deadline - clock.now().getTime();
      if (pending.size === 0 || left <= 0) break;
      const next = round.nextAt ? round.nextAt.getTime() - clock.now().getTime() : 1000;
      await clock.sleep(Math.max(10, Math.min(next, left, 1000)));
    }
    for (const team of pending) {
      io.out(`${team}: queued; Slack has not taken it yet (the running Heed will send it from the outbox).`);
    }
    return failed > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
}

export const digestCommand: Command = {
  name: 'digest',
  summary: 'Build the daily digest (or weekly report) now: print it with --dry-run, or post it',
  usage: '[--team name] [--dry-run] [--json] [--weekly]',
  description:
    'Without --team, every team with the digest enabled. It is composed from an evaluation of this moment (as `heed check`).\n' +
    'Posting goes through the outbox and happens once per team and day: a digest already in Slack today (by the schedule,\n' +
    '/digest post or this command) is updated in place with the numbers of now instead of posted again.',
  options: {
    team: { type: 'string', help: 'only this team (as named in the policy file)' },
    'dry-run': { type: 'boolean', help: 'print the digest instead of posting or updating it; writes nothing' },
    json: { type: 'boolean', help: 'print the Block Kit messages as JSON (with --dry-run)' },
    weekly: { type: 'boolean', help: 'the weekly report (the last full week) instead of the daily digest' },
  },
  run: async ({ values, io }) => {
    const config = loadConfig();
    return runDigestCommand(
      {
        team: typeof values['team'] === 'string' ? values['team'] : undefined,
        dryRun: values['dry-run'] === true,
        json: values['json'] === true,
        weekly: values['weekly'] === true,
      },
      {
        config,
        now: new Date(),
        io,
        // Logs go to stderr: stdout is the digest (or its JSON), which may be piped.
        logger: createLogger({ level: config.env.LOG_LEVEL, destination: pino.destination(2) }),
      },
    );
  },
};
