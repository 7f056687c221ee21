// The digest model: everything a team's daily digest (or Monday's weekly report) says, computed from plain
// rows for the team's "yesterday" in its calendar's time zone. Pure — `now` and the calendar are arguments —
// so the same rows always give the same digest, and rendering (Block Kit, terminal) is a separate step.
import type { TAgentStats } from './agent-stats.ts';
import { type BusinessCalendar, businessTimeBetween } from './calendar.ts';
import {
  clockOutcome,
  clockOutcomes,
  firstResponseMinutes,
  firstResponseTimes,
  isOpenAt,
  median,
  sparkline,
  statsFromRows,
  statsToRows,
  type TDigestClock,
  type TDigestFeedback,
  type TDigestTicket,
  type TStatName,
  type TWindow,
  type TWindowStats,
  windowStats,
} from './digest-stats.ts';
import { formatBusinessMinutes } from './duration.ts';
import type { TFeedbackThresholds } from './feedback.ts';
import type { ClockName } from './flag.ts';
import { DEFAULT_SILENCE, silentTickets, type TSilenceSettings } from './silent.ts';
import { isoDateFromDay, weekdayOfDay } from './time-zone.ts';
import { type TWeekday, WEEKDAYS } from './week.ts';

export type TDigestKind = 'daily' | 'weekly';

export interface TDigestPerson {
  readonly id: string;
  readonly name: string;
  /** From the people map or the Slack user cache; null names the owner in plain text. */
  readonly slackUserId: string | null;
}

export interface TStoredStat {
  readonly day: string;
  readonly metric: string;
  readonly value: number;
}

export interface TDigestInput {
  readonly team: string;
  readonly kind: TDigestKind;
  /** The team's tickets: open ones, and those created or closed during the last 14 days before `now`. */
  readonly tickets: readonly TDigestTicket[];
  /** Latest clock states of those tickets. */
  readonly clocks: readonly TDigestClock[];
  /** The team's feedback answers of the last 14 days, plus any older one still owed a follow-up. */
  readonly feedback: readonly TDigestFeedback[];
  readonly owners: readonly TDigestPerson[];
  /** DailyStat rows already stored for the team (finished days). */
  readonly storedStats: readonly TStoredStat[];
  readonly thresholds: TFeedbackThresholds;
  readonly waitingStageIds: readonly string[];
  /** Daily digests: how many days the digest covers, ending yesterday (see digestPeriodDays). */
  readonly periodDays?: number;
  /**
   * When the digest was due. Its local date decides the period ("yesterday" of that date), so a digest sent
   * late — even after midnight — still reports the day it was meant for; `now` decides what is waiting now.
   */
  readonly scheduledAt?: Date;
  /** Silent tickets: the thresholds (domain/silent.ts); the default when absent. */
  readonly silence?: TSilenceSettings;
  /** Stage id → its label in HubSpot, to name stages in the silent list. */
  readonly stageLabels?: ReadonlyMap<string, string>;
}

export type THeadlineMetric = Extract<
  TStatName,
  'new' | 'solved' | 'open' | 'waiting' | 'breached' | 'frMetPct' | 'nrMetPct' | 'frMedian' | 'frP90'
>;

export interface TMetricLine {
  readonly metric: THeadlineMetric;
  readonly label: string;
  readonly unit: 'count' | 'percent' | 'minutes';
  readonly value: number | null;
  /** What the value is compared with: the previous 7 days' daily average (daily), the week before (weekly). */
  readonly baseline: number | null;
  readonly change: number | null;
  readonly direction: 'up' | 'down' | 'flat' | null;
  /** Whether the change is good news: slower replies going up is worse, more solved is better. */
  readonly verdict: 'better' | 'worse' | 'neutral' | null;
  /** The last 14 days, oldest first. */
  readonly trend: readonly (number | null)[];
  readonly sparkline: string;
}

export interface TOwnerRef {
  /** The HubSpot owner id, so a caller can name the owner in Slack once it knows their user. */
  readonly ownerId: string;
  readonly name: string;
  readonly slackUserId: string | null;
}

export interface TWaitingItem {
  readonly ticketId: string;
  readonly subject: string;
  readonly customer: string | null;
  readonly url: string | null;
  readonly priority: string | null;
  readonly clock: ClockName;
  readonly state: 'breached' | 'at_risk';
  readonly dueAt: Date | null;
  readonly overdueMinutes: number;
  readonly owner: TOwnerRef | null;
  /** Slack user who claimed it ("I'm on it"). */
  readonly claimedBy: string | null;
}

/** A calm first-response clock likely to breach at its owner's pace (a `predicted` flag: domain/predict.ts). */
export interface TLikelyItem {
  readonly ticketId: string;
  readonly subject: string;
  readonly customer: string | null;
  readonly url: string | null;
  /** The due time it is likely to miss. */
  readonly breachAt: Date;
  readonly owner: TOwnerRef | null;
}

