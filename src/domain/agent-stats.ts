// Per-agent and per-team SLA figures over a window (`/heed stats`, the weekly report's per-agent section), from
// the clocks the SLA engine stored (ClockState: sla-clocks.ts's results, never recomputed here) and the nudges
// people marked ✅ handled. Pure: rows, the window and the zone are arguments.
//
// Definitions:
// - Whose clock: the ticket's HubSpot owner as Heed's copy has it now (Heed keeps no owner history, and the
//   conversation messages carry no author). A ticket without an owner counts towards the team only.
// - SLA met % per clock: of the clocks *decided* in the window, the share met — met when the reply (or close)
//   came by the due time, decided then; missed the moment the due time passed without one, decided at the due
//   time (digest-stats.ts clockOutcome: an unanswered ticket is a miss as soon as it is late). A clock with no
//   target (no due time) is neither met nor missed: it is left out of the percentage, never counted as met.
//   Nothing decided: no percentage ("—"), never 0 %.
// - First response median / p90: the business minutes the engine measured (ClockState.usedMinutes) on the
//   first-response clocks that stopped inside the window with a reply; a first response the ticket closed
//   without is not a response time. p90 by nearest rank: a time that actually occurred (with few samples, the
//   slowest of them).
// - Handled: distinct items the agent finished in the window — tickets of theirs whose response clock stopped
//   (answered) or that closed (resolved) inside it, plus nudges they marked ✅ handled (matched to the agent
//   through their Slack user). One ticket answered twice and marked handled counts once.
// The engine keeps each ticket's latest cycle of a clock: an earlier next-response cycle overwritten by a newer
// one is no longer there to count (the digest's SLA figures have the same horizon).
import { median, percentile } from './digest-stats.ts';
import { CLOCK_NAMES, type ClockName } from './flag.ts';
import { isoDateFromDay, type TimeZone } from './time-zone.ts';

export interface TAgentClock {
  readonly ticketId: string;
  readonly clock: ClockName;
  readonly team: string;
  /** The engine's state (flag.ts ClockStateName): a paused clock is not late, whatever its stored due time. */
  readonly state: string;
  readonly dueAt: Date | null;
  readonly completedAt: Date | null;
  /** Business minutes the clock ran (the engine's measure: pauses already left out). */
  readonly usedMinutes: number;
  /** The target in business minutes; 0 or less: the clock has none. */
  readonly targetMinutes: number;
  /** The ticket's HubSpot owner; null when it has none. */
  readonly ownerId: string | null;
  /** When the ticket closed, if it is closed: a first response stopped at that instant was the close. */
  readonly ticketClosedAt: Date | null;
}

/** A nudge marked ✅ handled: by whom (a Slack user) and when. */
export interface THandledMark {
  readonly flagKey: string;
  /** The ticket, or null for a feedback nudge. */
  readonly ticketId: string | null;
  readonly team: string;
  readonly handledBy: string;
  readonly handledAt: Date;
}

export interface TAgentRef {
  /** Null for the Slack user of a ✅ with no HubSpot owner known to Heed. */
  readonly ownerId: string | null;
  readonly name: string;
  readonly slackUserId: string | null;
}

export interface TWindow {
  readonly start: Date;
  readonly end: Date;
}

export interface TClockFigures {
  readonly decided: number;
  readonly met: number;
  /** Rounded to one decimal; null when nothing was decided. */
  readonly metPct: number | null;
}

export interface TAgentFigures {
  readonly clocks: Readonly<Record<ClockName, TClockFigures>>;
  /** First responses measured (replies stopping a first-response clock inside the window). */
  readonly firstResponses: number;
  readonly frMedian: number | null;
  readonly frP90: number | null;
  /** Distinct tickets answered (a response clock stopped) in the window. */
  readonly answered: number;
  /** Distinct tickets closed (the resolution clock stopped) in the window. */
  readonly resolved: number;
  /** Nudges marked ✅ handled in the window. */
  readonly markedHandled: number;
  /** Distinct tickets and feedback answers answered, resolved or marked handled (see the top of the file). */
  readonly handled: number;
}

