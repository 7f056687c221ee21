// Silent tickets: open tickets nobody has moved for N business days in their stage — the list support leads
// otherwise post by hand every morning ("these have not moved since Monday"). Pure: `now` and the calendar are
// arguments.
//
// What counts as moving a ticket: it was created, it entered its current stage, or a message went either way
// (the latest of createdAt, stageEnteredAt, lastCustomerMessageAt, lastAgentMessageAt). HubSpot's own
// last-modified date is not used on purpose: workflows, SLA recomputation and property syncs bump it without a
// person touching the ticket, so it would hide exactly the tickets this list is for.
//
// A silent business day is a working day of the team's calendar that passed entirely after that moment: a
// ticket last touched Monday 15:00 has two silent days at Thursday 09:00 (Tuesday and Wednesday), whatever the
// hour of the digest. Holidays and weekends do not count. The threshold is per stage (`silent.stages`), else
// the default (`silent.afterDays`); a stage set to 0 is never listed (an "on hold" stage, say).
import type { BusinessCalendar } from './calendar.ts';

export interface TSilenceSettings {
  /** Business days without a move after which an open ticket is listed, unless its stage says otherwise. */
  readonly afterDays: number;
  /** Stage id → business days for that stage; 0 never lists the stage. */
  readonly stages: Readonly<Record<string, number>>;
}

export const DEFAULT_SILENCE: TSilenceSettings = Object.freeze({ afterDays: 3, stages: Object.freeze({}) });

export interface TSilentSubject {
  readonly id: string;
  readonly stageId: string | null;
  readonly isClosed: boolean;
  readonly createdAt: Date;
  readonly stageEnteredAt?: Date | null;
  readonly lastCustomerMessageAt: Date | null;
  readonly lastAgentMessageAt: Date | null;
}

export interface TSilentTicket {
  readonly ticketId: string;
  readonly stageId: string | null;
  /** The last move (see above). */
  readonly since: Date;
  /** Whole business days since then. */
  readonly silentDays: number;
  /** The stage's threshold that listed it. */
  readonly afterDays: number;
}

/** The business-day threshold of a stage (0: the stage is never listed). */
export function silenceThreshold(settings: TSilenceSettings, stageId: string | null): number {
  if (stageId !== null && Object.hasOwn(settings.stages, stageId)) return settings.stages[stageId]!;
  return settings.afterDays;
}

/** The moment a ticket last moved (created, changed stage, or a message either way). */
export function lastMove(ticket: TSilentSubject): Date {
  let at = ticket.createdAt.getTime();
  for (const d of [ticket.stageEnteredAt, ticket.lastCustomerMessageAt, ticket.lastAgentMessageAt]) {
    if (d && d.getTime() > at) at = d.getTime();
  }
  return new Date(at);
}

/**
 * Working days of the calendar that lie entirely after `since` and whose working time ended by `now`. Counting
 * stops at `cap` (enough to compare with any threshold without walking a year of calendar for an old ticket).
 */
export function silentBusinessDays(since: Date, now: Date, calendar: BusinessCalendar, cap = 400): number {
  const zone = calendar.zone;
  const from = zone.localDay(since.getTime());
  const to = zone.localDay(now.getTime());
  let count = 0;
  // Walk back from today: the newest days decide, and an old ticket stops at the cap.
  for (let day = to; day > from && count < cap; day--) {
    const intervals = calendar.dayIntervals(day);
    if (intervals.length === 0) continue;
    if (intervals[intervals.length - 1]!.end > now.getTime()) continue;
    count++;
  }
  return count;
}

/** Open tickets silent for at least their stage's threshold, longest silent first. */
export function silentTickets(
  tickets: readonly TSilentSubject[],
  now: Date,
  calendar: BusinessCalendar,
  settings: TSilenceSettings,
): TSilentTicket[] {
  const out: TSilentTicket[] = [];
  const cap = Math.max(settings.afterDays, ...Object.values(settings.stages), 1) + 60;
  for (const ticket of tickets) {
    if (ticket.isClosed) continue;
    const afterDays = silenceThreshold(settings, ticket.stageId);
    if (afterDays <= 0) continue;
    const since = lastMove(ticket);
    if (since.getTime() > now.getTime()) continue;
    const silentDays = silentBusinessDays(since, now, calendar, cap);
    if (silentDays < afterDays) continue;
    out.push({ ticketId: ticket.id, stageId: ticket.stageId, since, silentDays, afterDays });
  }
  return out.sort(
    (a, b) =>
      b.silentDays - a.silentDays || a.since.getTime() - b.since.getTime() || a.ticketId.localeCompare(b.ticketId),
  );
}
