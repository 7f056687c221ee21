// Runs Heed's scheduled jobs on time, once across every replica sharing the database.
//
// THE JOB CONTRACT
//   A job is `{ name, schedule, run(ctx) }` (see `Job` below); `ctx = { now, logger, runId, runKey, scheduledAt,
//   late, attempt, signal }`.
//   - `run` must be IDEMPOTENT for its occurrence (ctx.runKey). A replica that dies mid-run leaves work half
//     done; once its lease expires another replica runs the same occurrence again (ctx.attempt > 1). Write so a
//     second attempt finishes the job instead of repeating it: upserts, the outbox's idempotency keys, a
//     DigestRun row per (team, day).
//   - `ctx.now` is the clock when this attempt started; `ctx.scheduledAt` the instant the occurrence was due.
//     Use `scheduledAt` to decide *which* period a run covers (the digest's day), `now` for "what is true now".
//   - `ctx.signal` aborts when this replica lost the run (its lease expired and another replica took it
//     over, e.g. after a long pause) or when shutdown outlasted its grace: stop at the next safe point.
//   - Log through `ctx.logger`: every line carries the job, run id, run key and attempt.
//   - Throwing marks the run failed (logged with the error, counted, never crashing the process). A failed
//     occurrence is not retried; the next occurrence runs as usual.
//
// HOW "ONCE" IS ENSURED
//   - Every occurrence has a run key (schedule.ts). The replica whose insert of the JobRun row (unique job +
//     runKey) succeeds runs it; the others skip it.
//   - Overlap guard: a job still running is not started again, neither in this process (an in-memory guard)
//     nor on another replica (the job's JobLease row, held while a run goes on). The skipped occurrence is not
//     queued: the next one comes soon enough for sync and evaluate; digests have catch-up (below).
//   - The run and the job lease are renewed by a heartbeat every `leaseMs / 3`. A replica that dies stops
//     renewing; every tick each replica looks for expired runs of its jobs and one of them takes the run over
//     (a conditional update only one can win). A run superseded by a later occurrence is closed as abandoned
//     instead, and one whose holders died `maxAttempts` times is closed as failed.
//   - Catch-up: a job with `catchUpMs` (digests: the policy's grace window, default 3 h) also runs occurrences
//     from that window that have no JobRun row, i.e. that came due while every replica was down, oldest first,
//     marked late when more than `lateAfterMs` behind. The first tick at `start()` does this at once.
//
//   - Leases compare instants written by one replica's clock with another's: keep replicas' clocks in sync
//     (NTP) to well within `leaseMs` (30 s by default).
//
// TIMING
//   node-cron fires the scheduler's tick (every 5 s by default, `tickCron`); the tick asks each job's schedule
//   which occurrences fell since the previous tick. Tests and tools call `tick(now)` directly with any instant.
//   Why not node-cron 4.6's own `distributed: true` + `runCoordinator { shouldRun(key, ttlMs), onComplete(key) }`:
//   it is asked once, at the slot, so nothing takes over the run of a replica that dies after saying yes; it
//   has no heartbeat and `onComplete` gets no outcome; each task owns a real timer, so tests cannot drive it
//   with a given `now`; and its matcher skips a 02:30 slot on a spring-forward day (a digest must still go).
import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Db } from '../db/client.ts';
import { type JobRun, JobsRepo } from '../db/jobs-repo.ts';
import { isAppError } from '../errors.ts';
import { censorSecrets, type Logger } from '../logger.ts';
import {
  type CompiledSchedule,
  compileSchedule,
  describeSchedule,
  type TOccurrence,
  type TSchedule,
} from './schedule.ts';

export interface JobContext {
  /** The clock when this attempt started. */
  readonly now: Date;
  /** Carries job, runId, runKey and attempt on every line. */
  readonly logger: Logger;
  readonly runId: string;
  /** Names the occurrence across replicas: "2026-11-23" for a digest, "2026-11-23T10:05Z" for a sync. */
  readonly runKey: string;
  /** When the occurrence was due. */
  readonly scheduledAt: Date;
  /** Started more than `lateAfterMs` after it was due (a catch-up or a late takeover). */
  readonly late: boolean;
  /** 1, or more when this attempt took over from a replica that died mid-run. */
  readonly attempt: number;
  /** Aborted when this replica lost the run or shutdown gave up waiting. */
  readonly signal: AbortSignal;
}

