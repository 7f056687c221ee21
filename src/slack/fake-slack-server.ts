// A recording stand-in for Slack's Web API on 127.0.0.1, for tests, the bench and the offline demo
// (which shows what each channel "would receive"). It keeps channels, members and messages like Slack
// does (ts, threads, metadata, chat.update in place) and can be told to fail: 429 with Retry-After, 5xx,
// or any platform error, once (failNext) or for a while (failWhile, revokeToken), and to answer slowly
// (answerDelayMs), so the outbox's retry, pause and pacing paths run against real HTTP.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> } | undefined;
  thread_ts?: string | undefined;
  /** Clock time at which Slack accepted the post. */
  postedAt: number;
  updates: number;
}

export interface FakeChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  isMember: boolean;
  messages: FakeMessage[];
}

export type FakeFault =
  | { status: 429; retryAfter: number }
  | { status: 500 | 502 | 503 | 504 }
  | { error: string }
  /**
   * The answer is lost: the call takes effect (`afterEffect`, e.g. the message is posted) or not, then the
   * connection is reset or answered with `status` — the caller cannot tell whether it worked.
   */
  | { lost: 'reset' | 500 | 504; afterEffect: boolean };

export interface FakeCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** The bearer token the call carried (tells apart processes given different tokens). */
  token?: string | undefined;
}

export interface FakeSlackOptions {
  /** Clock for message timestamps and the pace check (defaults to Date.now). */
  now?: () => number;
  /** Answer 429 when a channel gets a second post within 1 s (as Slack may). */
  enforcePostRate?: boolean;
  botUserId?: string;
  /**
   * Holds every Web API answer this long after the call took effect (the fault suite kills `heed nudge` while
   * answers are on their way: posted in Slack, not yet recorded by Heed); a function picks it per call (Slack
   * answering in 0.4–1 s).
   */
  answerDelayMs?: number | ((method: string, args: Record<string, unknown>) => number);
  /**
   * Holds every call this long before it takes effect (Slack busy before it posts): with answerDelayMs, a slow
   * call whose post lands late in the call, which is what a pacing lease has to cover.
   */
  processingDelayMs?: number | ((method: string, args: Record<string, unknown>) => number);
  /**
   * How a held answer waits (default: real time). Tests on a manual clock pass the clock's sleep, so a slow
   * answer moves the clock the outbox and the pace check read.
   */
  wait?: (ms: number) => Promise<void>;
}

/** Which calls a standing fault applies to: a method ('*' or omitted: every method) and/or a channel. */
export interface FakeFaultMatch {
  method?: string | string[];
  channel?: string;
}

function parseForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    // web-api sends objects and arrays as JSON strings inside the form.
    if (/^[[{]/.test(value)) {
      try {
        out[key] = JSON.parse(value);
        continue;
      } catch {
        // keep the raw string
      }
    }
    out[key] = value;
  }
  return out;
}

export class FakeSlackServer {
  readonly channels = new Map<string, FakeChannel>();
  readonly users = new Map<string, string>();
  /** User id → IANA zone users.info reports as `tz` (the morning list reads it). */
  readonly userTimeZones = new Map<string, string>();
  /** User group id → member user ids (usergroups.users.list). */
  readonly userGroups = new Map<string, string[]>();
  /** User id → profile status as users.info shows it (status_expiration: unix seconds, 0 = none). */
  readonly statuses = new Map<string, { status_text: string; status_emoji: string; status_expiration: number }>();
  readonly calls: FakeCall[] = [];
  readonly responses: { path: string; body: Record<string, unknown> }[] = [];
  readonly homeViews = new Map<string, unknown>();
  readonly ephemeral: { channel: string; user: string; text: string; blocks: unknown[] }[] = [];
  readonly #faults = new Map<string, FakeFault[]>();
  readonly #now: () => number;
  readonly #enforce: boolean;
  readonly #botUserId: string;
  readonly #answerDelay: (method: string, args: Record<string, unknown>) => number;
  readonly #processingDelay: (method: string, args: Record<string, unknown>) => number;
  readonly #wait: (ms: number) => Promise<void>;
  readonly #standing = new Set<{ match: FakeFaultMatch; fault: FakeFault }>();
  #revoked: (() => void) | undefined;
  #server: Server | undefined;
  #lastTs = 0;
  #url = '';

