// The persistent outbox: every Slack write Heed makes goes through here.
// - The intent is a row before the call and the result is recorded after it, so nothing is lost on a crash.
// - At most one message per second per channel (Slack's chat.postMessage pace); 429 honours Retry-After,
//   5xx and network errors back off exponentially.
// - A row found in `sending` after a restart may have reached Slack just before the crash. Posts carry
//   their idempotency key in message metadata (event_type heed_nudge), so the channel's history tells
//   whether it did — recognised rather than posted twice.

import type { OutboxMessage, SlackRepo } from '../db/slack-repo.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { NUDGE_PERMALINK_PLACEHOLDER } from '../slack/render/nudge.ts';
import type { OutboxClock } from './outbox-clock.ts';

/** The slice of @slack/web-api's WebClient the outbox needs (WebClient satisfies it). */
export interface SlackApi {
  apiCall(method: string, options?: Record<string, unknown>): Promise<unknown>;
}

export const HEED_METADATA_EVENT = 'heed_nudge';
const RECOVERY_INTERVAL_MS = 5 * 60_000;

export interface OutboxOptions {
  repo: SlackRepo;
  slack: SlackApi;
  clock: OutboxClock;
  logger: Logger;
  /** Minimum spacing of writes to one channel. */
  perChannelIntervalMs?: number;
  maxAttempts?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long to wait before retrying a channel Heed is not in (a person has to /invite it). */
  notInChannelRetryMs?: number;
  /**
   * Per-channel pacing shared with other replicas (PostgreSQL deployments): a write to a channel first takes
   * the channel for one interval. Without it the pace is kept by this process alone.
   */
  channelLeases?: ChannelLeases;
}

/** One write per channel per interval across every replica (see jobs-repo.ts, channelLeasesFrom). */
export interface ChannelLeases {
  /** Takes the channel until `until` unless another replica holds it now; true when taken. */
  take(channel: string, now: Date, until: Date): Promise<boolean>;
  /** Moves this replica's hold to `until`: the pace counts from Slack's answer, as in this process. */
  hold(channel: string, now: Date, until: Date): Promise<void>;
}

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  /** Earliest moment something else may be sendable, if anything is queued. */
  nextAt: Date | undefined;
}

type Failure =
  | { type: 'rate'; retryAfterMs: number }
  | { type: 'transient'; reason: string }
  | { type: 'not_in_channel'; reason: string }
  | { type: 'fatal'; reason: string };

const POSTING_KINDS = new Set(['post', 'reply', 'escalate', 'dm']);
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
]);

export function classifySlackError(error: unknown): Failure {
  const e = error as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string };
    message?: string;
  };
  switch (e?.code) {
    case 'slack_webapi_rate_limited_error':
      return { type: 'rate', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000 };
    case 'slack_webapi_http_error':
      return (e.statusCode ?? 0) >= 500 || e.statusCode === 408
        ? { type: 'transient', reason: `HTTP ${e.statusCode}` }
        : { type: 'fatal', reason: `HTTP ${e.statusCode}` };
    case 'slack_webapi_request_error':
      return { type: 'transient', reason: `request failed: ${e.message ?? 'network error'}` };
    case 'slack_webapi_platform_error': {
      const code = e.data?.error ?? 'unknown_error';
      if (code === 'not_in_channel' || code === 'channel_not_found') return { type: 'not_in_channel', reason: code };
      if (code === 'ratelimited') return { type: 'rate', retryAfterMs: 1000 };
      if (TRANSIENT_PLATFORM_ERRORS.has(code)) return { type: 'transient', reason: code };
      return { type: 'fatal', reason: code };
    }
    default:
      return { type: 'transient', reason: e?.message ?? String(error) };
  }
}

export class Outbox {
  readonly #o: Required<Omit<OutboxOptions, 'repo' | 'slack' | 'clock' | 'logger' | 'channelLeases'>> &
    Pick<OutboxOptions, 'repo' | 'slack' | 'clock' | 'logger' | 'channelLeases'>;
  /** Last write per channel (ms), and 429 pauses per channel, in this process; `channelLeases` covers other replicas and restarts. */
  readonly #lastWrite = new Map<string, number>();
  readonly #pausedUntil = new Map<string, number>();
  #recovered = false;
  #lastRecoveryAt = 0;
  /** Rows this process is sending right now: never "recovered" from under itself. */
  readonly #inFlight = new Set<string>();

