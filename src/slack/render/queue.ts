// Pure rendering of the lists people ask for: /unanswered, /slow, and the App Home tab.

import { formatBusinessWait } from '../../domain/duration.ts';
import type { ClockName, FlagKind, FlagState } from '../../domain/flag.ts';
import {
  type Block,
  button,
  context,
  header,
  MAX_BUTTON_VALUE,
  message,
  type RenderedMessage,
  section,
} from './blocks.ts';
import { joinMd, link, type Mrkdwn, md, mention, safe, slackDate } from './mrkdwn.ts';
import { type CustomerSaid, clockLabel, customerSaidLine, overdueText, type PersonRef, personLabel } from './nudge.ts';

export interface QueueItem {
  flagKey: string;
  kind: FlagKind;
  /** `running`: a clock still inside its target (listed by /unanswered, no flag yet). */
  state: FlagState | 'running';
  clock?: ClockName | undefined;
  subject: string;
  customer: string;
  hubspotUrl?: string | undefined;
  owner?: PersonRef | undefined;
  waitedBusinessMinutes: number;
  dueAt?: Date | undefined;
  overdueBusinessMinutes: number;
  /** The team calendar's typical working day, for long business durations. */
  workdayMinutes?: number | undefined;
  claimedBy?: string | undefined;
  /** The customer's latest unanswered message (ticket clocks still running). */
  customerSaid?: CustomerSaid | undefined;
}

export const LIST_MORE_ACTION = 'list_more';
export const PAGE_SIZE = 20;

const STATE_ICON: Partial<Record<QueueItem['state'], string>> = {
  running: ':large_blue_circle:',
  breached: ':rotating_light:',
  overdue: ':rotating_light:',
  at_risk: ':hourglass_flowing_sand:',
  pending: ':speech_balloon:',
  // Still waiting by the clock, but someone said in Slack it is taken care of (e.g. answered by phone).
  handled: ':white_check_mark:',
};

export function renderQueueItem(item: QueueItem): Mrkdwn {
  const icon = STATE_ICON[item.state] ?? ':white_circle:';
  const what = item.kind === 'feedback' ? md`feedback follow-up` : safe(clockLabel(item.clock));
  const timing =
    item.state === 'handled'
      ? md`marked handled in Slack`
      : item.state === 'breached' || item.state === 'overdue'
        ? md`*${overdueText(item.overdueBusinessMinutes, item.dueAt, item.workdayMinutes)}*`
        : item.dueAt
          ? md`due ${slackDate(item.dueAt)}`
          : md`no due time`;
  const claimed = item.claimedBy ? md` · :eyes: ${mention(item.claimedBy)}` : md``;
  const waited = safe(formatBusinessWait(item.waitedBusinessMinutes, item.workdayMinutes));
  // Tight caps: 20 items must stay under Slack's ~12k characters of block text per message.
  const said = item.customerSaid ? md`\n${customerSaidLine(item.customerSaid, 100)}` : md``;
  return md`${safe(icon)} *${link(item.hubspotUrl, item.subject || '(no subject)', 80)}* — ${safe(item.customer || 'Unknown customer', 50)}
${what} · waiting ${waited} · ${timing} · ${personLabel(item.owner)}${claimed}${said}`;
}

export interface QueuePage {
  /** Heed's words, but may name a person from HubSpot: outside text. */
  title: string;
  items: QueueItem[];
  total: number;
  offset: number;
  /** What an empty list says (Heed's words; escaped like any text). */
  emptyText: string;
  /** Opaque value for the "More" button (the listener turns it back into a query). */
  moreValue?: string | undefined;
}

export function renderQueuePage(page: QueuePage): RenderedMessage {
  const title = safe(page.title, 150);
  if (page.items.length === 0) {
    const empty = safe(page.emptyText, 300);
    return message(md`${title}: ${empty}`, [section(md`*${title}*\n${empty}`)]);
  }
  const first = page.offset + 1;
  const last = page.offset + page.items.length;
  const blocks: Block[] = [
    header(page.title),
    context(md`Showing ${first}–${last} of ${page.total}, most urgent first`),
  ];
  for (const item of page.items.slice(0, PAGE_SIZE)) blocks.push(section(renderQueueItem(item)));
  // The value comes back in the click; one that would not fit is not offered (the list says how many there are).
  if (page.moreValue && page.moreValue.length <= MAX_BUTTON_VALUE && last < page.total) {
    blocks.push({
      type: 'actions',
      block_id: 'list_more',
      elements: [button(`More (${page.total - last} left)`, LIST_MORE_ACTION, { value: page.moreValue })],
    });
  }
  return message(md`${title}: ${page.total} item${page.total === 1 ? md`` : md`s`}, showing ${first}–${last}`, blocks);
}

