import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/db/client.ts';
import { JobsRepo } from '../../src/db/jobs-repo.ts';
import { AppError } from '../../src/errors.ts';
import { cronSchedule, dailySchedule, everySchedule } from '../../src/jobs/schedule.ts';
import { createScheduler, type Job, type JobContext, type SchedulerOptions } from '../../src/jobs/scheduler.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase, type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

type LogLine = Record<string, unknown> & { msg: string; level: number };

function captureLogs() {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
  });
  return { logger, lines };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function metricsRecorder() {
  const finished: [string, string][] = [];
  const skipped: [string, string][] = [];
  return {
    finished,
    skipped,
    metrics: {
      runFinished: (job: string, outcome: string) => finished.push([job, outcome]),
      runSkipped: (job: string, reason: string) => skipped.push([job, reason]),
    },
  };
}

const at = (text: string) => new Date(text);

describe.each(testProviders())('scheduler on %s', (provider) => {
  let db: OpenTestDb;
  const extraDbs: Db[] = [];
  let now: Date;
  const clock = () => now;

  // One database per provider (creating one per test costs most of a second on PostgreSQL); each test starts
  // from empty scheduler tables.
  beforeAll(async () => {
    db = await openTestDb(provider);
  });
  afterAll(async () => {
    await db.dispose();
  });

  beforeEach(async () => {
    await db.prisma.jobRun.deleteMany();
    await db.prisma.jobLease.deleteMany();
    await db.prisma.digestRun.deleteMany();
    now = at('2026-11-23T10:00:30Z');
  });

  afterEach(async () => {
    for (const extra of extraDbs.splice(0)) await extra.close();
  });

  /** Another replica: its own connection to the same database. */
  async function replicaDb(): Promise<Db> {
    const extra = await openDatabase(db.url);
    extraDbs.push(extra);
    return extra;
  }

  const scheduler = (overrides: Partial<SchedulerOptions> = {}) =>
    createScheduler({
      db,
      logger: captureLogs().logger,
      holder: 'replica-a',
      clock,
      heartbeatMs: 3_600_000,
      ...overrides,
    });

  it('runs a due occurrence once, with start and end logged and the run id on every line', async () => {
    const { logger, lines } = captureLogs();
    const { metrics, finished } = metricsRecorder();
    const seen: JobContext[] = [];
    const s = scheduler({ logger, metrics });
    s.add({
      name: 'sync',
      schedule: everySchedule(5),
      run: (ctx) => {
        seen.push(ctx);
        ctx.logger.info({ tickets: 3 }, 'synced');
      },
    });
    now = at('2026-11-23T10:05:02Z');
    await s.tick();
    await s.idle();
    now = at('2026-11-23T10:06:02Z');
    await s.tick();
    await s.idle();
    expect(seen.map((ctx) => [ctx.runKey, ctx.scheduledAt.toISOString(), ctx.late, ctx.attempt])).toEqual([
      ['2026-11-23T10:05Z', '2026-11-23T10:05:00.000Z', false, 1],
    ]);
    expect(seen[0]!.now).toEqual(at('2026-11-23T10:05:02Z'));
    const runLines = lines.filter((line) => line.runId === seen[0]!.runId);
    expect(runLines.map((line) => line.msg)).toEqual(['job run started', 'synced', 'job run finished']);
    expect(runLines.every((line) => line.job === 'sync' && line.runKey === '2026-11-23T10:05Z')).toBe(true);
    expect(runLines.at(-1)).toMatchObject({ outcome: 'succeeded', durationMs: 0 });
    expect(finished).toEqual([['sync', 'succeeded']]);
    const [row] = await new JobsRepo(db).runsOf('sync');
    expect(row).toMatchObject({ status: 'succeeded', holder: 'replica-a', attempt: 1, late: false });
    expect(row!.finishedAt).toEqual(at('2026-11-23T10:05:02Z'));
  });

  it('three replicas ticking together run each occurrence exactly once', async () => {
    const teams = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const runs: string[] = [];
    const replicas = await Promise.all(
      ['replica-a', 'replica-b', 'replica-c'].map(async (holder, index) => {
        const s = scheduler({ holder, db: index === 0 ? db : await replicaDb() });
        for (const team of teams) {
          s.add({
            name: `digest:${team}`,
            schedule: dailySchedule('11:00', ['mon'], 'Europe/Berlin'),
            catchUpMs: 3 * 3_600_000,
            run: async (ctx) => {
              await new Promise((r) => setTimeout(r, 5));
              runs.push(`${team}:${ctx.runKey}:${holder}`);
            },
          });
        }
        s.add({
          name: 'evaluate',
          schedule: cronSchedule('* * * * *'),
          run: () => void runs.push(`evaluate:${holder}`),
        });
        return s;
      }),
    );
    for (const time of ['2026-11-23T10:00:01Z', '2026-11-23T10:00:06Z', '2026-11-23T10:01:01Z']) {
      now = at(time);
      await Promise.all(replicas.map((s) => s.tick()));
      await Promise.all(replicas.map((s) => s.idle()));
    }
    const digests = runs.filter((run) => !run.startsWith('evaluate'));
    expect(digests.map((run) => run.split(':').slice(0, 2).join(':')).sort()).toEqual(
      teams.map((team) => `${team}:2026-11-23`).sort(),
    );
    expect(runs.filter((run) => run.startsWith('evaluate'))).toHaveLength(2);
    const repo = new JobsRepo(db);
    for (const team of teams) {
      const rows = await repo.runsOf(`digest:${team}`);
      expect(rows.map((row) => [row.runKey, row.status])).toEqual([['2026-11-23', 'succeeded']]);
    }
  });

  it('does not start a job that is still running, here or on another replica', async () => {
    const { metrics, skipped } = metricsRecorder();
    const gate = deferred();
    const started: string[] = [];
    const job = (holder: string): Job => ({
      name: 'sync',
      schedule: everySchedule(1),
      run: async (ctx) => {
        started.push(`${holder}:${ctx.runKey}`);
        await gate.promise;
      },
    });
    // Leases long enough that the jumps of the test clock do not expire them (no heartbeat runs here).
    const a = scheduler({ metrics, leaseMs: 600_000 });
    const b = scheduler({ holder: 'replica-b', db: await replicaDb(), metrics, leaseMs: 600_000 });
    a.add(job('a'));
    b.add(job('b'));
    now = at('2026-11-23T10:01:00Z');
    await a.tick();
    now = at('2026-11-23T10:02:00Z');
    await a.tick();
    await b.tick();
    gate.resolve();
    await Promise.all([a.idle(), b.idle()]);
    expect(started).toEqual(['a:2026-11-23T10:01Z']);
    expect(skipped).toEqual([
      ['sync', 'running-here'],
      ['sync', 'running-elsewhere'],
    ]);
    // Once it finished, the next occurrence runs normally (on whichever replica ticks first).
    now = at('2026-11-23T10:03:00Z');
    await b.tick();
    await a.tick();
    await Promise.all([a.idle(), b.idle()]);
    expect(started).toEqual(['a:2026-11-23T10:01Z', 'b:2026-11-23T10:03Z']);
  });

  it('takes over a run whose holder died once its lease expired; the dead holder cannot record an outcome', async () => {
    const gate = deferred();
    const attempts: string[] = [];
    const digest = (holder: string): Job => ({
      name: 'digest:support',
      schedule: dailySchedule('09:00', ['mon'], 'UTC'),
      catchUpMs: 3 * 3_600_000,
      run: async (ctx) => {
        attempts.push(`${holder}:${ctx.runKey}:${ctx.attempt}`);
        if (holder === 'a') await gate.promise;
      },
    });
    // The "dead" replica never renews its lease (heartbeat far in the future).
    const a = scheduler({ leaseMs: 30_000 });
    const b = scheduler({ holder: 'replica-b', db: await replicaDb(), leaseMs: 30_000 });
    a.add(digest('a'));
    b.add(digest('b'));
    now = at('2026-11-23T09:00:01Z');
    await a.tick();
    await b.tick();
    expect(attempts).toEqual(['a:2026-11-23:1']);
    now = at('2026-11-23T09:00:30Z');
    await b.tick();
    expect(attempts).toHaveLength(1);
    now = at('2026-11-23T09:00:32Z');
    await b.tick();
    await b.idle();
    expect(attempts).toEqual(['a:2026-11-23:1', 'b:2026-11-23:2']);
    gate.resolve();
    const repo = new JobsRepo(db);
    await a.idle();
    expect(await repo.runsOf('digest:support')).toMatchObject([
      { runKey: '2026-11-23', holder: 'replica-b', attempt: 2, status: 'succeeded', late: false },
    ]);
    // Later ticks of either replica do not run it again.
    now = at('2026-11-23T10:00:00Z');
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.idle(), b.idle()]);
    expect(attempts).toHaveLength(2);
  });

  it('aborts the run of a replica that finds its lease taken over at its next heartbeat', async () => {
    const { logger, lines } = captureLogs();
    let aborted = false;
    const a = scheduler({ logger, leaseMs: 1_000, heartbeatMs: 20 });
    a.add({
      name: 'sync',
      schedule: everySchedule(5),
      run: async (ctx) => {
        now = at('2026-11-23T10:05:02Z');
        // Another replica steals the run while this one is paused (e.g. a long GC or a frozen VM).
        await db.prisma.jobRun.updateMany({ data: { holder: 'replica-b' } });
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        aborted = ctx.signal.aborted;
      },
    });
    now = at('2026-11-23T10:05:00Z');
    await a.tick();
    await a.idle();
    expect(aborted).toBe(true);
    expect(
      lines.find((line) => line.msg === 'job run ended after losing its lease; the new holder records it'),
    ).toMatchObject({
      outcome: 'lost',
    });
    expect(await new JobsRepo(db).runsOf('sync')).toMatchObject([{ status: 'running', holder: 'replica-b' }]);
  });

  it.each([
    ['superseded by a later occurrence', 1, 'abandoned'],
    ['after three attempts', 3, 'failed'],
  ])('closes a dead run %s instead of taking it over', async (_label, attempt, status) => {
    const repo = new JobsRepo(db);
    await repo.claimRun({
      id: 'dead-run',
      job: attempt === 1 ? 'sync' : 'digest:support',
      runKey: attempt === 1 ? '2026-11-23T10:00Z' : '2026-11-23',
      holder: 'replica-dead',
      scheduledFor: at(attempt === 1 ? '2026-11-23T10:00:00Z' : '2026-11-23T09:00:00Z'),
      startedAt: at('2026-11-23T10:00:00Z'),
      leaseUntil: at('2026-11-23T10:00:30Z'),
      late: false,
    });
    await db.prisma.jobRun.update({ where: { id: 'dead-run' }, data: { attempt } });
    const ran: string[] = [];
    const s = scheduler();
    if (attempt === 1) s.add({ name: 'sync', schedule: everySchedule(5), run: (ctx) => void ran.push(ctx.runKey) });
    else {
      s.add({
        name: 'digest:support',
        schedule: dailySchedule('09:00', ['mon'], 'UTC'),
        catchUpMs: 3 * 3_600_000,
        run: (ctx) => void ran.push(ctx.runKey),
      });
    }
    now = at('2026-11-23T10:05:10Z');
    await s.tick();
    await s.idle();
    const [dead] = (await repo.runsOf(attempt === 1 ? 'sync' : 'digest:support')).filter((r) => r.id === 'dead-run');
    expect(dead).toMatchObject({ status });
    expect(ran).toEqual(attempt === 1 ? ['2026-11-23T10:05Z'] : []);
  });

  it('catches up a digest missed while every replica was down, marked late, within the grace window only', async () => {
    const ran: JobContext[] = [];
    const repo = new JobsRepo(db);
    const digest = (team: string, time: string): Job => ({
      name: `digest:${team}`,
      schedule: dailySchedule(time, ['mon', 'tue', 'wed', 'thu', 'fri'], 'Europe/Berlin'),
      catchUpMs: 3 * 3_600_000,
      alreadyDone: async (occurrences) =>
        repo.digestDaysDone(
          team,
          occurrences.map((o) => o.key),
        ),
      run: (ctx) => void ran.push(ctx),
    });
    // Posted by hand before the outage: a DigestRun row exists, so it is not sent again.
    await db.prisma.digestRun.create({
      data: { id: 'd1', team: 'manual', day: '2026-11-23', status: 'sent', scheduledFor: at('2026-11-23T08:00:00Z') },
    });
    const { metrics, skipped } = metricsRecorder();
    const s = scheduler({ metrics });
    s.add(digest('support', '09:00')); // 08:00Z: 2.5 h ago, within grace
    s.add(digest('sales', '07:00')); // 06:00Z: 4.5 h ago, beyond grace
    s.add(digest('manual', '09:00'));
    s.add(digest('later', '12:00')); // 11:00Z: not due yet
    now = at('2026-11-23T10:30:00Z');
    await s.start();
    await s.idle();
    await s.stop();
    expect(ran.map((ctx) => [ctx.runKey, ctx.scheduledAt.toISOString(), ctx.late])).toEqual([
      ['2026-11-23', '2026-11-23T08:00:00.000Z', true],
    ]);
    expect(await repo.runsOf('digest:support')).toMatchObject([{ late: true, status: 'succeeded' }]);
    expect(await repo.runsOf('digest:sales')).toEqual([]);
    expect(skipped).toContainEqual(['digest:manual', 'already-done']);
  });

  it('records a failed run with its error (secrets masked), counts it and keeps scheduling', async () => {
    const { logger, lines } = captureLogs();
    const { metrics, finished } = metricsRecorder();
    const s = scheduler({ logger, metrics });
    s.add({
      name: 'sync',
      schedule: everySchedule(1),
      run: () => {
        throw new AppError('HUBSPOT_AUTH', 'HubSpot refused token Bearer pat-na1-abcdef123456', {
          fix: 'create a new private app token',
        });
      },
    });
    now = at('2026-11-23T10:01:00Z');
    await s.tick();
    await s.idle();
    now = at('2026-11-23T10:02:00Z');
    await s.tick();
    await s.idle();
    expect(finished).toEqual([
      ['sync', 'failed'],
      ['sync', 'failed'],
    ]);
    const rows = await new JobsRepo(db).runsOf('sync');
    expect(rows.map((row) => row.status)).toEqual(['failed', 'failed']);
    expect(rows[0]!.error).toContain('HubSpot refused token Bearer [redacted]');
    expect(rows[0]!.error).toContain('To fix: create a new private app token');
    expect(JSON.stringify(lines)).not.toContain('abcdef123456');
    expect(lines.find((line) => line.msg === 'job run failed')).toMatchObject({
      outcome: 'failed',
      fix: expect.any(String),
    });
  });

  it('logs a database failure during a tick and carries on once the database is back', async () => {
    const { logger, lines } = captureLogs();
    // A database without Heed's tables: every scheduler query fails.
    const empty = await createTestDatabase(provider);
    const broken = await openDatabase(empty.url);
    const ran: string[] = [];
    const job: Job = { name: 'sync', schedule: everySchedule(1), run: (ctx) => void ran.push(ctx.runKey) };
    const down = scheduler({ db: broken, logger });
    down.add(job);
    now = at('2026-11-23T10:01:00Z');
    await expect(down.tick()).resolves.toBeUndefined();
    expect(lines.map((line) => line.msg)).toContain('could not schedule job');
    expect(lines.find((line) => line.msg === 'could not schedule job')).toMatchObject({ level: 50, job: 'sync' });
    await broken.close();
    await empty.drop();
    const up = scheduler({ logger });
    up.add(job);
    now = at('2026-11-23T10:02:00Z');
    await up.tick();
    await up.idle();
    expect(ran).toEqual(['2026-11-23T10:02Z']);
  });

  it('runNow runs a job outside its schedule, once, and stop() waits for it and releases the lease', async () => {
    const gate = deferred();
    let finishedRun = false;
    const s = scheduler();
    s.add({
      name: 'weekly:support',
      schedule: dailySchedule('09:00', ['mon'], 'UTC'),
      run: async () => {
        await gate.promise;
        finishedRun = true;
      },
    });
    const first = s.runNow('weekly:support');
    await new Promise((r) => setTimeout(r, 20));
    expect(await s.runNow('weekly:support')).toEqual({ started: false, reason: 'running-here' });
    const stopped = s.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(finishedRun).toBe(false);
    gate.resolve();
    await stopped;
    expect(await first).toMatchObject({ started: true, outcome: 'succeeded' });
    expect(finishedRun).toBe(true);
    expect(await db.prisma.jobLease.count()).toBe(0);
    await expect(s.runNow('nope')).rejects.toThrow(/no job named "nope"/);
  });

  it('deletes finished runs past retention, never a running one or one a catch-up window still needs', async () => {
    const repo = new JobsRepo(db);
    const claim = (id: string, job: string, startedAt: string) =>
      repo.claimRun({
        id,
        job,
        runKey: id,
        holder: 'replica-old',
        scheduledFor: at(startedAt),
        startedAt: at(startedAt),
        leaseUntil: at('2030-01-01T00:00:00Z'),
        late: false,
      });
    await claim('old-done', 'sync', '2026-11-01T10:00:00Z');
    await repo.finishRun('old-done', 'replica-old', { status: 'succeeded', finishedAt: at('2026-11-01T10:01:00Z') });
    await claim('old-running', 'sync', '2026-11-01T10:00:00Z');
    await claim('recent-done', 'sync', '2026-11-20T10:00:00Z');
    await repo.finishRun('recent-done', 'replica-old', { status: 'failed', finishedAt: at('2026-11-20T10:01:00Z') });
    const s = scheduler({ keepRunsMs: 7 * 86_400_000 });
    s.add({ name: 'digest:x', schedule: dailySchedule('09:00', ['sun'], 'UTC'), catchUpMs: 3_600_000, run: () => {} });
    await s.tick();
    const left = await db.prisma.jobRun.findMany({ orderBy: { id: 'asc' } });
    expect(left.map((run) => run.id)).toEqual(['old-running', 'recent-done']);
  });

  it('sends each day’s digest exactly once when some replica ticks within the grace window, never otherwise (property)', async () => {
    const replicaDbs = [db, await replicaDb(), await replicaDb()];
    const digestAt = (day: string) => Date.parse(`${day}T09:00:00Z`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ replica: fc.integer({ min: 0, max: 2 }), advanceMin: fc.integer({ min: 0, max: 300 }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        async (steps) => {
          await db.prisma.jobRun.deleteMany();
          await db.prisma.jobLease.deleteMany();
          now = at('2026-11-23T06:00:00Z');
          const sent: string[] = [];
          const replicas = replicaDbs.map((replica, index) => {
            const s = scheduler({ db: replica, holder: `replica-${index}` });
            s.add({
              name: 'digest:support',
              schedule: dailySchedule('09:00', ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], 'UTC'),
              catchUpMs: 3 * 3_600_000,
              run: (ctx) => void sent.push(ctx.runKey),
            });
            return s;
          });
          const ticks: number[] = [];
          for (const step of steps) {
            now = new Date(now.getTime() + step.advanceMin * 60_000);
            ticks.push(now.getTime());
            await replicas[step.replica]!.tick();
            await replicas[step.replica]!.idle();
          }
          const days = new Set(ticks.map((tick) => new Date(tick).toISOString().slice(0, 10)));
          const owed = [...days].filter((day) =>
            ticks.some((tick) => tick >= digestAt(day) && tick <= digestAt(day) + 3 * 3_600_000),
          );
          expect([...sent].sort()).toEqual(owed.sort());
        },
      ),
      { numRuns: provider === 'sqlite' ? 15 : 5 },
    );
  });

  it('ticks by itself through node-cron once started', async () => {
    const real = createScheduler({ db, logger: captureLogs().logger, holder: 'replica-a', tickCron: '* * * * * *' });
    const keys: string[] = [];
    real.add({ name: 'every-second', schedule: cronSchedule('* * * * * *'), run: (ctx) => void keys.push(ctx.runKey) });
    await real.start();
    // Two ticks come within about two seconds; polled (not a fixed 1.5 s) so a loaded machine's slow tick is waited
    // for, with a deadline far beyond it.
    for (const deadline = Date.now() + 15_000; keys.length < 2 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await real.stop();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(keys.length);
    expect(await new JobsRepo(db).runsOf('every-second')).toHaveLength(keys.length);
  });
});
