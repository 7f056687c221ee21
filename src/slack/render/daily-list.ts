// The morning list DM: a person's open items, most overdue first, times in their own zone (written out, so the
// notification text reads the same as the message), each with the nudge buttons (same action ids and values as
// on a nudge, so pressing one claims, snoozes or handles the flag). Pure.
import { formatBusinessMinutes } from '../../domain/duration.ts';
import type { FlagState } from '../../domain/flag.ts';
import type { TimeZone } from '../../domain/time-zone.ts';
import { describeDayStarts, localTime, type WorkWeek } from '../../domain/working-day.ts';
import { type Block, button, context, header, message, type RenderedMessage, section } from './blocks.ts';
import { joinMd, link, type Mrkdwn, md, safe } from './mrkdwn.ts';
import { clockLabel, NUDGE_ACTIONS } from './nudge.ts';
import type { QueueItem } from './queue.ts';

/** At most this many items, with their buttons (2 blocks each: well inside Slack's 50 blocks per message). */
export const DAILY_LIST_CAP = 15;

export interface DailyListView {
  /** The person it is for (their claims read "you"). */
  userId: string;
  zone: TimeZone;
  /** When the list was made; due times on this local day show without a weekday. */
  now: Date;
  /** Their working day's start, when the list is later than it (Heed was down): the list says so. */
  lateFor?: Date | undefined;
  /** Most overdue first; at most DAILY_LIST_CAP are shown. */
  items: readonly (Pick<
    QueueItem,
    | 'flagKey'
    | 'kind'
    | 'clock'
    | 'subject'
    | 'customer'
    | 'hubspotUrl'
    | 'dueAt'
    | 'overdueBusinessMinutes'
    | 'workdayMinutes'
    | 'claimedBy'
  > & { state: FlagState; snoozedUntil?: Date | undefined })[];
  /** All open items, shown or not. */
  total: number;
}

const ICON: Partial<Record<FlagState, string>> = {
  breached: ':rotating_light:',
  overdue: ':rotating_light:',
  at_risk: ':hourglass_flowing_sand:',
  predicted: ':crystal_ball:',
  pending: ':speech_balloon:',
};

type Item = DailyListView['items'][number];

function isOverdue(item: Item, now: Date): boolean {
  return Math.round(item.overdueBusinessMinutes) >= 1 || (item.dueAt !== undefined && item.dueAt <= now);
}

/** "2h 10m overdue (was due Mon 16:50)", "due 14:20", "no due time" — in the person's zone. */
export function dailyTiming(item: Item, view: Pick<DailyListView, 'zone' | 'now'>): string {
  if (!item.dueAt) return 'no due time';
  const due = localTime(view.zone, item.dueAt, view.now);
  if (!isOverdue(item, view.now)) return `due ${due}`;
  const minutes = Math.round(item.overdueBusinessMinutes);
  return minutes >= 1
    ? `${formatBusinessMinutes(minutes, item.workdayMinutes)} overdue (was due ${due})`
    : `overdue since ${due}`;
}

function what(item: Item): string {
  return item.kind === 'feedback' ? 'feedback follow-up' : clockLabel(item.clock);
}

function itemLine(item: Item, view: DailyListView): Mrkdwn {
  const icon = ICON[item.state] ?? ':white_circle:';
  const timing = safe(dailyTiming(item, view));
  const overdue = isOverdue(item, view.now);
  const notes: Mrkdwn[] = [];
  if (item.claimedBy === view.userId) notes.push(md`:eyes: you're on it`);
  else if (item.claimedBy) notes.push(md`:eyes: claimed`);
  if (item.snoozedUntil && item.snoozedUntil > view.now) {
    notes.push(md`:zzz: snoozed until ${safe(localTime(view.zone, item.snoozedUntil, view.now))}`);
  }
  const tail = notes.length ? md` · ${joinMd(notes, ' · ')}` : md``;
  return md`${safe(icon)} *${link(item.hubspotUrl, item.subject || '(no subject)', 100)}* — ${safe(item.customer || 'Unknown customer', 60)}
${safe(what(item))} · ${overdue ? md`*${timing}*` : timing}${tail}`;
}

function itemButtons(item: Item, view: DailyListView, index: number): Block {
  const value = item.flagKey;
  const mine = item.claimedBy === view.userId;
  return {
    type: 'actions',
    block_id: `daily_actions_${index}`,
    elements: [
      button('✅ Handled', NUDGE_ACTIONS.handled, { value, style: 'primary' }),
      mine
        ? button('Release', NUDGE_ACTIONS.unclaim, { value })
        : button("👀 I'm on it", NUDGE_ACTIONS.claim, { value }),
      item.snoozedUntil && item.snoozedUntil > view.now
        ? button('Unsnooze', NUDGE_ACTIONS.unsnooze, { value })
        : button('💤 Snooze', NUDGE_ACTIONS.snooze, { value }),
    ],
  };
}

