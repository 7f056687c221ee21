// A sync killed at any moment (SIGKILL, no cleanup) resumes from its last committed page: nothing lost,
// nothing duplicated, and the pages already committed are not fetched again.
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { createHubspotClient, HubspotApi } from '../../src/hubspot/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { SyncService } from '../../src/services/sync.ts';
import { PORTAL_NOW, TOKEN, testClock } from '../hubspot/harness.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';

const LIST = 'GET /crm/objects/2026-09/tickets';

describe.each(testProviders())('a sync killed mid-backfill on %s', (provider) => {
  let sim: Simulator | undefined;
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await sim?.close();
    await database?.drop();
  });

  it.each([4, 11, 19])('resumes after a kill at list request %i without loss or duplicates', async (killAt) => {
    const portal = new SimPortal({ now: PORTAL_NOW, tickets: 2500, seed: 21 });
    let child: ReturnType<typeof spawn> | undefined;
    let killed = false;
    sim = await startSimulator({
      portal,
      latencyMs: 15,
      onRequest: (key, count) => {
        if (key === LIST && count === killAt && child && !killed) {
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
    const listedBeforeKill = sim.counts.get(LIST)!;

    // Resume in this process, on the same database.
    const db = await openDatabase(database.url, { migrate: true });
    try {
      const repos = hubspotRepos(db);
      const committed = await db.prisma.ticket.count();
      // Killed part-way: some pages committed (the kill comes after page killAt − 2 was requested), not all.
      expect(committed).toBeGreaterThanOrEqual((killAt - 3) * 100);
      expect(committed).toBeLessThan(2400);
      sim.resetCounts();
      const clock = testClock();
      const service = new SyncService({
        api: new HubspotApi({
          client: createHubspotClient({ accessToken: TOKEN, baseUrl: sim.url }),
          requestsPer10s: 1000,
          searchPerSecond: 5,
          clock,
        }),
        repos,
        clock,
        logger: silentLogger(),
        options: { searchLagMs: 0 },
      });
      await service.run();
      const live: string[] = [];
      for (let i = 0; i < portal.ticketCount; i++) if (!portal.t.archived[i]) live.push(portal.ticketId(i));
      const ids = (await db.prisma.ticket.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((r) => r.id);
      expect(ids).toEqual(live.sort());
      // Exactly one stage period per ticket: a re-read page must not open a second one.
      expect(await db.prisma.ticketStagePeriod.count()).toBe(live.length);
      // Committed pages are not fetched again: at most the page in flight at the kill is read twice.
      const pagesTotal = Math.ceil(live.length / 100);
      const resumed = sim.counts.get(LIST) ?? 0;
      expect(resumed).toBeLessThanOrEqual(pagesTotal - Math.floor(committed / 100) + 1);
      expect(resumed).toBeLessThan(pagesTotal);
      expect(listedBeforeKill).toBeGreaterThanOrEqual(killAt);
    } finally {
      await db.close();
    }
  });
});