export interface ClockGroup {
  clock: ClockName;
  /** The most urgent first, at most 10 shown. */
  items: QueueItem[];
  /** At risk and breached on this clock in all. */
  total: number;
  /** Of which breached. */
  breached: number;
}

const capitalised = (text: string) => `${text.slice(0, 1).toUpperCase()}${text.slice(1)}`;

/** /slow: at-risk and breached tickets grouped by clock. */
export function renderSlow(title: string, groups: ClockGroup[], emptyText: string): RenderedMessage {
  const nonEmpty = groups.filter((g) => g.total > 0);
  const heading = safe(title, 150);
  if (nonEmpty.length === 0) {
    const empty = safe(emptyText, 300);
    return message(md`${heading}: ${empty}`, [section(md`*${heading}*\n${empty}`)]);
  }
  const blocks: Block[] = [header(title)];
  // 50 blocks per message: 3 clocks × (1 heading + up to 10 items + 1 remainder) stays under it.
  for (const group of nonEmpty) {
    const atRisk = group.total - group.breached;
    // "First response — 8: 7 breached, 1 at risk" (counts of all of them, not only those shown).
    const counts = [
      ...(group.breached ? [md`${group.breached} breached`] : []),
      ...(atRisk ? [md`${atRisk} at risk`] : []),
    ];
    blocks.push(section(md`*${safe(capitalised(clockLabel(group.clock)))}* — ${group.total}: ${joinMd(counts, ', ')}`));
    for (const item of group.items.slice(0, 10)) blocks.push(section(renderQueueItem(item)));
    const shown = Math.min(group.items.length, 10);
    if (group.total > shown) {
      blocks.push(context(md`…and ${group.total - shown} more — see \`/unanswered\` or HubSpot`));
    }
  }
  const summary = nonEmpty.map((g) => md`${safe(clockLabel(g.clock))}: ${g.total}`);
  return message(md`${heading} — ${joinMd(summary, ', ')}`, blocks);
}

export interface TeamHealth {
  team: string;
  open: number;
  atRisk: number;
  breached: number;
  metToday: number;
  missedToday: number;
}

export function renderTeamHealthLine(t: TeamHealth): Mrkdwn {
  const total = t.metToday + t.missedToday;
  const rate =
    total === 0 ? md`no clocks completed yet` : md`${Math.round((100 * t.metToday) / total)}% (${t.metToday}/${total})`;
  return md`*${safe(t.team, 60)}* — open ${t.open} · at risk ${t.atRisk} · breached ${t.breached} · SLA met today ${rate}`;
}

export interface HomeView {
  myQueue: QueueItem[];
  myQueueTotal: number;
  mapped: boolean;
  teams: TeamHealth[];
  asOf: Date;
}

export function renderHome(home: HomeView): { type: 'home'; blocks: Block[] } {
  const blocks: Block[] = [header('My queue')];
  if (!home.mapped) {
    blocks.push(
      section(
        md`I couldn't match your Slack account to a HubSpot owner (by email). Ask an admin to add you under \`people\` in Heed's policy.`,
      ),
    );
  } else if (home.myQueue.length === 0) {
    blocks.push(section(md`:tada: Nothing of yours is waiting. Nice.`));
  } else {
    for (const item of home.myQueue.slice(0, PAGE_SIZE)) blocks.push(section(renderQueueItem(item)));
    if (home.myQueueTotal > PAGE_SIZE)
      blocks.push(context(md`…and ${home.myQueueTotal - PAGE_SIZE} more: \`/unanswered me\``));
  }
  blocks.push({ type: 'divider' }, header('Team health'));
  if (home.teams.length === 0) blocks.push(section(md`No teams are configured.`));
  // 100 blocks per Home tab: at most 60 team lines.
  for (const t of home.teams.slice(0, 60)) blocks.push(section(renderTeamHealthLine(t)));
  blocks.push(context(md`Updated ${slackDate(home.asOf)}`));
  return { type: 'home', blocks };
}
