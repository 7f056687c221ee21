// Wording shared by the digest's two renderings (Block Kit in Slack, plain text in the terminal), so both
// say the same thing in the same words. Pure and free of markup.
import type { TCountRow, TDigestModel, TMetricLine, TWeekNumbers } from '../../domain/digest.ts';
import { formatBusinessMinutes } from '../../domain/duration.ts';
import type { ClockName } from '../../domain/flag.ts';
import { truncate } from './mrkdwn.ts';

export const DIGEST_LIMITS = {
  /** Waiting tickets listed before "and N more"; the rest are one `/slow` away. */
  dailyWaiting: 10,
  weeklyWaiting: 5,
  /** Unanswered complaints are each worth reading, so more of them are listed. */
  dailyFeedback: 25,
  weeklyFeedback: 5,
  /** Feedback comments are quoted up to this many characters. */
  commentChars: 500,
  origins: 8,
  /** Silent tickets listed before "and N more". */
  dailySilent: 10,
  weeklySilent: 5,
} as const;

/**
 * Why a digest comes after its time. `wasDown`: no Heed was running when it was due (a catch-up);
 * `waitedForSync`: Heed held it back until its first HubSpot sync since starting had finished, so the numbers
 * are current rather than a stale or empty copy's.
 */
export type TLate =
  | boolean
  | { readonly scheduledFor: Date; readonly wasDown?: boolean; readonly waitedForSync?: boolean };

/** A digest corrected after it was posted (`/digest post` again): when, and when it first went out. */
export interface TUpdated {
  readonly at: Date;
  readonly firstPostedAt: Date | null;
}

export function digestTitle(model: Pick<TDigestModel, 'kind' | 'team'>): string {
  return model.kind === 'weekly' ? `Weekly report — ${model.team}` : `Daily digest — ${model.team}`;
}

export function numbersHeading(model: Pick<TDigestModel, 'kind' | 'period'>): string {
  const { firstLabel, lastLabel, days } = model.period;
  if (model.kind === 'weekly') return `The week in numbers (week of ${firstLabel})`;
  return days === 1 ? `Yesterday in numbers (${lastLabel})` : `${firstLabel} – ${lastLabel} in numbers`;
}

export function formatValue(line: Pick<TMetricLine, 'unit'>, value: number | null): string {
  if (value === null) return 'n/a';
  switch (line.unit) {
    case 'percent':
      return `${trimNumber(value)}%`;
    case 'minutes':
      return formatBusinessMinutes(value);
    default:
      return trimNumber(value);
  }
}

function trimNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

const ARROW = { up: '↑', down: '↓', flat: '→' } as const;

/** "↑ +4 vs 8 — worse", "→ about the same as 8", or "" when there is nothing to compare with. */
export function formatChange(line: TMetricLine): string {
  if (line.direction === null || line.change === null || line.baseline === null) return 'no earlier data';
  const baseline = formatValue(line, line.baseline);
  if (line.direction === 'flat') return `${ARROW.flat} about the same as ${baseline}`;
  const magnitude = Math.abs(line.change);
  const amount =
    line.unit === 'percent'
      ? `${trimNumber(magnitude)} pts`
      : line.unit === 'minutes'
        ? formatBusinessMinutes(magnitude)
        : trimNumber(magnitude);
  const sign = line.change > 0 ? '+' : '−';
  const verdict = line.verdict === 'better' ? ' — better' : line.verdict === 'worse' ? ' — worse' : '';
  return `${ARROW[line.direction]} ${sign}${amount} vs ${baseline}${verdict}`;
}

const CLOCK_LABEL: Record<ClockName, string> = {
  firstResponse: 'first response',
  nextResponse: 'next response',
  resolution: 'resolution',
};

export function clockName(clock: ClockName): string {
  return CLOCK_LABEL[clock];
}

export function feedbackScore(item: { surveyType: string; value: number | null }): string {
  const type = item.surveyType.toUpperCase();
  return item.value === null ? type : `${type} ${trimNumber(item.value)}`;
}

export function compareText(now: number, before: number): string {
  return `${now} (${before} the week before)`;
}

