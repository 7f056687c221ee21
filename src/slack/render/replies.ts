// Pure rendering of command replies that are not lists: usage, status, whois, confirmations.

import { formatBusinessMinutes } from '../../domain/duration.ts';
import type { ClockName, FlagState } from '../../domain/flag.ts';
import { type Block, context, fallback, plain, type RenderedMessage, section } from './blocks.ts';
import { link, safe, slackDate } from './mrkdwn.ts';
import { clockLabel, type PersonRef, personLabel } from './nudge.ts';

export const USAGE: Record<string, string> = {
  '/unanswered':
    "`/unanswered` — your tickets waiting for a reply (or your team's, in its channel)\n`/unanswered me` · `/unanswered @someone` · `/unanswered <team>` · `/unanswered all`",
  '/slow': "`/slow` — at-risk and breached tickets by clock, all teams (or this channel's team)\n`/slow <team>`",
  '/digest':
    "`/digest [team]` — preview today's digest\n`/digest [team] post` — post it to the team's channel (once posted: update it with the numbers of now)",
  '/heed': [
    '`/heed help` — this text',
    '`/heed status` — last sync, pending webhooks, open flags per team',
    '`/heed snooze <ticket> <duration>` — e.g. `/heed snooze 1234 2h` (up to 7d)',
    '`/heed mute <duration>` — no DMs from Heed for a while, e.g. `/heed mute 3h`',
    '`/heed unmute`',
    '`/heed whois <ticket>` — owner, team and open flags of a ticket',
  ].join('\n'),
};

export function renderUsage(command: string, problem?: string): RenderedMessage {
  const usage = USAGE[command] ?? Object.values(USAGE).join('\n');
  const lead = problem ? `${safe(problem, 300)}\n` : '';
  return {
    text: fallback(`${problem ? `${problem} ` : ''}Usage: ${usage.replace(/`/g, '')}`),
    blocks: [section(`${lead}*Usage*\n${usage}`)],
  };
}

export function renderNotice(text: string): RenderedMessage {
  return { text: fallback(text), blocks: [section(text)] };
}

export interface StatusView {
  lastSync?: { kind: string; status: string; startedAt: Date; finishedAt?: Date | undefined } | undefined;
  pendingWebhooks: number;
  outboxPending: number;
  teams: { team: string; open: number; atRisk: number; breached: number; feedback: number }[];
}

export function renderStatus(status: StatusView): RenderedMessage {
  const sync = status.lastSync
    ? `Last sync: *${safe(status.lastSync.kind, 40)}* ${safe(status.lastSync.status, 40)} ${slackDate(status.lastSync.finishedAt ?? status.lastSync.startedAt)}`
    : 'Last sync: _never_';
  const blocks: Block[] = [
    { type: 'header', text: plain('Heed status') },
    section(
      `${sync}\nPending webhooks: *${status.pendingWebhooks}* · Slack messages queued: *${status.outboxPending}*`,
    ),
  ];
  const lines = status.teams.map(
    (t) =>
      `*${safe(t.team, 60)}* — ${t.open} open flags (${t.atRisk} at risk, ${t.breached} breached, ${t.feedback} feedback)`,
  );
  blocks.push(section(lines.length ? lines.join('\n').slice(0, 2900) : 'No open flags. :sparkles:'));
  const text = `Heed status — ${sync.replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1').replace(/\*/g, '')}; ${status.pendingWebhooks} pending webhooks; ${status.teams.reduce((n, t) => n + t.open, 0)} open flags`;
  return { text: fallback(text), blocks };
}

export interface WhoisView {
  ticketId: string;
  subject: string;
  customer: string;
  hubspotUrl?: string | undefined;
  owner?: PersonRef | undefined;
  team?: string | undefined;
  priority?: string | undefined;
  closed: boolean;
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

export function renderWhois(w: WhoisView): RenderedMessage {
  const head = `*${link(w.hubspotUrl, w.subject || '(no subject)')}* (#${safe(w.ticketId, 20)}) — ${safe(w.customer || 'Unknown customer', 120)}`;
  const facts = `Owner: ${personLabel(w.owner)} · Team: ${safe(w.team ?? 'none', 60)} · Priority: ${safe(w.priority ?? 'none', 20)} · ${w.closed ? 'closed' : 'open'}`;
  const flags = w.flags.length
    ? w.flags
        .map((f) => {
          const extra = [
            f.state === 'breached' || f.state === 'overdue'
              ? `overdue ${formatBusinessMinutes(f.overdueBusinessMinutes)}`
              : f.dueAt
                ? `due ${slackDate(f.dueAt)}`
                : '',
            f.claimedBy ? `:eyes: <@${f.claimedBy}>` : '',
            f.snoozedUntil ? `:zzz: until ${slackDate(f.snoozedUntil)}` : '',
          ].filter(Boolean);
          return `• ${f.kind === 'feedback' ? 'feedback' : clockLabel(f.clock)}: *${f.state.replace('_', ' ')}*${extra.length ? ` · ${extra.join(' · ')}` : ''}`;
        })
        .join('\n')
    : 'No open flags.';
  const ownerText = w.owner ? w.owner.name : 'unassigned';
  return {
    text: fallback(
      `Ticket ${w.ticketId} "${w.subject}": owner ${ownerText}, team ${w.team ?? 'none'}, ${w.flags.length} open flag(s)`,
    ),
    blocks: [
      section(head),
      section(facts),
      section(flags.slice(0, 2900)),
      context("From Heed's local copy of HubSpot"),
    ],
  };
}
