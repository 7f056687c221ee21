// Slack down when `heed start` boots, and for two minutes after (every connection to Slack's API refused, as an
// unreachable host does), then back: the process stays up the whole time, /healthz answers, /readyz is 503 and
// names Slack, HubSpot sync keeps running meanwhile (scheduled every minute here), and Heed is ready again within
// seconds of Slack's return, the outbox delivering what queued up. Real time, a real child process, per database.
// Posts are counted in the fake Slack by idempotency key against the outbox's intents (lost / duplicated).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../src/db/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';
import { type OutageProxy, startOutageProxy } from '../support/outage-proxy.ts';
import { type HeedServer, startHeedServer } from './support/heed-server.ts';
import { scenarioTally } from './support/results.ts';
import { checkLedger } from './support/slack-ledger.ts';
import { FAULT_CHANNELS, FAULT_POLICY } from './support/workspace.ts';

const OUTAGE_MS = Number(process.env['HEED_FAULTS_SLACK_OUTAGE_MS'] ?? 120_000);
const HUBSPOT_TOKEN = 'pat-na1-slack-down-boot-0000-1111';

const metric = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].reduce((sum, m) => sum + Number(m[1]), 0);

describe.each(testProviders())('Slack down at boot, then for two minutes, on %s', (provider) => {
  const tally = scenarioTally(`Slack down at boot + ${Math.round(OUTAGE_MS / 1000)} s (${provider})`);
  let sim: Simulator | undefined;
  let slack: FakeSlackServer | undefined;
  let proxy: OutageProxy | undefined;
  let database: TestDatabase | undefined;
  let heed: HeedServer | undefined;
  let db: Db | undefined;
  let cwd: string | undefined;
  afterEach(async () => {
    await heed?.stop();
    await db?.close();
    await proxy?.close();
    await sim?.close();
    await slack?.stop();
    await database?.drop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
    tally.write();
  });

  it('stays up, says why, keeps syncing HubSpot, and is ready within seconds of Slack’s return', async () => {
    let counted = false;
    try {
      sim = await startSimulator({
        portal: new SimPortal({ now: Date.now(), tickets: 60, days: 2, seed: 29 }),
        accessToken: HUBSPOT_TOKEN,
      });
      slack = await new FakeSlackServer().start();
      for (const channel of FAULT_CHANNELS) slack.addChannel(channel);
      proxy = await startOutageProxy(slack.url, 'refuse');
      database = await createTestDatabase(provider);
      cwd = mkdtempSync(join(tmpdir(), 'heed-faults-slack-boot-'));
      heed = await startHeedServer({
        cwd,
        policy: { ...FAULT_POLICY, sync: { intervalMinutes: 1 } },
        env: {
          DATABASE_URL: database.url,
          SLACK_BOT_TOKEN: 'xoxb-faults-slack-down-boot',
          SLACK_SIGNING_SECRET: 'slack-down-boot-signing-secret',
          SLACK_API_URL: `${proxy.url}/api/`,
          HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
          HUBSPOT_API_URL: sim.url,
        },
      });
      const outageEnds = Date.now() + OUTAGE_MS;
      let probes = 0;
      let healthy = 0;
      let namedSlack = 0;
      let readyDuring = 0;
      while (Date.now() < outageEnds) {
        probes++;
        if ((await fetch(`${heed.base}/healthz`)).status === 200) healthy++;
        const ready = await fetch(`${heed.base}/readyz`);
        const body = (await ready.json()) as { dependencies?: { name: string; code: string }[] };
        if (ready.status === 200) readyDuring++;
        if (ready.status === 503 && body.dependencies?.some((d) => d.name === 'slack' && d.code === 'unreachable'))
          namedSlack++;
        await new Promise((r) => setTimeout(r, 2000));
      }
      const duringMetrics = await (await fetch(`${heed.base}/metrics`)).text();
      const syncsDuring = metric(duringMetrics, /^heed_job_runs_total\{job="sync",outcome="succeeded"\} (\d+)/gm);
      const depthDuring = metric(duringMetrics, /^heed_outbox_depth (\d+)/gm);
      const postsDuring = [...slack.channels.values()].reduce((n, c) => n + c.messages.length, 0);
      const knocks = proxy.seen.byMode.get('refuse') ?? 0;

      // Slack is back.
      proxy.mode = 'up';
      const back = Date.now();
      let readyAfterMs: number | undefined;
      while (Date.now() - back < 60_000) {
        if ((await fetch(`${heed.base}/readyz`)).status === 200) {
          readyAfterMs = Date.now() - back;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      // What queued during the outage goes out (1 post per second per channel).
      const drainDeadline = Date.now() + 120_000;
      let depth = Number.NaN;
      while (Date.now() < drainDeadline) {
        const text = await (await fetch(`${heed.base}/metrics`)).text();
        depth = metric(text, /^heed_outbox_depth (\d+)/gm);
        if (depth === 0) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      db = await openDatabase(database.url);
      const ledger = await checkLedger(db, slack);
      const alive = heed.alive();
      const stopped = await heed.stop();
      heed = undefined;
      counted = true;
      const ok =
        alive &&
        stopped.code === 0 &&
        healthy === probes &&
        namedSlack === probes &&
        readyDuring === 0 &&
        syncsDuring >= 2 &&
        postsDuring === 0 &&
        readyAfterMs !== undefined &&
        readyAfterMs < 15_000;
      tally.trial({ lost: ledger.lost.length, duplicated: ledger.duplicated.length, ok });
      tally.note(
        `process up through ${Math.round(OUTAGE_MS / 1000)} s down: ${alive ? 'yes' : 'NO'}; /healthz ${healthy}/${probes}; ` +
          `/readyz 503 naming slack ${namedSlack}/${probes}; HubSpot syncs meanwhile ${syncsDuring}; ${knocks} connection attempts to Slack; ` +
          `${depthDuring} queued, 0 posted while down; ready ${readyAfterMs === undefined ? 'NOT within 60 s' : `${(readyAfterMs / 1000).toFixed(1)} s`} after Slack's return; ` +
          `${ledger.posts} posts for ${ledger.intents} intents (lost ${ledger.lost.length}, duplicated ${ledger.duplicated.length}, strays ${ledger.strays.length}; outbox depth ${depth})`,
      );
      expect(alive).toBe(true);
      expect(stopped).toEqual({ code: 0, signal: null });
      expect({ healthy, namedSlack, readyDuring }).toEqual({ healthy: probes, namedSlack: probes, readyDuring: 0 });
      expect(syncsDuring).toBeGreaterThanOrEqual(2);
      expect(postsDuring).toBe(0);
      expect(depthDuring).toBeGreaterThan(0);
      expect(readyAfterMs).toBeLessThan(15_000);
      expect(ledger.strays).toEqual([]);
    } finally {
      if (!counted) tally.failed();
    }
  });
});