/** An open ticket nobody moved for its stage's number of business days (domain/silent.ts). */
export interface TSilentItem {
  readonly ticketId: string;
  readonly subject: string;
  readonly customer: string | null;
  readonly url: string | null;
  readonly stageId: string | null;
  /** The stage's label in HubSpot, else its id, else "no stage". */
  readonly stage: string;
  readonly silentDays: number;
  readonly afterDays: number;
  readonly since: Date;
  readonly owner: TOwnerRef | null;
}

export interface TFeedbackItem {
  readonly id: string;
  readonly surveyType: string;
  readonly value: number | null;
  readonly comment: string | null;
  readonly contact: string | null;
  readonly submittedAt: Date;
  readonly state: 'pending' | 'overdue';
  readonly dueAt: Date | null;
  readonly url: string | null;
}

export interface TCompare {
  readonly now: number;
  readonly before: number;
}

export interface TDeclineSignal {
  readonly kind: 'complaints' | 'promoters' | 'slower' | 'sla';
  /** Plain sentence, no markup (both renderers use it). */
  readonly text: string;
}

export interface TCountRow {
  readonly name: string;
  /** In the digest's period. */
  readonly count: number;
  /** Daily: the last 7 days (period included); weekly: the week before. */
  readonly recent: number;
}

/** The numbers of one week, for the week-over-week comparison. */
export type TWeekNumbers = Pick<
  TWindowStats,
  'new' | 'solved' | 'open' | 'waiting' | 'breached' | 'frMetPct' | 'nrMetPct' | 'frMedian'
>;

/** One agent (ticket owner) over the digest's period, and what waits on them now. */
export interface TAgentRow {
  readonly owner: TOwnerRef;
  /** First replies made in the period, and their median business minutes (null without any). */
  readonly firstReplies: number;
  readonly medianFirstReplyMinutes: number | null;
  /** Of their tickets' first-response clocks decided in the period: how many, and the share met. */
  readonly frDecided: number;
  readonly frMetPct: number | null;
  readonly closed: number;
  /** Their open tickets breached or at risk now. */
  readonly waitingNow: number;
}

export interface TDigestModel {
  readonly kind: TDigestKind;
  readonly team: string;
  readonly generatedAt: Date;
  /** The team calendar's IANA zone: days are cut at its midnight, and the terminal shows its times. */
  readonly timeZone: string;
  /** The team's local date the digest is for (DigestRun.day): the day it is sent. */
  readonly runDay: string;
  readonly period: {
    readonly firstDay: string;
    readonly lastDay: string;
    readonly days: number;
    readonly start: Date;
    readonly end: Date;
    /** "yesterday (Sun 22 Nov)", "Fri 20 Nov – Sun 22 Nov", "the week of Mon 16 Nov". */
    readonly label: string;
    /** The first and last day as people write them: "Fri 20 Nov". */
    readonly firstLabel: string;
    readonly lastLabel: string;
  };
  readonly comparedWith: string;
  readonly numbers: readonly TMetricLine[];
  /** The trend's days (ISO dates, oldest first), one per value of each TMetricLine.trend. */
  readonly trendDays: readonly string[];
  /** The 7 days ending with the period against the 7 before (the weekly report: its week and the week before). */
  readonly weekOverWeek: { readonly thisWeek: TWeekNumbers; readonly weekBefore: TWeekNumbers };
  /** Agents with first replies, closed tickets or waiting tickets in the period, busiest first. */
  readonly agents: readonly TAgentRow[];
  /**
   * The weekly report's per-agent SLA figures over its week (agent-stats.ts: met % per clock, first-response
   * median and p90, handled), added by the digest service from the stored clocks; absent from daily digests.
   */
  readonly agentSla?: TAgentStats | undefined;
  /** Every breached or at-risk open ticket, most urgent first (renderers show the top few). */
  readonly waiting: { readonly items: readonly TWaitingItem[]; readonly breached: number; readonly atRisk: number };
  /** Calm tickets likely to breach (predicted flags), soonest first; empty when predictions are off. */
  readonly likely: readonly TLikelyItem[];
  /**
   * Open tickets silent for their stage's business days now, longest silent first (renderers show the top few),
   * and how many per stage. Empty: the digest says so ("nothing silent").
   */
  readonly silent: {
    readonly items: readonly TSilentItem[];
    readonly byStage: readonly { readonly stage: string; readonly count: number; readonly afterDays: number }[];
    /** The default threshold, for the "nothing silent" line. */
    readonly afterDays: number;
  };
  readonly feedback: {
    /** Negative answers still owed a follow-up, overdue first, then oldest first. */
    readonly unanswered: readonly TFeedbackItem[];
    /** This week (7 days ending with the period) against the 7 days before. */
    readonly detractors: TCompare;
    readonly lowCsat: TCompare;
    readonly negative: TCompare;
    readonly responses: TCompare;
  };
  readonly decline: readonly TDeclineSignal[];
  readonly origins: { readonly categories: readonly TCountRow[]; readonly sources: readonly TCountRow[] };
  readonly thanks: {
    /**
     * The owner whose first replies were quickest (median over at least THANKS_MIN_TICKETS of them), and only
     * when that median is no slower than the team's own for the period: "fastest" beside a faster team median
     * would contradict the numbers above it.
     */
    readonly fastest: {
      readonly owner: TOwnerRef;
      readonly medianMinutes: number;
      readonly tickets: number;
      /** The team's median first response over the same period (the "Median first response" line). */
      readonly teamMedianMinutes: number;
    } | null;
    readonly mostClosed: { readonly owner: TOwnerRef; readonly count: number } | null;
  };
  /** Nothing happened and nothing waits: the digest is one line. */
  readonly allClear: boolean;
  /** Finished days computed from rows here (period days always, older days when not stored): to be stored. */
  readonly dailyStats: readonly TStoredStat[];
}

