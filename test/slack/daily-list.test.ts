// The personal morning list end to end: HubSpot users from the simulator (their properties as HubSpot serves them,
// through Heed's mapper and writer), opted in with signed `/heed daily on` through the real Bolt app, and two
// replicas' schedulers running the real `daily-lists` job on a manual clock stepped through a week that contains
// the US DST change, a team holiday, an out-of-office period, an "away" status and two outages. Counts DMs per
// person and local date, reads the DM a person gets (order, times in their zone, escaped customer text), and
// presses its buttons.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config.ts';
import { HubspotUserRepo } from '../../src/db/hubspot-user-repo.ts';
import { createTimeZone, isoDateFromDay } from '../../src/domain/time-zone.ts';
import { userRow } from '../../src/hubspot/map.ts';
import { SimPortal } from '../../src/hubspot/simulator/portal.ts';
import { heedJobs } from '../../src/jobs/heed-jobs.ts';
import { createScheduler, type Scheduler } from '../../src/jobs/scheduler.ts';
import { silentLogger } from '../../src/logger.ts';
import type { FakeMessage } from '../../src/slack/fake-slack-server.ts';
import { NUDGE_ACTIONS } from '../../src/slack/render/nudge.ts';
import { testProviders } from '../support/db.ts';
import { type Harness, startHarness } from './support/harness.ts';
import { seedOwner, seedPortal, seedTicketFlag } from './support/seed.ts';

const POLICY = {
  calendars: {
    office: {
      timezone: 'UTC',
      hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '17:00']]])),
      holidays: ['2026-03-05'],
    },
  },
  teams: [{ name: 'support', channel: 'CSUPPORT', calendar: 'office' }],
  sla: [{ name: 'standard', firstResponse: '4h', nextResponse: '8h', resolution: '3d' }],
};

const at = (iso: string) => new Date(iso);
const MINUTE = 60_000;
const STEP = 30 * MINUTE;
/** Sunday 1 March 2026 00:00 UTC → Monday 9 March 18:00 UTC (New York moves to EDT on Sunday 8 March). */
const WEEK_START = at('2026-03-01T00:00:00Z');
const WEEK_END = at('2026-03-09T18:00:00Z');
/** Heed down (no replica ticking): Tuesday 13:00–17:30Z (Nora's 09:00 EST and the 3 h after), Friday 07:00–10:30Z. */
const OUTAGES: [Date, Date][] = [
  [at('2026-03-03T13:00:00Z'), at('2026-03-03T17:30:00Z')],
  [at('2026-03-06T07:00:00Z'), at('2026-03-06T10:30:00Z')],
];

interface Person {
  slack: string;
  name: string;
  zone: string;
  /** hs_working_hours as HubSpot stores it (null: none). */
  hours: unknown[] | null;
  outOfOffice?: { startTimestamp: number; endTimestamp: number }[];
  slackTz?: string;
  optIn: boolean;
}

const PEOPLE: Person[] = [
  {
    slack: 'UNORA',
    name: 'Nora',
    zone: 'America/New_York',
    hours: [{ days: 'MONDAY_TO_FRIDAY', startMinute: 540, endMinute: 1020 }],
    optIn: true,
  },
  {
    slack: 'UKIRAN',
    name: 'Kiran',
    zone: 'Asia/Kolkata',
    // Sunday to Thursday: Friday (and Saturday) off.
    hours: [
      { days: 'SUNDAY', startMinute: 540, endMinute: 1020 },
      { days: 'MONDAY', startMinute: 540, endMinute: 1020 },
      { days: 'TUESDAY', startMinute: 540, endMinute: 1020 },
      { days: 'WEDNESDAY', startMinute: 540, endMinute: 1020 },
      { days: 'THURSDAY', startMinute: 540, endMinute: 1020 },
    ],
    optIn: true,
  },
  {
    slack: 'UOMAR',
    name: 'Omar',
    zone: 'Europe/Berlin',
    hours: [{ days: 'MONDAY_TO_FRIDAY', startMinute: 540, endMinute: 1020 }],
    // Tuesday and Wednesday off (Berlin midnight to midnight).
    outOfOffice: [
      { startTimestamp: Date.parse('2026-03-02T23:00:00Z'), endTimestamp: Date.parse('2026-03-04T23:00:00Z') },
    ],
    optIn: true,
  },
  // No working hours in HubSpot: the team calendar (09:00 Mon–Fri) in Lee's Slack zone.
  { slack: 'ULEE', name: 'Lee', zone: 'Asia/Tokyo', hours: null, slackTz: 'Asia/Tokyo', optIn: true },
  {
    slack: 'UPAT',
    name: 'Pat',
    zone: 'America/New_York',
    hours: [{ days: 'MONDAY_TO_FRIDAY', startMinute: 540, endMinute: 1020 }],
    optIn: false,
  },
];