export interface TAgentStatsRow extends TAgentFigures {
  readonly agent: TAgentRef;
}

export interface TAgentStats {
  readonly window: TWindow;
  /** Busiest first: handled, then clocks decided, then name. */
  readonly agents: readonly TAgentStatsRow[];
  /** Every clock in the input (tickets without an owner too) and every ✅ in it. */
  readonly total: TAgentFigures;
}

export interface TAgentStatsInput {
  readonly clocks: readonly TAgentClock[];
  readonly handled: readonly THandledMark[];
  /** Who an owner is (name, Slack user). */
  readonly agent: (ownerId: string) => TAgentRef;
  /** The owner a Slack user is known as, if any (to credit their ✅ to their row). */
  readonly ownerOfSlackUser: (slackUserId: string) => string | undefined;
  /** Only these agents' rows (a person's own figures); all of them when absent. */
  readonly onlyOwners?: ReadonlySet<string> | undefined;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const inWindow = (at: number, window: TWindow) => at >= window.start.getTime() && at < window.end.getTime();

/** A clock's outcome when it has a target: met or missed, and when that became known. */
export function decidedOutcome(clock: TAgentClock): { at: Date; met: boolean } | undefined {
  const { dueAt, completedAt } = clock;
  if (dueAt === null || clock.targetMinutes <= 0) return undefined;
  // digest-stats.ts clockOutcome's rule, for a clock that has a due time.
  if (completedAt !== null && completedAt.getTime() <= dueAt.getTime()) return { at: completedAt, met: true };
  // A paused clock's due time is where it would fall were it to resume now: not a deadline that passed.
  if (completedAt === null && clock.state === 'paused') return undefined;
  return { at: dueAt, met: false };
}

class Tally {
  readonly decided = { firstResponse: 0, nextResponse: 0, resolution: 0 };
  readonly met = { firstResponse: 0, nextResponse: 0, resolution: 0 };
  readonly times: number[] = [];
  readonly answered = new Set<string>();
  readonly resolved = new Set<string>();
  readonly marks = new Set<string>();
  /** Item keys: ticket:<id> for answered/resolved tickets and ticket nudges, the flag key for feedback nudges. */
  readonly items = new Set<string>();

  add(clock: TAgentClock, window: TWindow): void {
    const outcome = decidedOutcome(clock);
    if (outcome && inWindow(outcome.at.getTime(), window)) {
      this.decided[clock.clock]++;
      if (outcome.met) this.met[clock.clock]++;
    }
    const done = clock.completedAt?.getTime();
    if (done === undefined || !inWindow(done, window)) return;
    if (clock.clock === 'resolution') {
      this.resolved.add(clock.ticketId);
      this.items.add(`ticket:${clock.ticketId}`);
      return;
    }
    const byClose = clock.ticketClosedAt !== null && clock.ticketClosedAt.getTime() === done;
    if (byClose) return;
    this.answered.add(clock.ticketId);
    this.items.add(`ticket:${clock.ticketId}`);
    if (clock.clock === 'firstResponse') this.times.push(clock.usedMinutes);
  }

  mark(mark: THandledMark): void {
    this.marks.add(mark.flagKey);
    this.items.add(mark.ticketId === null ? mark.flagKey : `ticket:${mark.ticketId}`);
  }

  figures(): TAgentFigures {
    const clocks = Object.fromEntries(
      CLOCK_NAMES.map((name): [ClockName, TClockFigures] => {
        const decided = this.decided[name];
        const met = this.met[name];
        return [name, { decided, met, metPct: decided === 0 ? null : round1((met / decided) * 100) }];
      }),
    ) as Record<ClockName, TClockFigures>;
    const mid = median(this.times);
    const p90 = percentile(this.times, 0.9);
    return {
      clocks,
      firstResponses: this.times.length,
      frMedian: mid === null ? null : round1(mid),
      frP90: p90 === null ? null : round1(p90),
      answered: this.answered.size,
      resolved: this.resolved.size,
      markedHandled: this.marks.size,
      handled: this.items.size,
    };
  }