const DAY_MS = 86_400_000;
export const TREND_DAYS = 14;
/** "At least 3 tickets" for recognition: one lucky reply is not a pattern. */
export const THANKS_MIN_TICKETS = 3;

const HEADLINES: readonly {
  metric: THeadlineMetric;
  label: string;
  unit: TMetricLine['unit'];
  /** Which way is good news; 'neutral' for volumes nobody controls. */
  better: 'up' | 'down' | 'neutral';
  /** Flows add up over days (compare with the daily average × days); levels and rates do not. */
  flow: boolean;
}[] = [
  { metric: 'new', label: 'New tickets', unit: 'count', better: 'neutral', flow: true },
  { metric: 'solved', label: 'Solved', unit: 'count', better: 'up', flow: true },
  { metric: 'open', label: 'Still open', unit: 'count', better: 'down', flow: false },
  { metric: 'waiting', label: 'Waiting on us', unit: 'count', better: 'down', flow: false },
  { metric: 'breached', label: 'SLA breaches', unit: 'count', better: 'down', flow: true },
  { metric: 'frMetPct', label: 'First-response SLA met', unit: 'percent', better: 'up', flow: false },
  { metric: 'nrMetPct', label: 'Next-response SLA met', unit: 'percent', better: 'up', flow: false },
  { metric: 'frMedian', label: 'Median first response', unit: 'minutes', better: 'down', flow: false },
  { metric: 'frP90', label: '90th percentile first response', unit: 'minutes', better: 'down', flow: false },
];

/**
 * How many days a daily digest covers: back to the previous digest day, so Monday's digest (Mon–Fri
 * schedule) reports Friday to Sunday instead of only Sunday. At most 7.
 */
export function digestPeriodDays(todayWeekday: number, digestDays: readonly TWeekday[]): number {
  for (let back = 1; back <= 7; back++) {
    if (digestDays.includes(WEEKDAYS[(((todayWeekday - back) % 7) + 7) % 7]!)) return back;
  }
  return 1;
}

const dayLabel = (day: number) =>
  new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(day * DAY_MS),
  );

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function average(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length;
}

/** How much happened on a day: rows arriving late (a sync catching up) only ever make it grow. */
function activity(stats: TWindowStats): number {
  return stats.new + stats.solved + stats.firstResponses + stats.responses + stats.frDecided + stats.nrDecided;
}

/** A change smaller than this reads as "about the same". */
function isFlat(unit: TMetricLine['unit'], change: number, baseline: number): boolean {
  const absolute = unit === 'percent' ? 1 : unit === 'minutes' ? 1 : 0.5;
  return Math.abs(change) < absolute || Math.abs(change) < Math.abs(baseline) * 0.05;
}

