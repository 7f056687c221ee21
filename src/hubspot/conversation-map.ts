// Conversation payloads (./conversation-schemas.ts) mapped to the rows Heed stores: a thread with the ticket it
// belongs to, and messages with their kind, direction, who wrote them (from HubSpot's actor id prefixes) and their
// text, capped.
import type { TMessageType, TSenderKind } from '../domain/conversation.ts';
import { type TKeptEntry, type TThread, ZKeptEntry, ZThread, ZThreadEntry } from './conversation-schemas.ts';

/** Characters of a message's text Heed keeps: enough to quote it and to tell a question from a thank-you. */
export const MESSAGE_TEXT_MAX = 2000;

export type ThreadRow = {
  id: string;
  /** Null: HubSpot associates the thread with no ticket (a chat that never became one). */
  ticketId: string | null;
  contactId: string | null;
  inboxId: string | null;
  channelId: string | null;
  status: string;
  spam: boolean;
  createdAt: number;
  closedAt: number | null;
  /** Null only for a thread with no message at all. */
  latestMessageAt: number | null;
};

export type MessageRow = {
  id: string;
  threadId: string;
  type: TMessageType;
  /** INCOMING or OUTGOING; '' for an internal comment. */
  direction: string;
  senderKind: TSenderKind;
  createdAt: number;
  text: string | null;
};

const time = (value: string | undefined): number | null => {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
};

export function threadRow(thread: TThread): ThreadRow {
  const created = time(thread.createdAt);
  if (created === null) throw new Error(`createdAt is not a date: ${JSON.stringify(thread.createdAt).slice(0, 40)}`);
  return {
    id: thread.id,
    ticketId: thread.threadAssociations?.associatedTicketId || null,
    contactId: thread.associatedContactId || null,
    inboxId: thread.inboxId || null,
    channelId: thread.originalChannelId || null,
    status: thread.status,
    spam: thread.spam,
    createdAt: created,
    closedAt: time(thread.closedAt),
    latestMessageAt: time(thread.latestMessageTimestamp),
  };
}

/**
 * Who wrote a message, by HubSpot's actor id prefix: A- a user (agent), V- a visitor or contact (the customer),
 * B- a bot, L- the AI customer agent, I- an integration, S- HubSpot itself, E- an email address (an older form).
 * Without an actor (HubSpot drops email-only senders), the direction tells: incoming mail is the customer's;
 * outgoing mail with no known sender is `unknown` (a person's own mail client, usually — see conversation.ts).
 */
export function senderKindOf(actorId: string | undefined, direction: string): TSenderKind {
  const prefix = actorId ? /^([A-Z])-/.exec(actorId)?.[1] : undefined;
  switch (prefix) {
    case 'A':
      return 'agent';
    case 'V':
      return 'customer';
    case 'B':
      return 'bot';
    case 'L':
      return 'ai';
    case 'I':
      return 'integration';
    case 'S':
      return 'system';
    default:
      return direction === 'INCOMING' ? 'customer' : 'unknown';
  }
}

/** Text cut to `max` characters, never inside a surrogate pair; empty text is null (an attachment alone). */
export function capText(text: string, max = MESSAGE_TEXT_MAX): string | null {
  if (text.length === 0) return null;
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return text.slice(0, end);
}

export type MappedEntries = {
  rows: MessageRow[];
  /** Entries of other kinds (assignments, status and inbox changes): part of a thread, not messages. */
  ignored: number;
  rejected: { id?: string | undefined; reason: string }[];
};

/** A page of thread entries mapped one by one: a malformed entry is reported and skipped. */
export function messageRows(raws: readonly unknown[]): MappedEntries {
  const out: MappedEntries = { rows: [], ignored: 0, rejected: [] };
  for (const raw of raws) {
    const head = ZThreadEntry.safeParse(raw);
    if (!head.success) {
      out.rejected.push({ id: (raw as { id?: string })?.id, reason: head.error.issues[0]?.message ?? 'invalid' });
      continue;
    }
    if (head.data.type !== 'MESSAGE' && head.data.type !== 'COMMENT' && head.data.type !== 'WELCOME_MESSAGE') {
      out.ignored++;
      continue;
    }
    const parsed = ZKeptEntry.safeParse(raw);
    const createdAt = time(head.data.createdAt);
    if (!parsed.success || createdAt === null) {
      out.rejected.push({
        id: head.data.id,
        reason: parsed.success
          ? 'createdAt is not a date'
          : `${parsed.error.issues[0]?.message} at ${parsed.error.issues[0]?.path.join('.')}`,
      });
      continue;
    }
    out.rows.push(messageRow(parsed.data, createdAt));
  }
  return out;
}

function messageRow(entry: TKeptEntry, createdAt: number): MessageRow {
  const actor = entry.senders[0]?.actorId ?? entry.createdBy;
  const direction = entry.type === 'MESSAGE' ? entry.direction : entry.type === 'WELCOME_MESSAGE' ? 'OUTGOING' : '';
  return {
    id: entry.id,
    threadId: entry.conversationsThreadId,
    type: entry.type,
    direction,
    senderKind: senderKindOf(actor || undefined, direction),
    createdAt,
    text: capText(entry.text),
  };
}

/** Threads of a page mapped one by one. */
export function threadRows(raws: readonly unknown[]): {
  rows: ThreadRow[];
  rejected: { id?: string | undefined; reason: string }[];
} {
  const rows: ThreadRow[] = [];
  const rejected: { id?: string | undefined; reason: string }[] = [];
  for (const raw of raws) {
    const parsed = ZThread.safeParse(raw);
    if (!parsed.success) {
      rejected.push({ id: (raw as { id?: string })?.id, reason: parsed.error.issues[0]?.message ?? 'invalid' });
      continue;
    }
    try {
      rows.push(threadRow(parsed.data));
    } catch (error) {
      rejected.push({ id: parsed.data.id, reason: (error as Error).message });
    }
  }
  return { rows, rejected };
}
