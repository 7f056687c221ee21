// npm run bench:predict — replays a synthetic history of a support team (6 weeks: 2 to warm the pace up, then 4
// measured) through the breach predictor (src/domain/predict.ts) and prints, next to the plain warnAt rule (a
// clock is flagged when it reaches warnAt unanswered):
//   precision   of the tickets flagged, how many did breach their first-response SLA;
//   recall      of the tickets that breached, how many were flagged before their due time;
//   lead time   median business minutes between the flag and the due time (how long someone had to act);
//   flags/day   how many flags a team would see.
// and the predictor's cost: CPU time (user + system) and wall time per evaluation, pace computation apart.
//
// The history is generated independently of the predictor's model: tickets arrive in bursts (Mondays, random
// busy days, overnight piles), six agents with different speeds work their own queue (mostly most urgent first,
// sometimes oldest first), pick up unassigned tickets when their queue is empty, and are sometimes away for a
// day while tickets keep being routed to them. Two targets: 1 h (a quarter of tickets) and 4 h, warnAt 0.75, on
// Mon–Fri 09:00–17:00 Berlin. Deterministic (seeded): every run measures the same history.
//
// Environment: HEED_BENCH_WEEKS (measured weeks, default 4), HEED_BENCH_SEED (default 7).
import { performance } from 'node:perf_hooks';
import { addBusinessTime, businessTimeBetween, createBusinessCalendar, isWorkingTime } from '../src/domain/calendar.ts';
import type { ClockStateName } from '../src/domain/flag.ts';
import {
  DEFAULT_PREDICT_SETTINGS,
  predictBreaches,
  replyPaces,
  type TPaces,
  type TQueuedClock,
  type TReplySample,
} from '../src/domain/predict.ts';

const MINUTE = 60_000;
const WARM_WEEKS = 2;
const WEEKS = Number(process.env.HEED_BENCH_WEEKS ?? 4);
const EVALUATE_EVERY = 5; // minutes between evaluations (Heed's default is every minute; see the note printed)
const PACE_EVERY = 60; // minutes between pace recomputations in the replay

let seed = Number(process.env.HEED_BENCH_SEED ?? 7);
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const exponential = (mean: number) => -Math.log(1 - random()) * mean;
const poisson = (lambda: number) => {
  let k = 0;
  let p = Math.exp(-lambda);
  let sum = p;
  const u = random();
  while (u > sum) {
    k++;
    p *= lambda / k;
    sum += p;
  }
  return k;
};

const hours = [['09:00', '17:00']] as [string, string][];
const calendar = createBusinessCalendar({
  timezone: 'Europe/Berlin',
  hours: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours },
});
const START = new Date('2026-09-07T00:00:00+02:00'); // a Monday
const END = new Date(START.getTime() + (WARM_WEEKS + WEEKS) * 7 * 1440 * MINUTE);
const MEASURE_FROM = new Date(START.getTime() + WARM_WEEKS * 7 * 1440 * MINUTE);

interface SimTicket {
  id: string;
  createdAt: Date;
  owner: string | null;
  dueAt: Date;
  atRiskAt: Date;
  firstReplyAt: Date | null;
  predictedAt: Date | null;
}

const AGENTS = [
  { id: 'a1', mean: 12 },
  { id: 'a2', mean: 18 },
  { id: 'a3', mean: 25 },
  { id: 'a4', mean: 32 },
  { id: 'a5', mean: 40 },
  { id: 'a6', mean: 55 },
];

