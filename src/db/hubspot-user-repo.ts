// Heed's copy of HubSpot's users with their availability (HubspotUser, UserWorkingHours, UserOutOfOffice).
import type { HubspotPresence } from '../domain/availability.ts';
import type { UserRow } from '../hubspot/map.ts';
import type { Db } from './client.ts';
import { type CursorWrite, writePageWithCursor } from './page-writer.ts';

export class HubspotUserRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /**
   * Upserts a page of users with their working hours and out-of-office periods (each user's replaced as a whole)
   * and moves the cursor, in one transaction. A row older than the stored copy changes nothing.
   */
  upsertPage(rows: readonly UserRow[], now: number, cursor?: CursorWrite): Promise<{ inserted: string[] }> {
    return writePageWithCursor(this.#db, now, cursor, (tx) => tx.users(rows));
  }

  /**
   * What HubSpot says of the person behind an owner id or one of their emails (the owner id link first), with the
   * out-of-office periods not over at `now`; undefined when HubSpot has no such (unarchived) user.
   */
  async presenceOf(who: { ownerId?: string | undefined; emails?: readonly string[] }, now: Date) {
    // Emails as given and lower-cased: the column is compared exactly (PostgreSQL is case-sensitive).
    const emails = [...new Set((who.emails ?? []).flatMap((e) => [e, e.toLowerCase()]))];
    const or = [
      ...(who.ownerId ? [{ ownerId: who.ownerId }] : []),
      ...(emails.length > 0 ? [{ email: { in: emails } }] : []),
    ];
    if (or.length === 0) return undefined;
    const users = await this.#db.prisma.hubspotUser.findMany({
      where: { archived: false, OR: or },
      orderBy: { modifiedAt: 'desc' },
    });
    const user = users.find((u) => who.ownerId && u.ownerId === who.ownerId) ?? users[0];
    if (!user) return undefined;
    const [hours, periods] = await Promise.all([
      this.#db.prisma.userWorkingHours.findMany({ where: { userId: user.id } }),
      this.#db.prisma.userOutOfOffice.findMany({ where: { userId: user.id, endsAt: { gt: now } } }),
    ]);
    const presence: HubspotPresence & { name: string | undefined } = {
      name: [user.firstName, user.lastName].filter(Boolean).join(' ') || undefined,
      availabilityStatus: user.availabilityStatus,
      timeZone: user.timeZone,
      workingHours: hours.map((h) => ({ weekday: h.weekday, startMinute: h.startMinute, endMinute: h.endMinute })),
      outOfOffice: periods.map((p) => ({ startsAt: p.startsAt, endsAt: p.endsAt })),
    };
    return presence;
  }
}
