// A revoked Slack token for two minutes under a running `heed start` (a real child process), then restored: the
// backlog queued when the token stopped working and the nudges that arrive meanwhile (new HubSpot tickets breach
// while Slack refuses everything) all go out once the token works again — 0 lost, 0 duplicated, nothing posted
// while revoked, every channel in the order its messages were queued, ≥ 1 s apart. Heed logs one clear error for
// the pause (not one per message) and says when it resumed. Real time: the child runs on the system clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';
import { childEnv, runHeed } from './support/heed-process.ts';
import { jsonLines, ownerTeamsPolicy, paceAndOrder, startHeedServer, waitUntil } from './support/outbox-heed.ts';
import { scenarioTally } from './support/results.ts';
import { checkLedger } from './support/slack-ledger.ts';
import { createWorkspace, type Workspace } from './support/workspace.ts';

const TOKEN = 'pat-na1-faults-1212-3434-5656-787878787878';
const REVOKED_MS = 2 * 60_000;
const QUEUED = ['pending', 'retry', 'sending'];

describe.each(testProviders())('Slack token revoked for two minutes under heed start on %s', (provider) => {
  let sim: Simulator;
  let portal: SimPortal;
  let database: TestDatabase;
  let workspace: Workspace;
  const tally = scenarioTally(`Slack token revoked 2 min under heed start, then restored (${provider})`);

  beforeAll(async () => {
    portal = new SimPortal({ now: Date.now(), tickets: 40, days: 1, seed: 7, owners: 6 });
    sim = await startSimulator({ portal, accessToken: TOKEN });
    database = await createTestDatabase(provider);
  });
  afterAll(async () => {
    tally.write();
    await sim?.close();
    workspace?.remove();
    await database?.drop();
  });

  it('queues everything while Slack refuses the token and sends it all, in order, once it works', {
    timeout: 900_000,
  }, async () => {
    let counted = false;
    try {
      const { policy, channels } = ownerTeamsPolicy(portal, { teams: 6, firstResponse: '1m', evaluateSeconds: 5 });
      workspace = createWorkspace(`revoked-${provider}`, policy);
      const env = childEnv({
        DATABASE_URL: provider === 'sqlite' ? workspace.databaseUrl : database.url,
        HEED_CONFIG: workspace.configPath,
        HUBSPOT_ACCESS_TOKEN: TOKEN,
        HUBSPOT_API_URL: sim.url,
      });
      const sync = await runHeed(['sync'], { cwd: workspace.dir, env }).exit;
      expect(sync.code, sync.stderr).toBe(0);

      const slack = await new FakeSlackServer().start();
      for (const channel of channels) slack.addChannel(channel);
      const heed = await startHeedServer({
        cwd: workspace.dir,
        env: {
          ...env,
          SLACK_BOT_TOKEN: 'xoxb-faults-revoked',
          SLACK_SIGNING_SECRET: 'slack-signing-secret-revoked-0123',
          SLACK_API_URL: slack.apiUrl,
        },
      });
      const db = await openDatabase(env['DATABASE_URL']!);
      try {
        // The first evaluation queues the backlog; the token is revoked as soon as its first post lands.
        await waitUntil('the first post', 60_000, async () => slack.callsOf('chat.postMessage').length > 0);
        slack.revokeToken('token_revoked');
        const revokedAt = Date.now();
        const postsBefore = [...slack.channels.values()].flatMap((c) => c.messages).length;
        // New tickets while Slack refuses everything: synced within a minute, breaching a minute later.
        let created = 0;
        for (const at of [15_000, 35_000, 55_000]) {
          await new Promise((resolve) => setTimeout(resolve, revokedAt + at - Date.now()));
          created += portal.createTickets(3, Date.now()).length;
        }
        await new Promise((resolve) => setTimeout(resolve, revokedAt + REVOKED_MS - Date.now()));
        const queuedAtRestore = await db.prisma.outboxMessage.findMany({
          where: { state: { in: QUEUED }, kind: { not: 'update' } },
          select: { idempotencyKey: true },
        });
        const queuedWhileRevoked = await db.prisma.outboxMessage.count({
          where: { createdAt: { gte: new Date(revokedAt) }, kind: { not: 'update' } },
        });
        const postsWhileRevoked = [...slack.channels.values()].flatMap((c) => c.messages).length - postsBefore;
        slack.restoreToken();
        const restoredAt = Date.now();

        // Everything queued goes out; the new tickets' ladders (ping, DM, escalation) run to the end.
        await new Promise((resolve) => setTimeout(resolve, 90_000));
        let emptyPolls = 0;
        await waitUntil('the outbox to drain', 300_000, async () => {
          const left = await db.prisma.outboxMessage.count({ where: { state: { in: QUEUED } } });
          emptyPolls = left === 0 ? emptyPolls + 1 : 0;
          return emptyPolls >= 10;
        });
        const exit = await heed.stop();
        expect(exit.code, exit.stderr).toBe(0);

        const ledger = await checkLedger(db, slack);
        const pace = await paceAndOrder(db, slack);
        const lines = jsonLines(heed.stdout());
        const pauseErrors = lines.filter((l) => l['code'] === 'SLACK_AUTH');
        const resumed = lines.filter((l) => String(l.msg).includes('Slack accepts messages again'));
        const resumedAt = resumed[0] ? Number(resumed[0]['time']) : Number.NaN;
        const postedAt = new Map(
          [...slack.channels.values()].flatMap((c) =>
            c.messages.map((m) => [String(m.metadata?.event_payload['key']), m.postedAt] as const),
          ),
        );
        const sentBeforeRestore = queuedAtRestore.filter((r) => (postedAt.get(r.idempotencyKey) ?? 0) < restoredAt);
        const probes = slack.callsOf('auth.test').filter((c) => c.at > revokedAt).length;

        counted = true;
        tally.trial({
          lost: ledger.lost.length,
          duplicated: ledger.duplicated.length,
          ok:
            ledger.strays.length === 0 &&
            pace.outOfOrder.length === 0 &&
            pace.minGapMs >= 1000 &&
            pauseErrors.length === 1 &&
            postsWhileRevoked === 0 &&
            sentBeforeRestore.length === 0,
        });
        tally.note(
          `${ledger.posts} posts; ${queuedAtRestore.length} queued at restore, ${queuedWhileRevoked} of them queued while revoked; ` +
            `${pauseErrors.length} pause error, ${probes} probes; resumed ${Math.round((resumedAt - restoredAt) / 1000)} s after restore; ` +
            `min gap ${pace.minGapMs} ms over ${pace.channels} channels; ${pace.outOfOrder.length} out of order`,
        );
        expect(ledger.lost).toEqual([]);
        expect(ledger.duplicated).toEqual([]);
        expect(ledger.strays).toEqual([]);
        expect(postsWhileRevoked).toBe(0);
        expect(queuedAtRestore.length).toBeGreaterThanOrEqual(10);
        expect(created).toBe(9);
        expect(queuedWhileRevoked).toBeGreaterThanOrEqual(3);
        expect(sentBeforeRestore).toEqual([]);
        expect(pace.outOfOrder).toEqual([]);
        expect(pace.minGapMs, pace.minGapAt).toBeGreaterThanOrEqual(1000);
        expect(pauseErrors.map((l) => `${String(l['name'] ?? '')}: ${String(l.msg)}`)).toHaveLength(1);
        expect(String(pauseErrors[0]!.msg)).toContain('token_revoked');
        expect(resumed).toHaveLength(1);
        expect(resumedAt).toBeGreaterThanOrEqual(restoredAt);
        // Probes back off from 30 s to at most 3 min: the restored token is noticed within that.
        expect(resumedAt - restoredAt).toBeLessThan(3 * 60_000);
        expect(heed.stdout()).not.toContain('xoxb-faults-revoked');
      } finally {
        await heed.stop();
        await db.close();
        await slack.stop();
      }
    } finally {
      if (!counted) tally.failed();
    }
  });
});
