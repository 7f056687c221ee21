// Pure rendering of command replies that are not lists: usage, status, whois, confirmations.

import type { ClockName, FlagState } from '../../domain/flag.ts';
import { type Block, context, header, message, type RenderedMessage, section } from './blocks.ts';
import { joinMd, link, type Mrkdwn, md, mention, safe, slackDate } from './mrkdwn.ts';
import { type CustomerSaid, clockLabel, customerSaidLine, overdueText, type PersonRef, personLabel } from './nudge.ts';

export const USAGE: Record<string, Mrkdwn> = {
  '/unanswered': md`\`/unanswered\` — your tickets waiting for a reply (or your team's, in its channel)\n\`/unanswered me\` · \`/unanswered @someone\` · \`/unanswered &lt;team&gt;\` · \`/unanswered all\``,
  '/slow': md`\`/slow\` — at-risk and breached tickets by clock, all teams (or this channel's team)\n\`/slow &lt;team&gt;\` · \`/slow all\``,
  '/digest': md`\`/digest [team]\` — preview today's digest\n\`/digest [team] post\` — post it to the team's channel (once posted: update it with the numbers of now)`,
  '/heed': joinMd(
    [
      md`\`/heed help\` — this text`,
      md`\`/heed status\` — last sync, pending webhooks, open flags per team`,
      md`\`/heed snooze &lt;ticket&gt; &lt;duration&gt;\` — e.g. \`/heed snooze 1234 2h\` (up to 7d)`,
      md`\`/heed mute &lt;duration&gt;\` — no DMs from Heed for a while, e.g. \`/heed mute 3h\``,
      md`\`/heed unmute\``,
      md`\`/heed whois &lt;ticket&gt;\` — owner, team, state and open flags of a ticket`,
      md`\`/heed stats [@someone | &lt;team&gt; | me | all] [7d | 30d]\` — SLA met % per clock, first-response median and p90, and tickets handled, per agent (default: this channel's team, or your teams; 7d)`,
      md`\`/heed daily on|off|status\` — your open items in a DM at the start of your working day`,
    ],
    '\n',
  ),
};

/**
 * The usage text, after `problem` when something was wrong, and the configured team names when the command
 * takes one. A problem quotes what the person typed, so it is outside text as a whole: escaped, in the blocks
 * and in the notification text alike.
 */
export function renderUsage(command: string, problem?: string, teams: readonly string[] = []): RenderedMessage {
  const usage = USAGE[command] ?? joinMd(Object.values(USAGE), '\n');
  const lead = problem ? md`${safe(problem, 300)}\n` : md``;
  const names = teams.slice(0, 30).map((name) => md`\`${safe(name, 40)}\``);
  const teamLine = names.length > 0 ? md`\nTeams: ${joinMd(names, ' · ')}` : md``;
  return message(md`${lead}Usage: ${usage}${teamLine}`, [section(md`${lead}*Usage*\n${usage}${teamLine}`)]);
}

/** A short answer in Heed's words; any outside text in it was escaped by whoever built it (see `md`). */
export function renderNotice(text: Mrkdwn): RenderedMessage {
  return message(text, [section(text)]);
}

export interface StatusView {
  lastSync?: { kind: string; status: string; startedAt: Date; finishedAt?: Date | undefined } | undefined;
  pendingWebhooks: number;
  outboxPending: number;
  teams: { team: string; open: number; atRisk: number; breached: number; feedback: number }[];
}

export function renderStatus(status: StatusView): RenderedMessage {
  const sync = status.lastSync;
  const at = sync ? (sync.finishedAt ?? sync.startedAt) : undefined;
  const syncLine = sync
    ? md`Last sync: *${safe(sync.kind, 40)}* ${safe(sync.status, 40)} ${slackDate(at!)}`
    : md`Last sync: _never_`;
  const syncText = sync
    ? md`Last sync: ${safe(sync.kind, 40)} ${safe(sync.status, 40)} ${safe(`${at!.toISOString().slice(0, 16).replace('T', ' ')} UTC`)}`
    : md`Last sync: never`;
  const lines = status.teams.map(
    (t) =>
      md`*${safe(t.team, 60)}* — ${t.open} open flags (${t.atRisk} at risk, ${t.breached} breached, ${t.feedback} feedback)`,
  );
  const blocks: Block[] = [
    header('Heed status'),
    section(
      md`${syncLine}\nPending webhooks: *${status.pendingWebhooks}* · Slack messages queued: *${status.outboxPending}*`,
    ),
    section(lines.length ? joinMd(lines, '\n') : md`No open flags. :sparkles:`),
  ];
  const open = status.teams.reduce((n, t) => n + t.open, 0);
  return message(md`Heed status — ${syncText}; ${status.pendingWebhooks} pending webhooks; ${open} open flags`, blocks);
}

