// Ephemeral notes to one person ("your ✅ changed nothing: …"), for reactions, which have no response_url.
// Sent straight through the Web API, not through the outbox: a note is only worth reading within seconds of the
// reaction and only by that person, so it must not wait behind a channel's queue, survive a restart, or be sent
// twice by a retry. Slack's pace is respected instead by not asking much of it:
// - chat.postEphemeral is a Tier 4 method (100+ per minute per workspace, not the 1-per-second-per-channel of
//   chat.postMessage); each process keeps to `perMinute` (default 30), so three replicas stay under 100;
// - one note per person and item per `repeatAfterMs` (someone clicking ✅ on and off gets one note, not ten);
// - a 429 pauses notes for its Retry-After, and a dropped note is logged, never retried.
import type { Logger } from '../logger.ts';
import type { SlackApi } from './outbox.ts';
import type { RenderedMessage } from './render/blocks.ts';

export interface EphemeralNote {
  channel: string;
  user: string;
  /** Shows the note in a thread (a reaction on a thread ping). */
  threadTs?: string | undefined;
  /** What the note is about (a flag key): repeats about it are dropped for a while. */
  about: string;
  message: RenderedMessage;
}

export interface EphemeralNotesOptions {
  slack: SlackApi;
  logger: Logger;
  now: () => Date;
  perMinute?: number;
  repeatAfterMs?: number;
}

export type NoteOutcome = 'sent' | 'repeat' | 'over_budget' | 'failed';

export class EphemeralNotes {
  readonly #o: Required<EphemeralNotesOptions>;
  /** When each note of the last minute went out (ms), oldest first. */
  readonly #sentAt: number[] = [];
  /** person + item → when they were last told (ms). */
  readonly #told = new Map<string, number>();
  #pausedUntil = 0;

  constructor(options: EphemeralNotesOptions) {
    this.#o = { perMinute: 30, repeatAfterMs: 60_000, ...options };
  }

  /** Never throws: a note that cannot go out is logged and dropped. */
  async send(note: EphemeralNote): Promise<NoteOutcome> {
    const { slack, logger, now, perMinute, repeatAfterMs } = this.#o;
    const at = now().getTime();
    const key = `${note.user}\u0000${note.about}`;
    const told = this.#told.get(key);
    if (told !== undefined && at - told < repeatAfterMs) return 'repeat';
    while (this.#sentAt.length > 0 && at - this.#sentAt[0]! >= 60_000) this.#sentAt.shift();
    if (at < this.#pausedUntil || this.#sentAt.length >= perMinute) {
      logger.info({ user: note.user, about: note.about }, 'slack notes: over the pace for ephemeral notes; dropped');
      return 'over_budget';
    }
    this.#sentAt.push(at);
    this.#told.set(key, at);
    for (const [k, t] of this.#told) if (at - t >= repeatAfterMs) this.#told.delete(k);
    try {
      await slack.apiCall('chat.postEphemeral', {
        channel: note.channel,
        user: note.user,
        ...(note.threadTs ? { thread_ts: note.threadTs } : {}),
        text: note.message.text,
        blocks: note.message.blocks,
      });
      return 'sent';
    } catch (error) {
      const e = error as { code?: string; retryAfter?: number };
      if (e.code === 'slack_webapi_rate_limited_error') this.#pausedUntil = at + Math.max(1, e.retryAfter ?? 1) * 1000;
      logger.warn({ err: error, user: note.user, about: note.about }, 'slack notes: chat.postEphemeral failed');
      return 'failed';
    }
  }
}