function simulate() {
  const tickets: SimTicket[] = [];
  const open = new Set<SimTicket>();
  const samples: TReplySample[] = [];
  const working = new Map<string, { ticket: SimTicket; left: number } | null>(AGENTS.map((a) => [a.id, null]));
  let absentToday = new Set<string>();
  let busyDay = 1;
  let lastDay = -1;
  let paces: TPaces = { byOwner: new Map(), team: null };
  const cost = { cpuUs: 0, wallMs: 0, calls: 0, paceCpuUs: 0, paceWallMs: 0, paceCalls: 0 };
  let rr = 0;

  for (let t = START.getTime(); t < END.getTime(); t += MINUTE) {
    const now = new Date(t);
    const minuteOfDay = Math.floor((t - START.getTime()) / MINUTE) % 1440;
    const day = Math.floor((t - START.getTime()) / (1440 * MINUTE));
    if (day !== lastDay) {
      lastDay = day;
      absentToday = new Set(AGENTS.filter(() => random() < 0.08).map((a) => a.id));
      busyDay = (day % 7 === 0 ? 1.5 : 1) * (random() < 0.15 ? 2 : 1);
    }
    const working_ = isWorkingTime(now, calendar);
    // Arrivals: ~35 a working day (more on Mondays and busy days), a trickle overnight and at weekends.
    const rate = working_ ? 0.06 * busyDay * (minuteOfDay < 13 * 60 ? 1.2 : 0.8) : 0.01;
    for (let n = poisson(rate); n > 0; n--) {
      const target = random() < 0.25 ? 60 : 240;
      const unassigned = random() < 0.15;
      const owner = unassigned ? null : AGENTS[rr++ % AGENTS.length]!.id;
      const ticket: SimTicket = {
        id: `T${tickets.length}`,
        createdAt: now,
        owner,
        dueAt: addBusinessTime(now, target, calendar),
        atRiskAt: addBusinessTime(now, target * 0.75, calendar),
        firstReplyAt: null,
        predictedAt: null,
      };
      tickets.push(ticket);
      open.add(ticket);
    }

    if (working_) {
      for (const agent of AGENTS) {
        if (absentToday.has(agent.id)) continue;
        let job = working.get(agent.id) ?? null;
        if (!job) {
          const mine = [...open].filter((x) => x.owner === agent.id && !isTaken(working, x));
          const pool = mine.length > 0 ? mine : [...open].filter((x) => x.owner === null && !isTaken(working, x));
          if (pool.length > 0) {
            // Mostly the most urgent first; sometimes the oldest (people are not schedulers).
            const byDue = random() < 0.7;
            pool.sort((a, b) =>
              byDue ? a.dueAt.getTime() - b.dueAt.getTime() : a.createdAt.getTime() - b.createdAt.getTime(),
            );
            const next = pool[0]!;
            next.owner = agent.id;
            job = { ticket: next, left: Math.max(2, exponential(agent.mean)) };
            working.set(agent.id, job);
          }
        }
        if (job) {
          job.left -= 1;
          if (job.left <= 0) {
            job.ticket.firstReplyAt = now;
            open.delete(job.ticket);
            samples.push({ ownerId: agent.id, createdAt: job.ticket.createdAt, firstReplyAt: now });
            working.set(agent.id, null);
          }
        }
      }
    }

    const elapsed = (t - START.getTime()) / MINUTE;
    if (elapsed % PACE_EVERY === 0) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      paces = replyPaces(samples, now, calendar, DEFAULT_PREDICT_SETTINGS);
      const c = process.cpuUsage(c0);
      cost.paceCpuUs += c.user + c.system;
      cost.paceWallMs += performance.now() - w0;
      cost.paceCalls++;
    }
    if (elapsed % EVALUATE_EVERY === 0 && t >= MEASURE_FROM.getTime() - 7 * 1440 * MINUTE) {
      const queue: TQueuedClock[] = [...open].map((x) => ({
        ticketId: x.id,
        ownerId: x.owner,
        createdAt: x.createdAt,
        state: stateAt(x, now),
        dueAt: x.dueAt,
        atRiskAt: x.atRiskAt,
      }));
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const predictions = predictBreaches(queue, paces, now, calendar);
      const c = process.cpuUsage(c0);
      cost.cpuUs += c.user + c.system;
      cost.wallMs += performance.now() - w0;
      cost.calls++;
      const byId = new Map([...open].map((x) => [x.id, x]));
      // A raised prediction stays raised until the clock is answered or at risk (the flag is sticky).
      for (const p of predictions) {
        const x = byId.get(p.ticketId)!;
        x.predictedAt ??= now;
      }
    }
  }
  return { tickets, cost };
}

function isTaken(working: Map<string, { ticket: SimTicket } | null>, ticket: SimTicket): boolean {
  for (const job of working.values()) if (job?.ticket === ticket) return true;
  return false;
}

function stateAt(ticket: SimTicket, now: Date): ClockStateName {
  if (now.getTime() > ticket.dueAt.getTime()) return 'breached';
  if (now.getTime() >= ticket.atRiskAt.getTime()) return 'at_risk';
  return 'running';
}

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const businessMinutes = (a: Date, b: Date) => Math.max(0, Math.round(businessTimeBetween(a, b, calendar)));

const w0 = performance.now();
const c0 = process.cpuUsage();
const { tickets, cost } = simulate();
const replayCpu = process.cpuUsage(c0);
const replayWall = performance.now() - w0;

