// `/heed stats`' read over a portal's worth of clocks: the window's rows by index (ClockState.completedAt, the late
// ones by (state, clock, dueAt), Flag.handledAt) against the same read with those indexes dropped (a full scan),
// on SQLite and, with HEED_BENCH_PG_URL, PostgreSQL. Prints wall and CPU time per read, and the ratio.
// Usage: node bench/agent-stats.ts [tickets=100000]   (HEED_BENCH_PG_URL: an empty database it may fill)
import { rmSync } from 'node:fs';
import { cpuUsage } from 'node:process';
import { AgentStatsRepo } from '../src/db/agent-stats-repo.ts';
import { type Db, openDatabase } from '../src/db/client.ts';

const TICKETS = Number(process.argv[2] ?? 100_000);
const DAY = 86_400_000;
const NOW = new Date('2026-03-02T12:00:00Z');
const CLOCKS = ['firstResponse', 'nextResponse', 'resolution'] as const;

async function seed(db: Db): Promise<void> {
  const p = db.prisma;
  // A year of tickets, one created every few minutes: a 7-day window holds ~2 % of them.
  const span = 365 * DAY;
  for (let from = 0; from < TICKETS; from += 5000) {
    const ids = Array.from({ length: Math.min(5000, TICKETS - from) }, (_, i) => from + i);
    const created = (i: number) => new Date(NOW.getTime() - span + (i / TICKETS) * span);
    await p.ticket.createMany({
      data: ids.map((i) => ({
        id: String(i),
        ownerId: `o${i % 40}`,
        createdAt: created(i),
        modifiedAt: created(i),
        syncedAt: NOW,
        isClosed: i % 3 !== 0,
      })),
    });
    await p.clockState.createMany({
      data: ids.flatMap((i) =>
        CLOCKS.map((clock, k) => {
          const start = created(i);
          const due = new Date(start.getTime() + (k + 1) * 4 * 3_600_000);
          const late = i % 5 === 0;
          const done = i % 7 === 0 ? null : new Date(start.getTime() + (late ? 5 : 1) * (k + 1) * 3_600_000);
          return {
            ticketId: String(i),
            clock,
            cycle: 0,
            policy: 'standard',
            team: i % 2 === 0 ? 'support' : 'billing',
            state: done === null ? 'breached' : late ? 'missed' : 'met',
            startedAt: start,
            dueAt: due,
            completedAt: done,
            targetMinutes: (k + 1) * 240,
            usedMinutes: 60,
            overdueMinutes: 0,
            evaluatedAt: NOW,
          };
        }),
      ),
    });
  }
}

async function measure(label: string, read: () => Promise<unknown[]>): Promise<{ wall: number; cpu: number }> {
  await read(); // warm the statement cache and the pages
  const runs = 5;
  const cpu0 = cpuUsage();
  const t0 = performance.now();
  let rows = 0;
  for (let i = 0; i < runs; i++) rows = (await read()).length;
  const wall = (performance.now() - t0) / runs;
  const used = cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1000 / runs;
  console.log(
    `  ${label.padEnd(34)} ${wall.toFixed(1).padStart(8)} ms wall  ${cpu.toFixed(1).padStart(8)} ms CPU (Node)  ${rows} clocks`,
  );
  return { wall, cpu };
}

async function run(url: string, name: string): Promise<void> {
  const db = await openDatabase(url, { migrate: true });
  try {
    await seed(db);
    const repo = new AgentStatsRepo(db);
    const window = { start: new Date(NOW.getTime() - 7 * DAY), end: NOW };
    const read = () => repo.clocks(window, ['support']);
    console.log(`${name}: ${TICKETS} tickets, ${TICKETS * 3} clocks; a 7-day window of one team`);
    const indexed = await measure('with the indexes', read);
    await db.prisma.$executeRawUnsafe('DROP INDEX "ClockState_completedAt_idx"');
    await db.prisma.$executeRawUnsafe('DROP INDEX "ClockState_state_clock_dueAt_idx"');
    const scan = await measure('baseline: indexes dropped (scan)', read);
    console.log(
      `  ratio baseline/indexed: ${(scan.wall / indexed.wall).toFixed(1)}× wall, ${(scan.cpu / indexed.cpu).toFixed(1)}× CPU`,
    );
  } finally {
    await db.close();
  }
}

const file = `/tmp/heed-bench-agent-stats-${process.pid}.db`;
try {
  await run(`file:${file}`, 'SQLite');
} finally {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}
if (process.env['HEED_BENCH_PG_URL']) await run(process.env['HEED_BENCH_PG_URL'], 'PostgreSQL');
