// The simulator's conversations inbox: threads (email and chat, one per ticket of those channels, plus chats that
// never became a ticket) and their messages — the customer's, the team's, internal comments, welcome messages, the
// AI agent's, bots', HubSpot's own, and the assignment entries a thread also lists. Kept in typed arrays (a
// 100,000-ticket portal holds ~400,000 entries) with one linked list per thread, oldest first.

const NONE = -1;

/** What wrote an entry, and what kind of entry it is. */
export type SimMessageKind =
  | 'customer'
  | 'agent'
  | 'comment'
  | 'welcome'
  | 'bot'
  | 'ai'
  | 'system'
  | 'assignment'
  | 'status';
const KINDS: readonly SimMessageKind[] = [
  'customer',
  'agent',
  'comment',
  'welcome',
  'bot',
  'ai',
  'system',
  'assignment',
  'status',
];

/** Thread ids are numbers at HubSpot (int64 in the path); these sit well away from ticket and contact ids. */
export const THREAD_ID_BASE = 8_100_000_000;

export const CUSTOMER_TEXTS = [
  'Hi, our export fails with an error since this morning. Can you help?',
  'The dashboard does not load for anyone on our team.',
  'We were charged twice this month, please refund one of the payments.',
  'How do I invite a colleague to our workspace?',
  'I tried that but it still fails with the same error.',
  'Any update on this? We are still blocked.',
  'Here is the screenshot you asked for — the error appears right after login.',
  'It worked for a day, but the problem is back.',
];
export const AGENT_TEXTS = [
  'Thanks for reaching out! Could you send us a screenshot of the error?',
  'We found the cause and deployed a fix. Could you try again?',
  'I have passed this to our engineers and will update you today.',
  'You can invite colleagues under Settings → Users. Let me know if that works.',
];
const COMMENT_TEXT = 'Internal: looks like the known export bug, linked to ENG-1234.';
const WELCOME_TEXT = 'Hi there! How can we help you today?';

export type SimThreadEntry = {
  index: number;
  kind: SimMessageKind;
  at: number;
  text: string;
};

export class SimConversations {
  // Entries: one slot each, linked per thread.
  private entryThread = new Int32Array(1024);
  private entryAt = new Float64Array(1024);
  private entryKind = new Uint8Array(1024);
  private entryText = new Int32Array(1024);
  private entryNext = new Int32Array(1024);
  entryCount = 0;
  // Threads.
  private threadTicketOf = new Int32Array(256);
  private threadFirst = new Int32Array(256);
  private threadLast = new Int32Array(256);
  private threadCreated = new Float64Array(256);
  private threadSpam = new Uint8Array(256);
  private threadChat = new Uint8Array(256);
  threadCount = 0;
  /** Ticket index → thread index (NONE without one). */
  private ticketThread = new Int32Array(256).fill(NONE);
  private readonly texts: string[] = [...CUSTOMER_TEXTS, ...AGENT_TEXTS, COMMENT_TEXT, WELCOME_TEXT];
  /** Bumped on every change, so a cached listing order knows when to rebuild. */
  version = 0;

  // ---------------------------------------------------------------- threads

  /** Opens a thread for a ticket (or none: a chat that never became a ticket); returns its index. */
  openThread(ticket: number, created: number, chat: boolean): number {
    if (this.threadCount === this.threadTicketOf.length) this.growThreads();
    const k = this.threadCount++;
    this.threadTicketOf[k] = ticket;
    this.threadFirst[k] = NONE;
    this.threadLast[k] = NONE;
    this.threadCreated[k] = created;
    this.threadChat[k] = chat ? 1 : 0;
    if (ticket !== NONE) {
      while (ticket >= this.ticketThread.length) this.ticketThread = grow(this.ticketThread, NONE);
      this.ticketThread[ticket] = k;
    }
    this.version++;
    return k;
  }

  threadOfTicket(ticket: number): number | undefined {
    const k = ticket < this.ticketThread.length ? this.ticketThread[ticket]! : NONE;
    return k === NONE ? undefined : k;
  }

  threadId(k: number): string {
    return String(THREAD_ID_BASE + k);
  }

  threadIndex(id: string): number | undefined {
    if (!/^\d+$/.test(id)) return undefined;
    const k = Number(id) - THREAD_ID_BASE;
    return k >= 0 && k < this.threadCount ? k : undefined;
  }

  ticketOf(k: number): number | undefined {
    const i = this.threadTicketOf[k]!;
    return i === NONE ? undefined : i;
  }

  createdAt(k: number): number {
    return this.threadCreated[k]!;
  }