/** Where a ticket stands in HubSpot, as Heed's copy has it. */
export type TicketState =
  | { kind: 'open' }
  | { kind: 'waiting'; since?: Date | undefined }
  | { kind: 'closed'; since?: Date | undefined }
  | { kind: 'deleted' };

export interface WhoisView {
  ticketId: string;
  subject: string;
  customer: string;
  hubspotUrl?: string | undefined;
  owner?: PersonRef | undefined;
  /** The team the engine last judged the ticket for, or the one the policy's assignment rule names. */
  team?: string | undefined;
  priority?: string | undefined;
  state: TicketState;
  workdayMinutes?: number | undefined;
  /** The customer's latest unanswered message, while a response clock runs. */
  customerSaid?: CustomerSaid | undefined;
  flags: {
    clock?: ClockName | undefined;
    kind: string;
    state: FlagState;
    dueAt?: Date | undefined;
    overdueBusinessMinutes: number;
    claimedBy?: string | undefined;
    snoozedUntil?: Date | undefined;
  }[];
}

function stateText(state: TicketState, dates: boolean): Mrkdwn {
  const when = (at: Date | undefined) =>
    at ? md` since ${dates ? slackDate(at) : safe(`${at.toISOString().slice(0, 10)}`)}` : md``;
  switch (state.kind) {
    case 'open':
      return md`open`;
    case 'waiting':
      return md`waiting on the customer${when(state.since)}`;
    case 'closed':
      return md`closed${when(state.since)}`;
    case 'deleted':
      return md`deleted in HubSpot`;
  }
}

export function renderWhois(w: WhoisView): RenderedMessage {
  const subject = w.subject || '(no subject)';
  const head = md`*${link(w.hubspotUrl, subject)}* (#${safe(w.ticketId, 20)}) — ${safe(w.customer || 'Unknown customer', 120)}`;
  const team = w.team ? safe(w.team, 60) : md`none`;
  const facts = md`Owner: ${personLabel(w.owner)} · Team: ${team} · Priority: ${safe(w.priority ?? 'none', 20)} · ${stateText(w.state, true)}`;
  const flags = w.flags.length
    ? joinMd(
        w.flags.map((f) => {
          const extra: Mrkdwn[] = [];
          if (f.state === 'breached' || f.state === 'overdue') {
            extra.push(overdueText(f.overdueBusinessMinutes, f.dueAt, w.workdayMinutes));
          } else if (f.dueAt) extra.push(md`due ${slackDate(f.dueAt)}`);
          if (f.claimedBy) extra.push(md`:eyes: ${mention(f.claimedBy)}`);
          if (f.snoozedUntil) extra.push(md`:zzz: until ${slackDate(f.snoozedUntil)}`);
          const what = f.kind === 'feedback' ? md`feedback` : safe(clockLabel(f.clock));
          return md`• ${what}: *${safe(f.state.replace('_', ' '), 20)}*${extra.length ? md` · ${joinMd(extra, ' · ')}` : md``}`;
        }),
        '\n',
      )
    : md`No open flags.`;
  const ownerText = safe(w.owner ? w.owner.name : 'unassigned', 60);
  const count = w.flags.length;
  return message(
    md`Ticket ${safe(w.ticketId, 20)} "${safe(subject, 150)}": owner ${ownerText}, team ${team}, ${stateText(w.state, false)}, ${count} open flag${count === 1 ? md`` : md`s`}`,
    [
      section(head),
      section(facts),
      ...(w.customerSaid ? [section(md`The customer is waiting on:\n${customerSaidLine(w.customerSaid, 300)}`)] : []),
      section(flags),
      context(md`From Heed's local copy of HubSpot`),
    ],
  );
}
