// The numbers behind the digest, computed over one window of time from plain rows. Pure: the same rows and
// window always give the same numbers, so a finished day's numbers can be stored (DailyStat) and trusted.
//
// Definitions, chosen so a team cannot look better by doing less:
// - new / solved: tickets created / closed inside the window.
// - open / waiting: snapshots at the window's end. "Waiting on us" is an open ticket nobody has answered yet,
//   or whose last known customer message came after our last known reply (and not parked in a
//   waiting-on-customer stage).
// - SLA met %: of the clocks *decided* in the window — met when the reply came in time (decided at the reply),
//   missed the moment the due time passed without one (decided at the due time). An unanswered ticket counts
//   as a miss as soon as it is late, so not replying never improves the figure.
// - breached: the clocks (any of the three) whose due time passed unmet inside the window — the misses the
//   SLA figures count, decided when the due time passed.
// - First response median / p90: business minutes from creation to the first agent reply, over the replies
//   made inside the window (p90 by nearest rank: a value that actually occurred).
// - Feedback: answers submitted in the window; detractors (NPS 0–6) and promoters (NPS 9–10) are NPS's own
//   definitions, low CSAT and "negative" follow the policy's score thresholds (a comment alone, which may be
//   praise, does not make an answer negative here).
import { type BusinessCalendar, businessTimeBetween } from './calendar.ts';
import { isNegativeFeedback, type TFeedbackThresholds } from './feedback.ts';
import type { ClockName, ClockStateName } from './flag.ts';

export interface TDigestTicket {
  readonly id: string;
  readonly subject: string | null;
  readonly ownerId: string | null;
  readonly priority: string | null;
  readonly category: string | null;
  readonly source: string | null;
  readonly stageId: string | null;
  readonly customer: string | null;
  /** Deep link into HubSpot, when the portal is known. */
  readonly url: string | null;
  readonly createdAt: Date;
  readonly closedAt: Date | null;
  readonly isClosed: boolean;
  readonly firstAgentReplyAt: Date | null;
  readonly lastCustomerMessageAt: Date | null;
  readonly lastAgentMessageAt: Date | null;
  /** When the ticket entered its current stage (silent tickets: domain/silent.ts). */
  readonly stageEnteredAt?: Date | null;
}

export interface TDigestClock {
  readonly ticketId: string;
  readonly clock: ClockName;
  readonly state: ClockStateName;
  readonly dueAt: Date | null;
  readonly completedAt: Date | null;
  readonly overdueMinutes: number;
  /**
   * When the engine last wrote this clock: `overdueMinutes` is as of then (it knows about pauses), and the
   * time since is added, as the nudges do, so a digest and a nudge never disagree about one ticket.
   */
  readonly evaluatedAt?: Date | null;
  /** From the clock's flag: who said "I'm on it" in Slack. */
  readonly claimedBy?: string | null;
  /** From the clock's flag: marked handled in Slack, so nobody is nagged about it this cycle. */
  readonly handled?: boolean;
  /** Its flag is `predicted`: calm now, but likely to breach at its owner's pace (domain/predict.ts). */
  readonly predicted?: boolean;
}

export interface TDigestFeedback {
  readonly id: string;
  readonly surveyType: string;
  readonly value: number | null;
  readonly content: string | null;
  /** HubSpot's grouping of the score (hs_response_group). */
  readonly responseGroup?: string | null;
  readonly submittedAt: Date;
  readonly contact: string | null;
  readonly ticketId: string | null;
  /** Set while a follow-up is still owed (the SLA engine's open feedback flag). */
  readonly followUp: { readonly state: 'pending' | 'overdue'; readonly dueAt: Date | null } | null;
}

/** What the window numbers need to know beyond the rows. */
export interface TStatsContext {
  readonly calendar: BusinessCalendar;
  /** Business minutes to a ticket's first reply, memoised by the caller (the same ticket is in many windows). */
  readonly firstResponseMinutes?: (ticket: TDigestTicket) => number;
  readonly thresholds: TFeedbackThresholds;
  readonly waitingStageIds: ReadonlySet<string>;
}

export interface TWindow {
  readonly start: Date;
  readonly end: Date;
}

/** Every number a window has; null where there was nothing to measure (no replies, no decided clocks). */
export interface TWindowStats {
  readonly new: number;
  readonly solved: number;
  readonly open: number;
  readonly waiting: number;
  readonly frDecided: number;
  readonly frMetPct: number | null;
  readonly nrDecided: number;
  readonly nrMetPct: number | null;
  readonly breached: number;
  readonly firstResponses: number;
  readonly frMedian: number | null;
  readonly frP90: number | null;
  readonly responses: number;
  readonly negative: number;
  readonly detractors: number;
  readonly promoters: number;
  readonly lowCsat: number;
}