// Measured: tickets due within the measured weeks (their outcome is known by the end).
const measured = tickets.filter((x) => x.dueAt >= MEASURE_FROM && x.dueAt < END);
const breached = (x: SimTicket) => x.firstReplyAt === null || x.firstReplyAt > x.dueAt;
const warnFlag = (x: SimTicket) => (x.firstReplyAt === null || x.firstReplyAt > x.atRiskAt ? x.atRiskAt : null);
const predictFlag = (x: SimTicket) => (x.predictedAt && x.predictedAt < x.atRiskAt ? x.predictedAt : null);
const eitherFlag = (x: SimTicket) => predictFlag(x) ?? warnFlag(x);
const workingDays = WEEKS * 5;

function figures(flagOf: (x: SimTicket) => Date | null) {
  let flagged = 0;
  let tp = 0;
  const leads: number[] = [];
  for (const x of measured) {
    const at = flagOf(x);
    if (!at) continue;
    flagged++;
    if (breached(x)) {
      tp++;
      leads.push(businessMinutes(at, x.dueAt));
    }
  }
  const breaches = measured.filter(breached).length;
  return {
    flagged,
    precision: flagged ? tp / flagged : null,
    recall: breaches ? tp / breaches : null,
    lead: medianOf(leads),
    perDay: flagged / workingDays,
  };
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null, d = 0) => (v === null ? '—' : v.toFixed(d));
const warn = figures(warnFlag);
const predicted = figures(predictFlag);
const both = figures(eitherFlag);
const breaches = measured.filter(breached).length;
const earlier = measured.filter((x) => breached(x) && predictFlag(x));
const gained = earlier.map((x) => businessMinutes(predictFlag(x)!, x.atRiskAt));

console.log(
  `Replayed ${WARM_WEEKS + WEEKS} weeks (${WARM_WEEKS} warm-up, ${WEEKS} measured): ${tickets.length} tickets, ${measured.length} due in the measured weeks, ${breaches} breached (${pct(breaches / measured.length)}).`,
);
console.log(
  `Evaluations every ${EVALUATE_EVERY} min (${cost.calls}), paces recomputed every ${PACE_EVERY} min (${cost.paceCalls}); pace window ${DEFAULT_PREDICT_SETTINGS.windowDays} days, min ${DEFAULT_PREDICT_SETTINGS.minSamples} replies.\n`,
);
const rows: [string, ReturnType<typeof figures>][] = [
  ['warnAt rule (baseline)', warn],
  ['predicted (before warnAt)', predicted],
  ['predicted or warnAt', both],
];
console.log(
  `${'rule'.padEnd(28)}${'flagged'.padStart(9)}${'precision'.padStart(11)}${'recall'.padStart(9)}${'lead (median)'.padStart(15)}${'flags/day'.padStart(11)}`,
);
for (const [name, f] of rows) {
  console.log(
    `${name.padEnd(28)}${String(f.flagged).padStart(9)}${pct(f.precision).padStart(11)}${pct(f.recall).padStart(9)}${`${num(f.lead)} min`.padStart(15)}${num(f.perDay, 1).padStart(11)}`,
  );
}
console.log(
  `\nBreaches the predictor flagged before warnAt: ${earlier.length} of ${breaches}, a median ${num(medianOf(gained))} business minutes before the at-risk nudge would have come.`,
);
console.log(
  `Precision ratio predicted / warnAt: ${predicted.precision && warn.precision ? (predicted.precision / warn.precision).toFixed(2) : '—'}; lead-time ratio: ${predicted.lead && warn.lead ? (predicted.lead / warn.lead).toFixed(2) : '—'}.`,
);
console.log(
  `\nCost per evaluation (predictBreaches over the open queue): ${(cost.cpuUs / cost.calls / 1000).toFixed(3)} ms CPU, ${(cost.wallMs / cost.calls).toFixed(3)} ms wall` +
    `\nCost per pace computation (replyPaces over ${DEFAULT_PREDICT_SETTINGS.windowDays} days of replies): ${(cost.paceCpuUs / cost.paceCalls / 1000).toFixed(3)} ms CPU, ${(cost.paceWallMs / cost.paceCalls).toFixed(3)} ms wall` +
    `\nThe warnAt rule costs one comparison per clock (no figure worth printing).` +
    `\nWhole replay (simulation included): ${(replayWall / 1000).toFixed(1)} s wall, ${((replayCpu.user + replayCpu.system) / 1e6).toFixed(1)} s CPU.`,
);