  get busy(): boolean {
    return (
      this.items.size > 0 ||
      this.decided.firstResponse + this.decided.nextResponse + this.decided.resolution > 0 ||
      this.times.length > 0
    );
  }
}

const decidedCount = (f: TAgentFigures) => CLOCK_NAMES.reduce((n, c) => n + f.clocks[c].decided, 0);

/** The figures of every agent with a clock decided or stopped, or a ✅, inside the window; and the team's. */
export function agentStats(input: TAgentStatsInput, window: TWindow): TAgentStats {
  const total = new Tally();
  const byAgent = new Map<string, { ref: TAgentRef; tally: Tally }>();
  const rowOf = (key: string, ref: () => TAgentRef) => {
    let row = byAgent.get(key);
    if (!row) {
      row = { ref: ref(), tally: new Tally() };
      byAgent.set(key, row);
    }
    return row.tally;
  };
  const wanted = (ownerId: string | null) => !input.onlyOwners || (ownerId !== null && input.onlyOwners.has(ownerId));

  for (const clock of input.clocks) {
    if (!wanted(clock.ownerId)) continue;
    total.add(clock, window);
    if (clock.ownerId === null) continue;
    const ownerId = clock.ownerId;
    rowOf(`owner:${ownerId}`, () => input.agent(ownerId)).add(clock, window);
  }
  for (const mark of input.handled) {
    if (!inWindow(mark.handledAt.getTime(), window)) continue;
    const ownerId = input.ownerOfSlackUser(mark.handledBy) ?? null;
    if (!wanted(ownerId)) continue;
    total.mark(mark);
    const key = ownerId === null ? `slack:${mark.handledBy}` : `owner:${ownerId}`;
    rowOf(key, () =>
      ownerId === null
        ? { ownerId: null, name: `Slack user ${mark.handledBy}`, slackUserId: mark.handledBy }
        : input.agent(ownerId),
    ).mark(mark);
  }

  const agents = [...byAgent.values()]
    .filter((row) => row.tally.busy)
    .map((row): TAgentStatsRow => ({ agent: row.ref, ...row.tally.figures() }))
    .sort(
      (a, b) => b.handled - a.handled || decidedCount(b) - decidedCount(a) || a.agent.name.localeCompare(b.agent.name),
    );
  return { window, agents, total: total.figures() };
}

/** Met % of all clocks (the three together) decided each local day of the window; null on a day with none. */
export function dailyMetPct(
  clocks: readonly TAgentClock[],
  window: TWindow,
  zone: Pick<TimeZone, 'localDay'>,
): { day: string; metPct: number | null; decided: number }[] {
  const first = zone.localDay(window.start.getTime());
  const last = zone.localDay(window.end.getTime() - 1);
  const decided = new Map<number, { n: number; met: number }>();
  for (const clock of clocks) {
    const outcome = decidedOutcome(clock);
    if (!outcome || !inWindow(outcome.at.getTime(), window)) continue;
    const day = zone.localDay(outcome.at.getTime());
    const entry = decided.get(day) ?? { n: 0, met: 0 };
    entry.n++;
    if (outcome.met) entry.met++;
    decided.set(day, entry);
  }
  const out: { day: string; metPct: number | null; decided: number }[] = [];
  for (let day = first; day <= last; day++) {
    const entry = decided.get(day);
    out.push({
      day: isoDateFromDay(day),
      metPct: entry ? round1((entry.met / entry.n) * 100) : null,
      decided: entry?.n ?? 0,
    });
  }
  return out;
}
