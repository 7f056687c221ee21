// A person's own working day: when it starts, whether today is a day off, whether they are away at its start.
// Pure: time is an argument, zones are IANA names. What the morning list (src/slack/daily-list.ts) decides from.
//
// Where the hours come from, in this order:
// 1. The person's HubSpot working hours (UserWorkingHours) in their HubSpot time zone (hs_standard_time_zone).
// 2. No (readable) working hours in HubSpot: their team's calendar hours, read as wall times in the person's
//    Slack time zone (users.info `tz`) — a Berlin team member working from Lisbon starts at 09:00 Lisbon time —
//    or, when Slack has not told Heed their zone either, in the team calendar's own zone.
// Either way the team calendar's holidays are days off (a holiday is a date: it is applied to the person's local
// date), and a HubSpot time zone Heed cannot read falls through to the next zone rather than failing.
// The start of a working day is the first slot of that weekday; a slot belongs to the day it starts on.
import {
  type AwayReason as AvailabilityReason,
  type AwayRules,
  awayState,
  type SlackPresence,
} from './availability.ts';
import { createTimeZone, dayFromIsoDate, isoDateFromDay, type TimeZone, weekdayOfDay } from './time-zone.ts';
import { clockTimeMinutes, type TWeekday, WEEKDAYS } from './week.ts';

/** A weekly slot in the person's zone: ISO weekday (1 = Monday … 7 = Sunday), minutes from local midnight. */
export interface WorkingSlot {
  readonly weekday: number;
  readonly startMinute: number;
  readonly endMinute: number;
}

export interface OutOfOfficePeriod {
  readonly startsAt: Date;
  readonly endsAt: Date;
}

/** The facts a week is built from (HubSpot's copy of the person, their team's calendar, Slack's zone). */
export interface WorkWeekSources {
  readonly hubspot?: { readonly timeZone: string | null; readonly slots: readonly WorkingSlot[] } | undefined;
  readonly team: {
    readonly name: string;
    readonly timezone: string;
    readonly hours: Partial<Record<TWeekday, ReadonlyArray<readonly [string, string]>>>;
    readonly holidays?: readonly string[] | undefined;
  };
  readonly slackTimeZone?: string | null | undefined;
}

export interface WorkWeek {
  /** Whose hours: the person's own (HubSpot) or their team's calendar. */
  readonly hoursFrom: 'hubspot' | 'team-calendar';
  /** Where the zone came from. */
  readonly zoneFrom: 'hubspot' | 'slack' | 'team-calendar';
  readonly team: string;
  readonly zone: TimeZone;
  /** Sorted by weekday, then start. */
  readonly slots: readonly WorkingSlot[];
  /** Local days off besides the weekly pattern (the team calendar's holidays). */
  readonly holidays: ReadonlySet<number>;
}

const MINUTE = 60_000;

function zoneOrUndefined(name: string | null | undefined): TimeZone | undefined {
  if (!name) return undefined;
  try {
    return createTimeZone(name);
  } catch {
    return undefined;
  }
}

/** The person's week from what Heed knows (see the order at the top of this file). */
export function workWeek(sources: WorkWeekSources): WorkWeek {
  const holidays = new Set((sources.team.holidays ?? []).map(dayFromIsoDate));
  const teamZone = createTimeZone(sources.team.timezone);
  const slackZone = zoneOrUndefined(sources.slackTimeZone);
  const own = sources.hubspot?.slots.filter((s) => s.weekday >= 1 && s.weekday <= 7 && s.startMinute < 1440) ?? [];
  if (own.length > 0) {
    const hubspotZone = zoneOrUndefined(sources.hubspot?.timeZone);
    const [zone, zoneFrom] = hubspotZone
      ? ([hubspotZone, 'hubspot'] as const)
      : slackZone
        ? ([slackZone, 'slack'] as const)
        : ([teamZone, 'team-calendar'] as const);
    return { hoursFrom: 'hubspot', zoneFrom, team: sources.team.name, zone, slots: sortSlots(own), holidays };
  }
  const slots: WorkingSlot[] = [];
  WEEKDAYS.forEach((key, index) => {
    for (const [from, to] of sources.team.hours[key] ?? []) {
      slots.push({ weekday: index + 1, startMinute: clockTimeMinutes(from), endMinute: clockTimeMinutes(to) });
    }
  });
  return {
    hoursFrom: 'team-calendar',
    zoneFrom: slackZone ? 'slack' : 'team-calendar',
    team: sources.team.name,
    zone: slackZone ?? teamZone,
    slots: sortSlots(slots),
    holidays,
  };
}

