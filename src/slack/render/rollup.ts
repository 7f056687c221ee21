// Pure rendering of the messages that stand for many tickets at once, so that a burst never becomes a storm:
// - a team's backlog summary: "N tickets were already late when Heed started watching", worst first;
// - the "and N more" message of a channel, a person (a DM) or an escalation channel over its burst budget.
// Each is posted once and updated in place as its tickets change; the first ten still waiting are listed with
// links and owners, and a button (or the command named in the text) shows them all.

import { formatBusinessWait } from '../../domain/duration.ts';
import { type Block, button, context, message, type RenderedMessage, section } from './blocks.ts';
import { joinMd, link, type Mrkdwn, md, safe, slackDate } from './mrkdwn.ts';
import { clockLabel, type NudgeView, overdueText, personLabel, statusOf } from './nudge.ts';

/** The button under a rollup: answers with the list its text names (`/unanswered <team>`, `/unanswered me`). */
export const ROLLUP_SHOW_ALL_ACTION = 'rollup_show_all';

/** How many waiting tickets a rollup lists itself. */
export const ROLLUP_LINES = 10;

export type RollupKind = 'backlog' | 'channel' | 'person' | 'escalation';

export type EndedKind =
  | 'answered'
  | 'resolved'
  | 'closed_unanswered'
  | 'deleted'
  | 'recovered'
  | 'followed_up'
  | 'handled'
  | 'moved';

export interface RollupLine {
  view: NudgeView;
  /** The team, for an escalation channel several teams share. */
  team?: string | undefined;
  /** The ticket's other late clocks, named after the one that leads ("next response + resolution"). */
  alsoLate?: readonly string[] | undefined;
}

