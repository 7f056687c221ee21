// `npm run bench:sync` (node bench/sync.ts): the HubSpot sync's figures against the simulator.
//
//  1. Backfill of BENCH_TICKETS (default 100,000) tickets through a simulator enforcing 190 requests / 10 s
//     (and search 5/s), in real time — no accelerated clock. The simulator runs in a child process so the peak
//     RSS printed is the sync's own. Bound: 190 × 100 / 10 s = 1,900 tickets/s.
//  2. Incremental sync after 1,000 changes: calls by endpoint against the minimum ⌈1000/200⌉ search pages.
//  3. Ingest into SQLite alone (validation + mapping + bulk upsert, no network), all tickets.
//  4. Naive baseline, side by side on a smaller portal (BENCH_BASELINE_TICKETS, default 5,000): every list page
//     fetched in turn (waiting 10 s on a 429, as @hubspot/api-client's retry did), then one Prisma upsert per row,
//     against Heed's sync of the same portal.
//  5. Freshness: from a change in HubSpot to the stored ticket, p50/p99, for push webhooks, the webhooks journal
//     and the search poll, side by side, over one stream of changes (three Heeds, each with its own database).
//  6. What conversations (threads and messages) add: a backfill of BENCH_MESSAGES_TICKETS (default 5,000) and an
//     incremental pass after 1,000 changed tickets, without messages (the baseline) and with them, side by side —
//     calls, wall and CPU time, and the backfill's share of the rate-limit bound.
// BENCH_SECTIONS=1,6 runs only those sections (default: all). Sections 1 and 2 sync conversations too (the
// default): their calls by endpoint show them.
// Every call goes to HubSpot's date-versioned paths (api-version.ts).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { systemClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { hubspotRepos } from '../src/db/hubspot-repos.ts';
import { paths } from '../src/hubspot/api-version.ts';
import { createHubspotClient, HubspotApi } from '../src/hubspot/client.ts';
import { mapRecords, TICKET_PROPERTIES, ticketRow, ZTicketObject } from '../src/hubspot/map.ts';
import { SimPortal } from '../src/hubspot/simulator/portal.ts';
import { startSimulator } from '../src/hubspot/simulator/server.ts';
import { silentLogger } from '../src/logger.ts';
import { SyncService, type SyncStats } from '../src/services/sync.ts';
import { createHubspotSync } from '../src/services/sync-setup.ts';

const TICKETS = Number(process.env['BENCH_TICKETS'] ?? 100_000);
const BASELINE_TICKETS = Number(process.env['BENCH_BASELINE_TICKETS'] ?? 5_000);
const CHANGES = 1_000;
const MESSAGES_TICKETS = Number(process.env['BENCH_MESSAGES_TICKETS'] ?? 5_000);
const SECTIONS = new Set((process.env['BENCH_SECTIONS'] ?? '1,2,3,4,5,6').split(',').map((x) => Number(x.trim())));
const LIMIT = 190;
const TOKEN = 'pat-na1-bench-token-0000';
const SEED = 2026;
/** The bench's search-lag margin (production default: 30 s); the simulator's search has no lag. */
const SEARCH_LAG_MS = 3_000;

type ChildCommand =
  | { cmd: 'touch'; count: number; at: number }
  | { cmd: 'stats' }
  | { cmd: 'touchMessages'; count: number; at: number }
  | { cmd: 'messagesPortal' };
type ChildRequest = ChildCommand & { id: number };
type ChildReply = { id: number; result: unknown };

// ------------------------------------------------------------------ the simulator process

async function simulatorChild(): Promise<void> {
  const now = Number(process.argv[3]);
  const started = Date.now();
  const portal = new SimPortal({ now, tickets: TICKETS, seed: SEED });
  const sim = await startSimulator({
    portal,
    accessToken: TOKEN,
    rateLimit: { perTenSeconds: LIMIT, searchPerSecond: 5 },
  });
  const baseline = await startSimulator({
    portal: new SimPortal({ now, tickets: BASELINE_TICKETS, seed: SEED + 1, feedbackPerTicket: 0 }),
    accessToken: TOKEN,
    rateLimit: { perTenSeconds: LIMIT, searchPerSecond: 5 },
  });
  const messagesPortal = new SimPortal({ now, tickets: MESSAGES_TICKETS, seed: SEED + 2 });
  const messages = await startSimulator({
    portal: messagesPortal,
    accessToken: TOKEN,
    rateLimit: { perTenSeconds: LIMIT, searchPerSecond: 5 },
  });
  process.on('message', (message: ChildRequest) => {
    let result: unknown;
    if (message.cmd === 'touchMessages') {
      // Changed tickets as they change in HubSpot: an agent or the customer writes (in the thread, when it has one).
      result = messagesPortal.touchTickets(message.count, message.at, { seed: 19 }).length;
    } else if (message.cmd === 'messagesPortal') {
      const c = messagesPortal.conversations;
      result = { threads: c.threadCount, entries: c.entryCount };
    } else if (message.cmd === 'touch') {
      result = portal.touchTickets(message.count, message.at, { seed: 17 }).length;
    } else {
      result = {
        counts: Object.fromEntries(sim.counts),
        statuses: Object.fromEntries(sim.statuses),
        baselineCounts: Object.fromEntries(baseline.counts),
      };
      sim.resetCounts();
    }
    process.send!({ id: message.id, result } satisfies ChildReply);
  });
  process.send!({
    ready: true,
    url: sim.url,
    baselineUrl: baseline.url,
    messagesUrl: messages.url,
    startMs: Date.now() - started,
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
  });
}