/** "Billing 3 · Refunds 1" with the recent figure: "(11 in 7 days)" daily, "(7 the week before)" weekly. */
export function originText(model: Pick<TDigestModel, 'kind'>, row: TCountRow): string {
  return model.kind === 'weekly'
    ? `${row.name} ${row.count} (${row.recent} the week before)`
    : `${row.name} ${row.count} (${row.recent} in 7 days)`;
}

export function allClearText(model: Pick<TDigestModel, 'kind' | 'team' | 'period' | 'numbers'>): string {
  const open = model.numbers.find((n) => n.metric === 'open')?.value ?? 0;
  const rest = open > 0 ? ` ${open} open ticket${open === 1 ? ' is' : 's are'} with customers.` : '';
  const { kind, period } = model;
  const when =
    kind === 'weekly'
      ? `in ${period.label}`
      : period.days === 1
        ? period.label
        : `from ${period.firstLabel} to ${period.lastLabel}`;
  return `All clear for ${model.team}: nothing new ${when}, nothing waiting on us.${rest}`;
}

const utcMinute = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export function lateText(late: TLate | undefined): string | undefined {
  if (!late) return undefined;
  if (typeof late !== 'object') {
    return 'This digest is late: Heed could not send it on time (it was down or restarting), so it comes now.';
  }
  const due = ` (it was due ${utcMinute(late.scheduledFor)})`;
  const waited = late.waitedForSync ?? false;
  const down = late.wasDown ?? !waited;
  const why =
    down && waited
      ? 'Heed was not running then, and it waited for its first HubSpot sync since starting, so the numbers below are current'
      : waited
        ? 'Heed waited for its first HubSpot sync since starting, so the numbers below are current'
        : 'Heed could not send it on time (it was down or restarting), so it comes now';
  return `This digest is late${due}: ${why}.`;
}

export function updatedText(updated: TUpdated | undefined): string | undefined {
  if (!updated) return undefined;
  const first = updated.firstPostedAt ? `; first posted ${utcMinute(updated.firstPostedAt)}` : '';
  return `Updated ${utcMinute(updated.at)} with the numbers of that moment${first}.`;
}

/**
 * The day's digest withheld: Heed has not finished a HubSpot sync since it started, so anything it said would
 * come from a stale or empty copy. Plain text; both renderers use it.
 */
export function withheldText(facts: {
  readonly kind: 'daily' | 'weekly';
  readonly team: string;
  readonly startedAt: Date;
}): string {
  const what = facts.kind === 'weekly' ? 'weekly report' : 'daily digest';
  return (
    `No ${what} for ${facts.team} yet: Heed started at ${utcMinute(facts.startedAt)} and has not finished a HubSpot sync since, ` +
    'so its numbers would not be true. Once the sync is through (`heed status` shows it), type `/digest post` here: the ' +
    `${what} replaces this message.`
  );
}

/** `/digest` before the first HubSpot sync since start: no numbers yet, and why. */
export function notReadyText(startedAt: Date): string {
  return (
    `Heed started at ${utcMinute(startedAt)} and has not finished a HubSpot sync since, so a digest now would ` +
    'not be true. Try again once the sync is through (`/heed status` shows the last sync).'
  );
}

// ───────────────────────────────────────────────────────────────────────────── charts and the agents table

/** Chart titles (Slack allows 50 characters). */
export const CHART_TITLES = {
  waitingAndBreached: 'Waiting on us and SLA breaches, last 14 days',
  slaMet: 'First-response SLA met (%), last 14 days',
  weekCounts: 'This week and the week before',
  weekSla: 'SLA met (%), this week and the week before',
} as const;

