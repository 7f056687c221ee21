// Three `heed start` replicas on one PostgreSQL database plus a `heed nudge` beside them — four real processes
// draining one outbox — with Slack answering every call in 0.4–1 s (the post landing anywhere in that time).
// A backlog of 700+ posts (nudges, thread pings, DMs, escalations) and, meanwhile, tickets closed in HubSpot (so
// nudges are updated in place). Counted from the Slack stand-in's ledger: 0 duplicates, 0 losses, and ≥ 1 s
// between two posts in any channel whichever process made them. Real time: the children run on the system clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { childEnv, runHeed } from './support/heed-process.ts';
import {
  type HeedServer,
  jsonLines,
  ownerTeamsPolicy,
  paceAndOrder,
  startHeedServer,
  waitUntil,
} from './support/outbox-heed.ts';
import { createPrng, faultSeed } from './support/prng.ts';
import { scenarioTally } from './support/results.ts';
import { checkLedger } from './support/slack-ledger.ts';
import { createWorkspace, type Workspace } from './support/workspace.ts';

const TOKEN = 'pat-na1-faults-9191-8282-7373-646464646464';
const QUEUED = ['pending', 'retry', 'sending'];
const REPLICAS = ['a', 'b', 'c'];
const CLOSED_TICKETS = 30;
const seed = faultSeed();

