// "SLA met today" on the App Home counts from midnight in each team's own time zone, not UTC.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config.ts';
import { FlagsReadRepo } from '../../src/db/flags-read-repo.ts';
import { homeView } from '../../src/slack/queries.ts';
import { slackTeams } from '../../src/slack/teams.ts';
import { type OpenTestDb, openTestDb, testProviders } from '../support/db.ts';

const allDay = [['00:00', '24:00']] as [string, string][];
const week = { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay };
const policy = parsePolicy(
  {
    calendars: {
      tokyo: { timezone: 'Asia/Tokyo', hours: week },
      la: { timezone: 'America/Los_Angeles', hours: week },
    },
    teams: [
      { name: 'apac', channel: 'C0APAC', calendar: 'tokyo' },
      { name: 'west', channel: 'C0WEST', calendar: 'la' },
    ],
    sla: [{ name: 'standard', firstResponse: '4h' }],
  },
  'test policy',
);

// 2026-11-23 20:00 UTC is Tuesday 05:00 in Tokyo and Monday 12:00 in Los Angeles.
const NOW = new Date('2026-11-23T20:00:00Z');

describe.each(testProviders())('App Home team health on %s', (provider) => {
  let db: OpenTestDb;
  beforeEach(async () => {
    db = await openTestDb(provider);
  });
  afterEach(async () => {
    await db.close();
  });

  async function met(ticketId: string, team: string, completedAt: string) {
    await db.prisma.clockState.create({
      data: {
        ticketId,
        clock: 'firstResponse',
        cycle: 0,
        policy: 'standard',
        team,
        state: 'met',
        startedAt: new Date(completedAt),
        completedAt: new Date(completedAt),
        targetMinutes: 240,
        usedMinutes: 5,
        overdueMinutes: 0,
        evaluatedAt: new Date(completedAt),
      },
    });
  }

  it('counts clocks completed since midnight in each team’s zone', async () => {
    // Tokyo's Tuesday began at 15:00 UTC Monday; Los Angeles's Monday at 08:00 UTC Monday.
    await met('a1', 'apac', '2026-11-23T16:00:00Z'); // Tuesday in Tokyo: today
    await met('a2', 'apac', '2026-11-23T14:00:00Z'); // Monday in Tokyo: yesterday
    await met('w1', 'west', '2026-11-23T09:00:00Z'); // Monday 01:00 in LA: today
    await met('w2', 'west', '2026-11-23T07:00:00Z'); // Sunday 23:00 in LA: yesterday
    await met('w3', 'west', '2026-11-23T00:30:00Z'); // after UTC midnight, but Sunday in LA
    const view = await homeView(
      {
        reads: new FlagsReadRepo(db),
        repo: { countOutbox: async () => 0 },
        users: {
          slackIdForEmail: async () => undefined,
          knownSlackId: async () => false,
          emailsForSlackUser: async () => [],
        },
        teams: slackTeams(policy),
        status: { db, config: { policy } },
      } as unknown as Parameters<typeof homeView>[0],
      'UNOBODY',
      NOW,
    );
    expect(view.teams.map((t) => [t.team, t.metToday])).toEqual([
      ['apac', 1],
      ['west', 1],
    ]);
  });
});
