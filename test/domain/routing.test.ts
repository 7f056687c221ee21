import { describe, expect, it } from 'vitest';
import type { AwayState } from '../../src/domain/availability.ts';
import { rotationStart, routeAfterPing, routeNudge } from '../../src/domain/routing.ts';

const OOO: AwayState = { away: true, reason: 'out-of-office', until: new Date('2026-03-09T08:00:00Z') };
const HERE: AwayState = { away: false };

/** A seed whose rotation starts at `index` of `length`. */
function seedStartingAt(index: number, length: number): string {
  for (let i = 0; ; i++) if (rotationStart(`ticket-${i}`, length) === index) return `ticket-${i}`;
}

describe('routeNudge', () => {
  const backups = ['UBOB', 'UDAN', 'UEVE'];
  it.each<[string, AwayState, string[], number, unknown]>([
    ['owner available → owner', HERE, [], 0, { kind: 'owner' }],
    ['owner away → the ticket’s backup in rotation', OOO, [], 0, { kind: 'backup', user: 'UBOB', because: OOO }],
    ['rotation starts elsewhere for another ticket', OOO, [], 1, { kind: 'backup', user: 'UDAN', because: OOO }],
    ['backup away too → next in rotation', OOO, ['UDAN'], 1, { kind: 'backup', user: 'UEVE', because: OOO }],
    ['next in rotation wraps around', OOO, ['UEVE'], 2, { kind: 'backup', user: 'UBOB', because: OOO }],
    ['every backup away → the channel alone', OOO, ['UBOB', 'UDAN', 'UEVE'], 0, { kind: 'channel', because: OOO }],
  ])('%s', (_name, owner, awayBackups, start, expected) => {
    const route = routeNudge({
      owner,
      backups,
      seed: seedStartingAt(start, 3),
      awayOf: (user) => (awayBackups.includes(user) ? OOO : HERE),
    });
    expect(route).toEqual(expected);
  });

  it('no backups configured → the channel alone', () => {
    expect(routeNudge({ owner: OOO, backups: [], seed: 'x', awayOf: () => HERE })).toEqual({
      kind: 'channel',
      because: OOO,
    });
  });

  it('the owner never covers for themselves', () => {
    const route = routeNudge({
      owner: OOO,
      backups: ['UANNA', 'UANNA'],
      ownerUser: 'UANNA',
      seed: 'x',
      awayOf: () => HERE,
    });
    expect(route.kind).toBe('channel');
  });

  it('one ticket keeps its cover; tickets spread over the backups', () => {
    const pick = (seed: string) => routeNudge({ owner: OOO, backups, seed, awayOf: () => HERE });
    expect(pick('ticket-42')).toEqual(pick('ticket-42'));
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const route = pick(`ticket-${i}`);
      if (route.kind === 'backup') counts.set(route.user, (counts.get(route.user) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(backups);
    for (const n of counts.values()) expect(n).toBeGreaterThan(60);
  });
});

describe('routeAfterPing (an owner pinged already, checked again)', () => {
  const OFF_HOURS: AwayState = { away: true, reason: 'off-hours', until: new Date('2026-03-10T08:00:00Z') };
  const SLACK: AwayState = { away: true, reason: 'slack-status', status: ':palm_tree: Beach' };
  it.each<[string, Parameters<typeof routeAfterPing>[0], unknown]>([
    ['here → stays theirs', { kind: 'owner' }, { kind: 'owner' }],
    [
      'out of office → the backup',
      { kind: 'backup', user: 'UBOB', because: OOO },
      { kind: 'backup', user: 'UBOB', because: OOO },
    ],
    [
      'a vacation status → the backup',
      { kind: 'backup', user: 'UBOB', because: SLACK },
      { kind: 'backup', user: 'UBOB', because: SLACK },
    ],
    ['every backup away → the channel', { kind: 'channel', because: OOO }, { kind: 'channel', because: OOO }],
    ['their working day ended → stays theirs', { kind: 'backup', user: 'UBOB', because: OFF_HOURS }, { kind: 'owner' }],
    ['day ended, no backup → stays theirs', { kind: 'channel', because: OFF_HOURS }, { kind: 'owner' }],
  ])('%s', (_name, route, expected) => {
    expect(routeAfterPing(route)).toEqual(expected);
  });
});
