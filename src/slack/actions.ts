// What people do to Heed's messages from Slack — reactions, buttons, /heed snooze, /digest post — decided by
// one permission rule (domain/permissions.ts), applied to the Slack-owned columns of Flag atomically and in
// Slack's order (domain/action-order.ts, SlackRepo.applyFlagAction), written to the audit log, then shown on
// the nudge (reconciled at once). A reaction means the same on every message about a ticket: the nudge, its
// thread ping, the escalation and the owner's DM. Duplicate deliveries change nothing twice (event ids are
// remembered); a refused act changes nothing, is audited as refused and the person is told why.

import type { Flag, FlagActionPlan, FlagSlackFields, SlackActionMark, SlackRepo } from '../db/slack-repo.ts';
import { actionGroup, comesAfter, type FlagActionName } from '../domain/action-order.ts';
import { isWorkingTime, nextWorkingStart } from '../domain/calendar.ts';
import { type FlagState, isOpenState } from '../domain/flag.ts';
import { decidePermission, type ListMembership } from '../domain/permissions.ts';
import type { Logger } from '../logger.ts';
import type { EphemeralNotes } from './notes.ts';
import type { SharedStatePermissions } from './permissions.ts';
import { type NudgeDeps, reconcileNudges } from './reconcile-nudges.ts';
import { fromNote } from './render/mrkdwn.ts';
import { renderNotice } from './render/replies.ts';
import type { SlackTeam } from './teams.ts';
import type { WriteBack } from './write-back.ts';

export type NudgeAction = FlagActionName;

const REACTIONS: Record<string, { on: NudgeAction; off: NudgeAction }> = {
  white_check_mark: { on: 'handle', off: 'unhandle' },
  heavy_check_mark: { on: 'handle', off: 'unhandle' },
  ballot_box_with_check: { on: 'handle', off: 'unhandle' },
  eyes: { on: 'claim', off: 'unclaim' },
  zzz: { on: 'snooze', off: 'unsnooze' },
  alarm_clock: { on: 'snooze', off: 'unsnooze' },
};

/** The action a reaction means, if any (`+1::skin-tone-2` style suffixes are ignored). */
export function reactionMeaning(
  reaction: string,
  added: boolean,
): { action: NudgeAction; group: string; emoji: string } | undefined {
  const name = reaction.split('::')[0] ?? '';
  const meaning = REACTIONS[name];
  if (!meaning) return undefined;
  const action = added ? meaning.on : meaning.off;
  // The emoji is shown back only by its known name, never as the event spelled it.
  return { action, group: actionGroup(action), emoji: `:${name}:` };
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
  /** Where a person stands on a team's allow-list (a user group is read from Slack). */
  permissions: Pick<SharedStatePermissions, 'membership'>;
  /** Tells the person whose reaction was refused (reactions have no response_url). */
  notes?: Pick<EphemeralNotes, 'send'> | undefined;
  /** Claims and ✅ written back to HubSpot (policy `hubspot.writeBack`): queued here, sent off the ack path. */
  writeBack?: Pick<WriteBack, 'queue'> | undefined;
}

export interface ActionRequest {
  flagKey: string;
  action: NudgeAction;
  actor: string;
  source: 'reaction' | 'button' | 'command';
  at: Date;
  /**
   * Slack's timestamp of the act (a reaction's event_ts, a button's action_ts): acts on one flag apply in
   * this order whichever replica receives them first. Commands have none and apply as they arrive.
   */
  slackTs?: string | undefined;
  /** Explicit end of a snooze (`/heed snooze 1234 2h`). */
  until?: Date | undefined;
  detail?: Record<string, unknown>;
}

/** How an act ended: it changed the flag, changed nothing (already so), was refused, or was overtaken. */
export type ActionResult = 'changed' | 'unchanged' | 'refused' | 'superseded' | 'gone';

export interface ActionOutcome {
  result: ActionResult;
  changed: boolean;
  /** For the person who acted: why it was refused, or something else worth saying. */
  note?: string | undefined;
}

/** The Slack user who owns the flag's ticket, when the HubSpot owner maps to one (policy `people`, or by email). */
async function ownerSlackIdOf(
  deps: ActionDeps,
  flag: Pick<Flag, 'ticketId' | 'feedbackId'>,
  now: Date,
): Promise<string | undefined> {
  const email = await deps.repo.ticketOwnerEmail(flag);
  return email ? deps.nudges.users.slackIdForEmail(email, now) : undefined;
}