export function renderDailyList(view: DailyListView): RenderedMessage {
  const zoneName = safe(view.zone.name, 60);
  const lateNote = view.lateFor
    ? md`Later than the start of your day (${safe(localTime(view.zone, view.lateFor, view.now))}): Heed was not running then.`
    : undefined;
  if (view.items.length === 0) {
    const text = md`:sunrise: Good morning! Nothing waiting on you this morning.`;
    return message(text, [section(text, 'daily_empty'), ...(lateNote ? [context(lateNote)] : [])]);
  }
  const shown = view.items.slice(0, DAILY_LIST_CAP);
  const more = view.total - shown.length;
  const count = md`${view.total} open item${view.total === 1 ? md`` : md`s`}`;
  const blocks: Block[] = [
    header(`Good morning — ${view.total} item${view.total === 1 ? '' : 's'} waiting on you`),
    context(md`Most overdue first · times in ${zoneName}`, ...(lateNote ? [lateNote] : [])),
  ];
  shown.forEach((item, index) => {
    blocks.push(section(itemLine(item, view), `daily_item_${index}`));
    blocks.push(itemButtons(item, view, index));
  });
  if (more > 0) blocks.push(context(md`…and ${more} more — \`/unanswered me\` lists them all.`));
  // The notification and screen readers: the same items in the same order, times written out.
  const plain = shown.map(
    (item) =>
      md`“${safe(item.subject || '(no subject)', 100)}” (${safe(item.customer || 'Unknown customer', 80)}) — ${safe(dailyTiming(item, view))}`,
  );
  const moreText = more > 0 ? md`; …and ${more} more (/unanswered me)` : md``;
  return message(
    md`Good morning — ${count} waiting on you, most overdue first (times in ${zoneName}): ${joinMd(plain, '; ')}${moreText}`,
    blocks,
  );
}

export interface DailyStatusView {
  /** What changed: the command's word. */
  action: 'on' | 'off' | 'status';
  on: boolean;
  now: Date;
  week: Pick<WorkWeek, 'hoursFrom' | 'zoneFrom' | 'team' | 'zone' | 'slots'>;
  /** The next start of their working day after now, if any within two weeks. */
  next?: Date | undefined;
  /** Matched to a HubSpot owner by email: their tickets are on the list. */
  matched: boolean;
  mutedUntil?: Date | undefined;
}

/** The answer to `/heed daily on|off|status`: whether it is on, when it comes and where that time comes from. */
export function renderDailyStatus(view: DailyStatusView): RenderedMessage {
  const { week } = view;
  const zone = safe(week.zone.name, 60);
  const starts = safe(describeDayStarts(week));
  const team = safe(week.team, 60);
  const source =
    week.hoursFrom === 'hubspot'
      ? week.zoneFrom === 'hubspot'
        ? md`from your HubSpot working hours`
        : md`from your HubSpot working hours (HubSpot has no time zone for you: ${week.zoneFrom === 'slack' ? md`your Slack one` : md`the ${team} team's`})`
      : week.zoneFrom === 'slack'
        ? md`HubSpot has no working hours for you, so the ${team} team's calendar, in your Slack time zone`
        : md`HubSpot has no working hours for you, so the ${team} team's calendar, in the team's time zone`;
  const when = md`at the start of your working day, ${starts} (${zone}) — ${source}`;
  const lines: Mrkdwn[] = [];
  if (view.action === 'off') lines.push(md`:no_bell: Morning list off. \`/heed daily on\` to get it again.`);
  else if (view.on) lines.push(md`:sunrise: You'll get your list ${when}.`);
  else lines.push(md`Your morning list is off. With \`/heed daily on\` you'd get it ${when}.`);
  if (view.on) {
    if (view.next) lines.push(md`Next: ${safe(localTime(week.zone, view.next, view.now))} (${zone}).`);
    lines.push(
      md`None on days off or team holidays, or while you're away (out of office in HubSpot, or away there). \`/heed daily off\` to stop.`,
    );
    if (!view.matched) {
      lines.push(
        md`:warning: I can't match you to a HubSpot owner by your email, so the list will only hold items you claimed (:eyes:).`,
      );
    }
    if (view.mutedUntil && view.mutedUntil > view.now) {
      lines.push(
        md`:mute: You muted Heed's DMs until ${safe(localTime(week.zone, view.mutedUntil, view.now))}: no list before then.`,
      );
    }
  }
  const text = joinMd(lines, '\n');
  return message(text, [section(text, 'daily_status')]);
}
