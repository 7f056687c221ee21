// Claims written back to HubSpot (issue 15, off by default: policy `hubspot.writeBack`). A claim sets the
// ticket's HubSpot owner (only when unassigned, or always), ✅ handled moves it to a configured stage.
//
// The Slack act only queues the write (one insert: reactions must be acknowledged at once); the runner sends it
// through the rate-limited HubSpot client off that path, retries what is transient (HubSpot down, rate limits, a
// refused token while sync is paused) with backoff, and survives a restart (the queue is a table; a replica that
// died mid-write is taken over when its lease runs out). A refusal — an account validation rule (400
// VALIDATION_ERROR), a missing scope (403 MISSING_SCOPES), a person HubSpot has no owner for — is said in the
// nudge's thread through the outbox, in HubSpot's words, and logged once as a warning: never silent, never a
// crash. The next sync sees the new owner; the reconciler does not ping a claimer who became the owner by their
// own claim (no loop).
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { TWriteBack } from '../config.ts';
import type { Flag, SlackRepo } from '../db/slack-repo.ts';
import type { HubspotWrite, WriteBackRepo } from '../db/write-back-repo.ts';
import { type HubspotApi, HubspotError, missingScopes } from '../hubspot/client.ts';
import { readTicketOwner, setTicketOwner, setTicketStage } from '../hubspot/crm.ts';
import type { Logger } from '../logger.ts';
import { renderWriteBackRefusal, type WriteBackRefusal } from './render/write-back.ts';
import type { SlackUserDirectory } from './users.ts';

/** Attempts before a write that keeps failing transiently is given up (and said in the thread). */
export const WRITE_BACK_MAX_ATTEMPTS = 6;
const LEASE_MS = 60_000;
/** A write still not sent after this long is dropped (see #stale). */
const STALE_AFTER_MS = 24 * 60 * 60_000;
const FIRST_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 30 * 60_000;

export interface WriteBackDeps {
  repo: WriteBackRepo;
  /** Where the thread reply goes (the outbox) and the nudge it answers. */
  slack: Pick<SlackRepo, 'nudgeByFlagKey' | 'enqueue' | 'flagsByKeys'>;
  api: HubspotApi;
  users: Pick<SlackUserDirectory, 'emailsForSlackUser'>;
  settings: TWriteBack;
  logger: Logger;
  clock: Pick<Clock, 'now'>;
}

export interface WriteBackRun {
  done: number;
  skipped: number;
  refused: number;
  failed: number;
  retried: number;
}

type Outcome =
  | { state: 'done' }
  | { state: 'skipped'; why: string }
  | { state: 'refused'; reason: string; code: string }
  | { state: 'retry'; error: string; at?: Date | undefined };

