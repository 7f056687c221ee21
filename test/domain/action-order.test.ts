import { describe, expect, it } from 'vitest';
import { actionGroup, comesAfter, compareSlackTs, type OrderedAct } from '../../src/domain/action-order.ts';

describe('compareSlackTs', () => {
  it.each<[string, string, number | undefined]>([
    ['1772445600.000100', '1772445600.000100', 0],
    ['1772445600.000100', '1772445600.000101', -1],
    // A microsecond apart at 16 significant digits: Number() would call these equal.
    ['1772445600.123456', '1772445600.123457', -1],
    ['1772445601.000000', '1772445600.999999', 1],
    ['2.1', '2.10', 0],
    ['2.1', '2.09', 1],
    ['9.5', '10.1', -1],
    ['1772445600', '1772445600.000001', -1],
    ['not-a-ts', '1.0', undefined],
    ['1.0', '', undefined],
  ])('%s vs %s → %s', (a, b, expected) => {
    expect(compareSlackTs(a, b)).toBe(expected);
  });
});

describe('comesAfter', () => {
  const last: OrderedAct = { slackTs: '1772445600.000500', actor: 'UBOB' };
  it.each<[string, OrderedAct, OrderedAct | undefined, boolean]>([
    ['the first act of its kind', { slackTs: '1.0', actor: 'UBOB' }, undefined, true],
    ['a later act', { slackTs: '1772445600.000501', actor: 'UBOB' }, last, true],
    [
      'an earlier act delivered late (a removal that overtook its addition)',
      { slackTs: '1772445600.000499', actor: 'UBOB' },
      last,
      false,
    ],
    ['the same act again', { slackTs: '1772445600.000500', actor: 'UBOB' }, last, false],
    [
      'someone else at the same microsecond, later by id',
      { slackTs: '1772445600.000500', actor: 'UCAROL' },
      last,
      true,
    ],
    [
      'someone else at the same microsecond, earlier by id',
      { slackTs: '1772445600.000500', actor: 'UANNA' },
      last,
      false,
    ],
    [
      'someone else earlier: order is per flag, not per person',
      { slackTs: '1772445600.000400', actor: 'UCAROL' },
      last,
      false,
    ],
    ['a timestamp that cannot be ordered applies as it arrives', { slackTs: 'x', actor: 'UBOB' }, last, true],
  ])('%s', (_name, act, previous, expected) => {
    expect(comesAfter(act, previous)).toBe(expected);
  });

  it.each([
    ['claim', 'claimed'],
    ['unclaim', 'claimed'],
    ['handle', 'handled'],
    ['unhandle', 'handled'],
    ['snooze', 'snoozed'],
    ['unsnooze', 'snoozed'],
  ] as const)('%s is ordered with the other %s acts', (action, group) => {
    expect(actionGroup(action)).toBe(group);
  });
});
