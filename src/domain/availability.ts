// Whether a person is away right now, and until when — from what HubSpot says of them (availability status,
// out-of-office periods, working hours in their own time zone) and from their Slack status. Pure: time is an
// argument, and the inputs are plain values (no Slack or Prisma types), so the morning DM list and the nudge
// routing ask the same question the same way.
import { createTimeZone, type TimeZone, weekdayOfDay } from './time-zone.ts';

const MINUTE = 60_000;

/** A weekly working slot in the person's own time zone: ISO weekday (1 = Monday … 7 = Sunday), minutes 0–1440. */
export interface WeeklySlot {
  weekday: number;
  startMinute: number;
  endMinute: number;
}

/** What HubSpot says of a user (its users object: hs_availability_status, hs_out_of_office_hours, …). */
export interface HubspotPresence {
  /** "available" or "away"; null when unset. */
  availabilityStatus?: string | null | undefined;
  /** IANA zone the working hours are in. */
  timeZone?: string | null | undefined;
  workingHours?: readonly WeeklySlot[] | undefined;
  outOfOffice?: readonly { startsAt: Date; endsAt: Date }[] | undefined;
}

/** A Slack profile's status (users.info: profile.status_text, status_emoji, status_expiration). */
export interface SlackPresence {
  text: string;
  emoji: string;
  /** When the status clears itself; undefined: it stays until changed (Slack's status_expiration 0). */
  expiresAt?: Date | undefined;
}

export interface AwayRules {
  /** Status emoji that mean away (":palm_tree:"), compared exactly. */
  statusEmoji: readonly string[];
  /** Words or phrases in a status text that mean away ("out of office"), whole words, any case. */
  statusText: readonly string[];
  /** Outside their HubSpot working hours counts as away (only for people HubSpot has working hours of). */
  outsideWorkingHours: boolean;
}

export interface Person {
  hubspot?: HubspotPresence | undefined;
  slack?: SlackPresence | undefined;
}

export type AwayReason = 'hubspot-away' | 'out-of-office' | 'off-hours' | 'slack-status';

export type AwayState =
  | { away: false }
  | {
      away: true;
      reason: AwayReason;
      /** When they are back: every reason that holds then is followed to its end. Undefined: not known. */
      until?: Date | undefined;
      /** The Slack status that said so (emoji and text), for the message. */
      status?: string | undefined;
    };

export const AVAILABLE: AwayState = Object.freeze({ away: false });

/** How far ahead a working slot is looked for (a person with none in a week has no next start). */
const LOOKAHEAD_DAYS = 8;
/** Reasons followed one after another (off-hours → out of office → off-hours …) before giving up on `until`. */
const MAX_CHAIN = 12;

/**
 * Whether `person` is away at `now` and, when known, until when. The reason is the one that holds now; `until` is
 * when none holds any more (an out-of-office ending at Sunday 23:59 for someone who starts Monday 09:00 is away
 * until Monday 09:00).
 */
export function awayState(person: Person, now: Date, rules: AwayRules): AwayState {
  const first = reasonAt(person, now.getTime(), rules);
  if (!first) return AVAILABLE;
  let until = first.until;
  for (let i = 0; i < MAX_CHAIN && until !== undefined; i++) {
    const next = reasonAt(person, until, rules);
    if (!next) break;
    until = next.until;
  }
  return {
    away: true,
    reason: first.reason,
    until: until === undefined ? undefined : new Date(until),
    ...(first.status ? { status: first.status } : {}),
  };
}

interface Reason {
  reason: AwayReason;
  until: number | undefined;
  status?: string | undefined;
}

/** The strongest reason that holds at `at` (the most telling one first), or none. */
function reasonAt(person: Person, at: number, rules: AwayRules): Reason | undefined {
  const hubspot = person.hubspot;
  const ooo = (hubspot?.outOfOffice ?? []).filter((p) => p.startsAt.getTime() <= at && p.endsAt.getTime() > at);
  if (ooo.length > 0) return { reason: 'out-of-office', until: Math.max(...ooo.map((p) => p.endsAt.getTime())) };
  const status = slackAway(person.slack, at, rules);
  if (status) return status;
  if (hubspot?.availabilityStatus?.toLowerCase() === 'away') return { reason: 'hubspot-away', until: undefined };
  if (rules.outsideWorkingHours && hubspot) {
    const hours = workingHoursOf(hubspot);
    if (hours && !isWorkingAt(hours, at)) return { reason: 'off-hours', until: nextWorkingStart(hours, at) };
  }
  return undefined;
}