export class WriteBack {
  readonly #d: WriteBackDeps;
  #running: Promise<WriteBackRun> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(deps: WriteBackDeps) {
    this.#d = deps;
  }

  /**
   * Queues what an applied Slack act writes back, per the policy: a claim of a ticket (its owner), ✅ handled
   * of a ticket whose pipeline has a stage for it. Returns how many writes were queued.
   */
  async queue(act: {
    action: string;
    flag: Pick<Flag, 'key' | 'kind' | 'ticketId'>;
    actor: string;
    at: Date;
  }): Promise<number> {
    const { settings, repo } = this.#d;
    const ticketId = act.flag.kind === 'ticket' ? act.flag.ticketId : null;
    if (!ticketId) return 0;
    let kind: 'owner' | 'stage';
    let value: string | null = null;
    if (act.action === 'claim' && settings.claimSetsOwner !== 'never') kind = 'owner';
    else if (act.action === 'handle') {
      const pipeline = (await repo.ticket(ticketId))?.pipelineId;
      value = pipeline ? (settings.handledMovesToStage[pipeline] ?? null) : null;
      if (!value) return 0;
      kind = 'stage';
    } else return 0;
    await repo.enqueue({ id: randomUUID(), kind, ticketId, flagKey: act.flag.key, actor: act.actor, value }, act.at);
    this.kick();
    return 1;
  }

  /** Runs what is due soon, off the caller's path (a Slack ack must not wait for HubSpot). */
  kick(): void {
    if (this.#stopped) return;
    setImmediate(() => {
      if (this.#stopped) return;
      this.runDue().catch((error: unknown) => this.#d.logger.error({ err: error }, 'write-back: run failed'));
    });
  }

  /** Every so often, for retries and writes another replica queued. */
  start(intervalMs = 15_000): void {
    this.#timer ??= setInterval(() => this.kick(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Runs every due write once (one run at a time in this process; a kick during a run runs again after it). */
  runDue(): Promise<WriteBackRun> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = (async () => {
      const total: WriteBackRun = { done: 0, skipped: 0, refused: 0, failed: 0, retried: 0 };
      do {
        this.#again = false;
        const now = this.#d.clock.now();
        for (const write of await this.#d.repo.due(now)) await this.#runOne(write, total);
      } while (this.#again);
      return total;
    })();
    this.#running = run;
    return run.finally(() => {
      this.#running = undefined;
    });
  }

  async #runOne(write: HubspotWrite, total: WriteBackRun): Promise<void> {
    const { repo, logger, clock } = this.#d;
    const now = clock.now();
    if (!(await repo.take(write, now, new Date(now.getTime() + LEASE_MS)))) return;
    const attempts = write.attempts + 1;
    const log = { ticketId: write.ticketId, flagKey: write.flagKey, kind: write.kind, actor: write.actor, attempts };
    let outcome: Outcome;
    try {
      outcome =
        (await this.#stale(write, now)) ??
        (write.kind === 'owner' ? await this.#owner(write) : await this.#stage(write));
    } catch (error) {
      outcome = classify(error);
    }
    const at = clock.now();
    switch (outcome.state) {
      case 'done':
        await repo.finish(write.id, 'done', null, at);
        logger.info(log, 'write-back: HubSpot updated');
        total.done++;
        return;
      case 'skipped':
        await repo.finish(write.id, 'skipped', outcome.why, at);
        logger.info({ ...log, why: outcome.why }, 'write-back: nothing to write');
        total.skipped++;
        return;
      case 'refused':
        await repo.finish(write.id, 'refused', outcome.reason, at);
        logger.warn({ ...log, code: outcome.code, reason: outcome.reason }, 'write-back: HubSpot refused the write');
        await this.#say(write, outcome.reason, at);
        total.refused++;
        return;
      case 'retry': {
        if (attempts >= WRITE_BACK_MAX_ATTEMPTS) {
          const reason = `HubSpot did not take it after ${attempts} attempts (last: ${outcome.error})`;
          await repo.finish(write.id, 'failed', reason, at);
          logger.error({ ...log, reason }, 'write-back: gave up');
          await this.#say(write, reason, at);
          total.failed++;
          return;
        }
        const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** (attempts - 1), MAX_BACKOFF_MS);
        const next = outcome.at && outcome.at > at ? outcome.at : new Date(at.getTime() + backoff);
        await repo.retryAt(write.id, next, outcome.error, at);
        logger.info({ ...log, error: outcome.error, retryAt: next.toISOString() }, 'write-back: will retry');
        total.retried++;
        return;
      }
    }
  }

  /**
   * A write nobody wants any more is not sent: the claim was released (or taken by someone else), the ✅ taken back,
   * or it waited over a day (HubSpot down, write-back switched off and on again) — HubSpot may have moved on since.
   */
  async #stale(write: HubspotWrite, now: Date): Promise<Outcome | undefined> {
    if (now.getTime() - write.createdAt.getTime() > STALE_AFTER_MS) {
      return { state: 'skipped', why: 'queued over a day ago; HubSpot may have moved on since' };
    }
    const [flag] = await this.#d.slack.flagsByKeys([write.flagKey]);
    if (write.kind === 'owner' && flag?.claimedBy !== write.actor) {
      return { state: 'skipped', why: 'the claim was released before it was written' };
    }
    if (write.kind === 'stage' && flag?.handledBy !== write.actor) {
      return { state: 'skipped', why: 'no longer marked handled by them' };
    }
    return undefined;
  }

  async #owner(write: HubspotWrite): Promise<Outcome> {
    const { repo, users, api, settings, clock } = this.#d;
    const emails = await users.emailsForSlackUser(write.actor, clock.now());
    const owner = await repo.ownerByEmails(emails);
    if (!owner) {
      return {
        state: 'refused',
        code: 'NO_OWNER',
        reason: 'HubSpot has no owner with their email (add them as a user in HubSpot, or map them in `people`)',
      };
    }
    // Read HubSpot's own answer, not the synced copy: someone may have assigned it minutes ago.
    const current = await readTicketOwner(api, write.ticketId);
    if (current === undefined) return { state: 'skipped', why: 'the ticket is gone from HubSpot' };
    if (current === owner.id) return { state: 'skipped', why: 'already the owner' };
    if (current !== null && settings.claimSetsOwner === 'whenUnassigned') {
      return { state: 'skipped', why: `owned by ${current} already (claimSetsOwner: whenUnassigned)` };
    }
    await setTicketOwner(api, write.ticketId, owner.id);
    return { state: 'done' };
  }

  async #stage(write: HubspotWrite): Promise<Outcome> {
    await setTicketStage(this.#d.api, write.ticketId, write.value!);
    return { state: 'done' };
  }

  /** The refusal in the nudge's thread, through the outbox (once per write: the key says which). */
  async #say(write: HubspotWrite, reason: string, now: Date): Promise<void> {
    const nudge = await this.#d.slack.nudgeByFlagKey(write.flagKey);
    if (!nudge?.postId) {
      this.#d.logger.warn({ flagKey: write.flagKey }, 'write-back: no nudge to say the refusal in');
      return;
    }
    const refusal: WriteBackRefusal =
      write.kind === 'owner'
        ? { kind: 'owner', actor: write.actor, reason }
        : { kind: 'stage', actor: write.actor, stage: `stage ${write.value}`, reason };
    await this.#d.slack.enqueue(
      {
        idempotencyKey: `writeback:${write.id}:refused`,
        kind: 'reply',
        channel: nudge.channel,
        payload: { ...renderWriteBackRefusal(refusal), unfurl_links: false, unfurl_media: false },
        parentId: nudge.postId,
      },
      now,
    );
  }
}