// ------------------------------------------------------------------ the benchmark

const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const n = (value: number) => Math.round(value).toLocaleString('en-US');

async function main(): Promise<void> {
  const now = Date.now();
  console.log(`HubSpot sync benchmark — ${n(TICKETS)} tickets, limit ${LIMIT} requests / 10 s, real time\n`);
  const child = fork(new URL(import.meta.url).pathname, ['--simulator-child', String(now)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{
    url: string;
    baselineUrl: string;
    messagesUrl: string;
    startMs: number;
    rssMb: number;
  }>((resolve) => child.once('message', (m) => resolve(m as never)));
  console.log(
    `simulator: ${n(TICKETS)} tickets generated and serving in ${ready.startMs} ms (${ready.rssMb} MB RSS, separate process)`,
  );
  let nextId = 1;
  const ask = (request: ChildCommand) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      const onMessage = (m: ChildReply) => {
        if (m.id === id) {
          child.off('message', onMessage);
          resolve(m.result);
        }
      };
      child.on('message', onMessage);
      child.send({ ...request, id });
    });

  const dir = mkdtempSync(join(tmpdir(), 'heed-bench-'));
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 50);
  try {
    if (SECTIONS.has(1) || SECTIONS.has(2))
      await ticketSections(ready.url, ask, dir, {
        peak: () => ({ rss: peakRss, heap: peakHeap }),
      });
    if (SECTIONS.has(3) || SECTIONS.has(4)) await ingestSections(ready.baselineUrl, dir, now);
    if (SECTIONS.has(5)) await freshness(dir);
    if (SECTIONS.has(6)) await conversationSection(ready.messagesUrl, ask, dir);
  } finally {
    clearInterval(sampler);
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Ask = (request: ChildCommand) => Promise<unknown>;

async function ticketSections(
  url: string,
  ask: Ask,
  dir: string,
  memory: { peak: () => { rss: number; heap: number } },
): Promise<void> {
  {
    // -------------------------------------------------------------- 1. backfill
    const db = await openDatabase(`file:${join(dir, 'bench.db')}`, { migrate: true });
    const api = new HubspotApi({
      client: createHubspotClient({ accessToken: TOKEN, baseUrl: url }),
      requestsPer10s: LIMIT,
      searchPerSecond: 4,
      clock: systemClock,
    });
    let ticketPhaseEnd = 0;
    const phaseRss = new Map<string, number>();
    let ticketsSeen = 0;
    const service = new SyncService({
      api,
      repos: hubspotRepos(db),
      clock: systemClock,
      logger: silentLogger(),
      options: { searchLagMs: SEARCH_LAG_MS },
      onProgress: (event) => {
        phaseRss.set(event.stream, Math.max(phaseRss.get(event.stream) ?? 0, process.memoryUsage().rss));
        if (event.stream === 'tickets' && event.done > ticketsSeen) {
          ticketsSeen = event.done;
          ticketPhaseEnd = Date.now();
        }
      },
    });
    const startRss = process.memoryUsage().rss;
    const started = Date.now();
    const backfill = await service.run();
    const passMs = Date.now() - started;
    const ticketMs = ticketPhaseEnd - started;
    const simStats = (await ask({ cmd: 'stats' })) as {
      counts: Record<string, number>;
      statuses: Record<string, number>;
    };
    const listPages = backfill.apiCallsByEndpoint[`GET ${paths.objects('tickets')}`] ?? 0;
    const ticketRate = (backfill.records.tickets * 1000) / ticketMs;
    const bound = (LIMIT * 100) / 10;
    const backfillPeak = Math.max(memory.peak().rss, process.resourceUsage().maxRSS * 1024);
    console.log('\n1. Backfill (list endpoint, 100 per page, page and cursor committed together)');
    console.log(
      `   tickets stored          ${n(backfill.records.tickets)} in ${(ticketMs / 1000).toFixed(1)} s (${n(listPages)} list pages)`,
    );
    console.log(
      `   ticket throughput       ${n(ticketRate)} tickets/s = ${((ticketRate / bound) * 100).toFixed(0)}% of the rate-limit bound (${n(bound)}/s)`,
    );
    // The first 10 s window allows a burst of 190 calls; the steady state is 19 calls/s. Report it apart.
    const burstPages = LIMIT;
    const steadyPages = Math.max(0, listPages - burstPages);
    const steadyBoundSeconds = steadyPages / (LIMIT / 10);
    console.log(
      `   of which                the first ${burstPages} pages ride HubSpot's 10-second burst allowance; the other ${n(steadyPages)} ` +
        `need ≥ ${steadyBoundSeconds.toFixed(1)} s at 19 calls/s`,
    );
    console.log(
      `   whole pass              ${(passMs / 1000).toFixed(1)} s, ${n(backfill.apiCalls)} calls (${(backfill.apiCalls / (passMs / 1000)).toFixed(1)}/s): ` +
        `+ names for ${n(backfill.records.names)} tickets, ${n(Number(backfill.records.feedback))} feedback answers`,
    );
    console.log(`   429 answers             ${n(simStats.statuses['429'] ?? 0)}`);
    console.log(
      `   peak RSS (sync process) ${mb(backfillPeak)} (at start ${mb(startRss)}; tickets phase ${mb(phaseRss.get('tickets') ?? 0)}, ` +
        `feedback phase ${mb(phaseRss.get('feedback_submissions') ?? 0)}; JS heap peak ${mb(memory.peak().heap)}; ` +
        `sampled every 50 ms and by the kernel's maxRSS)`,
    );
    for (const [endpoint, count] of Object.entries(backfill.apiCallsByEndpoint).sort(([, a], [, b]) => b - a)) {
      console.log(`     ${String(count).padStart(6)}  ${endpoint}`);
    }

    // -------------------------------------------------------------- 2. incremental after 1,000 changes
    // Changes land now; the incremental window ends SEARCH_LAG_MS before "now" (search lags writes), so wait that out.
    await ask({ cmd: 'touch', count: CHANGES, at: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, SEARCH_LAG_MS + 500));
    const incremental = await service.run();
    const searchPages = incremental.apiCallsByEndpoint[`POST ${paths.search('tickets')}`] ?? 0;
    const minimal = Math.ceil(CHANGES / 200);
    console.log(`\n2. Incremental after ${n(CHANGES)} changes`);
    console.log(
      `   tickets updated         ${n(incremental.records.tickets)} in ${(incremental.durationMs / 1000).toFixed(1)} s`,
    );
    console.log(`   ticket search pages     ${searchPages} (minimum ⌈${CHANGES}/200⌉ = ${minimal})`);
    console.log(`   all calls               ${incremental.apiCalls}:`);
    for (const [endpoint, count] of Object.entries(incremental.apiCallsByEndpoint).sort(([, a], [, b]) => b - a)) {
      console.log(`     ${String(count).padStart(6)}  ${endpoint}`);
    }
    console.log(`   (names looked up: ${incremental.records.names}; every ticket was named during the backfill)`);
    await db.close();
  }
}

async function ingestSections(baselineUrl: string, dir: string, now: number): Promise<void> {
  {
    // -------------------------------------------------------------- 3. ingest alone (SQLite; PostgreSQL if given)
    const portal = new SimPortal({ now, tickets: TICKETS, seed: SEED });
    const sqliteIngest = await ingest(await openDatabase(`file:${join(dir, 'ingest.db')}`, { migrate: true }), portal);
    console.log('\n3. Ingest into SQLite alone (no network; 1,000 rows per transaction, stage periods included)');
    console.log(
      `   zod validation + mapping + upsert   ${n(sqliteIngest.ingested / sqliteIngest.totalSeconds)} tickets/s ` +
        `(${sqliteIngest.totalSeconds.toFixed(2)} s for ${n(sqliteIngest.ingested)})`,
    );
    console.log(
      `   upsert only                         ${n(sqliteIngest.ingested / sqliteIngest.dbSeconds)} tickets/s`,
    );
    const pgUrl = process.env['HEED_BENCH_PG_URL'];
    if (pgUrl) {
      const pgIngest = await withFreshPostgres(pgUrl, (url) =>
        openDatabase(url, { migrate: true }).then((d) => ingest(d, portal)),
      );
      console.log(`   PostgreSQL (UNNEST), upsert only    ${n(pgIngest.ingested / pgIngest.dbSeconds)} tickets/s`);
    } else {
      console.log('   (set HEED_BENCH_PG_URL=postgres://… to measure PostgreSQL too)');
    }
    const ingested = sqliteIngest.ingested;
    const dbNs = BigInt(Math.round(sqliteIngest.dbSeconds * 1e9));

    // -------------------------------------------------------------- 4. naive baseline vs Heed, same portal
    const naiveDb = await openDatabase(`file:${join(dir, 'naive.db')}`, { migrate: true });
    // The naive way: each list page in turn, 10 s of sleep on a 429 (what @hubspot/api-client's retry did), all
    // tickets in memory, then one upsert per row.
    const naiveStart = Date.now();
    const all = await naiveGetAll(baselineUrl);
    const naiveFetchMs = Date.now() - naiveStart;
    const iso = (v: string | null | undefined) => (v ? new Date(/^\d+$/.test(v) ? Number(v) : v) : null);
    for (const t of all) {
      const p = t.properties;
      const data = {
        subject: p['subject'] ?? null,
        pipelineId: p['hs_pipeline'] ?? null,
        stageId: p['hs_pipeline_stage'] ?? null,
        priority: p['hs_ticket_priority'] ?? null,
        ownerId: p['hubspot_owner_id'] ?? null,
        createdAt: iso(p['createdate'])!,
        modifiedAt: iso(p['hs_lastmodifieddate'])!,
        closedAt: iso(p['closed_date']),
        firstAgentReplyAt: iso(p['hs_first_agent_message_sent_at'] ?? p['first_agent_reply_date']),
        lastCustomerMessageAt: iso(p['hs_last_message_received_at'] ?? p['last_reply_date']),
        lastAgentMessageAt: iso(p['hs_last_message_sent_at']),
        syncedAt: new Date(),
      };
      await naiveDb.prisma.ticket.upsert({ where: { id: t.id }, create: { id: t.id, ...data }, update: data });
    }
    const naiveMs = Date.now() - naiveStart;
    const naiveStoreMs = naiveMs - naiveFetchMs;
    await naiveDb.close();

    const oursDb = await openDatabase(`file:${join(dir, 'ours.db')}`, { migrate: true });
    const oursApi = new HubspotApi({
      client: createHubspotClient({ accessToken: TOKEN, baseUrl: baselineUrl }),
      requestsPer10s: LIMIT,
      searchPerSecond: 4,
      clock: systemClock,
    });
    const ours = new SyncService({
      api: oursApi,
      repos: hubspotRepos(oursDb),
      clock: systemClock,
      logger: silentLogger(),
    });
    const oursStats = await ours.run();
    await oursDb.close();
    const naiveRate = (all.length * 1000) / naiveMs;
    const oursRate = (oursStats.records.tickets * 1000) / oursStats.durationMs;
    const naiveStoreRate = (all.length * 1000) / Math.max(1, naiveStoreMs);
    console.log(
      `\n4. Naive baseline vs Heed on ${n(BASELINE_TICKETS)} tickets (same simulator limits; both within one burst window)`,
    );
    console.log(
      `   naive: page loop + Prisma upsert per row  ${n(naiveRate)} tickets/s end to end (${(naiveMs / 1000).toFixed(2)} s; storing alone ${n(naiveStoreRate)}/s)`,
    );
    console.log(
      `   Heed:  list pages + bulk upsert           ${n(oursRate)} tickets/s end to end (${(oursStats.durationMs / 1000).toFixed(2)} s, ` +
        `incl. owners, pipelines, names for ${n(oursStats.records.names)} tickets)`,
    );
    console.log(
      `   ratio Heed / naive                        ${(oursRate / naiveRate).toFixed(1)}× end to end; ` +
        `${(ingested / (Number(dbNs) / 1e9) / naiveStoreRate).toFixed(0)}× on storing (3. vs naive storing)`,
    );
    console.log(`   naive holds every ticket in memory before storing; Heed stores page by page, resumably.`);
  }
}

const WINDOW_MS = 10_500;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type PassFigures = {
  passes: number;
  tickets: number;
  calls: number;
  byEndpoint: Record<string, number>;
  wallMs: number;
  cpuMs: number;
  conversations?: SyncStats['conversations'];
};

/** Sync passes until the conversations have caught up (one pass without them), with calls, wall and CPU time. */
async function passes(service: SyncService): Promise<PassFigures> {
  const figures: PassFigures = { passes: 0, tickets: 0, calls: 0, byEndpoint: {}, wallMs: 0, cpuMs: 0 };
  for (;;) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const stats = await service.run();
    figures.wallMs += performance.now() - started;
    const used = process.cpuUsage(cpu);
    figures.cpuMs += (used.user + used.system) / 1000;
    figures.passes++;
    figures.tickets += stats.records.tickets;
    figures.calls += stats.apiCalls;
    for (const [endpoint, count] of Object.entries(stats.apiCallsByEndpoint)) {
      figures.byEndpoint[endpoint] = (figures.byEndpoint[endpoint] ?? 0) + count;
    }
    if (stats.conversations) {
      const c = stats.conversations;
      const sum = figures.conversations;
      figures.conversations = sum
        ? {
            ...c,
            listed: sum.listed + c.listed,
            read: sum.read + c.read,
            messages: sum.messages + c.messages,
            deferred: sum.deferred + c.deferred,
            skipped: sum.skipped + c.skipped,
            rejected: sum.rejected + c.rejected,
            calls: sum.calls + c.calls,
          }
        : c;
    }
    if (!stats.conversations || stats.conversations.caughtUp) return figures;
  }
}