/** What each person receives: local date → local wall time of arrival. */
const EXPECTED: Record<string, Record<string, string>> = {
  // Tuesday: Heed was down from before 09:00 until after 12:00 New York time — no list that day. Monday 9: EDT.
  UNORA: { '2026-03-02': '09:00', '2026-03-04': '09:00', '2026-03-06': '09:00', '2026-03-09': '09:00' },
  // Sunday–Thursday; Thursday 5 is the team's holiday; Friday and Saturday off.
  UKIRAN: {
    '2026-03-01': '09:00',
    '2026-03-02': '09:00',
    '2026-03-03': '09:00',
    '2026-03-04': '09:00',
    '2026-03-08': '09:00',
    '2026-03-09': '09:00',
  },
  // Out of office Tuesday–Wednesday, holiday Thursday, Friday caught up at 11:30 after the outage, away in HubSpot
  // on Monday 9.
  UOMAR: { '2026-03-02': '09:00', '2026-03-06': '11:30' },
  // Tuesday 3: a vacation status in Slack (until Wednesday 09:00 Tokyo).
  ULEE: {
    '2026-03-02': '09:00',
    '2026-03-04': '09:00',
    '2026-03-06': '09:00',
    '2026-03-09': '09:00',
  },
  UPAT: {},
};

