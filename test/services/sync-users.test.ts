// HubSpot users and their availability (for routing): backfilled, then kept up to date incrementally, with working
// hours and out-of-office periods stored as rows a router can query; an unreadable schedule costs the schedule, not
// the user; without the optional scope Heed says so once and carries on.
import { afterEach, describe, expect, it } from 'vitest';
import { parseOutOfOffice, parseWorkingHours } from '../../src/hubspot/map.ts';
import { capturingLogger, type Harness, startHarness } from '../hubspot/harness.ts';
import { testProviders } from '../support/db.ts';

describe.each(testProviders())('users and their availability on %s', (provider) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('backfills every user with status, time zone, working hours and out-of-office periods', async () => {
    h = await startHarness(provider);
    const stats = await h.service.run();
    const users = h.sim.portal.users;
    expect(stats.records.users).toBe(users.length);
    expect(await h.db.prisma.hubspotUser.count()).toBe(users.length);
    for (const user of users) {
      const row = await h.db.prisma.hubspotUser.findUniqueOrThrow({ where: { id: user.id } });
      expect(row).toMatchObject({
        ownerId: h.sim.portal.owners[user.owner]!.id,
        email: user.email,
        availabilityStatus: user.availability,
        timeZone: user.timeZone,
        workingHoursRaw: user.workingHours,
        scheduleReadable: true,
        modifiedAt: new Date(user.modifiedAt),
      });
      const slots = await h.db.prisma.userWorkingHours.findMany({
        where: { userId: user.id },
        orderBy: [{ weekday: 'asc' }, { startMinute: 'asc' }],
      });
      expect(slots.map(({ weekday, startMinute, endMinute }) => ({ weekday, startMinute, endMinute }))).toEqual(
        parseWorkingHours(user.workingHours),
      );
      const away = await h.db.prisma.userOutOfOffice.findMany({
        where: { userId: user.id },
        orderBy: { startsAt: 'asc' },
      });
      expect(away.map((a) => ({ startsAt: a.startsAt.getTime(), endsAt: a.endsAt.getTime() }))).toEqual(
        parseOutOfOffice(user.outOfOffice),
      );
    }
    // The generated team has split shifts, weekend rotas and no hours at all: all three are in the table.
    expect(await h.db.prisma.userWorkingHours.count({ where: { weekday: 6 } })).toBeGreaterThan(0);
    expect(await h.db.prisma.userWorkingHours.count()).toBeGreaterThan(users.length);
  });

  it('an incremental pass picks up who went away, booked time off or changed hours, with one search call', async () => {
    h = await startHarness(provider);
    await h.service.run();
    h.clock.advance(1000);
    const now = h.clock.now().getTime();
    const [a, b] = h.sim.portal.users;
    h.sim.portal.updateUser(a!.id, { availability: 'away' }, now);
    const vacation = { startTimestamp: now + 86_400_000, endTimestamp: now + 5 * 86_400_000 };
    h.sim.portal.updateUser(
      b!.id,
      {
        outOfOffice: JSON.stringify([vacation]),
        workingHours: JSON.stringify([{ days: 'EVERY_DAY', startMinute: 420, endMinute: 900 }]),
        timeZone: 'Asia/Tokyo',
      },
      now,
    );
    h.sim.resetCounts();
    const stats = await h.service.run();
    expect(stats.records.users).toBe(2);
    expect(h.sim.counts.get('POST /crm/objects/2026-09/users/search')).toBe(1);
    expect(h.sim.counts.get('GET /crm/objects/2026-09/users')).toBeUndefined();
    expect((await h.db.prisma.hubspotUser.findUniqueOrThrow({ where: { id: a!.id } })).availabilityStatus).toBe('away');
    const bRow = await h.db.prisma.hubspotUser.findUniqueOrThrow({ where: { id: b!.id } });
    expect(bRow.timeZone).toBe('Asia/Tokyo');
    const away = await h.db.prisma.userOutOfOffice.findMany({ where: { userId: b!.id } });
    expect(away.map((p) => [p.startsAt.getTime(), p.endsAt.getTime()])).toEqual([
      [vacation.startTimestamp, vacation.endTimestamp],
    ]);
    const slots = await h.db.prisma.userWorkingHours.findMany({ where: { userId: b!.id } });
    expect(slots.map((s) => s.weekday).sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(slots.map((s) => `${s.startMinute}-${s.endMinute}`))).toEqual(new Set(['420-900']));
  });

  it('an unreadable schedule is logged and stored without slots; the user and the rest still sync', async () => {
    const log = capturingLogger();
    h = await startHarness(provider, { logger: log.logger });
    const broken = h.sim.portal.users[1]!;
    h.sim.portal.updateUser(
      broken.id,
      { workingHours: '[{"days":"FUNDAY","startMinute":1,"endMinute":2}]' },
      h.clock.now().getTime(),
    );
    await h.service.run();
    expect(await h.db.prisma.hubspotUser.count()).toBe(h.sim.portal.users.length);
    const row = await h.db.prisma.hubspotUser.findUniqueOrThrow({ where: { id: broken.id } });
    expect(row.scheduleReadable).toBe(false);
    expect(row.workingHoursRaw).toContain('FUNDAY');
    expect(await h.db.prisma.userWorkingHours.count({ where: { userId: broken.id } })).toBe(0);
    const warning = log.lines().find((l) => l['userId'] === broken.id);
    expect(warning?.['msg']).toBe(
      'A HubSpot user’s working hours or out-of-office periods could not be read; stored without them',
    );
    expect(warning?.['reason']).toBe('hs_working_hours has unknown days "FUNDAY"');
  });

  it('without crm.objects.users.read it says so once and syncs everything else', async () => {
    const log = capturingLogger();
    h = await startHarness(provider, { logger: log.logger, sim: { usersForbidden: true } });
    const first = await h.service.run();
    const second = await h.service.run();
    expect(first.records.users).toBe('forbidden');
    expect(second.records.users).toBe('forbidden');
    expect(first.records.tickets).toBeGreaterThan(0);
    const warnings = log.lines().filter((l) => String(l['msg']).includes('crm.objects.users.read'));
    expect(warnings).toHaveLength(1);
    expect(await h.db.prisma.hubspotUser.count()).toBe(0);
  });
});