export function computeDigest(input: TDigestInput, now: Date, calendar: BusinessCalendar): TDigestModel {
  const zone = calendar.zone;
  const today = zone.localDay((input.scheduledAt ?? now).getTime());
  const dayStart = (day: number) => new Date(zone.toInstant(day, 0));
  const dayWindow = (first: number, last: number): TWindow => ({ start: dayStart(first), end: dayStart(last + 1) });

  // The period: yesterday (or back to the previous digest day), or last Monday–Sunday for the weekly report.
  let firstDay: number;
  let lastDay: number;
  if (input.kind === 'weekly') {
    lastDay = today - weekdayOfDay(today) - 1;
    firstDay = lastDay - 6;
  } else {
    lastDay = today - 1;
    firstDay = today - Math.min(7, Math.max(1, input.periodDays ?? 1));
  }
  const days = lastDay - firstDay + 1;
  const period = dayWindow(firstDay, lastDay);
  // Each ticket's first response is measured once, however many windows (days, weeks) it falls in.
  const measured = new Map<string, number>();
  const measure = (ticket: TDigestTicket) => {
    let minutes = measured.get(ticket.id);
    if (minutes === undefined) {
      minutes = firstResponseMinutes(ticket, calendar);
      measured.set(ticket.id, minutes);
    }
    return minutes;
  };
  const context = {
    calendar,
    thresholds: input.thresholds,
    waitingStageIds: new Set(input.waitingStageIds),
    firstResponseMinutes: measure,
    clockOutcomes: clockOutcomes(input.clocks),
  };
  const rows = { tickets: input.tickets, clocks: input.clocks, feedback: input.feedback };
  const stats = (window: TWindow) => windowStats(rows, window, context);

  // Daily numbers for the trend. The period's own days are always recomputed from fresh rows. An earlier day
  // keeps its stored numbers (rows behind them may have been pruned since) unless the rows now show more
  // activity than was stored: the day was stored before a sync caught up (right after install, or after a
  // HubSpot outage), and a wrong zero must not stay in the trend for ever.
  const storedByDay = new Map<string, { metric: string; value: number }[]>();
  for (const row of input.storedStats) {
    const list = storedByDay.get(row.day) ?? [];
    list.push(row);
    storedByDay.set(row.day, list);
  }
  const dailyStats: TStoredStat[] = [];
  const daily = new Map<number, TWindowStats>();
  const trendFirst = lastDay - TREND_DAYS + 1;
  const baselineFirst = input.kind === 'daily' ? firstDay - 7 : trendFirst;
  for (let day = Math.min(trendFirst, baselineFirst); day <= lastDay; day++) {
    const iso = isoDateFromDay(day);
    const stored = day < firstDay ? statsFromRows(storedByDay.get(iso) ?? []) : undefined;
    const computed = stats(dayWindow(day, day));
    if (stored && activity(stored) >= activity(computed)) {
      daily.set(day, stored);
      continue;
    }
    daily.set(day, computed);
    for (const row of statsToRows(computed)) dailyStats.push({ day: iso, ...row });
  }
  const series = (metric: THeadlineMetric, from: number, to: number) => {
    const out: (number | null)[] = [];
    for (let day = from; day <= to; day++) out.push(daily.get(day)?.[metric] ?? null);
    return out;
  };

  const current = stats(period);
  const before = input.kind === 'weekly' ? stats(dayWindow(firstDay - 7, lastDay - 7)) : undefined;
  const numbers: TMetricLine[] = HEADLINES.map((h) => {
    const value = current[h.metric];
    let baseline: number | null;
    if (before) baseline = before[h.metric];
    else {
      // Rates and medians: the average of the daily values, days with nothing measured left out.
      const avg = average(series(h.metric, firstDay - 7, firstDay - 1));
      baseline = avg === null ? null : round1(h.flow ? avg * days : avg);
    }
    const change = value === null || baseline === null ? null : round1(value - baseline);
    let direction: TMetricLine['direction'] = null;
    let verdict: TMetricLine['verdict'] = null;
    if (change !== null && baseline !== null) {
      direction = isFlat(h.unit, change, baseline) ? 'flat' : change > 0 ? 'up' : 'down';
      verdict =
        direction === 'flat' || h.better === 'neutral' ? 'neutral' : direction === h.better ? 'better' : 'worse';
    }
    const trend = series(h.metric, trendFirst, lastDay);
    return {
      metric: h.metric,
      label: h.label,
      unit: h.unit,
      value,
      baseline,
      change,
      direction,
      verdict,
      trend,
      sparkline: sparkline(trend),
    };
  });

  // Week over week: the 7 days ending with the period against the 7 before.
  const thisWeek = input.kind === 'weekly' ? current : stats(dayWindow(lastDay - 6, lastDay));
  const trendDays: string[] = [];
  for (let day = trendFirst; day <= lastDay; day++) trendDays.push(isoDateFromDay(day));
  const lastWeek = before ?? stats(dayWindow(lastDay - 13, lastDay - 7));
  const owners = new Map(input.owners.map((o) => [o.id, o]));
  const ownerRef = (id: string | null): TOwnerRef | null => {
    if (id === null) return null;
    const owner = owners.get(id);
    // An owner not synced yet is still named, never dropped.
    return owner
      ? { ownerId: id, name: owner.name, slackUserId: owner.slackUserId }
      : { ownerId: id, name: `owner ${id}`, slackUserId: null };
  };

  const model: TDigestModel = {
    kind: input.kind,
    team: input.team,
    generatedAt: now,
    timeZone: zone.name,
    runDay: isoDateFromDay(today),
    period: {
      firstDay: isoDateFromDay(firstDay),
      lastDay: isoDateFromDay(lastDay),
      days,
      start: period.start,
      end: period.end,
      firstLabel: dayLabel(firstDay),
      lastLabel: dayLabel(lastDay),
      label:
        input.kind === 'weekly'
          ? `the week of ${dayLabel(firstDay)}`
          : days === 1
            ? `yesterday (${dayLabel(lastDay)})`
            : `${dayLabel(firstDay)} – ${dayLabel(lastDay)}`,
    },
    comparedWith: input.kind === 'weekly' ? 'the week before' : 'the average of the 7 days before',
    numbers,
    trendDays,
    weekOverWeek: { thisWeek: weekNumbers(thisWeek), weekBefore: weekNumbers(lastWeek) },
    agents: [],
    waiting: waitingNow(input, now, calendar, ownerRef),
    silent: silentNow(input, now, calendar, ownerRef),
    likely: likelyNow(input, now, ownerRef),
    feedback: {
      unanswered: unansweredFeedback(input),
      detractors: { now: thisWeek.detractors, before: lastWeek.detractors },
      lowCsat: { now: thisWeek.lowCsat, before: lastWeek.lowCsat },
      negative: { now: thisWeek.negative, before: lastWeek.negative },
      responses: { now: thisWeek.responses, before: lastWeek.responses },
    },
    decline: declineSignals(thisWeek, lastWeek),
    origins: origins(input, period, input.kind === 'weekly' ? dayWindow(firstDay - 7, lastDay - 7) : undefined, {
      start: dayStart(lastDay - 6),
      end: period.end,
    }),
    thanks: thanks(input, period, calendar, ownerRef, measure, current.frMedian),
    allClear: false,
    dailyStats,
  };
  const withAgents = { ...model, agents: agentRows(input, period, measure, ownerRef, model.waiting.items) };
  return withAllClear(withAgents, current);
}

