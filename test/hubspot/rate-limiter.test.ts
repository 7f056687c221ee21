import { describe, expect, it } from 'vitest';
import { createTimeZone, startOfNextDay } from '../../src/domain/time-zone.ts';
import { RollingWindowLimiter } from '../../src/hubspot/rate-limiter.ts';
import { fakeClock } from './harness.ts';

describe('RollingWindowLimiter', () => {
  it('admits a full window at once, then one request per freed slot', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter(5, 10_000, clock, 50);
    const admitted: number[] = [];
    for (let i = 0; i < 12; i++) {
      const release = await limiter.acquire();
      admitted.push(clock.now().getTime());
      release();
    }
    expect(admitted.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // The 6th waits for the first to leave the window (plus the margin).
    expect(admitted[5]).toBe(10_050);
    expect(admitted[10]).toBe(20_100);
    // Never more than 5 in any 10 s window.
    for (const t of admitted) expect(admitted.filter((u) => u > t - 10_000 && u <= t).length).toBeLessThanOrEqual(5);
  });

  it('holds everyone back after a 429 until the pause ends', async () => {
    const clock = fakeClock(1000);
    const limiter = new RollingWindowLimiter(100, 10_000, clock);
    limiter.pauseUntil(11_000);
    await limiter.acquire();
    expect(clock.now().getTime()).toBe(11_000);
  });

  it('handles fractional rates through the window length (search at 4/s)', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter(4, 1000, clock, 0);
    for (let i = 0; i < 9; i++) (await limiter.acquire())();
    expect(clock.now().getTime()).toBe(2000);
  });

  it('dates a slot by its answer: a slow request holds its place in the window until it returns', async () => {
    const clock = fakeClock();
    const limiter = new RollingWindowLimiter(1, 10_000, clock, 0);
    const slow = await limiter.acquire();
    // The answer arrives 3 s after the request was sent.
    clock.advance(3000);
    slow();
    (await limiter.acquire())();
    // The next request waits for the *answer* (at 3 s) to leave the window, not the send (at 0).
    expect(clock.now().getTime()).toBe(13_000);
  });
});

describe('startOfNextDay (HubSpot’s daily limit resets when the portal’s next day begins)', () => {
  it.each([
    ['2026-11-20T12:00:00Z', 'UTC', '2026-11-21T00:00:00.000Z'],
    ['2026-11-20T12:00:00Z', 'US/Eastern', '2026-11-21T05:00:00.000Z'],
    ['2026-11-20T03:00:00Z', 'US/Eastern', '2026-11-20T05:00:00.000Z'],
    ['2026-11-20T12:00:00Z', 'Europe/Berlin', '2026-11-20T23:00:00.000Z'],
    ['2026-11-20T23:30:00Z', 'Asia/Tokyo', '2026-11-21T15:00:00.000Z'],
    // The night DST starts in New York: midnight is still EST; the next one is EDT.
    ['2026-03-07T12:00:00Z', 'America/New_York', '2026-03-08T05:00:00.000Z'],
    ['2026-03-08T12:00:00Z', 'America/New_York', '2026-03-09T04:00:00.000Z'],
    // Santiago starts DST at midnight: 5 September 2026 ends at 23:59:59 −04 and 6 September begins at 01:00 −03,
    // 04:00 UTC. (A computation from the offset before the change put it an hour early, at 23:00 on the 5th.)
    ['2026-09-05T12:00:00Z', 'America/Santiago', '2026-09-06T04:00:00.000Z'],
    ['2026-09-06T03:59:00Z', 'America/Santiago', '2026-09-06T04:00:00.000Z'],
    ['2026-09-06T04:00:00Z', 'America/Santiago', '2026-09-07T03:00:00.000Z'],
    // And ends it at midnight: Saturday 4 April's last hour runs twice; Sunday begins once, at 00:00 −04.
    ['2026-04-04T12:00:00Z', 'America/Santiago', '2026-04-05T04:00:00.000Z'],
    ['2026-04-05T03:30:00Z', 'America/Santiago', '2026-04-05T04:00:00.000Z'],
  ])('from %s in %s → %s', (now, zone, expected) => {
    expect(new Date(startOfNextDay(createTimeZone(zone), Date.parse(now))).toISOString()).toBe(expected);
  });
});