/** What the week-over-week charts compare, in their order. */
export const WEEK_METRICS = {
  counts: [
    { metric: 'new', label: 'New' },
    { metric: 'solved', label: 'Solved' },
    { metric: 'waiting', label: 'Waiting on us' },
    { metric: 'breached', label: 'SLA breaches' },
  ],
  rates: [
    { metric: 'frMetPct', label: 'First response' },
    { metric: 'nrMetPct', label: 'Next response' },
  ],
} as const satisfies {
  counts: readonly { metric: keyof TWeekNumbers; label: string }[];
  rates: readonly { metric: keyof TWeekNumbers; label: string }[];
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A trend day as a chart category: "24 Nov". */
export function trendDayLabel(isoDate: string): string {
  const [, month, day] = isoDate.split('-');
  return `${Number(day)} ${MONTHS[Number(month) - 1] ?? month}`;
}

/** The daily digest's charts in words: the sparklines of what they draw. */
export function trendFallback(model: Pick<TDigestModel, 'numbers'>): string | undefined {
  const parts = (['waiting', 'breached', 'frMetPct'] as const).flatMap((metric) => {
    const line = model.numbers.find((n) => n.metric === metric);
    return line ? [`${line.label} ${line.sparkline}`] : [];
  });
  return parts.length === 0 ? undefined : `Last 14 days: ${parts.join(' · ')}`;
}

/** The weekly report's comparison in words: "New 12 (9 the week before) · …". */
export function weekOverWeekFallback(model: Pick<TDigestModel, 'weekOverWeek'>): string {
  const { thisWeek, weekBefore } = model.weekOverWeek;
  const count = WEEK_METRICS.counts.map((m) => `${m.label} ${thisWeek[m.metric]} (${weekBefore[m.metric]})`);
  const rate = WEEK_METRICS.rates.map(
    (m) =>
      `${m.label} SLA ${formatValue({ unit: 'percent' }, thisWeek[m.metric])} (${formatValue({ unit: 'percent' }, weekBefore[m.metric])})`,
  );
  return `This week (the week before): ${[...count, ...rate].join(' · ')}`;
}

export const AGENT_COLUMNS = [
  'Agent',
  'First replies',
  'Median first reply',
  'First-response SLA met',
  'Closed',
  'Late or at risk now',
] as const;

/** The agents table's rows: numbers as numbers (Slack sorts them so), with the text people read. */
export function agentTableRows(
  model: Pick<TDigestModel, 'agents'>,
): (string | number | { value: number; text: string })[][] {
  return model.agents.map((a) => [
    a.owner.name,
    a.firstReplies,
    a.medianFirstReplyMinutes === null
      ? '—'
      : { value: a.medianFirstReplyMinutes, text: formatBusinessMinutes(a.medianFirstReplyMinutes) },
    a.frMetPct === null ? '—' : { value: a.frMetPct, text: `${trimNumber(a.frMetPct)}% of ${a.frDecided}` },
    a.closed,
    a.waitingNow,
  ]);
}

/** The agents table in words, the busiest five: "Ada Lovelace 12 first replies (median 40m), 9 closed". */
export function agentsFallback(model: Pick<TDigestModel, 'agents'>): string | undefined {
  if (model.agents.length === 0) return undefined;
  const shown = model.agents.slice(0, 5).map((a) => {
    const median =
      a.medianFirstReplyMinutes === null ? '' : ` (median ${formatBusinessMinutes(a.medianFirstReplyMinutes)})`;
    return `${a.owner.name} ${a.firstReplies} first ${a.firstReplies === 1 ? 'reply' : 'replies'}${median}, ${a.closed} closed`;
  });
  const more = model.agents.length > 5 ? ` · and ${model.agents.length - 5} more` : '';
  return `Per agent: ${shown.join(' · ')}${more}`;
}

/** "business day(s)". */
export function businessDays(n: number): string {
  return `${n} business day${n === 1 ? '' : 's'}`;
}

/** The silent list's heading, plain text (both renderers escape or print it). */
export function silentHeading(model: Pick<TDigestModel, 'silent'>): string {
  const { items, byStage, afterDays } = model.silent;
  if (items.length === 0) {
    return `Silent tickets — nothing silent: no open ticket has gone ${businessDays(afterDays)} without a move.`;
  }
  const stages = byStage.map((s) => `${truncate(s.stage, 40)} ${s.count}`).join(', ');
  return `Silent tickets — ${items.length} open ticket${items.length === 1 ? '' : 's'} nobody has moved (no stage change or message) for their stage's limit: ${stages}`;
}