export interface Job {
  /** Unique among jobs; part of every run's identity in the database. */
  readonly name: string;
  readonly schedule: TSchedule;
  run(ctx: JobContext): Promise<void> | void;
  /** Run occurrences missed within this window (ms) when replicas come back; 0 (default) runs only current ones. */
  readonly catchUpMs?: number;
  /** Occurrences (by key) already handled outside the scheduler, e.g. a digest posted by `/digest post`. */
  readonly alreadyDone?: (occurrences: readonly TOccurrence[]) => Promise<ReadonlySet<string>>;
  /** Overrides the scheduler's lease length for this job. */
  readonly leaseMs?: number;
}

export type RunOutcome = 'succeeded' | 'failed' | 'lost';
export type SkipReason = 'running-here' | 'running-elsewhere' | 'claimed-elsewhere' | 'already-done' | 'stopping';

/** Counters for /metrics, injected so nothing here is global. */
export interface SchedulerMetrics {
  runStarted?(job: string): void;
  runFinished(job: string, outcome: RunOutcome, durationMs: number): void;
  runSkipped?(job: string, reason: SkipReason): void;
}

export interface SchedulerOptions {
  db: Pick<Db, 'prisma'>;
  logger: Logger;
  /** Names this process in leases and runs; unique per process, e.g. `${hostname()}:${process.pid}`. */
  holder: string;
  metrics?: SchedulerMetrics;
  clock?: () => Date;
  /** How long a run stays ours without a heartbeat; a dead replica's run is taken over after this. */
  leaseMs?: number;
  heartbeatMs?: number;
  /** node-cron expression of the scheduler's own tick (six fields: with seconds). */
  tickCron?: string;
  /** A run starting more than this after its due time is marked late. */
  lateAfterMs?: number;
  /** After this many holders died running one occurrence, it is closed as failed instead of taken over. */
  maxAttempts?: number;
  /** How long `stop()` waits for running jobs. */
  stopTimeoutMs?: number;
  /** Before the first tick, occurrences this far back count as current. */
  firstTickLookBackMs?: number;
  /**
   * Finished JobRun rows are deleted once this old (checked hourly). Must exceed every job's catch-up window:
   * a digest's row is what stops a replica coming back from sending it again.
   */
  keepRunsMs?: number;
}

export type RunResult = { started: true; runId: string; outcome: RunOutcome } | { started: false; reason: SkipReason };

export interface Scheduler {
  add(job: Job): void;
  /** Catches up missed occurrences, then ticks with node-cron until `stop()`. */
  start(): Promise<void>;
  /** Stops ticking, waits for running jobs (up to `stopTimeoutMs`), releases this holder's leases. */
  stop(): Promise<void>;
  /** Runs a job now, outside its schedule (still once: not while it runs here or elsewhere). */
  runNow(name: string): Promise<RunResult>;
  /** One scheduling pass at `now`: take over dead replicas' runs, start due occurrences. */
  tick(now?: Date): Promise<void>;
  /** Resolves when no job run is in progress in this process. */
  idle(): Promise<void>;
  /** The next due instant of each job, for start-up logs and `heed doctor`. */
  nextRuns(after: Date): { job: string; at: Date | undefined }[];
}

export const SCHEDULER_DEFAULTS = {
  leaseMs: 30_000,
  tickCron: '*/5 * * * * *',
  lateAfterMs: 5 * 60_000,
  maxAttempts: 3,
  stopTimeoutMs: 30_000,
  firstTickLookBackMs: 60_000,
  keepRunsMs: 14 * 86_400_000,
} as const;

interface Registered {
  readonly job: Job;
  readonly compiled: CompiledSchedule;
  /** Run keys settled for this process (claimed by someone, or already done), with their due instant. */
  readonly settled: Map<string, number>;
}

interface RunningJob {
  readonly promise: Promise<RunResult>;
  readonly controller: AbortController;
}

