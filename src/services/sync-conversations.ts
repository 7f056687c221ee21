// The conversation sync: threads associated with tickets, and their messages, copied incrementally.
//
// HubSpot lists threads by their newest message (sort=latestMessageTimestamp with latestMessageTimestampAfter), so
// the cursor is a time: every pass lists the threads with a message since it, oldest first, and reads the new
// messages of each, newest first, down to the newest one already stored (one call for most threads). A listing
// restarts from the last thread's time after each page instead of following HubSpot's paging token: a thread that
// gets a message while the listing pages moves to its end, and the threads behind it would shift onto pages
// already read. A thread listed twice costs nothing more: one whose newest message Heed already has is skipped
// without a call.
//
// What is read: threads of open tickets (or of tickets Heed does not have yet, new ones) get their messages; a
// closed or deleted ticket's thread is recorded without them — its clocks are over, and its messages are read if
// it opens again (a new message lists the thread again). Spam threads are dropped, with whatever Heed held of
// them; threads of no ticket are not kept.
//
// Each thread is written with its messages and the cursor in one transaction, so a pass killed at any moment
// resumes where it stopped, losing and duplicating nothing. A pass makes at most `callsPerPass` calls (within the
// rate limiter, like every call): a first backfill of a busy inbox spreads over a few passes instead of holding
// back the ticket sync.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { ConversationRepo, StoredThread } from '../db/conversation-repo.ts';
import type { SyncCursorRepo } from '../db/sync-cursor-repo.ts';
import { type HubspotApi, HubspotError } from '../hubspot/client.ts';
import { type MessageRow, messageRows, type ThreadRow, threadRows } from '../hubspot/conversation-map.ts';
import { listThreadMessagesPage, listThreadsPage } from '../hubspot/conversations.ts';

export const CONVERSATIONS_CURSOR = 'conversations';
const DAY = 86_400_000;

export type ConversationSyncOptions = {
  /** The first pass reads threads with a message in this many days before it. */
  lookbackDays: number;
  /** Calls one pass may make (listing pages and message pages); the next pass goes on from there. */
  callsPerPass: number;
  /** Threads per listing page (HubSpot's page size). */
  threadsPageSize: number;
  /** Messages per page, newest first. */
  messagesPageSize: number;
  /** A thread longer than this many message pages is left on its ticket's properties (its history is not read). */
  maxMessagePages: number;
  /**
   * The cursor stays this far behind the present: a message HubSpot records a moment late (its listing lags, like
   * search) is still listed next time. Threads listed twice are skipped without a call.
   */
  lagMs: number;
};

export const DEFAULT_CONVERSATION_OPTIONS: ConversationSyncOptions = {
  lookbackDays: 30,
  callsPerPass: 1000,
  threadsPageSize: 100,
  messagesPageSize: 100,
  maxMessagePages: 10,
  lagMs: 60_000,
};

export type ConversationSyncResult = {
  /** Threads listed (each listing of a thread counts). */
  listed: number;
  /** Threads whose new messages were read and stored. */
  read: number;
  /** Messages stored (new or updated). */
  messages: number;
  /** Threads recorded without their messages (closed or deleted tickets). */
  deferred: number;
  /** Threads left alone: no ticket, spam, nothing new. */
  skipped: number;
  rejected: number;
  calls: number;
  /** False when the pass stopped at its call budget (the next pass goes on). */
  caughtUp: boolean;
};

export type ConversationSyncDeps = {
  api: HubspotApi;
  conversations: ConversationRepo;
  cursors: Pick<SyncCursorRepo, 'get' | 'set'>;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  onProgress?: ((event: { stream: string; done: number; total?: number | undefined }) => void) | undefined;
  /** Gives the event loop a turn between threads (Slack's requests are answered while a backfill runs). */
  breathe?: (() => Promise<void>) | undefined;
};

type Cursor = { since: number; after?: string | undefined };

