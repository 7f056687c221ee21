// The persistent outbox: every Slack write Heed makes goes through here. Never twice, never lost, with any number
// of drainers (`heed start` replicas, `heed nudge` beside them):
// - The intent is a row before the call and the result is recorded after it, so nothing is lost on a crash.
// - A row is sent only by the holder of its claim (one conditional write picks one drainer); the claim is extended
//   while the Slack call runs. Recovery settles only rows whose claim expired — never a live process's row — from
//   Slack's history: posts carry their idempotency key in message metadata (event_type heed_nudge), so a post
//   that reached Slack just before a crash is recognised rather than posted twice.
// - At most one write per channel per interval, across replicas: the channel's lease is taken before the call,
//   held while it runs and until Slack's answer + the interval. 429 honours Retry-After; 5xx and network errors
//   back off exponentially and give up after maxAttempts.
// - A token Slack no longer accepts (revoked, expired, …) pauses the whole outbox, not the message: nothing is
//   dropped, a probe (auth.test) resumes sending once the token works, and the queue goes out in order.
// - Rows that depend on another message (thread pings, DMs and escalations on their nudge's post; an update on
//   the message it replaces — any of Heed's messages, found by the ts and channel Slack answered with) wait for
//   it; they fail only when it failed for good, with that reason. An update is superseded by a newer one of the
//   same message.

import { randomUUID } from 'node:crypto';
import type { Clock as OutboxClock } from '../clock.ts';
import type { OutboxMessage, ParentMessage, SlackRepo } from '../db/slack-repo.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { safeUrl } from './render/mrkdwn.ts';
import { NUDGE_PERMALINK_PLACEHOLDER } from './render/nudge.ts';

/** The slice of @slack/web-api's WebClient the outbox needs (WebClient satisfies it). */
export interface SlackApi {
  apiCall(method: string, options?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Where the outbox says it cannot send (the readiness registry, src/ops/dependency-health.ts, implements it):
 * a problem while paused, `undefined` once Slack accepts messages again.
 */
export interface OutboxHealth {
  /** `alreadyLogged`: the outbox wrote its own error line (with the fix); the registry need not log it again. */
  report(
    name: string,
    problem: { code: string; message: string } | undefined,
    options?: { alreadyLogged?: boolean },
  ): void;
}

/** Figures the outbox reports (src/ops/outbox-metrics.ts implements them for /metrics). */
export interface OutboxMetrics {
  /** The whole outbox paused for `reason` (a Slack error code), or running again. */
  paused(reason: string, paused: boolean): void;
  /** A message given up for good, by reason (a Slack error code, `parent_failed`, `not_in_channel`, …). */
  failed(reason: string): void;
}

export const HEED_METADATA_EVENT = 'heed_nudge';
/** The name the outbox reports its health under. */
export const OUTBOX_HEALTH_NAME = 'slack-outbox';

export interface OutboxOptions {
  repo: SlackRepo;
  slack: SlackApi;
  clock: OutboxClock;
  logger: Logger;
  /** Names this process in row claims and channel leases; unique per process (default: a random id). */
  holder?: string;
  /** Minimum spacing of writes to one channel. */
  perChannelIntervalMs?: number;
  maxAttempts?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long to wait before retrying a channel Heed is not in (a person has to /invite it). */
  notInChannelRetryMs?: number;
  /**
   * How long a claim (and a channel lease taken for a call) lasts without a heartbeat; heartbeats every third of
   * it while the call runs. A process that dies mid-call leaves its row to recovery after this long.
   */
  claimTtlMs?: number;
  /** First probe (auth.test) this long after a credential failure paused the outbox; then ×1.5 each time… */
  probeIntervalMs?: number;
  /** …up to this. */
  maxProbeIntervalMs?: number;
  /** Rows sent at once in one round (each to a different channel): bounds the work between two yields. */
  maxParallel?: number;
  /**
   * Per-channel pacing shared with other replicas (PostgreSQL deployments, or `heed nudge` beside `heed start`).
   * Without it the pace is kept by this process alone.
   */
  channelLeases?: ChannelLeases;
  health?: OutboxHealth;
  metrics?: OutboxMetrics;
}

/** One write per channel per interval across every replica (see jobs-repo.ts, channelLeasesFrom). */
export interface ChannelLeases {
  /** Takes the channel until `until` unless another process holds it now; true when taken. */
  take(channel: string, now: Date, until: Date): Promise<boolean>;
  /** Moves this process's hold to `until` (heartbeat, Slack's answer + the interval, or `now` to let go). */
  hold(channel: string, now: Date, until: Date): Promise<boolean>;
}

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  /** Earliest moment something else may be sendable (or the next probe while paused), if anything is queued. */
  nextAt: Date | undefined;
  /** Set while the whole outbox is paused: Slack's error code. */
  paused?: string | undefined;
}

type Failure =
  | { type: 'rate'; retryAfterMs: number }
  /** `uncertain`: the call may have taken effect (the answer was lost), so a post is looked for before re-posting. */
  | { type: 'transient'; reason: string; uncertain: boolean }
  | { type: 'not_in_channel'; reason: string }
  | { type: 'credentials'; reason: string; needed?: string | undefined }
  | { type: 'fatal'; reason: string };

type Outcome = 'sent' | 'retried' | 'failed';

const POSTING_KINDS = new Set(['post', 'reply', 'escalate', 'dm']);
/** Slack's own words for these: "It's possible some aspect of the operation succeeded before the error was raised." */
const UNCERTAIN_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error']);
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);
/**
 * Errors about the app's token or installation, not the message (docs.slack.dev's common errors): every message
 * would fail the same way, so the outbox pauses instead of failing them one by one. Not `no_permission` or
 * `access_denied`: Slack uses those for one conversation, and pausing everything for one channel would stall
 * every other.
 */