describe.skipIf(!process.env['HEED_TEST_PG_URL'])('three heed start replicas and heed nudge on PostgreSQL', () => {
  let sim: Simulator;
  let portal: SimPortal;
  let database: TestDatabase;
  let workspace: Workspace;
  const tally = scenarioTally('3 heed start replicas + heed nudge, Slack in 0.4–1 s (postgresql)', `seed ${seed}`);

  beforeAll(async () => {
    portal = new SimPortal({ now: Date.now(), tickets: 520, days: 2, seed: 17 });
    sim = await startSimulator({ portal, accessToken: TOKEN });
    database = await createTestDatabase('postgresql');
  });
  afterAll(async () => {
    tally.write();
    await sim?.close();
    workspace?.remove();
    await database?.drop();
  });

  it('sends every message once, none lost, ≥ 1 s apart in every channel', { timeout: 900_000 }, async () => {
    let counted = false;
    const servers: HeedServer[] = [];
    const random = createPrng(seed);
    const slack = await new FakeSlackServer({
      processingDelayMs: () => Math.round(random.next() * 600),
      answerDelayMs: 400,
    }).start();
    try {
      const { policy, channels } = ownerTeamsPolicy(portal, { teams: 12, firstResponse: '1h', evaluateSeconds: 5 });
      for (const channel of channels) slack.addChannel(channel);
      workspace = createWorkspace('replicas', policy);
      const env = childEnv({
        DATABASE_URL: database.url,
        HEED_CONFIG: workspace.configPath,
        HUBSPOT_ACCESS_TOKEN: TOKEN,
        HUBSPOT_API_URL: sim.url,
        SLACK_SIGNING_SECRET: 'slack-signing-secret-replicas-01',
        SLACK_API_URL: slack.apiUrl,
      });
      const sync = await runHeed(['sync'], { cwd: workspace.dir, env }).exit;
      expect(sync.code, sync.stderr).toBe(0);

      // Each process its own token value, so the ledger can tell who posted (the stand-in accepts any token).
      servers.push(
        ...(await Promise.all(
          REPLICAS.map((name) =>
            startHeedServer({ cwd: workspace.dir, env: { ...env, SLACK_BOT_TOKEN: `xoxb-faults-replica-${name}` } }),
          ),
        )),
      );
      const db = await openDatabase(database.url);
      try {
        await waitUntil('the first post', 60_000, async () => slack.callsOf('chat.postMessage').length > 0);
        const began = Date.now();
        // A fourth drainer: `heed nudge` evaluates and drains beside the replicas (for up to two minutes).
        const nudge = runHeed(['nudge'], { cwd: workspace.dir, env: { ...env, SLACK_BOT_TOKEN: 'xoxb-faults-nudge' } });
        // Meanwhile agents close tickets that have nudges: the next sync and evaluation update those in place.
        await new Promise((resolve) => setTimeout(resolve, 20_000));
        const nudged = await db.prisma.flag.findMany({
          where: { key: { in: (await db.prisma.nudge.findMany({ select: { flagKey: true } })).map((n) => n.flagKey) } },
          select: { ticketId: true },
          take: CLOSED_TICKETS,
        });
        for (const { ticketId } of nudged) if (ticketId) portal.moveTicket(ticketId, 3, Date.now());

        const nudgeExit = await nudge.exit;
        expect(nudgeExit.code, nudgeExit.stderr).toBe(0);
        let emptyPolls = 0;
        await waitUntil('the outbox to drain', 600_000, async () => {
          const left = await db.prisma.outboxMessage.count({ where: { state: { in: QUEUED } } });
          const updated = [...slack.channels.values()].flatMap((c) => c.messages).filter((m) => m.updates > 0).length;
          emptyPolls = left === 0 && updated > 0 ? emptyPolls + 1 : 0;
          return emptyPolls >= 10;
        });
        const drainedMs = Date.now() - began;
        const exits = await Promise.all(servers.map((s) => s.stop()));
        for (const exit of exits) expect(exit.code, exit.stderr).toBe(0);

        const ledger = await checkLedger(db, slack);
        const pace = await paceAndOrder(db, slack);
        const kinds = await db.prisma.outboxMessage.groupBy({ by: ['kind', 'state'], _count: { _all: true } });
        const count = (kind: string, state = 'sent') =>
          kinds.filter((k) => k.kind === kind && k.state === state).reduce((n, k) => n + k._count._all, 0);
        const updates = [...slack.channels.values()].flatMap((c) => c.messages).filter((m) => m.updates > 0).length;
        const byProcess = new Map<string, number>();
        for (const call of slack.callsOf('chat.postMessage')) {
          const who = String(call.token).replace('xoxb-faults-', '');
          byProcess.set(who, (byProcess.get(who) ?? 0) + 1);
        }
        const failedRows = await db.prisma.outboxMessage.findMany({
          where: { state: 'failed' },
          select: { idempotencyKey: true, lastError: true },
        });
        const errors = servers.flatMap((s) => jsonLines(s.stdout())).filter((l) => Number(l.level) >= 50);
        // The outbox's own errors (and Slack's): none expected. Others are reported, not judged here.
        const outboxErrors = errors.filter(
          (l) => /^outbox:|Slack/.test(String(l.msg)) || /^SLACK_/.test(String(l['code'])),
        );
        const otherErrors = new Map<string, number>();
        for (const line of errors.filter((l) => !outboxErrors.includes(l))) {
          const what = `${String(line.msg)}: ${(
            String((line['err'] as { message?: string } | undefined)?.message ?? '')
              .trim()
              .split('\n')
              .at(-1) ?? ''
          ).slice(0, 160)}`;
          otherErrors.set(what, (otherErrors.get(what) ?? 0) + 1);
        }

        counted = true;
        tally.trial({
          lost: ledger.lost.length,
          duplicated: ledger.duplicated.length,
          ok: ledger.strays.length === 0 && pace.minGapMs >= 1000 && ledger.posts >= 700 && failedRows.length === 0,
        });
        tally.note(
          `${ledger.posts} posts (${count('post')} nudges/${count('reply')} pings/${count('dm')} DMs/${count('escalate')} escalations), ` +
            `${updates} nudges updated; by process ${[...byProcess].map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
            `min gap ${pace.minGapMs} ms over ${pace.channels} channels; ${pace.outOfOrder.length} channels out of order; ` +
            `drained in ${Math.round(drainedMs / 1000)} s` +
            (otherErrors.size ? `; other errors: ${[...otherErrors].map(([k, v]) => `${v}× ${k}`).join(' | ')}` : ''),
        );
        if (pace.outOfOrder.length)
          process.stdout.write(`outbox-replicas: out of order: ${pace.outOfOrder.join('; ')}\n`);
        expect(ledger.lost).toEqual([]);
        expect(ledger.duplicated).toEqual([]);
        expect(ledger.strays).toEqual([]);
        expect(failedRows).toEqual([]);
        expect(ledger.posts).toBeGreaterThanOrEqual(700);
        expect(pace.minGapMs, pace.minGapAt).toBeGreaterThanOrEqual(1000);
        expect(count('reply')).toBeGreaterThan(0);
        expect(count('dm')).toBeGreaterThan(0);
        expect(count('escalate')).toBeGreaterThan(0);
        expect(updates).toBeGreaterThan(0);
        // Every process took part in the drain.
        expect([...byProcess.keys()].sort()).toEqual(['nudge', 'replica-a', 'replica-b', 'replica-c']);
        expect(outboxErrors.map((l) => l.msg)).toEqual([]);
      } finally {
        await db.close();
      }
    } finally {
      if (!counted) tally.failed();
      await Promise.all(servers.map((s) => s.stop()));
      await slack.stop();
    }
  });
});
