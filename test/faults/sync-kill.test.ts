// kill -9 of `heed sync` at random points of a backfill and of an incremental sync: the next run ends with HubSpot
// and the database identical (every live ticket present with HubSpot's hs_lastmodifieddate, none twice).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { compareTickets } from './support/compare.ts';
import { childEnv, killNow, runHeed } from './support/heed-process.ts';
import { createPrng, faultSeed } from './support/prng.ts';
import { scenarioTally } from './support/results.ts';
import { createWorkspace, type Workspace } from './support/workspace.ts';

const TOKEN = 'pat-na1-faults-0000-1111-2222-333333333333';
// Per kind: 20 backfill and 20 incremental kills; HEED_FAULTS_TRIALS sets another number.
const TRIALS = Number(process.env['HEED_FAULTS_TRIALS'] ?? 20);
const seed = faultSeed();
const random = createPrng(seed);

/**
 * Two simulators, each with its own (identical) portal, so two trials run side by side; each tells its own child's
 * first request, and kill delays count from there (they land in the run rather than in the child's start-up).
 */
type Slot = { sim: Simulator; portal: SimPortal; firstRequest: (() => void) | undefined };
const slots: Slot[] = [];
const workspaces: Workspace[] = [];

beforeAll(async () => {
  const now = Date.now();
  for (let k = 0; k < 2; k++) {
    const portal = new SimPortal({ now, tickets: 1000, days: 30, seed: 41, feedbackPerTicket: 0.2 });
    const slot: Slot = { sim: undefined as unknown as Simulator, portal, firstRequest: undefined };
    slot.sim = await startSimulator({
      portal,
      accessToken: TOKEN,
      latencyMs: 4,
      onRequest: () => {
        const hook = slot.firstRequest;
        slot.firstRequest = undefined;
        hook?.();
      },
    });
    slots.push(slot);
  }
  process.stdout.write(`sync-kill: seed ${seed} (replay with HEED_FAULTS_SEED=${seed})\n`);
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
    HUBSPOT_API_URL: slot.sim.url,
  });
}

/** Runs `heed sync` to the end; returns how long it ran from its first request. */
async function cleanSync(w: Workspace, slot: Slot = slots[0]!): Promise<number> {
  let started = 0;
  slot.firstRequest = () => {
    started = performance.now();
  };
  const run = runHeed(['sync'], { cwd: w.dir, env: envFor(w, slot) });
  const exit = await run.exit;
  expect(exit.code, exit.stderr).toBe(0);
  return performance.now() - started;
}

/** Runs `heed sync` and SIGKILLs it `delayMs` after its first request. Says whether the kill landed mid-run. */
async function killedSync(w: Workspace, delayMs: number, slot: Slot = slots[0]!): Promise<boolean> {
  const run = runHeed(['sync'], { cwd: w.dir, env: envFor(w, slot) });
  slot.firstRequest = () => {
    setTimeout(() => killNow(run.child), delayMs);
  };
  const exit = await run.exit;
  slot.firstRequest = undefined;
  return exit.signal === 'SIGKILL';
}

async function verify(w: Workspace, slot: Slot) {
  const db = await openDatabase(w.databaseUrl);
  try {
    return await compareTickets(slot.portal, db);
  } finally {
    await db.close();
  }
}