export const CREDENTIAL_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'not_allowed_token_type',
  'ekm_access_denied',
  'org_login_required',
  'team_access_not_granted',
]);

/** A link to the nudge's permalink placeholder, `<url|label>`: its label is kept when there is nothing to link. */
const PLACEHOLDER_LINK = new RegExp(`<${NUDGE_PERMALINK_PLACEHOLDER.replaceAll('.', '\\.')}\\|([^>]*)>`, 'g');

/**
 * A permalink as the target of a mrkdwn link inside the JSON of blocks: Slack's permalinks carry `&` (a thread
 * reply's `?thread_ts=…&cid=…`), which mrkdwn reads as an entity unless written `&amp;`; anything that is not a
 * plain URL is refused by safeUrl (the constructed form is used instead).
 */
function linkTarget(permalink: string): string {
  return JSON.stringify(permalink.replace(/&/g, '&amp;')).slice(1, -1);
}

const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether the request never reached a server (the error, or one it was caused by, says so). */
function neverConnected(error: unknown): boolean {
  let current = error as { code?: unknown; cause?: unknown; original?: unknown } | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === 'string' && NOT_CONNECTED.has(current.code)) return true;
    current = (current.original ?? current.cause) as typeof current;
  }
  return false;
}

export function classifySlackError(error: unknown): Failure {
  const e = error as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string; needed?: string };
    message?: string;
  };
  switch (e?.code) {
    case 'slack_webapi_rate_limited_error':
      return { type: 'rate', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000 };
    case 'slack_webapi_http_error':
      // 502/503: the request did not get through to Slack; 500/504: it may have, and the answer was lost.
      return (e.statusCode ?? 0) >= 500 || e.statusCode === 408
        ? { type: 'transient', reason: `HTTP ${e.statusCode}`, uncertain: e.statusCode === 500 || e.statusCode === 504 }
        : e.statusCode === 401 || e.statusCode === 403
          ? { type: 'credentials', reason: `HTTP ${e.statusCode}` }
          : { type: 'fatal', reason: `HTTP ${e.statusCode}` };
    case 'slack_webapi_request_error':
      // A connection never made cannot have posted; one cut off (reset, timeout) may have.
      return {
        type: 'transient',
        reason: `request failed: ${e.message ?? 'network error'}`,
        uncertain: !neverConnected(error),
      };
    case 'slack_webapi_platform_error': {
      const code = e.data?.error ?? 'unknown_error';
      if (code === 'not_in_channel' || code === 'channel_not_found') return { type: 'not_in_channel', reason: code };
      if (code === 'ratelimited') return { type: 'rate', retryAfterMs: 1000 };
      if (TRANSIENT_PLATFORM_ERRORS.has(code))
        return { type: 'transient', reason: code, uncertain: UNCERTAIN_PLATFORM_ERRORS.has(code) };
      if (CREDENTIAL_ERRORS.has(code)) return { type: 'credentials', reason: code, needed: e.data?.needed };
      return { type: 'fatal', reason: code };
    }
    default:
      return { type: 'transient', reason: e?.message ?? String(error), uncertain: true };
  }
}

/** A bounded label for a Slack failure (metrics): Slack's error code, http_<status>, request_error. */
function errorLabel(error: unknown): string {
  const e = error as { code?: string; statusCode?: number; data?: { error?: string } } | undefined;
  switch (e?.code) {
    case 'slack_webapi_platform_error':
      return e.data?.error ?? 'unknown_error';
    case 'slack_webapi_http_error':
      return `http_${e.statusCode ?? 'unknown'}`;
    case 'slack_webapi_request_error':
      return 'request_error';
    default:
      return 'unknown';
  }
}

/** Running → paused (probing with backoff) → resuming (the probe passed; the next send confirms) → running. */
type PauseState = {
  reason: string;
  /** The scope a `missing_scope` answer named: the probe checks the token has it now. */
  needed?: string | undefined;
  since: number;
  nextProbeAt: number;
  probeDelayMs: number;
  resuming: boolean;
};

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The clock's sleep, cut short by `signal` (the clock's own timer still runs out, at most one idle wait later). */
function sleepUnlessAborted(clock: OutboxClock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    clock.sleep(ms).then(done, done);
  });
}