function weekNumbers(stats: TWindowStats): TWeekNumbers {
  const { new: created, solved, open, waiting, breached, frMetPct, nrMetPct, frMedian } = stats;
  return { new: created, solved, open, waiting, breached, frMetPct, nrMetPct, frMedian };
}

/**
 * Per agent over the period: first replies (and their median), first-response SLAs decided on their tickets,
 * tickets closed, and what of theirs is breached or at risk now. Busiest first (first replies, then closed).
 */
function agentRows(
  input: TDigestInput,
  period: TWindow,
  measure: (ticket: TDigestTicket) => number,
  ownerRef: (id: string | null) => TOwnerRef | null,
  waiting: readonly TWaitingItem[],
): TAgentRow[] {
  const start = period.start.getTime();
  const end = period.end.getTime();
  const inPeriod = (at: Date | null) => at !== null && at.getTime() >= start && at.getTime() < end;
  const rows = new Map<string, { times: number[]; decided: number; met: number; closed: number; waitingNow: number }>();
  const row = (id: string) => {
    let r = rows.get(id);
    if (!r) {
      r = { times: [], decided: 0, met: 0, closed: 0, waitingNow: 0 };
      rows.set(id, r);
    }
    return r;
  };
  const ownerOf = new Map<string, string>();
  for (const ticket of input.tickets) {
    if (ticket.ownerId === null) continue;
    ownerOf.set(ticket.id, ticket.ownerId);
    if (inPeriod(ticket.firstAgentReplyAt)) row(ticket.ownerId).times.push(measure(ticket));
    if (inPeriod(ticket.closedAt)) row(ticket.ownerId).closed++;
  }
  for (const clock of input.clocks) {
    if (clock.clock !== 'firstResponse') continue;
    const owner = ownerOf.get(clock.ticketId);
    const outcome = owner === undefined ? undefined : clockOutcome(clock);
    if (!outcome || !inPeriod(outcome.at)) continue;
    const r = row(owner!);
    r.decided++;
    if (outcome.met) r.met++;
  }
  for (const item of waiting) if (item.owner) row(item.owner.ownerId).waitingNow++;
  return [...rows.entries()]
    .map(([id, r]): TAgentRow => {
      const mid = median(r.times);
      return {
        owner: ownerRef(id)!,
        firstReplies: r.times.length,
        medianFirstReplyMinutes: mid === null ? null : round1(mid),
        frDecided: r.decided,
        frMetPct: r.decided === 0 ? null : round1((r.met / r.decided) * 100),
        closed: r.closed,
        waitingNow: r.waitingNow,
      };
    })
    .sort(
      (a, b) =>
        b.firstReplies - a.firstReplies ||
        b.closed - a.closed ||
        b.waitingNow - a.waitingNow ||
        a.owner.name.localeCompare(b.owner.name),
    );
}

