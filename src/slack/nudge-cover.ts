// Away-aware routing as the nudge reconciler applies it (issue 15): who a ticket's ping goes to now, what its
// messages say about it, and what the Nudge row remembers (Nudge.cover, Nudge.coverCheckAt).
//
// The route is decided when a ping is due (level 2, a reopened ticket, a new owner) and again at `coverCheckAt`:
// while someone covers, when the owner is due back and every few minutes (statuses change); while the pinged owner
// is present, every few minutes too, so an owner who goes away after the ping hands the ticket to a backup. Not on
// every run. The decision is stored on the nudge, so every later edit of its messages shows the same cover.
import type { FlagContext } from '../db/flags-read-repo.ts';
import type { Flag, Nudge, NudgeFields } from '../db/slack-repo.ts';
import type { AwayReason } from '../domain/availability.ts';
import { currentClaim } from '../domain/claim.ts';
import { type Route, routeAfterPing } from '../domain/routing.ts';
import type { NudgeRouter } from './away-router.ts';
import { type CoverView, NOBODY_COVERS, type NudgeView } from './render/nudge.ts';
import type { SlackTeam } from './teams.ts';

/** Nudge.pingedUser when the owner and every backup were away: the thread alone was told. */
export const AWAY_TARGET = NOBODY_COVERS;

/** What Nudge.cover holds (JSON). `reason` set: someone covers now (`backup`) or nobody can; unset: nobody covers. */
export interface StoredCover {
  /** The HubSpot owner id it is about: a cover for a previous owner does not apply to a new one. */
  owner: string;
  name: string;
  reason?: AwayReason | undefined;
  until?: number | undefined;
  status?: string | undefined;
  backup?: string | undefined;
  /** Who covered before and does not any more. */
  past: string[];
}