export class Outbox {
  readonly #o: Required<
    Omit<OutboxOptions, 'repo' | 'slack' | 'clock' | 'logger' | 'channelLeases' | 'health' | 'metrics'>
  > &
    Pick<OutboxOptions, 'repo' | 'slack' | 'clock' | 'logger' | 'channelLeases' | 'health' | 'metrics'>;
  /** Last write per channel (ms), and pauses per channel (429, join-then-fail), in this process; `channelLeases` covers other replicas. */
  readonly #lastWrite = new Map<string, number>();
  readonly #pausedUntil = new Map<string, number>();
  /** Channels this process joined since it last posted there: a second not_in_channel is not fixed by joining. */
  readonly #joined = new Set<string>();
  /** When the SLACK_NOT_IN_CHANNEL error was last logged, per channel (once per channel, not per row). */
  readonly #notInChannelLogged = new Map<string, number>();
  /** Rows this process is sending right now: never "recovered" from under itself. */
  readonly #inFlight = new Set<string>();
  #pause: PauseState | undefined;
  /** One round at a time per outbox, whoever calls drainOnce. */
  #round: Promise<unknown> = Promise.resolve();

  constructor(options: OutboxOptions) {
    this.#o = {
      holder: `outbox:${randomUUID()}`,
      perChannelIntervalMs: 1000,
      maxAttempts: 12,
      baseBackoffMs: 1000,
      maxBackoffMs: 5 * 60_000,
      notInChannelRetryMs: 15 * 60_000,
      claimTtlMs: 20_000,
      probeIntervalMs: 30_000,
      maxProbeIntervalMs: 3 * 60_000,
      maxParallel: 16,
      ...options,
    };
  }

  /** Slack's error code while the whole outbox is paused for a credential failure. */
  get pausedFor(): string | undefined {
    return this.#pause && !this.#pause.resuming ? this.#pause.reason : undefined;
  }

  /**
   * Settles rows whose claim expired — left in `sending` by a process that died, hung or could not record the
   * result: a post found in Slack (by its metadata key) is recorded as sent; anything else is queued again.
   * A live process renews its claims, so its rows are never touched. Runs at the start of every round.
   */
  async recover(): Promise<{ recognised: number; requeued: number }> {
    const { repo, clock, logger, holder, claimTtlMs } = this.#o;
    let recognised = 0;
    let requeued = 0;
    // With a refused token Slack's history cannot be read either; the probe comes first.
    if (this.pausedFor) return { recognised, requeued };
    for (const row of await repo.expiredClaims(clock.now())) {
      if (this.#inFlight.has(row.id)) continue;
      const now = clock.now();
      // Another replica may be recovering the same row: the takeover is one conditional write.
      if (!(await repo.claimExpired(row.id, holder, now, new Date(now.getTime() + claimTtlMs)))) continue;
      let found: { ts: string; channel: string } | undefined;
      if (POSTING_KINDS.has(row.kind) && !/^[CGDUW][A-Z0-9]+$/.test(row.channel)) {
        // History can only be read by channel id; a first post to a channel named "#…" that was cut off
        // cannot be checked. Posting again risks one duplicate; never posting would lose the nudge.
        logger.warn(
          { key: row.idempotencyKey, channel: row.channel },
          'outbox: cannot check a channel given by name after a restart; posting again',
        );
      } else if (POSTING_KINDS.has(row.kind)) {
        try {
          found = await this.#findPosted(row);
        } catch (error) {
          const failure = classifySlackError(error);
          if (failure.type === 'transient' || failure.type === 'rate' || failure.type === 'credentials') {
            // Cannot tell now: keep the claim (it expires after claimTtlMs) rather than risk a duplicate; recovery
            // tries again then.
            logger.warn(
              { err: error, outboxId: row.id, key: row.idempotencyKey },
              'outbox: could not check Slack for a post made before a restart',
            );
            continue;
          }
          // Slack answered that this history cannot be read (a missing scope, a channel Heed left): it never
          // will be. Posting again risks one duplicate; never posting would lose the message.
          logger.warn(
            { err: error, outboxId: row.id, key: row.idempotencyKey, reason: failure.reason },
            'outbox: cannot check Slack for a post made before a restart; posting again',
          );
        }
      }
      if (found) {
        await repo.markSent(row, found, clock.now());
        recognised++;
        logger.info({ key: row.idempotencyKey, ts: found.ts }, 'outbox: recognised a post made just before a restart');
      } else {
        await repo.release(row.id, holder, {
          nextAttemptAt: clock.now(),
          error: 'interrupted before the result was recorded',
        });
        requeued++;
      }
    }
    return { recognised, requeued };
  }

  async #findPosted(row: OutboxMessage): Promise<{ ts: string; channel: string } | undefined> {
    const payload = JSON.parse(row.payload) as Record<string, unknown>;
    const { slack } = this.#o;
    let channel = row.channel;
    let threadTs = typeof payload['thread_ts'] === 'string' ? payload['thread_ts'] : undefined;
    if (row.kind === 'reply' && row.parentId) {
      const parent = await this.#o.repo.parentOf(row.parentId);
      if (parent.status !== 'posted') return undefined;
      channel = parent.channel;
      threadTs = parent.ts;
    }
    if (row.kind === 'dm' && /^[UW]/.test(channel)) {
      const opened = (await slack.apiCall('conversations.open', { users: channel })) as { channel?: { id?: string } };
      channel = opened.channel?.id ?? channel;
    }
    const oldest = ((row.createdAt.getTime() - 60_000) / 1000).toFixed(6);
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = (await slack.apiCall(threadTs ? 'conversations.replies' : 'conversations.history', {
        channel,
        ...(threadTs ? { ts: threadTs } : {}),
        oldest,
        include_all_metadata: true,
        limit: 200,
        ...(cursor ? { cursor } : {}),
      })) as {
        messages?: { ts: string; metadata?: { event_type?: string; event_payload?: { key?: string } } }[];
        response_metadata?: { next_cursor?: string };
        has_more?: boolean;
      };
      const hit = result.messages?.find(
        (m) => m.metadata?.event_type === HEED_METADATA_EVENT && m.metadata.event_payload?.key === row.idempotencyKey,
      );
      if (hit) return { ts: hit.ts, channel };
      cursor = result.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  /** One round: at most one write per free channel, channels in parallel (at most maxParallel at once). */
  drainOnce(): Promise<DrainResult> {
    const round = this.#round.then(() => this.#drainRound());
    this.#round = round.catch(() => undefined);
    return round;
  }

  async #drainRound(): Promise<DrainResult> {
    const { repo, clock } = this.#o;
    const result: DrainResult = { sent: 0, retried: 0, failed: 0, nextAt: undefined };
    if (this.#pause && !this.#pause.resuming) {
      if (clock.now().getTime() < this.#pause.nextProbeAt) return this.#pausedResult(result);
      await this.#probe();
      if (this.pausedFor) return this.#pausedResult(result);
    }
    // Every round (one indexed read when there is nothing to do): a row whose claim expired — a crash elsewhere, or
    // a result that could not be recorded — is settled from Slack's history rather than left stuck.
    await this.recover();
    const now = clock.now().getTime();
    // Only the channel list and one row per free channel are read: a deep queue costs no more per round.
    // The channels written longest ago first: with more channels than maxParallel, none waits behind the others.
    const free = (await repo.dueChannels(new Date(now)))
      .filter((channel) => this.#channelFreeAt(channel) <= now)
      .sort((a, b) => (this.#lastWrite.get(a) ?? 0) - (this.#lastWrite.get(b) ?? 0))
      .slice(0, this.#o.maxParallel);
    const running: Promise<Outcome | undefined>[] = [];
    for (const channel of free) {
      // Between rows the event loop gets a turn: a deep queue must not delay Slack's 3-second acks.
      await yieldToLoop();
      const row = await repo.firstDue(channel, new Date(now));
      if (row) running.push(this.#send(row));
    }
    // Every send of the round settles before the next round: a channel is never written by two sends at once.
    const settled = await Promise.allSettled(running);
    for (const outcome of settled) if (outcome.status === 'fulfilled' && outcome.value) result[outcome.value]++;
    const failure = settled.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    if (this.pausedFor) return this.#pausedResult(result);
    // Next sendable moment: the earliest channel to free up among rows already due, or the earliest
    // row that is not due yet — never a busy-wait on a channel that is still pacing.
    const after = clock.now().getTime();
    let nextAt: number | undefined;
    for (const channel of await repo.dueChannels(new Date(after))) {
      const at = Math.max(after, this.#channelFreeAt(channel));
      nextAt = Math.min(nextAt ?? at, at);
    }
    const future = await repo.nextOutboxAt(new Date(after));
    if (future) nextAt = Math.min(nextAt ?? future.getTime(), future.getTime());
    // Rows claimed by others (or left claimed here) are work too: settled when their claim expires, if their
    // holder has not sent them by then — `heed nudge` after a killed run waits for them rather than leave them.
    const claimed = await repo.nextClaimExpiry();
    if (claimed) {
      const at = Math.max(after, claimed.getTime() + 1);
      nextAt = Math.min(nextAt ?? at, at);
    }
    result.nextAt = nextAt === undefined ? undefined : new Date(nextAt);
    return result;
  }

  #pausedResult(result: DrainResult): DrainResult {
    result.paused = this.#pause!.reason;
    result.nextAt = new Date(this.#pause!.nextProbeAt);
    return result;
  }

  #channelFreeAt(channel: string): number {
    const last = this.#lastWrite.get(channel);
    const paused = this.#pausedUntil.get(channel) ?? 0;
    return Math.max(last === undefined ? 0 : last + this.#o.perChannelIntervalMs, paused);
  }

  async #send(row: OutboxMessage): Promise<Outcome | undefined> {
    const { repo, clock, logger } = this.#o;
    if (row.kind === 'update' && (await repo.hasNewerUpdate(row))) {
      await repo.finalize(row.id, 'superseded', null);
      return 'sent';
    }
    const payload = JSON.parse(row.payload) as Record<string, unknown>;
    let method = 'chat.postMessage';
    const args: Record<string, unknown> = { ...payload, channel: row.channel };
    if (row.kind === 'update' && !row.parentId) {
      const reason = 'an update that names no message to replace';
      if (await repo.finalize(row.id, 'failed', reason)) this.#failedForGood(row, 'no_parent', reason);
      return 'failed';
    }
    if (row.parentId) {
      const parent: ParentMessage = await repo.parentOf(row.parentId);
      if (parent.status === 'pending') {
        // The message it depends on has not gone out yet (another drainer may be sending it right now): wait for it,
        // at the head of this channel — the channel's later rows wait too, so it keeps its order.
        const until = clock.now().getTime() + this.#o.perChannelIntervalMs;
        this.#pausedUntil.set(row.channel, Math.max(until, this.#pausedUntil.get(row.channel) ?? 0));
        return 'retried';
      }
      if (parent.status === 'failed') {
        if (await repo.finalize(row.id, 'failed', parent.reason))
          this.#failedForGood(row, 'parent_failed', parent.reason);
        return 'failed';
      }
      if (row.kind === 'update') {
        method = 'chat.update';
        Object.assign(args, { channel: parent.channel, ts: parent.ts });
        delete args['metadata'];
      } else if (row.kind === 'reply') {
        Object.assign(args, { channel: parent.channel, thread_ts: parent.ts });
      }
    }
    if (row.nudgeId && row.payload.includes(NUDGE_PERMALINK_PLACEHOLDER)) {
      // A DM or escalation (or its update) links back to its nudge: by then posted, since they waited for it.
      const nudge = await repo.nudgeById(row.nudgeId);
      const blocks = JSON.stringify(args['blocks'] ?? []);
      args['blocks'] = JSON.parse(
        nudge?.ts
          ? blocks.replaceAll(NUDGE_PERMALINK_PLACEHOLDER, linkTarget(await this.#permalink(nudge.channel, nudge.ts)))
          : // No nudge to link to: the label stays, without the link.
            blocks.replace(PLACEHOLDER_LINK, '$1'),
      );
    }
    const leases = this.#o.channelLeases;
    const now = clock.now();
    // The lease covers the whole call: taken for a claim's lifetime, renewed by the heartbeat, and set to Slack's
    // answer + the interval afterwards. Another replica cannot post to the channel in between, however slow Slack is.
    if (leases && !(await leases.take(row.channel, now, new Date(now.getTime() + this.#o.claimTtlMs)))) {
      // Another replica is writing to this channel, or did within the interval: try again after an interval.
      this.#lastWrite.set(row.channel, now.getTime());
      return 'retried';
    }
    if (!(await repo.claim(row.id, this.#o.holder, now, new Date(now.getTime() + this.#o.claimTtlMs)))) {
      // Another drainer claimed it first: it sends, this process lets the channel go.
      await this.#holdChannel(row.channel, now);
      return undefined;
    }
    this.#inFlight.add(row.id);
    try {
      return await this.#call(row, method, args);
    } catch (error) {
      logger.error({ err: error, key: row.idempotencyKey }, 'outbox: recording a Slack result failed');
      throw error;
    } finally {
      this.#inFlight.delete(row.id);
    }
  }

  async #call(row: OutboxMessage, method: string, args: Record<string, unknown>): Promise<Outcome> {
    const { repo, slack, clock } = this.#o;
    this.#lastWrite.set(row.channel, clock.now().getTime());
    const stopHeartbeat = this.#heartbeat(row);
    let result: { ts?: string; channel?: string };
    try {
      result = (await slack.apiCall(method, args)) as { ts?: string; channel?: string };
    } catch (error) {
      await stopHeartbeat();
      // Pace from when Slack answered, not when we asked (below, and on the failure paths).
      this.#lastWrite.set(row.channel, clock.now().getTime());
      return this.#onFailure(row, error);
    }
    await stopHeartbeat();
    // Pace from when Slack answered, not when we asked: the next write to this channel then reaches Slack at least
    // a full interval after this one did, whatever the network's jitter — in this process and (lease) in others.
    const answered = clock.now();
    this.#lastWrite.set(row.channel, answered.getTime());
    await this.#holdChannel(row.channel, answered, new Date(answered.getTime() + this.#o.perChannelIntervalMs));
    // Not inside the try: if recording fails, the row must stay claimed (recovery settles it from Slack's history
    // once the claim expires) rather than be retried as if the post had failed — that would post it twice.
    await repo.markSent(
      row,
      { ts: result.ts ?? (args['ts'] as string | undefined), channel: result.channel },
      answered,
    );
    if (result.channel && result.channel !== row.channel) this.#lastWrite.set(result.channel, answered.getTime());
    this.#joined.delete(row.channel);
    this.#notInChannelLogged.delete(row.channel);
    if (this.#pause?.resuming) this.#resume();
    return 'sent';
  }

  /**
   * Renews the row's claim and the channel's lease every third of their lifetime while the call runs. The returned
   * function stops it and waits for a renewal under way, so it cannot land after the lease was set to the answer.
   */
  #heartbeat(row: OutboxMessage): () => Promise<void> {
    const { repo, clock, logger, holder, claimTtlMs, channelLeases } = this.#o;
    let beating: Promise<void> = Promise.resolve();
    let stopped = false;
    const beat = async () => {
      if (stopped) return;
      const now = clock.now();
      const until = new Date(now.getTime() + claimTtlMs);
      try {
        const [kept] = await Promise.all([
          repo.extendClaim(row.id, holder, until),
          channelLeases?.hold(row.channel, now, until),
        ]);
        if (!kept) logger.warn({ key: row.idempotencyKey }, 'outbox: lost the claim on a row while sending it');
      } catch (error) {
        logger.warn({ err: error, key: row.idempotencyKey }, 'outbox: could not renew a claim while sending');
      }
    };
    const stop = clock.every(claimTtlMs / 3, () => {
      beating = beating.then(beat);
      return beating;
    });
    return async () => {
      stopped = true;
      stop();
      await beating;
    };
  }

  /** Sets this process's hold on a channel (default: lets it go now). */
  async #holdChannel(channel: string, now: Date, until: Date = now): Promise<void> {
    const { channelLeases, logger } = this.#o;
    if (!channelLeases) return;
    try {
      await channelLeases.hold(channel, now, until);
    } catch (error) {
      // The lease taken for the call still covers it (it expires after claimTtlMs); the write itself is settled.
      logger.warn({ err: error, channel }, 'outbox: could not set the channel’s pacing lease');
    }
  }

  async #permalink(channel: string, ts: string): Promise<string> {
    try {
      const result = (await this.#o.slack.apiCall('chat.getPermalink', { channel, message_ts: ts })) as {
        permalink?: string;
      };
      if (result.permalink && safeUrl(result.permalink)) return result.permalink;
    } catch (error) {
      this.#o.logger.warn({ err: error, channel }, 'outbox: chat.getPermalink failed; linking with a constructed URL');
    }
    // Slack resolves this form for members of the workspace.
    return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
  }

  /** Logs and counts a message given up for good: every terminal failure says why. */
  #failedForGood(row: OutboxMessage, code: string, reason: string): void {
    this.#o.logger.error(
      { key: row.idempotencyKey, kind: row.kind, channel: row.channel, reason },
      `outbox: gave up on a Slack message: ${reason}`,
    );
    this.#o.metrics?.failed(code);
  }

  async #onFailure(row: OutboxMessage, error: unknown): Promise<Outcome> {
    const { repo, clock, logger, holder } = this.#o;
    const failure = classifySlackError(error);
    const now = clock.now();
    const at = (ms: number) => new Date(now.getTime() + ms);
    // The claim counted this attempt.
    const attempts = row.attempts + 1;
    switch (failure.type) {
      case 'credentials': {
        // Not this message's fault: it keeps its place (and its attempt), and the whole outbox waits for the token.
        await this.#holdChannel(row.channel, now);
        await repo.release(row.id, holder, { error: `paused: Slack answered ${failure.reason}`, refund: true });
        await this.#pauseFor(failure.reason, failure.needed);
        return 'retried';
      }
      case 'rate': {
        this.#pausedUntil.set(row.channel, now.getTime() + failure.retryAfterMs);
        // Other replicas keep off the channel for as long as Slack asked, too.
        await this.#holdChannel(row.channel, now, at(failure.retryAfterMs));
        logger.warn(
          { channel: row.channel, retryAfterMs: failure.retryAfterMs },
          'outbox: Slack rate limit, pausing the channel',
        );
        // A 429 is Slack pacing us, not a failed attempt: it does not count towards giving up.
        await repo.release(row.id, holder, {
          nextAttemptAt: at(failure.retryAfterMs),
          error: 'rate limited',
          refund: true,
        });
        return 'retried';
      }
      case 'not_in_channel':
        return this.#notInChannel(row, failure.reason, attempts);
      case 'transient': {
        await this.#holdChannel(row.channel, now, at(this.#o.perChannelIntervalMs));
        if (failure.uncertain && POSTING_KINDS.has(row.kind)) {
          // The post may be in Slack already: look before posting it again.
          const settled = await this.#settleUncertain(row, failure.reason);
          if (settled !== 'not_posted') return settled;
        }
        if (attempts >= this.#o.maxAttempts) {
          const reason = `${failure.reason} (gave up after ${attempts} attempts)`;
          if (await repo.finish(row.id, holder, 'failed', reason)) this.#failedForGood(row, errorLabel(error), reason);
          return 'failed';
        }
        const backoff = Math.min(this.#o.maxBackoffMs, this.#o.baseBackoffMs * 2 ** (attempts - 1));
        logger.warn(
          { key: row.idempotencyKey, reason: failure.reason, backoffMs: backoff },
          'outbox: Slack error, will retry',
        );
        await repo.release(row.id, holder, { nextAttemptAt: at(backoff), error: failure.reason });
        return 'retried';
      }
      default: {
        // Permanent for this message only (is_archived, msg_too_long, invalid_blocks, …).
        await this.#holdChannel(row.channel, now, at(this.#o.perChannelIntervalMs));
        if (await repo.finish(row.id, holder, 'failed', failure.reason))
          this.#failedForGood(row, failure.reason, `Slack refused the message (${failure.reason})`);
        return 'failed';
      }
    }
  }

  /**
   * After an answer that leaves it open whether the post went out (connection reset, HTTP 500/504, internal_error):
   * Slack's history says. Found: recorded as sent. Not found: retried as usual. History unreadable too: the row keeps
   * its claim, expired now, and recovery settles it from Slack's history once Slack answers — never a blind re-post.
   */
  async #settleUncertain(row: OutboxMessage, reason: string): Promise<'sent' | 'retried' | 'not_posted'> {
    const { repo, clock, logger, holder } = this.#o;
    if (!/^[CGDUW][A-Z0-9]+$/.test(row.channel)) return 'not_posted'; // a #name: history cannot be read by name
    let found: { ts: string; channel: string } | undefined;
    try {
      found = await this.#findPosted(row);
    } catch (error) {
      const failure = classifySlackError(error);
      // Slack answered that the history cannot be read (a missing scope…): it never will be; retry as usual.
      if (failure.type === 'fatal' || failure.type === 'not_in_channel') return 'not_posted';
      logger.warn(
        { err: error, key: row.idempotencyKey, reason },
        'outbox: cannot tell whether a post reached Slack; recovery will check its history',
      );
      // Expired at once: the next round's recovery looks again (and, failing, waits a claim's lifetime).
      await repo.extendClaim(row.id, holder, clock.now());
      return 'retried';
    }
    if (!found) return 'not_posted';
    await repo.markSent(row, found, clock.now());
    logger.info(
      { key: row.idempotencyKey, ts: found.ts, reason },
      'outbox: the post reached Slack although the answer was lost',
    );
    return 'sent';
  }

  /**
   * not_in_channel / channel_not_found. A public channel Heed is not in is joined once and the row retried at
   * once (not counted). When the post still fails after joining — here, or in another replica (Slack then says
   * already_in_channel) — joining cannot fix it: the attempt counts, the channel backs off exponentially, the
   * SLACK_NOT_IN_CHANNEL error is logged once per channel, and the row fails after maxAttempts.
   */
  async #notInChannel(row: OutboxMessage, reason: string, attempts: number): Promise<'retried' | 'failed'> {
    const { repo, clock, holder } = this.#o;
    const now = clock.now();
    const channel = row.channel;
    const join = this.#joined.has(channel) ? 'already' : await this.#tryJoin(channel);
    if (join === 'joined') {
      this.#joined.add(channel);
      await this.#holdChannel(channel, now, new Date(now.getTime() + this.#o.perChannelIntervalMs));
      await repo.release(row.id, holder, { nextAttemptAt: now, error: `${reason}: joined the channel`, refund: true });
      return 'retried';
    }
    if (join === 'already') {
      this.#joined.add(channel);
      const problem = new AppError(
        'SLACK_NOT_IN_CHANNEL',
        `Slack still answers ${reason} for channel ${channel} although Heed has joined it.`,
        {
          fix: `check that ${channel} is the right channel and that Heed may post there (posting permissions, Slack Connect); Heed retries with backoff and gives up after ${this.#o.maxAttempts} attempts per message`,
        },
      );
      this.#logNotInChannel(channel, problem);
      if (attempts >= this.#o.maxAttempts) {
        const final = `${reason} after joining the channel (gave up after ${attempts} attempts)`;
        await this.#holdChannel(channel, now, new Date(now.getTime() + this.#o.perChannelIntervalMs));
        if (await repo.finish(row.id, holder, 'failed', final)) this.#failedForGood(row, 'not_in_channel', final);
        return 'failed';
      }
      const backoff = Math.min(this.#o.maxBackoffMs, this.#o.baseBackoffMs * 2 ** (attempts - 1));
      // The channel as a whole waits (its other rows would meet the same answer), here and in other replicas.
      this.#pausedUntil.set(channel, now.getTime() + backoff);
      await this.#holdChannel(channel, now, new Date(now.getTime() + backoff));
      await repo.release(row.id, holder, {
        nextAttemptAt: new Date(now.getTime() + backoff),
        error: `${problem.code}: ${reason} after joining the channel`,
      });
      return 'retried';
    }
    const problem = new AppError(
      'SLACK_NOT_IN_CHANNEL',
      `Heed is not a member of Slack channel ${channel} and cannot join it (it is private, archived or unknown).`,
      { fix: `open ${channel} in Slack and type "/invite @Heed" (or correct the channel in the policy file)` },
    );
    this.#logNotInChannel(channel, problem);
    await this.#holdChannel(channel, now);
    // Waiting for a person to /invite Heed is not the message's fault: not counted, retried slowly.
    await repo.release(row.id, holder, {
      nextAttemptAt: new Date(now.getTime() + this.#o.notInChannelRetryMs),
      error: problem.describe(),
      refund: true,
    });
    return 'retried';
  }

  /** Once per channel (not per row); again at most hourly while the channel stays unusable. */
  #logNotInChannel(channel: string, problem: AppError): void {
    const now = this.#o.clock.now().getTime();
    const last = this.#notInChannelLogged.get(channel);
    if (last !== undefined && now - last < 60 * 60_000) return;
    this.#notInChannelLogged.set(channel, now);
    this.#o.logger.error({ channel, code: problem.code, fix: problem.fix }, problem.describe());
  }

  async #tryJoin(channel: string): Promise<'joined' | 'already' | 'cannot'> {
    if (!/^C/.test(channel)) return 'cannot'; // DMs, private (G…) and #names cannot be joined by id
    try {
      const result = (await this.#o.slack.apiCall('conversations.join', { channel })) as { warning?: string };
      if (result?.warning === 'already_in_channel') return 'already';
      this.#o.logger.info({ channel }, 'outbox: joined public channel to post there');
      return 'joined';
    } catch (error) {
      this.#o.logger.debug({ err: error, channel }, 'outbox: conversations.join failed');
      return 'cannot';
    }
  }

  // ------------------------------------------------------------ pausing on credential failures

  async #pauseFor(reason: string, needed: string | undefined): Promise<void> {
    const { clock, logger, probeIntervalMs, maxProbeIntervalMs } = this.#o;
    const now = clock.now().getTime();
    const previous = this.#pause;
    if (previous && !previous.resuming) return; // already paused: one log, not one per row
    if (previous?.resuming && previous.reason === reason) {
      // The probe passed but Slack still refuses messages: keep waiting, quietly, backing off further.
      const delay = Math.min(maxProbeIntervalMs, previous.probeDelayMs * 1.5);
      this.#pause = { ...previous, resuming: false, nextProbeAt: now + delay, probeDelayMs: delay };
      return;
    }
    this.#pause = {
      reason,
      needed,
      since: now,
      nextProbeAt: now + probeIntervalMs,
      probeDelayMs: probeIntervalMs,
      resuming: false,
    };
    const queued = await this.#o.repo.countOutbox(['pending', 'retry', 'sending']).catch(() => undefined);
    const problem = new AppError(
      'SLACK_AUTH',
      `Slack refused Heed's token (${reason}${needed ? `, needs scope ${needed}` : ''}): sending to Slack is paused and nothing is dropped${queued === undefined ? '' : ` (${queued} message(s) queued)`}; it resumes by itself once the token works again.`,
      {
        fix:
          reason === 'missing_scope'
            ? `add the ${needed ?? 'missing'} scope to the Slack app (OAuth & Permissions), reinstall it, and update SLACK_BOT_TOKEN if it changed`
            : 'reinstall the Slack app to the workspace (or restore its access) and set SLACK_BOT_TOKEN to its current Bot User OAuth Token; Heed checks the token every 30 s to a few minutes',
      },
    );
    logger.error({ code: problem.code, reason, fix: problem.fix, queued }, problem.describe());
    this.#o.metrics?.paused(reason, true);
    this.#o.health?.report(
      OUTBOX_HEALTH_NAME,
      { code: problem.code, message: problem.message },
      { alreadyLogged: true },
    );
  }

  /** auth.test: does Slack accept the token again? A pass lets the next send confirm it (`resuming`). */
  async #probe(): Promise<void> {
    const pause = this.#pause!;
    const { clock, logger, maxProbeIntervalMs } = this.#o;
    let ok = false;
    try {
      const result = (await this.#o.slack.apiCall('auth.test')) as {
        ok?: boolean;
        response_metadata?: { scopes?: string[] };
      };
      const scopes = result.response_metadata?.scopes;
      ok = !(pause.needed && scopes && !pause.needed.split(',').every((s) => scopes.includes(s)));
    } catch (error) {
      logger.debug({ err: error }, 'outbox: Slack still refuses the token');
    }
    const now = clock.now().getTime();
    if (ok) {
      this.#pause = { ...pause, resuming: true };
      logger.info({ reason: pause.reason }, 'outbox: Slack accepts the token again (auth.test); resuming sending');
      return;
    }
    const delay = Math.min(maxProbeIntervalMs, pause.probeDelayMs * 1.5);
    this.#pause = { ...pause, nextProbeAt: now + delay, probeDelayMs: delay };
  }

  /** The first message accepted after a pause: the outbox runs again. */
  #resume(): void {
    const pause = this.#pause!;
    this.#pause = undefined;
    const pausedMs = this.#o.clock.now().getTime() - pause.since;
    this.#o.logger.info(
      { reason: pause.reason, pausedSeconds: Math.round(pausedMs / 1000) },
      `outbox: Slack accepts messages again after ${Math.round(pausedMs / 1000)} s paused (${pause.reason}); sending the queue in order`,
    );
    this.#o.metrics?.paused(pause.reason, false);
    this.#o.health?.report(OUTBOX_HEALTH_NAME, undefined);
  }

  // ------------------------------------------------------------ loops

  /**
   * Drains until `signal` aborts, sleeping until the next sendable moment (at most `idleMs`); an abort ends the
   * sleep at once, so a shutdown waits only for the round in progress. outbox-loop.ts runs it in `heed start`.
   */
  async run(signal: AbortSignal, idleMs = 1000): Promise<void> {
    const { clock, logger } = this.#o;
    while (!signal.aborted) {
      try {
        const result = await this.drainOnce();
        const now = clock.now().getTime();
        const wait = result.nextAt ? Math.min(idleMs, Math.max(0, result.nextAt.getTime() - now)) : idleMs;
        await sleepUnlessAborted(clock, wait, signal);
      } catch (error) {
        logger.error({ err: error }, 'outbox: drain failed');
        await sleepUnlessAborted(clock, idleMs, signal);
      }
      // A round that found everything due at once must still let requests in before the next.
      await yieldToLoop();
    }
  }

  /** Drains until nothing is queued or `until` passes (tests, the bench, the demo, `heed nudge`). */
  async drainUntilIdle(until?: Date): Promise<void> {
    const { clock } = this.#o;
    for (;;) {
      const result = await this.drainOnce();
      if (!result.nextAt) return;
      const now = clock.now().getTime();
      if (until && now >= until.getTime()) return;
      const next = until ? Math.min(result.nextAt.getTime(), until.getTime()) : result.nextAt.getTime();
      const wait = Math.max(0, next - now);
      if (wait > 0) await clock.sleep(wait);
      else await yieldToLoop();
    }
  }
}
