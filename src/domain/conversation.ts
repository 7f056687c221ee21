// A ticket's conversation as the response clocks read it: which messages are the customer asking, which are a
// reply that counts, and which are neither (internal notes, welcome messages, automated answers not configured to
// count). Pure: no I/O, no clock.
import type { CourtesyClassifier } from './substantive.ts';

/** HubSpot's message types Heed keeps (assignments and status changes are not messages to anyone). */
export type TMessageType = 'MESSAGE' | 'COMMENT' | 'WELCOME_MESSAGE';

/**
 * Who wrote a message, from HubSpot's actor ids: a person on the team (A-…), the customer (V-…, or whoever sent an
 * incoming email), a chatflow bot (B-…), HubSpot's AI customer agent (L-…), another app (I-…), HubSpot itself
 * (S-…). `unknown`: no actor HubSpot could name — an outgoing email sent from a person's own mail client to a
 * connected inbox, typically.
 */
export type TSenderKind = 'customer' | 'agent' | 'bot' | 'ai' | 'integration' | 'system' | 'unknown';

export const SENDER_KINDS: readonly TSenderKind[] = [
  'customer',
  'agent',
  'bot',
  'ai',
  'integration',
  'system',
  'unknown',
];

/** Which automated answers count as a response (a person's always does). */
export interface TAutomatedReplies {
  /** HubSpot's AI customer agent. */
  readonly aiAgent: boolean;
  /** Chatflow bots, and other apps (integrations) sending on the inbox's behalf. */
  readonly bots: boolean;
}

export const NO_AUTOMATED_REPLIES: TAutomatedReplies = Object.freeze({ aiAgent: false, bots: false });

/** A message as the clocks need it. `type` and `senderKind` are absent on messages from before threads were synced. */
export interface TConversationMessage {
  readonly type?: TMessageType | undefined;
  /** INCOMING (from the customer) or OUTGOING; compared case-insensitively. Comments have none (''). */
  readonly direction: string;
  readonly senderKind?: TSenderKind | undefined;
  readonly createdAt: Date;
  readonly text: string | null;
}

const isMessage = (m: Pick<TConversationMessage, 'type'>) => m.type === undefined || m.type === 'MESSAGE';

/** The customer writing to the team: a message (not a note, not a welcome message) coming in. */
export function isCustomerMessage(m: Pick<TConversationMessage, 'type' | 'direction'>): boolean {
  return isMessage(m) && m.direction.toUpperCase().startsWith('IN');
}

/**
 * A reply that answers the customer: an outgoing message (internal comments and welcome messages never are) by a
 * person, or by the AI agent or a bot when `automated` says they count. HubSpot itself (system messages such as
 * auto-acknowledgements) never answers anyone.
 */
export function countsAsReply(
  m: Pick<TConversationMessage, 'type' | 'direction' | 'senderKind'>,
  automated: TAutomatedReplies,
): boolean {
  if (!isMessage(m) || !m.direction.toUpperCase().startsWith('OUT')) return false;
  switch (m.senderKind) {
    case undefined:
    case 'agent':
    case 'unknown':
      return true;
    case 'ai':
      return automated.aiAgent;
    case 'bot':
    case 'integration':
      return automated.bots;
    case 'customer':
    case 'system':
      return false;
  }
}

/** What the customer last asked that nobody has answered yet, and when. */
export interface TCustomerQuote {
  readonly text: string;
  readonly at: Date;
}

/**
 * The latest substantive customer message after the last counted reply (courtesy-only messages skipped: the
 * question before a "thanks in advance!" is what the customer waits on). Undefined when everything was
 * answered, or the text is unknown.
 */
export function latestUnanswered(
  messages: readonly TConversationMessage[],
  automated: TAutomatedReplies,
  courtesy: CourtesyClassifier,
  now: Date,
): TCustomerQuote | undefined {
  let lastReply = Number.NEGATIVE_INFINITY;
  for (const m of messages) {
    const t = m.createdAt.getTime();
    if (t <= now.getTime() && t > lastReply && countsAsReply(m, automated)) lastReply = t;
  }
  let best: TConversationMessage | undefined;
  for (const m of messages) {
    const t = m.createdAt.getTime();
    if (t <= lastReply || t > now.getTime() || !isCustomerMessage(m) || m.text === null) continue;
    if (courtesy.isCourtesy(m.text)) continue;
    if (!best || t >= best.createdAt.getTime()) best = m;
  }
  return best ? { text: best.text!, at: best.createdAt } : undefined;
}
