// Pure rendering of a nudge (one message per flagged ticket clock or feedback answer) and of the
// escalation messages that point back at it. No clients, no clock: everything comes in the view.

import { formatBusinessMinutes } from '../../domain/duration.ts';
import type { ClockName, FlagKind, FlagState } from '../../domain/flag.ts';
import { type Block, button, context, fallback as cut, type RenderedMessage, section } from './blocks.ts';
import { formatMinutes, link, mention, safe, slackDate, truncate } from './mrkdwn.ts';

export interface PersonRef {
  /** Display name from HubSpot (or the email), used when the owner has no Slack user. */
  name: string;
  slackUserId?: string | undefined;
}

export interface NudgeView {
  flagKey: string;
  kind: FlagKind;
  state: FlagState;
  clock?: ClockName | undefined;
  priority?: string | undefined;
  customer: string;
  subject: string;
  hubspotUrl?: string | undefined;
  owner?: PersonRef | undefined;
  /** Business minutes the customer has waited, as of `asOf`. */
  waitedBusinessMinutes: number;
  waitedWallMinutes: number;
  asOf: Date;
  dueAt?: Date | undefined;
  overdueBusinessMinutes: number;
  feedback?: { surveyType: string; score?: number | undefined; comment?: string | undefined } | undefined;
  claimedBy?: string | undefined;
  handledBy?: string | undefined;
  handledAt?: Date | undefined;
  /** Set only while the snooze is still in force. */
  snoozedBy?: string | undefined;
  snoozedUntil?: Date | undefined;
  resolvedAt?: Date | undefined;
}

export const NUDGE_ACTIONS = {
  open: 'nudge_open',
  claim: 'nudge_claim',
  unclaim: 'nudge_unclaim',
  snooze: 'nudge_snooze',
  unsnooze: 'nudge_unsnooze',
  handled: 'nudge_handled',
  unhandled: 'nudge_unhandled',
} as const;

/** Replaced by the outbox with the nudge's permalink once the nudge has a ts (renderers stay pure). */
export const NUDGE_PERMALINK_PLACEHOLDER = 'https://heed.invalid/nudge-permalink';

const CLOCK_LABEL: Record<ClockName, string> = {
  firstResponse: 'first response',
  nextResponse: 'next response',
  resolution: 'resolution',
};

export function clockLabel(clock: ClockName | undefined): string {
  return clock ? CLOCK_LABEL[clock] : 'follow-up';
}

export function isDone(view: Pick<NudgeView, 'state' | 'handledBy'>): boolean {
  return view.state === 'resolved' || view.state === 'handled' || view.handledBy !== undefined;
}

function headline(view: NudgeView): { icon: string; label: string } {
  if (view.handledBy !== undefined || view.state === 'handled') return { icon: ':white_check_mark:', label: 'Handled' };
  if (view.kind === 'feedback') {
    switch (view.state) {
      case 'resolved':
        return { icon: ':white_check_mark:', label: 'Followed up' };
      case 'overdue':
        return { icon: ':rotating_light:', label: 'Negative feedback — follow-up overdue' };
      default:
        return { icon: ':speech_balloon:', label: 'Negative feedback — needs a follow-up' };
    }
  }
  const clock = CLOCK_LABEL[view.clock ?? 'firstResponse'];
  switch (view.state) {
    case 'resolved':
      return { icon: ':white_check_mark:', label: view.clock === 'resolution' ? 'Resolved' : `Answered — ${clock}` };
    case 'breached':
      return { icon: ':rotating_light:', label: `Breached — ${clock}` };
    default:
      return { icon: ':hourglass_flowing_sand:', label: `At risk — ${clock}` };
  }
}

export function personLabel(person: PersonRef | undefined): string {
  if (!person) return '_unassigned_';
  // An owner without a Slack user is named in plain text rather than dropped.
  return person.slackUserId ? mention(person.slackUserId) : safe(person.name, 60);
}

function priorityLabel(priority: string | undefined): string {
  if (!priority) return 'none';
  const p = priority.toUpperCase();
  return p === 'URGENT'
    ? ':red_circle: Urgent'
    : p === 'HIGH'
      ? ':large_orange_circle: High'
      : safe(p[0] + p.slice(1).toLowerCase(), 20);
}

function waitingText(view: NudgeView): string {
  return `${formatBusinessMinutes(view.waitedBusinessMinutes)} business · ${formatMinutes(view.waitedWallMinutes)} wall`;
}

function dueText(view: NudgeView): string {
  if (!view.dueAt) return 'no due time';
  if (view.overdueBusinessMinutes > 0 || view.state === 'breached' || view.state === 'overdue') {
    return `overdue by ${formatBusinessMinutes(view.overdueBusinessMinutes)} (was due ${slackDate(view.dueAt)})`;
  }
  return `due ${slackDate(view.dueAt)}`;
}

function titleLine(view: NudgeView): string {
  return `*${link(view.hubspotUrl, view.subject || '(no subject)', 150)}*`;
}