describe.each(testProviders())('the morning list on %s', (provider) => {
  let h: Harness;
  let replica: Harness;
  let portal: SimPortal;
  const owners = new Map<string, { id: string; email: string }>();

  beforeEach(async () => {
    h = await startHarness(provider, { policy: POLICY });
    replica = await startHarness(provider, { policy: POLICY, replicaOf: h });
    portal = new SimPortal({ now: WEEK_START.getTime(), owners: 12, tickets: 0 });
    await seedPortal(h.db.prisma);
    const people = portal.owners.filter((o) => o.type === 'PERSON' && o.email);
    const users = new HubspotUserRepo(h.db);
    for (const [index, person] of PEOPLE.entries()) {
      const owner = people[index]!;
      const email = owner.email!;
      owners.set(person.slack, { id: owner.id, email });
      await seedOwner(h.db.prisma, owner.id, email, person.name);
      h.slack.addUser(email, person.slack);
      if (person.slackTz) h.slack.userTimeZones.set(person.slack, person.slackTz);
      // Lee has no HubSpot user at all; everyone else is synced as HubSpot serves them.
      if (person.hours === null) continue;
      const user = portal.users.find((u) => u.email === email)!;
      portal.updateUser(
        user.id,
        {
          availability: 'available',
          timeZone: person.zone,
          workingHours: JSON.stringify(person.hours),
          outOfOffice: JSON.stringify(person.outOfOffice ?? []),
        },
        WEEK_START.getTime(),
      );
      await users.upsertPage([hubspotRow(user.id)], WEEK_START.getTime());
    }
  });
  afterEach(async () => {
    await replica.close();
    await h.close();
  });

  function hubspotRow(userId: string) {
    const k = portal.userIndex(userId)!;
    const u = portal.users[k]!;
    return userRow({
      id: u.id,
      properties: portal.userProperties(k),
      createdAt: new Date(u.createdAt).toISOString(),
      updatedAt: new Date(u.modifiedAt).toISOString(),
      archived: false,
    });
  }

  /** Nora's tickets (and Pat's, which Nora claimed), as the SLA engine left them at Monday 2 March 13:00 UTC. */
  async function seedItems() {
    const evaluated = at('2026-03-02T13:00:00Z');
    const nora = owners.get('UNORA')!.id;
    const keys = {
      overdue: await seedTicketFlag(
        h.db.prisma,
        {
          id: '9001',
          subject: 'Invoice export fails',
          ownerId: nora,
          state: 'breached',
          startedAt: at('2026-03-02T07:50:00Z'),
          dueAt: at('2026-03-02T11:50:00Z'),
          contactName: 'Ada Customer',
        },
        evaluated,
      ),
      dueToday: await seedTicketFlag(
        h.db.prisma,
        {
          id: '9002',
          subject: 'Login loop',
          ownerId: nora,
          state: 'at_risk',
          startedAt: at('2026-03-02T14:20:00Z'),
          dueAt: at('2026-03-02T18:20:00Z'),
          contactName: 'Ben Customer',
        },
        evaluated,
      ),
      hostile: await seedTicketFlag(
        h.db.prisma,
        {
          id: '9003',
          subject: 'Refund <!channel> & <@U0BOSS> *now*',
          ownerId: nora,
          state: 'at_risk',
          startedAt: at('2026-03-03T11:00:00Z'),
          dueAt: at('2026-03-03T15:00:00Z'),
          contactName: '<https://evil.example|Click me>',
        },
        evaluated,
      ),
      claimed: await seedTicketFlag(
        h.db.prisma,
        {
          id: '9004',
          subject: 'Pat’s ticket Nora took',
          ownerId: owners.get('UPAT')!.id,
          state: 'breached',
          startedAt: at('2026-03-02T08:30:00Z'),
          dueAt: at('2026-03-02T12:30:00Z'),
          contactName: 'Cy Customer',
        },
        evaluated,
      ),
      kiran: await seedTicketFlag(
        h.db.prisma,
        {
          id: '9005',
          subject: 'Kiran’s ticket',
          ownerId: owners.get('UKIRAN')!.id,
          state: 'at_risk',
          startedAt: at('2026-03-02T06:30:00Z'),
          dueAt: at('2026-03-02T10:30:00Z'),
        },
        evaluated,
      ),
    };
    await h.db.prisma.flag.update({
      where: { key: keys.claimed },
      data: { claimedBy: 'UNORA', claimedAt: evaluated },
    });
    return keys;
  }

  function schedulerFor(replicaOf: Harness, holder: string): Scheduler {
    const scheduler = createScheduler({
      db: replicaOf.db,
      logger: silentLogger(),
      holder,
      clock: () => replicaOf.clock.now(),
    });
    const noop = async () => undefined;
    const jobs = heedJobs(
      parsePolicy(POLICY, 'test policy'),
      {
        sync: noop,
        evaluate: noop,
        digest: noop,
        weeklyReport: noop,
        dailyLists: async (ctx) => {
          await replicaOf.daily.run(ctx.now, ctx.logger);
        },
      },
      { db: replicaOf.db },
    );
    // The real registration, only the morning-list job (digests are other tests' business).
    for (const job of jobs.filter((j) => j.name === 'daily-lists')) scheduler.add(job);
    return scheduler;
  }

  /** Received DMs: person → local date → local times of arrival. */
  function received(): Record<string, Record<string, string[]>> {
    const out: Record<string, Record<string, string[]>> = {};
    for (const person of PEOPLE) {
      const zone = createTimeZone(person.zone);
      const days: Record<string, string[]> = {};
      for (const m of dailyDms(person.slack)) {
        const day = isoDateFromDay(zone.localDay(m.postedAt));
        const wall = new Date(m.postedAt + zone.offsetAt(m.postedAt)).toISOString().slice(11, 16);
        days[day] = [...(days[day] ?? []), wall];
      }
      out[person.slack] = days;
    }
    return out;
  }

  const dailyDms = (user: string): FakeMessage[] =>
    h.slack
      .messagesIn(user)
      .filter((m) => String((m.metadata?.event_payload as { key?: string } | undefined)?.key).startsWith('daily:'));

  it('arrives once at the start of each working day in the person’s zone, never on days off or while away', async () => {
    const keys = await seedItems();
    // Opt in through the real app, signed as Slack signs it.
    for (const person of PEOPLE.filter((p) => p.optIn)) {
      h.clock.set(at('2026-02-28T12:00:00Z'));
      const answer = await h.command('/heed', 'daily on', { user: person.slack });
      expect(answer.status).toBe(200);
      expect(String(answer.json?.['text'])).toContain("You'll get your list at the start of your working day");
    }
    const noraAnswer = await h.command('/heed', 'daily status', { user: 'UNORA' });
    expect(noraAnswer.json?.['text']).toContain(
      "You'll get your list at the start of your working day, 09:00 Mon–Fri (America/New_York) — from your HubSpot working hours.",
    );
    const leeAnswer = await h.command('/heed', 'daily', { user: 'ULEE' });
    expect(leeAnswer.json?.['text']).toContain(
      "09:00 Mon–Fri (Asia/Tokyo) — HubSpot has no working hours for you, so the support team's calendar, in your Slack time zone.",
    );
    const bad = await h.command('/heed', 'daily sometimes', { user: 'UNORA' });
    expect(bad.json?.['text']).toContain('`daily` takes `on`, `off` or `status`');
    expect(bad.json?.['text']).toContain('Usage:');
    const patStatus = await h.command('/heed', 'daily status', { user: 'UPAT' });
    expect(patStatus.json?.['text']).toContain('Your morning list is off.');

    const schedulers = [schedulerFor(h, 'replica-1'), schedulerFor(replica, 'replica-2')];
    for (let t = WEEK_START.getTime(); t <= WEEK_END.getTime(); t += STEP) {
      const now = new Date(t);
      h.clock.set(now);
      replica.clock.set(now);
      if (now.toISOString() === '2026-03-09T00:00:00.000Z') {
        // Omar sets himself away in HubSpot over the weekend; the next sync brings it.
        const omar = portal.users.find((u) => u.email === owners.get('UOMAR')!.email)!;
        portal.updateUser(omar.id, { availability: 'away' }, t);
        await new HubspotUserRepo(h.db).upsertPage([hubspotRow(omar.id)], t);
      }
      if (now.toISOString() === '2026-03-02T12:00:00.000Z') {
        // Lee sets a vacation status in Slack for Tuesday, clearing itself at the start of Wednesday in Tokyo.
        h.slack.setStatus('ULEE', {
          emoji: ':palm_tree:',
          text: 'Beach day',
          expiration: Date.parse('2026-03-04T00:00:00Z') / 1000,
        });
      }
      if (OUTAGES.some(([from, to]) => now >= from && now < to)) continue;
      // Both replicas tick at the same instant: the job's run key and lease let one run it.
      await Promise.all(schedulers.map((s) => s.tick(now)));
      await Promise.all(schedulers.map((s) => s.idle()));
      await h.outbox.drainUntilIdle();
    }

    const got = received();
    const firsts = Object.fromEntries(
      Object.entries(got).map(([user, days]) => [
        user,
        Object.fromEntries(Object.entries(days).map(([day, times]) => [day, times.join(',')])),
      ]),
    );
    expect(firsts).toEqual(EXPECTED);

    // Nora's first list (Monday 2 March, 09:00 EST = 14:00 UTC): most overdue first, times in New York time.
    const [first] = dailyDms('UNORA');
    expect(first!.text).toBe(
      'Good morning — 4 open items waiting on you, most overdue first (times in America/New_York): ' +
        '“Invoice export fails” (Ada Customer (Acme)) — 2h 10m overdue (was due 06:50); ' +
        '“Pat’s ticket Nora took” (Cy Customer (Acme)) — 1h 30m overdue (was due 07:30); ' +
        '“Login loop” (Ben Customer (Acme)) — due 13:20; ' +
        '“Refund &lt;!channel&gt; &amp; &lt;@U0BOSS&gt; *now*” (&lt;https://evil.example|Click me&gt; (Acme)) — due Tue 10:00',
    );
    const blocks = JSON.stringify(first!.blocks);
    expect(blocks).not.toContain('<!channel>');
    expect(blocks).not.toContain('<@U0BOSS>');
    expect(blocks).not.toContain('<https://evil.example');
    expect(blocks).toContain(":eyes: you're on it");
    expect(h.sentProblems()).toEqual([]);
    // Kiran's Sunday list holds only Kiran's ticket, due Monday 16:00 Kolkata time.
    expect(dailyDms('UKIRAN')[0]!.text).toContain('“Kiran’s ticket” (Dana Customer (Acme)) — due Mon 16:00');
    // Lee owns nothing: a short line, not silence.
    expect(dailyDms('ULEE')[0]!.text).toBe(':sunrise: Good morning! Nothing waiting on you this morning.');
    // Omar's Friday list came after the outage and says why it is late.
    const omarFriday = dailyDms('UOMAR')[1]!;
    expect(JSON.stringify(omarFriday.blocks)).toContain(
      'Later than the start of your day (09:00): Heed was not running then.',
    );

    // A third process running the job by hand on Monday 9 after the schedulers did: nothing more.
    const monday = at('2026-03-09T13:30:00Z');
    h.clock.set(monday);
    replica.clock.set(monday);
    const [a, b] = await Promise.all([h.daily.run(monday), replica.daily.run(monday)]);
    expect(a.sent + b.sent).toBe(0);
    // Nora's list is in the outbox already; the others' days began more than the 3 h catch-up ago.
    expect(a.outcomes).toEqual({ UNORA: 'already', UKIRAN: 'too-late', UOMAR: 'too-late', ULEE: 'too-late' });
    expect(b.outcomes).toEqual(a.outcomes);
    await h.outbox.drainUntilIdle();
    expect(dailyDms('UNORA')).toHaveLength(4);

    // Pressing the buttons in Nora's Monday 9 DM works on the flags themselves.
    const latest = dailyDms('UNORA').at(-1)!;
    const actions = (latest.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).filter(
      (block) => block.type === 'actions',
    );
    const buttonOf = (flagKey: string, actionId: string) =>
      actions.flatMap((block) => block.elements ?? []).find((e) => e.value === flagKey && e.action_id === actionId);
    const claim = buttonOf(keys.dueToday, NUDGE_ACTIONS.claim)!;
    expect(claim).toBeDefined();
    const pressed = await h.action({
      user: 'UNORA',
      channel: latest.channel,
      messageTs: latest.ts,
      actionId: claim.action_id,
      value: claim.value,
      actionTs: '1773063000.000001',
    });
    expect(pressed.status).toBe(200);
    expect(await h.db.prisma.flag.findUnique({ where: { key: keys.dueToday } })).toMatchObject({ claimedBy: 'UNORA' });
    const handled = buttonOf(keys.hostile, NUDGE_ACTIONS.handled)!;
    await h.action({
      user: 'UNORA',
      channel: latest.channel,
      messageTs: latest.ts,
      actionId: handled.action_id,
      value: handled.value,
      actionTs: '1773063000.000002',
    });
    expect(await h.db.prisma.flag.findUnique({ where: { key: keys.hostile } })).toMatchObject({ handledBy: 'UNORA' });

    // Tuesday 10, 09:00 EDT: two processes run the job at the same instant, outside any lease (both see no list
    // queued yet): the outbox key lets one list through.
    const tuesday = at('2026-03-10T13:00:00Z');
    h.clock.set(tuesday);
    replica.clock.set(tuesday);
    const race = await Promise.all([h.daily.run(tuesday), replica.daily.run(tuesday), h.daily.run(tuesday)]);
    expect(race.map((r) => r.outcomes['UNORA']).sort()).toEqual(['already', 'already', 'sent']);
    await h.outbox.drainUntilIdle();
    expect(received()['UNORA']!['2026-03-10']).toEqual(['09:00']);
    expect(await h.db.prisma.outboxMessage.count({ where: { idempotencyKey: 'daily:UNORA:2026-03-10' } })).toBe(1);

    // Off again: no list the next day.
    await h.command('/heed', 'daily off', { user: 'UNORA' });
    const wednesday = at('2026-03-11T13:00:00Z');
    h.clock.set(wednesday);
    expect((await h.daily.run(wednesday)).outcomes['UNORA']).toBeUndefined();
    expect(await h.db.prisma.auditEntry.count({ where: { action: { in: ['daily-on', 'daily-off'] } } })).toBe(5);
  }, 240_000);
});