/** Calls to the conversations endpoints among `byEndpoint`. */
const conversationCalls = (byEndpoint: Record<string, number>) =>
  Object.entries(byEndpoint)
    .filter(([endpoint]) => endpoint.includes('/conversations/'))
    .reduce((sum, [, count]) => sum + count, 0);

/**
 * 6. What reading tickets' conversations adds to the sync: the same portal synced by two Heeds, one with
 * conversations off (the baseline) and one with them on, each into its own database, one after the other (each
 * waits out the 10-second window the other used: they share the account's limit).
 */
async function conversationSection(url: string, ask: Ask, dir: string): Promise<void> {
  const inbox = (await ask({ cmd: 'messagesPortal' })) as { threads: number; entries: number };
  console.log(
    `\n6. Conversations: ${n(MESSAGES_TICKETS)} tickets, ${n(inbox.threads)} threads (${n(inbox.entries)} entries); ` +
      `baseline (conversations off) vs messages on, side by side`,
  );
  const heed = async (name: string, conversations: boolean) => {
    const db = await openDatabase(`file:${join(dir, `conversations-${name}.db`)}`, { migrate: true });
    const api = new HubspotApi({
      client: createHubspotClient({ accessToken: TOKEN, baseUrl: url }),
      requestsPer10s: LIMIT,
      searchPerSecond: 4,
      clock: systemClock,
    });
    const service = new SyncService({
      api,
      repos: hubspotRepos(db),
      clock: systemClock,
      logger: silentLogger(),
      options: { searchLagMs: SEARCH_LAG_MS, ...(conversations ? {} : { conversations: false as const }) },
    });
    return { db, service };
  };
  const baseline = await heed('off', false);
  const withMessages = await heed('on', true);

  const backfillOff = await passes(baseline.service);
  await pause(WINDOW_MS);
  const backfillOn = await passes(withMessages.service);
  const stored = await withMessages.db.prisma.ticketMessage.count();
  const threads = await withMessages.db.prisma.conversationThread.count();

  const steady = LIMIT / 10;
  const boundSeconds = (calls: number) => Math.max(0, calls - LIMIT) / steady;
  const row = (label: string, off: string, on: string, extra = '') =>
    console.log(`   ${label.padEnd(30)} ${off.padStart(16)}   ${on.padStart(16)}   ${extra}`);
  const s1 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log('   backfill                       conversations off   messages on        added / ratio');
  row('passes', n(backfillOff.passes), n(backfillOn.passes));
  row('tickets stored', n(backfillOff.tickets), n(backfillOn.tickets));
  row(
    'calls',
    n(backfillOff.calls),
    n(backfillOn.calls),
    `+${n(backfillOn.calls - backfillOff.calls)} (${(backfillOn.calls / backfillOff.calls).toFixed(1)}×)`,
  );
  row('  of which conversations', '0', n(conversationCalls(backfillOn.byEndpoint)));
  row(
    'wall time',
    s1(backfillOff.wallMs),
    s1(backfillOn.wallMs),
    `+${s1(backfillOn.wallMs - backfillOff.wallMs)} (${(backfillOn.wallMs / backfillOff.wallMs).toFixed(1)}×)`,
  );
  row(
    'CPU time (sync process)',
    s1(backfillOff.cpuMs),
    s1(backfillOn.cpuMs),
    `+${s1(backfillOn.cpuMs - backfillOff.cpuMs)} (${(backfillOn.cpuMs / backfillOff.cpuMs).toFixed(1)}×)`,
  );
  const share = (f: PassFigures) => {
    // The first LIMIT calls ride the 10-second burst allowance; after it the bound is 19 calls/s.
    const minimum = boundSeconds(f.calls);
    return minimum === 0
      ? 'within one burst'
      : `${((minimum / (f.wallMs / 1000)) * 100).toFixed(0)}% (≥ ${minimum.toFixed(1)} s)`;
  };
  row(
    'share of the rate-limit bound',
    share(backfillOff),
    share(backfillOn),
    '(time the calls need at 19/s after the burst ÷ wall time)',
  );
  row(
    'tickets/s',
    n((backfillOff.tickets * 1000) / backfillOff.wallMs),
    n((backfillOn.tickets * 1000) / backfillOn.wallMs),
    `bound ${n((LIMIT * 100) / 10)}/s with tickets alone`,
  );
  const c = backfillOn.conversations;
  if (c) {
    console.log(
      `   conversations read: ${n(c.listed)} threads listed, ${n(c.read)} read (${n(c.messages)} messages), ${n(c.deferred)} of ` +
        `closed tickets recorded without messages, ${n(c.skipped)} skipped; stored ${n(threads)} threads, ${n(stored)} messages`,
    );
  }

  // Incremental after 1,000 changed tickets: an agent or the customer writes on each (in its thread when it has one).
  await pause(WINDOW_MS);
  await ask({ cmd: 'touchMessages', count: CHANGES, at: Date.now() });
  await pause(SEARCH_LAG_MS + 500);
  const incOff = await passes(baseline.service);
  await pause(WINDOW_MS);
  const incOn = await passes(withMessages.service);
  console.log(`\n   incremental, per ${n(CHANGES)} changed tickets`);
  console.log('                                  conversations off   messages on        added / ratio');
  row('tickets updated', n(incOff.tickets), n(incOn.tickets));
  row(
    'calls',
    n(incOff.calls),
    n(incOn.calls),
    `+${n(incOn.calls - incOff.calls)} (${(incOn.calls / incOff.calls).toFixed(1)}×)`,
  );
  row('  of which conversations', '0', n(conversationCalls(incOn.byEndpoint)));
  row(
    'wall time',
    s1(incOff.wallMs),
    s1(incOn.wallMs),
    `+${s1(incOn.wallMs - incOff.wallMs)} (${(incOn.wallMs / incOff.wallMs).toFixed(1)}×)`,
  );
  row(
    'CPU time (sync process)',
    s1(incOff.cpuMs),
    s1(incOn.cpuMs),
    `+${s1(incOn.cpuMs - incOff.cpuMs)} (${(incOn.cpuMs / incOff.cpuMs).toFixed(1)}×)`,
  );
  row('share of the rate-limit bound', share(incOff), share(incOn));
  const ic = incOn.conversations;
  if (ic) {
    console.log(
      `   conversations: ${n(ic.listed)} threads listed, ${n(ic.read)} read (${n(ic.messages)} new messages), ${n(ic.deferred)} of closed tickets, ${n(ic.skipped)} skipped`,
    );
  }
  for (const [endpoint, count] of Object.entries(incOn.byEndpoint).sort(([, a], [, b]) => b - a)) {
    console.log(`     ${String(count).padStart(6)}  ${endpoint}`);
  }
  await baseline.db.close();
  await withMessages.db.close();
}