export type TStatName = keyof TWindowStats;

/** The order DailyStat rows are written in; `new` is always written, so its presence marks a stored day. */
export const STAT_NAMES: readonly TStatName[] = [
  'new',
  'solved',
  'open',
  'waiting',
  'frDecided',
  'frMetPct',
  'nrDecided',
  'nrMetPct',
  'breached',
  'firstResponses',
  'frMedian',
  'frP90',
  'responses',
  'negative',
  'detractors',
  'promoters',
  'lowCsat',
];

const within = (at: Date | null, window: TWindow): at is Date =>
  at !== null && at.getTime() >= window.start.getTime() && at.getTime() < window.end.getTime();

/** Open at `end`: created before it and not (yet) closed by then. */
export function isOpenAt(ticket: TDigestTicket, end: Date): boolean {
  if (ticket.createdAt.getTime() >= end.getTime()) return false;
  if (!ticket.isClosed) return true;
  const closed = ticket.closedAt ?? ticket.createdAt;
  return closed.getTime() >= end.getTime();
}

/** Open at `end` with the next move ours. Only what was known by `end` counts. */
export function isWaitingOnUsAt(ticket: TDigestTicket, end: Date, waitingStageIds: ReadonlySet<string>): boolean {
  if (!isOpenAt(ticket, end)) return false;
  // Stage history is not part of the row: the current stage is the best knowledge of where it is parked.
  if (ticket.stageId !== null && waitingStageIds.has(ticket.stageId)) return false;
  const known = (at: Date | null) => (at !== null && at.getTime() < end.getTime() ? at.getTime() : null);
  const firstReply = known(ticket.firstAgentReplyAt);
  if (firstReply === null) return true;
  const lastReply = Math.max(firstReply, known(ticket.lastAgentMessageAt) ?? firstReply);
  const lastCustomer = known(ticket.lastCustomerMessageAt);
  return lastCustomer !== null && lastCustomer > lastReply;
}

