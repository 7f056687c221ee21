// What people do to nudges from Slack — reactions, buttons, /heed snooze — applied to the Slack-owned
// columns of Flag, written to the audit log, then shown on the nudge (reconciled at once).
// Duplicate deliveries change nothing twice (event ids are remembered) and out-of-order reaction events
// are settled by their event_ts: a removal that arrived before its addition wins.

import type { Flag, SlackRepo } from '../db/slack-repo.ts';
import { isWorkingTime, nextWorkingStart } from '../domain/calendar.ts';
import { type FlagState, OPEN_FLAG_STATES } from '../domain/flag.ts';
import type { Logger } from '../logger.ts';
import { type NudgeDeps, reconcileNudges } from './nudge.ts';
import type { SlackTeam } from './slack-teams.ts';

export type NudgeAction = 'claim' | 'unclaim' | 'handle' | 'unhandle' | 'snooze' | 'unsnooze';

const REACTIONS: Record<string, { group: 'handled' | 'claimed' | 'snoozed'; on: NudgeAction; off: NudgeAction }> = {
  white_check_mark: { group: 'handled', on: 'handle', off: 'unhandle' },
  heavy_check_mark: { group: 'handled', on: 'handle', off: 'unhandle' },
  ballot_box_with_check: { group: 'handled', on: 'handle', off: 'unhandle' },
  eyes: { group: 'claimed', on: 'claim', off: 'unclaim' },
  zzz: { group: 'snoozed', on: 'snooze', off: 'unsnooze' },
  alarm_clock: { group: 'snoozed', on: 'snooze', off: 'unsnooze' },
};

export const HANDLED_REACTIONS = Object.keys(REACTIONS);

/** The action a reaction means, if any (`+1::skin-tone-2` style suffixes are ignored). */
export function reactionMeaning(reaction: string, added: boolean): { action: NudgeAction; group: string } | undefined {
  const meaning = REACTIONS[reaction.split('::')[0] ?? ''];
  return meaning ? { action: added ? meaning.on : meaning.off, group: meaning.group } : undefined;
}

/** Snoozed until the next working hour starts, or for 1 h inside working hours. */
export function snoozeUntil(team: SlackTeam | undefined, now: Date): Date {
  const hourLater = new Date(now.getTime() + 60 * 60_000);
  if (!team) return hourLater;
  return isWorkingTime(now, team.calendar) ? hourLater : nextWorkingStart(now, team.calendar);
}

/** The open state a flag returns to when its "handled" is undone. */
export function reopenedState(flag: Pick<Flag, 'kind' | 'state' | 'breachedAt' | 'dueAt'>, now: Date): FlagState {
  if (flag.state !== 'handled') return flag.state as FlagState;
  if (flag.kind === 'feedback') return flag.dueAt && flag.dueAt <= now ? 'overdue' : 'pending';
  return flag.breachedAt || (flag.dueAt && flag.dueAt <= now) ? 'breached' : 'at_risk';
}

export interface ActionDeps {
  repo: SlackRepo;
  teams: readonly SlackTeam[];
  logger: Logger;
  nudges: NudgeDeps;
  /** Called after a change so the outbox sends the chat.update now rather than at its next poll. */
  onChange?: () => void;
}

export interface ActionRequest {
  flagKey: string;
  action: NudgeAction;
  actor: string;
  source: 'reaction' | 'button' | 'command';
  at: Date;
  /** Explicit end of a snooze (`/heed snooze 1234 2h`). */
  until?: Date | undefined;
  detail?: Record<string, unknown>;
}

export interface ActionOutcome {
  changed: boolean;
  /** For the person who acted, when nothing changed or something is worth saying. */
  note?: string | undefined;
}