describe('parsing HubSpot’s schedule properties', () => {
  it.each([
    ['[{"days":"MONDAY_TO_FRIDAY","startMinute":540,"endMinute":1020}]', 5],
    [
      '[{"days":"SATURDAY_SUNDAY","startMinute":600,"endMinute":1080},{"days":"WEDNESDAY","startMinute":0,"endMinute":1440}]',
      3,
    ],
    ['[]', 0],
    ['', 0],
  ])('%s gives %i weekly slots', (raw, count) => {
    expect(parseWorkingHours(raw)).toHaveLength(count);
  });

  it.each([
    ['{}', 'hs_working_hours is not a list'],
    [
      '[{"days":"MONDAY","startMinute":900,"endMinute":600}]',
      'hs_working_hours has a slot {"startMinute":900,"endMinute":600} outside 0–1440',
    ],
    [
      '[{"days":"MONDAY","startMinute":0,"endMinute":1500}]',
      'hs_working_hours has a slot {"startMinute":0,"endMinute":1500} outside 0–1440',
    ],
  ])('refuses %s: %s', (raw, message) => {
    expect(() => parseWorkingHours(raw)).toThrow(message);
  });

  it('reads out-of-office periods and refuses one that ends before it starts', () => {
    expect(parseOutOfOffice('[{"startTimestamp":1730379600000,"endTimestamp":1730408400000}]')).toEqual([
      { startsAt: 1730379600000, endsAt: 1730408400000 },
    ]);
    expect(() => parseOutOfOffice('[{"startTimestamp":5,"endTimestamp":4}]')).toThrow(
      'hs_out_of_office_hours has a period',
    );
  });
});