export interface RollupModel {
  kind: RollupKind;
  /** The team (backlog summary, a team channel's overflow). */
  team?: string | undefined;
  /** Backlog waves of the team so far, this one included (1: Heed's first look). */
  wave: number;
  /** Distinct tickets and feedback answers listed in it since it was posted. */
  tickets: number;
  feedback: number;
  /** Items still waiting (open, not handled, not moved away). */
  waiting: number;
  ended: Partial<Record<EndedKind, number>>;
  /** The first waiting ones, worst first. */
  lines: RollupLine[];
  /** The budget that sent them here (an overflow). */
  budget?: { limit: number; windowMinutes: number; setting: string } | undefined;
  /** The slash command that lists them all, and the button's value for the same list. */
  /** The command that lists the same items, if one does; the button lists them anyway. */
  seeAll: { command?: string | undefined; value: string };
  asOf: Date;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "12 tickets", "12 tickets and 2 feedback answers", "1 feedback answer". */
function itemsText(tickets: number, feedback: number): string {
  const parts = [];
  if (tickets > 0 || feedback === 0) parts.push(plural(tickets, 'ticket', 'tickets'));
  if (feedback > 0) parts.push(plural(feedback, 'negative feedback answer', 'negative feedback answers'));
  return parts.join(' and ');
}

const ENDED_WORDS: Record<EndedKind, string> = {
  answered: 'answered',
  resolved: 'resolved',
  closed_unanswered: 'closed without a reply',
  deleted: 'deleted in HubSpot',
  recovered: 'no longer late',
  followed_up: 'followed up',
  handled: 'marked handled',
  moved: 'moved to another team',
};

function endedText(ended: RollupModel['ended']): Mrkdwn | undefined {
  const parts = (Object.keys(ENDED_WORDS) as EndedKind[])
    .filter((kind) => (ended[kind] ?? 0) > 0)
    .map((kind) => md`${ended[kind]!} ${safe(ENDED_WORDS[kind])}`);
  return parts.length ? joinMd(parts, ' · ') : undefined;
}

/** One waiting ticket: what, how late, whose. */
export function renderRollupLine(line: RollupLine): Mrkdwn {
  const { view } = line;
  const { icon } = statusOf(view);
  const others = line.alsoLate?.length ? md` + ${safe(line.alsoLate.join(', '))}` : md``;
  const what = view.kind === 'feedback' ? md`feedback follow-up` : md`${safe(clockLabel(view.clock))}${others}`;
  const late =
    view.state === 'breached' || view.state === 'overdue'
      ? md`*${overdueText(view.overdueBusinessMinutes, view.dueAt, view.workdayMinutes)}*`
      : view.dueAt
        ? md`due ${slackDate(view.dueAt)}`
        : md`waiting ${safe(formatBusinessWait(view.waitedBusinessMinutes, view.workdayMinutes))}`;
  const team = line.team ? md`[${safe(line.team, 40)}] ` : md``;
  // Tight caps: ten lines must stay well inside a section's 3,000 characters.
  return md`${icon} ${team}*${link(view.hubspotUrl, view.subject || '(no subject)', 70)}* — ${safe(view.customer || 'Unknown customer', 40)} · ${what} · ${late} · ${personLabel(view.owner)}`;
}

/** "35 more tickets", "1 more ticket and 2 more negative feedback answers". */
function moreText(tickets: number, feedback: number): string {
  const parts = [];
  if (tickets > 0 || feedback === 0) parts.push(`${tickets} more ${tickets === 1 ? 'ticket' : 'tickets'}`);
  if (feedback > 0) parts.push(`${feedback} more negative feedback ${feedback === 1 ? 'answer' : 'answers'}`);
  return parts.join(' and ');
}

function headline(model: RollupModel): { icon: Mrkdwn; title: Mrkdwn; plain: Mrkdwn } {
  const team = model.kind === 'backlog' || model.kind === 'channel' ? md`${safe(model.team ?? '', 60)}: ` : md``;
  const one = model.tickets + model.feedback === 1;
  let icon = md`:bell:`;
  let title: Mrkdwn;
  switch (model.kind) {
    case 'backlog': {
      const items = safe(itemsText(model.tickets, model.feedback));
      const were = one ? md`was` : md`were`;
      icon = md`:inbox_tray:`;
      title =
        model.wave <= 1
          ? md`${items} ${were} already late when Heed started watching`
          : md`${items} ${were} found already late`;
      break;
    }
    case 'channel':
      title = md`…and ${safe(moreText(model.tickets, model.feedback))} ${one ? md`needs` : md`need`} attention`;
      break;
    case 'person':
      title = md`…and ${safe(moreText(model.tickets, model.feedback).replace(/ more /g, ' more of your '))} ${one ? md`needs` : md`need`} you`;
      break;
    case 'escalation':
      icon = md`:rotating_light:`;
      title = md`…and ${safe(plural(model.tickets + model.feedback, 'more escalation', 'more escalations'))}`;
      break;
  }
  return { icon, title, plain: md`${team}${title}` };
}

function why(model: RollupModel): Mrkdwn {
  if (model.kind === 'backlog') {
    const when =
      model.wave <= 1
        ? md`They were late before Heed could have noticed`
        : md`Heed did not see them become late (an outage, a late sync or a policy change)`;
    return md`${when}, so they are listed here rather than one message each. Any still waiting gets its own nudge when its owner is pinged.`;
  }
  const budget = model.budget;
  const limit = budget
    ? md`Heed sends at most ${budget.limit} ${safe(model.kind === 'person' ? 'pings' : 'messages')} ${safe(model.kind === 'person' ? 'to a person' : 'here')} in ${budget.windowMinutes} minutes (policy \`${safe(budget.setting)}\`)`
    : md`Heed keeps bursts short`;
  return md`${limit}; the rest are listed here and this message is kept up to date.`;
}

export function renderRollup(model: RollupModel): RenderedMessage {
  const { icon, title, plain } = headline(model);
  const team = model.kind === 'backlog' || model.kind === 'channel' ? md` — ${safe(model.team ?? '', 60)}` : md``;
  const blocks: Block[] = [section(md`${icon} *${title}*${team}`, 'rollup_title'), context(why(model))];
  const ended = endedText(model.ended);
  if (model.waiting === 0) {
    blocks.push(
      section(
        md`:white_check_mark: *None of them is waiting any more.*${ended ? md` ${ended}.` : md``}`,
        'rollup_status',
      ),
    );
  } else {
    const status = md`*${model.waiting} still waiting*${ended ? md` · since: ${ended}` : md``}`;
    const lines = model.lines.map(renderRollupLine);
    // Five lines a section: ten long ones (escaped subjects, links, dates) could pass a section's 3,000 characters.
    for (let i = 0; i < Math.max(1, lines.length); i += 5) {
      const part = lines.slice(i, i + 5);
      blocks.push(section(joinMd(i === 0 ? [status, ...part] : part, '\n'), `rollup_lines_${i / 5}`));
    }
    const more = model.waiting - model.lines.length;
    const command = model.seeAll.command ? md`\`${safe(model.seeAll.command, 80)}\`` : undefined;
    const seeAll = command ?? md`the *Show all waiting* button`;
    blocks.push(
      context(
        more > 0
          ? md`…and ${more} more: ${seeAll} lists every one.`
          : md`${command ?? md`The *Show all waiting* button`} lists every one.`,
        md`As of ${slackDate(model.asOf, '{time}')}`,
      ),
    );
    blocks.push({
      type: 'actions',
      block_id: 'rollup_actions',
      elements: [button('Show all waiting', ROLLUP_SHOW_ALL_ACTION, { value: model.seeAll.value })],
    });
  }
  const text =
    model.waiting === 0
      ? md`${plain} — none of them is waiting any more.`
      : md`${plain} — ${model.waiting} still waiting.`;
  return message(text, blocks);
}
