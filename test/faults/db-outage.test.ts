// The database unavailable for a while: a running Heed on its own PostgreSQL server (.ci/pg.sh on port 54340),
// the server stopped abruptly (`pause`, data kept) and started again (`resume`), three times. Meanwhile Heed keeps
// answering /healthz, says it is not ready (503, with the reason), survives a sync attempted in the dark, and
// once the server is back it is ready again by itself within a bounded time and syncs and evaluates normally.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { type RunningHeed, startHeed } from '../../src/main.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { compareTickets } from './support/compare.ts';
import { scenarioTally } from './support/results.ts';
import { FAULT_CHANNELS, FAULT_POLICY } from './support/workspace.ts';

const PG_SCRIPT = join(import.meta.dirname, '..', '..', '.ci', 'pg.sh');
const PG_ENV = { ...process.env, HEED_PG_PORT: '54340', HEED_PG_DIR: '/tmp/heed-pg-faults' };
const TOKEN = 'pat-na1-faults-cccc-dddd-eeee-ffffffffffff';
const OUTAGES = 3;
/** How long Heed may take to report ready again once PostgreSQL is back. */
const RECOVERY_BOUND_MS = 30_000;

const pgctl = (mode: 'start' | 'stop' | 'pause' | 'resume') =>
  execFileSync('bash', [PG_SCRIPT, mode], {
    env: PG_ENV,
    encoding: 'utf8',
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function waitFor<T>(
  what: string,
  boundMs: number,
  probe: () => Promise<T | undefined>,
): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return { value, ms: performance.now() - started };
    if (performance.now() - started > boundMs) throw new Error(`${what}: not within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('PostgreSQL stopped under a running Heed, then started again', () => {
  const tally = scenarioTally('database (PostgreSQL) outage ×3');
  let heed: RunningHeed | undefined;
  let sim: Simulator;
  let slack: FakeSlackServer;
  let portal: SimPortal;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    const adminUrl = pgctl('start');
    const name = `heed_faults_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    portal = new SimPortal({ now: Date.now(), tickets: 200, days: 3, seed: 31 });
    sim = await startSimulator({ portal, accessToken: TOKEN });
    slack = await new FakeSlackServer().start();
    for (const channel of FAULT_CHANNELS) slack.addChannel(channel);
    const config = loadConfig({
      env: {
        DATABASE_URL: url.toString(),
        HUBSPOT_ACCESS_TOKEN: TOKEN,
        HUBSPOT_API_URL: sim.url,
        SLACK_BOT_TOKEN: 'xoxb-faults-db-outage',
        SLACK_SIGNING_SECRET: 'slack-signing-secret-db-outage',
        SLACK_API_URL: slack.apiUrl,
        HEED_CONFIG: '/policy.json',
      },
      fileExists: () => true,
      readFile: () => JSON.stringify(FAULT_POLICY),
    });
    heed = await startHeed({ config, logger: silentLogger(), port: 0, schedules: false });
  });
  afterAll(async () => {
    // The server may be paused if a trial failed half-way: bring it back so Heed can close cleanly, then drop it.
    try {
      pgctl('resume');
    } catch {
      // already running
    }
    await heed?.stop();
    await sim?.close();
    await slack?.stop();
    pgctl('stop');
    process.off('unhandledRejection', onRejection);
    tally.write();
  });

  it(`${OUTAGES} outages: /healthz answers, /readyz says not ready, then ready again by itself`, {
    timeout: 300_000,
  }, async () => {
    const base = `http://127.0.0.1:${heed!.port}`;
    expect(await heed!.scheduler.runNow('sync')).toMatchObject({ started: true, outcome: 'succeeded' });
    expect(await heed!.scheduler.runNow('evaluate')).toMatchObject({ started: true, outcome: 'succeeded' });
    await waitFor('ready before the first outage', RECOVERY_BOUND_MS, async () =>
      (await getJson(`${base}/readyz`)).status === 200 ? true : undefined,
    );
    const recoveries: number[] = [];
    for (let outage = 0; outage < OUTAGES; outage++) {
      let counted = false;
      try {
        const lastSync = Date.now();
        pgctl('pause');
        const health = await getJson(`${base}/healthz`);
        expect(health).toMatchObject({ status: 200, body: { status: 'ok', database: 'unreachable' } });
        const notReady = await getJson(`${base}/readyz`);
        expect(notReady.status).toBe(503);
        expect((notReady.body['reasons'] as string[]).join(' ')).toMatch(/database unreachable/);
        // Work attempted in the dark fails as a run, not as the process.
        const inTheDark = await heed!.scheduler.runNow('sync').catch((error: unknown) => ({ error }));
        expect(inTheDark).not.toMatchObject({ outcome: 'succeeded' });
        // HubSpot changes while Heed cannot write (stamped where the next incremental window will look; see sync-kill).
        const wait = lastSync + 2000 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        portal.touchTickets(30, Date.now() - 30_500, { seed: outage + 1 });
        // Still serving after a while down.
        await new Promise((r) => setTimeout(r, 1500));
        expect((await getJson(`${base}/healthz`)).status).toBe(200);

        pgctl('resume');
        const back = await waitFor('ready again after PostgreSQL returned', RECOVERY_BOUND_MS, async () =>
          (await getJson(`${base}/readyz`)).status === 200 ? true : undefined,
        );
        recoveries.push(Math.round(back.ms));
        expect(await heed!.scheduler.runNow('sync')).toMatchObject({ started: true, outcome: 'succeeded' });
        expect(await heed!.scheduler.runNow('evaluate')).toMatchObject({ started: true, outcome: 'succeeded' });
        const result = await compareTickets(portal, heed!.db);
        counted = true;
        tally.trial({ lost: result.lost.length, duplicated: result.duplicated.length });
        expect(result.lost, result.examples.join('\n')).toEqual([]);
      } finally {
        if (!counted) tally.failed();
      }
    }
    tally.note(`ready again after ${recoveries.join(' / ')} ms; ${rejections.length} unhandled rejections`);
    expect(rejections).toEqual([]);
  });
});
