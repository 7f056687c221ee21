// kill -9 of the webhooks journal reader at random points while it applies entries: the next reader resumes from
// the stored offset and leaves HubSpot and the database identical (every live ticket present with HubSpot's
// hs_lastmodifieddate, deleted ones archived, none twice, one open stage period each). Only the journal carries the
// changes here: no search pass runs between the changes and the check.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { compareTickets } from './support/compare.ts';
import { childEnv, killNow, runHeed } from './support/heed-process.ts';
import { createPrng, faultSeed } from './support/prng.ts';
import { scenarioTally } from './support/results.ts';
import { createWorkspace, type Workspace } from './support/workspace.ts';

const TOKEN = 'pat-na1-faults-journal-0000-1111-2222';
const APP = { clientId: 'heed-faults-client-id', clientSecret: 'heed-faults-client-secret', appId: 77 };
const TRIALS = Number(process.env['HEED_FAULTS_TRIALS'] ?? 20);
const CHILD = 'test/faults/support/journal-child.ts';
const seed = faultSeed();
const random = createPrng(seed);

type Slot = { sim: Simulator; portal: SimPortal; firstRequest: (() => void) | undefined };
const slots: Slot[] = [];
const workspaces: Workspace[] = [];

beforeAll(async () => {
  const now = Date.now();
  for (let k = 0; k < 2; k++) {
    const portal = new SimPortal({ now, tickets: 1000, days: 30, seed: 43, feedbackPerTicket: 0.1 });
    const slot: Slot = { sim: undefined as unknown as Simulator, portal, firstRequest: undefined };
    slot.sim = await startSimulator({
      portal,
      accessToken: TOKEN,
      app: APP,
      // Small entries and a little latency: a run applies dozens of entries, so kills land between them.
      journal: { entrySize: 8 },
      latencyMs: 4,
      onRequest: (key) => {
        if (!key.includes('/webhooks-journal/') && !key.startsWith('GET /journal-files/')) return;
        const hook = slot.firstRequest;
        slot.firstRequest = undefined;
        hook?.();
      },
    });
    slots.push(slot);
  }
  process.stdout.write(`journal-kill: seed ${seed} (replay with HEED_FAULTS_SEED=${seed})\n`);
});
afterAll(async () => {
  for (const slot of slots) await slot.sim.close();
  for (const w of workspaces) w.remove();
});

function envFor(w: Workspace, slot: Slot): NodeJS.ProcessEnv {
  return childEnv({
    DATABASE_URL: w.databaseUrl,
    HEED_CONFIG: w.configPath,
    HUBSPOT_ACCESS_TOKEN: TOKEN,
    HUBSPOT_CLIENT_ID: APP.clientId,
    HUBSPOT_CLIENT_SECRET: APP.clientSecret,
    HUBSPOT_API_URL: slot.sim.url,
    JOURNAL_BATCH: '3',
  });
}

function runReader(w: Workspace, slot: Slot) {
  const child = spawn(process.execPath, [CHILD], {
    cwd: process.cwd(),
    env: envFor(w, slot),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exit };
}

/** Reads the journal to the end; returns how long it ran from its first journal request. */
async function cleanRead(w: Workspace, slot: Slot): Promise<number> {
  let started = performance.now();
  slot.firstRequest = () => {
    started = performance.now();
  };
  const exit = await runReader(w, slot).exit;
  slot.firstRequest = undefined;
  expect(exit.code, exit.stderr).toBe(0);
  return performance.now() - started;
}

async function killedRead(w: Workspace, slot: Slot, delayMs: number): Promise<boolean> {
  const run = runReader(w, slot);
  slot.firstRequest = () => {
    setTimeout(() => killNow(run.child), delayMs);
  };
  const exit = await run.exit;
  slot.firstRequest = undefined;
  return exit.signal === 'SIGKILL';
}

describe('kill -9 of the webhooks journal reader', () => {
  it(`${TRIALS} kills at random points while it applies entries, then a clean read`, { timeout: 900_000 }, async () => {
    const tally = scenarioTally('kill -9 reading the webhooks journal', `seed ${seed}`);
    let landed = 0;
    const plans = Array.from({ length: TRIALS }, () => ({
      touched: 150 + random.int(0, 150),
      touchSeed: random.int(1, 1e9),
      created: random.int(5, 30),
      archived: random.int(0, 1000),
      moved: random.int(0, 1000),
      killAt: random.next(),
    }));
    // One database per slot, followed through its share of the trials as a deployment is.
    const chain = async (slot: Slot, trials: typeof plans) => {
      const { portal } = slot;
      const w = createWorkspace('journal');
      workspaces.push(w);
      // The backfill (search), then the journal's starting position.
      const backfill = await runHeed(['sync'], { cwd: w.dir, env: envFor(w, slot) }).exit;
      expect(backfill.code, backfill.stderr).toBe(0);
      let durations = await cleanRead(w, slot);
      for (const [trial, plan] of trials.entries()) {
        const now = Date.now();
        portal.touchTickets(plan.touched, now, { seed: plan.touchSeed });
        portal.createTickets(plan.created, now);
        if (!portal.t.archived[plan.archived]) portal.archiveTicket(portal.ticketId(plan.archived), now);
        if (!portal.t.archived[plan.moved]) portal.moveTicket(portal.ticketId(plan.moved), 3, now);
        const delay = Math.round(plan.killAt * Math.max(200, durations / (trial + 1)) * 0.95);
        if (await killedRead(w, slot, delay)) landed++;
        durations += await cleanRead(w, slot);
        const db = await openDatabase(w.databaseUrl);
        try {
          const result = await compareTickets(portal, db);
          if (result.lost.length > 0 || result.stale.length > 0) {
            process.stdout.write(
              `journal-kill (kill after ${delay} ms): ${result.lost.length} lost, ${result.stale.length} not archived, e.g.\n  ${result.examples.join('\n  ')}\n`,
            );
          }
          tally.trial({ lost: result.lost.length + result.stale.length, duplicated: result.duplicated.length });
        } finally {
          await db.close();
        }
      }
    };
    try {
      await Promise.all(
        slots.map((slot, k) =>
          chain(
            slot,
            plans.filter((_, i) => i % slots.length === k),
          ),
        ),
      );
      tally.note(`${landed} kills landed mid-read`);
      expect(tally.result.failures).toBe(0);
      expect(landed).toBeGreaterThanOrEqual(Math.ceil(TRIALS * 0.6));
    } finally {
      tally.write();
    }
  });
});