function withAllClear(model: TDigestModel, current: TWindowStats): TDigestModel {
  const quiet =
    current.new === 0 &&
    current.solved === 0 &&
    current.firstResponses === 0 &&
    current.responses === 0 &&
    current.waiting === 0 &&
    model.waiting.items.length === 0 &&
    model.silent.items.length === 0 &&
    model.likely.length === 0 &&
    model.feedback.unanswered.length === 0 &&
    model.decline.length === 0;
  return { ...model, allClear: quiet };
}

/** Calm first-response clocks whose flag predicts a breach, soonest due first. */
function likelyNow(input: TDigestInput, now: Date, ownerRef: (id: string | null) => TOwnerRef | null): TLikelyItem[] {
  const open = new Map(input.tickets.filter((t) => isOpenAt(t, now)).map((t) => [t.id, t]));
  const out: TLikelyItem[] = [];
  for (const clock of input.clocks) {
    const ticket = open.get(clock.ticketId);
    if (!ticket || !clock.predicted || clock.handled || clock.completedAt !== null || clock.dueAt === null) continue;
    if (clock.state !== 'running' || clock.dueAt.getTime() <= now.getTime()) continue;
    out.push({
      ticketId: ticket.id,
      subject: ticket.subject?.trim() || '(no subject)',
      customer: ticket.customer,
      url: ticket.url,
      breachAt: clock.dueAt,
      owner: ownerRef(ticket.ownerId),
    });
  }
  return out.sort((a, b) => a.breachAt.getTime() - b.breachAt.getTime() || (a.ticketId < b.ticketId ? -1 : 1));
}

/** Open tickets nobody moved for their stage's business days (domain/silent.ts), with what a reader needs. */
function silentNow(
  input: TDigestInput,
  now: Date,
  calendar: BusinessCalendar,
  ownerRef: (id: string | null) => TOwnerRef | null,
): TDigestModel['silent'] {
  const settings = input.silence ?? DEFAULT_SILENCE;
  const open = input.tickets.filter((t) => isOpenAt(t, now));
  const byId = new Map(open.map((t) => [t.id, t]));
  const stageName = (id: string | null) => (id === null ? 'no stage' : (input.stageLabels?.get(id) ?? id));
  const items = silentTickets(open, now, calendar, settings).map((s): TSilentItem => {
    const ticket = byId.get(s.ticketId)!;
    return {
      ticketId: s.ticketId,
      subject: ticket.subject?.trim() || '(no subject)',
      customer: ticket.customer,
      url: ticket.url,
      stageId: s.stageId,
      stage: stageName(s.stageId),
      silentDays: s.silentDays,
      afterDays: s.afterDays,
      since: s.since,
      owner: ownerRef(ticket.ownerId),
    };
  });
  const stages = new Map<string, { stage: string; count: number; afterDays: number }>();
  for (const item of items) {
    const row = stages.get(item.stage) ?? { stage: item.stage, count: 0, afterDays: item.afterDays };
    row.count++;
    stages.set(item.stage, row);
  }
  return {
    items,
    byStage: [...stages.values()].sort((a, b) => b.count - a.count || a.stage.localeCompare(b.stage)),
    afterDays: settings.afterDays,
  };
}

const CLOCK_RANK: Record<ClockName, number> = { firstResponse: 0, nextResponse: 1, resolution: 2 };

/** Breached and at-risk open tickets now, one line per ticket (its most urgent clock), most urgent first. */
function waitingNow(
  input: TDigestInput,
  now: Date,
  calendar: BusinessCalendar,
  ownerRef: (id: string | null) => TOwnerRef | null,
): TDigestModel['waiting'] {
  const open = new Map(input.tickets.filter((t) => isOpenAt(t, now)).map((t) => [t.id, t]));
  const best = new Map<string, TWaitingItem>();
  for (const clock of input.clocks) {
    const ticket = open.get(clock.ticketId);
    // Handled in Slack: the team decided it needs nothing more this cycle, as the nudges do.
    if (!ticket || clock.completedAt !== null || clock.state === 'paused' || clock.handled) continue;
    // The stored state is as of the last evaluation; a due time that has passed since is a breach now.
    // Overdue time grows after the evaluation too; the stored figure (which knows about pauses) is a floor.
    let state: TWaitingItem['state'] | undefined;
    let overdue = clock.overdueMinutes;
    const pastDue = clock.dueAt !== null && clock.dueAt.getTime() <= now.getTime();
    if (clock.state === 'breached' || pastDue) {
      state = 'breached';
      if (clock.evaluatedAt && clock.dueAt) {
        const since = new Date(Math.max(clock.evaluatedAt.getTime(), clock.dueAt.getTime()));
        overdue += Math.max(0, Math.floor(businessTimeBetween(since, now, calendar)));
      } else if (pastDue) {
        overdue = Math.max(overdue, Math.floor(businessTimeBetween(clock.dueAt!, now, calendar)));
      }
    } else if (clock.state === 'at_risk') state = 'at_risk';
    if (!state) continue;
    const item: TWaitingItem = {
      ticketId: ticket.id,
      subject: ticket.subject?.trim() || '(no subject)',
      customer: ticket.customer,
      url: ticket.url,
      priority: ticket.priority,
      clock: clock.clock,
      state,
      dueAt: clock.dueAt,
      overdueMinutes: state === 'breached' ? overdue : 0,
      owner: ownerRef(ticket.ownerId),
      claimedBy: clock.claimedBy ?? null,
    };
    const previous = best.get(ticket.id);
    if (!previous || compareWaiting(item, previous) < 0) best.set(ticket.id, item);
  }
  const items = [...best.values()].sort(compareWaiting);
  return {
    items,
    breached: items.filter((i) => i.state === 'breached').length,
    atRisk: items.filter((i) => i.state === 'at_risk').length,
  };
}