function parseCursor(value: string | undefined): Cursor | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Cursor;
    if (typeof parsed.since === 'number' && Number.isFinite(parsed.since)) return parsed;
  } catch {
    // An unreadable cursor starts over from the look-back: threads already stored are skipped cheaply.
  }
  return undefined;
}

class Budget {
  used = 0;
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  get left(): number {
    return this.limit - this.used;
  }
}

/** One conversation pass. Throws what HubSpot throws (403 without conversations.read: the caller decides). */
export async function syncConversations(
  deps: ConversationSyncDeps,
  options: Partial<ConversationSyncOptions> & { full?: boolean } = {},
): Promise<ConversationSyncResult> {
  const settings = { ...DEFAULT_CONVERSATION_OPTIONS, ...options };
  const { api, conversations, cursors, clock, logger } = deps;
  const now = clock.now().getTime();
  const lookback = now - settings.lookbackDays * DAY;
  let cursor = (options.full ? undefined : parseCursor(await cursors.get(CONVERSATIONS_CURSOR))) ?? { since: lookback };
  const budget = new Budget(settings.callsPerPass);
  const result: ConversationSyncResult = {
    listed: 0,
    read: 0,
    messages: 0,
    deferred: 0,
    skipped: 0,
    rejected: 0,
    calls: 0,
    caughtUp: true,
  };
  const write = (next: Cursor) => ({ name: CONVERSATIONS_CURSOR, value: JSON.stringify(next) });

  for (;;) {
    // A listing page plus, usually, one message page: stop while there is room for both.
    if (budget.left < 2) {
      result.caughtUp = false;
      break;
    }
    budget.used++;
    const page = await listThreadsPage(api, {
      since: cursor.since,
      after: cursor.after,
      limit: settings.threadsPageSize,
    });
    const parsed = threadRows(page.results);
    for (const r of parsed.rejected) {
      logger.warn({ threadId: r.id, reason: r.reason }, 'Skipped a malformed HubSpot conversation thread');
    }
    result.rejected += parsed.rejected.length;
    result.listed += parsed.rows.length;
    const threads = parsed.rows.filter((t) => t.latestMessageAt !== null);
    const stored = await conversations.threads(threads.map((t) => t.id));
    const open = await conversations.ticketsOpen(threads.flatMap((t) => (t.ticketId ? [t.ticketId] : [])));
    // Threads come oldest first: after each, the cursor can move up to just before its time (threads sharing that
    // time are listed again, and skipped).
    let stoppedEarly = false;
    let progress = cursor.since;
    for (const thread of threads) {
      if (budget.left < 1) {
        stoppedEarly = true;
        break;
      }
      const mark = Math.min(thread.latestMessageAt! - 1, now - settings.lagMs);
      const next: Cursor = { since: Math.max(cursor.since, mark) };
      const done = await syncThread(deps, thread, stored.get(thread.id), open, budget, settings, result, write(next));
      if (!done) {
        stoppedEarly = true;
        break;
      }
      progress = Math.max(progress, mark);
      deps.onProgress?.({ stream: 'conversations', done: result.read });
      await deps.breathe?.();
    }
    const nextToken = page.paging?.next?.after;
    if (stoppedEarly) {
      result.caughtUp = false;
      if (progress > cursor.since) await cursors.set(write({ since: progress }), clock.now().getTime());
      break;
    }
    if (!nextToken) {
      // Listed to the end. (An empty listing leaves the cursor where it was.)
      if (progress > cursor.since || cursor.after) {
        await cursors.set(write({ since: progress }), clock.now().getTime());
      }
      break;
    }
    // More to list: from the last thread's time, or — when a whole page shared one instant — by HubSpot's token.
    cursor = progress > cursor.since ? { since: progress } : { since: cursor.since, after: nextToken };
    await cursors.set(write(cursor), clock.now().getTime());
  }
  result.calls = budget.used;
  return result;
}

