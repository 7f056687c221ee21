// Predicted breaches: a first-response clock that is still calm (running, before its warnAt) but will most likely
// breach at the pace its owner is going — "likely to breach at 14:20 unless someone picks it up". Pure: `now`,
// the calendar and the history are arguments.
//
// The model, kept simple enough to explain in one sentence to the person it pings:
// - pace: over the last `windowDays`, the owner's median business time from a ticket's creation to their first
//   reply (how long their tickets usually wait), and the median business gap between their consecutive first
//   replies (how fast they work through a queue). An owner with fewer than `minSamples` first replies in the
//   window, and unassigned tickets, use the team's pace (every owner's replies together).
// - queue: the owner works through their open unanswered tickets most urgent first (the earliest first-response
//   due time first); `ahead` is how many of them are due before this one.
// - expected first reply = the later of (created + usual wait) and (now + ahead × gap), in business time.
// A ticket is flagged when that expected reply falls after its due time while its clock is still running and
// before its at-risk instant (after that, the ordinary at-risk nudge says it). Tickets already at risk or
// breached stay in the queue: they are ahead of the others and take the owner's time first.
import { addBusinessTime, type BusinessCalendar, businessTimeBetween } from './calendar.ts';
import type { ClockStateName } from './flag.ts';

export interface TPredictSettings {
  /** Days of first replies the pace is measured over. */
  readonly windowDays: number;
  /** First replies an owner needs in the window to be judged on their own pace (else the team's). */
  readonly minSamples: number;
}

export const DEFAULT_PREDICT_SETTINGS: TPredictSettings = Object.freeze({ windowDays: 14, minSamples: 5 });

/** One first reply in the window: whose, when the ticket was created, and when it was first answered. */
export interface TReplySample {
  readonly ownerId: string | null;
  readonly createdAt: Date;
  readonly firstReplyAt: Date;
}

export interface TPace {
  /** Median business minutes from creation to first reply. */
  readonly waitMinutes: number;
  /** Median business minutes between consecutive first replies (0 with a single reply: no queue evidence). */
  readonly gapMinutes: number;
  readonly samples: number;
}

export interface TPaces {
  readonly byOwner: ReadonlyMap<string, TPace>;
  /** Every owner's replies together; null without any reply in the window. */
  readonly team: TPace | null;
}

const DAY_MS = 86_400_000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function pace(samples: readonly TReplySample[], calendar: BusinessCalendar): TPace {
  const waits = samples.map((s) => Math.max(0, businessTimeBetween(s.createdAt, s.firstReplyAt, calendar)));
  const replies = samples.map((s) => s.firstReplyAt).sort((a, b) => a.getTime() - b.getTime());
  const gaps: number[] = [];
  for (let i = 1; i < replies.length; i++) gaps.push(businessTimeBetween(replies[i - 1]!, replies[i]!, calendar));
  return { waitMinutes: median(waits), gapMinutes: gaps.length > 0 ? median(gaps) : 0, samples: samples.length };
}

/** Each owner's pace (and the team's) from the first replies of the last `windowDays` before `now`. */
export function replyPaces(
  samples: readonly TReplySample[],
  now: Date,
  calendar: BusinessCalendar,
  settings: TPredictSettings = DEFAULT_PREDICT_SETTINGS,
): TPaces {
  const from = now.getTime() - settings.windowDays * DAY_MS;
  const recent = samples.filter((s) => s.firstReplyAt.getTime() > from && s.firstReplyAt.getTime() <= now.getTime());
  const byOwnerSamples = new Map<string, TReplySample[]>();
  for (const s of recent) {
    if (s.ownerId === null) continue;
    const list = byOwnerSamples.get(s.ownerId) ?? [];
    list.push(s);
    byOwnerSamples.set(s.ownerId, list);
  }
  const byOwner = new Map<string, TPace>();
  for (const [owner, list] of byOwnerSamples) {
    if (list.length >= settings.minSamples) byOwner.set(owner, pace(list, calendar));
  }
  return { byOwner, team: recent.length > 0 ? pace(recent, calendar) : null };
}

/** An open ticket's first-response clock, as the queue sees it. */
export interface TQueuedClock {
  readonly ticketId: string;
  readonly ownerId: string | null;
  readonly createdAt: Date;
  readonly state: ClockStateName;
  readonly dueAt: Date;
  readonly atRiskAt: Date;
}

export interface TPrediction {
  readonly ticketId: string;
  /** When the first reply is expected at the pace used. */
  readonly expectedReplyAt: Date;
  /** The due time it is likely to miss: "likely to breach at 14:20". */
  readonly breachAt: Date;
  /** Tickets of the same owner due before it, unanswered. */
  readonly ahead: number;
  /** Whose pace: the owner's own, or the team's. */
  readonly paceOf: 'owner' | 'team';
  readonly pace: TPace;
}

/** Calm first-response clocks (running, before warnAt) likely to breach at their owner's pace. */
export function predictBreaches(
  queue: readonly TQueuedClock[],
  paces: TPaces,
  now: Date,
  calendar: BusinessCalendar,
): TPrediction[] {
  const byOwner = new Map<string | null, TQueuedClock[]>();
  for (const clock of queue) {
    if (clock.state !== 'running' && clock.state !== 'at_risk' && clock.state !== 'breached') continue;
    const list = byOwner.get(clock.ownerId) ?? [];
    list.push(clock);
    byOwner.set(clock.ownerId, list);
  }
  const out: TPrediction[] = [];
  for (const [ownerId, list] of byOwner) {
    const own = ownerId === null ? undefined : paces.byOwner.get(ownerId);
    const used = own ?? paces.team;
    if (!used) continue;
    list.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.ticketId.localeCompare(b.ticketId));
    list.forEach((clock, ahead) => {
      if (clock.state !== 'running' || now.getTime() >= clock.atRiskAt.getTime()) return;
      const waited = addBusinessTime(clock.createdAt, used.waitMinutes, calendar);
      const queued = addBusinessTime(now, ahead * used.gapMinutes, calendar);
      const expected = waited.getTime() >= queued.getTime() ? waited : queued;
      if (expected.getTime() <= clock.dueAt.getTime()) return;
      out.push({
        ticketId: clock.ticketId,
        expectedReplyAt: expected,
        breachAt: clock.dueAt,
        ahead,
        paceOf: own ? 'owner' : 'team',
        pace: used,
      });
    });
  }
  return out.sort((a, b) => a.breachAt.getTime() - b.breachAt.getTime() || a.ticketId.localeCompare(b.ticketId));
}
