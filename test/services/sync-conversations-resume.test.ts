// The conversation sync killed at any moment (SIGKILL, no cleanup, in a child process) resumes where it stopped:
// every message of every open ticket's thread stored once, and no thread whose messages were committed before the
// kill read again.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { createHubspotClient, HubspotApi } from '../../src/hubspot/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { SyncService } from '../../src/services/sync.ts';
import { DEFAULT_CONVERSATION_OPTIONS } from '../../src/services/sync-conversations.ts';
import { PORTAL_NOW, TOKEN, testClock } from '../hubspot/harness.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';

const MESSAGES = /^GET \/conversations\/conversations\/2026-09\/threads\/(\d+)\/messages$/;
/** The kinds of thread entries Heed keeps (assignments and status changes are not messages). */
const KEPT = new Set(['customer', 'agent', 'comment', 'welcome', 'bot', 'ai', 'system']);

describe.each(testProviders())('a conversation sync killed mid-backfill on %s', (provider) => {
  let sim: Simulator | undefined;
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await sim?.close();
    await database?.drop();
  });

  it.each([5, 30])('resumes after a kill at message request %i without loss or duplicates', async (killAt) => {
    const portal = new SimPortal({ now: PORTAL_NOW, tickets: 1500, seed: 21 });
    let child: ReturnType<typeof spawn> | undefined;
    let killed = false;
    let messageCalls = 0;
    const resumedThreads: string[] = [];
    let resuming = false;
    sim = await startSimulator({
      portal,
      latencyMs: 5,
      onRequest: (key) => {
        const hit = MESSAGES.exec(key);
        if (!hit) return;
        if (resuming) resumedThreads.push(hit[1]!);
        if (++messageCalls === killAt && child && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    database = await createTestDatabase(provider);
    child = spawn(process.execPath, ['test/hubspot/sync-child.ts'], {
      env: { ...process.env, SIM_URL: sim.url, DB_URL: database.url, PORTAL_NOW: String(PORTAL_NOW) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child!.on('exit', (code, signal) => resolve({ code, signal })),
    );
    expect(exit.signal, output).toBe('SIGKILL');
    expect(output).not.toContain('finished');

    const db = await openDatabase(database.url, { migrate: true });
    try {
      // Killed part-way through the conversations: some threads committed with their messages, not all.
      const before = await db.prisma.conversationThread.findMany({
        where: { messagesSyncedTo: { not: null } },
        select: { id: true },
      });
      expect(before.length).toBeGreaterThanOrEqual(killAt - 3);
      const messagesBefore = await db.prisma.ticketMessage.count();

      resuming = true;
      const clock = testClock();
      const service = new SyncService({
        api: new HubspotApi({
          client: createHubspotClient({ accessToken: TOKEN, baseUrl: sim.url }),
          requestsPer10s: 1000,
          searchPerSecond: 5,
          clock,
        }),
        repos: hubspotRepos(db),
        clock,
        logger: silentLogger(),
        options: { searchLagMs: 0 },
      });
      const stats = await service.run();
      expect(stats.conversations?.caughtUp).toBe(true);

      // No thread committed before the kill is read again.
      const committed = new Set(before.map((t) => t.id));
      expect(resumedThreads.filter((id) => committed.has(id))).toEqual([]);
      expect(resumedThreads.length).toBeGreaterThan(0);
      expect(await db.prisma.ticketMessage.count()).toBeGreaterThan(messagesBefore);

      // Every kept entry of every open ticket's thread listed since the look-back, stored exactly once.
      const open = new Set(
        (await db.prisma.ticket.findMany({ where: { isClosed: false, archived: false }, select: { id: true } })).map(
          (t) => t.id,
        ),
      );
      const lookback = PORTAL_NOW - DEFAULT_CONVERSATION_OPTIONS.lookbackDays * 86_400_000;
      const c = portal.conversations;
      const expected: string[] = [];
      for (let k = 0; k < c.threadCount; k++) {
        const i = c.ticketOf(k);
        if (i === undefined || !open.has(portal.ticketId(i)) || !(c.latestAt(k) > lookback)) continue;
        for (const e of c.entries(k)) if (KEPT.has(e.kind)) expected.push(c.entryId(e.index));
      }
      const stored = await db.prisma.ticketMessage.findMany({
        where: { ticketId: { in: [...open] } },
        select: { id: true },
      });
      expect(expected.length).toBeGreaterThan(100);
      expect(stored.map((m) => m.id).sort()).toEqual(expected.sort());
    } finally {
      await db.close();
    }
  });
});
