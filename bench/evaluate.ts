// npm run bench:evaluate — evaluates 100,000 tickets of which 20,000 are open, on a fresh SQLite file
// (or PostgreSQL with HEED_BENCH_PG_URL=postgres://…/db, a database it may fill and whose user may create
// databases), and prints figures — wall time, this process's CPU time (user + system, which a busy machine
// inflates far less than wall time), peak RSS and the longest the event loop was blocked:
//   1. the first evaluation (every clock and flag row written: every clock already late is backlog),
//   2. steady full evaluations a minute apart (read everything, write only what changed), several of them,
//      with the median and the spread,
//   3. an evaluation after 100 tickets changed, with the rows it touched (incremental),
//   4. the naive baseline (bench/naive-evaluate.ts: Prisma findMany and an upsert per changed row, the same
//      judgement) on a copy of the database taken after step 1, at the same instants as the first steady
//      runs, side by side with Heed's and the ratio.
// Targets: a steady full evaluation ≤ 500 ms CPU; peak RSS < 300 MB.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parsePolicy } from '../src/config.ts';
import { type Db, openDatabase, sqlitePath } from '../src/db/client.ts';
import { sqliteDate } from '../src/db/sqlite-date.ts';
import { silentLogger } from '../src/logger.ts';
import { type EvaluationResult, evaluate } from '../src/services/evaluate.ts';
import { createSlaEngine } from '../src/services/evaluate-engine.ts';
import { naiveEvaluate } from './naive-evaluate.ts';

const TOTAL = Number(process.env.HEED_BENCH_TICKETS ?? 100_000);
const OPEN = Number(process.env.HEED_BENCH_OPEN ?? 20_000);
const CHANGED = 100;
/** Steady full evaluations measured (a minute apart), and how many of them the naive baseline repeats. */
const STEADY = Number(process.env.HEED_BENCH_STEADY ?? 5);
const NAIVE = Math.min(STEADY, Number(process.env.HEED_BENCH_NAIVE ?? 3));
const CPU_TARGET_MS = 500;
const RSS_TARGET_MB = 300;
const MINUTE = 60_000;
const NOW = new Date('2026-11-25T14:00:00Z'); // a Wednesday afternoon

// A small deterministic generator, so every run measures the same data.
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const nineToSix = [['09:00', '18:00']] as [string, string][];
const policy = parsePolicy(
  {
    calendars: {
      default: {
        timezone: 'Europe/Berlin',
        hours: { mon: nineToSix, tue: nineToSix, wed: nineToSix, thu: nineToSix, fri: nineToSix },
        holidays: ['2026-12-24', '2026-12-25'],
      },
      us: {
        timezone: 'America/New_York',
        hours: { mon: nineToSix, tue: nineToSix, wed: nineToSix, thu: nineToSix, fri: nineToSix },
      },
    },
    teams: [
      { name: 'support', channel: 'C0SUPPORT', pipelines: ['0'] },
      { name: 'billing', channel: 'C0BILLING', hubspotTeamIds: ['4711'], calendar: 'us' },
    ],
    sla: [
      {
        name: 'urgent',
        when: { priority: ['URGENT', 'HIGH'] },
        firstResponse: '1h',
        nextResponse: '2h',
        resolution: '8h',
      },
      { name: 'standard', firstResponse: '4h', nextResponse: '8h', resolution: '3d' },
    ],
    waitingOnCustomerStages: ['3'],
  },
  'bench policy',
);

