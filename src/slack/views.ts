// Turns Flag rows (and the ticket, feedback, owner and clock rows around them) into the view models the
// pure renderers take. The only place that decides what a nudge says about waiting time and ownership.

import { createHash } from 'node:crypto';
import type { FlagContext } from '../db/flags-read-repo.ts';
import type { ClockState, Flag, Owner, Ticket } from '../db/slack-repo.ts';
import { businessTimeBetween } from '../domain/calendar.ts';
import { currentClaim } from '../domain/claim.ts';
import { typicalWorkdayMinutes } from '../domain/duration.ts';
import type { ClockName, FlagKind, FlagOutcome, FlagState } from '../domain/flag.ts';
import type { NudgeView, PersonRef } from './render/nudge.ts';
import type { QueueItem } from './render/queue.ts';
import type { SlackTeam } from './teams.ts';
import type { SlackUserDirectory } from './users.ts';

export interface ViewDeps {
  users: Pick<SlackUserDirectory, 'slackIdForEmail' | 'knownSlackId'>;
  teams: readonly SlackTeam[];
}

const MINUTE = 60_000;

export function hubspotRecordUrl(
  portal: FlagContext['portal'],
  objectType: '0-1' | '0-5',
  id: string,
): string | undefined {
  return portal ? `https://${portal.uiDomain}/contacts/${portal.id}/record/${objectType}/${id}` : undefined;
}

export function ownerName(owner: Owner | undefined, ownerId: string | null | undefined): string {
  if (!owner) return ownerId ? `HubSpot owner ${ownerId}` : 'Unassigned';
  const name = [owner.firstName, owner.lastName].filter(Boolean).join(' ').trim();
  return name || owner.email || `HubSpot owner ${owner.id}`;
}

function customerOf(
  ticket: Pick<Ticket, 'contactName' | 'companyName' | 'contactEmail'> | undefined,
  fallback?: string | null,
): string {
  const name = ticket?.contactName ?? fallback ?? ticket?.contactEmail;
  const company = ticket?.companyName;
  if (name && company && name !== company) return `${name} (${company})`;
  return name ?? company ?? 'Unknown customer';
}

interface Base {
  kind: FlagKind;
  state: FlagState;
  clock?: ClockName | undefined;
  subject: string;
  customer: string;
  hubspotUrl?: string | undefined;
  owner?: PersonRef | undefined;
  ownerEmail?: string | undefined;
  priority?: string | undefined;
  waitedBusinessMinutes: number;
  waitedWallMinutes: number;
  dueAt?: Date | undefined;
  overdueBusinessMinutes: number;
  workdayMinutes?: number | undefined;
  feedback?: NudgeView['feedback'];
  customerSaid?: NudgeView['customerSaid'];
}

/** Facts shared by nudges and list items. `live` resolves owners through Slack; lists use the cache only. */
async function baseOf(flag: Flag, ctx: FlagContext, now: Date, deps: ViewDeps, live: boolean): Promise<Base> {
  const team = deps.teams.find((t) => t.name === flag.team);
  const business = (from: Date, to: Date) =>
    team ? Math.max(0, businessTimeBetween(from, to, team.calendar)) : (to.getTime() - from.getTime()) / MINUTE;
  const feedback = flag.feedbackId ? ctx.feedback.get(flag.feedbackId) : undefined;
  const ticketId = flag.ticketId ?? feedback?.ticketId ?? undefined;
  const ticket = ticketId ? ctx.tickets.get(ticketId) : undefined;
  const owner = ticket?.ownerId ? ctx.owners.get(ticket.ownerId) : undefined;
  const email = owner?.email ?? undefined;
  const slackUserId = live ? await deps.users.slackIdForEmail(email, now) : await deps.users.knownSlackId(email);
  const ownerRef: PersonRef | undefined = ticket?.ownerId
    ? { name: ownerName(owner, ticket.ownerId), slackUserId }
    : undefined;
  const dueAt = flag.dueAt ?? undefined;
  // Long waits read in the team's working days ("242 working days"), not in thousands of hours.
  const workdayMinutes = team ? typicalWorkdayMinutes(team.calendar, now) : undefined;
  if (flag.kind === 'feedback') {
    const submittedAt = feedback?.submittedAt ?? flag.raisedAt;
    return {
      kind: 'feedback',
      state: flag.state as FlagState,
      subject: ticket?.subject ?? feedback?.surveyName ?? 'Survey answer',
      customer: customerOf(ticket, feedback?.contactName ?? feedback?.contactEmail),
      hubspotUrl: ticketId
        ? hubspotRecordUrl(ctx.portal, '0-5', ticketId)
        : feedback?.contactId
          ? hubspotRecordUrl(ctx.portal, '0-1', feedback.contactId)
          : undefined,
      owner: ownerRef,
      ownerEmail: email,
      priority: ticket?.priority ?? undefined,
      waitedBusinessMinutes: business(submittedAt, now),
      waitedWallMinutes: (now.getTime() - submittedAt.getTime()) / MINUTE,
      dueAt,
      overdueBusinessMinutes: dueAt && dueAt < now ? business(dueAt, now) : 0,
      workdayMinutes,
      feedback: {
        surveyType: feedback?.surveyType ?? 'Survey',
        score: feedback?.value ?? undefined,
        comment: feedback?.content ?? undefined,
      },
    };
  }
  const clock = (flag.clock ?? 'firstResponse') as ClockName;
  const state = ticketId ? ctx.clocks.get(`${ticketId}:${clock}`) : undefined;
  const startedAt = state?.startedAt ?? flag.raisedAt;
  // ClockState is the engine's word as of its last evaluation (it knows about pauses); add the business
  // time since then unless the clock is paused.
  const since = state && state.state !== 'paused' ? business(state.evaluatedAt, now) : 0;
  const used = state ? state.usedMinutes + since : business(startedAt, now);
  const overdue = state
    ? state.overdueMinutes > 0 || flag.state === 'breached'
      ? state.overdueMinutes + since
      : 0
    : dueAt && dueAt < now
      ? business(dueAt, now)
      : 0;
  return {
    kind: 'ticket',
    state: flag.state as FlagState,
    clock,
    subject: ticket?.subject ?? `Ticket ${ticketId ?? ''}`.trim(),
    customer: customerOf(ticket),
    hubspotUrl: ticketId ? hubspotRecordUrl(ctx.portal, '0-5', ticketId) : undefined,
    owner: ownerRef,
    ownerEmail: email,
    priority: ticket?.priority ?? undefined,
    waitedBusinessMinutes: used,
    waitedWallMinutes: (now.getTime() - startedAt.getTime()) / MINUTE,
    dueAt: state?.dueAt ?? dueAt,
    overdueBusinessMinutes: overdue,
    workdayMinutes,
    customerSaid: customerSaidOf(state),
  };
}