/** Every ticket through the list endpoint, one page after another, sleeping 10 s on a 429. */
async function naiveGetAll(baseUrl: string): Promise<{ id: string; properties: Record<string, string | null> }[]> {
  const all: { id: string; properties: Record<string, string | null> }[] = [];
  let after: string | undefined;
  do {
    const url = new URL(`${baseUrl}${paths.objects('tickets')}`);
    url.searchParams.set('limit', '100');
    url.searchParams.set('properties', TICKET_PROPERTIES.join(','));
    if (after) url.searchParams.set('after', after);
    const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (response.status === 429) {
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      continue;
    }
    const page = (await response.json()) as {
      results: { id: string; properties: Record<string, string | null> }[];
      paging?: { next?: { after: string } };
    };
    all.push(...page.results);
    after = page.paging?.next?.after;
  } while (after);
  return all;
}

const FRESH_TICKETS = 2_000;
const FRESH_CHANGES = Number(process.env['BENCH_FRESHNESS_CHANGES'] ?? 100);
const FRESH_SPREAD_MS = Number(process.env['BENCH_FRESHNESS_SECONDS'] ?? 100) * 1000;
const POLL_MINUTES = Number(process.env['BENCH_POLL_MINUTES'] ?? 1);
const PRODUCTION_LAG_MS = 30_000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
};

