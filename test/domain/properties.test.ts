// Invariants of the business calendar and the clocks, checked on generated cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addBusinessTime,
  businessTimeBetween,
  createBusinessCalendar,
  isWorkingTime,
  type TCalendarSpec,
} from '../../src/domain/calendar.ts';
import { computeTicketClocks, type TClockResult, type TTicketFacts, urgencyRank } from '../../src/domain/sla-clocks.ts';

const weekdays = (slots: ReadonlyArray<readonly [string, string]>) => ({
  mon: slots,
  tue: slots,
  wed: slots,
  thu: slots,
  fri: slots,
});
const SPECS: TCalendarSpec[] = [
  { timezone: 'Europe/Berlin', hours: weekdays([['09:00', '17:00']]), holidays: ['2026-03-30', '2026-10-26'] },
  {
    timezone: 'America/New_York',
    hours: weekdays([
      ['08:00', '12:00'],
      ['13:00', '17:30'],
    ]),
  },
  { timezone: 'America/New_York', hours: { ...weekdays([['22:00', '06:00']]), sun: [['01:00', '03:00']] } },
  { timezone: 'Europe/Berlin', hours: { sun: [['00:30', '04:00']], wed: [['00:00', '24:00']] } },
  { timezone: 'Asia/Kolkata', hours: weekdays([['09:30', '18:00']]) },
  { timezone: 'Australia/Lord_Howe', hours: { ...weekdays([['08:00', '16:00']]), sun: [['01:00', '03:00']] } },
];
const calendars = SPECS.map(createBusinessCalendar);

// Instants around both 2026 DST changes of the northern and southern hemispheres, to the second.
const instant = fc
  .integer({ min: Date.parse('2026-02-20T00:00:00Z'), max: Date.parse('2026-11-10T00:00:00Z') })
  .map((ms) => Math.floor(ms / 1000) * 1000);
const calendarIndex = fc.integer({ min: 0, max: calendars.length - 1 });

