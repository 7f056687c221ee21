// Pure rendering of a nudge (one message per flagged ticket clock or feedback answer) and of the messages that
// go with it — the thread ping, the owner's DM, the escalation. Each shows the ticket's current state and is
// re-rendered (updated in place) when the ticket ends — answered, resolved, closed without a reply, deleted,
// handled —, is reassigned, or moves team (the old team's messages then say where it went).
// No clients, no clock: everything comes in the view.

import type { AwayReason } from '../../domain/availability.ts';
import { formatBusinessWait, formatOverdueBy } from '../../domain/duration.ts';
import type { ClockName, FlagKind, FlagOutcome, FlagState } from '../../domain/flag.ts';
import { type Block, button, context, fields, message, type RenderedMessage, section } from './blocks.ts';
import {
  channelLink,
  formatMinutes,
  joinMd,
  link,
  type Mrkdwn,
  md,
  mention,
  safe,
  safeUrl,
  slackDate,
} from './mrkdwn.ts';

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
  /** The claim's promise lapsed (domain/claim.ts): who claimed, when, and what they promised ("30m"). */
  claimLapsed?: ClaimLapse | undefined;
  handledBy?: string | undefined;
  handledAt?: Date | undefined;
  /** Set only while the snooze is still in force. */
  snoozedBy?: string | undefined;
  snoozedUntil?: Date | undefined;
  resolvedAt?: Date | undefined;
  /** Why it stopped being open (set with state `resolved`, or `handled`). */
  outcome?: FlagOutcome | undefined;
  /** A retired nudge: the ticket moved to this team, whose channel has its nudge now. */
  movedTo?: { team: string; channel: string } | undefined;
  /** The customer's latest unanswered message and when it came (from the ticket's conversation). */
  customerSaid?: CustomerSaid | undefined;
  /** Away-aware routing: the owner is away, and who covers (no `backup`: nobody could; the channel alone). */
  cover?: CoverView | undefined;
  /** Slack users who covered for the owner before and no longer do: their ping and DM say so. */
  coveredBefore?: readonly string[] | undefined;
}

/** Why a ticket's ping went to someone other than its owner. */
export interface CoverView {
  /** The away owner's name (HubSpot). */
  ownerName: string;
  reason: AwayReason;
  /** When they are back, if known. */
  until?: Date | undefined;
  /** The Slack status that says away (the person's own words: escaped). */
  status?: string | undefined;
  /** Who covers; undefined when every backup is away too. */
  backup?: string | undefined;
  /** The team calendar's zone: "until" is written in it. */
  timeZone: string;
}

export interface ClaimLapse {
  by: string;
  at: Date;
  within: string;
}

/** What the customer last wrote that nobody has answered yet (outside text: quoted through `safe`). */
export interface CustomerSaid {
  text: string;
  at: Date;
}

/**
 * The customer's words as one quoted line and when they came: "> “It still fails…” — <date>". `safe` keeps
 * them on one line (a newline in the message cannot end the quote and pose as Heed's words) and escapes them.
 */
