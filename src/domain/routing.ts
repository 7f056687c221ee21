// Who a late ticket's ping goes to when its owner may be away: the owner while they are available; otherwise the
// first available backup in the team's rotation; the team channel alone when every backup is away too. Pure.
//
// Rotation: the starting backup is chosen by a hash of the ticket (its `seed`), not by a counter. One ticket keeps
// the same cover for as long as its owner stays away (re-checks, later clocks of the same ticket, restarts and
// replicas all agree without shared state), while different tickets spread over the backups.
import type { AwayState } from './availability.ts';

export type Away = Extract<AwayState, { away: true }>;

export interface RouteInput {
  /** Whether the owner is away now. */
  owner: AwayState;
  /** The team's backups in rotation order (Slack user ids); the owner among them is skipped. */
  backups: readonly string[];
  /** The owner's own Slack user id, so they never cover for themselves. */
  ownerUser?: string | undefined;
  /** Stable per ticket: where in the rotation this ticket starts. */
  seed: string;
  awayOf: (user: string) => AwayState;
}

export type Route =
  | { kind: 'owner' }
  | { kind: 'backup'; user: string; because: Away }
  | { kind: 'channel'; because: Away };

/** Where in a rotation of `length` the ticket `seed` starts (stable, spread evenly). */
export function rotationStart(seed: string, length: number): number {
  if (length <= 1) return 0;
  // FNV-1a (32 bit): stable across processes and versions, and the domain imports nothing.
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % length;
}

export function routeNudge(input: RouteInput): Route {
  if (!input.owner.away) return { kind: 'owner' };
  const because = input.owner;
  const backups = [...new Set(input.backups)].filter((user) => user !== input.ownerUser);
  const start = rotationStart(input.seed, backups.length);
  for (let i = 0; i < backups.length; i++) {
    const user = backups[(start + i) % backups.length]!;
    if (!input.awayOf(user).away) return { kind: 'backup', user, because };
  }
  return { kind: 'channel', because };
}

/**
 * The route for an owner who was already pinged about the ticket and is checked again while it waits: they hand it
 * over when they go away (out of office, away in HubSpot or in Slack), not when their working day ends — the
 * backup would be pinged every evening and the owner again every morning about the same ticket.
 */
export function routeAfterPing(route: Route): Route {
  return route.kind !== 'owner' && route.because.reason === 'off-hours' ? { kind: 'owner' } : route;
}