/** When a clock's outcome became known, and what it was; undefined while undecided. */
export function clockOutcome(clock: TDigestClock): { at: Date; met: boolean } | undefined {
  const { dueAt, completedAt } = clock;
  if (completedAt !== null && (dueAt === null || completedAt.getTime() <= dueAt.getTime())) {
    return { at: completedAt, met: true };
  }
  if (dueAt !== null) return { at: dueAt, met: false };
  return undefined;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (0 < p ≤ 1): always a value that occurred. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** Business minutes from creation to the first reply, for replies made inside the window. */
export function firstResponseTimes(
  tickets: readonly TDigestTicket[],
  window: TWindow,
  calendar: BusinessCalendar,
  measure: (ticket: TDigestTicket) => number = (ticket) => firstResponseMinutes(ticket, calendar),
): { ticket: TDigestTicket; minutes: number }[] {
  return tickets
    .filter((t) => within(t.firstAgentReplyAt, window))
    .map((ticket) => ({ ticket, minutes: measure(ticket) }));
}

/** Business minutes from creation to the first agent reply (0 for a reply Heed saw before the creation time). */
export function firstResponseMinutes(ticket: TDigestTicket, calendar: BusinessCalendar): number {
  if (ticket.firstAgentReplyAt === null) return 0;
  return Math.max(0, businessTimeBetween(ticket.createdAt, ticket.firstAgentReplyAt, calendar));
}

/** A decided clock: which clock, when its outcome became known (epoch ms), and whether it was met. */
export interface TClockOutcome {
  readonly clock: ClockName;
  readonly at: number;
  readonly met: boolean;
}

/** The decided clocks among `clocks`, computed once for however many windows are counted. */
export function clockOutcomes(clocks: readonly TDigestClock[]): TClockOutcome[] {
  const out: TClockOutcome[] = [];
  for (const clock of clocks) {
    const outcome = clockOutcome(clock);
    if (outcome) out.push({ clock: clock.clock, at: outcome.at.getTime(), met: outcome.met });
  }
  return out;
}

// One pass per row kind and plain counters: a digest counts some 25 windows over up to 100k tickets, and
// filter-and-count allocated enough arrays to make garbage collection the largest cost.
export function windowStats(
  rows: {
    readonly tickets: readonly TDigestTicket[];
    readonly clocks: readonly TDigestClock[];
    readonly feedback: readonly TDigestFeedback[];
  },
  window: TWindow,
  context: TStatsContext & { readonly clockOutcomes?: readonly TClockOutcome[] },
): TWindowStats {
  const start = window.start.getTime();
  const end = window.end.getTime();
  const inWindow = (at: Date | null) => at !== null && at.getTime() >= start && at.getTime() < end;
  const measure = context.firstResponseMinutes ?? ((t: TDigestTicket) => firstResponseMinutes(t, context.calendar));

  let created = 0;
  let solved = 0;
  let open = 0;
  let waiting = 0;
  const times: number[] = [];
  for (const ticket of rows.tickets) {
    if (inWindow(ticket.createdAt)) created++;
    if (inWindow(ticket.closedAt)) solved++;
    if (isOpenAt(ticket, window.end)) {
      open++;
      if (isWaitingOnUsAt(ticket, window.end, context.waitingStageIds)) waiting++;
    }
    if (inWindow(ticket.firstAgentReplyAt)) times.push(measure(ticket));
  }

  const decided = { firstResponse: 0, nextResponse: 0, resolution: 0 };
  const met = { firstResponse: 0, nextResponse: 0, resolution: 0 };
  let breached = 0;
  for (const outcome of context.clockOutcomes ?? clockOutcomes(rows.clocks)) {
    if (outcome.at < start || outcome.at >= end) continue;
    decided[outcome.clock]++;
    if (outcome.met) met[outcome.clock]++;
    else breached++;
  }
  const pct = (clock: ClockName) => (decided[clock] === 0 ? null : round1((met[clock] / decided[clock]) * 100));

  let responses = 0;
  let negative = 0;
  let detractors = 0;
  let promoters = 0;
  let lowCsat = 0;
  // By score alone: the policy may send every commented answer for follow-up, but a comment can be praise.
  const byScore = { ...context.thresholds, commentsCount: false };
  for (const answer of rows.feedback) {
    if (!inWindow(answer.submittedAt)) continue;
    responses++;
    if (isNegativeFeedback(answer, byScore)) negative++;
    if (answer.value === null) continue;
    const type = answer.surveyType.toUpperCase();
    if (type === 'NPS' && answer.value <= 6) detractors++;
    if (type === 'NPS' && answer.value >= 9) promoters++;
    if (type === 'CSAT' && answer.value <= context.thresholds.CSAT.atMost) lowCsat++;
  }

  const frMedian = median(times);
  const frP90 = percentile(times, 0.9);
  return {
    new: created,
    solved,
    open,
    waiting,
    frDecided: decided.firstResponse,
    frMetPct: pct('firstResponse'),
    nrDecided: decided.nextResponse,
    nrMetPct: pct('nextResponse'),
    breached,
    firstResponses: times.length,
    frMedian: frMedian === null ? null : round1(frMedian),
    frP90: frP90 === null ? null : round1(frP90),
    responses,
    negative,
    detractors,
    promoters,
    lowCsat,
  };
}

/**
 * Stored (team, day, metric, value) rows of one day back into window numbers; undefined if the day is not stored,
 * or was stored before `breached` was (such a day is counted again from its rows, which the 14-day trend keeps).
 */
export function statsFromRows(rows: readonly { metric: string; value: number }[]): TWindowStats | undefined {
  const byName = new Map(rows.map((r) => [r.metric, r.value]));
  if (!byName.has('new') || !byName.has('breached')) return undefined;
  const count = (name: TStatName) => byName.get(name) ?? 0;
  const maybe = (name: TStatName) => byName.get(name) ?? null;
  return {
    new: count('new'),
    solved: count('solved'),
    open: count('open'),
    waiting: count('waiting'),
    frDecided: count('frDecided'),
    frMetPct: maybe('frMetPct'),
    nrDecided: count('nrDecided'),
    nrMetPct: maybe('nrMetPct'),
    breached: count('breached'),
    firstResponses: count('firstResponses'),
    frMedian: maybe('frMedian'),
    frP90: maybe('frP90'),
    responses: count('responses'),
    negative: count('negative'),
    detractors: count('detractors'),
    promoters: count('promoters'),
    lowCsat: count('lowCsat'),
  };
}

/** Window numbers as DailyStat rows; unmeasured values (null) are left out rather than stored as a fake number. */
export function statsToRows(stats: TWindowStats): { metric: TStatName; value: number }[] {
  return STAT_NAMES.flatMap((metric) => {
    const value = stats[metric];
    return value === null ? [] : [{ metric, value }];
  });
}

const SPARK = '▁▂▃▄▅▆▇█';

/** A unicode sparkline, one character per value; a day with nothing measured shows as "·". */
export function sparkline(values: readonly (number | null)[]): string {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return values.map(() => '·').join('');
  const min = Math.min(...present);
  const max = Math.max(...present);
  return values
    .map((v) => {
      if (v === null) return '·';
      // A flat series sits on the baseline, so "nothing changed" does not look like a spike.
      if (max === min) return SPARK[0];
      return SPARK[Math.round(((v - min) / (max - min)) * (SPARK.length - 1))];
    })
    .join('');
}