export function renderNudge(view: NudgeView): RenderedMessage {
  const { icon, label } = headline(view);
  const done = isDone(view);
  const customer = truncate(view.customer || 'Unknown customer', 120);
  const lines = [`${icon} *${label}*`, titleLine(view), `from ${safe(customer, 120)}`];
  if (view.feedback) {
    const score = view.feedback.score === undefined ? '' : ` ${view.feedback.score}`;
    lines.push(`${safe(view.feedback.surveyType, 40)}${score}`);
    if (view.feedback.comment) lines.push(`> ${safe(view.feedback.comment.replace(/\s+/g, ' '), 500)}`);
  }
  const blocks: Block[] = [section(lines.join('\n'), 'nudge_summary')];
  const fields = [`*Owner*\n${personLabel(view.owner)}`, `*Priority*\n${priorityLabel(view.priority)}`];
  if (!done) fields.push(`*Waiting*\n${waitingText(view)}`, `*Due*\n${dueText(view)}`);
  blocks.push({ type: 'section', block_id: 'nudge_fields', fields: fields.map((text) => ({ type: 'mrkdwn', text })) });

  const notes: string[] = [];
  if (view.handledBy !== undefined) {
    notes.push(
      `:white_check_mark: Handled by ${mention(view.handledBy)}${view.handledAt ? ` ${slackDate(view.handledAt)}` : ''}`,
    );
  } else if (view.state === 'resolved' && view.resolvedAt) {
    notes.push(`:white_check_mark: Done ${slackDate(view.resolvedAt)}`);
  }
  if (!done && view.claimedBy) notes.push(`:eyes: On it: ${mention(view.claimedBy)}`);
  if (!done && view.snoozedBy && view.snoozedUntil) {
    notes.push(`:zzz: Snoozed by ${mention(view.snoozedBy)} until ${slackDate(view.snoozedUntil)}`);
  }
  if (!done) notes.push(`Waiting time as of ${slackDate(view.asOf, '{time}')}`);
  blocks.push(context(...notes));

  if (!done) {
    const value = view.flagKey;
    const elements = [];
    if (view.hubspotUrl) elements.push(button('Open in HubSpot', NUDGE_ACTIONS.open, { url: view.hubspotUrl, value }));
    elements.push(
      view.claimedBy
        ? button('Release', NUDGE_ACTIONS.unclaim, { value })
        : button("I'm on it", NUDGE_ACTIONS.claim, { value }),
      view.snoozedUntil
        ? button('Unsnooze', NUDGE_ACTIONS.unsnooze, { value })
        : button('Snooze', NUDGE_ACTIONS.snooze, { value }),
      button('Handled', NUDGE_ACTIONS.handled, { value, style: 'primary' }),
    );
    blocks.push({ type: 'actions', block_id: 'nudge_actions', elements });
  } else if (view.handledBy !== undefined && view.state !== 'resolved') {
    // Handled by a person (not by the clock completing): they may have been wrong, so it can be undone.
    blocks.push({
      type: 'actions',
      block_id: 'nudge_actions',
      elements: [button('Undo "handled"', NUDGE_ACTIONS.unhandled, { value: view.flagKey })],
    });
  }

  const text = cut(
    done
      ? `${label}: "${view.subject || '(no subject)'}" (${customer})`
      : `${label}: "${view.subject || '(no subject)'}" (${customer}) — waiting ${formatBusinessMinutes(view.waitedBusinessMinutes)} business, ${dueTextPlain(view)}`,
  );
  return { text, blocks };
}

function dueTextPlain(view: NudgeView): string {
  if (!view.dueAt) return 'no due time';
  return view.overdueBusinessMinutes > 0 || view.state === 'breached' || view.state === 'overdue'
    ? `overdue by ${formatBusinessMinutes(view.overdueBusinessMinutes)}`
    : `due ${view.dueAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Level 2: a reply in the nudge's thread that pings the owner (or names them when unmapped). */
export function renderEscalationReply(view: NudgeView): RenderedMessage {
  const who = view.owner ? personLabel(view.owner) : 'No owner is assigned:';
  const what =
    view.kind === 'feedback'
      ? 'this negative feedback is overdue for a follow-up'
      : `the ${clockLabel(view.clock)} time on this ticket is breached`;
  const body = `${who} ${what} — the customer has waited ${waitingText(view)}. Reply in HubSpot, or react :eyes: if you're on it, :white_check_mark: when handled.`;
  return { text: cut(`${view.owner?.name ?? 'Unassigned'}: ${what}.`), blocks: [section(body)] };
}

/** Level 3: a post in the team's escalation channel linking back to the nudge. */
export function renderEscalationPost(view: NudgeView, teamName: string): RenderedMessage {
  const what = view.kind === 'feedback' ? 'Negative feedback not followed up' : `Breached ${clockLabel(view.clock)}`;
  const lines = [
    `:rotating_light: *Escalation — ${safe(teamName, 60)}*`,
    `${what}: ${titleLine(view)} from ${safe(view.customer || 'Unknown customer', 120)}`,
    `Owner: ${personLabel(view.owner)} · waiting ${waitingText(view)} · ${dueText(view)}`,
    `<${NUDGE_PERMALINK_PLACEHOLDER}|View the nudge and its thread>`,
  ];
  return {
    text: cut(`Escalation (${teamName}): ${what} — "${view.subject || '(no subject)'}"`),
    blocks: [section(lines.join('\n'))],
  };
}

/** Level 2, to the owner directly (skipped while they have muted Heed's DMs). */
export function renderOwnerDm(view: NudgeView): RenderedMessage {
  const what =
    view.kind === 'feedback'
      ? 'Negative feedback needs your follow-up'
      : `Your ticket breached its ${clockLabel(view.clock)} time`;
  const body = `:rotating_light: ${what}: ${titleLine(view)} — waiting ${waitingText(view)}.\n<${NUDGE_PERMALINK_PLACEHOLDER}|Open the nudge> · mute these with \`/heed mute 2h\``;
  return { text: cut(`${what}: "${view.subject || '(no subject)'}"`), blocks: [section(body)] };
}