/** Breached before at risk; the longest overdue first; then the earliest due; then a stable order. */
function compareWaiting(a: TWaitingItem, b: TWaitingItem): number {
  if (a.state !== b.state) return a.state === 'breached' ? -1 : 1;
  if (a.overdueMinutes !== b.overdueMinutes) return b.overdueMinutes - a.overdueMinutes;
  const due = (a.dueAt?.getTime() ?? Number.POSITIVE_INFINITY) - (b.dueAt?.getTime() ?? Number.POSITIVE_INFINITY);
  if (due !== 0 && !Number.isNaN(due)) return due;
  if (a.clock !== b.clock) return CLOCK_RANK[a.clock] - CLOCK_RANK[b.clock];
  return a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0;
}

function unansweredFeedback(input: TDigestInput): TFeedbackItem[] {
  const owed = input.feedback.filter((f) => f.followUp !== null);
  const asked = new Set(owed.map((f) => f.ticketId));
  const urls = new Map(input.tickets.filter((t) => asked.has(t.id)).map((t) => [t.id, t.url]));
  return owed
    .map((f) => ({
      id: f.id,
      surveyType: f.surveyType,
      value: f.value,
      comment: f.content?.trim() ? f.content.trim() : null,
      contact: f.contact,
      submittedAt: f.submittedAt,
      state: f.followUp!.state,
      dueAt: f.followUp!.dueAt,
      url: f.ticketId ? (urls.get(f.ticketId) ?? null) : null,
    }))
    .sort((a, b) =>
      a.state !== b.state
        ? a.state === 'overdue'
          ? -1
          : 1
        : a.submittedAt.getTime() - b.submittedAt.getTime() || (a.id < b.id ? -1 : 1),
    );
}

/** Plain statements of decline, only when they hold week over week and the numbers are big enough to mean it. */
export function declineSignals(now: TWindowStats, before: TWindowStats): TDeclineSignal[] {
  const out: TDeclineSignal[] = [];
  if (
    // At least 3, two more than before and a quarter up: one extra complaint in a quiet week is noise.
    now.negative >= 3 &&
    now.negative >= before.negative + 2 &&
    now.negative >= before.negative * 1.25
  ) {
    out.push({
      kind: 'complaints',
      text: `Complaints are rising: ${now.negative} negative feedback answers this week, up from ${before.negative} the week before.`,
    });
  }
  if (before.promoters >= 3 && now.promoters <= before.promoters * 0.8) {
    out.push({
      kind: 'promoters',
      text: `Fewer promoters: ${now.promoters} ${now.promoters === 1 ? 'customer' : 'customers'} scored 9–10 this week, down from ${before.promoters} the week before.`,
    });
  }
  if (
    now.frMedian !== null &&
    before.frMedian !== null &&
    now.firstResponses >= 3 &&
    before.firstResponses >= 3 &&
    now.frMedian >= before.frMedian * 1.2 &&
    now.frMedian - before.frMedian >= 10
  ) {
    out.push({
      kind: 'slower',
      text: `Replies are slower: the median first response took ${formatBusinessMinutes(now.frMedian)} of business time this week, up from ${formatBusinessMinutes(before.frMedian)} the week before.`,
    });
  }
  if (now.frMetPct !== null && before.frMetPct !== null && before.frMetPct - now.frMetPct >= 10) {
    out.push({
      kind: 'sla',
      text: `More first responses miss their SLA: ${now.frMetPct}% met this week, down from ${before.frMetPct}% the week before.`,
    });
  }
  return out;
}

