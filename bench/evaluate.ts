// npm run bench:evaluate — evaluates 100,000 tickets of which 20,000 are open, on a fresh SQLite file
// (or PostgreSQL with HEED_BENCH_PG_URL=postgres://…/db, a database it may fill), and prints figures:
//   1. the first evaluation (every clock and flag row written),
//   2. a steady full evaluation one minute later (reads everything, writes only what changed),
//   3. an evaluation after 100 tickets changed, with the rows it touched.
// Targets: a full evaluation < 1 s and < 300 MB RSS.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePolicy } from '../src/config.ts';
import { openDatabase, sqliteDate } from '../src/db/client.ts';
import { silentLogger } from '../src/logger.ts';
import { type EvaluationResult, evaluate } from '../src/services/evaluate.ts';
import { createSlaEngine } from '../src/services/evaluate-engine.ts';

const TOTAL = Number(process.env.HEED_BENCH_TICKETS ?? 100_000);
const OPEN = Number(process.env.HEED_BENCH_OPEN ?? 20_000);
const CHANGED = 100;
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

type Db = Awaited<ReturnType<typeof openDatabase>>;

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
  const sqlite = db.sqlite;
  if (sqlite) {
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
  const pool = db.pg!;
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

function line(label: string, result: EvaluationResult, ms: number, cpuMs: number, peakMb: number): string {
  const s = result.stats;
  const changes = Object.entries(result.changes)
    .map(([k, v]) => `${k} ${v.length}`)
    .join(', ');
  return (
    `${label.padEnd(38)} ${String(ms).padStart(5)} ms wall, ${String(cpuMs).padStart(5)} ms CPU ` +
    `(read ${s.readMs}, compute ${s.computeMs}, write ${s.writeMs})  ` +
    `${s.mode}: tickets read ${s.tickets}, clocks ${s.clocks}, feedback ${s.feedback}  ` +
    `rows touched: ClockState ${s.clockRowsWritten + s.clockRowsDeleted}, Flag ${s.flagRowsWritten}  ` +
    `peak RSS ${peakMb} MB\n${''.padEnd(39)}changes: ${changes}`
  );
}

/** Seeds a database, then measures in a fresh process, so the seeding's memory does not count as RSS. */
async function main(): Promise<void> {
  const pgUrl = process.env.HEED_BENCH_PG_URL;
  const dir = pgUrl ? undefined : mkdtempSync(join(tmpdir(), 'heed-bench-'));
  const url = pgUrl ?? `file:${join(dir!, 'bench.db')}`;
  try {
    const db = await openDatabase(url, { migrate: true });
    const seedStart = performance.now();
    await seedDatabase(db);
    await db.close();
    console.log(
      `heed bench:evaluate on ${db.provider}: ${TOTAL} tickets (${OPEN} open), seeded in ${Math.round(performance.now() - seedStart)} ms`,
    );
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--measure', url], {
      stdio: 'inherit',
    });
  } finally {
    if (dir && process.env.HEED_BENCH_KEEP) console.log(`kept ${join(dir, 'bench.db')}`);
    else if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(url: string): Promise<void> {
  const db = await openDatabase(url);
  try {
    console.log(`measuring in a fresh process: RSS ${rss()} MB after loading Heed and opening the database`);
    const engine = createSlaEngine(policy);
    const deps = { db, config: { policy }, logger: silentLogger(), engine };
    let peak = rss();

    const timed = async (label: string, now: Date, mode: 'auto' | 'full' = 'auto') => {
      resetPeakRss();
      const start = performance.now();
      const cpu = process.cpuUsage();
      const result = await evaluate(deps, now, { mode });
      const ms = Math.round(performance.now() - start);
      const used = process.cpuUsage(cpu);
      // CPU time of this process too: on a busy machine wall time mostly measures waiting for a core.
      const cpuMs = Math.round((used.user + used.system) / 1000);
      const peakMb = peakRss();
      peak = Math.max(peak, peakMb);
      console.log(line(label, result, ms, cpuMs, peakMb));
      // Keep the figures only: holding every result's change lists would count against RSS.
      return { stats: result.stats, ms, cpuMs };
    };

    const first = await timed('1. first evaluation (writes all)', NOW);
    const steady = await timed('2. full evaluation, +1 min', new Date(NOW.getTime() + MINUTE), 'full');
    const same = await timed('   same instant again', new Date(NOW.getTime() + MINUTE));

    // 100 open tickets change: half get an agent reply, half a priority bump.
    const later = new Date(NOW.getTime() + 2 * MINUTE);
    const ids = Array.from({ length: CHANGED }, (_, i) => `t${i * Math.floor(OPEN / CHANGED)}`);
    if (db.sqlite) {
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
      await db.pg!.query(
        `UPDATE "Ticket" SET "firstAgentReplyAt" = COALESCE("firstAgentReplyAt", $1::timestamp(3)), "lastAgentMessageAt" = $1::timestamp(3),
           "modifiedAt" = $1::timestamp(3), "syncedAt" = $1::timestamp(3) WHERE "id" = ANY($2::text[])`,
        [at, half(0)],
      );
      await db.pg!.query(
        `UPDATE "Ticket" SET "priority" = 'URGENT', "modifiedAt" = $1::timestamp(3), "syncedAt" = $1::timestamp(3) WHERE "id" = ANY($2::text[])`,
        [at, half(1)],
      );
    }
    const changed = await timed(`3. after ${CHANGED} tickets changed, +1 min`, later);

    console.log(
      `\nfull evaluation: ${steady.ms} ms wall / ${steady.cpuMs} ms CPU steady (${first.ms} ms / ${first.cpuMs} ms CPU for ` +
        `the first, which writes every row); peak RSS ${peak} MB (load average ${loadavg()[0]!.toFixed(1)} on ` +
        `${cpus().length} CPUs); targets < 1000 ms and < 300 MB: ${steady.ms < 1000 && peak < 300 ? 'met' : 'NOT met'}`,
    );
    console.log(
      `incremental: ${changed.ms} ms wall / ${changed.cpuMs} ms CPU; read ${changed.stats.tickets} tickets (the ${CHANGED} changed and those ` +
        `whose clocks crossed a threshold since), touched ` +
        `${changed.stats.clockRowsWritten + changed.stats.clockRowsDeleted} ClockState and ` +
        `${changed.stats.flagRowsWritten} Flag rows; a repeat at the same instant touched ` +
        `${same.stats.clockRowsWritten + same.stats.flagRowsWritten} rows`,
    );
  } finally {
    await db.close();
  }
}

const measureAt = process.argv.indexOf('--measure');
if (measureAt >= 0) await measure(process.argv[measureAt + 1]!);
else await main();
