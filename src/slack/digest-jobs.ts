// The scheduler's digest and weekly-report handlers (HeedJobHandlers in src/jobs/heed-jobs.ts): the one copy,
// which `heed start` runs and the tests drive.
//
// A digest is never posted from a copy of HubSpot older than this process. When one falls due — or is caught up
// late at start — before the first complete sync since start, the run waits for that sync within the grace
// period (`schedules.digestGraceHours` from its due time), then evaluates the present and posts; posted late,
// it says so and why. Should the grace run out first, a short notice takes its place (DigestRun `withheld`),
// which `/digest post` replaces with the digest once the sync is through. After queueing, the run waits a while
// for Slack to have every part and records the DigestRun as sent (status reads also derive it from the outbox,
// for a digest Slack takes only after this wait).
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { TTeam } from '../config.ts';
import { DigestRepo } from '../db/digest-repo.ts';
import type { TDigestKind } from '../domain/digest.ts';
import type { Logger } from '../logger.ts';
import { type DigestDeps, findTeam } from '../services/digest.ts';
import {
  type DigestOutbox,
  type DigestReadiness,
  digestKeyPrefix,
  digestReady,
  digestTarget,
  postDigest,
  queueDigestMessages,
  settleDigestRun,
} from './digest-post.ts';
import { renderDigestWithheld } from './render/digest.ts';

/** The scheduler's own threshold for "late" (SCHEDULER_DEFAULTS.lateAfterMs): a digest held back longer is too. */
const LATE_AFTER_MS = 5 * 60_000;
const HOUR = 3_600_000;

export interface DigestJobDeps extends DigestDeps {
  outbox: DigestOutbox;
  /** When this process started and whether HubSpot is synced at all: what "ready" means (see digestReady). */
  readiness: DigestReadiness;
  clock?: () => Date;
  /** Waits `ms`, or less when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** How often a waiting run looks again (for the sync, then for Slack). */
  pollMs?: number;
  /** How long a run waits for Slack to take its parts before leaving them to the outbox. */
  settleWaitMs?: number;
}

/** What a scheduled digest run knows (the scheduler's JobContext satisfies it). */
export interface DigestJobContext {
  readonly now: Date;
  readonly scheduledAt: Date;
  readonly late: boolean;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly signal?: AbortSignal;
}

export interface DigestJobHandlers {
  digest(team: Pick<TTeam, 'name'>, ctx: DigestJobContext): Promise<void>;
  weeklyReport(team: Pick<TTeam, 'name'>, ctx: DigestJobContext): Promise<void>;
}

const abortableSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
};

/**
 * The run's `scheduledAt` picks the day, so a catch-up or a takeover finishes the same DigestRun instead of
 * starting another.
 */
export function digestJobHandlers(deps: DigestJobDeps): DigestJobHandlers {
  const clock = deps.clock ?? (() => new Date());
  const sleep = deps.sleep ?? abortableSleep;
  const pollMs = deps.pollMs ?? 2_000;
  const settleWaitMs = deps.settleWaitMs ?? 10 * 60_000;
  const graceMs = deps.config.policy.schedules.digestGraceHours * HOUR;
  const what = (kind: TDigestKind) => (kind === 'weekly' ? 'weekly report' : 'daily digest');

  const run = async (kind: TDigestKind, teamRef: Pick<TTeam, 'name'>, ctx: DigestJobContext): Promise<void> => {
    const team = findTeam(deps.config, teamRef.name);
    const { day, channel } = digestTarget(deps.config, team, kind, ctx.scheduledAt);
    const log = { team: team.name, day, channel };
    const repo = new DigestRepo(deps.db);
    const existing = await repo.digestRun(team.name, day);
    if (existing && existing.status !== 'pending') {
      ctx.logger.info(
        { ...log, status: 'already', runStatus: existing.status },
        `${what(kind)} already handled for this day`,
      );
      return;
    }

    // Wait for the first complete HubSpot sync since start, up to the end of the grace period.
    const deadline = ctx.scheduledAt.getTime() + graceMs;
    let waited = false;
    while (!(await digestReady(deps.db, deps.readiness))) {
      const now = clock().getTime();
      if (now >= deadline) {
        await withhold(kind, team, day, channel, ctx);
        return;
      }
      if (!waited) {
        ctx.logger.info(
          { ...log, startedAt: deps.readiness.startedAt.toISOString(), until: new Date(deadline).toISOString() },
          `${what(kind)} waits for the first HubSpot sync since start`,
        );
      }
      waited = true;
      await sleep(Math.min(pollMs, deadline - now), ctx.signal);
      ctx.signal?.throwIfAborted();
    }

    const now = clock();
    const late = ctx.late || now.getTime() - ctx.scheduledAt.getTime() > LATE_AFTER_MS;
    const result = await postDigest(deps, team.name, now, {
      kind,
      scheduledFor: ctx.scheduledAt,
      late,
      wasDown: ctx.late,
      waitedForSync: waited,
    });
    ctx.logger.info(
      { ...log, status: result.status, parts: result.parts, late, waitedForSync: waited },
      result.status === 'queued' ? `${what(kind)} queued for Slack` : `${what(kind)} already handled for this day`,
    );
    if (result.status !== 'queued') return;

    // Marked sent when Slack has it: the outbox drains in this process (or another replica's) meanwhile.
    const until = now.getTime() + settleWaitMs;
    for (;;) {
      const settled = await settleDigestRun(deps, team.name, day);
      if (settled?.status !== 'queued') {
        ctx.logger.info({ ...log, status: settled?.status }, `${what(kind)} delivered`);
        return;
      }
      const left = until - clock().getTime();
      if (left <= 0 || ctx.signal?.aborted) {
        ctx.logger.info(log, `${what(kind)} still in the outbox; status reads settle it once Slack has it`);
        return;
      }
      await sleep(Math.min(pollMs, left), ctx.signal);
    }
  };

  /** The grace ran out before a sync: a notice instead of a digest computed from stale or no data. */
  const withhold = async (kind: TDigestKind, team: TTeam, day: string, channel: string, ctx: DigestJobContext) => {
    const repo = new DigestRepo(deps.db);
    const now = clock();
    const claim = await repo.claimDigestRun({
      id: randomUUID(),
      team: team.name,
      day,
      scheduledFor: ctx.scheduledAt,
      late: true,
    });
    if (!claim.created && claim.run.status !== 'pending') return;
    const notice = renderDigestWithheld({ kind, team: team.name, startedAt: deps.readiness.startedAt });
    await queueDigestMessages(deps.outbox, digestKeyPrefix(team.name, day), channel, [notice], now);
    await repo.updateDigestRun(team.name, day, { status: 'withheld' });
    ctx.logger.warn(
      { team: team.name, day, channel, startedAt: deps.readiness.startedAt.toISOString() },
      `${what(kind)} withheld: no complete HubSpot sync since start within the grace period`,
    );
  };

  return {
    digest: (team, ctx) => run('daily', team, ctx),
    weeklyReport: (team, ctx) => run('weekly', team, ctx),
  };
}