  isChat(k: number): boolean {
    return this.threadChat[k] === 1;
  }

  isSpam(k: number): boolean {
    return this.threadSpam[k] === 1;
  }

  markSpam(k: number): void {
    this.threadSpam[k] = 1;
    this.version++;
  }

  /** Starts a ticket's thread over (a ticket the tests re-create with a new history). */
  clearThread(k: number): void {
    this.threadFirst[k] = NONE;
    this.threadLast[k] = NONE;
    this.version++;
  }

  // ---------------------------------------------------------------- entries

  /** Adds an entry to a thread, in time order; `text` undefined picks the kind's usual text. */
  add(k: number, kind: SimMessageKind, at: number, text?: string | number): number {
    if (this.entryCount === this.entryAt.length) this.growEntries();
    const e = this.entryCount++;
    this.entryThread[e] = k;
    this.entryAt[e] = Math.round(at);
    this.entryKind[e] = KINDS.indexOf(kind);
    this.entryText[e] =
      typeof text === 'number'
        ? text
        : text !== undefined
          ? this.texts.push(text) - 1
          : kind === 'comment'
            ? this.texts.indexOf(COMMENT_TEXT)
            : kind === 'welcome'
              ? this.texts.indexOf(WELCOME_TEXT)
              : NONE;
    this.entryNext[e] = NONE;
    // Usually the newest: append. Otherwise walk to its place.
    const last = this.threadLast[k]!;
    if (last === NONE) {
      this.threadFirst[k] = e;
      this.threadLast[k] = e;
    } else if (this.entryAt[last]! <= this.entryAt[e]!) {
      this.entryNext[last] = e;
      this.threadLast[k] = e;
    } else {
      let previous = NONE;
      let cursor = this.threadFirst[k]!;
      while (cursor !== NONE && this.entryAt[cursor]! <= this.entryAt[e]!) {
        previous = cursor;
        cursor = this.entryNext[cursor]!;
      }
      this.entryNext[e] = cursor;
      if (previous === NONE) this.threadFirst[k] = e;
      else this.entryNext[previous] = e;
    }
    this.version++;
    return e;
  }

  /** A thread's entries, oldest first. */
  entries(k: number): SimThreadEntry[] {
    const out: SimThreadEntry[] = [];
    for (let e = this.threadFirst[k]!; e !== NONE; e = this.entryNext[e]!) {
      const kind = KINDS[this.entryKind[e]!]!;
      const textIndex = this.entryText[e]!;
      out.push({ index: e, kind, at: this.entryAt[e]!, text: textIndex === NONE ? '' : this.texts[textIndex]! });
    }
    return out;
  }

  /** The time of a thread's newest entry, and of its newest incoming and outgoing message (NaN when none). */
  latest(k: number): { any: number; received: number; sent: number } {
    let any = Number.NaN;
    let received = Number.NaN;
    let sent = Number.NaN;
    for (let e = this.threadFirst[k]!; e !== NONE; e = this.entryNext[e]!) {
      const kind = KINDS[this.entryKind[e]!]!;
      const at = this.entryAt[e]!;
      any = at;
      if (kind === 'customer') received = at;
      else if (kind === 'agent' || kind === 'bot' || kind === 'ai' || kind === 'system') sent = at;
    }
    return { any, received, sent };
  }

  /** The newest entry's time alone (listing sorts by it). */
  latestAt(k: number): number {
    const last = this.threadLast[k]!;
    return last === NONE ? Number.NaN : this.entryAt[last]!;
  }

  /** An entry's id, as HubSpot's look: 32 hex digits. */
  entryId(e: number): string {
    return (0x5eed0000 + e).toString(16).padStart(32, '0');
  }

  private growEntries(): void {
    this.entryThread = grow(this.entryThread, 0);
    this.entryAt = grow(this.entryAt, 0);
    this.entryKind = grow(this.entryKind, 0);
    this.entryText = grow(this.entryText, 0);
    this.entryNext = grow(this.entryNext, NONE);
  }

  private growThreads(): void {
    this.threadTicketOf = grow(this.threadTicketOf, NONE);
    this.threadFirst = grow(this.threadFirst, NONE);
    this.threadLast = grow(this.threadLast, NONE);
    this.threadCreated = grow(this.threadCreated, 0);
    this.threadSpam = grow(this.threadSpam, 0);
    this.threadChat = grow(this.threadChat, 0);
  }
}

function grow<A extends Int32Array | Float64Array | Uint8Array>(array: A, fill: number): A {
  const next = new (array.constructor as new (n: number) => A)(array.length * 2);
  next.set(array);
  next.fill(fill, array.length);
  return next;
}
