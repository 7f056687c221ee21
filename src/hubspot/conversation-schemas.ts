// Zod schemas of the conversations inbox payloads Heed reads (../shared/specs/hubspot/2026-09/conversations.json):
// threads and the entries of a thread. Like ./schemas.ts: only what Heed reads is required, objects stay open, and
// pages are checked envelope first, records one by one (a malformed message is skipped, not its thread's others).
import { z } from 'zod';
import { ZPaging } from './schemas.ts';

/** PublicThreadAssociations: the ticket a thread belongs to (asked for with association=TICKET). */
export const ZThreadAssociations = z.object({ associatedTicketId: z.string().optional() });

/** PublicThread. */
export const ZThread = z.object({
  id: z.string(),
  status: z.string(),
  spam: z.boolean(),
  archived: z.boolean(),
  associatedContactId: z.string(),
  inboxId: z.string(),
  createdAt: z.string(),
  originalChannelId: z.string(),
  closedAt: z.string().optional(),
  latestMessageTimestamp: z.string().optional(),
  threadAssociations: ZThreadAssociations.optional(),
});
export type TThread = z.infer<typeof ZThread>;

/** CollectionResponsePublicThreadForwardPaging, records unparsed. */
export const ZThreadsPage = z.object({ results: z.array(z.unknown()), paging: ZPaging.optional() });
export type TThreadsPage = z.infer<typeof ZThreadsPage>;

/** CollectionResponsePublicMessageForwardPaging, records unparsed (they are of several kinds). */
export const ZMessagesPage = z.object({ results: z.array(z.unknown()), paging: ZPaging.optional() });
export type TMessagesPage = z.infer<typeof ZMessagesPage>;

/** PublicSender: an actor id (A-…, V-…, B-…, L-…, I-…, S-…) when HubSpot knows one. */
export const ZSender = z.object({ actorId: z.string().optional(), name: z.string().optional() });

/** Any entry of a thread, read for its kind first (assignments and status changes are not kept). */
export const ZThreadEntry = z.object({ type: z.string(), id: z.string(), createdAt: z.string() });

/** PublicConversationsMessage: a message in or out. */
export const ZConversationMessage = z.object({
  type: z.literal('MESSAGE'),
  id: z.string(),
  conversationsThreadId: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  senders: z.array(ZSender),
  text: z.string(),
  direction: z.enum(['INCOMING', 'OUTGOING']),
  archived: z.boolean(),
  truncationStatus: z.string(),
});

/** PublicComment: an internal note, seen only by the team. */
export const ZComment = z.object({
  type: z.literal('COMMENT'),
  id: z.string(),
  conversationsThreadId: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  senders: z.array(ZSender),
  text: z.string(),
  archived: z.boolean(),
});

/** PublicWelcomeMessage: a chat's automatic greeting. */
export const ZWelcomeMessage = z.object({
  type: z.literal('WELCOME_MESSAGE'),
  id: z.string(),
  conversationsThreadId: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  senders: z.array(ZSender),
  text: z.string(),
  archived: z.boolean(),
});

export const ZKeptEntry = z.discriminatedUnion('type', [ZConversationMessage, ZComment, ZWelcomeMessage]);
export type TKeptEntry = z.infer<typeof ZKeptEntry>;
