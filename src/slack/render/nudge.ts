// Pure rendering of a nudge (one message per flagged ticket clock or feedback answer) and of the
// escalation messages that point back at it. No clients, no clock: everything comes in the view.

import { formatBusinessWait, formatOverdueBy } from '../../domain/duration.ts';
import type { ClockName, FlagKind, FlagState } from '../../domain/flag.ts';
import { type Block, button, context, fields, message, type RenderedMessage, section } from './blocks.ts';
import { formatMinutes, joinMd, link, type Mrkdwn, md, mention, safe, safeUrl, slackDate } from './mrkdwn.ts';

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
  /** The team calendar's typical working day, for long business durations ("242 working days"). */
  workdayMinutes?: number | undefined;
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

function headline(view: NudgeView): { icon: Mrkdwn; label: Mrkdwn } {
  if (view.handledBy !== undefined || view.state === 'handled')
    return { icon: md`:white_check_mark:`, label: md`Handled` };
  if (view.kind === 'feedback') {
    switch (view.state) {
      case 'resolved':
        return { icon: md`:white_check_mark:`, label: md`Followed up` };
      case 'overdue':
        return { icon: md`:rotating_light:`, label: md`Negative feedback — follow-up overdue` };
      default:
        return { icon: md`:speech_balloon:`, label: md`Negative feedback — needs a follow-up` };
    }
  }
  const clock = safe(CLOCK_LABEL[view.clock ?? 'firstResponse']);
  switch (view.state) {
    case 'resolved':
      return {
        icon: md`:white_check_mark:`,
        label: view.clock === 'resolution' ? md`Resolved` : md`Answered — ${clock}`,
      };
    case 'breached':
      return { icon: md`:rotating_light:`, label: md`Breached — ${clock}` };
    default:
      return { icon: md`:hourglass_flowing_sand:`, label: md`At risk — ${clock}` };
  }
}

export function personLabel(person: PersonRef | undefined): Mrkdwn {
  if (!person) return md`_unassigned_`;
  // An owner without a Slack user is named in plain text rather than dropped.
  return person.slackUserId ? mention(person.slackUserId) : safe(person.name, 60);
}

function priorityLabel(priority: string | undefined): Mrkdwn {
  if (!priority) return md`none`;
  const p = priority.toUpperCase();
  return p === 'URGENT'
    ? md`:red_circle: Urgent`
    : p === 'HIGH'
      ? md`:large_orange_circle: High`
      : safe(p.slice(0, 1) + p.slice(1).toLowerCase(), 20);
}

/** "3h 5m business · 3h 20m wall" (or "242 working days · 344d wall"). */
function waitingText(view: NudgeView): Mrkdwn {
  return md`${safe(formatBusinessWait(view.waitedBusinessMinutes, view.workdayMinutes))} · ${safe(formatMinutes(view.waitedWallMinutes))} wall`;
}

function isOverdue(view: Pick<NudgeView, 'overdueBusinessMinutes' | 'state'>): boolean {
  return view.overdueBusinessMinutes > 0 || view.state === 'breached' || view.state === 'overdue';
}

/** "overdue by 1h 35m", or "overdue since <due>" under a minute (see formatOverdueBy); for lists and replies. */
export function overdueText(minutes: number, dueAt: Date | undefined, workdayMinutes?: number): Mrkdwn {
  const by = formatOverdueBy(minutes, workdayMinutes);
  if (by) return safe(by);
  return dueAt ? md`overdue since ${slackDate(dueAt)}` : md`just overdue`;
}

function dueText(view: NudgeView): Mrkdwn {
  if (!view.dueAt) return md`no due time`;
  if (!isOverdue(view)) return md`due ${slackDate(view.dueAt)}`;
  const by = formatOverdueBy(view.overdueBusinessMinutes, view.workdayMinutes);
  return by ? md`${safe(by)} (was due ${slackDate(view.dueAt)})` : md`overdue since ${slackDate(view.dueAt)}`;
}