function sortSlots(slots: readonly WorkingSlot[]): WorkingSlot[] {
  return [...slots].sort((a, b) => a.weekday - b.weekday || a.startMinute - b.startMinute);
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a local epoch day. */
export function isoWeekdayOfDay(day: number): number {
  return weekdayOfDay(day) + 1;
}

export type DayStart = { kind: 'working'; startsAt: Date } | { kind: 'day-off'; reason: 'no-hours' | 'holiday' };

/**
 * When the person's working day on local day `day` starts: the first slot of that weekday, as an instant. A start
 * inside a skipped (spring-forward) hour is the moment of the change; inside a repeated hour, its first occurrence.
 */
export function workingDayStart(week: WorkWeek, day: number): DayStart {
  if (week.holidays.has(day)) return { kind: 'day-off', reason: 'holiday' };
  const first = week.slots.find((slot) => slot.weekday === isoWeekdayOfDay(day));
  if (!first) return { kind: 'day-off', reason: 'no-hours' };
  return { kind: 'working', startsAt: new Date(week.zone.toInstant(day, first.startMinute)) };
}

export interface AwayFacts {
  /** hs_availability_status as HubSpot said it at the last sync ("available", "away"); only known for now. */
  readonly availabilityStatus?: string | null | undefined;
  readonly outOfOffice: readonly OutOfOfficePeriod[];
  /** Their Slack status now (users.info), with the rules that say which statuses mean away; unknown: not read. */
  readonly slack?: { status: SlackPresence | undefined; rules: Pick<AwayRules, 'statusEmoji' | 'statusText'> };
}

export type AwayReason = Extract<AvailabilityReason, 'hubspot-away' | 'out-of-office' | 'slack-status'>;

/**
 * Away at `at`: an out-of-office period covers it (start inclusive, end exclusive), HubSpot says the person is
 * away, or their Slack status does (until it expires) — the same rules routing follows (availability.ts), but
 * off-hours never count: the morning list is for the start of a working day. The availability status and the
 * Slack status are present facts, so callers pass the start of the day as `at` only for periods.
 */
export function awayAt(facts: AwayFacts, at: Date): AwayReason | undefined {
  const state = awayState(
    {
      hubspot: { availabilityStatus: facts.availabilityStatus ?? null, outOfOffice: facts.outOfOffice },
      slack: facts.slack?.status,
    },
    at,
    {
      statusEmoji: facts.slack?.rules.statusEmoji ?? [],
      statusText: facts.slack?.rules.statusText ?? [],
      outsideWorkingHours: false,
    },
  );
  return state.away && state.reason !== 'off-hours' ? state.reason : undefined;
}

/** What the morning list does for a person at `now`. `day` is their local date ("YYYY-MM-DD") the decision is for. */
export type MorningDecision =
  | { kind: 'send'; day: string; startsAt: Date; late: boolean }
  | { kind: 'not-yet'; day: string; startsAt: Date }
  | { kind: 'too-late'; day: string; startsAt: Date }
  | { kind: 'day-off'; day: string; reason: 'no-hours' | 'holiday' }
  | { kind: 'away'; day: string; startsAt: Date; reason: AwayReason };

/** Sent this long after the start at most (Heed was down at 09:00: the list still comes until 12:00). */
export const MORNING_CATCH_UP_MS = 3 * 60 * MINUTE;
/** Later than this after the start, a list is marked late (it says so). */
export const MORNING_LATE_AFTER_MS = 10 * MINUTE;

/**
 * Whether the person's morning list is due at `now`: their working day started at most `catchUpMs` ago (today's,
 * or yesterday's when a late start crosses midnight), they are not away at its start (an out-of-office period
 * covering it) nor away in HubSpot now. Otherwise why not, for today's date.
 */
export function morningDecision(
  week: WorkWeek,
  away: AwayFacts,
  now: Date,
  catchUpMs = MORNING_CATCH_UP_MS,
): MorningDecision {
  const today = week.zone.localDay(now.getTime());
  for (const day of [today, today - 1]) {
    const start = workingDayStart(week, day);
    if (start.kind !== 'working') continue;
    const since = now.getTime() - start.startsAt.getTime();
    if (since < 0 || since >= catchUpMs) continue;
    const iso = isoDateFromDay(day);
    const reason = awayAt(away, start.startsAt);
    if (reason) return { kind: 'away', day: iso, startsAt: start.startsAt, reason };
    return { kind: 'send', day: iso, startsAt: start.startsAt, late: since > MORNING_LATE_AFTER_MS };
  }
  const iso = isoDateFromDay(today);
  const start = workingDayStart(week, today);
  if (start.kind === 'day-off') return { kind: 'day-off', day: iso, reason: start.reason };
  return start.startsAt > now
    ? { kind: 'not-yet', day: iso, startsAt: start.startsAt }
    : { kind: 'too-late', day: iso, startsAt: start.startsAt };
}

/** The next local day (from `now`'s, up to two weeks ahead) whose working day starts after `now`. */
export function nextWorkingDayStart(week: WorkWeek, now: Date): { day: string; startsAt: Date } | undefined {
  const today = week.zone.localDay(now.getTime());
  for (let day = today; day <= today + 14; day++) {
    const start = workingDayStart(week, day);
    if (start.kind === 'working' && start.startsAt > now) return { day: isoDateFromDay(day), startsAt: start.startsAt };
  }
  return undefined;
}

const SHORT_DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function clock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/** ISO weekdays as ranges, a week wrapping round ("Sun–Thu", "Mon–Fri", "Mon, Wed"). */
export function describeWeekdays(weekdays: readonly number[]): string {
  const set = new Set(weekdays);
  if (set.size === 7) return 'every day';
  // Start after a day that is not in the set, so a run across Sunday → Monday stays one run.
  let first = 1;
  while (set.has(first === 1 ? 7 : first - 1)) first++;
  const order = Array.from({ length: 7 }, (_, i) => ((first - 1 + i) % 7) + 1);
  const runs: number[][] = [];
  for (const day of order) {
    if (!set.has(day)) continue;
    const last = runs.at(-1);
    const previous = last?.at(-1);
    if (last && previous !== undefined && (previous % 7) + 1 === day) last.push(day);
    else runs.push([day]);
  }
  return runs
    .map((run) =>
      run.length === 1
        ? SHORT_DAYS[run[0]! - 1]!
        : run.length === 2
          ? `${SHORT_DAYS[run[0]! - 1]}, ${SHORT_DAYS[run[1]! - 1]}`
          : `${SHORT_DAYS[run[0]! - 1]}–${SHORT_DAYS[run.at(-1)! - 1]}`,
    )
    .join(', ');
}

/** The week's day starts in words: "09:00 Mon–Fri", "08:00 Mon, Tue; 10:00 Sun". */
export function describeDayStarts(week: Pick<WorkWeek, 'slots'>): string {
  const starts = new Map<number, number[]>();
  for (let weekday = 1; weekday <= 7; weekday++) {
    const first = week.slots.find((slot) => slot.weekday === weekday);
    if (!first) continue;
    starts.set(first.startMinute, [...(starts.get(first.startMinute) ?? []), weekday]);
  }
  if (starts.size === 0) return 'no working days';
  return [...starts]
    .sort((a, b) => a[1][0]! - b[1][0]!)
    .map(([minute, days]) => `${clock(minute)} ${describeWeekdays(days)}`)
    .join('; ');
}

/** Local wall time of an instant in a zone: "14:20", or "Tue 14:20" when not on `sameDayAs`'s local day. */
export function localTime(zone: TimeZone, at: Date, sameDayAs?: Date): string {
  const ms = at.getTime();
  const wall = new Date(ms + zone.offsetAt(ms)).toISOString().slice(11, 16);
  if (sameDayAs && zone.localDay(sameDayAs.getTime()) === zone.localDay(ms)) return wall;
  const day = zone.localDay(ms);
  const date = isoDateFromDay(day);
  const thisYear = sameDayAs && isoDateFromDay(zone.localDay(sameDayAs.getTime())).slice(0, 4) === date.slice(0, 4);
  // Within a week either side the weekday is enough; further away, the date.
  const near = sameDayAs && Math.abs(day - zone.localDay(sameDayAs.getTime())) < 7;
  if (near) return `${SHORT_DAYS[weekdayOfDay(day)]} ${wall}`;
  return `${thisYear ? date.slice(5) : date} ${wall}`;
}