function slackAway(slack: SlackPresence | undefined, at: number, rules: AwayRules): Reason | undefined {
  if (!slack) return undefined;
  const expires = slack.expiresAt?.getTime();
  if (expires !== undefined && expires <= at) return undefined;
  if (!slackStatusMeansAway(slack, rules)) return undefined;
  const status = [slack.emoji, slack.text].filter(Boolean).join(' ');
  return { reason: 'slack-status', until: expires, status };
}

/** Whether a Slack status (ignoring its expiry) says away under the configured emoji and texts. */
export function slackStatusMeansAway(slack: Pick<SlackPresence, 'text' | 'emoji'>, rules: AwayRules): boolean {
  const emoji = slack.emoji.trim().toLowerCase();
  if (emoji && rules.statusEmoji.some((e) => e.toLowerCase() === emoji)) return true;
  const text = slack.text.toLowerCase();
  return rules.statusText.some((phrase) => {
    const p = phrase.trim().toLowerCase();
    if (!p) return false;
    // Whole words: "OOO" matches "OOO until Monday", not "Zooom call".
    const escaped = p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'u').test(text);
  });
}

/** Someone's weekly hours in their zone, ready to ask; undefined when HubSpot has none or the zone is unknown. */
export interface WorkingHours {
  zone: TimeZone;
  slots: readonly WeeklySlot[];
}

export function workingHoursOf(hubspot: Pick<HubspotPresence, 'timeZone' | 'workingHours'>): WorkingHours | undefined {
  const slots = (hubspot.workingHours ?? []).filter(
    (s) => s.weekday >= 1 && s.weekday <= 7 && s.startMinute < s.endMinute,
  );
  if (slots.length === 0 || !hubspot.timeZone) return undefined;
  try {
    return { zone: createTimeZone(hubspot.timeZone), slots };
  } catch {
    // A zone this runtime does not know: no working hours rather than a wrong guess.
    return undefined;
  }
}

/** The slots of a local day as instants, in order. */
function daySlots(hours: WorkingHours, day: number): [number, number][] {
  const weekday = weekdayOfDay(day) + 1;
  return hours.slots
    .filter((s) => s.weekday === weekday)
    .map((s): [number, number] => [hours.zone.toInstant(day, s.startMinute), hours.zone.toInstant(day, s.endMinute)])
    .sort((a, b) => a[0] - b[0]);
}

/** Whether `at` falls in one of the person's working slots. */
export function isWorkingAt(hours: WorkingHours, at: number): boolean {
  const day = hours.zone.localDay(at);
  return daySlots(hours, day).some(([start, end]) => start <= at && at < end);
}

/**
 * The start of the person's next working slot after `at` (or the one `at` is in, if it is working), skipping slots
 * that only continue one that already runs; undefined when there is none within a week.
 */
export function nextWorkingStart(hours: WorkingHours, at: number): number | undefined {
  const today = hours.zone.localDay(at);
  for (let day = today; day <= today + LOOKAHEAD_DAYS; day++) {
    for (const [start, end] of daySlots(hours, day)) {
      if (end <= at) continue;
      if (start <= at) return start;
      // A slot starting where working time already runs (00:00 after a slot to 24:00) is no start.
      if (isWorkingAt(hours, start - MINUTE)) continue;
      return start;
    }
  }
  return undefined;
}

/**
 * When the person's working day starts on the local day of `at` (their first slot that day), or undefined when
 * they do not work that day — for "good morning" messages sent at the start of someone's own day.
 */
export function workingDayStart(hours: WorkingHours, at: number): number | undefined {
  return daySlots(hours, hours.zone.localDay(at))[0]?.[0];
}