/** The customer's latest unanswered message, as the evaluation stored it with a clock still running. */
export function customerSaidOf(
  clock: Pick<ClockState, 'quoteText' | 'quoteAt' | 'completedAt'> | undefined,
): NudgeView['customerSaid'] {
  if (!clock || clock.completedAt !== null || !clock.quoteText || !clock.quoteAt) return undefined;
  return { text: clock.quoteText, at: clock.quoteAt };
}

export async function buildNudgeView(
  flag: Flag,
  ctx: FlagContext,
  now: Date,
  deps: ViewDeps,
): Promise<NudgeView & { ownerEmail?: string | undefined }> {
  const base = await baseOf(flag, ctx, now, deps, true);
  const snoozed = flag.snoozedUntil && flag.snoozedUntil > now;
  return {
    flagKey: flag.key,
    ...base,
    asOf: now,
    claimedBy: currentClaim(flag)?.by,
    handledBy: flag.handledBy ?? undefined,
    handledAt: flag.handledAt ?? undefined,
    snoozedBy: snoozed ? (flag.snoozedBy ?? undefined) : undefined,
    snoozedUntil: snoozed ? (flag.snoozedUntil ?? undefined) : undefined,
    resolvedAt: flag.resolvedAt ?? undefined,
    outcome: (flag.outcome ?? undefined) as FlagOutcome | undefined,
  };
}

export async function buildQueueItems(
  flags: Flag[],
  ctx: FlagContext,
  now: Date,
  deps: ViewDeps,
): Promise<QueueItem[]> {
  return Promise.all(
    flags.map(async (flag) => {
      const base = await baseOf(flag, ctx, now, deps, false);
      return { flagKey: flag.key, ...base, claimedBy: flag.claimedBy ?? undefined };
    }),
  );
}

/**
 * Hash of what a nudge's thread ping, DM and escalation show: its state, how it ended, its owner, who handled
 * it, where it moved. They are updated when this changes (not for claims, snoozes or the due time).
 */
export function companionHash(view: NudgeView): string {
  const { state, outcome, owner, handledBy, movedTo, kind, clock, cover, coveredBefore } = view;
  // cover and coveredBefore are absent unless routing chose a backup: the hashes of other nudges are unchanged.
  return createHash('sha256')
    .update(JSON.stringify({ state, outcome, owner, handledBy, movedTo, kind, clock, cover, coveredBefore }))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Hash of what a nudge shows, minus the waiting figures that change every minute: the message is
 * edited when its state, people or due time change, not on every evaluation (Slack stays quiet).
 */
export function nudgeRenderHash(view: NudgeView): string {
  // The working-day length only scales those figures: a holiday moving through its window must not edit them all.
  const {
    waitedBusinessMinutes: _b,
    waitedWallMinutes: _w,
    overdueBusinessMinutes: _o,
    asOf: _a,
    workdayMinutes: _d,
    ...stable
  } = view;
  return createHash('sha256').update(JSON.stringify(stable)).digest('hex').slice(0, 32);
}
