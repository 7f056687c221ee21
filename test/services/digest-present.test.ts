// The digest right after `heed sync`, before any evaluation has run: what it says must be what `heed check`
// says at the same moment. HubSpot is the simulator over HTTP, Slack the fake server; `heed sync`, `heed digest
// --dry-run` and `heed digest` are the commands' own bodies.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDigestCommand } from '../../src/cli/digest.ts';
import { runSyncCommand } from '../../src/cli/sync.ts';
import { manualClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/client.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { type Simulator, startSimulator } from '../../src/hubspot/simulator/server.ts';
import { silentLogger } from '../../src/logger.ts';
import { collectStatus, renderStatusText } from '../../src/ops/status.ts';
import { evaluate } from '../../src/services/evaluate.ts';
import { FakeSlackServer } from '../../src/slack/fake-slack-server.ts';
import { PORTAL_NOW, TOKEN, testClock } from '../hubspot/harness.ts';
import { createTestDatabase, type TestDatabase, testProviders } from '../support/db.ts';

const WORKDAYS = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['08:00', '18:00']]]));
const POLICY = {
  calendars: { emea: { timezone: 'Europe/Berlin', hours: WORKDAYS } },
  teams: [
    { name: 'emea', channel: 'C0EMEA', escalationChannel: 'C0LEADS', hubspotTeamIds: ['4001'], calendar: 'emea' },
    { name: 'tier2', channel: 'C0TIER2', hubspotTeamIds: ['4002', '4003'], calendar: 'emea' },
  ],
  sla: [
    { name: 'urgent', when: { priority: ['URGENT', 'HIGH'] }, firstResponse: '1h', nextResponse: '2h' },
    { name: 'standard', firstResponse: '4h', nextResponse: '8h', resolution: '3d' },
  ],
  feedback: { commentsCount: false },
};

/** What `heed check` counts for a team at `now`: tickets with a breached clock, tickets only at risk, feedback owed. */
async function checkCounts(url: string, config: ReturnType<typeof loadConfig>, team: string, now: Date) {
  const db = await openDatabase(url);
  try {
    const live = await evaluate({ db, config, logger: silentLogger() }, now, { dryRun: true });
    const clocks = live.clocks.filter((c) => c.team === team);
    const breached = new Set(clocks.filter((c) => c.state === 'breached').map((c) => c.ticketId));
    const atRisk = new Set(
      clocks.filter((c) => c.state === 'at_risk' && !breached.has(c.ticketId)).map((c) => c.ticketId),
    );
    const feedback = live.feedback.filter((f) => f.team === team);
    return {
      breached: breached.size,
      atRisk: atRisk.size,
      feedback: feedback.length,
      feedbackOverdue: feedback.filter((f) => f.state === 'overdue').length,
    };
  } finally {
    await db.close();
  }
}

describe.each(testProviders())('the digest right after heed sync, on %s', (provider) => {
  let sim: Simulator;
  let slack: FakeSlackServer;
  let database: TestDatabase;
  let dir: string;
  let out: string[];
  const io = { out: (text: string) => out.push(text), err: (text: string) => out.push(`stderr: ${text}`) };

  beforeEach(async () => {
    database = await createTestDatabase(provider);
    dir = mkdtempSync(join(tmpdir(), 'heed-digest-present-'));
    writeFileSync(join(dir, 'heed.config.json'), JSON.stringify(POLICY));
    slack = await new FakeSlackServer().start();
    for (const id of ['C0EMEA', 'C0TIER2', 'C0LEADS']) slack.addChannel({ id, name: id.toLowerCase() });
    out = [];
  });
  afterEach(async () => {
    await sim?.close();
    await slack.stop();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function syncedPortal() {
    const clock = testClock();
    const portal = new SimPortal({ now: PORTAL_NOW, tickets: 240, days: 10, seed: 12, feedbackPerTicket: 0.3 });
    sim = await startSimulator({ portal, accessToken: TOKEN, clock: () => clock.now().getTime() });
    for (const owner of portal.owners) if (owner.email) slack.addUser(owner.email, `U${owner.id}`);
    const config = loadConfig({
      env: {
        DATABASE_URL: database.url,
        HEED_CONFIG: join(dir, 'heed.config.json'),
        HUBSPOT_ACCESS_TOKEN: TOKEN,
        HUBSPOT_API_URL: sim.url,
        SLACK_API_URL: slack.apiUrl,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
      },
    });
    const synced = await runSyncCommand(
      { full: false },
      { config, io: { out: () => {}, err: () => {} }, logger: silentLogger(), clock, progress: { write: () => {} } },
    );
    expect(synced).toBe(0);
    // No evaluation has run: the database holds tickets and feedback, but no clock or flag yet.
    const db = await openDatabase(database.url);
    try {
      expect(await db.prisma.clockState.count()).toBe(0);
      expect(await db.prisma.flag.count()).toBe(0);
    } finally {
      await db.close();
    }
    return { config, now: new Date(clock.now()) };
  }

  it('--dry-run tells what heed check tells: the breached tickets and the overdue feedback', async () => {
    const { config, now } = await syncedPortal();
    const expected = await checkCounts(database.url, config, 'emea', now);
    // The portal has something to say, or this test could not fail.
    expect(expected.breached).toBeGreaterThan(0);
    expect(expected.feedbackOverdue).toBeGreaterThan(0);

    const code = await runDigestCommand(
      { team: 'emea', dryRun: true, json: false, weekly: false },
      { config, now, io, logger: silentLogger() },
    );
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toContain(
      `Waiting now: ${expected.breached} breached, ${expected.atRisk} at risk (most urgent first)`,
    );
    expect(text).toContain(
      `Feedback: ${expected.feedback} negative answer${expected.feedback === 1 ? '' : 's'} still unanswered (${expected.feedbackOverdue} overdue)`,
    );
    expect(text).not.toContain('nothing breached or at risk');
    expect(text).not.toContain('every negative answer has been followed up');
  });

  it('posts the numbers of the present, and the run is recorded as sent', async () => {
    const { config, now } = await syncedPortal();
    const expected = await checkCounts(database.url, config, 'emea', now);
    expect(expected.breached).toBeGreaterThan(0);

    const code = await runDigestCommand(
      { team: 'emea', dryRun: false, json: false, weekly: false },
      {
        config,
        now,
        io,
        logger: silentLogger(),
        clock: manualClock(now),
        slack: new webApi.WebClient('xoxb-test-token', {
          slackApiUrl: slack.apiUrl,
          retryConfig: { retries: 0 },
          rejectRateLimitedCalls: true,
        }),
      },
    );
    expect(code).toBe(0);
    const messages = slack.messagesIn('C0EMEA');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toContain(
      `; ${expected.breached} breached and ${expected.atRisk} at risk now; ${expected.feedback} negative feedback unanswered.`,
    );

    const db = await openDatabase(database.url);
    try {
      const status = renderStatusText(await collectStatus({ db, config }, now));
      expect(status).toMatch(/emea .*last \d{4}-\d{2}-\d{2} sent/);
    } finally {
      await db.close();
    }
  });
});
