// Slack answering 503 / 429 for two minutes of simulated time, then recovering: the nudges and the digest go out
// late, once each, and the digest says it is late. In-process on the outbox's manual clock (the two minutes take
// well under a second); the failures come from the Slack stand-in over real HTTP, switched on while the clock is
// inside the outage window.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { hubspotRepos } from '../../src/db/hubspot-repos.ts';
import { createHubspotClient, HubspotApi } from '../../src/hubspot/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import { SyncService } from '../../src/services/sync.ts';
import { postDigest } from '../../src/slack/digest-post.ts';
import { type FakeFault, FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { reconcileNudges } from '../../src/slack/reconcile-nudges.ts';
import { createSlackSide } from '../../src/slack/setup.ts';
import { PORTAL_NOW, TOKEN, testClock } from '../hubspot/harness.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';
import { scenarioTally } from './support/results.ts';
import { checkLedger } from './support/slack-ledger.ts';
import { FAULT_CHANNELS, FAULT_POLICY } from './support/workspace.ts';

const OUTAGE_MS = 2 * 60_000;

const OUTAGES: { name: string; fault: FakeFault }[] = [
  { name: '503', fault: { status: 503 } },
  { name: '429 (Retry-After 20 s)', fault: { status: 429, retryAfter: 20 } },
];

describe.each(testProviders())('Slack down for two minutes on %s', (provider) => {
  const tally = scenarioTally(`Slack 503/429 for 2 min, recovery (${provider})`);
  let sim: Simulator | undefined;
  let slack: FakeSlackServer | undefined;
  let db: OpenTestDb | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await sim?.close();
    await slack?.stop();
    await db?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
    tally.write();
  });

  it.each(OUTAGES)('$name: nudges and the digest go out late, once, the digest marked late', async ({ fault }) => {
    let counted = false;
    try {
      sim = await startSimulator({
        portal: new SimPortal({ now: PORTAL_NOW, tickets: 30, days: 1, seed: 9 }),
        accessToken: TOKEN,
      });
      db = await openTestDb(provider);
      dir = mkdtempSync(join(tmpdir(), 'heed-faults-slack-'));
      writeFileSync(join(dir, 'heed.config.json'), JSON.stringify(FAULT_POLICY));
      const start = new Date(PORTAL_NOW + 60_000);
      const clock = manualClock(start);
      slack = await new FakeSlackServer({ now: () => clock.now().getTime() }).start();
      for (const channel of FAULT_CHANNELS) slack.addChannel(channel);
      const config = loadConfig({
        env: {
          DATABASE_URL: db.url,
          HEED_CONFIG: join(dir, 'heed.config.json'),
          SLACK_BOT_TOKEN: 'xoxb-faults-slack-outage',
          SLACK_API_URL: slack.apiUrl,
        },
      });
      const logger = silentLogger();

      // Tickets and their clocks, as a sync and an evaluation leave them.
      const syncClock = testClock();
      await new SyncService({
        api: new HubspotApi({
          client: createHubspotClient({ accessToken: TOKEN, baseUrl: sim.url }),
          requestsPer10s: 1000,
          searchPerSecond: 5,
          clock: syncClock,
        }),
        repos: hubspotRepos(db),
        clock: syncClock,
        logger,
      }).run();
      await evaluate({ db, config, logger }, start, { mode: 'full' });

      // Slack fails every Web API write while the clock is inside the outage, whatever the outbox retries.
      const outageEnd = start.getTime() + OUTAGE_MS;
      const stand = slack;
      let refused = 0;
      const side = createSlackSide({
        config,
        db,
        logger,
        clock,
        holder: 'outage-test',
        instrument: (web) => ({
          apiCall: (method, args) => {
            if (method.startsWith('chat.') && clock.now().getTime() < outageEnd) {
              stand.failNext(method, fault);
              refused += 1;
            }
            return web.apiCall(method, args);
          },
        }),
      });
      const summary = await reconcileNudges(side.nudgeDeps, start);
      expect(summary.posted).toBeGreaterThanOrEqual(4);
      // The daily digest was due ten minutes ago; Heed was busy failing, so it goes out late.
      const digest = await postDigest({ db, config, outbox: side.repo }, 'tier1', start, {
        kind: 'daily',
        scheduledFor: new Date(start.getTime() - 10 * 60_000),
        late: true,
      });
      expect(digest.status).toBe('queued');

      await side.outbox.recover();
      await side.outbox.drainUntilIdle(new Date(start.getTime() + 30 * 60_000));

      const ledger = await checkLedger(db, slack);
      const posts = [...slack.channels.values()].flatMap((c) => c.messages);
      // The digest's parts carry keys digest:<team>:<day>:<part>; the first says it is late (a `digest_late` block).
      const digestPosts = slack
        .messagesIn('CTIER1')
        .filter((m) => String(m.metadata?.event_payload['key'] ?? '').startsWith('digest:tier1:'));
      const lateBlocks = digestPosts.filter((m) => JSON.stringify(m.blocks).includes('"block_id":"digest_late"'));
      counted = true;
      tally.trial({ lost: ledger.lost.length, duplicated: ledger.duplicated.length, ok: ledger.strays.length === 0 });
      expect(refused).toBeGreaterThanOrEqual(ledger.intents);
      expect(ledger.lost).toEqual([]);
      expect(ledger.duplicated).toEqual([]);
      expect(ledger.strays).toEqual([]);
      // Late: nothing reached Slack before the outage ended.
      expect(Math.min(...posts.map((m) => m.postedAt))).toBeGreaterThanOrEqual(outageEnd);
      expect(digestPosts).toHaveLength(digest.parts);
      expect(digest.parts).toBeGreaterThanOrEqual(1);
      expect(lateBlocks).toHaveLength(1);
      expect(JSON.stringify(lateBlocks[0]!.blocks)).toContain('This digest is late (it was due');
    } finally {
      if (!counted) tally.failed();
    }
  });
});