  constructor(options: FakeSlackOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#enforce = options.enforcePostRate ?? false;
    this.#botUserId = options.botUserId ?? 'UHEEDBOT';
    const delay = options.answerDelayMs ?? 0;
    this.#answerDelay = typeof delay === 'function' ? delay : () => delay;
    const processing = options.processingDelayMs ?? 0;
    this.#processingDelay = typeof processing === 'function' ? processing : () => processing;
    this.#wait = options.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Base URL; the Web API lives under `${url}/api/`, response_urls under `${url}/response/…`. */
  get url(): string {
    return this.#url;
  }

  get apiUrl(): string {
    return `${this.#url}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.#url}/response/${id}`;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addChannel(channel: { id: string; name: string; isPrivate?: boolean; isMember?: boolean }): FakeChannel {
    const created: FakeChannel = {
      id: channel.id,
      name: channel.name,
      isPrivate: channel.isPrivate ?? false,
      isMember: channel.isMember ?? true,
      messages: [],
    };
    this.channels.set(channel.id, created);
    return created;
  }

  addUser(email: string, userId: string): void {
    this.users.set(email.toLowerCase(), userId);
  }

  /** Sets (or, with undefined, clears) a user's Slack status, as the person would in their profile. */
  setStatus(userId: string, status: { text?: string; emoji?: string; expiration?: number } | undefined): void {
    if (!status) this.statuses.delete(userId);
    else {
      this.statuses.set(userId, {
        status_text: status.text ?? '',
        status_emoji: status.emoji ?? '',
        status_expiration: status.expiration ?? 0,
      });
    }
  }

  addUserGroup(id: string, members: string[]): void {
    this.userGroups.set(id, members);
  }

  /** The next `times` calls of `method` fail with `fault`. */
  failNext(method: string, fault: FakeFault, times = 1): void {
    const queue = this.#faults.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.#faults.set(method, queue);
  }

  /**
   * Every call matching `match` fails with `fault` until the returned function is called (a channel refusing
   * posts, Slack down for a while).
   */
  failWhile(match: FakeFaultMatch, fault: FakeFault): () => void {
    const entry = { match, fault };
    this.#standing.add(entry);
    return () => {
      this.#standing.delete(entry);
    };
  }

  /**
   * The bot token stops working (revoked, expired, the app uninstalled): every Web API call, auth.test included,
   * answers `error` as Slack does (HTTP 200, ok: false) until restoreToken().
   */
  revokeToken(error = 'invalid_auth'): void {
    this.#revoked?.();
    this.#revoked = this.failWhile({}, { error });
  }

  restoreToken(): void {
    this.#revoked?.();
    this.#revoked = undefined;
  }

  get tokenRevoked(): boolean {
    return this.#revoked !== undefined;
  }

  #standingFault(method: string, args: Record<string, unknown>): FakeFault | undefined {
    for (const { match, fault } of this.#standing) {
      const methods = match.method === undefined || match.method === '*' ? undefined : [match.method].flat();
      if (methods && !methods.includes(method)) continue;
      if (match.channel !== undefined && args['channel'] !== match.channel) continue;
      return fault;
    }
    return undefined;
  }

  /** Top-level messages of a channel (by id or #name), oldest first. */
  messagesIn(channel: string): FakeMessage[] {
    return (this.#channel(channel)?.messages ?? []).filter((m) => !m.thread_ts);
  }

  repliesTo(channel: string, ts: string): FakeMessage[] {
    return (this.#channel(channel)?.messages ?? []).filter((m) => m.thread_ts === ts);
  }

  callsOf(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  #channel(ref: string): FakeChannel | undefined {
    if (ref.startsWith('#')) return [...this.channels.values()].find((c) => c.name === ref.slice(1));
    if (/^[UW]/.test(ref)) return this.#dm(ref);
    return this.channels.get(ref);
  }

  #dm(userId: string): FakeChannel {
    const id = `D${userId.slice(1)}`;
    return this.channels.get(id) ?? this.addChannel({ id, name: `dm-${userId}`, isPrivate: true, isMember: true });
  }

  #nextTs(): string {
    // Unique and increasing, like Slack's: seconds.microseconds.
    const micros = Math.max(this.#now() * 1000, this.#lastTs + 1);
    this.#lastTs = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    const json = (req.headers['content-type'] ?? '').includes('application/json');
    const args = raw === '' ? {} : json ? (JSON.parse(raw) as Record<string, unknown>) : parseForm(raw);
    if (path.startsWith('/response/')) {
      this.responses.push({ path, body: args });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
      return;
    }
    const method = path.replace(/^\/api\//, '');
    const processing = this.#processingDelay(method, args);
    if (processing > 0) await this.#wait(processing);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    this.calls.push({ method, args, at: this.#now(), token });
    const fault = this.#faults.get(method)?.shift() ?? this.#standingFault(method, args);
    if (fault && 'lost' in fault) {
      if (fault.afterEffect) this.#api(method, args);
      if (fault.lost === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(fault.lost, { 'content-type': 'text/html' });
      res.end('<html>upstream error</html>');
      return;
    }
    if (fault && 'status' in fault) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (fault.status === 429) headers['retry-after'] = String(fault.retryAfter);
      res.writeHead(fault.status, headers);
      res.end(JSON.stringify({ ok: false, error: fault.status === 429 ? 'ratelimited' : 'service_unavailable' }));
      return;
    }
    const body = fault ? { ok: false, error: fault.error } : this.#api(method, args);
    const delay = this.#answerDelay(method, args);
    if (delay > 0) await this.#wait(delay);
    if ((body as { status?: number }).status === 429) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  #api(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const str = (key: string) => (typeof args[key] === 'string' ? (args[key] as string) : undefined);
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          user_id: this.#botUserId,
          bot_id: 'BHEED',
          team_id: 'T0HEED',
          url: 'https://fake.slack.test/',
        };
      case 'chat.postMessage': {
        const channel = this.#channel(str('channel') ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!channel.isMember) return { ok: false, error: channel.isPrivate ? 'channel_not_found' : 'not_in_channel' };
        if (!str('text') && !args['blocks']) return { ok: false, error: 'no_text' };
        const now = this.#now();
        const thread = str('thread_ts');
        if (this.#enforce && !thread) {
          const last = channel.messages.filter((m) => !m.thread_ts).at(-1);
          if (last && now - last.postedAt < 1000) return { status: 429 };
        }
        const metadata = args['metadata'] as FakeMessage['metadata'];
        const message: FakeMessage = {
          channel: channel.id,
          ts: this.#nextTs(),
          text: str('text') ?? '',
          blocks: (args['blocks'] as unknown[]) ?? [],
          metadata,
          thread_ts: thread,
          postedAt: now,
          updates: 0,
        };
        channel.messages.push(message);
        return { ok: true, channel: channel.id, ts: message.ts, message: { text: message.text, ts: message.ts } };
      }
      case 'chat.update': {
        // Slack takes only ids here (names work for chat.postMessage alone).
        const channel = str('channel')?.startsWith('#') ? undefined : this.#channel(str('channel') ?? '');
        const message = channel?.messages.find((m) => m.ts === str('ts'));
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!message) return { ok: false, error: 'message_not_found' };
        if (str('text') !== undefined) message.text = str('text')!;
        if (args['blocks'] !== undefined) message.blocks = args['blocks'] as unknown[];
        message.updates++;
        return { ok: true, channel: channel.id, ts: message.ts, text: message.text };
      }
      case 'chat.postEphemeral':
        this.ephemeral.push({
          channel: str('channel') ?? '',
          user: str('user') ?? '',
          text: str('text') ?? '',
          blocks: (args['blocks'] as unknown[]) ?? [],
        });
        return { ok: true, message_ts: this.#nextTs() };
      case 'chat.getPermalink': {
        const channel = this.#channel(str('channel') ?? '');
        const message = channel?.messages.find((m) => m.ts === str('message_ts'));
        if (!channel || !message) return { ok: false, error: 'message_not_found' };
        return {
          ok: true,
          channel: channel.id,
          permalink: `https://fake.slack.test/archives/${channel.id}/p${message.ts.replace('.', '')}`,
        };
      }
      case 'conversations.join': {
        const channel = this.#channel(str('channel') ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (channel.isPrivate) return { ok: false, error: 'method_not_supported_for_channel_type' };
        const already = channel.isMember;
        channel.isMember = true;
        return {
          ok: true,
          channel: { id: channel.id, name: channel.name, is_member: true },
          ...(already ? { warning: 'already_in_channel' } : {}),
        };
      }
      case 'conversations.open': {
        const user = (str('users') ?? '').split(',')[0] ?? '';
        return { ok: true, channel: { id: this.#dm(user).id } };
      }
      case 'conversations.history':
      case 'conversations.replies': {
        const channel = this.#channel(str('channel') ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!channel.isMember) return { ok: false, error: 'not_in_channel' };
        const oldest = Number(str('oldest') ?? '0');
        const withMeta = String(args['include_all_metadata']) === 'true';
        const thread = str('ts');
        const pool =
          method === 'conversations.replies'
            ? channel.messages.filter((m) => m.ts === thread || m.thread_ts === thread)
            : channel.messages.filter((m) => !m.thread_ts && Number(m.ts) >= oldest).reverse();
        return {
          ok: true,
          has_more: false,
          messages: pool.map((m) => ({
            type: 'message',
            user: this.#botUserId,
            bot_id: 'BHEED',
            ts: m.ts,
            text: m.text,
            ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
            ...(withMeta && m.metadata ? { metadata: m.metadata } : {}),
          })),
          response_metadata: { next_cursor: '' },
        };
      }
      case 'users.lookupByEmail': {
        const id = this.users.get((str('email') ?? '').toLowerCase());
        return id
          ? { ok: true, user: { id, profile: { email: str('email') } } }
          : { ok: false, error: 'users_not_found' };
      }
      case 'users.info': {
        const id = str('user') ?? '';
        const entry = [...this.users].find(([, user]) => user === id);
        const status = this.statuses.get(id) ?? { status_text: '', status_emoji: '', status_expiration: 0 };
        return entry || this.statuses.has(id) || this.userTimeZones.has(id)
          ? {
              ok: true,
              user: {
                id,
                profile: { ...(entry ? { email: entry[0] } : {}), ...status },
                ...(this.userTimeZones.has(id) ? { tz: this.userTimeZones.get(id) } : {}),
              },
            }
          : { ok: false, error: 'user_not_found' };
      }
      case 'usergroups.users.list': {
        const members = this.userGroups.get(str('usergroup') ?? '');
        return members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' };
      }
      case 'views.publish': {
        this.homeViews.set(str('user_id') ?? '', args['view']);
        return { ok: true, view: { id: 'V0HOME' } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}