  constructor(options: OutboxOptions) {
    this.#o = {
      perChannelIntervalMs: 1000,
      maxAttempts: 12,
      baseBackoffMs: 1000,
      maxBackoffMs: 5 * 60_000,
      notInChannelRetryMs: 15 * 60_000,
      ...options,
    };
  }

  /**
   * Settles rows left in `sending` by a previous process: a post found in Slack (by its metadata key)
   * is recorded as sent; anything else is queued again. Runs once before the first drain.
   */
  async recover(): Promise<{ recognised: number; requeued: number }> {
    const { repo, clock, logger } = this.#o;
    let recognised = 0;
    let requeued = 0;
    this.#lastRecoveryAt = clock.now().getTime();
    for (const row of await repo.outboxInState('sending')) {
      if (this.#inFlight.has(row.id)) continue;
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
          // Cannot tell: leave it in `sending` rather than risk a duplicate; the next start tries again.
          logger.warn(
            { err: error, outboxId: row.id, key: row.idempotencyKey },
            'outbox: could not check Slack for a post made before a restart',
          );
          continue;
        }
      }
      if (found) {
        await repo.markSent(row, found, clock.now());
        recognised++;
        logger.info({ key: row.idempotencyKey, ts: found.ts }, 'outbox: recognised a post made just before a restart');
      } else {
        await repo.markRetry(row.id, clock.now(), 'interrupted before the result was recorded');
        requeued++;
      }
    }
    this.#recovered = true;
    return { recognised, requeued };
  }

  async #findPosted(row: OutboxMessage): Promise<{ ts: string; channel: string } | undefined> {
    const payload = JSON.parse(row.payload) as Record<string, unknown>;
    const { slack } = this.#o;
    let channel = row.channel;
    let threadTs = typeof payload['thread_ts'] === 'string' ? payload['thread_ts'] : undefined;
    if (row.kind === 'reply' && row.nudgeId) {
      const nudge = await this.#o.repo.nudgeById(row.nudgeId);
      if (!nudge?.ts) return undefined;
      channel = nudge.channel;
      threadTs = nudge.ts;
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

  /** One round: at most one write per free channel, channels in parallel. */
  async drainOnce(): Promise<DrainResult> {
    const { repo, clock } = this.#o;
    // At start, and every few minutes: a row left in `sending` (a crash elsewhere, or a result that could
    // not be recorded here) is settled from Slack's history rather than left stuck.
    if (!this.#recovered || clock.now().getTime() - this.#lastRecoveryAt > RECOVERY_INTERVAL_MS) await this.recover();
    const now = clock.now().getTime();
    // Only the channel list and one row per free channel are read: a deep queue costs no more per round.
    const free = (await repo.dueChannels(new Date(now))).filter((channel) => this.#channelFreeAt(channel) <= now);
    const picked = (await Promise.all(free.map((channel) => repo.firstDue(channel, new Date(now))))).filter(
      (row): row is OutboxMessage => row !== null,
    );
    const outcomes = await Promise.all(picked.map((row) => this.#send(row)));
    const result: DrainResult = { sent: 0, retried: 0, failed: 0, nextAt: undefined };
    for (const outcome of outcomes) result[outcome]++;
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
    result.nextAt = nextAt === undefined ? undefined : new Date(nextAt);
    return result;
  }

  #channelFreeAt(channel: string): number {
    const last = this.#lastWrite.get(channel);
    const paused = this.#pausedUntil.get(channel) ?? 0;
    return Math.max(last === undefined ? 0 : last + this.#o.perChannelIntervalMs, paused);
  }

  async #send(row: OutboxMessage): Promise<'sent' | 'retried' | 'failed'> {
    const { repo, clock } = this.#o;
    if (row.kind === 'update' && (await repo.hasNewerUpdate(row))) {
      await repo.markFinal(row.id, 'superseded', null);
      return 'sent';
    }
    const payload = JSON.parse(row.payload) as Record<string, unknown>;
    let method = 'chat.postMessage';
    const args: Record<string, unknown> = { ...payload, channel: row.channel };
    if (row.kind === 'update' || row.kind === 'reply' || row.kind === 'escalate' || row.kind === 'dm') {
      const nudge = row.nudgeId ? await repo.nudgeById(row.nudgeId) : null;
      if (row.nudgeId && !nudge?.ts) {
        // The nudge's own post has not gone out yet: wait for it (or give up if it never will).
        if (await repo.nudgePostPending(row.nudgeId)) {
          await repo.markRetry(
            row.id,
            new Date(clock.now().getTime() + this.#o.perChannelIntervalMs),
            'waiting for the nudge to be posted',
          );
          return 'retried';
        }
        await repo.markFinal(row.id, 'failed', 'the nudge this refers to was never posted');
        return 'failed';
      }
      if (nudge?.ts) {
        if (row.kind === 'update') {
          method = 'chat.update';
          Object.assign(args, { channel: nudge.channel, ts: nudge.ts });
          delete args['metadata'];
        } else if (row.kind === 'reply') {
          Object.assign(args, { channel: nudge.channel, thread_ts: nudge.ts });
        } else {
          const link = await this.#permalink(nudge.channel, nudge.ts);
          args['blocks'] = JSON.parse(
            JSON.stringify(args['blocks'] ?? []).replaceAll(NUDGE_PERMALINK_PLACEHOLDER, link),
          );
        }
      }
    }
    const leases = this.#o.channelLeases;
    if (leases) {
      const now = clock.now();
      if (!(await leases.take(row.channel, now, new Date(now.getTime() + this.#o.perChannelIntervalMs)))) {
        // Another replica wrote to this channel within the interval: this one tries again after an interval.
        this.#lastWrite.set(row.channel, now.getTime());
        return 'retried';
      }
    }
    if (!(await repo.markSending(row.id))) return 'retried';
    this.#inFlight.add(row.id);
    try {
      return await this.#call(row, method, args);
    } finally {
      this.#inFlight.delete(row.id);
    }
  }

  async #call(
    row: OutboxMessage,
    method: string,
    args: Record<string, unknown>,
  ): Promise<'sent' | 'retried' | 'failed'> {
    const { repo, slack, clock } = this.#o;
    this.#lastWrite.set(row.channel, clock.now().getTime());
    let result: { ts?: string; channel?: string };
    try {
      result = (await slack.apiCall(method, args)) as { ts?: string; channel?: string };
    } catch (error) {
      return this.#onFailure(row, error);
    } finally {
      // Pace from when Slack answered, not when we asked: the next write to this channel then reaches
      // Slack at least a full interval after this one did, whatever the network's jitter.
      this.#lastWrite.set(row.channel, clock.now().getTime());
      await this.#holdChannel(row.channel);
    }
    // Not inside the try: if recording fails, the row must stay `sending` (recover() settles it from
    // Slack's history) rather than be retried as if the post had failed — that would post it twice.
    await repo.markSent(
      row,
      { ts: result.ts ?? (args['ts'] as string | undefined), channel: result.channel },
      clock.now(),
    );
    if (result.channel && result.channel !== row.channel) this.#lastWrite.set(result.channel, clock.now().getTime());
    return 'sent';
  }

  /** Other replicas keep off the channel for an interval from Slack's answer (when leases are shared). */
  async #holdChannel(channel: string): Promise<void> {
    const { channelLeases, clock, logger } = this.#o;
    if (!channelLeases) return;
    const now = clock.now();
    try {
      await channelLeases.hold(channel, now, new Date(now.getTime() + this.#o.perChannelIntervalMs));
    } catch (error) {
      // The lease taken before the call still covers most of the interval; the write itself went through.
      logger.warn({ err: error, channel }, 'outbox: could not extend the channel’s pacing lease');
    }
  }

  async #permalink(channel: string, ts: string): Promise<string> {
    try {
      const result = (await this.#o.slack.apiCall('chat.getPermalink', { channel, message_ts: ts })) as {
        permalink?: string;
      };
      if (result.permalink) return result.permalink;
    } catch (error) {
      this.#o.logger.warn({ err: error, channel }, 'outbox: chat.getPermalink failed; linking with a constructed URL');
    }
    // Slack resolves this form for members of the workspace.
    return `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;
  }

  async #onFailure(row: OutboxMessage, error: unknown): Promise<'retried' | 'failed'> {
    const { repo, clock, logger } = this.#o;
    const failure = classifySlackError(error);
    const now = clock.now().getTime();
    const attempts = row.attempts + 1;
    switch (failure.type) {
      case 'rate': {
        this.#pausedUntil.set(row.channel, now + failure.retryAfterMs);
        logger.warn(
          { channel: row.channel, retryAfterMs: failure.retryAfterMs },
          'outbox: Slack rate limit, pausing the channel',
        );
        // A 429 is Slack pacing us, not a failed attempt: it does not count towards giving up.
        await repo.markRetry(row.id, new Date(now + failure.retryAfterMs), 'rate limited', true);
        return 'retried';
      }
      case 'not_in_channel': {
        const joined = await this.#tryJoin(row.channel);
        if (joined) {
          await repo.markRetry(row.id, new Date(now), `${failure.reason}: joined the channel`, true);
          return 'retried';
        }
        const problem = new AppError(
          'SLACK_NOT_IN_CHANNEL',
          `Heed is not a member of Slack channel ${row.channel} and cannot join it (it is private, archived or unknown).`,
          {
            fix: `open ${row.channel} in Slack and type "/invite @Heed" (or correct the channel in the policy file)`,
          },
        );
        logger.error({ channel: row.channel, code: problem.code, fix: problem.fix }, problem.describe());
        await repo.markRetry(row.id, new Date(now + this.#o.notInChannelRetryMs), problem.describe(), true);
        return 'retried';
      }
      case 'transient': {
        if (attempts >= this.#o.maxAttempts) {
          logger.error(
            { key: row.idempotencyKey, reason: failure.reason, attempts },
            'outbox: giving up after repeated Slack errors',
          );
          await repo.markFinal(row.id, 'failed', failure.reason);
          return 'failed';
        }
        const backoff = Math.min(this.#o.maxBackoffMs, this.#o.baseBackoffMs * 2 ** (attempts - 1));
        logger.warn(
          { key: row.idempotencyKey, reason: failure.reason, backoffMs: backoff },
          'outbox: Slack error, will retry',
        );
        await repo.markRetry(row.id, new Date(now + backoff), failure.reason);
        return 'retried';
      }
      default: {
        logger.error(
          { key: row.idempotencyKey, kind: row.kind, channel: row.channel, reason: failure.reason },
          'outbox: Slack refused the message',
        );
        await repo.markFinal(row.id, 'failed', failure.reason);
        return 'failed';
      }
    }
  }

  async #tryJoin(channel: string): Promise<boolean> {
    if (!/^C/.test(channel)) return false; // DMs, private (G…) and #names cannot be joined by id
    try {
      await this.#o.slack.apiCall('conversations.join', { channel });
      this.#o.logger.info({ channel }, 'outbox: joined public channel to post there');
      return true;
    } catch (error) {
      this.#o.logger.debug({ err: error, channel }, 'outbox: conversations.join failed');
      return false;
    }
  }

  /** Drains until `signal` aborts, sleeping until the next sendable moment (at most `idleMs`). */
  async run(signal: AbortSignal, idleMs = 1000): Promise<void> {
    const { clock, logger } = this.#o;
    while (!signal.aborted) {
      try {
        const result = await this.drainOnce();
        const now = clock.now().getTime();
        const wait = result.nextAt ? Math.min(idleMs, Math.max(0, result.nextAt.getTime() - now)) : idleMs;
        await clock.sleep(wait);
      } catch (error) {
        logger.error({ err: error }, 'outbox: drain failed');
        await clock.sleep(idleMs);
      }
    }
  }

  /** Drains until nothing is queued or `until` passes (tests, the bench, the demo). */
  async drainUntilIdle(until?: Date): Promise<void> {
    const { clock } = this.#o;
    for (;;) {
      const result = await this.drainOnce();
      if (!result.nextAt) return;
      const now = clock.now().getTime();
      if (until && now >= until.getTime()) return;
      const wait = Math.max(0, result.nextAt.getTime() - now);
      if (wait > 0) await clock.sleep(wait);
    }
  }
}
