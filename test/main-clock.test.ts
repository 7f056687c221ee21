// `startHeed` on a clock the test moves (StartOptions.clock): the one clock reaches the scheduler's runs, the
// HubSpot client (when its daily limit resets) and the sync job that waits the limit out. The scenario: a sync
// meets HubSpot's DAILY limit on a day far from today's wall clock; passes before the portal's midnight send no
// request; moved past midnight, the next pass syncs. The HubSpot simulator and the fake Slack Web API over HTTP.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { startSimulator } from '../src/hubspot/simulator/server.ts';
import { type RunningHeed, startHeed } from '../src/main.ts';
import { FakeSlackServer } from '../src/slack/fake-slack-server.ts';
import { captureLogger } from './slack/support/capture-logger.ts';
import { TEST_SIGNING_SECRET } from './slack/support/slack-requests.ts';
import { createTestDatabase, type TestDatabase, testProviders } from './support/db.ts';

// Local servers only, through the real global fetch both vendor clients use.
beforeAll(() => nock.restore());
afterAll(() => nock.activate());

const HUBSPOT_TOKEN = 'pat-na1-00000000-clock-2222-3333';
const LIST = 'GET /crm/objects/2026-09/tickets';
/** Three weeks before the wall clock: a daily limit computed from the wall clock would reset on another day. */
const START = new Date(Math.floor((Date.now() - 21 * 86_400_000) / 86_400_000) * 86_400_000 + 15 * 3_600_000);

/** The wall clock's pace from START, moved forward on demand. */
function movableClock(start: Date): Clock & { advance(ms: number): void } {
  let offset = start.getTime() - Date.now();
  return {
    now: () => new Date(Date.now() + offset),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
    every: (ms, tick) => {
      const timer = setInterval(() => void tick(), Math.max(1, ms));
      timer.unref();
      return () => clearInterval(timer);
    },
    advance: (ms) => {
      offset += ms;
    },
  };
}

describe.each(testProviders())('startHeed on a moved clock, on %s', (provider) => {
  let database: TestDatabase;
  let heed: RunningHeed | undefined;
  let closeAll: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await heed?.stop();
    await closeAll?.();
    await database?.drop();
  });

  it('waits out HubSpot’s daily limit until the portal’s midnight by its own clock, then syncs', async () => {
    database = await createTestDatabase(provider);
    const clock = movableClock(START);
    const simulator = await startSimulator({
      accessToken: HUBSPOT_TOKEN,
      clock: () => clock.now().getTime(),
      portalOptions: { seed: 5, tickets: 150, days: 7, now: START.getTime() },
    });
    const slack = await new FakeSlackServer().start();
    slack.addChannel({ id: 'CTIER1', name: 'tier1' });
    closeAll = async () => {
      await simulator.close();
      await slack.stop();
    };
    const config = loadConfig({
      env: {
        DATABASE_URL: database.url,
        HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
        HUBSPOT_API_URL: simulator.url,
        SLACK_BOT_TOKEN: 'xoxb-test-clock',
        SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        HEED_CONFIG: '/policy.json',
      },
      fileExists: () => true,
      readFile: () =>
        JSON.stringify({
          calendars: { office: { timezone: 'UTC', hours: { mon: [['09:00', '17:00']] } } },
          teams: [{ name: 'tier1', channel: 'CTIER1', calendar: 'office' }],
          sla: [{ name: 'standard', firstResponse: '1h' }],
        }),
    });
    const log = captureLogger();
    heed = await startHeed({ config, logger: log.logger, port: 0, schedules: false, clock });

    simulator.injectFault({ match: LIST, kind: 'rate-limit', policy: 'DAILY' });
    expect(await heed.scheduler.runNow('sync')).toMatchObject({ started: true, outcome: 'failed' });
    const run = await heed.db.prisma.syncRun.findFirstOrThrow();
    expect(run.status).toBe('daily-limit');
    // Recorded at the test's instant, not the wall clock's.
    expect(Math.abs(run.startedAt.getTime() - START.getTime())).toBeLessThan(60_000);

    simulator.resetCounts();
    expect(await heed.scheduler.runNow('sync')).toMatchObject({ started: true, outcome: 'succeeded' });
    expect(simulator.counts.get(LIST) ?? 0).toBe(0);
    const skipped = log.lines().filter((line) => line['msg'] === 'sync skipped: HubSpot daily limit used up');
    expect(skipped).toHaveLength(1);
    const resetsAt = new Date(String(skipped[0]!['resetsAt']));
    // The portal's next midnight after START: within a day of the moved clock, three weeks from the wall clock.
    expect(resetsAt.getTime()).toBeGreaterThan(START.getTime());
    expect(resetsAt.getTime() - START.getTime()).toBeLessThanOrEqual(86_400_000);
    expect(await heed.db.prisma.ticket.count()).toBe(0);

    clock.advance(resetsAt.getTime() - clock.now().getTime() + 60_000);
    expect(await heed.scheduler.runNow('sync')).toMatchObject({ started: true, outcome: 'succeeded' });
    expect(simulator.counts.get(LIST)).toBeGreaterThan(0);
    expect(await heed.db.prisma.ticket.count()).toBeGreaterThan(0);
  });
});