/** The flag's Slack-owned columns after `req`, or undefined when it is already so. Permission is decided before. */
function changeFor(req: ActionRequest, flag: Flag, team: SlackTeam | undefined): FlagSlackFields | undefined {
  switch (req.action) {
    case 'claim':
      return flag.claimedBy === req.actor ? undefined : { claimedBy: req.actor, claimedAt: req.at };
    case 'unclaim':
      return flag.claimedBy ? { claimedBy: null, claimedAt: null } : undefined;
    case 'handle':
      // Only an open flag can be handled; a resolved one is done already, a handled one stays with who did it.
      return !flag.handledBy && isOpenState(flag.state)
        ? { handledBy: req.actor, handledAt: req.at, state: 'handled' }
        : undefined;
    case 'unhandle':
      // Back to the open state the facts imply; the engine's next evaluation refines it.
      return flag.handledBy ? { handledBy: null, handledAt: null, state: reopenedState(flag, req.at) } : undefined;
    case 'snooze':
      return { snoozedBy: req.actor, snoozedUntil: req.until ?? snoozeUntil(team, req.at) };
    case 'unsnooze':
      return flag.snoozedBy ? { snoozedBy: null, snoozedUntil: null } : undefined;
  }
}

/**
 * Applies one person's act to a flag. The allow-list standing and the owner are resolved first (they may ask
 * Slack); then, with the flag held, the act is checked against the last one of its kind (Slack's order), then
 * against the permission rule, then applied — all in one transaction. The nudge is reconciled afterwards.
 */
