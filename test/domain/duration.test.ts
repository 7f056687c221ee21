import { describe, expect, it } from 'vitest';
import { formatBusinessMinutes, parseBusinessDuration } from '../../src/domain/duration.ts';

describe('parseBusinessDuration', () => {
  it.each([
    ['90m', { days: 0, minutes: 90 }],
    ['4h', { days: 0, minutes: 240 }],
    ['3d', { days: 3, minutes: 0 }],
    ['1h30m', { days: 0, minutes: 90 }],
    ['1d4h', { days: 1, minutes: 240 }],
    [' 1d 4h ', { days: 1, minutes: 240 }],
    ['2H', { days: 0, minutes: 120 }],
  ])('%s', (text, expected) => {
    expect(parseBusinessDuration(text)).toEqual(expected);
  });

  it.each(['', '0m', '0d0h', '1.5h', 'h', '4 hours', '-1h', '1m1h'])('rejects %j', (text) => {
    expect(() => parseBusinessDuration(text)).toThrow(/not a business duration/);
  });
});

describe('formatBusinessMinutes', () => {
  it.each([
    [0, '0m'],
    [45, '45m'],
    [60, '1h'],
    [95, '1h 35m'],
    [1500, '25h'],
    [-5, '0m'],
  ])('%d → %s', (minutes, text) => {
    expect(formatBusinessMinutes(minutes)).toBe(text);
  });
});
