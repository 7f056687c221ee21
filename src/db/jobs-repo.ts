// What the scheduler reads and writes: job leases (one replica runs a job at a time), job runs (each scheduled
// occurrence once: (job, runKey) is unique) and, read only, the digest runs the digest service records.
// Written once against the Prisma API; every "who wins" decision is a single conditional write, which both
// SQLite (one writer at a time) and PostgreSQL (row locks, WHERE re-checked after a wait) make atomic.
import type { JobRun, PrismaClient } from '../generated/sqlite/client.ts';
import type { Db } from './client.ts';

export type { JobRun };

/** running → succeeded | failed; abandoned: its holder died and the occurrence was superseded or given up. */
export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'abandoned';

export interface NewJobRun {
  id: string;
  job: string;
  runKey: string;
  holder: string;
  scheduledFor: Date;
  startedAt: Date;
  leaseUntil: Date;
  late: boolean;
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}

export class JobsRepo {
  readonly #prisma: PrismaClient;

  constructor(db: Pick<Db, 'prisma'>) {
    this.#prisma = db.prisma;
  }

  // ------------------------------------------------------------ leases: one running instance of a job

  /**
   * Takes the job's lease when it is free, expired, or already ours. Returns whether we hold it now.
   * Two replicas racing on a missing row: one insert wins, the other gets a unique violation and loses.
   */
  async acquireLease(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    const taken = await this.#prisma.jobLease.updateMany({
      where: { name, OR: [{ leaseUntil: { lt: now } }, { holder }] },
      data: { holder, leaseUntil: until, updatedAt: now },
    });
    if (taken.count === 1) return true;
    const existing = await this.#prisma.jobLease.findUnique({ where: { name }, select: { name: true } });
    if (existing) return false;
    try {
      await this.#prisma.jobLease.create({ data: { name, holder, leaseUntil: until, updatedAt: now } });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Heartbeat: false when the lease is no longer ours (it expired and another replica took it). */
  async extendLease(name: string, holder: string, now: Date, until: Date): Promise<boolean> {
    const { count } = await this.#prisma.jobLease.updateMany({
      where: { name, holder },
      data: { leaseUntil: until, updatedAt: now },
    });
    return count === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#prisma.jobLease.deleteMany({ where: { name, holder } });
  }

  /** Every lease this holder still has (released on shutdown). */
  async leasesHeldBy(holder: string): Promise<string[]> {
    const rows = await this.#prisma.jobLease.findMany({ where: { holder }, select: { name: true } });
    return rows.map((row) => row.name);
  }

  // ------------------------------------------------------------ runs: each occurrence once

  /** Records the run as ours; false when another replica already claimed this occurrence. */
  async claimRun(run: NewJobRun): Promise<boolean> {
    try {
      await this.#prisma.jobRun.create({
        data: {
          id: run.id,
          job: run.job,
          runKey: run.runKey,
          holder: run.holder,
          scheduledFor: run.scheduledFor,
          startedAt: run.startedAt,
          leaseUntil: run.leaseUntil,
          late: run.late,
          attempt: 1,
          status: 'running',
        },
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Heartbeat: false when the run is no longer ours (taken over after our lease expired). */
  async extendRun(id: string, holder: string, until: Date): Promise<boolean> {
    const { count } = await this.#prisma.jobRun.updateMany({
      where: { id, holder, status: 'running' },
      data: { leaseUntil: until },
    });
    return count === 1;
  }

  /** Writes the outcome; false when the run was taken over meanwhile (the new holder's outcome counts). */
  async finishRun(
    id: string,
    holder: string,
    outcome: { status: Exclude<JobRunStatus, 'running'>; finishedAt: Date; error?: string | undefined },
  ): Promise<boolean> {
    const { count } = await this.#prisma.jobRun.updateMany({
      where: { id, holder, status: 'running' },
      data: { status: outcome.status, finishedAt: outcome.finishedAt, error: outcome.error ?? null },
    });
    return count === 1;
  }

  /** Runs of these jobs still marked running whose holder stopped renewing the lease: it died mid-run. */
  expiredRuns(jobs: readonly string[], now: Date): Promise<JobRun[]> {
    if (jobs.length === 0) return Promise.resolve([]);
    return this.#prisma.jobRun.findMany({
      where: { job: { in: [...jobs] }, status: 'running', leaseUntil: { lt: now } },
      orderBy: { scheduledFor: 'asc' },
    });
  }

  /**
   * Takes over a run whose lease expired: only one replica's conditional update matches.
   * Returns the run as now held by us, or null when another replica was first.
   */
  async takeOverRun(id: string, holder: string, now: Date, until: Date, late: boolean): Promise<JobRun | null> {
    const { count } = await this.#prisma.jobRun.updateMany({
      where: { id, status: 'running', leaseUntil: { lt: now } },
      data: { holder, startedAt: now, leaseUntil: until, attempt: { increment: 1 }, ...(late ? { late: true } : {}) },
    });
    if (count !== 1) return null;
    return this.#prisma.jobRun.findUnique({ where: { id } });
  }

  /** Closes an expired run without running it again (superseded by a later occurrence, or too many attempts). */
  async closeExpiredRun(id: string, now: Date, status: 'abandoned' | 'failed', error: string): Promise<boolean> {
    const { count } = await this.#prisma.jobRun.updateMany({
      where: { id, status: 'running', leaseUntil: { lt: now } },
      data: { status, finishedAt: now, error },
    });
    return count === 1;
  }

  /** Which of these run keys of a job already have a run (in any state). */
  async existingRunKeys(job: string, runKeys: readonly string[]): Promise<Set<string>> {
    if (runKeys.length === 0) return new Set();
    const rows = await this.#prisma.jobRun.findMany({
      where: { job, runKey: { in: [...runKeys] } },
      select: { runKey: true },
    });
    return new Set(rows.map((row) => row.runKey));
  }

  /** Retention: finished runs that started before `before` (a running one is never deleted). */
  async deleteFinishedRunsBefore(before: Date): Promise<number> {
    const { count } = await this.#prisma.jobRun.deleteMany({
      where: { startedAt: { lt: before }, status: { not: 'running' } },
    });
    return count;
  }

  runsOf(job: string): Promise<JobRun[]> {
    return this.#prisma.jobRun.findMany({ where: { job }, orderBy: { scheduledFor: 'asc' } });
  }

  // ------------------------------------------------------------ digests (written by the digest service)

  /**
   * Days (of those asked, DigestRun.day values) whose digest the digest service already handled. A `pending` run
   * was left by a crash mid-post and still needs finishing, so it does not count.
   */
  async digestDaysDone(team: string, days: readonly string[]): Promise<Set<string>> {
    if (days.length === 0) return new Set();
    const rows = await this.#prisma.digestRun.findMany({
      where: { team, day: { in: [...days] }, status: { not: 'pending' } },
      select: { day: true },
    });
    return new Set(rows.map((row) => row.day));
  }
}

/**
 * Slack's per-channel pace shared by replicas, as job leases named `slack-channel:<channel>` (see the
 * outbox's ChannelLeases): taking one succeeds when it is free, expired or already this process's; the outbox
 * takes it before a call, renews it while the call runs and holds it until Slack's answer + the interval.
 */
export function channelLeasesFrom(
  jobs: Pick<JobsRepo, 'acquireLease' | 'extendLease'>,
  holder: string,
): {
  take(channel: string, now: Date, until: Date): Promise<boolean>;
  hold(channel: string, now: Date, until: Date): Promise<boolean>;
} {
  const name = (channel: string) => `slack-channel:${channel}`;
  return {
    take: (channel, now, until) => jobs.acquireLease(name(channel), holder, now, until),
    // Only this holder's lease moves: a hold lost to another replica (it expired) is not taken back.
    hold: (channel, now, until) => jobs.extendLease(name(channel), holder, now, until),
  };
}