/** The notification text shows no date tokens well: times in UTC. */
function plainDue(view: NudgeView): Mrkdwn {
  if (!view.dueAt) return md`no due time`;
  const utc = safe(`${view.dueAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  if (!isOverdue(view)) return md`due ${utc}`;
  const by = formatOverdueBy(view.overdueBusinessMinutes, view.workdayMinutes);
  return by ? safe(by) : md`overdue since ${utc}`;
}

function titleLine(view: NudgeView): Mrkdwn {
  return md`*${link(view.hubspotUrl, view.subject || '(no subject)', 150)}*`;
}

/** The subject and customer as the notification text quotes them. */
function quoted(view: NudgeView): Mrkdwn {
  return md`"${safe(view.subject || '(no subject)', 150)}" (${safe(view.customer || 'Unknown customer', 120)})`;
}

export function renderNudge(view: NudgeView): RenderedMessage {
  const { icon, label } = headline(view);
  const done = isDone(view);
  const lines = [md`${icon} *${label}*`, titleLine(view), md`from ${safe(view.customer || 'Unknown customer', 120)}`];
  if (view.feedback) {
    const score = view.feedback.score === undefined ? md`` : md` ${safe(view.feedback.score, 10)}`;
    lines.push(md`${safe(view.feedback.surveyType, 40)}${score}`);
    // One quoted line: safe() keeps outside text on one line, so a comment cannot end the quote.
    if (view.feedback.comment) lines.push(md`> ${safe(view.feedback.comment, 500)}`);
  }
  const blocks: Block[] = [section(joinMd(lines, '\n'), 'nudge_summary')];
  const facts = [md`*Owner*\n${personLabel(view.owner)}`, md`*Priority*\n${priorityLabel(view.priority)}`];
  if (!done) facts.push(md`*Waiting*\n${waitingText(view)}`, md`*Due*\n${dueText(view)}`);
  blocks.push(fields('nudge_fields', facts));

  const notes: Mrkdwn[] = [];
  if (view.handledBy !== undefined) {
    notes.push(
      md`:white_check_mark: Handled by ${mention(view.handledBy)}${view.handledAt ? md` ${slackDate(view.handledAt)}` : md``}`,
    );
  } else if (view.state === 'resolved' && view.resolvedAt) {
    notes.push(md`:white_check_mark: Done ${slackDate(view.resolvedAt)}`);
  }
  if (!done && view.claimedBy) notes.push(md`:eyes: On it: ${mention(view.claimedBy)}`);
  if (!done && view.snoozedBy && view.snoozedUntil) {
    notes.push(md`:zzz: Snoozed by ${mention(view.snoozedBy)} until ${slackDate(view.snoozedUntil)}`);
  }
  if (!done) notes.push(md`Waiting time as of ${slackDate(view.asOf, '{time}')}`);
  if (notes.length > 0) blocks.push(context(...notes));

  if (!done) {
    const value = view.flagKey;
    const elements = [];
    if (safeUrl(view.hubspotUrl)) {
      elements.push(button('Open in HubSpot', NUDGE_ACTIONS.open, { url: view.hubspotUrl, value }));
    }
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

  const text = done
    ? md`${label}: ${quoted(view)}`
    : md`${label}: ${quoted(view)} — waiting ${safe(formatBusinessWait(view.waitedBusinessMinutes, view.workdayMinutes))}, ${plainDue(view)}`;
  return message(text, blocks);
}

/** Level 2: a reply in the nudge's thread that pings the owner (or names them when unmapped). */
export function renderEscalationReply(view: NudgeView): RenderedMessage {
  const who = view.owner ? personLabel(view.owner) : md`No owner is assigned:`;
  const what =
    view.kind === 'feedback'
      ? md`this negative feedback is overdue for a follow-up`
      : md`the ${safe(clockLabel(view.clock))} time on this ticket is breached`;
  const body = md`${who} ${what} — the customer has waited ${waitingText(view)}. Reply in HubSpot, or react :eyes: if you're on it, :white_check_mark: when handled.`;
  return message(md`${safe(view.owner?.name ?? 'Unassigned', 60)}: ${what}.`, [section(body)]);
}

/** Level 3: a post in the team's escalation channel linking back to the nudge. */
export function renderEscalationPost(view: NudgeView, teamName: string): RenderedMessage {
  const what =
    view.kind === 'feedback' ? md`Negative feedback not followed up` : md`Breached ${safe(clockLabel(view.clock))}`;
  const team = safe(teamName, 60);
  const lines = [
    md`:rotating_light: *Escalation — ${team}*`,
    md`${what}: ${titleLine(view)} from ${safe(view.customer || 'Unknown customer', 120)}`,
    md`Owner: ${personLabel(view.owner)} · waiting ${waitingText(view)} · ${dueText(view)}`,
    link(NUDGE_PERMALINK_PLACEHOLDER, 'View the nudge and its thread'),
  ];
  return message(md`Escalation (${team}): ${what} — "${safe(view.subject || '(no subject)', 150)}"`, [
    section(joinMd(lines, '\n')),
  ]);
}

/** Level 2, to the owner directly (skipped while they have muted Heed's DMs). */
export function renderOwnerDm(view: NudgeView): RenderedMessage {
  const what =
    view.kind === 'feedback'
      ? md`Negative feedback needs your follow-up`
      : md`Your ticket breached its ${safe(clockLabel(view.clock))} time`;
  const body = md`:rotating_light: ${what}: ${titleLine(view)} — waiting ${waitingText(view)}.\n${link(NUDGE_PERMALINK_PLACEHOLDER, 'Open the nudge')} · mute these with \`/heed mute 2h\``;
  return message(md`${what}: "${safe(view.subject || '(no subject)', 150)}"`, [section(body)]);
}