describe('business calendar invariants', () => {
  it('business time added then measured comes back equal', () => {
    fc.assert(
      fc.property(calendarIndex, instant, fc.integer({ min: 0, max: 20_000 }), (c, start, minutes) => {
        const cal = calendars[c]!;
        const due = addBusinessTime(new Date(start), minutes, cal);
        expect(businessTimeBetween(new Date(start), due, cal)).toBe(minutes);
      }),
      { numRuns: 400 },
    );
  });

  it('deadlines never fall outside working time', () => {
    fc.assert(
      fc.property(
        calendarIndex,
        instant,
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 0, max: 6 }),
        (c, start, minutes, days) => {
          const cal = calendars[c]!;
          for (const duration of [minutes, { days, minutes: days === 0 ? minutes : 0 }]) {
            const due = addBusinessTime(new Date(start), duration, cal);
            // The moment just before a deadline is working time: a deadline is never in a weekend, a night or
            // a holiday (it may be the very end of a working slot).
            expect(isWorkingTime(new Date(due.getTime() - 1), cal)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('business time is additive and never exceeds wall time', () => {
    fc.assert(
      fc.property(calendarIndex, instant, instant, instant, (c, x, y, z) => {
        const cal = calendars[c]!;
        const [a, b, d] = [x, y, z].sort((p, q) => p - q) as [number, number, number];
        const ab = businessTimeBetween(new Date(a), new Date(b), cal);
        const bd = businessTimeBetween(new Date(b), new Date(d), cal);
        const ad = businessTimeBetween(new Date(a), new Date(d), cal);
        expect(ab + bd).toBeCloseTo(ad, 6);
        expect(ad).toBeLessThanOrEqual((d - a) / 60_000);
        expect(ab).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 200 },
    );
  });

  it('more business days never give an earlier deadline', () => {
    fc.assert(
      fc.property(calendarIndex, instant, fc.integer({ min: 0, max: 8 }), (c, start, days) => {
        const cal = calendars[c]!;
        const a = addBusinessTime(new Date(start), { days, minutes: 0 }, cal);
        const b = addBusinessTime(new Date(start), { days: days + 1, minutes: 0 }, cal);
        expect(b.getTime()).toBeGreaterThan(a.getTime());
      }),
      { numRuns: 200 },
    );
  });
});

describe('clock invariants', () => {
  const calendar = calendars[0]!;
  const options = {
    waitingStageIds: new Set(['3']),
    closedStageIds: new Set(['4']),
    useHubspotSla: false,
    substantiveReplyMinLength: 0,
  };
  const rule = {
    name: 'r',
    firstResponse: { days: 0, minutes: 120 },
    nextResponse: { days: 0, minutes: 240 },
    resolution: { days: 2, minutes: 0 },
    warnAt: 0.75,
  };
  const HOUR = 3_600_000;
  const ticketFacts = fc.record({
    created: instant,
    reply: fc.option(fc.integer({ min: 1, max: 200 }), { nil: null }),
    customer: fc.option(fc.integer({ min: 1, max: 200 }), { nil: null }),
    waitFrom: fc.option(fc.integer({ min: 0, max: 200 }), { nil: null }),
    waitHours: fc.option(fc.integer({ min: 1, max: 100 }), { nil: null }),
  });
  const build = (f: {
    created: number;
    reply: number | null;
    customer: number | null;
    waitFrom: number | null;
    waitHours: number | null;
  }) => {
    const reply = f.reply === null ? null : new Date(f.created + f.reply * HOUR);
    const customer = reply && f.customer !== null ? new Date(reply.getTime() + f.customer * HOUR) : null;
    const waitStart = f.waitFrom === null ? null : f.created + f.waitFrom * HOUR;
    const ticket: TTicketFacts = {
      id: 't',
      createdAt: new Date(f.created),
      isClosed: false,
      closedAt: null,
      reopenedAt: null,
      firstAgentReplyAt: reply,
      lastCustomerMessageAt: customer,
      lastAgentMessageAt: reply,
      stageId: '1',
      stageEnteredAt: new Date(f.created),
      hsFirstResponseDueAt: null,
      hsNextResponseDueAt: null,
      hsCloseDueAt: null,
    };
    const stagePeriods =
      waitStart === null
        ? []
        : [
            {
              stageId: '3',
              enteredAt: new Date(waitStart),
              exitedAt: f.waitHours === null ? null : new Date(waitStart + f.waitHours * HOUR),
            },
          ];
    return { ticket, stagePeriods };
  };
  // Lateness ignoring pauses: a pause is not an improvement, it only stops the clock.
  const lateness = (c: TClockResult) =>
    c.state === 'paused' ? (c.usedMinutes >= 0.75 * c.targetMinutes ? 1 : 0) : Math.min(urgencyRank(c.state), 5);

  it('more elapsed time never improves a state', () => {
    fc.assert(
      fc.property(ticketFacts, fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 200 }), (facts, t1, dt) => {
        const input = build(facts);
        const first = new Date(facts.created + t1 * HOUR);
        const later = new Date(first.getTime() + dt * HOUR);
        const before = computeTicketClocks(input, rule, calendar, options, first).clocks;
        const after = computeTicketClocks(input, rule, calendar, options, later).clocks;
        for (const a of before) {
          const b = after.find((c) => c.clock === a.clock && c.cycle === a.cycle);
          if (!b) continue;
          expect(b.usedMinutes).toBeGreaterThanOrEqual(a.usedMinutes);
          expect(b.overdueMinutes).toBeGreaterThanOrEqual(a.overdueMinutes);
          if (a.state === 'breached' || a.state === 'missed') expect(['breached', 'missed']).toContain(b.state);
          if (a.state === 'met') expect(b.state).toBe('met');
          const open = (s: string) => s === 'running' || s === 'at_risk' || s === 'breached';
          if (open(a.state) && open(b.state)) {
            const rank = (s: string) => ({ running: 0, at_risk: 1, breached: 2 })[s]!;
            expect(rank(b.state)).toBeGreaterThanOrEqual(rank(a.state));
          }
          if (a.state !== 'paused' && b.state !== 'paused' && b.completedAt === null) {
            expect(lateness(b)).toBeGreaterThanOrEqual(lateness(a));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: the same facts at the same instant give the same clocks', () => {
    fc.assert(
      fc.property(ticketFacts, fc.integer({ min: 0, max: 400 }), (facts, t1) => {
        const input = build(facts);
        const now = new Date(facts.created + t1 * HOUR);
        expect(computeTicketClocks(input, rule, calendar, options, now)).toEqual(
          computeTicketClocks(input, rule, calendar, options, now),
        );
      }),
      { numRuns: 100 },
    );
  });
});
