// What the morning list reads and writes: who opted in (UserSetting), a person's HubSpot schedule (HubspotUser with
// UserWorkingHours and UserOutOfOffice), their open items (flags of tickets they own, and flags they claimed), and
// which of the day's lists are already in the outbox.
import { OPEN_FLAG_STATES } from '../domain/flag.ts';
import type { Flag } from '../generated/sqlite/client.ts';
import type { Db } from './client.ts';

export interface DailySetting {
  slackUserId: string;
  dailyList: boolean;
  slackTimeZone: string | null;
  mutedUntil: Date | null;
}

export interface HubspotSchedule {
  id: string;
  ownerId: string | null;
  email: string | null;
  availabilityStatus: string | null;
  timeZone: string | null;
  scheduleReadable: boolean;
  slots: { weekday: number; startMinute: number; endMinute: number }[];
  outOfOffice: { startsAt: Date; endsAt: Date }[];
}

export class DailyListRepo {
  readonly #prisma: Db['prisma'];

  constructor(db: Pick<Db, 'prisma'>) {
    this.#prisma = db.prisma;
  }

  async setting(slackUserId: string): Promise<DailySetting | undefined> {
    const row = await this.#prisma.userSetting.findUnique({ where: { slackUserId } });
    return row ?? undefined;
  }

  async setDailyList(slackUserId: string, on: boolean, now: Date): Promise<void> {
    await this.#prisma.userSetting.upsert({
      where: { slackUserId },
      create: { slackUserId, dailyList: on, updatedAt: now },
      update: { dailyList: on, updatedAt: now },
    });
  }

  async setSlackTimeZone(slackUserId: string, slackTimeZone: string, now: Date): Promise<void> {
    await this.#prisma.userSetting.upsert({
      where: { slackUserId },
      create: { slackUserId, slackTimeZone, updatedAt: now },
      update: { slackTimeZone, updatedAt: now },
    });
  }

  /** Everyone who asked for the list, in a stable order. */
  optedIn(): Promise<DailySetting[]> {
    return this.#prisma.userSetting.findMany({ where: { dailyList: true }, orderBy: { slackUserId: 'asc' } });
  }

  /** The HubSpot user with one of these emails (case-insensitive), not archived, with their schedule. */
  async hubspotSchedule(emails: readonly string[]): Promise<HubspotSchedule | undefined> {
    if (emails.length === 0) return undefined;
    const wanted = new Set(emails.map((e) => e.toLowerCase()));
    const variants = [...new Set(emails.flatMap((e) => [e, e.toLowerCase()]))];
    const users = await this.#prisma.hubspotUser.findMany({
      where: { email: { in: variants }, archived: false },
      orderBy: { id: 'asc' },
    });
    const user = users.find((u) => u.email && wanted.has(u.email.toLowerCase()));
    if (!user) return undefined;
    const [slots, outOfOffice] = await Promise.all([
      this.#prisma.userWorkingHours.findMany({
        where: { userId: user.id },
        orderBy: [{ weekday: 'asc' }, { startMinute: 'asc' }],
      }),
      this.#prisma.userOutOfOffice.findMany({ where: { userId: user.id }, orderBy: { startsAt: 'asc' } }),
    ]);
    return {
      id: user.id,
      ownerId: user.ownerId,
      email: user.email,
      availabilityStatus: user.availabilityStatus,
      timeZone: user.timeZone,
      scheduleReadable: user.scheduleReadable,
      slots: slots.map(({ weekday, startMinute, endMinute }) => ({ weekday, startMinute, endMinute })),
      outOfOffice: outOfOffice.map(({ startsAt, endsAt }) => ({ startsAt, endsAt })),
    };
  }

  /**
   * Open flags of open tickets these owners own, open flags this Slack user claimed (someone else's ticket they
   * said they are on) or covers for an away owner, at most `limit`, earliest due first; `total` counts them all.
   */
  async openItems(
    ownerIds: readonly string[],
    slackUserId: string,
    limit: number,
  ): Promise<{ flags: Flag[]; total: number }> {
    const tickets = ownerIds.length
      ? await this.#prisma.ticket.findMany({
          where: { ownerId: { in: [...ownerIds] }, isClosed: false, archived: false },
          select: { id: true },
        })
      : [];
    // Tickets they cover for an away owner (Nudge.cover names them as the backup while the owner is away): the
    // owner gets no list while away, so these would otherwise be on nobody's.
    const coverRows = await this.#prisma.nudge.findMany({
      where: { activeKey: { not: null }, cover: { contains: `"backup":${JSON.stringify(slackUserId)}` } },
      select: { flagKey: true, cover: true },
    });
    const covered = coverRows
      .filter((row) => {
        try {
          const cover = JSON.parse(row.cover ?? '') as { reason?: unknown; backup?: unknown };
          return cover.reason !== undefined && cover.backup === slackUserId;
        } catch {
          return false;
        }
      })
      .map((row) => row.flagKey);
    const where = {
      state: { in: [...OPEN_FLAG_STATES] },
      OR: [
        { claimedBy: slackUserId },
        ...(tickets.length ? [{ ticketId: { in: tickets.map((t) => t.id) } }] : []),
        ...(covered.length ? [{ key: { in: covered } }] : []),
      ],
    };
    const [flags, total] = await Promise.all([
      this.#prisma.flag.findMany({
        where,
        orderBy: [{ dueAt: { sort: 'asc', nulls: 'last' } }, { key: 'asc' }],
        take: limit,
      }),
      this.#prisma.flag.count({ where }),
    ]);
    return { flags, total };
  }

  /** Which of these outbox idempotency keys exist (queued or sent). */
  async existingOutboxKeys(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.#prisma.outboxMessage.findMany({
      where: { idempotencyKey: { in: [...keys] } },
      select: { idempotencyKey: true },
    });
    return new Set(rows.map((r) => r.idempotencyKey));
  }
}
