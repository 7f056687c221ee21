import { describe, expect, it } from 'vitest';
import { formatBusinessMinutes } from '../../src/domain/duration.ts';
import { formatMinutes } from '../../src/slack/render/mrkdwn.ts';

describe('durations in messages', () => {
  it.each([
    [0, '0m', '0m'],
    [59, '59m', '59m'],
    [60, '1h', '1h'],
    [90, '1h 30m', '1h 30m'],
    // 26 hours: 26 working hours is three working days, so business time never says "1d".
    [26 * 60, '26h', '1d 2h'],
    [3 * 24 * 60 + 5, '72h 5m', '3d'],
  ])('%i minutes → %s business, %s wall', (minutes, business, wall) => {
    expect(formatBusinessMinutes(minutes)).toBe(business);
    expect(formatMinutes(minutes)).toBe(wall);
  });
});