describe('kill -9 of heed sync', () => {
  it(`backfill: ${TRIALS} kills at random points, then a clean run`, { timeout: 600_000 }, async () => {
    const tally = scenarioTally('kill -9 heed sync (backfill)', `seed ${seed}`);
    try {
      // Calibrate: how long an uninterrupted backfill of this portal takes here.
      const reference = createWorkspace('sync-ref');
      workspaces.push(reference);
      const duration = await cleanSync(reference);
      const landed: number[] = [];
      // Spread over the whole run, start to (nearly) end; drawn up front so the seed alone fixes the schedule.
      const delays = Array.from({ length: TRIALS }, () => Math.round(random.next() * duration * 0.95));
      const trialIn = async (slot: Slot, delay: number) => {
        const w = createWorkspace('sync-backfill');
        workspaces.push(w);
        if (await killedSync(w, delay, slot)) landed.push(delay);
        await cleanSync(w, slot);
        const result = await verify(w, slot);
        if (result.lost.length > 0) {
          process.stdout.write(
            `sync-kill backfill (kill after ${delay} ms): ${result.lost.length} lost, e.g.\n  ${result.examples.join('\n  ')}\n`,
          );
        }
        tally.trial({
          lost: result.lost.length,
          duplicated: result.duplicated.length,
          ok: result.rows === result.live,
        });
        w.remove();
      };
      for (let trial = 0; trial < TRIALS; trial += slots.length) {
        await Promise.all(
          slots.map((slot, k) => (trial + k < TRIALS ? trialIn(slot, delays[trial + k]!) : Promise.resolve())),
        );
      }
      tally.note(`run ≈ ${Math.round(duration)} ms; ${landed.length} kills landed mid-run`);
      expect(tally.result.failures).toBe(0);
      // Most kills must interrupt a run, or the scenario proves nothing.
      expect(landed.length).toBeGreaterThanOrEqual(Math.ceil(TRIALS * 0.7));
    } finally {
      tally.write();
    }
  });

  it(`incremental: ${TRIALS} kills at random points after HubSpot changed, then a clean run`, {
    timeout: 600_000,
  }, async () => {
    const tally = scenarioTally('kill -9 heed sync (incremental)', `seed ${seed}`);
    let landed = 0;
    // Drawn up front so the seed alone fixes every change and kill.
    const plans = Array.from({ length: TRIALS }, () => ({
      touched: 250 + random.int(0, 200),
      touchSeed: random.int(1, 1e9),
      created: random.int(20, 80),
      moved: random.int(0, 1000),
      killAt: random.next(),
    }));
    // One database per slot followed through its share of the trials, as a real deployment is: each trial changes
    // the portal, a sync is killed part-way through the changes, and the next one must leave the database equal to
    // HubSpot.
    const chain = async (slot: Slot, trials: typeof plans) => {
      const { portal } = slot;
      const w = createWorkspace('sync-incremental');
      workspaces.push(w);
      await cleanSync(w, slot);
      let lastRun = Date.now();
      let durations = 0;
      for (const [trial, plan] of trials.entries()) {
        // Heed's search windows end 30 s before its now (HubSpot's search index lags writes). Changes are stamped
        // about 30.5 s back: old enough for this trial's runs to ask for them, yet after the window end of every
        // run before (each ended before lastRun, so its window ended before lastRun − 30 s; 2 s of slack covers
        // the spread of the stamps below).
        const wait = lastRun + 2000 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const base = Date.now() - 30_500;
        portal.touchTickets(plan.touched, base, { seed: plan.touchSeed });
        portal.createTickets(plan.created, base - 100);
        const movedId = portal.ticketId(plan.moved);
        if (!portal.t.archived[plan.moved]) portal.moveTicket(movedId, 3, base);
        // Each incremental run is short: spread kills over the average clean run so far.
        const delay = Math.round(plan.killAt * Math.max(300, durations / Math.max(1, trial)) * 0.95);
        if (await killedSync(w, delay, slot)) landed += 1;
        durations += await cleanSync(w, slot);
        lastRun = Date.now();
        const result = await verify(w, slot);
        if (result.lost.length > 0) {
          process.stdout.write(
            `sync-kill incremental (kill after ${delay} ms): ${result.lost.length} lost, e.g.\n  ${result.examples.join('\n  ')}\n`,
          );
        }
        tally.trial({ lost: result.lost.length, duplicated: result.duplicated.length });
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
      tally.note(`${landed} kills landed mid-run`);
      expect(tally.result.failures).toBe(0);
      expect(landed).toBeGreaterThanOrEqual(Math.ceil(TRIALS * 0.6));
    } finally {
      tally.write();
    }
  });
});