export function customerSaidLine(said: CustomerSaid, max = 200): Mrkdwn {
  return md`> “${safe(said.text, max)}” — ${slackDate(said.at)}`;
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

/** No longer waiting on anyone: it ended, or someone marked it handled. */
export function isDone(view: Pick<NudgeView, 'state' | 'handledBy'>): boolean {
  return view.state === 'resolved' || view.state === 'handled' || view.handledBy !== undefined;
}

/** Nothing more happens to this message: the ticket is done, or it moved to another team's channel. */
export function isFinal(view: Pick<NudgeView, 'state' | 'handledBy' | 'movedTo'>): boolean {
  return isDone(view) || view.movedTo !== undefined;
}

export interface Status {
  icon: Mrkdwn;
  label: Mrkdwn;
  /** For "… <when>" notes and list lines: "Answered", "Closed", "Deleted". */
  short: Mrkdwn;
}

/** How a flag that is no longer waiting ended, in words a support lead would use. */
function endedStatus(view: Pick<NudgeView, 'kind' | 'clock' | 'state' | 'handledBy' | 'outcome'>): Status {
  const clock = safe(CLOCK_LABEL[view.clock ?? 'firstResponse']);
  const outcome: FlagOutcome | undefined =
    view.outcome ?? (view.state === 'handled' || view.handledBy !== undefined ? 'handled' : undefined);
  switch (outcome) {
    case 'answered':
      return { icon: md`:white_check_mark:`, label: md`Answered — ${clock}`, short: md`Answered` };
    case 'resolved':
      return { icon: md`:white_check_mark:`, label: md`Resolved`, short: md`Resolved` };
    case 'closed_unanswered':
      return view.clock === 'nextResponse'
        ? {
            icon: md`:no_entry_sign:`,
            label: md`Closed without answering the customer's last message`,
            short: md`Closed without a reply`,
          }
        : { icon: md`:no_entry_sign:`, label: md`Closed without a reply`, short: md`Closed without a reply` };
    case 'deleted':
      return { icon: md`:wastebasket:`, label: md`Deleted in HubSpot`, short: md`Deleted in HubSpot` };
    case 'recovered':
      return view.kind === 'feedback'
        ? { icon: md`:large_green_circle:`, label: md`No follow-up needed any more`, short: md`No longer needed` }
        : { icon: md`:large_green_circle:`, label: md`No longer late — ${clock}`, short: md`No longer late` };
    case 'followed_up':
      return { icon: md`:white_check_mark:`, label: md`Followed up`, short: md`Followed up` };
    case 'handled':
      return { icon: md`:white_check_mark:`, label: md`Handled`, short: md`Handled` };
    default:
      // Ended before Heed recorded why: say no more than it knows.
      return view.kind === 'feedback'
        ? { icon: md`:white_check_mark:`, label: md`Followed up`, short: md`Followed up` }
        : { icon: md`:white_check_mark:`, label: md`No longer waiting — ${clock}`, short: md`Ended` };
  }
}

function movedStatus(movedTo: NonNullable<NudgeView['movedTo']>): Status {
  const team = safe(movedTo.team, 60);
  return {
    icon: md`:arrow_right:`,
    label: md`Moved to ${team} — see ${channelLink(movedTo.channel)}`,
    short: md`Moved to ${team}`,
  };
}

/** The headline every message about the flag leads with. */
export function statusOf(
  view: Pick<NudgeView, 'kind' | 'clock' | 'state' | 'handledBy' | 'outcome' | 'movedTo'>,
): Status {
  if (view.movedTo) return movedStatus(view.movedTo);
  if (isDone(view)) return endedStatus(view);
  if (view.kind === 'feedback') {
    return view.state === 'overdue'
      ? { icon: md`:rotating_light:`, label: md`Negative feedback — follow-up overdue`, short: md`Overdue` }
      : { icon: md`:speech_balloon:`, label: md`Negative feedback — needs a follow-up`, short: md`Pending` };
  }
  const clock = safe(CLOCK_LABEL[view.clock ?? 'firstResponse']);
  if (view.state === 'predicted') {
    return { icon: md`:crystal_ball:`, label: md`Likely to breach — ${clock}`, short: md`Likely to breach` };
  }
  return view.state === 'breached'
    ? { icon: md`:rotating_light:`, label: md`Breached — ${clock}`, short: md`Breached` }
    : { icon: md`:hourglass_flowing_sand:`, label: md`At risk — ${clock}`, short: md`At risk` };
}

/** "✅ *Answered — first response* <when>" / "➡️ *Moved to billing — see #billing*". */
function statusLine(view: NudgeView): Mrkdwn {
  const { icon, label } = statusOf(view);
  const ended = !view.movedTo && view.resolvedAt && view.state === 'resolved';
  return md`${icon} *${label}*${ended ? md` ${slackDate(view.resolvedAt!)}` : md``}`;
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

// ─────────────────────────────────────────────────────────────── away-aware routing (issue 15)

/** The recipient of a thread note that pinged nobody: the owner and every backup were away. */
export const NOBODY_COVERS = 'away';

const AWAY_REASON: Record<AwayReason, string> = {
  'out-of-office': 'out of office',
  'hubspot-away': 'away in HubSpot',
  'off-hours': 'outside working hours',
  'slack-status': 'Slack status',
};

/** "Mon 09:00 UTC" in the team's zone ("Mon 16 Mar 09:00 CET" a week or more ahead of `asOf`). */
export function formatUntil(until: Date, timeZone: string, asOf: Date): string {
  const far = until.getTime() - asOf.getTime() >= 6 * 86_400_000;
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    ...(far ? { day: 'numeric', month: 'short' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(until);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const date = far ? ` ${part('day')} ${part('month')}` : '';
  return `${part('weekday')}${date} ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}

/** "Anna Agent is away until Mon 09:00 UTC (out of office)". */
function awayLine(cover: CoverView, asOf: Date): Mrkdwn {
  const until = cover.until ? md` until ${safe(formatUntil(cover.until, cover.timeZone, asOf))}` : md``;
  const why =
    cover.reason === 'slack-status' && cover.status
      ? md`Slack status ${safe(cover.status, 80)}`
      : safe(AWAY_REASON[cover.reason]);
  return md`${safe(cover.ownerName, 60)} is away${until} (${why})`;
}

/** "…; <@Bob> is covering" / "…; no backup available". */
export function coverLine(cover: CoverView, asOf: Date): Mrkdwn {
  const who = cover.backup ? md`${mention(cover.backup)} is covering` : md`no backup available`;
  return md`${awayLine(cover, asOf)}; ${who}`;
}

/** The same, in a notification's plain text (no mention: a name Slack shows as is). */
function plainCover(cover: CoverView, asOf: Date): Mrkdwn {
  return cover.backup
    ? md`Covering for ${safe(cover.ownerName, 60)}`
    : md`${awayLine(cover, asOf)}; no backup available`;
}

/** A companion message for someone who covered before and does not any more. */
function coverEnded(view: NudgeView, recipient: string | undefined): boolean {
  return recipient !== undefined && recipient !== view.cover?.backup && (view.coveredBefore ?? []).includes(recipient);
}

/** Who has the ticket now, for someone whose cover ended. */
function coverHandedOn(view: NudgeView): Mrkdwn {
  if (view.cover?.backup)
    return md`${mention(view.cover.backup)} is covering for ${safe(view.cover.ownerName, 60)} now`;
  if (view.cover) return md`${awayLine(view.cover, view.asOf)}; the team channel has it`;
  return md`${personLabel(view.owner)} is back`;
}

export function renderNudge(view: NudgeView): RenderedMessage {
  const { icon, label, short } = statusOf(view);
  const final = isFinal(view);
  const lines = [md`${icon} *${label}*`, titleLine(view), md`from ${safe(view.customer || 'Unknown customer', 120)}`];
  if (view.state === 'predicted' && !final && view.dueAt) {
    // The forecast in words: the due time it is likely to miss, and what would prevent it.
    lines.push(
      md`Likely to breach at ${slackDate(view.dueAt, '{time}')} unless someone picks it up — at ${view.owner ? md`${personLabel(view.owner)}'s` : md`the team's`} recent pace it would be answered after that.`,
    );
  }
  if (view.feedback) {
    const score = view.feedback.score === undefined ? md`` : md` ${safe(view.feedback.score, 10)}`;
    lines.push(md`${safe(view.feedback.surveyType, 40)}${score}`);
    // One quoted line: safe() keeps outside text on one line, so a comment cannot end the quote.
    if (view.feedback.comment) lines.push(md`> ${safe(view.feedback.comment, 500)}`);
  }
  // What the customer is waiting on, while anyone still has to answer it.
  if (view.customerSaid && !final) lines.push(customerSaidLine(view.customerSaid, 300));
  const blocks: Block[] = [section(joinMd(lines, '\n'), 'nudge_summary')];
  // An away owner is named, not mentioned: the message must not notify them.
  const owner = view.cover && !final ? md`${safe(view.cover.ownerName, 60)} (away)` : personLabel(view.owner);
  const facts = [md`*Owner*\n${owner}`, md`*Priority*\n${priorityLabel(view.priority)}`];
  if (!final) facts.push(md`*Waiting*\n${waitingText(view)}`, md`*Due*\n${dueText(view)}`);
  blocks.push(fields('nudge_fields', facts));

  const notes: Mrkdwn[] = [];
  if (view.movedTo) {
    // Timeless on purpose: the ticket may move on, or back here, and this message is not edited again.
    notes.push(md`This message is no longer updated: Heed follows the ticket in its team's channel.`);
  } else {
    if (view.handledBy !== undefined) {
      notes.push(
        md`:white_check_mark: Handled by ${mention(view.handledBy)}${view.handledAt ? md` ${slackDate(view.handledAt)}` : md``}`,
      );
    }
    // What finally happened, and when (a handled ticket too, once the facts end it).
    if (view.state === 'resolved' && view.resolvedAt) notes.push(md`${icon} ${short} ${slackDate(view.resolvedAt)}`);
  }
  if (!final && view.cover) notes.push(md`:palm_tree: ${coverLine(view.cover, view.asOf)}`);
  if (!final && view.claimLapsed) notes.push(claimLapseLine(view.claimLapsed));
  else if (!final && view.claimedBy) notes.push(md`:eyes: On it: ${mention(view.claimedBy)}`);
  if (!final && view.snoozedBy && view.snoozedUntil) {
    notes.push(md`:zzz: Snoozed by ${mention(view.snoozedBy)} until ${slackDate(view.snoozedUntil)}`);
  }
  if (!final) notes.push(md`Waiting time as of ${slackDate(view.asOf, '{time}')}`);
  if (notes.length > 0) blocks.push(context(...notes));

  if (!final) {
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
  } else if (!view.movedTo && view.handledBy !== undefined && view.state !== 'resolved') {
    // Handled by a person (not by the clock completing): they may have been wrong, so it can be undone.
    blocks.push({
      type: 'actions',
      block_id: 'nudge_actions',
      elements: [button('Undo "handled"', NUDGE_ACTIONS.unhandled, { value: view.flagKey })],
    });
  }

  const text = final
    ? md`${label}: ${quoted(view)}`
    : md`${label}: ${quoted(view)} — waiting ${safe(formatBusinessWait(view.waitedBusinessMinutes, view.workdayMinutes))}, ${plainDue(view)}`;
  return message(text, blocks);
}

/** A companion message (thread ping, DM) addressed to someone who no longer owns the ticket. */
function reassignedAway(view: NudgeView, recipient: string | undefined): boolean {
  return recipient !== undefined && view.owner?.slackUserId !== recipient;
}

/**
 * Level 2: a reply in the nudge's thread that pings the owner (or names them when unmapped). `recipient` is the
 * Slack user it pinged: when the ticket has another owner now, it says so.
 */
export function renderEscalationReply(view: NudgeView, recipient?: string): RenderedMessage {
  if (view.movedTo) {
    return message(md`${statusOf(view).label}.`, [
      section(md`${statusLine(view)}. This thread is no longer followed.`),
    ]);
  }
  if (isDone(view)) {
    const handled = view.handledBy ? md` Handled by ${mention(view.handledBy)}.` : md``;
    return message(md`${statusOf(view).label}: ${quoted(view)}.`, [
      section(md`${statusLine(view)} — nothing more to do here.${handled}`),
    ]);
  }
  const what =
    view.kind === 'feedback'
      ? md`this negative feedback is overdue for a follow-up`
      : md`the ${safe(clockLabel(view.clock))} time on this ticket is breached`;
  if (coverEnded(view, recipient)) {
    return message(md`No longer yours to cover: ${what}.`, [
      section(md`:arrow_right: ${coverHandedOn(view)} — nothing more for you to do here.`),
    ]);
  }
  if (recipient === NOBODY_COVERS && view.cover?.backup !== undefined) {
    return message(md`${plainCover(view.cover, view.asOf)}: ${what}.`, [
      section(md`:arrow_right: ${coverHandedOn(view)}.`),
    ]);
  }
  if (recipient === NOBODY_COVERS && !view.cover) {
    return message(md`${safe(view.owner?.name ?? 'The owner', 60)} is back: ${what}.`, [
      section(md`:arrow_right: ${coverHandedOn(view)}.`),
    ]);
  }
  if (view.cover && recipient === (view.cover.backup ?? NOBODY_COVERS)) {
    // To the backup (or, with nobody to cover, to no one: the thread says so).
    const to = view.cover.backup ? md`${mention(view.cover.backup)} ` : md``;
    const body = md`${to}${coverLine(view.cover, view.asOf)}: ${what} — the customer has waited ${waitingText(view)}. Reply in HubSpot, or react :eyes: if you're on it, :white_check_mark: when handled.`;
    return message(md`${plainCover(view.cover, view.asOf)}: ${what}.`, [section(body)]);
  }
  if (reassignedAway(view, recipient)) {
    return message(md`Reassigned to ${safe(view.owner?.name ?? 'nobody', 60)}: ${what}.`, [
      section(md`:arrow_right: Reassigned to ${personLabel(view.owner)} — ${what} (waiting ${waitingText(view)}).`),
    ]);
  }
  const who = view.owner ? personLabel(view.owner) : md`No owner is assigned:`;
  const body = md`${who} ${what} — the customer has waited ${waitingText(view)}. Reply in HubSpot, or react :eyes: if you're on it, :white_check_mark: when handled.`;
  return message(md`${safe(view.owner?.name ?? 'Unassigned', 60)}: ${what}.`, [section(body)]);
}

// ─────────────────────────────────────────────────────────────────────────────── claim timer (issue 15)

/** ":eyes: @Bob claimed this at 10:12 and hasn't replied yet (promised within 30m)". */
export function claimLapseLine(lapse: ClaimLapse): Mrkdwn {
  return md`:eyes: ${mention(lapse.by)} claimed this at ${slackDate(lapse.at, '{time}')} and hasn't replied yet (promised within ${safe(lapse.within, 20)})`;
}

/**
 * The claimer pinged again in the nudge's thread when their claim lapsed; once the ticket ended (or they
 * replied, released it, or someone else took it) it says so instead, as every message about a ticket does.
 */
export function renderClaimLapseReply(view: NudgeView, claimer: string): RenderedMessage {
  if (view.movedTo || isDone(view) || view.claimLapsed?.by !== claimer) {
    const line = view.movedTo || isDone(view) ? statusLine(view) : md`No longer waiting on this claim`;
    return message(md`${statusOf(view).label}: ${quoted(view)}.`, [section(md`${line} — nothing more to do here.`)]);
  }
  const lapse = view.claimLapsed;
  return message(md`${mention(claimer)} claimed ${quoted(view)} and hasn't replied yet.`, [
    section(
      md`${claimLapseLine(lapse)}. ${mention(claimer)}, reply to the customer in HubSpot — or remove your :eyes: so someone else picks it up. The ticket now climbs the ladder as if unclaimed.`,
    ),
  ]);
}

/** Back to the nudge (the outbox puts its permalink in), or to HubSpot for a ticket without a nudge of its own. */
function backLink(view: NudgeView, linked: boolean, label: string): Mrkdwn {
  return linked ? link(NUDGE_PERMALINK_PLACEHOLDER, label) : link(view.hubspotUrl, 'Open in HubSpot');
}

/**
 * Level 3: a post in the team's escalation channel. `linked`: it links back to the nudge; a ticket listed only
 * in an "and N more" message has no nudge of its own to link to.
 */
export function renderEscalationPost(view: NudgeView, teamName: string, linked = true): RenderedMessage {
  const team = safe(teamName, 60);
  const subject = safe(view.subject || '(no subject)', 150);
  const customer = safe(view.customer || 'Unknown customer', 120);
  if (isFinal(view)) {
    const handled = view.handledBy ? md` · handled by ${mention(view.handledBy)}` : md``;
    const lines = [
      md`*Escalation — ${team}:* ${statusLine(view)}`,
      md`${titleLine(view)} from ${customer}`,
      md`Owner: ${personLabel(view.owner)}${handled}`,
      backLink(view, linked, 'View the nudge and its thread'),
    ];
    return message(md`Escalation (${team}): ${statusOf(view).label} — "${subject}"`, [section(joinMd(lines, '\n'))]);
  }
  const what =
    view.kind === 'feedback' ? md`Negative feedback not followed up` : md`Breached ${safe(clockLabel(view.clock))}`;
  // An away owner is named, not mentioned (the leads channel must not notify them), with who covers.
  const owner = view.cover
    ? md`${safe(view.cover.ownerName, 60)} (away; ${view.cover.backup ? md`${mention(view.cover.backup)} covering` : md`no backup available`})`
    : personLabel(view.owner);
  const lines = [
    md`:rotating_light: *Escalation — ${team}*`,
    md`${what}: ${titleLine(view)} from ${customer}`,
    md`Owner: ${owner} · waiting ${waitingText(view)} · ${dueText(view)}`,
    backLink(view, linked, 'View the nudge and its thread'),
  ];
  return message(md`Escalation (${team}): ${what} — "${subject}"`, [section(joinMd(lines, '\n'))]);
}

/**
 * Level 2, to the owner directly (skipped while they have muted Heed's DMs). `recipient` is who it went to: when
 * the ticket has another owner now, it tells them it is no longer theirs. `linked` as for the escalation.
 */
export function renderOwnerDm(view: NudgeView, recipient?: string, linked = true): RenderedMessage {
  const subject = md`"${safe(view.subject || '(no subject)', 150)}"`;
  const back = backLink(view, linked, 'Open the nudge');
  if (isFinal(view)) {
    const next = view.movedTo
      ? md`This message is no longer updated: Heed follows the ticket in its team's channel.`
      : md`Nothing more to do.`;
    return message(md`${statusOf(view).label}: ${subject}`, [
      section(md`${statusLine(view)}: ${titleLine(view)}. ${next}\n${back}`),
    ]);
  }
  if (coverEnded(view, recipient)) {
    return message(md`No longer yours to cover: ${subject}`, [
      section(md`:arrow_right: ${titleLine(view)}: ${coverHandedOn(view)} — nothing more for you to do.\n${back}`),
    ]);
  }
  if (view.cover?.backup && recipient === view.cover.backup) {
    const what =
      view.kind === 'feedback'
        ? md`Negative feedback needs a follow-up`
        : md`A ticket breached its ${safe(clockLabel(view.clock))} time`;
    const body = md`:rotating_light: ${coverLine(view.cover, view.asOf)}. ${what}: ${titleLine(view)} — waiting ${waitingText(view)}.\n${back} · mute these with \`/heed mute 2h\``;
    return message(md`${plainCover(view.cover, view.asOf)}: ${what} — ${subject}`, [section(body)]);
  }
  if (reassignedAway(view, recipient)) {
    return message(md`Reassigned to ${safe(view.owner?.name ?? 'nobody', 60)}: ${subject}`, [
      section(
        md`:arrow_right: ${titleLine(view)} is now owned by ${personLabel(view.owner)} — nothing more for you to do.\n${back}`,
      ),
    ]);
  }
  const what =
    view.kind === 'feedback'
      ? md`Negative feedback needs your follow-up`
      : md`Your ticket breached its ${safe(clockLabel(view.clock))} time`;
  const body = md`:rotating_light: ${what}: ${titleLine(view)} — waiting ${waitingText(view)}.\n${back} · mute these with \`/heed mute 2h\``;
  return message(md`${what}: ${subject}`, [section(body)]);
}