function origins(
  input: TDigestInput,
  period: TWindow,
  weekBefore: TWindow | undefined,
  lastSevenDays: TWindow,
): TDigestModel['origins'] {
  const inWindow = (t: TDigestTicket, w: TWindow) =>
    t.createdAt.getTime() >= w.start.getTime() && t.createdAt.getTime() < w.end.getTime();
  const recentWindow = weekBefore ?? lastSevenDays;
  const count = (key: (t: TDigestTicket) => string): TCountRow[] => {
    const rows = new Map<string, { count: number; recent: number }>();
    for (const ticket of input.tickets) {
      const inPeriod = inWindow(ticket, period);
      const inRecent = inWindow(ticket, recentWindow);
      if (!inPeriod && !inRecent) continue;
      const row = rows.get(key(ticket)) ?? { count: 0, recent: 0 };
      if (inPeriod) row.count++;
      if (inRecent) row.recent++;
      rows.set(key(ticket), row);
    }
    return [...rows.entries()]
      .map(([name, row]) => ({ name, ...row }))
      .sort((a, b) => b.count - a.count || b.recent - a.recent || a.name.localeCompare(b.name));
  };
  return {
    categories: count((t) => t.category?.trim() || 'Uncategorised'),
    sources: count((t) => t.source?.trim() || 'Unknown source'),
  };
}

function thanks(
  input: TDigestInput,
  period: TWindow,
  calendar: BusinessCalendar,
  ownerRef: (id: string | null) => TOwnerRef | null,
  measure: (ticket: TDigestTicket) => number,
  teamMedian: number | null,
): TDigestModel['thanks'] {
  const byOwner = new Map<string, number[]>();
  for (const { ticket, minutes } of firstResponseTimes(input.tickets, period, calendar, measure)) {
    if (ticket.ownerId === null) continue;
    const list = byOwner.get(ticket.ownerId) ?? [];
    list.push(minutes);
    byOwner.set(ticket.ownerId, list);
  }
  const nameOf = (id: string) => ownerRef(id)?.name ?? id;
  // Both medians are compared as the digest shows them (rounded alike): the team's median counts every reply,
  // including unassigned tickets and owners with fewer than THANKS_MIN_TICKETS, so the quickest regular
  // replier can still be slower than the team as a whole — then nobody is called fastest.
  const fastest = [...byOwner.entries()]
    .filter(([, times]) => times.length >= THANKS_MIN_TICKETS)
    .map(([id, times]) => ({ id, median: round1(median(times)!), tickets: times.length }))
    .filter((candidate) => teamMedian !== null && candidate.median <= teamMedian)
    .sort((a, b) => a.median - b.median || b.tickets - a.tickets || nameOf(a.id).localeCompare(nameOf(b.id)))[0];
  const closed = new Map<string, number>();
  for (const ticket of input.tickets) {
    const at = ticket.closedAt?.getTime();
    if (ticket.ownerId === null || at === undefined || at < period.start.getTime() || at >= period.end.getTime())
      continue;
    closed.set(ticket.ownerId, (closed.get(ticket.ownerId) ?? 0) + 1);
  }
  const most = [...closed.entries()]
    .filter(([, count]) => count >= THANKS_MIN_TICKETS)
    .sort((a, b) => b[1] - a[1] || nameOf(a[0]).localeCompare(nameOf(b[0])))[0];
  return {
    fastest:
      fastest && teamMedian !== null
        ? {
            owner: ownerRef(fastest.id)!,
            medianMinutes: fastest.median,
            tickets: fastest.tickets,
            teamMedianMinutes: teamMedian,
          }
        : null,
    mostClosed: most ? { owner: ownerRef(most[0])!, count: most[1] } : null,
  };
}

/** Owners the digest names without a Slack user, by HubSpot owner id (to look them up before posting). */
export function ownersWithoutSlackUser(model: TDigestModel): string[] {
  const ids = new Set<string>();
  const visit = (owner: TOwnerRef | null) => {
    if (owner && owner.slackUserId === null) ids.add(owner.ownerId);
  };
  for (const item of model.waiting.items) visit(item.owner);
  visit(model.thanks.fastest?.owner ?? null);
  visit(model.thanks.mostClosed?.owner ?? null);
  return [...ids];
}

/** The same digest with owners named by the Slack users found for them (owner id → Slack user id). */
export function withOwnerSlackUsers(model: TDigestModel, slackUsers: ReadonlyMap<string, string>): TDigestModel {
  if (slackUsers.size === 0) return model;
  const relabel = <T extends TOwnerRef | null>(owner: T): T => {
    if (!owner || owner.slackUserId !== null) return owner;
    const slackUserId = slackUsers.get(owner.ownerId);
    return (slackUserId ? { ...owner, slackUserId } : owner) as T;
  };
  const { fastest, mostClosed } = model.thanks;
  return {
    ...model,
    waiting: { ...model.waiting, items: model.waiting.items.map((item) => ({ ...item, owner: relabel(item.owner) })) },
    agents: model.agents.map((agent) => ({ ...agent, owner: relabel(agent.owner) })),
    thanks: {
      fastest: fastest ? { ...fastest, owner: relabel(fastest.owner) } : null,
      mostClosed: mostClosed ? { ...mostClosed, owner: relabel(mostClosed.owner) } : null,
    },
  };
}
