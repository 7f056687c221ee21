import { describe, expect, it } from 'vitest';
import { decideEscalation, type TEscalationInput } from '../../src/domain/escalation.ts';

const now = new Date('2026-11-23T12:00:00Z');
const base: TEscalationInput = {
  state: 'at_risk',
  level: 0,
  targetMinutes: 60,
  overdueMinutes: 0,
  overdueSinceClaimMinutes: null,
  escalateAfter: 0.5,
  snoozedUntil: null,
};

describe('decideEscalation', () => {
  it.each<[string, Partial<TEscalationInput>, { level: number; stepDue: boolean; deferredBy?: string }]>([
    ['at risk: nudge', {}, { level: 1, stepDue: true }],
    ['at risk again: nothing new', { level: 1 }, { level: 1, stepDue: false }],
    ['breached: ping the owner', { state: 'breached', level: 1 }, { level: 2, stepDue: true }],
    [
      'breached by exactly half: not yet',
      { state: 'breached', level: 2, overdueMinutes: 30 },
      { level: 2, stepDue: false },
    ],
    [
      'breached by more than half: escalate',
      { state: 'breached', level: 2, overdueMinutes: 31 },
      { level: 3, stepDue: true },
    ],
    [
      'straight to the top takes one step',
      { state: 'breached', level: 0, overdueMinutes: 120 },
      { level: 3, stepDue: true },
    ],
    [
      'configurable threshold',
      { state: 'breached', level: 2, overdueMinutes: 31, escalateAfter: 1 },
      { level: 2, stepDue: false },
    ],
    ['never goes down', { state: 'at_risk', level: 3 }, { level: 3, stepDue: false }],
    [
      'snoozed: deferred',
      { state: 'breached', level: 1, snoozedUntil: new Date('2026-11-23T13:00:00Z') },
      { level: 1, stepDue: false, deferredBy: 'snooze' },
    ],
    [
      'snooze over: the step happens',
      { state: 'breached', level: 1, snoozedUntil: new Date('2026-11-23T11:00:00Z') },
      { level: 2, stepDue: true },
    ],
    [
      'claimed: escalation waits for the window after the claim',
      { state: 'breached', level: 2, overdueMinutes: 100, overdueSinceClaimMinutes: 10 },
      { level: 2, stepDue: false, deferredBy: 'claim' },
    ],
    [
      'claimed long enough ago: escalate',
      { state: 'breached', level: 2, overdueMinutes: 100, overdueSinceClaimMinutes: 40 },
      { level: 3, stepDue: true },
    ],
    [
      'handled: stops for the cycle',
      { state: 'handled', level: 1, overdueMinutes: 500 },
      { level: 1, stepDue: false, deferredBy: 'handled' },
    ],
    ['feedback pending: nudge', { state: 'pending' }, { level: 1, stepDue: true }],
    ['feedback overdue: ping', { state: 'overdue', level: 1, overdueMinutes: 10 }, { level: 2, stepDue: true }],
    ['resolved: nothing', { state: 'resolved', level: 1 }, { level: 1, stepDue: false }],
  ])('%s', (_label, over, expected) => {
    expect(decideEscalation({ ...base, ...over }, now)).toMatchObject(expected);
  });
});