async function syncThread(
  deps: ConversationSyncDeps,
  thread: ThreadRow,
  stored: StoredThread | undefined,
  open: ReadonlyMap<string, boolean>,
  budget: Budget,
  settings: ConversationSyncOptions,
  result: ConversationSyncResult,
  cursor: { name: string; value: string },
): Promise<boolean> {
  const { conversations, clock, logger } = deps;
  const now = () => clock.now().getTime();
  if (!thread.ticketId) {
    // A chat that never became a ticket: nothing Heed watches.
    result.skipped++;
    return true;
  }
  if (thread.spam) {
    if (stored) await conversations.deleteThread(thread.id, stored.ticketId, now(), cursor);
    result.skipped++;
    return true;
  }
  const row = { ...thread, ticketId: thread.ticketId };
  const moved = stored !== undefined && stored.ticketId !== thread.ticketId;
  const ticketOpen = open.get(thread.ticketId) ?? true;
  if (!ticketOpen) {
    // A closed (or deleted) ticket's clocks are over: record the thread, read its messages if it opens again.
    if (stored && stored.latestMessageAt === thread.latestMessageAt && !moved) {
      result.skipped++;
      return true;
    }
    await conversations.writeThread(
      {
        thread: row,
        messages: [],
        messagesSyncedTo: stored?.messagesSyncedTo ?? null,
        previousTicketId: stored?.ticketId,
      },
      now(),
      cursor,
    );
    result.deferred++;
    return true;
  }
  const watermark = stored?.messagesSyncedTo ?? null;
  if (watermark !== null && stored!.latestMessageAt !== null && stored!.latestMessageAt >= thread.latestMessageAt!) {
    if (moved) {
      await conversations.writeThread(
        { thread: row, messages: [], messagesSyncedTo: watermark, previousTicketId: stored!.ticketId },
        now(),
        cursor,
      );
    }
    result.skipped++;
    return true;
  }
  // New messages, newest first, down to the newest one stored (re-read: messages are upserted by id).
  const messages: MessageRow[] = [];
  let after: string | undefined;
  let complete = false;
  for (let pages = 0; pages < settings.maxMessagePages; pages++) {
    // Out of calls half way through a thread: leave it whole to the next pass.
    if (budget.left < 1) return false;
    budget.used++;
    let page: Awaited<ReturnType<typeof listThreadMessagesPage>>;
    try {
      page = await listThreadMessagesPage(deps.api, thread.id, { after, limit: settings.messagesPageSize });
    } catch (error) {
      if (error instanceof HubspotError && error.code === 'HUBSPOT_NOT_FOUND') {
        // Deleted since it was listed: there is nothing to read.
        result.skipped++;
        return true;
      }
      throw error;
    }
    const mapped = messageRows(page.results);
    for (const r of mapped.rejected) {
      logger.warn({ threadId: thread.id, messageId: r.id, reason: r.reason }, 'Skipped a malformed HubSpot message');
    }
    result.rejected += mapped.rejected.length;
    let reachedStored = false;
    for (const m of mapped.rows) {
      if (watermark !== null && m.createdAt < watermark) {
        reachedStored = true;
        break;
      }
      messages.push(m);
    }
    after = page.paging?.next?.after;
    if (reachedStored || !after) {
      complete = true;
      break;
    }
  }
  if (!complete) {
    // Longer than Heed reads: keep what was read, but leave the ticket on its properties (the first reply is
    // somewhere in the part not read).
    logger.info(
      { threadId: thread.id, ticketId: thread.ticketId, messages: messages.length },
      'A conversation was not read to its start; its ticket’s clocks keep to the ticket properties',
    );
  }
  // Read to the end: the newest message is the mark next time (a thread of nothing but assignments, its start).
  const newest = messages.reduce((max, m) => Math.max(max, m.createdAt), watermark ?? thread.createdAt);
  await conversations.writeThread(
    {
      thread: row,
      messages,
      messagesSyncedTo: complete ? newest : watermark,
      previousTicketId: stored?.ticketId,
    },
    now(),
    cursor,
  );
  result.read++;
  result.messages += messages.length;
  return true;
}