/**
 * One stream of ticket changes in one simulated portal, three Heeds watching it, each with its own database:
 * push webhooks (the simulator signs and POSTs them to Heed's real route; the drainer's 500 ms debounce), the
 * webhooks journal (its 2 s poll), and the search poll (every BENCH_POLL_MINUTES with production's 30 s search lag).
 * Freshness is from the change's hs_lastmodifieddate to the moment its row shows it, checked every 20 ms.
 * HubSpot's own delivery latency (webhooks, journal publishing, the search index) is not modelled: the simulator
 * delivers at once, so these are Heed's share of the delay.
 */
async function freshness(dir: string): Promise<void> {
  const secret = 'bench-client-secret-0000';
  const app = { clientId: 'bench-client-id-0000', clientSecret: secret, appId: 1 };
  const now = Date.now();
  const portal = new SimPortal({ now, tickets: FRESH_TICKETS, seed: SEED + 7, feedbackPerTicket: 0 });
  const receiver = createServer();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hubspot/webhooks`;
  const sim = await startSimulator({
    portal,
    accessToken: TOKEN,
    app,
    webhooks: { targetUrl: target, clientSecret: secret },
    rateLimit: { perTenSeconds: LIMIT, searchPerSecond: 5 },
  });
  const heed = async (name: string, journal: boolean) => {
    const db = await openDatabase(`file:${join(dir, `fresh-${name}.db`)}`, { migrate: true });
    const config = loadConfig({
      env: {
        HUBSPOT_API_URL: sim.url,
        HUBSPOT_ACCESS_TOKEN: TOKEN,
        HUBSPOT_CLIENT_SECRET: secret,
        ...(journal ? { HUBSPOT_CLIENT_ID: app.clientId } : {}),
        HEED_CONFIG: join(dir, 'none.json'),
      },
      fileExists: () => false,
    });
    const hubspot = createHubspotSync({
      config,
      accessToken: TOKEN,
      db,
      logger: silentLogger(),
      publicUrl: target.replace('/hubspot/webhooks', ''),
      options: { searchLagMs: PRODUCTION_LAG_MS },
    });
    await hubspot.service.run();
    return { name, db, hubspot };
  };
  const push = await heed('push', false);
  const journal = await heed('journal', true);
  const poll = await heed('poll', false);
  receiver.on('request', (req, res) => void push.hubspot.webhookHandler(req, res));
  const stop = new AbortController();
  await journal.hubspot.journal!.readOnce();
  const journalLoop = journal.hubspot.journal!.run(stop.signal);
  const pollLoop = (async () => {
    while (!stop.signal.aborted) {
      await poll.hubspot.service.run();
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, POLL_MINUTES * 60_000);
        stop.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
  })();
  const callsBefore = [push, journal, poll].map((h) => h.hubspot.api.totalCalls());
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  console.log(
    `\n5. Freshness: ${FRESH_CHANGES} ticket changes over ${FRESH_SPREAD_MS / 1000} s; three Heeds watching ` +
      `(push webhooks, journal polled every 2 s, search polled every ${POLL_MINUTES} min with a 30 s lag)`,
  );
  // The changes: one ticket each, at random moments over the spread (drawn up front).
  const moments = Array.from({ length: FRESH_CHANGES }, () => Math.random() * FRESH_SPREAD_MS).sort((a, b) => a - b);
  const pending = new Map<string, Map<string, number>>(['push', 'journal', 'poll'].map((k) => [k, new Map()]));
  const seen = new Map<string, number[]>(['push', 'journal', 'poll'].map((k) => [k, []]));
  const watcher = setInterval(() => {
    for (const consumer of [push, journal, poll]) {
      const waiting = pending.get(consumer.name)!;
      if (waiting.size === 0) continue;
      const ids = [...waiting.keys()];
      if (consumer.db.provider !== 'sqlite') continue;
      const { sqlite } = consumer.db;
      const rows = sqlite
        .prepare(`SELECT "id", "modifiedAt" FROM "Ticket" WHERE "id" IN (SELECT value FROM json_each(?))`)
        .all(JSON.stringify(ids)) as { id: string; modifiedAt: string }[];
      const at = Date.now();
      for (const row of rows) {
        const changedAt = waiting.get(row.id)!;
        if (Date.parse(row.modifiedAt) >= changedAt) {
          seen.get(consumer.name)!.push(at - changedAt);
          waiting.delete(row.id);
        }
      }
    }
  }, 20);
  const used = new Set<number>();
  for (const moment of moments) {
    const wait = started + moment - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    let i = Math.floor(Math.random() * FRESH_TICKETS);
    while (used.has(i) || portal.t.archived[i]) i = (i + 1) % FRESH_TICKETS;
    used.add(i);
    const at = Date.now();
    portal.touchTicketIds([portal.ticketId(i)], at);
    for (const waiting of pending.values()) waiting.set(portal.ticketId(i), at);
  }
  // Wait for the slowest (the poll: up to an interval plus the lag after the last change).
  const deadline = Date.now() + POLL_MINUTES * 60_000 + PRODUCTION_LAG_MS + 60_000;
  while ([...pending.values()].some((p) => p.size > 0) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  clearInterval(watcher);
  const cpu = process.cpuUsage(cpuBefore);
  stop.abort();
  await Promise.all([journalLoop, pollLoop]);
  await push.hubspot.drainer.stop();
  const wall = (Date.now() - started) / 1000;
  const rows: [string, string, number[], number][] = [
    ['push webhooks', 'push', seen.get('push')!, push.hubspot.api.totalCalls() - callsBefore[0]!],
    ['webhooks journal', 'journal', seen.get('journal')!, journal.hubspot.api.totalCalls() - callsBefore[1]!],
    [`search poll (${POLL_MINUTES} min)`, 'poll', seen.get('poll')!, poll.hubspot.api.totalCalls() - callsBefore[2]!],
  ];
  const fmt = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(0)} s`);
  console.log('   path                    p50        p99        stored   HubSpot calls (account limit)');
  for (const [label, key, values, calls] of rows) {
    const missing = pending.get(key)!.size;
    console.log(
      `   ${label.padEnd(22)}  ${fmt(percentile(values, 50)).padStart(8)}   ${fmt(percentile(values, 99)).padStart(8)}   ` +
        `${String(values.length).padStart(4)}/${FRESH_CHANGES}${missing ? ` (${missing} missing)` : ''}   ${calls}`,
    );
  }
  const journalCalls = sim.journal
    ? [...sim.counts]
        .filter(([k]) => k.includes('webhooks-journal') || k.includes('journal-files'))
        .reduce((a, [, c]) => a + c, 0)
    : 0;
  const [pushP50, journalP50, pollP50] = rows.map(([, , v]) => percentile(v, 50));
  console.log(
    `   ratio poll / journal p50 ${(pollP50! / journalP50!).toFixed(0)}×, poll / push p50 ${(pollP50! / pushP50!).toFixed(0)}×; ` +
      `journal requests (its own limits, not the account's): ${journalCalls}; webhook batches pushed: ${sim.webhookStats.batches}`,
  );
  console.log(
    `   at the default 5-minute poll the search path waits on average 2.5 min more than at 1 min; ` +
      `the journal and webhooks do not depend on the interval`,
  );
  console.log(
    `   wall ${wall.toFixed(0)} s, process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s for all three Heeds and the simulator`,
  );
  for (const h of [push, journal, poll]) await h.db.close();
  await sim.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
}