async function seedDatabase(db: Db): Promise<void> {
  const rows: unknown[][] = [];
  const periods: unknown[][] = [];
  const messages: unknown[][] = [];
  for (let i = 0; i < TOTAL; i++) {
    const open = i < OPEN;
    // Open tickets from the last week, closed ones from the last 90 days.
    const created = new Date(NOW.getTime() - Math.floor(random() * (open ? 7 : 90) * 1440) * MINUTE);
    const replied = random() < (open ? 0.6 : 1);
    // Everything has happened by NOW.
    const clamp = (ms: number) => new Date(Math.min(ms, NOW.getTime() - MINUTE));
    const firstReply = replied ? clamp(created.getTime() + Math.floor(random() * 600) * MINUTE) : null;
    const customerAgain = replied && random() < 0.4;
    const lastCustomer = customerAgain ? clamp(firstReply!.getTime() + 1 + Math.floor(random() * 300) * MINUTE) : null;
    const waiting = open && replied && !customerAgain && random() < 0.3;
    const stage = open ? (waiting ? '3' : '1') : '4';
    const stageEntered = waiting ? firstReply! : open ? created : clamp(created.getTime() + 2 * 1440 * MINUTE);
    const d = (date: Date | null) => (date && date.getTime() <= NOW.getTime() ? sqliteDate(date) : null);
    rows.push([
      `t${i}`,
      `Ticket ${i}`,
      random() < 0.3 ? '1' : '0',
      stage,
      pick(['LOW', 'MEDIUM', 'HIGH', 'URGENT', null]),
      `o${Math.floor(random() * 50)}`,
      random() < 0.3 ? '4711' : null,
      pick(['PRODUCT_ISSUE', 'BILLING_ISSUE', null]),
      pick(['EMAIL', 'CHAT', 'FORM']),
      d(created),
      d(created),
      open ? null : d(stageEntered),
      d(firstReply),
      d(lastCustomer ?? created),
      d(firstReply),
      d(stageEntered),
      open ? 0 : 1,
      `c${i % 40_000}`,
      // Synced an hour before the first evaluation.
      d(new Date(NOW.getTime() - 60 * MINUTE)),
    ]);
    if (waiting) periods.push([`t${i}`, d(stageEntered), '3', null]);
    if (customerAgain && i % 2 === 0) {
      messages.push([`m${i}a`, `t${i}`, 'OUTGOING', d(firstReply), 'Could you send us the logs?']);
      messages.push([
        `m${i}b`,
        `t${i}`,
        'INCOMING',
        d(lastCustomer),
        random() < 0.3 ? 'Thanks!' : 'Here are the logs, it still fails.',
      ]);
    }
  }
  if (db.provider === 'sqlite') {
    const { sqlite } = db;
    const insert = sqlite.prepare(
      `INSERT INTO "Ticket" ("id","subject","pipelineId","stageId","priority","ownerId","hubspotTeamId","category","source",
        "createdAt","modifiedAt","closedAt","firstAgentReplyAt","lastCustomerMessageAt","lastAgentMessageAt","stageEnteredAt",
        "isClosed","contactId","syncedAt") VALUES (${Array(19).fill('?').join(',')})`,
    );
    const period = sqlite.prepare(
      `INSERT INTO "TicketStagePeriod" ("ticketId","enteredAt","stageId","exitedAt") VALUES (?,?,?,?)`,
    );
    const message = sqlite.prepare(
      `INSERT INTO "TicketMessage" ("id","ticketId","direction","createdAt","text") VALUES (?,?,?,?,?)`,
    );
    sqlite.transaction(() => {
      for (const row of rows) insert.run(row);
      for (const row of periods) period.run(row);
      for (const row of messages) message.run(row);
      sqlite
        .prepare(
          `INSERT INTO "Stage" ("pipelineId","id","label","displayOrder","isClosed","updatedAt") VALUES
           ('0','1','New',0,0,?),('0','3','Waiting',1,0,?),('0','4','Closed',2,1,?)`,
        )
        .run(sqliteDate(NOW), sqliteDate(NOW), sqliteDate(NOW));
      const owner = sqlite.prepare(`INSERT INTO "Owner" ("id","email","type","updatedAt") VALUES (?,?,'PERSON',?)`);
      for (let o = 0; o < 50; o++) owner.run(`o${o}`, `agent${o}@example.com`, sqliteDate(NOW));
      const feedback = sqlite.prepare(
        `INSERT INTO "FeedbackSubmission" ("id","surveyType","value","content","submittedAt","contactId","ticketId","modifiedAt","syncedAt")
         VALUES (?,?,?,?,?,?,?,?,?)`,
      );
      for (let f = 0; f < 5000; f++) {
        const at = sqliteDate(new Date(NOW.getTime() - Math.floor(random() * 20 * 1440) * MINUTE));
        feedback.run(
          `f${f}`,
          'NPS',
          Math.floor(random() * 11),
          random() < 0.1 ? 'Slow answers' : null,
          at,
          `c${f}`,
          `t${f * 7}`,
          at,
          at,
        );
      }
    })();
    return;
  }
  const pool = db.pg;
  const columns = `"id","subject","pipelineId","stageId","priority","ownerId","hubspotTeamId","category","source",
    "createdAt","modifiedAt","closedAt","firstAgentReplyAt","lastCustomerMessageAt","lastAgentMessageAt","stageEnteredAt","isClosed","contactId","syncedAt"`;
  const types = [
    'text',
    'text',
    'text',
    'text',
    'text',
    'text',
    'text',
    'text',
    'text',
    'timestamp(3)',
    'timestamp(3)',
    'timestamp(3)',
    'timestamp(3)',
    'timestamp(3)',
    'timestamp(3)',
    'timestamp(3)',
    'boolean',
    'text',
    'timestamp(3)',
  ];
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    await pool.query(
      `INSERT INTO "Ticket" (${columns}) SELECT * FROM UNNEST(${types.map((t, n) => `$${n + 1}::${t}[]`).join(',')})`,
      types.map((_, c) => chunk.map((row) => (c === 16 ? row[c] === 1 : row[c]))),
    );
  }
  await pool.query(
    `INSERT INTO "TicketStagePeriod" ("ticketId","enteredAt","stageId","exitedAt") SELECT * FROM UNNEST($1::text[],$2::timestamp(3)[],$3::text[],$4::timestamp(3)[])`,
    [0, 1, 2, 3].map((c) => periods.map((row) => row[c])),
  );
  await pool.query(
    `INSERT INTO "TicketMessage" ("id","ticketId","direction","createdAt","text") SELECT * FROM UNNEST($1::text[],$2::text[],$3::text[],$4::timestamp(3)[],$5::text[])`,
    [0, 1, 2, 3, 4].map((c) => messages.map((row) => row[c])),
  );
  await pool.query(
    `INSERT INTO "Stage" ("pipelineId","id","label","displayOrder","isClosed","updatedAt") VALUES
     ('0','1','New',0,false,$1),('0','3','Waiting',1,false,$1),('0','4','Closed',2,true,$1)`,
    [NOW.toISOString()],
  );
  await pool.query(
    `INSERT INTO "Owner" ("id","email","type","updatedAt")
     SELECT 'o' || n, 'agent' || n || '@example.com', 'PERSON', $1::timestamp(3) FROM generate_series(0, 49) AS n`,
    [NOW.toISOString()],
  );
  const feedback = Array.from({ length: 5000 }, (_, f) => {
    const at = new Date(NOW.getTime() - Math.floor(random() * 20 * 1440) * MINUTE).toISOString();
    return [
      `f${f}`,
      'NPS',
      Math.floor(random() * 11),
      random() < 0.1 ? 'Slow answers' : null,
      at,
      `c${f}`,
      `t${f * 7}`,
    ];
  });
  await pool.query(
    `INSERT INTO "FeedbackSubmission" ("id","surveyType","value","content","submittedAt","contactId","ticketId","modifiedAt","syncedAt")
     SELECT i, s, v, c, a, k, t, a, a FROM UNNEST($1::text[], $2::text[], $3::float8[], $4::text[], $5::timestamp(3)[], $6::text[], $7::text[])
       AS u(i, s, v, c, a, k, t)`,
    [0, 1, 2, 3, 4, 5, 6].map((c) => feedback.map((row) => row[c])),
  );
}