/** What an error from HubSpot means for a write: HubSpot's words when it refused, a retry when it may pass. */
function classify(error: unknown): Outcome {
  if (error instanceof HubspotError) {
    const body = error.body as { message?: string; errors?: { message?: string }[] } | undefined;
    const words = (body?.errors ?? []).map((e) => e.message).filter((m): m is string => !!m);
    const said = words.length > 0 ? words.join('; ') : (body?.message ?? error.message);
    switch (error.code) {
      case 'HUBSPOT_WRITE_REFUSED':
        return { state: 'refused', code: error.code, reason: said };
      case 'HUBSPOT_AUTH':
        if (error.status === 403) {
          const scopes = missingScopes(error.body as Parameters<typeof missingScopes>[0]);
          const missing = scopes.length > 0 ? ` (missing scope: ${scopes.join(', ')})` : '';
          return { state: 'refused', code: 'MISSING_SCOPES', reason: `${body?.message ?? error.message}${missing}` };
        }
        // A refused token (401): sync is paused until it is fixed; try again later.
        return { state: 'retry', error: error.message };
      case 'HUBSPOT_NOT_FOUND':
        return { state: 'skipped', why: 'the ticket is gone from HubSpot' };
      case 'HUBSPOT_UNAVAILABLE':
      case 'HUBSPOT_RATE_LIMITED':
        return { state: 'retry', error: error.message };
      case 'HUBSPOT_DAILY_LIMIT':
        return { state: 'retry', error: error.message, at: error.resetAt };
      default:
        return { state: 'refused', code: error.code, reason: said };
    }
  }
  // A network error or a timeout: transient.
  return { state: 'retry', error: error instanceof Error ? error.message : String(error) };
}
