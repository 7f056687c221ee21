// kill -9 while the outbox drains nudges: `heed nudge` children SIGKILLed at random moments of their drain (Slack's
// answers are held 120 ms, so many kills land between "posted in Slack" and "recorded by Heed"), then a clean run.
// Every nudge must then exist exactly once in the Slack stand-in.
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { childEnv, killNow, runHeed } from './support/heed-process.ts';
import { createPrng, faultSeed } from './support/prng.ts';
import { scenarioTally } from './support/results.ts';
import { checkLedger } from './support/slack-ledger.ts';
import { createWorkspace, FAULT_CHANNELS, type Workspace } from './support/workspace.ts';

const TOKEN = 'pat-na1-faults-4444-5555-6666-777777777777';
const TRIALS = Number(process.env['HEED_FAULTS_TRIALS'] ?? 20);
const ANSWER_DELAY_MS = 120;
const seed = faultSeed();
const random = createPrng(seed);

let sim: Simulator;
let template: Workspace;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  // A small portal whose tickets are mostly overdue against a 1 h first-response SLA: a few nudges per channel.
  const portal = new SimPortal({ now: Date.now(), tickets: 14, days: 1, seed: 5 });
  sim = await startSimulator({ portal, accessToken: TOKEN });
  template = createWorkspace('outbox-template');
  const sync = await runHeed(['sync'], { cwd: template.dir, env: envFor(template, undefined) }).exit;
  expect(sync.code, sync.stderr).toBe(0);
  process.stdout.write(`outbox-kill: seed ${seed} (replay with HEED_FAULTS_SEED=${seed})\n`);
});
afterAll(async () => {
  await sim?.close();
  template?.remove();
  for (const w of workspaces) w.remove();
});

function envFor(w: Workspace, slack: FakeSlackServer | undefined): NodeJS.ProcessEnv {
  return childEnv({
    DATABASE_URL: w.databaseUrl,
    HEED_CONFIG: w.configPath,
    HUBSPOT_ACCESS_TOKEN: TOKEN,
    HUBSPOT_API_URL: sim.url,
    ...(slack ? { SLACK_BOT_TOKEN: 'xoxb-faults-outbox', SLACK_API_URL: slack.apiUrl } : {}),
  });
}

/** A workspace whose database is a copy of the synced template (same tickets, no flags or nudges yet). */
function trialWorkspace(): Workspace {
  const w = createWorkspace('outbox-trial');
  workspaces.push(w);
  for (const suffix of ['', '-wal', '-shm']) {
    const from = join(template.dir, `heed.db${suffix}`);
    if (existsSync(from)) copyFileSync(from, join(w.dir, `heed.db${suffix}`));
  }
  return w;
}

async function startSlack(): Promise<FakeSlackServer> {
  const slack = await new FakeSlackServer({ answerDelayMs: ANSWER_DELAY_MS }).start();
  for (const channel of FAULT_CHANNELS) slack.addChannel(channel);
  return slack;
}

/** Resolves when Slack receives the first post of a run (kill delays count from there: the drain has begun). */
function firstPost(slack: FakeSlackServer): Promise<void> {
  return new Promise((resolveFirst) => {
    const timer = setInterval(() => {
      if (slack.callsOf('chat.postMessage').length > 0) {
        clearInterval(timer);
        resolveFirst();
      }
    }, 10);
    timer.unref();
  });
}

describe('kill -9 while the outbox drains nudges', () => {
  it(`${TRIALS} kills of heed nudge at random points of the drain, then a clean run`, {
    timeout: 900_000,
  }, async () => {
    const tally = scenarioTally('kill -9 heed nudge (outbox drain)', `seed ${seed}`);
    try {
      // Calibrate: an uninterrupted drain of this backlog, from Slack's first post to the process's exit.
      const reference = trialWorkspace();
      const referenceSlack = await startSlack();
      const run = runHeed(['nudge'], { cwd: reference.dir, env: envFor(reference, referenceSlack) });
      await firstPost(referenceSlack);
      const began = performance.now();
      const refExit = await run.exit;
      const duration = performance.now() - began;
      expect(refExit.code, refExit.stderr).toBe(0);
      const refDb = await openDatabase(reference.databaseUrl);
      const refLedger = await checkLedger(refDb, referenceSlack).finally(() => refDb.close());
      await referenceSlack.stop();
      expect(refLedger.intents).toBeGreaterThanOrEqual(5);
      expect(refLedger.lost).toEqual([]);

      let landed = 0;
      let posts = 0;
      const delays = Array.from({ length: TRIALS }, () => Math.round(random.next() * duration * 0.9));
      const trial = async (delay: number) => {
        const w = trialWorkspace();
        const slack = await startSlack();
        try {
          const killed = runHeed(['nudge'], { cwd: w.dir, env: envFor(w, slack) });
          void firstPost(slack).then(() => setTimeout(() => killNow(killed.child), delay));
          const exit = await killed.exit;
          if (exit.signal === 'SIGKILL') landed += 1;
          const clean = await runHeed(['nudge'], { cwd: w.dir, env: envFor(w, slack) }).exit;
          expect(clean.code, clean.stderr).toBe(0);
          const db = await openDatabase(w.databaseUrl);
          const ledger = await checkLedger(db, slack).finally(() => db.close());
          if (ledger.lost.length + ledger.duplicated.length + ledger.strays.length > 0) {
            process.stdout.write(`outbox-kill (kill after ${delay} ms): ${JSON.stringify(ledger)}\n`);
          }
          posts += ledger.posts;
          tally.trial({
            lost: ledger.lost.length,
            duplicated: ledger.duplicated.length,
            ok: ledger.strays.length === 0 && ledger.intents >= refLedger.intents,
          });
        } finally {
          await slack.stop();
          w.remove();
        }
      };
      // Two trials side by side (each with its own database and Slack stand-in).
      for (let k = 0; k < TRIALS; k += 2) await Promise.all(delays.slice(k, k + 2).map(trial));
      tally.note(`drain ≈ ${Math.round(duration)} ms, ${refLedger.intents} posts per run; ${landed} kills landed`);
      expect(tally.result.failures).toBe(0);
      expect(posts).toBeGreaterThanOrEqual(TRIALS * refLedger.intents);
      expect(landed).toBeGreaterThanOrEqual(Math.ceil(TRIALS * 0.7));
    } finally {
      tally.write();
    }
  });
});