function rss(): number {
  return Math.round(process.memoryUsage().rss / 1024 / 1024);
}

/**
 * The process's peak RSS since the last reset, in MB, as the kernel counts it (VmHWM), so a peak in the
 * middle of an evaluation counts, not just the RSS sampled between runs. Linux only; elsewhere the RSS now.
 */
function peakRss(): number {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : rss();
  } catch {
    return rss();
  }
}

/** Starts a new peak-RSS window (writing 5 to clear_refs resets VmHWM to the current RSS). */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux, or not allowed: the peak then covers the whole process, which only overstates it.
  }
}

interface Measured {
  readonly ms: number;
  readonly cpuMs: number;
  readonly peakMb: number;
  /** The longest the event loop waited while the run went on (Slack acks need < 3 s). */
  readonly blockedMs: number;
}

/** Runs `work`, measuring wall time, this process's CPU time, its peak RSS and the longest event-loop block. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T } & Measured> {
  resetPeakRss();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await work();
  const ms = Math.round(performance.now() - start);
  const used = process.cpuUsage(cpu);
  loop.disable();
  return {
    value,
    ms,
    cpuMs: Math.round((used.user + used.system) / 1000),
    peakMb: peakRss(),
    blockedMs: Math.round(loop.max / 1e6),
  };
}

function line(label: string, result: EvaluationResult, m: Measured): string {
  const s = result.stats;
  const changes = Object.entries(result.changes)
    .map(([k, v]) => `${k} ${v.length}`)
    .join(', ');
  const backlog = result.changes.flags.filter((c) => c.origin === 'backlog').length;
  return (
    `${label.padEnd(38)} ${String(m.ms).padStart(5)} ms wall, ${String(m.cpuMs).padStart(5)} ms CPU ` +
    `(read ${s.readMs}, compute ${s.computeMs}, write ${s.writeMs})  ` +
    `${s.mode}: tickets read ${s.tickets}, clocks ${s.clocks}, feedback ${s.feedback}  ` +
    `rows touched: ClockState ${s.clockRowsWritten + s.clockRowsDeleted}, Flag ${s.flagRowsWritten}  ` +
    `peak RSS ${m.peakMb} MB, event loop blocked ≤ ${m.blockedMs} ms\n${''.padEnd(39)}changes: ${changes}` +
    (backlog > 0 ? ` (${backlog} of them backlog)` : '')
  );
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
};
const spread = (values: readonly number[]) =>
  `median ${median(values)} (${Math.min(...values)}–${Math.max(...values)})`;
const minutes = (n: number) => new Date(NOW.getTime() + n * MINUTE);

/** Seeds a database, then measures in a fresh process, so the seeding's memory does not count as RSS. */
async function main(): Promise<void> {
  const pgUrl = process.env.HEED_BENCH_PG_URL;
  const dir = mkdtempSync(join(tmpdir(), 'heed-bench-'));
  const url = pgUrl ?? `file:${join(dir, 'bench.db')}`;
  try {
    const db = await openDatabase(url, { migrate: true });
    const seedStart = performance.now();
    await seedDatabase(db);
    await db.close();
    console.log(
      `heed bench:evaluate on ${db.provider}: ${TOTAL} tickets (${OPEN} open), seeded in ${Math.round(performance.now() - seedStart)} ms`,
    );
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--measure', url, dir], {
      stdio: 'inherit',
    });
  } finally {
    if (process.env.HEED_BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A copy of the database as it is now, for the naive baseline to start from the same state: the SQLite file
 * after a checkpoint (VACUUM INTO would grow this process's RSS by its page cache), or a PostgreSQL database
 * created from this one as a template (which needs it closed).
 */
async function snapshot(db: Db, url: string, dir: string): Promise<{ url: string; reopen: () => Promise<Db> }> {
  if (db.provider === 'sqlite') {
    const file = join(dir, 'naive.db');
    db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(sqlitePath(url), file);
    return { url: `file:${file}`, reopen: async () => db };
  }
  await db.close();
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const copy = `${name}_naive`;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${copy}"`);
    await client.query(`CREATE DATABASE "${copy}" TEMPLATE "${name}"`);
  } finally {
    await client.end();
  }
  target.pathname = `/${copy}`;
  return { url: target.toString(), reopen: () => openDatabase(url) };
}

async function dropSnapshot(url: string): Promise<void> {
  if (url.startsWith('file:')) return;
  const target = new URL(url);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${decodeURIComponent(target.pathname.slice(1))}"`);
  } finally {
    await client.end();
  }
}

async function measure(url: string, dir: string): Promise<void> {
  let db = await openDatabase(url);
  const engine = createSlaEngine(policy);
  const deps = () => ({ db, config: { policy }, logger: silentLogger(), engine });
  let peak = rss();
  let naiveUrl: string | undefined;
  try {
    console.log(`measuring in a fresh process: RSS ${rss()} MB after loading Heed and opening the database`);
    const timed = async (label: string, now: Date, mode: 'auto' | 'full' = 'auto') => {
      const m = await measured(() => evaluate(deps(), now, { mode }));
      peak = Math.max(peak, m.peakMb);
      console.log(line(label, m.value, m));
      // Keep the figures only: holding every result's change lists would count against RSS.
      return { stats: m.value.stats, ms: m.ms, cpuMs: m.cpuMs, blockedMs: m.blockedMs };
    };

    const first = await timed('1. first evaluation (writes all)', NOW);
    const copy = await snapshot(db, url, dir);
    naiveUrl = copy.url;
    db = await copy.reopen();
    const steady = [];
    for (let i = 1; i <= STEADY; i++) steady.push(await timed(`2. full evaluation, +${i} min`, minutes(i), 'full'));
    const same = await timed('   same instant again', minutes(STEADY));

    // 100 open tickets change: half get an agent reply, half a priority bump.
    const later = minutes(STEADY + 1);
    const ids = Array.from({ length: CHANGED }, (_, i) => `t${i * Math.floor(OPEN / CHANGED)}`);
    if (db.provider === 'sqlite') {
      const reply = db.sqlite.prepare(
        `UPDATE "Ticket" SET "firstAgentReplyAt" = COALESCE("firstAgentReplyAt", ?), "lastAgentMessageAt" = ?, "modifiedAt" = ?, "syncedAt" = ? WHERE "id" = ?`,
      );
      const bump = db.sqlite.prepare(
        `UPDATE "Ticket" SET "priority" = 'URGENT', "modifiedAt" = ?, "syncedAt" = ? WHERE "id" = ?`,
      );
      const at = sqliteDate(later);
      db.sqlite.transaction(() => {
        ids.forEach((id, i) => {
          if (i % 2 === 0) reply.run(at, at, at, at, id);
          else bump.run(at, at, id);
        });
      })();
    } else {
      const at = later.toISOString();
      const half = (r: number) => ids.filter((_, i) => i % 2 === r);
      await db.pg.query(
        `UPDATE "Ticket" SET "firstAgentReplyAt" = COALESCE("firstAgentReplyAt", $1::timestamp(3)), "lastAgentMessageAt" = $1::timestamp(3),
           "modifiedAt" = $1::timestamp(3), "syncedAt" = $1::timestamp(3) WHERE "id" = ANY($2::text[])`,
        [at, half(0)],
      );
      await db.pg.query(
        `UPDATE "Ticket" SET "priority" = 'URGENT', "modifiedAt" = $1::timestamp(3), "syncedAt" = $1::timestamp(3) WHERE "id" = ANY($2::text[])`,
        [at, half(1)],
      );
    }
    const changed = await timed(`3. after ${CHANGED} tickets changed, +1 min`, later);
    await db.close();

    // The naive baseline, in its own process on the copy, at the instants of the first steady runs.
    const naiveOut = execFileSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--naive', naiveUrl],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const naive = naiveOut
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Measured & { minute: number; clockRowsWritten: number; flagRowsWritten: number });
    for (const n of naive) {
      const heed = steady[n.minute - 1]!;
      console.log(
        `4. naive baseline, +${n.minute} min`.padEnd(39) +
          `${String(n.ms).padStart(5)} ms wall, ${String(n.cpuMs).padStart(5)} ms CPU, peak RSS ${n.peakMb} MB, ` +
          `event loop blocked ≤ ${n.blockedMs} ms; rows touched: ClockState ${n.clockRowsWritten}, Flag ${n.flagRowsWritten} ` +
          `(Heed: ${heed.stats.clockRowsWritten + heed.stats.clockRowsDeleted}, ${heed.stats.flagRowsWritten})`,
      );
    }

    const steadyCpu = steady.map((r) => r.cpuMs);
    const steadyMs = steady.map((r) => r.ms);
    const heedSame = steady.slice(0, naive.length);
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(1) : '—');
    console.log(
      `\nsteady full evaluation (${STEADY} runs): CPU ${spread(steadyCpu)} ms, wall ${spread(steadyMs)} ms; ` +
        `first evaluation ${first.ms} ms wall / ${first.cpuMs} ms CPU (writes every row); peak RSS ${peak} MB; ` +
        `event loop blocked ≤ ${Math.max(...steady.map((r) => r.blockedMs))} ms (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`,
    );
    if (naive.length > 0) {
      const naiveCpu = median(naive.map((n) => n.cpuMs));
      const naiveMs = median(naive.map((n) => n.ms));
      const heedCpu = median(heedSame.map((r) => r.cpuMs));
      const heedMs = median(heedSame.map((r) => r.ms));
      console.log(
        `naive baseline (Prisma findMany + an upsert per changed row, same instants): CPU ${naiveCpu} ms vs Heed ${heedCpu} ms ` +
          `(${ratio(naiveCpu, heedCpu)}×), wall ${naiveMs} ms vs ${heedMs} ms (${ratio(naiveMs, heedMs)}×), ` +
          `peak RSS ${Math.max(...naive.map((n) => n.peakMb))} MB vs ${peak} MB`,
      );
    }
    console.log(
      `targets: steady full evaluation ≤ ${CPU_TARGET_MS} ms CPU (median), peak RSS < ${RSS_TARGET_MB} MB: ` +
        `${median(steadyCpu) <= CPU_TARGET_MS && peak < RSS_TARGET_MB ? 'met' : 'NOT met'}`,
    );
    console.log(
      `incremental: ${changed.ms} ms wall / ${changed.cpuMs} ms CPU; read ${changed.stats.tickets} tickets (the ${CHANGED} changed and those ` +
        `whose clocks crossed a threshold since), touched ` +
        `${changed.stats.clockRowsWritten + changed.stats.clockRowsDeleted} ClockState and ` +
        `${changed.stats.flagRowsWritten} Flag rows; a repeat at the same instant ${same.ms} ms wall / ${same.cpuMs} ms CPU, touched ` +
        `${same.stats.clockRowsWritten + same.stats.flagRowsWritten} rows`,
    );
  } finally {
    if (naiveUrl) await dropSnapshot(naiveUrl).catch(() => undefined);
  }
}

/** The naive baseline's runs, one JSON line each (read by measure()). */
async function naive(url: string): Promise<void> {
  const db = await openDatabase(url);
  const engine = createSlaEngine(policy);
  try {
    for (let minute = 1; minute <= NAIVE; minute++) {
      const m = await measured(() => naiveEvaluate(db, engine, minutes(minute)));
      const { value, ...figures } = m;
      console.log(JSON.stringify({ minute, ...figures, ...value }));
    }
  } finally {
    await db.close();
  }
}

const measureAt = process.argv.indexOf('--measure');
const naiveAt = process.argv.indexOf('--naive');
if (measureAt >= 0) await measure(process.argv[measureAt + 1]!, process.argv[measureAt + 2]!);
else if (naiveAt >= 0) await naive(process.argv[naiveAt + 1]!);
else await main();