export async function applyNudgeAction(deps: ActionDeps, req: ActionRequest): Promise<ActionOutcome> {
  const flag = await deps.repo.flag(req.flagKey);
  if (!flag) return { changed: false, note: 'That item is no longer tracked.' };
  const team = deps.teams.find((t) => t.name === flag.team);
  let data: Parameters<SlackRepo['updateFlagSlackFields']>[1] | undefined;
  let note: string | undefined;
  switch (req.action) {
    case 'claim':
      if (flag.claimedBy !== req.actor) data = { claimedBy: req.actor, claimedAt: req.at };
      break;
    case 'unclaim':
      if (flag.claimedBy === req.actor) data = { claimedBy: null, claimedAt: null };
      else if (flag.claimedBy) note = `Only <@${flag.claimedBy}> can release their claim.`;
      break;
    case 'handle':
      // Only an open flag can be handled; a resolved one is done already.
      if (!flag.handledBy && OPEN_FLAG_STATES.includes(flag.state as FlagState)) {
        data = { handledBy: req.actor, handledAt: req.at, state: 'handled' };
      }
      break;
    case 'unhandle':
      // Back to the open state the facts imply; the engine's next evaluation refines it.
      if (flag.handledBy === req.actor) data = { handledBy: null, handledAt: null, state: reopenedState(flag, req.at) };
      else if (flag.handledBy) note = `Only <@${flag.handledBy}> can undo their "handled".`;
      break;
    case 'snooze':
      data = { snoozedBy: req.actor, snoozedUntil: req.until ?? snoozeUntil(team, req.at) };
      break;
    case 'unsnooze':
      if (flag.snoozedBy === req.actor || (req.source !== 'reaction' && flag.snoozedBy))
        data = { snoozedBy: null, snoozedUntil: null };
      break;
  }
  if (data) await deps.repo.updateFlagSlackFields(flag.key, data, req.at);
  await deps.repo.audit({
    at: req.at,
    actor: req.actor,
    action: req.action,
    target: flag.key,
    source: req.source,
    detail: {
      ...req.detail,
      changed: data !== undefined,
      ...(data?.snoozedUntil ? { until: data.snoozedUntil.toISOString() } : {}),
    },
  });
  if (data) {
    await reconcileNudges(deps.nudges, req.at, [flag.key]);
    deps.onChange?.();
  }
  return { changed: data !== undefined, note };
}

export interface ReactionEvent {
  eventId: string | undefined;
  user: string;
  reaction: string;
  added: boolean;
  channel: string;
  ts: string;
  eventTs: string;
}

/** Reactions on Heed's own nudges only; anything else is ignored. */
export async function handleReaction(
  deps: ActionDeps,
  event: ReactionEvent,
  now: Date,
): Promise<ActionOutcome | undefined> {
  const meaning = reactionMeaning(event.reaction, event.added);
  if (!meaning) return undefined;
  const nudge = await deps.repo.nudgeByMessage(event.channel, event.ts);
  if (!nudge) return undefined;
  // Slack retries deliveries it thinks failed: the same event_id changes nothing twice.
  if (event.eventId && !(await deps.repo.firstDelivery('slack', event.eventId, now))) return undefined;
  // Out of order: a later event for the same person, nudge and kind of reaction already decided.
  const history = await deps.repo.auditForActor(nudge.flagKey, event.user, 'reaction');
  const newer = history.some((entry) => {
    const d = JSON.parse(entry.detail) as { group?: string; eventTs?: string };
    return d.group === meaning.group && d.eventTs !== undefined && Number(d.eventTs) >= Number(event.eventTs);
  });
  if (newer) {
    deps.logger.debug(
      { flagKey: nudge.flagKey, eventTs: event.eventTs },
      'reaction: older than one already applied; ignored',
    );
    return undefined;
  }
  return applyNudgeAction(deps, {
    flagKey: nudge.flagKey,
    action: meaning.action,
    actor: event.user,
    source: 'reaction',
    at: now,
    detail: { group: meaning.group, eventTs: event.eventTs, reaction: event.reaction },
  });
}