/**
 * Validates, maps and upserts every ticket of `portal` in pages of 1,000 raw records shaped like the list
 * endpoint's. The pages are built outside the timed sections, as the network would hand them over.
 */
async function ingest(db: Awaited<ReturnType<typeof openDatabase>>, portal: SimPortal) {
  const repos = hubspotRepos(db);
  const states = await repos.pipelines.stageStates();
  const lookup = (p: string | null, s: string | null) => states.get(`${p}/${s}`);
  let mapNs = 0n;
  let dbNs = 0n;
  let ingested = 0;
  try {
    for (let start = 0; start < portal.ticketCount; start += 1000) {
      const page: unknown[] = [];
      for (let i = start; i < Math.min(start + 1000, portal.ticketCount); i++) {
        const properties = portal.ticketProperties(i);
        page.push({
          id: portal.ticketId(i),
          properties,
          createdAt: properties['createdate'],
          updatedAt: properties['hs_lastmodifieddate'],
          archived: false,
          associations: {
            contacts: { results: [{ id: portal.contactId(portal.t.contact[i]!), type: 'ticket_to_contact' }] },
          },
        });
      }
      const t0 = process.hrtime.bigint();
      const parsed = mapRecords(page, (o) => ticketRow(o, lookup), ZTicketObject);
      const t1 = process.hrtime.bigint();
      await repos.tickets.upsertPage(parsed.rows, Date.now());
      dbNs += process.hrtime.bigint() - t1;
      mapNs += t1 - t0;
      ingested += parsed.rows.length;
    }
  } finally {
    await db.close();
  }
  return { ingested, dbSeconds: Number(dbNs) / 1e9, totalSeconds: Number(mapNs + dbNs) / 1e9 };
}

async function withFreshPostgres<T>(adminUrl: string, use: (url: string) => Promise<T>): Promise<T> {
  const name = `heed_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await use(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

if (process.argv[2] === '--simulator-child') {
  await simulatorChild();
} else {
  await main();
}