interface RunSpec {
  id: string;
  runKey: string;
  scheduledAt: Date;
  late: boolean;
  attempt: number;
  takeoverFrom?: string;
}

function errorText(error: unknown): string {
  const text = isAppError(error) ? error.describe() : error instanceof Error ? error.message : String(error);
  return censorSecrets(text).slice(0, 2000);
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const repo = new JobsRepo(options.db);
  const { logger, holder, metrics } = options;
  const clock = options.clock ?? (() => new Date());
  const leaseMsDefault = options.leaseMs ?? SCHEDULER_DEFAULTS.leaseMs;
  const lateAfterMs = options.lateAfterMs ?? SCHEDULER_DEFAULTS.lateAfterMs;
  const maxAttempts = options.maxAttempts ?? SCHEDULER_DEFAULTS.maxAttempts;
  const stopTimeoutMs = options.stopTimeoutMs ?? SCHEDULER_DEFAULTS.stopTimeoutMs;
  const lookBackMs = options.firstTickLookBackMs ?? SCHEDULER_DEFAULTS.firstTickLookBackMs;
  const tickCron = options.tickCron ?? SCHEDULER_DEFAULTS.tickCron;
  const keepRunsMs = options.keepRunsMs ?? SCHEDULER_DEFAULTS.keepRunsMs;
  const log = logger.child({ component: 'scheduler', holder });

  const jobs = new Map<string, Registered>();
  const running = new Map<string, RunningJob>();
  /** Jobs between "not running here" and "running": claimed synchronously so two paths cannot both start one. */
  const reserved = new Set<string>();
  let lastTick: Date | undefined;
  let ticking: Promise<void> | undefined;
  let task: ScheduledTask | undefined;
  let stopping = false;
  let lastCleanup: number | undefined;

  const leaseMsOf = (job: Job) => job.leaseMs ?? leaseMsDefault;
  const skip = (job: Job, reason: SkipReason, detail: Record<string, unknown> = {}): RunResult => {
    metrics?.runSkipped?.(job.name, reason);
    const level = reason === 'running-here' || reason === 'running-elsewhere' ? 'info' : 'debug';
    log[level]({ job: job.name, reason, ...detail }, 'job occurrence skipped');
    return { started: false, reason };
  };

  /** Starts a claimed run in the background; the returned promise settles with its outcome. */
  function launch(registered: Registered, spec: RunSpec): Promise<RunResult> {
    const { job } = registered;
    const controller = new AbortController();
    const runLog = logger.child({ job: job.name, runId: spec.id, runKey: spec.runKey, attempt: spec.attempt });
    const leaseMs = leaseMsOf(job);
    const startedAt = clock();
    let lost = false;
    let beating = false;
    const heartbeat = setInterval(
      () => {
        if (beating || lost) return;
        beating = true;
        const now = clock();
        const until = new Date(now.getTime() + leaseMs);
        Promise.all([repo.extendRun(spec.id, holder, until), repo.extendLease(job.name, holder, now, until)])
          .then(([runOk, leaseOk]) => {
            if (!runOk || !leaseOk) {
              lost = true;
              runLog.warn('job run lost its lease (another replica took it over); aborting this attempt');
              controller.abort(new Error('lease lost'));
            }
          })
          .catch((error: unknown) => runLog.warn({ err: error }, 'job heartbeat failed; will retry'))
          .finally(() => {
            beating = false;
          });
      },
      options.heartbeatMs ?? Math.max(10, Math.floor(leaseMs / 3)),
    );
    heartbeat.unref();

    const promise = (async (): Promise<RunResult> => {
      runLog.info(
        {
          scheduledAt: spec.scheduledAt.toISOString(),
          late: spec.late,
          ...(spec.takeoverFrom ? { takeoverFrom: spec.takeoverFrom } : {}),
          schedule: describeSchedule(job.schedule),
        },
        'job run started',
      );
      metrics?.runStarted?.(job.name);
      let outcome: RunOutcome = 'succeeded';
      let failure: unknown;
      try {
        await job.run({
          now: startedAt,
          logger: runLog,
          runId: spec.id,
          runKey: spec.runKey,
          scheduledAt: spec.scheduledAt,
          late: spec.late,
          attempt: spec.attempt,
          signal: controller.signal,
        });
      } catch (error) {
        outcome = 'failed';
        failure = error;
      } finally {
        clearInterval(heartbeat);
      }
      const finishedAt = clock();
      if (lost) outcome = 'lost';
      else {
        try {
          const status = outcome === 'failed' ? 'failed' : 'succeeded';
          const error = failure === undefined ? undefined : errorText(failure);
          if (!(await repo.finishRun(spec.id, holder, { status, finishedAt, error }))) outcome = 'lost';
        } catch (error) {
          runLog.error({ err: error }, 'could not record the job run outcome');
        }
      }
      try {
        await repo.releaseLease(job.name, holder);
      } catch (error) {
        runLog.warn({ err: error }, 'could not release the job lease; it expires by itself');
      }
      const durationMs = finishedAt.getTime() - startedAt.getTime();
      if (outcome === 'failed') {
        runLog.error(
          { outcome, durationMs, err: failure, ...(isAppError(failure) && failure.fix ? { fix: failure.fix } : {}) },
          'job run failed',
        );
      } else if (outcome === 'lost') {
        runLog.warn({ outcome, durationMs }, 'job run ended after losing its lease; the new holder records it');
      } else {
        runLog.info({ outcome, durationMs }, 'job run finished');
      }
      metrics?.runFinished(job.name, outcome, durationMs);
      return { started: true, runId: spec.id, outcome };
    })();
    running.set(job.name, { promise, controller });
    void promise.finally(() => running.delete(job.name));
    return promise;
  }

  /** Tries to run one occurrence: overlap guard, job lease, then the unique JobRun claim. */
  async function attempt(
    registered: Registered,
    occurrence: TOccurrence,
    now: Date,
  ): Promise<{ launched: Promise<RunResult> } | RunResult> {
    const { job } = registered;
    if (stopping) return skip(job, 'stopping');
    if (running.has(job.name) || reserved.has(job.name)) return skip(job, 'running-here', { runKey: occurrence.key });
    reserved.add(job.name);
    try {
      const leaseUntil = new Date(now.getTime() + leaseMsOf(job));
      if (!(await repo.acquireLease(job.name, holder, now, leaseUntil))) {
        return skip(job, 'running-elsewhere', { runKey: occurrence.key });
      }
      const id = randomUUID();
      const late = now.getTime() - occurrence.at.getTime() > lateAfterMs;
      let claimed = false;
      try {
        claimed = await repo.claimRun({
          id,
          job: job.name,
          runKey: occurrence.key,
          holder,
          scheduledFor: occurrence.at,
          startedAt: now,
          leaseUntil,
          late,
        });
      } finally {
        if (!claimed) await repo.releaseLease(job.name, holder);
      }
      registered.settled.set(occurrence.key, occurrence.at.getTime());
      if (!claimed) return skip(job, 'claimed-elsewhere', { runKey: occurrence.key });
      return {
        launched: launch(registered, { id, runKey: occurrence.key, scheduledAt: occurrence.at, late, attempt: 1 }),
      };
    } finally {
      reserved.delete(job.name);
    }
  }

  /** Dead replicas' runs: take them over, or close them when superseded or tried too often. */
  async function recoverExpired(now: Date): Promise<void> {
    const expired = await repo.expiredRuns([...jobs.keys()], now);
    for (const run of expired) {
      const registered = jobs.get(run.job);
      if (!registered || stopping) continue;
      try {
        await recoverOne(registered, run, now);
      } catch (error) {
        log.error({ err: error, job: run.job, runKey: run.runKey }, 'could not recover an expired job run');
      }
    }
  }

  async function recoverOne(registered: Registered, run: JobRun, now: Date): Promise<void> {
    const { job } = registered;
    if (running.has(job.name) || reserved.has(job.name)) return;
    const scheduledAt = run.scheduledFor ?? run.startedAt;
    const catchUpMs = job.catchUpMs ?? 0;
    const superseded =
      catchUpMs > 0
        ? now.getTime() - scheduledAt.getTime() > catchUpMs
        : registered.compiled.between(scheduledAt, now).length > 0;
    const context = { job: job.name, runKey: run.runKey, previousHolder: run.holder, attempt: run.attempt };
    if (superseded) {
      const reason = `holder ${run.holder} stopped renewing its lease; a later occurrence supersedes this one`;
      if (await repo.closeExpiredRun(run.id, now, 'abandoned', reason)) log.warn(context, 'dead job run abandoned');
      return;
    }
    if (run.attempt >= maxAttempts) {
      const reason = `gave up after ${run.attempt} attempts: each holder stopped renewing its lease mid-run`;
      if (await repo.closeExpiredRun(run.id, now, 'failed', reason)) {
        log.error(context, 'dead job run given up');
        metrics?.runFinished(job.name, 'failed', now.getTime() - run.startedAt.getTime());
      }
      return;
    }
    reserved.add(job.name);
    try {
      const until = new Date(now.getTime() + leaseMsOf(job));
      if (!(await repo.acquireLease(job.name, holder, now, until))) return;
      const late = run.late || now.getTime() - scheduledAt.getTime() > lateAfterMs;
      const taken = await repo.takeOverRun(run.id, holder, now, until, late);
      if (!taken) {
        await repo.releaseLease(job.name, holder);
        return;
      }
      log.warn(context, 'taking over a job run whose holder stopped renewing its lease');
      void launch(registered, {
        id: taken.id,
        runKey: taken.runKey,
        scheduledAt,
        late: taken.late,
        attempt: taken.attempt,
        takeoverFrom: run.holder,
      });
    } finally {
      reserved.delete(job.name);
    }
  }

  /** Starts what is due for one job: the latest occurrence since the last tick, plus missed ones with catch-up. */
  async function dueFor(registered: Registered, now: Date): Promise<void> {
    const { job, compiled, settled } = registered;
    const since = lastTick ?? new Date(now.getTime() - lookBackMs);
    const catchUpMs = job.catchUpMs ?? 0;
    let due: TOccurrence[];
    if (catchUpMs > 0) {
      // The grace window and nothing older: a digest is never sent later than that, not even by a replica
      // whose previous tick was long ago (a frozen VM).
      due = compiled
        .between(new Date(now.getTime() - catchUpMs - 1), now)
        .filter((occurrence) => !settled.has(occurrence.key));
      if (due.length === 0) return;
      // Cheap read first, so replicas do not churn the lease for occurrences long done.
      const existing = await repo.existingRunKeys(
        job.name,
        due.map((occurrence) => occurrence.key),
      );
      const done = job.alreadyDone ? await job.alreadyDone(due.filter((o) => !existing.has(o.key))) : new Set<string>();
      for (const occurrence of due) {
        if (existing.has(occurrence.key) || done.has(occurrence.key)) {
          settled.set(occurrence.key, occurrence.at.getTime());
          if (done.has(occurrence.key)) skip(job, 'already-done', { runKey: occurrence.key });
        }
      }
      due = due.filter((occurrence) => !settled.has(occurrence.key));
    } else {
      // Without catch-up only the most recent occurrence matters: a sync that missed two slots runs once.
      const latest = compiled.between(since, now).at(-1);
      due = latest && !settled.has(latest.key) ? [latest] : [];
    }
    for (const occurrence of due) {
      const result = await attempt(registered, occurrence, now);
      // One run per job at a time: once one starts (or the job is busy), the rest wait for a later tick.
      const claimedElsewhere = !('launched' in result) && !result.started && result.reason === 'claimed-elsewhere';
      if (!claimedElsewhere) break;
    }
  }

  function prune(now: Date): void {
    for (const { job, settled } of jobs.values()) {
      const horizon = now.getTime() - Math.max(job.catchUpMs ?? 0, lookBackMs) - 86_400_000;
      for (const [key, at] of settled) if (at < horizon) settled.delete(key);
    }
  }

  async function tickOnce(now: Date): Promise<void> {
    try {
      await recoverExpired(now);
    } catch (error) {
      log.error({ err: error }, 'could not look for expired job runs');
    }
    for (const registered of jobs.values()) {
      if (stopping) break;
      try {
        await dueFor(registered, now);
      } catch (error) {
        log.error({ err: error, job: registered.job.name }, 'could not schedule job');
      }
    }
    if (!lastTick || now > lastTick) lastTick = now;
    prune(now);
    await deleteOldRuns(now);
  }

  async function deleteOldRuns(now: Date): Promise<void> {
    if (lastCleanup !== undefined && now.getTime() - lastCleanup < 3_600_000) return;
    lastCleanup = now.getTime();
    const longestCatchUp = Math.max(0, ...[...jobs.values()].map(({ job }) => job.catchUpMs ?? 0));
    const before = new Date(now.getTime() - Math.max(keepRunsMs, longestCatchUp + 86_400_000));
    try {
      const deleted = await repo.deleteFinishedRunsBefore(before);
      if (deleted > 0) log.debug({ deleted, before: before.toISOString() }, 'old job runs deleted');
    } catch (error) {
      log.warn({ err: error }, 'could not delete old job runs');
    }
  }

  const tick = async (now: Date = clock()): Promise<void> => {
    // A tick that is still waiting on the database is not doubled; the next one covers the gap.
    if (ticking) return ticking;
    ticking = tickOnce(now).finally(() => {
      ticking = undefined;
    });
    return ticking;
  };

  return {
    add(job) {
      if (jobs.has(job.name)) throw new Error(`createScheduler: a job named "${job.name}" was already added`);
      jobs.set(job.name, { job, compiled: compileSchedule(job.schedule), settled: new Map() });
    },

    async start() {
      if (task) return;
      stopping = false;
      const now = clock();
      for (const { job, compiled } of jobs.values()) {
        log.info(
          { job: job.name, schedule: describeSchedule(job.schedule), next: compiled.next(now)?.at.toISOString() },
          'job scheduled',
        );
      }
      await tick(now);
      task = cron.schedule(tickCron, () => tick(clock()), {
        name: `heed-scheduler:${holder}`,
        timezone: 'UTC',
        noOverlap: true,
        // Ticks catch up by themselves (each covers everything since the previous one).
        suppressMissedWarning: true,
        logger: {
          info: (message) => log.debug(message),
          warn: (message) => log.warn(message),
          error: (message, error) => log.error({ err: error ?? message }, 'node-cron error'),
          debug: (message) => log.debug(typeof message === 'string' ? message : message.message),
        },
      });
    },

    async stop() {
      stopping = true;
      await task?.destroy();
      task = undefined;
      await ticking;
      const inFlight = [...running.values()];
      if (inFlight.length > 0) {
        log.info({ jobs: [...running.keys()] }, 'waiting for running jobs to finish');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          Promise.allSettled(inFlight.map((run) => run.promise)).then(() => false),
          new Promise<boolean>((resolveTimeout) => {
            timer = setTimeout(() => resolveTimeout(true), stopTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          // Their leases are left to expire: another replica takes the runs over.
          log.warn({ jobs: [...running.keys()] }, 'jobs still running at shutdown; aborting them');
          for (const run of running.values()) run.controller.abort(new Error('scheduler stopping'));
        }
      }
      try {
        for (const name of await repo.leasesHeldBy(holder)) {
          if (!running.has(name)) await repo.releaseLease(name, holder);
        }
      } catch (error) {
        log.warn({ err: error }, 'could not release job leases; they expire by themselves');
      }
    },

    async runNow(name) {
      const registered = jobs.get(name);
      if (!registered) throw new Error(`runNow: no job named "${name}" (known: ${[...jobs.keys()].join(', ')})`);
      const now = clock();
      const result = await attempt(registered, { at: now, key: `manual:${now.toISOString()}` }, now);
      return 'launched' in result ? result.launched : result;
    },

    tick,

    async idle() {
      while (running.size > 0 || ticking) {
        await Promise.allSettled([ticking, ...[...running.values()].map((run) => run.promise)]);
      }
    },

    nextRuns(after) {
      return [...jobs.values()].map(({ job, compiled }) => ({ job: job.name, at: compiled.next(after)?.at }));
    },
  };
}
