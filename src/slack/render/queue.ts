// Pure rendering of the lists people ask for: /unanswered, /slow, and the App Home tab.

import { formatBusinessMinutes } from '../../domain/duration.ts';
import type { ClockName, FlagKind, FlagState } from '../../domain/flag.ts';
import { type Block, button, context, fallback, plain, type RenderedMessage, section } from './blocks.ts';
import { link, safe, slackDate, truncate } from './mrkdwn.ts';
import { clockLabel, type PersonRef, personLabel } from './nudge.ts';

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
  claimedBy?: string | undefined;
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

export function renderQueueItem(item: QueueItem): string {
  const icon = STATE_ICON[item.state] ?? ':white_circle:';
  const what = item.kind === 'feedback' ? 'feedback follow-up' : clockLabel(item.clock);
  const timing =
    item.state === 'handled'
      ? 'marked handled in Slack'
      : item.state === 'breached' || item.state === 'overdue'
        ? `*overdue ${formatBusinessMinutes(item.overdueBusinessMinutes)}*`
        : item.dueAt
          ? `due ${slackDate(item.dueAt)}`
          : 'no due time';
  const claimed = item.claimedBy ? ` · :eyes: <@${item.claimedBy}>` : '';
  return (
    // Tight caps: 20 items must stay under Slack's ~12k characters of block text per message.
    `${icon} *${link(item.hubspotUrl, item.subject || '(no subject)', 80)}* — ${safe(item.customer || 'Unknown customer', 50)}\n` +
    `${what} · waiting ${formatBusinessMinutes(item.waitedBusinessMinutes)} business · ${timing} · ${personLabel(item.owner)}${claimed}`
  );
}

export interface QueuePage {
  title: string;
  items: QueueItem[];
  total: number;
  offset: number;
  emptyText: string;
  /** Opaque value for the "More" button (the listener turns it back into a query). */
  moreValue?: string | undefined;
}

export function renderQueuePage(page: QueuePage): RenderedMessage {
  const title = truncate(page.title, 150);
  if (page.items.length === 0) {
    return {
      text: fallback(`${title}: ${page.emptyText}`),
      blocks: [section(`*${safe(title, 150)}*\n${page.emptyText}`)],
    };
  }
  const first = page.offset + 1;
  const last = page.offset + page.items.length;
  const blocks: Block[] = [
    { type: 'header', text: plain(title) },
    context(`Showing ${first}–${last} of ${page.total}, most urgent first`),
  ];
  for (const item of page.items.slice(0, PAGE_SIZE)) blocks.push(section(renderQueueItem(item)));
  if (page.moreValue && last < page.total) {
    blocks.push({
      type: 'actions',
      block_id: 'list_more',
      elements: [button(`More (${page.total - last} left)`, LIST_MORE_ACTION, { value: page.moreValue })],
    });
  }
  return {
    text: fallback(`${title}: ${page.total} item${page.total === 1 ? '' : 's'}, showing ${first}–${last}`),
    blocks,
  };
}

export interface ClockGroup {
  clock: ClockName;
  items: QueueItem[];
  total: number;
}

/** /slow: at-risk and breached tickets grouped by clock. */
export function renderSlow(title: string, groups: ClockGroup[], emptyText: string): RenderedMessage {
  const nonEmpty = groups.filter((g) => g.total > 0);
  if (nonEmpty.length === 0)
    return { text: fallback(`${title}: ${emptyText}`), blocks: [section(`*${safe(title, 150)}*\n${emptyText}`)] };
  const blocks: Block[] = [{ type: 'header', text: plain(truncate(title, 150)) }];
  // 50 blocks per message: 3 clocks × (1 heading + up to 10 items + 1 remainder) stays under it.
  for (const group of nonEmpty) {
    const breached = group.items.filter((i) => i.state === 'breached').length;
    blocks.push(
      section(
        `*${clockLabel(group.clock)[0]!.toUpperCase()}${clockLabel(group.clock).slice(1)}* — ${group.total} (${breached} breached shown of ${group.items.length})`,
      ),
    );
    for (const item of group.items.slice(0, 10)) blocks.push(section(renderQueueItem(item)));
    if (group.total > 10) blocks.push(context(`…and ${group.total - 10} more — see \`/unanswered\` or HubSpot`));
  }
  const summary = nonEmpty.map((g) => `${clockLabel(g.clock)}: ${g.total}`).join(', ');
  return { text: fallback(`${title} — ${summary}`), blocks };
}

export interface TeamHealth {
  team: string;
  open: number;
  atRisk: number;
  breached: number;
  metToday: number;
  missedToday: number;
}

export function renderTeamHealthLine(t: TeamHealth): string {
  const total = t.metToday + t.missedToday;
  const rate =
    total === 0 ? 'no clocks completed yet' : `${Math.round((100 * t.metToday) / total)}% (${t.metToday}/${total})`;
  return `*${safe(t.team, 60)}* — open ${t.open} · at risk ${t.atRisk} · breached ${t.breached} · SLA met today ${rate}`;
}

export interface HomeView {
  myQueue: QueueItem[];
  myQueueTotal: number;
  mapped: boolean;
  teams: TeamHealth[];
  asOf: Date;
}

export function renderHome(home: HomeView): { type: 'home'; blocks: Block[] } {
  const blocks: Block[] = [{ type: 'header', text: plain('My queue') }];
  if (!home.mapped) {
    blocks.push(
      section(
        "I couldn't match your Slack account to a HubSpot owner (by email). Ask an admin to add you under `people` in Heed's policy.",
      ),
    );
  } else if (home.myQueue.length === 0) {
    blocks.push(section(':tada: Nothing of yours is waiting. Nice.'));
  } else {
    for (const item of home.myQueue.slice(0, PAGE_SIZE)) blocks.push(section(renderQueueItem(item)));
    if (home.myQueueTotal > PAGE_SIZE)
      blocks.push(context(`…and ${home.myQueueTotal - PAGE_SIZE} more: \`/unanswered me\``));
  }
  blocks.push({ type: 'divider' }, { type: 'header', text: plain('Team health') });
  if (home.teams.length === 0) blocks.push(section('No teams are configured.'));
  // 100 blocks per Home tab: at most 60 team lines.
  for (const t of home.teams.slice(0, 60)) blocks.push(section(renderTeamHealthLine(t)));
  blocks.push(context(`Updated ${slackDate(home.asOf)}`));
  return { type: 'home', blocks };
}