export function parseCover(text: string | null | undefined): StoredCover | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as StoredCover;
    return typeof value.owner === 'string' && Array.isArray(value.past) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The stored cover after `route` (the previous one's backups kept as `past` when they no longer cover). */
export function nextCover(
  previous: StoredCover | undefined,
  owner: string,
  name: string,
  route: Route,
): StoredCover | undefined {
  const past = new Set(previous?.past ?? []);
  if (previous?.backup) past.add(previous.backup);
  if (route.kind === 'backup') past.delete(route.user);
  const pastList = [...past];
  if (route.kind === 'owner') return pastList.length > 0 ? { owner, name, past: pastList } : undefined;
  const { reason, until, status } = route.because;
  return {
    owner,
    name,
    reason,
    ...(until ? { until: until.getTime() } : {}),
    ...(status ? { status } : {}),
    ...(route.kind === 'backup' ? { backup: route.user } : {}),
    past: pastList,
  };
}

/** What the nudge and its companions show of a stored cover. */
export function shownCover(
  stored: StoredCover | undefined,
  timeZone: string,
): Pick<NudgeView, 'cover' | 'coveredBefore'> {
  if (!stored) return {};
  const shown: Pick<NudgeView, 'cover' | 'coveredBefore'> = {};
  if (stored.reason) {
    const cover: CoverView = { ownerName: stored.name, reason: stored.reason, timeZone };
    if (stored.until !== undefined) cover.until = new Date(stored.until);
    if (stored.status) cover.status = stored.status;
    if (stored.backup) cover.backup = stored.backup;
    shown.cover = cover;
  }
  if (stored.past.length > 0) shown.coveredBefore = stored.past;
  return shown;
}

/** The HubSpot owner id of a flag's ticket (a feedback answer's ticket too). */
function ownerIdOf(flag: Flag, ctx: FlagContext): string | undefined {
  const feedback = flag.feedbackId ? ctx.feedback.get(flag.feedbackId) : undefined;
  const ticketId = flag.ticketId ?? feedback?.ticketId ?? undefined;
  return (ticketId ? ctx.tickets.get(ticketId)?.ownerId : undefined) ?? undefined;
}

export interface CoverSubject {
  flag: Flag;
  /** The flag's current nudge (undefined: about to be created). */
  nudge: Pick<Nudge, 'cover' | 'coverCheckAt' | 'pingedUser'> | undefined;
  /** The nudge's level as the ladder sees it (0 for a ticket reopened after it ended). */
  level: number;
  wanted: number;
  done: boolean;
  ctx: FlagContext;
  view: Pick<NudgeView, 'owner' | 'claimLapsed'> & { ownerEmail?: string | undefined };
  team: SlackTeam;
}

export interface CoverDecision {
  /** Who a ping goes to now: a Slack user, AWAY_TARGET, or undefined (the owner has no Slack user). */
  target: string | undefined;
  /** Merged into the view. */
  shown: Pick<NudgeView, 'cover' | 'coveredBefore'>;
  /** Nudge columns that change. */
  fields: Pick<NudgeFields, 'cover' | 'coverCheckAt'>;
}

/** Routes a flag's ping when it is due (see the file's header); otherwise keeps what the nudge stored. */
export async function decideCover(router: NudgeRouter | undefined, s: CoverSubject, now: Date): Promise<CoverDecision> {
  const ownerId = ownerIdOf(s.flag, s.ctx);
  const ownerSlack = s.view.owner?.slackUserId;
  const previous = parseCover(s.nudge?.cover);
  // A claim still standing (not lapsed, not made for another team) says who is on the ticket.
  const claim = s.view.claimLapsed ? undefined : currentClaim(s.flag);
  if (ownerSlack !== undefined && claim?.by === ownerSlack) {
    // The owner claimed it (👀, the button, or a claim that made them the owner): they are here, whatever their
    // status or hours say. Nobody covers.
    const fields: CoverDecision['fields'] = {};
    if (s.nudge?.cover) fields.cover = null;
    if (s.nudge?.coverCheckAt) fields.coverCheckAt = null;
    return { target: ownerSlack, shown: shownCover(undefined, s.team.calendar.zone.name), fields };
  }
  const stored = previous && previous.owner === ownerId ? previous : undefined;
  const checkDue = !s.nudge?.coverCheckAt || s.nudge.coverCheckAt <= now;
  // Someone else claimed it (the backup covering, a colleague): routing stays as it is while their claim stands, so
  // the owner coming back neither takes it from them nor is pinged about a ticket someone is answering.
  const claimedByOther = claim !== undefined && claim.by !== ownerSlack;
  // The owner was pinged and is here: checked every few minutes, in case they go away while the ticket waits.
  const pingedOwner =
    s.level >= 2 && stored?.reason === undefined && ownerSlack !== undefined && s.nudge?.pingedUser === ownerSlack;
  const due =
    router !== undefined &&
    !claimedByOther &&
    !s.done &&
    s.wanted >= 2 &&
    ownerId !== undefined &&
    (s.level < 2 ||
      (stored?.reason !== undefined && checkDue) ||
      (previous !== undefined && stored === undefined) ||
      // A new owner.
      (stored?.reason === undefined && s.nudge?.pingedUser != null && s.nudge.pingedUser !== ownerSlack) ||
      (pingedOwner && checkDue));
  let cover = stored;
  const fields: CoverDecision['fields'] = {};
  if (due) {
    const asked = await router.route(
      {
        team: s.team,
        owner: { ownerId, email: s.view.ownerEmail, slackUserId: ownerSlack },
        seed: s.flag.ticketId ?? s.flag.key,
      },
      now,
    );
    const route = pingedOwner ? routeAfterPing(asked) : asked;
    cover = nextCover(stored, ownerId, s.view.owner?.name ?? `HubSpot owner ${ownerId}`, route);
    const text = cover ? JSON.stringify(cover) : null;
    // Checked again when the owner is due back, and meanwhile every few minutes (a backup may go away too); an
    // owner who is here, every few minutes as well (they may leave while the ticket waits).
    const recheck = now.getTime() + router.recheckMs;
    const checkAt = cover?.reason
      ? new Date(Math.min(cover.until ?? Number.POSITIVE_INFINITY, recheck))
      : ownerSlack !== undefined
        ? new Date(recheck)
        : null;
    if (text !== (s.nudge?.cover ?? null)) fields.cover = text;
    if ((checkAt?.getTime() ?? null) !== (s.nudge?.coverCheckAt?.getTime() ?? null)) fields.coverCheckAt = checkAt;
  }
  // A check time that passed without a check (the nudge is over, the ticket lost its owner, routing is off) is
  // cleared: left in the past it would bring the nudge back for work on every run. Held by someone else's claim:
  // looked at again a few minutes on, not on every run while the claim stands.
  if (!due && checkDue && s.nudge?.coverCheckAt) {
    fields.coverCheckAt =
      router !== undefined && claimedByOther && !s.done ? new Date(now.getTime() + router.recheckMs) : null;
  }
  const target = cover?.reason ? (cover.backup ?? AWAY_TARGET) : ownerSlack;
  return { target, shown: shownCover(cover, s.team.calendar.zone.name), fields };
}