export async function applyNudgeAction(deps: ActionDeps, req: ActionRequest): Promise<ActionOutcome> {
  const before = await deps.repo.flag(req.flagKey);
  if (!before) return { result: 'gone', changed: false, note: 'That item is no longer tracked.' };
  const team = deps.teams.find((t) => t.name === before.team);
  // A team no longer in the policy has no list to be on.
  const membership: ListMembership = team ? await deps.permissions.membership(team, req.actor) : 'open';
  const ownerSlackId = await ownerSlackIdOf(deps, before, req.at);
  const kind = actionGroup(req.action);
  const ordered = req.slackTs !== undefined;
  // Set by `plan`, which runs inside the transaction.
  const decided: { result: ActionResult; note?: string | undefined } = { result: 'unchanged' };

  const plan = ({ flag, last }: { flag: Flag; last: SlackActionMark | undefined }): FlagActionPlan => {
    const audit = (outcome: ActionResult, extra: Record<string, unknown> = {}) => ({
      at: req.at,
      actor: req.actor,
      action: req.action,
      target: flag.key,
      source: req.source,
      detail: { ...req.detail, outcome, changed: outcome === 'changed', ...extra },
    });
    if (ordered && !comesAfter({ slackTs: req.slackTs!, actor: req.actor }, last)) {
      decided.result = 'superseded';
      return { audit: audit('superseded', { after: last?.slackTs }) };
    }
    const decision = decidePermission({
      actor: req.actor,
      action: req.action,
      team: flag.team,
      membership,
      ownerSlackId,
      item: flag.kind === 'feedback' ? 'feedback' : 'ticket',
      flag,
    });
    if (!decision.allowed) {
      decided.result = 'refused';
      decided.note = decision.reason;
      // A refused act does not count as the latest of its kind: it must not overtake an allowed one.
      return { audit: audit('refused', { reason: decision.reason }) };
    }
    const change = changeFor(req, flag, team);
    decided.result = change ? 'changed' : 'unchanged';
    return {
      change,
      mark: ordered ? { kind, slackTs: req.slackTs!, actor: req.actor } : undefined,
      audit: audit(decided.result, {
        as: decision.because,
        ...(change?.snoozedUntil ? { until: change.snoozedUntil.toISOString() } : {}),
      }),
    };
  };

  const applied = await deps.repo.applyFlagAction(req.flagKey, ordered ? kind : undefined, plan, req.at);
  if (!applied) return { result: 'gone', changed: false, note: 'That item is no longer tracked.' };
  const { result, note } = decided;
  if (result === 'superseded') {
    deps.logger.debug(
      { flagKey: req.flagKey, slackTs: req.slackTs, kind },
      'slack action: older than one already applied; changes nothing',
    );
  }
  if (result === 'changed') await reconcileNudges(deps.nudges, req.at, [req.flagKey]);
  if (result === 'changed' && deps.writeBack) {
    // Only queued here (one insert): HubSpot is called off Slack's ack path. A failure to queue is logged, and
    // the act itself stands.
    try {
      await deps.writeBack.queue({ action: req.action, flag: before, actor: req.actor, at: req.at });
    } catch (error) {
      deps.logger.error({ err: error, flagKey: req.flagKey }, 'write-back: could not queue the HubSpot write');
    }
  }
  return { result, changed: result === 'changed', note };
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

/**
 * Reactions on any of Heed's messages about a flag (nudge, thread ping, escalation, owner's DM); anything else is
 * ignored. A refused one gets an ephemeral note to the person who reacted (not awaited: Slack's answer must not
 * hold the event's acknowledgement).
 */
export async function handleReaction(
  deps: ActionDeps,
  event: ReactionEvent,
  now: Date,
): Promise<ActionOutcome | undefined> {
  const meaning = reactionMeaning(event.reaction, event.added);
  if (!meaning) return undefined;
  const target = await deps.repo.flagForMessage({ channel: event.channel, ts: event.ts });
  if (!target) return undefined;
  // Slack retries deliveries it thinks failed: the same event_id changes nothing twice.
  if (event.eventId && !(await deps.repo.firstDelivery('slack', event.eventId, now))) return undefined;
  let outcome: ActionOutcome;
  try {
    outcome = await applyNudgeAction(deps, {
      flagKey: target.flagKey,
      action: meaning.action,
      actor: event.user,
      source: 'reaction',
      at: now,
      slackTs: event.eventTs,
      detail: { group: meaning.group, eventTs: event.eventTs, reaction: event.reaction, message: target.kind },
    });
  } catch (error) {
    // Not applied: let Slack's retry of this event be handled rather than dropped as a duplicate.
    if (event.eventId) await deps.repo.forgetDelivery('slack', event.eventId).catch(() => undefined);
    throw error;
  }
  if (outcome.result === 'refused' && outcome.note && deps.notes) {
    const verb = event.added ? 'Your' : 'Removing your';
    void deps.notes.send({
      channel: event.channel,
      user: event.user,
      threadTs: target.threadTs,
      // One note per person, item and kind of act for a while: toggling ✅ ten times gets one.
      about: `${target.flagKey}:${meaning.action}`,
      message: renderNotice(fromNote(`${verb} ${meaning.emoji} changed nothing. ${outcome.note}`)),
    });
  }
  return outcome;
}

export interface ButtonPress {
  flagKey: string;
  action: NudgeAction;
  user: string;
  actionTs: string;
}

/** A button on a nudge. Undefined for a redelivered press (same person, same action_ts). */
export async function handleButton(
  deps: ActionDeps,
  press: ButtonPress,
  now: Date,
): Promise<ActionOutcome | undefined> {
  const id = `${press.user}:${press.actionTs}`;
  if (!(await deps.repo.firstDelivery('slack-action', id, now))) return undefined;
  try {
    return await applyNudgeAction(deps, {
      flagKey: press.flagKey,
      action: press.action,
      actor: press.user,
      source: 'button',
      at: now,
      slackTs: press.actionTs,
      detail: { actionTs: press.actionTs },
    });
  } catch (error) {
    await deps.repo.forgetDelivery('slack-action', id).catch(() => undefined);
    throw error;
  }
}

/** `/heed snooze <ticket> <duration>`: every open item of the ticket, each through the same rule. */
export async function snoozeTicket(
  deps: ActionDeps,
  req: { ticketId: string; actor: string; until: Date; at: Date },
): Promise<{ open: number; snoozed: number; refusal?: string | undefined }> {
  const flags = await deps.repo.openFlagsOfTicket(req.ticketId);
  let snoozed = 0;
  let refusal: string | undefined;
  for (const flag of flags) {
    const outcome = await applyNudgeAction(deps, {
      flagKey: flag.key,
      action: 'snooze',
      actor: req.actor,
      source: 'command',
      at: req.at,
      until: req.until,
    });
    if (outcome.result === 'refused') refusal ??= outcome.note;
    else if (outcome.result === 'changed' || outcome.result === 'unchanged') snoozed++;
  }
  return { open: flags.length, snoozed, refusal };
}

/** Whether `actor` may post `team`'s digest now; a refusal is audited and comes with the reason to show. */
export async function mayPostDigest(
  deps: Pick<ActionDeps, 'repo' | 'permissions'>,
  team: SlackTeam,
  actor: string,
  now: Date,
): Promise<{ allowed: true } | { allowed: false; reason: string }> {
  const membership = await deps.permissions.membership(team, actor);
  const decision = decidePermission({ actor, action: 'post_digest', team: team.name, membership });
  if (decision.allowed) return { allowed: true };
  await deps.repo.audit({
    at: now,
    actor,
    action: 'digest_post',
    target: `team:${team.name}`,
    source: 'command',
    detail: { outcome: 'refused', reason: decision.reason },
  });
  return { allowed: false, reason: decision.reason };
}
