// Three real `heed`-like processes on one PostgreSQL database: every digest is sent exactly once, also when
// the replica running one is killed with SIGKILL mid-run (another takes it over after the lease expires).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'digest-replica.ts');
const MINUTE = 60_000;

/** "HH:MM" of an instant in a zone. */
function wallClock(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    ms,
  );
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!testProviders().includes('postgresql'))('three replicas on one PostgreSQL', () => {
  let db: OpenTestDb;
  const children = new Map<string, ChildProcess>();
  const output = new Map<string, string>();

  beforeAll(async () => {
    db = await openTestDb('postgresql');
  });

  afterAll(async () => {
    for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
    await db.dispose();
  });

  function startReplica(holder: string, teams: unknown, clockOffsetMs: number): ChildProcess {
    const child = spawn(process.execPath, [FIXTURE], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REPLICA_HOLDER: holder,
        REPLICA_TEAMS: JSON.stringify(teams),
        REPLICA_WORK_MS: '1500',
        REPLICA_CLOCK_OFFSET_MS: String(clockOffsetMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    output.set(holder, '');
    const append = (chunk: Buffer) => output.set(holder, output.get(holder) + chunk.toString());
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    children.set(holder, child);
    return child;
  }

  it('sends each digest exactly once, including one whose replica is killed mid-run', async () => {
    // The replicas run on a clock moved to a fixed Monday noon (UTC) and running from there: "a minute ago" on the
    // wall clock named a time an hour earlier during a zone's repeated hour (Berlin's on the last Sunday of
    // October), which made the Berlin digest late.
    const now = Date.parse('2026-11-23T12:00:00Z');
    const clockOffsetMs = now - Date.now();
    // Digests due a moment ago, half an hour ago and two hours ago (catch-up), in several zones.
    const teams = [
      { name: 'berlin', time: wallClock(now - MINUTE, 'Europe/Berlin'), timezone: 'Europe/Berlin' },
      { name: 'newyork', time: wallClock(now - 30 * MINUTE, 'America/New_York'), timezone: 'America/New_York' },
      { name: 'kolkata', time: wallClock(now - 120 * MINUTE, 'Asia/Kolkata'), timezone: 'Asia/Kolkata' },
      { name: 'sydney', time: wallClock(now - 2 * MINUTE, 'Australia/Sydney'), timezone: 'Australia/Sydney' },
      { name: 'utc', time: wallClock(now - 5 * MINUTE, 'UTC'), timezone: 'UTC' },
    ];
    for (const holder of ['replica-1', 'replica-2', 'replica-3']) startReplica(holder, teams, clockOffsetMs);

    // Kill whichever replica is first seen in the middle of a digest.
    const victim = await waitFor('a digest in progress', async () => {
      const started = await db.prisma.auditEntry.findFirst({ where: { action: 'digest-started' } });
      return started?.actor;
    });
    children.get(victim)!.kill('SIGKILL');
    const killedTarget = (await db.prisma.auditEntry.findFirst({ where: { action: 'digest-started', actor: victim } }))!
      .target;

    const sent = await waitFor(
      'every digest sent',
      async () => {
        const rows = await db.prisma.auditEntry.findMany({ where: { action: 'digest-sent' } });
        const running = await db.prisma.jobRun.count({ where: { status: 'running' } });
        return rows.length >= teams.length && running === 0 ? rows : undefined;
      },
      25_000,
    );
    // Give the survivors a few more ticks: nothing may be sent again.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const finalSent = await db.prisma.auditEntry.findMany({ where: { action: 'digest-sent' } });
    expect(finalSent).toHaveLength(sent.length);

    const perTeam = new Map<string, number>();
    for (const row of finalSent) {
      const team = row.target.split(':')[0]!;
      perTeam.set(team, (perTeam.get(team) ?? 0) + 1);
    }
    expect(Object.fromEntries(perTeam)).toEqual(Object.fromEntries(teams.map((team) => [team.name, 1])));
    // The killed replica never finished its digest; a survivor took the same run over as attempt 2.
    expect(finalSent.find((row) => row.target === killedTarget)).toMatchObject({
      detail: JSON.stringify({ attempt: 2 }),
    });
    expect(finalSent.every((row) => row.actor !== victim)).toBe(true);

    const runs = await db.prisma.jobRun.findMany();
    expect(runs).toHaveLength(teams.length);
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    const taken = runs.find((run) => `${run.job.replace('digest:', '')}:${run.runKey}` === killedTarget);
    expect(taken).toMatchObject({ attempt: 2 });
    expect(taken!.holder).not.toBe(victim);
    // The two-hour-old digest was a catch-up, marked late.
    expect(runs.find((run) => run.job === 'digest:kolkata')).toMatchObject({ late: true });
    expect(runs.find((run) => run.job === 'digest:berlin')).toMatchObject({ late: false });

    // Survivors shut down cleanly on SIGTERM, releasing their leases.
    const survivors = [...children].filter(([holder]) => holder !== victim).map(([, child]) => child);
    const exits = survivors.map((child) => new Promise<number | null>((resolve) => child.once('exit', resolve)));
    for (const child of survivors) child.kill('SIGTERM');
    expect(await Promise.all(exits)).toEqual([0, 0]);
    expect(await db.prisma.jobLease.findMany({ where: { holder: { not: victim } } })).toEqual([]);
    for (const [holder, text] of output) {
      if (holder !== victim) expect(text).not.toMatch(/"level":50/);
    }
  }, 60_000);
});
